// Package eval scores retrieval against questions with known gold documents:
// Recall@1/5/10 and MRR@10, overall and per question language.
package eval

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Question is one line of a questions JSONL file.
type Question struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Lang     string   `json:"lang"`
	Gold     []string `json:"gold_doc_ids"`
	Answers  []string `json:"answers"`
	// Kind, Must and ExpectGrounded are set by answer-level sets
	// (../shared/eval-news): the question's kind (who, why, not-covered…),
	// the groups of facts a complete answer holds (each group by any of its
	// strings), and whether the corpus answers it at all (absent: true).
	Kind           string     `json:"kind,omitempty"`
	Must           [][]string `json:"must,omitempty"`
	ExpectGrounded *bool      `json:"expect_grounded,omitempty"`
}

// answerable reports whether the corpus is meant to answer q.
func (q Question) answerable() bool { return q.ExpectGrounded == nil || *q.ExpectGrounded }

// Prediction is one ranked list of article IDs for a question, best first.
type Prediction struct {
	ID     string   `json:"id"`
	Ranked []string `json:"ranked_doc_ids"`
}

// Metrics are averaged over questions.
type Metrics struct {
	Questions int     `json:"questions"`
	Recall1   float64 `json:"recall@1"`
	Recall5   float64 `json:"recall@5"`
	Recall10  float64 `json:"recall@10"`
	MRR10     float64 `json:"mrr@10"`
}

// Report holds the metrics for all questions and per language.
type Report struct {
	Metrics
	ByLang map[string]Metrics `json:"by_lang,omitempty"`
}

// ReadQuestions reads questions JSONL; a malformed line is an error naming it.
func ReadQuestions(r io.Reader, name string) ([]Question, error) {
	var qs []Question
	br := bufio.NewReader(r)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if len(strings.TrimSpace(string(b))) > 0 {
			var q Question
			if jerr := json.Unmarshal(b, &q); jerr != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, line, jerr)
			}
			if q.ID == "" || strings.TrimSpace(q.Question) == "" {
				return nil, fmt.Errorf("%s:%d: a question needs an id and a question", name, line)
			}
			qs = append(qs, q)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("%s: no questions", name)
	}
	return qs, nil
}

// Ranker returns article IDs for a question, best first.
type Ranker func(ctx context.Context, q Question) ([]string, error)

// Run ranks every question and returns the predictions in question order.
func Run(ctx context.Context, qs []Question, rank Ranker) ([]Prediction, error) {
	preds := make([]Prediction, 0, len(qs))
	for _, q := range qs {
		ids, err := rank(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("question %s: %w", q.ID, err)
		}
		preds = append(preds, Prediction{ID: q.ID, Ranked: ids})
	}
	return preds, nil
}

// Score computes the metrics. Duplicates in a ranking count at their first
// occurrence; a question without a prediction is a miss.
func Score(qs []Question, preds []Prediction) Report {
	byID := make(map[string][]string, len(preds))
	for _, p := range preds {
		byID[p.ID] = dedupe(p.Ranked)
	}
	var all acc
	langs := map[string]*acc{}
	for _, q := range qs {
		r1, r5, r10, rr := scoreOne(q.Gold, byID[q.ID])
		all.add(r1, r5, r10, rr)
		l := langs[q.Lang]
		if l == nil {
			l = &acc{}
			langs[q.Lang] = l
		}
		l.add(r1, r5, r10, rr)
	}
	rep := Report{Metrics: all.metrics(), ByLang: map[string]Metrics{}}
	keys := make([]string, 0, len(langs))
	for k := range langs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k != "" {
			rep.ByLang[k] = langs[k].metrics()
		}
	}
	return rep
}

func scoreOne(gold, ranked []string) (r1, r5, r10, rr float64) {
	if len(gold) == 0 {
		return 0, 0, 0, 0
	}
	g := map[string]bool{}
	for _, id := range gold {
		g[id] = true
	}
	recall := func(k int) float64 {
		hit := 0
		for i, id := range ranked {
			if i >= k {
				break
			}
			if g[id] {
				hit++
			}
		}
		return float64(hit) / float64(len(g))
	}
	for i, id := range ranked {
		if i >= 10 {
			break
		}
		if g[id] {
			rr = 1 / float64(i+1)
			break
		}
	}
	return recall(1), recall(5), recall(10), rr
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

type acc struct {
	n                int
	r1, r5, r10, mrr float64
}

func (a *acc) add(r1, r5, r10, rr float64) {
	a.n++
	a.r1 += r1
	a.r5 += r5
	a.r10 += r10
	a.mrr += rr
}

func (a *acc) metrics() Metrics {
	if a.n == 0 {
		return Metrics{}
	}
	n := float64(a.n)
	return Metrics{Questions: a.n, Recall1: a.r1 / n, Recall5: a.r5 / n, Recall10: a.r10 / n, MRR10: a.mrr / n}
}
