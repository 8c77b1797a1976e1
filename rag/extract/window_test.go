package extract

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/veille/veille/rag/analyze"
	"github.com/veille/veille/rag/chunk"
)

// candidate builds a Candidate of text with marks on the words of terms
// (analysed), each its own group of weight 1.
func candidate(text, lang string, terms ...string) (Candidate, []float64) {
	group := map[string]int{}
	var weights []float64
	for _, t := range terms {
		for _, a := range analyze.Terms(t, lang) {
			if _, ok := group[a]; !ok {
				group[a] = len(weights)
				weights = append(weights, 1)
			}
		}
	}
	c := Candidate{Text: text}
	for _, tok := range analyze.Tokens(text, lang) {
		if g, ok := group[tok.Term]; ok {
			c.Marks = append(c.Marks, Mark{Start: tok.Start, End: tok.End, Group: g})
		}
	}
	return c, weights
}

func TestShown(t *testing.T) {
	t.Parallel()
	long := "Les Romains eux-mêmes avaient bien du mal à être d’accord sur la définition et l’étymologie du mot, " +
		"disent les historiens qui ont lu toutes les sources anciennes sur la question depuis le XIXe siècle, " +
		"mais Varron et Plutarque expliquaient pomerium par post murum, plaçant celui-ci à l’extérieur du mur d’enceinte, " +
		"tandis que d'autres auteurs, plus tardifs et moins souvent cités, le plaçaient à l'intérieur du mur."
	tests := []struct {
		name  string
		text  string
		terms []string
		limit int
		want  []string // substrings the quote must hold
		head  bool     // the quote starts where the sentence does
		tail  bool     // the quote ends where the sentence does
	}{
		{"short sentence whole", "Le Cadre noir est à Saumur.", []string{"Cadre noir"}, 240, []string{"Le Cadre noir est à Saumur."}, true, true},
		{"window around the terms", long, []string{"Varron Plutarque pomerium"}, 160, []string{"Varron et Plutarque expliquaient pomerium"}, false, false},
		{"terms at the end", long, []string{"auteurs tardifs intérieur"}, 160, []string{"à l'intérieur du mur."}, false, true},
		{"terms at the start", long, []string{"Romains définition étymologie"}, 160, []string{"Les Romains eux-mêmes"}, true, false},
		{"no term: the head", long, nil, 160, []string{"Les Romains"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, w := candidate(tt.text, "fr", tt.terms...)
			got := shown(&c, w, tt.limit)
			if n := utf8.RuneCountInString(got); n > tt.limit {
				t.Errorf("%d runes, want at most %d: %q", n, tt.limit, got)
			}
			for _, s := range tt.want {
				if !strings.Contains(got, s) {
					t.Errorf("quote %q lacks %q", got, s)
				}
			}
			if head := !strings.HasPrefix(got, chunk.Ellipsis); head != tt.head {
				t.Errorf("quote %q: starts the sentence %v, want %v", got, head, tt.head)
			}
			if tail := !strings.HasSuffix(got, chunk.Ellipsis); tail != tt.tail {
				t.Errorf("quote %q: ends the sentence %v, want %v", got, tail, tt.tail)
			}
			// What is quoted is the sentence's own words, in order.
			inner := strings.Trim(got, chunk.Ellipsis)
			if !strings.Contains(tt.text, inner) {
				t.Errorf("quote %q is not a span of the sentence", inner)
			}
		})
	}
}
