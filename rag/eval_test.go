package rag

import (
	"context"
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
		if emb.Inner, err = embed.NewLocal(dim); err != nil {
			t.Fatal(err)
		}
		emb.ID = emb.Inner.Identity()
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
