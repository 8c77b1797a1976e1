package chunk

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Span is a half-open range [Start, End) of byte offsets into a text.
type Span struct {
	Start, End int
}

// Sentences returns the sentences of text, in order, each trimmed of
// surrounding whitespace. Every non-whitespace byte of text lies in exactly
// one span.
//
// A sentence ends at a line break, or at . ! ? … or "..." (plus any closing
// quotes and brackets after it, including a French « » preceded by a
// no-break space) when whitespace and then an uppercase letter, a digit, an
// opening quote or bracket, a dialogue dash (— Oui), or the end of the text
// follow. Abbreviations
// (M., Mme, Dr., p. ex., U.S., initials…), numbers, URLs and ellipses
// followed by a lowercase word do not end a sentence.
//
// Line breaks always end a sentence because news text is full of headlines,
// bylines and list items that carry no final punctuation; packing them as
// one sentence with the next line would glue a title to its first paragraph.
func Sentences(text string) []Span {
	var spans []Span
	scan(text, func(start, end int, _ bool) {
		spans = append(spans, Span{start, end})
	})
	return spans
}

// scan calls emit for each sentence of text, in order. para reports that a
// paragraph break (a blank line, or U+2029) precedes the sentence; it is
// true for the first sentence.
func scan(text string, emit func(start, end int, para bool)) {
	breaks := 2 // the first sentence starts a paragraph
	lineStart := 0
	for i := 0; i <= len(text); {
		if i < len(text) {
			if c := text[i]; c < utf8.RuneSelf && c > '\r' {
				i++ // fast path: ASCII that breaks no line
				continue
			}
			r, w := utf8.DecodeRuneInString(text[i:])
			n := lineBreak(text, i, r)
			if n == 0 {
				i += w
				continue
			}
			if splitLine(text, lineStart, i, breaks >= 2, emit) {
				breaks = 0
			}
			breaks += n
			i += w
			lineStart = i
			continue
		}
		splitLine(text, lineStart, i, breaks >= 2, emit)
		break
	}
}

// lineBreak reports how many line breaks the rune r at text[i] stands for:
// 0 for none, 1 for a newline, 2 for a paragraph separator. "\r\n" counts
// once (the "\r" counts zero).
func lineBreak(text string, i int, r rune) int {
	switch r {
	case '\n', '\v', 0x85, 0x2028:
		return 1
	case '\f', 0x2029:
		return 2
	case '\r':
		if i+1 < len(text) && text[i+1] == '\n' {
			return 0
		}
		return 1
	}
	return 0
}

// splitLine emits the sentences of the line text[start:end], which holds no
// line break, and reports whether it emitted any.
func splitLine(text string, start, end int, para bool, emit func(start, end int, para bool)) bool {
	start, end = trim(text, start, end)
	if start == end {
		return false
	}
	cur := start
	for i := start; i < end; {
		if c := text[i]; c < utf8.RuneSelf && c != '.' && c != '!' && c != '?' {
			i++ // fast path: ASCII that ends no sentence
			continue
		}
		r, w := utf8.DecodeRuneInString(text[i:end])
		if !isTerminal(r) {
			i += w
			continue
		}
		// The run of terminal punctuation: "?!", "...", "…".
		j := i + w
		for j < end {
			r2, w2 := utf8.DecodeRuneInString(text[j:end])
			if !isTerminal(r2) {
				break
			}
			j += w2
		}
		k := closers(text, j, end)
		next := k
		if k < end {
			r2, w2 := utf8.DecodeRuneInString(text[k:end])
			if !unicode.IsSpace(r2) {
				i = k
				continue
			}
			next = skipSpace(text, k+w2, end)
			r3, w3 := utf8.DecodeRuneInString(text[next:end])
			if r3 == '—' || r3 == '–' {
				// A dialogue dash: the word after it decides. A dash
				// ending the line stands alone.
				if after := skipSpace(text, next+w3, end); after < end {
					r3, _ = utf8.DecodeRuneInString(text[after:end])
				} else {
					r3 = '—'
				}
			}
			if r3 != '—' && !startsSentence(r3) {
				i = next
				continue
			}
			if j-i == 1 && r == '.' && abbreviation(text, cur, i, unicode.IsDigit(r3)) {
				i = next
				continue
			}
		}
		emit(cur, k, para)
		para = false
		cur = next
		i = next
	}
	if cur < end {
		emit(cur, end, para)
	}
	return true
}

// closers returns the end of the closing quotes and brackets that follow
// terminal punctuation ending at i: `."`, `.)`, `?»`, `. »` (French spacing).
func closers(text string, i, end int) int {
	for i < end {
		r, w := utf8.DecodeRuneInString(text[i:end])
		switch r {
		case ')', ']', '}', '"', '\'', '’', '”', '»', '›':
			i += w
			continue
		}
		if !unicode.IsSpace(r) {
			return i
		}
		// Spaces count only when a French closing guillemet follows.
		j := skipSpace(text, i, end)
		r2, w2 := utf8.DecodeRuneInString(text[j:end])
		if j < end && (r2 == '»' || r2 == '›') {
			i = j + w2
			continue
		}
		return i
	}
	return i
}

