package when

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of the question: its folded form and where it sits in
// the original text, so that the expression can be cut out of it.
type token struct {
	norm       string // lower case, accents removed
	start, end int    // byte offsets in the question
}

// tokenize splits q into words: runs of letters and digits, kept together
// across an inner hyphen or slash ("avant-hier", "mois-ci", "03/03/2024",
// "CVE-2020-1234"). Apostrophes split ("l'année" is "l", "annee").
func tokenize(q string) []token {
	var toks []token
	start := -1
	var b strings.Builder
	flush := func(end int) {
		if start >= 0 {
			toks = append(toks, token{norm: b.String(), start: start, end: end})
			b.Reset()
			start = -1
		}
	}
	for i := 0; i < len(q); {
		r, w := utf8.DecodeRuneInString(q[i:])
		switch {
		case r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if start < 0 {
				start = i
			}
			b.WriteString(fold(unicode.ToLower(r)))
		case (r == '-' || r == '/') && start >= 0 && i+w < len(q) && isWordStart(q[i+w:]):
			b.WriteRune(r)
		default:
			flush(i)
		}
		i += w
	}
	flush(len(q))
	return toks
}

func isWordStart(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// fold removes the accents French and English questions use.
func fold(r rune) string {
	switch r {
	case 'à', 'â', 'ä', 'á', 'ã', 'å':
		return "a"
	case 'é', 'è', 'ê', 'ë':
		return "e"
	case 'î', 'ï', 'í', 'ì':
		return "i"
	case 'ô', 'ö', 'ó', 'ò', 'õ':
		return "o"
	case 'ù', 'û', 'ü', 'ú':
		return "u"
	case 'ç':
		return "c"
	case 'ÿ':
		return "y"
	case 'œ':
		return "oe"
	case 'æ':
		return "ae"
	}
	return string(r)
}
