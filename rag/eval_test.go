package rag

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/veille/veille/rag/article"
	"github.com/veille/veille/rag/embed"
	"github.com/veille/veille/rag/eval"
)

// sharedEval locates ../shared/eval, or skips: it is beside the checkout for
// developers and CI, never in a user's clone.
func sharedEval(t testing.TB) (corpus, questions string) {
	t.Helper()
	if os.Getenv("VEILLE_EVAL") == "" {
		t.Skip("set VEILLE_EVAL=1 to run against ../shared/eval")
	}
	dir := filepath.Join("..", "..", "shared", "eval")
	corpus, questions = filepath.Join(dir, "corpus.jsonl"), filepath.Join(dir, "questions.jsonl")
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("no eval set: %v", err)
	}
	return corpus, questions
}

// loadEval reads the shared eval corpus and questions, or skips.
func loadEval(t *testing.T) ([]article.Article, []eval.Question) {
	t.Helper()
	corpus, qpath := sharedEval(t)
	arts, _, err := article.LoadPaths(t.Context(), []string{corpus})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(qpath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	qs, err := eval.ReadQuestions(f, qpath)
	if err != nil {
		t.Fatal(err)
	}
	return arts, qs
}

// TestEvalFusionSweep prints retrieval quality for several fusions of the
// vector and BM25 rankings on the shared eval set. It tunes defaultFusion.
func TestEvalFusionSweep(t *testing.T) {
	arts, qs := loadEval(t)
	emb := newFake(t)
	if d := os.Getenv("VEILLE_EVAL_DIM"); d != "" {
		dim, err := strconv.Atoi(d)
		if err != nil {
			t.Fatal(err)
		}
		if emb.inner, err = embed.NewLocal(dim); err != nil {
			t.Fatal(err)
		}
		emb.id = emb.inner.Identity()
	}
	ix, err := New(Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := ix.Add(t.Context(), arts, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("indexed %d articles, %d chunks in %s", ix.Len(), ix.Chunks(), time.Since(start))
	run := func(name string, retriever string, fu fusion) {
		ix.opts.fusion = fu
		preds, err := eval.Run(t.Context(), qs, func(ctx context.Context, q eval.Question) ([]string, error) {
			hits, err := ix.Search(ctx, q.Question, SearchOptions{K: 10, Retriever: retriever})
			return ids(hits), err
		})
		if err != nil {
			t.Fatal(err)
		}
		r := eval.Score(qs, preds)
		t.Logf("%-28s all R@1 %.3f R@5 %.3f R@10 %.3f MRR %.3f | fr R@5 %.3f MRR %.3f | en R@5 %.3f",
			name, r.Recall1, r.Recall5, r.Recall10, r.MRR10, r.ByLang["fr"].Recall5, r.ByLang["fr"].MRR10, r.ByLang["en"].Recall5)
	}
	run("dense", "dense", defaultFusion)
	run("lexical", "lexical", defaultFusion)
	for _, w := range []float64{0.2, 0.3, 0.4, 0.5} {
		run(fmt.Sprintf("rrf k=60 w=%.1f", w), "", fusion{method: "rrf", denseWeight: w, k: 60})
	}
	for _, w := range []float64{0.2, 0.3} {
		run(fmt.Sprintf("blend w=%.1f", w), "", fusion{method: "blend", denseWeight: w})
	}
	for _, dw := range []float64{0.3, 0.5, 0.7, 1.0} {
		for _, w := range []float64{0.3, 0.5} {
			run(fmt.Sprintf("rrf w=%.1f + doc %.1f", w, dw), "", fusion{method: "rrf", denseWeight: w, k: 60, docWeight: dw})
		}
	}
}

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
//	VEILLE_EVAL=1 go test ./rag -run TestEvalFloor -count=1 -v [-update]
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
		dir := filepath.Join("..", "..", "shared", set)
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
		hits, err := ix.Search(ctx, q.Question, SearchOptions{K: 10})
		return ids(hits), err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Through the Engine, as `veille ask` answers (time expressions included).
	eng := NewEngine(ix, nil, nil)
	answers, err := eval.RunAnswers(t.Context(), qs, func(ctx context.Context, q eval.Question) (eval.Answered, error) {
		ans, err := eng.Ask(ctx, q.Question, SearchOptions{})
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
func indexSet(t *testing.T, corpus, questions string) (*Index, []eval.Question) {
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
	ix, err := New(Options{Embedder: newFake(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Add(t.Context(), arts, nil); err != nil {
		t.Fatal(err)
	}
	return ix, qs
}
