package answer

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/veille/veille/rag"
	"github.com/veille/veille/rag/article"
	"github.com/veille/veille/rag/eval"
	"github.com/veille/veille/rag/ragtest"
)

// sharedEval skips unless VEILLE_EVAL is set and ../shared/eval is there:
// it is beside the checkout for developers and CI, never in a user's clone.
func sharedEval(t testing.TB) {
	t.Helper()
	if os.Getenv("VEILLE_EVAL") == "" {
		t.Skip("set VEILLE_EVAL=1 to run against ../shared/eval")
	}
	if _, err := os.Stat(filepath.Join(sharedDir, "eval", "corpus.jsonl")); err != nil {
		t.Skipf("no eval set: %v", err)
	}
}

// sharedDir is ../shared seen from this package's directory.
var sharedDir = filepath.Join("..", "..", "..", "shared")

// evalFloor holds the figures recorded in testdata/eval_floor.json: the
// quality `make check` holds the code to on the shared sets.
type evalFloor map[string]map[string]float64

// floorSlack is how far below a recorded figure a run may fall before
// `make check` fails.
const floorSlack = 0.02

var updateFloor = flag.Bool("update", false, "record the measured eval figures in testdata/eval_floor.json")

// TestEvalFloor measures retrieval (Recall@5) and answers (answer recall on
// ../shared/eval; complete, hit and grounded match on ../shared/eval-news) and
// fails when one drops more than floorSlack below testdata/eval_floor.json.
// `make check` runs it when ../shared is there:
//
//	VEILLE_EVAL=1 go test ./rag/answer -run TestEvalFloor -count=1 -v [-update]
func TestEvalFloor(t *testing.T) {
	sharedEval(t)
	b, err := os.ReadFile(filepath.Join("testdata", "eval_floor.json"))
	if err != nil {
		t.Fatal(err)
	}
	var floor evalFloor
	if err := json.Unmarshal(b, &floor); err != nil {
		t.Fatal(err)
	}
	got := evalFloor{}
	for _, set := range []string{"eval", "eval-news"} {
		dir := filepath.Join(sharedDir, set)
		corpus, questions := filepath.Join(dir, "corpus.jsonl"), filepath.Join(dir, "questions.jsonl")
		if _, err := os.Stat(questions); err != nil {
			t.Logf("%s: absent, not measured", set)
			continue
		}
		got[set] = measure(t, corpus, questions)
	}
	for set, figures := range got {
		for name, v := range figures {
			t.Logf("%-9s %-14s %.3f (recorded %.3f)", set, name, v, floor[set][name])
			if name == "mean_len" {
				continue
			}
			if want, ok := floor[set][name]; ok && v < want-floorSlack {
				t.Errorf("%s %s = %.3f, more than %.2f below the recorded %.3f", set, name, v, floorSlack, want)
			}
		}
	}
	if *updateFloor {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", "eval_floor.json"), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// measure indexes a corpus and returns its retrieval and answer figures.
func measure(t *testing.T, corpus, questions string) map[string]float64 {
	t.Helper()
	ix, qs := indexSet(t, corpus, questions)
	var answerable []eval.Question
	for _, q := range qs {
		if len(q.Gold) > 0 {
			answerable = append(answerable, q)
		}
	}
	preds, err := eval.Run(t.Context(), answerable, func(ctx context.Context, q eval.Question) ([]string, error) {
		hits, err := ix.Search(ctx, q.Question, rag.SearchOptions{K: 10})
		return hitIDs(hits), err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Through the Engine, as `veille ask` answers (time expressions included).
	eng := NewEngine(ix, nil, nil)
	answers, err := eval.RunAnswers(t.Context(), qs, func(ctx context.Context, q eval.Question) (eval.Answered, error) {
		ans, err := eng.Ask(ctx, q.Question, rag.SearchOptions{})
		return eval.Answered{Text: ans.Text, Grounded: ans.Grounded, Cited: ans.CitedArticles()}, err
	})
	if err != nil {
		t.Fatal(err)
	}
	rep := eval.ScoreAnswers(qs, answers, eval.MatchFor(qs))
	out := map[string]float64{
		"recall@5":   eval.Score(answerable, preds).Recall5,
		"hit":        rep.Hit,
		"gold_cited": rep.GoldCited,
		"mean_len":   rep.MeanLen,
	}
	if rep.NotCovered > 0 || eval.MatchFor(qs) == eval.Substring {
		out["complete"] = rep.Complete
		out["grounded_match"] = rep.GroundedMatch
	}
	return out
}

// indexSet indexes a shared corpus with the built-in embedder and reads its
// questions.
func indexSet(t *testing.T, corpus, questions string) (*rag.Index, []eval.Question) {
	t.Helper()
	arts, _, err := article.LoadPaths(t.Context(), []string{corpus})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(questions)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	qs, err := eval.ReadQuestions(f, questions)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := rag.New(rag.Options{Embedder: ragtest.NewEmbedder(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Add(t.Context(), arts, nil); err != nil {
		t.Fatal(err)
	}
	return ix, qs
}

func hitIDs(hits []rag.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ArticleID
	}
	return out
}
