package extract

import (
	"cmp"
	"math"
	"regexp"
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

// Limits of an answer, in characters and sentences. Reasons, advice and
// lists get more room: their answer is spread over several sentences, and a
// bulleted list is quoted item by item.
const (
	budgetSingle = 400
	maxSingle    = 3
	budgetList   = 720
	maxList      = 7
	// MaxSentence is the most of a sentence quoted: a longer one is quoted
	// from the part that holds the question's terms (see shown).
	MaxSentence = 240
	// minFill is the least room left in a one-fact answer's budget worth
	// filling with the part of the next sentence that holds the
	// question's terms.
	minFill = 100
)

// limits returns the length and sentence budgets of an answer of type t.
func limits(t question.Type) (chars, sentences int) {
	switch t {
	case question.Advice:
		return 640, 5
	case question.Why:
		return 560, 4
	case question.List:
		return 560, 4
	}
	return budgetSingle, maxSingle
}

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
	return choose(q, all, scores, best, m.Second, m.CrossDoc)
}

// choose returns the best sentence and the others that complete it: for a
// one-fact answer, a second sentence about as likely; for reasons, advice and
// lists, the list the best sentence opens or belongs to, then the likeliest
// sentences of its article that carry the same kind of answer.
func choose(q Query, all []Candidate, scores []float64, best int, second, crossDoc float64) []Pick {
	t := q.Type
	b := all[best]
	picked := []int{best}
	limit := map[int]int{} // a sentence quoted shorter than MaxSentence to fill the budget
	text := func(i int) string {
		if l, ok := limit[i]; ok {
			return shown(&all[i], q.Weights, l)
		}
		return shown(&all[i], q.Weights, MaxSentence)
	}
	used := utf8.RuneCountInString(text(best))
	budget, most := limits(t)
	add := func(i int) bool {
		if len(picked) == most || slices.Contains(picked, i) {
			return false
		}
		n := utf8.RuneCountInString(text(i))
		if used+n > budget {
			if !t.Multi() && budget-used >= minFill && len(all[i].Marks) > 0 {
				limit[i] = budget - used
				n = utf8.RuneCountInString(text(i))
			}
			if used+n > budget {
				delete(limit, i)
				return false
			}
		}
		used += n
		picked = append(picked, i)
		return true
	}
	if t.Multi() && (isBullet(b.Text) || strings.HasSuffix(b.Text, ":")) {
		// The items of the list, in order, from the one after the best.
		budget, most = budgetList, maxList
		for i := best + 1; i < len(all) && all[i].Doc == b.Doc && isBullet(all[i].Text); i++ {
			if !add(i) {
				break
			}
		}
	}
	// A sentence that opens on a pronoun ("Il avait découvert…") needs the
	// one before it, which says who.
	for _, i := range slices.Clone(picked) {
		if i > 0 && all[i-1].Doc == all[i].Doc && !all[i-1].Heading && pronounStart.MatchString(all[i].Text) {
			add(i - 1)
		}
	}
	// Other sentences of the best sentence's article, and for a one-fact
	// answer a sentence of another article that scores nearly as well
	// (crossDoc): below that, another article's sentence is another story
	// more often than not.
	var cands []int
	for i, s := range all {
		rel := math.Exp(scores[i] - scores[best]) // odds against the best
		if i == best || s.Heading || s.Doc != b.Doc && (t.Multi() || rel < crossDoc) {
			continue
		}
		// Reasons, steps and items must carry their kind of answer.
		if t.Multi() && s.Evidence > 0 && rel >= second/4 || !t.Multi() && rel >= second {
			cands = append(cands, i)
		}
	}
	// When the answer enumerates ("Premier reproche…"), the rest of the
	// enumeration ("Deuxième manquement…", "Enfin…") comes first.
	enumerates := t.Multi() && slices.ContainsFunc(cands, func(i int) bool { return enumStart.MatchString(all[i].Text) })
	slices.SortFunc(cands, func(x, y int) int {
		if enumerates {
			ex, ey := enumStart.MatchString(all[x].Text), enumStart.MatchString(all[y].Text)
			if ex != ey {
				if ex {
					return -1
				}
				return 1
			}
		}
		return cmp.Compare(scores[y], scores[x])
	})
	for _, i := range cands {
		add(i)
	}
	slices.Sort(picked)
	out := make([]Pick, 0, len(picked))
	for _, i := range picked {
		s := all[i]
		out = append(out, Pick{Doc: s.Doc, Start: s.Start, End: s.End, Text: text(i), Score: scores[i]})
	}
	return out
}

// pronounStart opens a sentence whose subject is in the sentence before.
var pronounStart = regexp.MustCompile(`^(Il|Elle|Ils|Elles|Celui-ci|Celle-ci|Ceux-ci|Ce dernier|Cette dernière|He|She|They|It|This|These)\b`)

func isBullet(s string) bool {
	return strings.HasPrefix(s, "- ") || strings.HasPrefix(s, "• ") || strings.HasPrefix(s, "* ") || strings.HasPrefix(s, "– ")
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
