package analyze

import (
	"slices"
	"testing"

	"github.com/veille/veille/rag/eval/evaltest"
)

// TestEvalBM25 checks the analysis on the retrieval eval with the BM25 of
// ../../../shared/eval/README.md (k1=1.2, b=0.75, Lucene idf, one document =
// title + text), so that its numbers compare with the README's baselines:
//
//	VEILLE_EVAL=1 go test ./rag/analyze -run TestEvalBM25 -v
func TestEvalBM25(t *testing.T) {
	docs, questions := evaltest.Load(t, evaltest.Dir)

	confusion := map[string]int{}
	for _, q := range questions {
		confusion[q.Lang+"→"+DetectLang(q.Question)]++
	}
	t.Logf("question language → DetectLang: %v", confusion)

	for _, mode := range []struct {
		name string
		lang func(q string) string
	}{
		{"detected", func(string) string { return "" }},
	} {
		terms := make([][]string, len(docs))
		for i, d := range docs {
			terms[i] = Terms(d.Title+"\n\n"+d.Text, "")
		}
		bm25 := evaltest.NewBM25(terms)
		var s evaltest.Scores
		for _, q := range questions {
			order := evaltest.Order(bm25.Scores(Terms(q.Question, mode.lang(q.Question))))
			s.Add(slices.IndexFunc(order, func(i int) bool { return docs[i].ID == q.Gold[0] }) + 1)
		}
		m := float64(s.N)
		t.Logf("bm25+analyze (%s): R@1 %.3f R@5 %.3f R@10 %.3f MRR@10 %.3f",
			mode.name, s.R1/m, s.R5/m, s.R10/m, s.MRR/m)
	}
}
