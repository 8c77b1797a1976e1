package chunk

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Ellipsis marks where Clip cut a text.
const Ellipsis = "…"

// Clip returns s when it has at most n runes, else s cut to n runes with
// the last one an Ellipsis. The cut falls after the last whitespace of the
// second half of what fits, so that no word is split unless a single word
// fills that half; whitespace and ",;:" left before the ellipsis are
// dropped. It counts runes, not bytes, because its callers' limits
// (Discord's, a summary's) are in characters, and it cuts between runes so
// that the result stays valid UTF-8.
func Clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return Ellipsis[:max(n, 0)*len(Ellipsis)]
	}
	// end is the byte offset after the first n-1 runes: one is left for the
	// ellipsis.
	end := 0
	for range n - 1 {
		_, w := utf8.DecodeRuneInString(s[end:])
		end += w
	}
	cut := end
	for i, j := n-1, end; j > 0; {
		r, w := utf8.DecodeLastRuneInString(s[:j])
		j -= w
		i-- // the rune index of r
		if i <= n/2 {
			break
		}
		if unicode.IsSpace(r) {
			cut = j
			break
		}
	}
	return strings.TrimRightFunc(s[:cut], func(r rune) bool {
		return unicode.IsSpace(r) || r == ',' || r == ';' || r == ':'
	}) + Ellipsis
}
