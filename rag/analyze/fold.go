package analyze

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Fold returns s lower-cased with its accents removed (NFKD, combining marks
// dropped) and the ligatures and letters NFKD leaves alone spelt out:
// œ→oe, æ→ae, ß→ss, ø→o, ł→l, đ→d, þ→th, ð→d. Typographic apostrophes
// become '. Matching folded forms lets "Elysee" find "Élysée".
func Fold(s string) string {
	if isLowerASCII(s) {
		return s
	}
	return string(appendFold(make([]byte, 0, len(s)+4), s))
}

// PlainWords returns s folded, its words (letters, digits and the $ of
// identifiers such as Lapsus$) separated by single spaces: the form in
// which a name is looked for in a text, whatever the punctuation around it.
func PlainWords(s string) string {
	return strings.Join(strings.FieldsFunc(Fold(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '$'
	}), " ")
}

// AppendFold appends Fold(s) to dst, for callers that fold in a loop and
// reuse a buffer.
func AppendFold(dst []byte, s string) []byte {
	return appendFold(dst, s)
}

// isLowerASCII reports whether s needs no folding at all.
func isLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// appendFold appends the folded form of s to dst.
func appendFold(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		dst = appendFoldRune(dst, r, s[i:i+size])
		i += size
	}
	return dst
}

// foldTableEnd bounds foldTable: Latin-1, Latin Extended-A and B, where
// nearly all the non-ASCII letters of French and English text fall.
const foldTableEnd = 0x250

// foldTable holds the folded form of each rune below foldTableEnd, so that
// the common accents skip Unicode normalisation. Read-only after init.
var foldTable = func() [foldTableEnd]string {
	var t [foldTableEnd]string
	for r := rune(utf8.RuneSelf); r < foldTableEnd; r++ {
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], r)
		t[r] = string(foldRuneSlow(nil, r, string(buf[:n])))
	}
	return t
}()

// appendFoldRune appends the folded form of the single rune r, whose UTF-8
// encoding is enc, to dst.
func appendFoldRune(dst []byte, r rune, enc string) []byte {
	if r == utf8.RuneError && len(enc) == 1 {
		return dst // invalid byte: dropped so terms stay valid UTF-8
	}
	if r < foldTableEnd {
		return append(dst, foldTable[r]...)
	}
	return foldRuneSlow(dst, r, enc)
}

// foldRuneSlow is appendFoldRune through Unicode normalisation.
func foldRuneSlow(dst []byte, r rune, enc string) []byte {
	r = unicode.ToLower(r)
	switch r {
	case 'œ':
		return append(dst, 'o', 'e')
	case 'æ':
		return append(dst, 'a', 'e')
	case 'ß':
		return append(dst, 's', 's')
	case 'ø':
		return append(dst, 'o')
	case 'ł':
		return append(dst, 'l')
	case 'đ', 'ð':
		return append(dst, 'd')
	case 'þ':
		return append(dst, 't', 'h')
	case '’', '‘', 'ʼ', '´', '`', '′':
		return append(dst, '\'')
	case '‐', '‑', '‒', '–':
		return append(dst, '-')
	}
	if unicode.Is(unicode.Mn, r) {
		return dst
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	if norm.NFKD.IsNormal(buf[:n]) {
		return append(dst, buf[:n]...)
	}
	var dec [64]byte
	d := norm.NFKD.Append(dec[:0], buf[:n]...)
	for j := 0; j < len(d); {
		dr, ds := utf8.DecodeRune(d[j:])
		j += ds
		if unicode.Is(unicode.Mn, dr) {
			continue
		}
		if dr < utf8.RuneSelf {
			if 'A' <= dr && dr <= 'Z' {
				dr += 'a' - 'A'
			}
			dst = append(dst, byte(dr))
			continue
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(dr))
	}
	return dst
}
