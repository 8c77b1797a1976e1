// Package extract picks the sentences of retrieved articles that answer a
// question: the extractive answer Veille gives without a language model.
//
// A sentence is scored for holding the question's terms (its context), for
// holding an answer of the expected type outside the question's own words (a
// date for "quand", a number for "combien", a reason for "pourquoi"…), and
// for its neighbourhood (the sentences that follow a heading or a sentence
// announcing steps, reasons or items). A sentence that only restates the
// question scores low: it holds the question's words and nothing else.
package extract

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/veille/veille/rag/analyze"
	"github.com/veille/veille/rag/chunk"
	"github.com/veille/veille/rag/question"
)

// Doc is one retrieved article, best first.
type Doc struct {
	Title string
	Text  string
	Lang  string
}

// Query is a question ready to score sentences with.
type Query struct {
	question.Analysis
	// Groups are the question's terms, each with the terms that count as
	// it (its translations, for a question in another language than the
	// articles'); Weights their idf.
	Groups  [][]string
	Weights []float64
}

// Pick is a chosen sentence.
type Pick struct {
	Doc        int // index in the docs given
	Start, End int // byte span in the doc's text
	Text       string
	Score      float64
}

// Limits of an answer, in characters. Reasons, advice and lists get more
// room: their answer is spread over several sentences.
const (
	MaxSentence  = 320
	budgetSingle = 330
	budgetMulti  = 620
	maxMulti     = 4
)

// sentence is a candidate with its features.
type sentence struct {
	doc, idx   int
	start, end int
	text       string
	para       int  // paragraph number in its doc
	heading    bool // a title line: no final punctuation, short
	cov        float64
	evidence   float64 // answer of the expected type outside the question's words
	novelty    float64 // share of its terms the question does not have
	focus      bool
	score      float64
}

