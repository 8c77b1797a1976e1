package eval

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/veille/veille/rag/analyze"
)

// Answered is what a system replied to one question, as a user sees it.
type Answered struct {
	ID       string   `json:"id"`
	Text     string   `json:"answer"`
	Grounded bool     `json:"grounded"`
	Cited    []string `json:"cited_article_ids"`
}

// Match is how a gold answer string is looked for in an answer.
type Match int

const (
	// Substring finds the normalised string anywhere (../shared/eval-news).
	Substring Match = iota
	// Words finds it on word boundaries, punctuation squeezed to spaces
	// (../shared/eval's answer-level scores).
	Words
)

// MatchFor returns the rule a questions file is scored with: Substring when
// its questions carry must-have facts (the news set), Words otherwise.
func MatchFor(qs []Question) Match {
	for _, q := range qs {
		if len(q.Must) > 0 {
			return Substring
		}
	}
	return Words
}

// AnswerMetrics are answer-level rates. Hit, Complete and GoldCited are over
// the answerable questions; GroundedMatch and Refused over all of them.
type AnswerMetrics struct {
	Questions  int `json:"questions"`
	Answerable int `json:"answerable"`
	// Hit: the answer holds an accepted answer string.
	Hit float64 `json:"hit"`
	// Complete: it holds a string of every must-have group (Hit when the
	// question lists none).
	Complete float64 `json:"complete"`
	// GoldCited: a cited article is a gold one.
	GoldCited float64 `json:"gold_cited"`
	// GroundedMatch: grounded exactly when the corpus answers.
	GroundedMatch float64 `json:"grounded_match"`
	// Refused is the share of not-covered questions answered "not covered"
	// (NotCovered of them); 0 when there are none.
	Refused    float64 `json:"refused"`
	NotCovered int     `json:"not_covered"`
	MeanLen    float64 `json:"mean_len"`
}

// AnswerReport holds answer metrics overall, per question language and per
// question kind.
type AnswerReport struct {
	AnswerMetrics
	ByLang map[string]AnswerMetrics `json:"by_lang,omitempty"`
	ByKind map[string]AnswerMetrics `json:"by_kind,omitempty"`
}

// AnswerResult is one question's outcome.
type AnswerResult struct {
	ID            string `json:"id"`
	Hit           bool   `json:"hit"`
	Complete      bool   `json:"complete"`
	GoldCited     bool   `json:"gold_cited"`
	GroundedMatch bool   `json:"grounded_match"`
}

// Holds reports whether text holds the answer string s under this rule.
func (m Match) Holds(text, s string) bool {
	return contains(normalize(text, m), normalize(s, m), m)
}

// ScoreAnswer scores one answer to q.
func ScoreAnswer(q Question, a Answered, m Match) AnswerResult {
	text := normalize(citeRE.ReplaceAllString(a.Text, ""), m)
	has := func(s string) bool { return contains(text, normalize(s, m), m) }
	r := AnswerResult{ID: q.ID, GroundedMatch: a.Grounded == q.answerable()}
	r.Hit = slices.ContainsFunc(q.Answers, has)
	r.Complete = r.Hit
	if len(q.Must) > 0 {
		r.Complete = true
		for _, g := range q.Must {
			if !slices.ContainsFunc(g, has) {
				r.Complete = false
			}
		}
	}
	for _, id := range a.Cited {
		if slices.Contains(q.Gold, id) {
			r.GoldCited = true
		}
	}
	return r
}

// ScoreAnswers scores the answers (by question ID) to qs; a question without
// an answer counts as an ungrounded empty one.
func ScoreAnswers(qs []Question, answers map[string]Answered, m Match) AnswerReport {
	var all answerAcc
	langs, kinds := map[string]*answerAcc{}, map[string]*answerAcc{}
	for _, q := range qs {
		a := answers[q.ID]
		r := ScoreAnswer(q, a, m)
		n := utf8.RuneCountInString(a.Text)
		all.add(q, r, n)
		for key, into := range map[string]map[string]*answerAcc{q.Lang: langs, q.Kind: kinds} {
			if key == "" {
				continue
			}
			if into[key] == nil {
				into[key] = &answerAcc{}
			}
			into[key].add(q, r, n)
		}
	}
	rep := AnswerReport{AnswerMetrics: all.metrics()}
	if len(langs) > 0 {
		rep.ByLang = map[string]AnswerMetrics{}
		for k, a := range langs {
			rep.ByLang[k] = a.metrics()
		}
	}
	if len(kinds) > 0 {
		rep.ByKind = map[string]AnswerMetrics{}
		for k, a := range kinds {
			rep.ByKind[k] = a.metrics()
		}
	}
	return rep
}

// Keys returns a map's keys in order, for printing a report.
func Keys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

type answerAcc struct {
	n, answerable, hit, complete, cited, grounded, notCovered, refused, length int
}

func (a *answerAcc) add(q Question, r AnswerResult, length int) {
	a.n++
	a.length += length
	if r.GroundedMatch {
		a.grounded++
	}
	if !q.answerable() {
		a.notCovered++
		if r.GroundedMatch {
			a.refused++
		}
		return
	}
	a.answerable++
	for _, c := range []struct {
		ok bool
		n  *int
	}{{r.Hit, &a.hit}, {r.Complete, &a.complete}, {r.GoldCited, &a.cited}} {
		if c.ok {
			*c.n++
		}
	}
}

func (a *answerAcc) metrics() AnswerMetrics {
	rate := func(k, n int) float64 {
		if n == 0 {
			return 0
		}
		return float64(k) / float64(n)
	}
	return AnswerMetrics{
		Questions: a.n, Answerable: a.answerable, NotCovered: a.notCovered,
		Hit: rate(a.hit, a.answerable), Complete: rate(a.complete, a.answerable),
		GoldCited: rate(a.cited, a.answerable), GroundedMatch: rate(a.grounded, a.n),
		Refused: rate(a.refused, a.notCovered), MeanLen: rate(a.length, a.n),
	}
}

var citeRE = regexp.MustCompile(`\[\d+\]`)

// normalize folds case and accents and squeezes whitespace; with Words it
// squeezes punctuation too.
func normalize(s string, m Match) string {
	s = analyze.Fold(s)
	var b strings.Builder
	space := true
	for _, r := range s {
		keep := !unicode.IsSpace(r)
		if m == Words {
			keep = unicode.IsLetter(r) || unicode.IsDigit(r)
		}
		if keep {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

func contains(text, s string, m Match) bool {
	if s == "" {
		return false
	}
	if m == Words {
		return strings.Contains(" "+text+" ", " "+s+" ")
	}
	return strings.Contains(text, s)
}

// Answerer answers one question as a user would see it.
type Answerer func(ctx context.Context, q Question) (Answered, error)

// RunAnswers asks every question of qs and returns the answers by question
// ID.
func RunAnswers(ctx context.Context, qs []Question, answer Answerer) (map[string]Answered, error) {
	out := make(map[string]Answered, len(qs))
	for _, q := range qs {
		a, err := answer(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("question %s: %w", q.ID, err)
		}
		a.ID = q.ID
		out[q.ID] = a
	}
	return out, nil
}
