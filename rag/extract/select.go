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
	a := &answer{q: q, all: all, picked: []int{best}, limit: map[int]int{}}
	a.budget, a.most = limits(t)
	a.used = utf8.RuneCountInString(a.text(best))
	if t.Multi() && (isBullet(b.Text) || strings.HasSuffix(b.Text, ":")) {
		// The items of the list, in order, from the one after the best.
		a.budget, a.most = budgetList, maxList
		for i := best + 1; i < len(all) && all[i].Doc == b.Doc && isBullet(all[i].Text); i++ {
			if !a.add(i) {
				break
			}
		}
	}
	// A sentence that opens on a pronoun ("Il avait découvert…") needs the
	// one before it, which says who.
	for _, i := range slices.Clone(a.picked) {
		if i > 0 && all[i-1].Doc == all[i].Doc && !all[i-1].Heading && pronounStart.MatchString(all[i].Text) {
			a.add(i - 1)
		}
	}
	for _, i := range others(t, all, scores, best, second, crossDoc) {
		a.add(i)
	}
	slices.Sort(a.picked)
	out := make([]Pick, 0, len(a.picked))
	for _, i := range a.picked {
		s := all[i]
		out = append(out, Pick{Doc: s.Doc, Start: s.Start, End: s.End, Text: a.text(i), Score: scores[i]})
	}
	return out
}

// answer is an answer being put together within its budgets.
type answer struct {
	q            Query
	all          []Candidate
	picked       []int       // indexes in all
	limit        map[int]int // a sentence quoted shorter than MaxSentence to fill the budget
	used         int         // runes quoted
	budget, most int         // runes and sentences allowed
}

// text is what the answer quotes of all[i].
func (a *answer) text(i int) string {
	if l, ok := a.limit[i]; ok {
		return shown(&a.all[i], a.q.Weights, l)
	}
	return shown(&a.all[i], a.q.Weights, MaxSentence)
}

// add quotes all[i] if the budgets allow (for a one-fact answer, the part of
// it that fits when minFill or more is left), and reports whether it did.
func (a *answer) add(i int) bool {
	if len(a.picked) == a.most || slices.Contains(a.picked, i) {
		return false
	}
	n := utf8.RuneCountInString(a.text(i))
	if a.used+n > a.budget {
		if !a.q.Type.Multi() && a.budget-a.used >= minFill && len(a.all[i].Marks) > 0 {
			a.limit[i] = a.budget - a.used
			n = utf8.RuneCountInString(a.text(i))
		}
		if a.used+n > a.budget {
			delete(a.limit, i)
			return false
		}
	}
	a.used += n
	a.picked = append(a.picked, i)
	return true
}

// others returns the sentences that may complete the best one, likeliest
// first: other sentences of its article, and for a one-fact answer a
// sentence of another article that scores nearly as well (crossDoc): below
// that, another article's sentence is another story more often than not.
func others(t question.Type, all []Candidate, scores []float64, best int, second, crossDoc float64) []int {
	var cands []int
	for i, s := range all {
		rel := math.Exp(scores[i] - scores[best]) // odds against the best
		if i == best || s.Heading || s.Doc != all[best].Doc && (t.Multi() || rel < crossDoc) {
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
	return cands
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