// Select returns the sentences that answer q from docs, in reading order
// (doc, then position); none when no sentence holds a question term.
func Select(q Query, docs []Doc) []Pick {
	var total float64
	for _, w := range q.Weights {
		total += w
	}
	if total == 0 || len(docs) == 0 {
		return nil
	}
	qset := map[string]bool{}
	for _, g := range q.Groups {
		for _, t := range g {
			qset[t] = true
		}
	}
	focus := map[string]bool{}
	for _, f := range q.Focus {
		focus[f] = true
	}
	var all []sentence
	docCov := make([]float64, len(docs))
	for di, d := range docs {
		ss := split(di, d)
		dterms := termSet(d.Title+"\n"+d.Text, d.Lang)
		docCov[di] = coverage(q, dterms, total)
		for i := range ss {
			s := &ss[i]
			terms := analyze.Tokens(s.text, d.Lang)
			have := map[string]bool{}
			novel := 0
			for _, t := range terms {
				have[t.Term] = true
				if !qset[t.Term] {
					novel++
				}
				if focus[t.Term] {
					s.focus = true
				}
			}
			if len(terms) > 0 {
				s.novelty = float64(novel) / float64(len(terms))
			}
			s.cov = coverage(q, have, total)
			s.evidence = evidence(q.Type, s.text, terms, qset)
		}
		all = append(all, ss...)
	}
	for i := range all {
		s := &all[i]
		if s.heading {
			continue
		}
		// Context from the sentences just before in the same paragraph, or
		// the heading over it: the answer often follows the sentence that
		// names the subject.
		var ctx float64
		for k, w := range []float64{0.6, 0.35} {
			j := i - 1 - k
			if j < 0 || all[j].doc != s.doc {
				break
			}
			if all[j].para == s.para || all[j].heading {
				ctx = max(ctx, w*all[j].cov)
			}
		}
		s.score = score(q.Type, s, ctx, docCov[s.doc], s.doc)
	}
	best := -1
	for i, s := range all {
		if !s.heading && s.cov > 0 && (best < 0 || s.score > all[best].score) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	return choose(q.Type, all, best)
}

// score weighs a sentence's features. The weights were tuned on the shared
// eval sets (see BENCHMARKS.md, "Answers").
func score(t question.Type, s *sentence, ctx, docCov float64, rank int) float64 {
	v := 1.0*s.cov + 0.5*ctx + 0.9*s.evidence + 0.15*s.novelty
	if s.focus {
		v += 0.15
	}
	// Restating: most of the question's words and no answer of its type.
	if s.cov > 0.6 && s.evidence == 0 && s.novelty < 0.5 {
		v -= 0.3
	}
	v += 0.8 * docCov
	v -= 0.12 * float64(rank)
	if s.cov == 0 {
		v -= 0.4
	}
	return v
}

// choose returns the best sentence and, for answers spread over several
// sentences, the ones around it that carry the same kind of answer.
func choose(t question.Type, all []sentence, best int) []Pick {
	b := all[best]
	picked := []int{best}
	used := utf8.RuneCountInString(clip(b.text))
	budget, most := budgetSingle, 2
	if t.Multi() {
		budget, most = budgetMulti, maxMulti
	}
	// Candidates from the best sentence's article only: another article's
	// sentence is another story more often than not.
	var cands []int
	for i, s := range all {
		if i == best || s.doc != b.doc || s.heading {
			continue
		}
		if t.Multi() {
			near := abs(s.idx-b.idx) <= 6 && s.para >= b.para-1 && s.para <= b.para+2
			if s.evidence > 0 && (near || s.score >= 0.8*b.score) {
				cands = append(cands, i)
			}
		} else if s.evidence > 0 && s.score >= 0.85*b.score {
			cands = append(cands, i)
		}
	}
	slices.SortFunc(cands, func(x, y int) int {
		if t.Multi() {
			// Steps and items are read in order.
			return cmp.Compare(abs(all[x].idx-b.idx), abs(all[y].idx-b.idx))
		}
		return cmp.Compare(all[y].score, all[x].score)
	})
	for _, i := range cands {
		if len(picked) == most {
			break
		}
		n := utf8.RuneCountInString(clip(all[i].text))
		if used+n > budget {
			continue
		}
		used += n
		picked = append(picked, i)
	}
	slices.Sort(picked)
	out := make([]Pick, 0, len(picked))
	for _, i := range picked {
		s := all[i]
		out = append(out, Pick{Doc: s.doc, Start: s.start, End: s.end, Text: clip(s.text), Score: s.score})
	}
	return out
}

// split returns the sentences of a doc with their paragraph numbers.
func split(di int, d Doc) []sentence {
	var out []sentence
	para, prevEnd := 0, 0
	for i, sp := range chunk.Sentences(d.Text) {
		gap := d.Text[prevEnd:sp.Start]
		if i > 0 && (strings.Count(gap, "\n") >= 2 || strings.ContainsRune(gap, '\u2029')) {
			para++
		}
		prevEnd = sp.End
		text := strings.TrimSpace(d.Text[sp.Start:sp.End])
		if text == "" {
			continue
		}
		out = append(out, sentence{
			doc: di, idx: len(out), start: sp.Start, end: sp.End, text: text, para: para,
			heading: isHeading(text),
		})
	}
	return out
}

// isHeading reports a title line: short, without final punctuation, not a
// list item.
func isHeading(s string) bool {
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "•") || strings.HasPrefix(s, "*") {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(s)
	if strings.ContainsRune(".!?…»\":;", last) {
		return false
	}
	return utf8.RuneCountInString(s) < 90
}

func coverage(q Query, have map[string]bool, total float64) float64 {
	var got float64
	for i, g := range q.Groups {
		for _, t := range g {
			if have[t] {
				got += q.Weights[i]
				break
			}
		}
	}
	return got / total
}

func termSet(text, lang string) map[string]bool {
	m := map[string]bool{}
	for _, t := range analyze.Terms(text, lang) {
		m[t] = true
	}
	return m
}

// clip shortens s to at most MaxSentence runes, at a word boundary.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= MaxSentence {
		return s
	}
	cut := string([]rune(s)[:MaxSentence])
	if i := strings.LastIndexByte(cut, ' '); i > MaxSentence/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:") + "…"
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
