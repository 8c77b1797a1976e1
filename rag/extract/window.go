package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/veille/veille/rag/chunk"
)

// Mark is a word of a sentence that is one of the question's terms: its
// byte span in the sentence and the group it counts for.
type Mark struct {
	Start, End int
	Group      int
}

// windowBefore is the share of a window's room, past the question's terms,
// taken before them; the rest follows them.
const windowBefore = 0.5

// shown is the text of c an answer quotes: the whole sentence when it fits
// in limit runes, else the window of limit runes around the question's
// terms, an ellipsis marking each cut.
func shown(c *Candidate, weights []float64, limit int) string {
	s := c.Text
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	if len(c.Marks) == 0 {
		return chunk.Clip(s, limit)
	}
	// The core: the span of marks with the most distinct groups' weight
	// that fits, the shortest of equals.
	bestW, bs, be := -1.0, 0, 0
	for i := range c.Marks {
		seen := map[int]bool{}
		w := 0.0
		for j := i; j < len(c.Marks); j++ {
			span := utf8.RuneCountInString(s[c.Marks[i].Start:c.Marks[j].End])
			if span > limit-2 {
				break
			}
			if g := c.Marks[j].Group; !seen[g] {
				seen[g] = true
				if g < len(weights) {
					w += weights[g]
				}
			}
			if w > bestW+1e-9 || w > bestW-1e-9 && c.Marks[j].End-c.Marks[i].Start < be-bs {
				bestW, bs, be = w, c.Marks[i].Start, c.Marks[j].End
			}
		}
	}
	room := limit - 2 - utf8.RuneCountInString(s[bs:be]) // two ellipses at most
	before := int(float64(room) * windowBefore)
	start := back(s, bs, before)
	after := room - utf8.RuneCountInString(s[start:bs])
	end := forward(s, be, after)
	if end == len(s) {
		// Room left at the end goes before.
		start = back(s, bs, limit-2-utf8.RuneCountInString(s[bs:]))
	}
	start, end = wordStart(s, start, bs), wordEnd(s, end, be)
	out := strings.TrimSpace(s[start:end])
	if start > 0 {
		out = chunk.Ellipsis + out
	}
	if end < len(s) {
		out = strings.TrimRightFunc(out, func(r rune) bool { return unicode.IsPunct(r) && r != ')' && r != '»' || unicode.IsSpace(r) }) + chunk.Ellipsis
	}
	return out
}

// back returns the byte offset n runes before i in s (0 at most).
func back(s string, i, n int) int {
	for ; n > 0 && i > 0; n-- {
		_, w := utf8.DecodeLastRuneInString(s[:i])
		i -= w
	}
	return i
}

// forward returns the byte offset n runes after i in s (len(s) at most).
func forward(s string, i, n int) int {
	for ; n > 0 && i < len(s); n-- {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return i
}

// wordStart moves start forward to the beginning of a word, not past core.
func wordStart(s string, start, core int) int {
	if start == 0 {
		return 0
	}
	r, _ := utf8.DecodeLastRuneInString(s[:start])
	if unicode.IsSpace(r) {
		return start
	}
	if k := strings.IndexFunc(s[start:core], unicode.IsSpace); k >= 0 {
		return start + k + 1
	}
	return core
}

// wordEnd moves end back to the end of a word, not before core.
func wordEnd(s string, end, core int) int {
	if end == len(s) {
		return end
	}
	r, _ := utf8.DecodeRuneInString(s[end:])
	if unicode.IsSpace(r) {
		return end
	}
	if k := strings.LastIndexFunc(s[core:end], unicode.IsSpace); k >= 0 {
		return core + k
	}
	return core
}
