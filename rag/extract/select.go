package extract

import (
	"os"
	"strconv"
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/veille/veille/rag/question"
)

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
	budgetSingle = 340
	budgetMulti  = 620
	maxMulti     = 4
)

// Select returns the sentences that answer q from docs, in reading order
// (doc, then position); none when no sentence holds a question term.
func Select(q Query, docs []Doc) []Pick {
	return Default().Select(q, docs)
}

// Select is the package Select with model m.
func (m *Model) Select(q Query, docs []Doc) []Pick {
	all := Candidates(q, docs)
	scores := make([]float64, len(all))
	best := -1
	for i := range all {
		scores[i] = m.Score(&all[i])
		if !all[i].Heading && (best < 0 || scores[i] > scores[best]) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	sec := m.Second
	if e := os.Getenv("XS"); e != "" {
		sec, _ = strconv.ParseFloat(e, 64)
	}
	return choose(q.Type, all, scores, best, sec)
}

// choose returns the best sentence and, for answers spread over several
// sentences, the ones around it that carry the same kind of answer.
func choose(t question.Type, all []Candidate, scores []float64, best int, second float64) []Pick {
	b := all[best]
	picked := []int{best}
	used := utf8.RuneCountInString(clip(b.Text))
	budget, most := budgetSingle, 2
	if t.Multi() {
		budget, most = budgetMulti, maxMulti
	}
	// Candidates from the best sentence's article only: another article's
	// sentence is another story more often than not.
	var cands []int
	for i, s := range all {
		if i == best || s.Heading || s.Doc != b.Doc && (t.Multi() || os.Getenv("XO") == "") {
			continue
		}
		// Odds relative to the best sentence.
		rel := math.Exp(scores[i] - scores[best])
		if t.Multi() {
			near := abs(s.Idx-b.Idx) <= 6 && s.Para >= b.Para-1 && s.Para <= b.Para+2
			if s.Evidence > 0 && (near || rel >= second) {
				cands = append(cands, i)
			}
		} else if rel >= second {
			cands = append(cands, i)
		}
	}
	slices.SortFunc(cands, func(x, y int) int {
		if t.Multi() {
			// Steps and items are read in order.
			return cmp.Compare(abs(all[x].Idx-b.Idx), abs(all[y].Idx-b.Idx))
		}
		return cmp.Compare(scores[y], scores[x])
	})
	for _, i := range cands {
		if len(picked) == most {
			break
		}
		n := utf8.RuneCountInString(clip(all[i].Text))
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
		out = append(out, Pick{Doc: s.Doc, Start: s.Start, End: s.End, Text: clip(s.Text), Score: scores[i]})
	}
	return out
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
