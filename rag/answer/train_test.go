package answer

import (
	"encoding/json"
	"github.com/veille/veille/rag"
	"os"
	"path/filepath"
	"testing"

	"github.com/veille/veille/rag/eval"
	"github.com/veille/veille/rag/extract"
)

// TestTrainSelector fits the sentence model of rag/extract on the questions
// of ../shared/eval and ../shared/eval-news with their gold answers, and
// writes rag/extract/model.json. Reproduce with:
//
//	VEILLE_TRAIN=1 go test ./rag/answer -run TestTrainSelector -count=1 -v
//
// The labels: a sentence of the retrieved articles is positive when it
// holds an accepted answer string, or a string of a must-have group.
func TestTrainSelector(t *testing.T) {
	if os.Getenv("VEILLE_TRAIN") == "" {
		t.Skip("set VEILLE_TRAIN=1 to train the sentence model on ../shared")
	}
	var cands [][]extract.Candidate
	var labels [][]bool
	var weights []float64
	for _, set := range []struct {
		dir    string
		weight float64
	}{{"eval", 1}, {"eval-news", newsWeight}} {
		dir := filepath.Join(sharedDir, set.dir)
		c, l := trainingSet(t, filepath.Join(dir, "corpus.jsonl"), filepath.Join(dir, "questions.jsonl"))
		cands = append(cands, c...)
		labels = append(labels, l...)
		for range c {
			weights = append(weights, set.weight)
		}
	}
	old := extract.Default()
	m := extract.Train(cands, labels, weights, 12000, 1, 1e-4)
	m.Second, m.CrossDoc = old.Second, old.CrossDoc
	m.Trained = "VEILLE_TRAIN=1 go test ./rag/answer -run TestTrainSelector: softmax over the sentences of the top 3 articles, ../shared/eval + ../shared/eval-news (weight 3)"
	t.Logf("loss: shipped %.4f, trained %.4f over %d questions", extract.Loss(old, cands, labels), extract.Loss(&m, cands, labels), len(cands))
	t.Logf("weights %v", m.Weights)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "extract", "model.json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// newsWeight is how much a news question counts against a Wikipedia one in
// training: the news questions are what users ask.
const newsWeight = 3

// trainingSet indexes a corpus and returns, per answerable question, the
// candidates Ask would choose from and which of them hold an answer.
func trainingSet(t *testing.T, corpus, questions string) ([][]extract.Candidate, [][]bool) {
	t.Helper()
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("no training set: %v", err)
	}
	ix, qs := indexSet(t, corpus, questions)
	eng := NewEngine(ix, nil, nil)
	m := eval.MatchFor(qs)
	var cands [][]extract.Candidate
	var labels [][]bool
	for _, q := range qs {
		if len(q.Answers) == 0 {
			continue
		}
		opts := rag.SearchOptions{}
		retrieval, _ := eng.retrieval(t.Context(), q.Question, &opts)
		_, hits, ok, err := eng.ground(t.Context(), q.Question, retrieval, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			continue
		}
		hits = hits[:min(len(hits), answerArticles)]
		query, docs := eng.extractInputs(q.Question, retrieval, hits)
		cs := extract.Candidates(query, docs)
		strs := q.Answers
		for _, g := range q.Must {
			strs = append(strs, g...)
		}
		l := make([]bool, len(cs))
		for i, c := range cs {
			for _, s := range strs {
				if m.Holds(c.Text, s) {
					l[i] = true
				}
			}
		}
		cands = append(cands, cs)
		labels = append(labels, l)
	}
	return cands, labels
}