// isTerminal reports whether r ends a sentence.
func isTerminal(r rune) bool {
	switch r {
	case '.', '!', '?', '…', '‼', '⁇', '⁈', '⁉':
		return true
	}
	return false
}

// startsSentence reports whether r may open a sentence: anything that is not
// a lowercase letter among letters (so uncased scripts count), digits,
// opening quotes and brackets.
func startsSentence(r rune) bool {
	if unicode.IsLetter(r) {
		return !unicode.IsLower(r)
	}
	if unicode.IsDigit(r) {
		return true
	}
	switch r {
	case '«', '‹', '"', '“', '„', '‘', '\'', '(', '[', '¿', '¡':
		return true
	}
	return false
}

// abbreviation reports whether the period at text[dot] ends an abbreviation
// rather than the sentence that started at text[sentence]. beforeDigit is
// true when the next word starts with a digit ("No. 5", "art. 12").
func abbreviation(text string, sentence, dot int, beforeDigit bool) bool {
	// The word before the period: letters, digits, inner periods, hyphens,
	// apostrophes (so "l'art." is not "art.") and "°".
	s := dot
	for s > sentence {
		r, w := utf8.DecodeLastRuneInString(text[sentence:s])
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '\'' || r == '’' || r == '°' || r == 'º') {
			break
		}
		s -= w
	}
	word := text[s:dot]
	if word == "" {
		return false
	}
	if abbreviations[word] {
		return true
	}
	if beforeDigit && numberAbbreviations[afterElision(word)] {
		return true // "No. 5", and "l'art. 12" but not "l'art. Ensuite"
	}
	if r, w := utf8.DecodeRuneInString(word); w == len(word) && unicode.IsLetter(r) {
		return true // an initial: "J. R. R. Tolkien", "p. 12", "plan B. Puis" too
	}
	if strings.Contains(word, ".") {
		// Dotted acronyms and abbreviations: "U.S", "e.g", "i.e", "J.-C", "Ph.D".
		for part := range strings.SplitSeq(word, ".") {
			part = strings.Trim(part, "-")
			n := utf8.RuneCountInString(part)
			if n == 0 || n > 2 || !allLetters(part) {
				return false
			}
		}
		return true
	}
	// A list marker opening the line: "1. Introduction".
	return s == sentence && allDigits(word) && len(word) <= 3
}

// afterElision returns word without an elided article or pronoun: "art" for
// "l'art" or "l’art".
func afterElision(word string) string {
	if i := strings.LastIndexAny(word, "'’"); i >= 0 {
		_, w := utf8.DecodeRuneInString(word[i:])
		return word[i+w:]
	}
	return word
}

func allLetters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// abbreviations never end a sentence, whatever follows. "etc." is not here:
// it often ends one, and a lowercase word after it already prevents a split.
var abbreviations = map[string]bool{
	// French
	"M": true, "MM": true, "Mme": true, "Mmes": true, "Mlle": true, "Mlles": true,
	"Me": true, "Mgr": true, "Dr": true, "Drs": true, "Pr": true, "St": true, "Ste": true,
	"Sts": true, "cf": true, "Cf": true, "ex": true, "av": true, "apr": true, "env": true,
	"éd": true, "coll": true, "dir": true, "trad": true, "op": true, "cit": true,
	"ibid": true, "Ibid": true, "janv": true, "févr": true, "juil": true, "déc": true,
	"Cie": true, "Éd": true,
	// English
	"Mr": true, "Mrs": true, "Ms": true, "Messrs": true, "Jr": true, "Sr": true,
	"Prof": true, "Gen": true, "Gov": true, "Sen": true, "Rep": true, "Lt": true,
	"Col": true, "Sgt": true, "Capt": true, "Mt": true, "Ft": true, "Inc": true,
	"Ltd": true, "Corp": true, "Co": true, "Bros": true, "vs": true, "Vs": true,
	"approx": true, "Approx": true, "Dept": true, "Univ": true, "Assn": true,
}

// numberAbbreviations end no sentence when a number follows: "No. 5",
// "art. 12", "vol. 3", "Jan. 6". Before a capitalised word they may end one.
var numberAbbreviations = map[string]bool{
	"No": true, "Nos": true, "no": true, "nos": true, "n°": true, "N°": true, "nº": true,
	"art": true, "Art": true, "vol": true, "Vol": true, "pp": true, "ch": true,
	"chap": true, "fig": true, "Fig": true, "sept": true, "oct": true, "nov": true,
	"Jan": true, "Feb": true, "Mar": true, "Apr": true, "Jun": true, "Jul": true,
	"Aug": true, "Sep": true, "Sept": true, "Oct": true, "Nov": true, "Dec": true,
	"avr": true, "fév": true,
}

// trim narrows text[start:end] to exclude leading and trailing whitespace.
func trim(text string, start, end int) (int, int) {
	start = skipSpace(text, start, end)
	for end > start {
		r, w := utf8.DecodeLastRuneInString(text[start:end])
		if !unicode.IsSpace(r) {
			break
		}
		end -= w
	}
	return start, end
}

// skipSpace returns the offset of the first non-whitespace rune in
// text[i:end], or end.
func skipSpace(text string, i, end int) int {
	for i < end {
		r, w := utf8.DecodeRuneInString(text[i:end])
		if !unicode.IsSpace(r) {
			return i
		}
		i += w
	}
	return i
}
