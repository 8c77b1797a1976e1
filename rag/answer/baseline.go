package answer

import (
	"cmp"
	"context"
	"fmt"
	"github.com/veille/veille/rag"
	"slices"
	"strings"

	"github.com/veille/veille/rag/analyze"
	"github.com/veille/veille/rag/chunk"
)

// BaselineAnswer is the naive extractive answer the real one is measured
// against: the top 3 articles by BM25, then the 2 sentences of their passages
// sharing the most question terms, in score order, each cited. It exists for
// `veille eval --answers` only.
func (e *Engine) BaselineAnswer(ctx context.Context, question string) (rag.Answer, error) {
	q, err := rag.CheckQuery(question)
	if err != nil {
		return rag.Answer{}, err
	}
	hits, err := e.ix.Search(ctx, q, rag.SearchOptions{K: 3, Retriever: "lexical"})
	if err != nil {
		return rag.Answer{}, fmt.Errorf("baseline answer: %w", err)
	}
	terms := set(analyze.Terms(q, ""))
	type cand struct {
		hit, passage, score int
		text                string
	}
	var cands []cand
	for hi, h := range hits {
		for pi, p := range h.Passages {
			for _, sp := range chunk.Sentences(p.Text) {
				s := strings.TrimSpace(p.Text[sp.Start:sp.End])
				n := 0
				for t := range set(analyze.Terms(s, p.Lang)) {
					if terms[t] {
						n++
					}
				}
				if n > 0 {
					cands = append(cands, cand{hi, pi, n, s})
				}
			}
		}
	}
	ans := rag.Answer{Question: q}
	if len(cands) == 0 {
		ans.Text = notCovered(analyze.DetectLang(q))
		ans.Closest = hits
		return ans, nil
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return cmp.Compare(b.score, a.score) })
	var quotes []quote
	for _, c := range cands[:min(2, len(cands))] {
		quotes = append(quotes, quote{hit: c.hit, text: c.text, passage: hits[c.hit].Passages[c.passage].Text})
	}
	writeQuotes(&ans, hits, quotes)
	return ans, nil
}
