package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/veille/veille/rag"
	"github.com/veille/veille/rag/article"
	"github.com/veille/veille/rag/eval"
)

// eval measures retrieval on a corpus and questions, in a throw-away
// in-memory index: the data directory is not touched.
func (a *app) eval(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	corpus := fs.String("corpus", "", "corpus JSONL (required)")
	questions := fs.String("questions", "", "questions JSONL (required)")
	k := fs.Int("k", 10, "articles ranked per question")
	predictions := fs.String("predictions", "", "write the rankings as JSONL to this file")
	asJSON := fs.Bool("json", false, "print JSON")
	retriever := fs.String("retriever", "hybrid", "ranking to measure: hybrid, dense or lexical")
	answers := fs.Bool("answers", false, "score answers (what users read), against the naive baseline, instead of rankings")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *corpus == "" || *questions == "" {
		return usagef("usage: veille eval --corpus FILE --questions FILE [-k N] [--answers] [--predictions FILE] [--json]")
	}
	switch *retriever {
	case "hybrid", "dense", "lexical", "chromem":
	default:
		return usagef("--retriever %q: want hybrid, dense, lexical or chromem", *retriever)
	}
	if *k < 1 || *k > 50 {
		return usagef("-k must be between 1 and 50, not %d", *k)
	}
	ix, qs, err := a.evalIndex(ctx, *corpus, *questions)
	if err != nil {
		return err
	}
	if *answers {
		return a.evalAnswers(ctx, ix, qs, *predictions, *asJSON)
	}
	return a.evalRankings(ctx, ix, qs, rag.SearchOptions{K: *k, Retriever: *retriever}, *predictions, *asJSON)
}

// evalIndex reads the questions and indexes the corpus in memory.
func (a *app) evalIndex(ctx context.Context, corpus, questions string) (*rag.Index, []eval.Question, error) {
	qf, err := os.Open(questions)
	if err != nil {
		return nil, nil, fmt.Errorf("eval: %w", err)
	}
	qs, err := eval.ReadQuestions(qf, questions)
	qf.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("eval: %w", err)
	}
	arts, problems, err := article.LoadPaths(ctx, []string{corpus})
	if err != nil {
		return nil, nil, fmt.Errorf("eval: %w", err)
	}
	for _, p := range problems {
		fmt.Fprintf(a.stderr, "skipped %v\n", p)
	}
	opts, err := a.indexOptions()
	if err != nil {
		return nil, nil, err
	}
	ix, err := rag.New(opts)
	if err != nil {
		return nil, nil, err
	}
	start := time.Now()
	res, err := ix.Add(ctx, arts, a.progress("Indexing", len(arts)))
	if err != nil {
		return nil, nil, err
	}
	a.log.Info("eval corpus indexed", "articles", res.Added, "chunks", res.Chunks, "elapsed_ms", time.Since(start).Milliseconds())
	return ix, qs, nil
}

// evalRankings ranks every question and prints Recall@k and MRR@10.
func (a *app) evalRankings(ctx context.Context, ix *rag.Index, qs []eval.Question, opts rag.SearchOptions, predictions string, asJSON bool) error {
	start := time.Now()
	preds, err := eval.Run(ctx, qs, func(ctx context.Context, q eval.Question) ([]string, error) {
		hits, err := ix.Search(ctx, q.Question, opts)
		if err != nil {
			return nil, err
		}
		ids := make([]string, len(hits))
		for i, h := range hits {
			ids[i] = h.ArticleID
		}
		return ids, nil
	})
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	a.log.Info("eval questions ranked", "questions", len(qs), "elapsed_ms", time.Since(start).Milliseconds())
	if predictions != "" {
		if err := writeJSONL(predictions, preds); err != nil {
			return err
		}
	}
	rep := eval.Score(qs, preds)
	if asJSON {
		return writeJSON(a.stdout, rep)
	}
	fmt.Fprintf(a.stdout, "%-6s %5s %9s %9s %9s %7s\n", "subset", "n", "Recall@1", "Recall@5", "Recall@10", "MRR@10")
	row := func(name string, m eval.Metrics) {
		fmt.Fprintf(a.stdout, "%-6s %5d %9.3f %9.3f %9.3f %7.3f\n", name, m.Questions, m.Recall1, m.Recall5, m.Recall10, m.MRR10)
	}
	row("all", rep.Metrics)
	for _, l := range []string{"en", "fr"} {
		if m, ok := rep.ByLang[l]; ok {
			row(l, m)
		}
	}
	return nil
}

// writeJSONL writes rows to path, one JSON object a line (HTML characters
// left as they are: answers quote article text).
func writeJSONL[T any](path string, rows []T) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write predictions: %w", err)
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return fmt.Errorf("write predictions: %w", err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write predictions: %w", err)
	}
	return nil
}
