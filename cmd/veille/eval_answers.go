package main

import (
	"context"
	"fmt"
	"github.com/veille/veille/rag/answer"
	"time"

	"github.com/veille/veille/rag"
	"github.com/veille/veille/rag/eval"
)

// answerSystems are the answerers `eval --answers` compares in one run:
// Veille's own offline answer and the naive baseline.
var answerSystems = []string{"veille", "naive"}

// evalAnswers asks every question of qs with each system and prints the
// answer-level report: hit, complete, gold cited, grounded match, refusals
// and mean length, overall, per language and per kind.
func (a *app) evalAnswers(ctx context.Context, ix *rag.Index, qs []eval.Question, predictions string, asJSON bool) error {
	eng := answer.NewEngine(ix, nil, a.log)
	m := eval.MatchFor(qs)
	reports := map[string]eval.AnswerReport{}
	var out []answeredOut
	for _, sys := range answerSystems {
		start := time.Now()
		got, err := eval.RunAnswers(ctx, qs, func(ctx context.Context, q eval.Question) (eval.Answered, error) {
			var ans rag.Answer
			var err error
			if sys == "naive" {
				ans, err = eng.BaselineAnswer(ctx, q.Question)
			} else {
				ans, err = eng.Ask(ctx, q.Question, rag.SearchOptions{})
			}
			return eval.Answered{Text: ans.Text, Grounded: ans.Grounded, Cited: ans.CitedArticles()}, err
		})
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		for _, q := range qs {
			out = append(out, answeredOut{System: sys, Answered: got[q.ID], Result: eval.ScoreAnswer(q, got[q.ID], m)})
		}
		a.log.Info("eval questions answered", "system", sys, "questions", len(qs), "elapsed_ms", time.Since(start).Milliseconds())
		reports[sys] = eval.ScoreAnswers(qs, got, m)
	}
	if predictions != "" {
		if err := writeJSONL(predictions, out); err != nil {
			return err
		}
	}
	if asJSON {
		return writeJSON(a.stdout, reports)
	}
	fmt.Fprintf(a.stdout, "%-7s %-14s %4s %6s %9s %11s %9s %8s %8s\n",
		"system", "subset", "n", "hit", "complete", "gold_cited", "grounded", "refused", "mean_len")
	row := func(sys, name string, r eval.AnswerMetrics) {
		refused := "-"
		if r.NotCovered > 0 {
			refused = fmt.Sprintf("%d/%d", int(r.Refused*float64(r.NotCovered)+0.5), r.NotCovered)
		}
		fmt.Fprintf(a.stdout, "%-7s %-14s %4d %6.3f %9.3f %11.3f %9.3f %8s %8.0f\n",
			sys, name, r.Questions, r.Hit, r.Complete, r.GoldCited, r.GroundedMatch, refused, r.MeanLen)
	}
	for _, sys := range answerSystems {
		rep := reports[sys]
		row(sys, "all", rep.AnswerMetrics)
		for _, l := range eval.Keys(rep.ByLang) {
			row(sys, "lang="+l, rep.ByLang[l])
		}
		for _, k := range eval.Keys(rep.ByKind) {
			row(sys, k, rep.ByKind[k])
		}
	}
	return nil
}

// answeredOut is one line of `eval --answers --predictions FILE`.
type answeredOut struct {
	System string `json:"system"`
	eval.Answered
	Result eval.AnswerResult `json:"result"`
}
