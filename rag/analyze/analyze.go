// Package analyze turns text into index terms the way every part of Veille
// agrees on: lower-cased, accent-folded, elisions stripped, stop words removed,
// stemmed, identifiers such as CVE-2024-3400 or Lapsus$ kept whole.
//
// The embedder, the BM25 index and the extractive answerer all call it, so a
// question and the passage that answers it meet on the same terms whichever
// part compares them.
package analyze

import (
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/french"
)

// maxTokenBytes bounds a token: longer runs (base64, minified data) are
// noise, not words anyone searches for.
const maxTokenBytes = 128

// Token is one analysed term and where it came from.
type Token struct {
	Term       string // as Terms returns it
	Start, End int    // byte span of the word in the original text
}

// Terms returns the analysed terms of text, in order, duplicates kept.
// lang is an ISO 639-1 code, or "" to detect it.
//
// Words are lower-cased, accent-folded (see Fold) and stemmed with the
// Snowball stemmer of the language (French when lang is neither "fr" nor
// "en" and detection is unsure); French elisions ("l'", "qu'", "jusqu'") and
// stop words are dropped, as are one-letter words. Identifiers are kept whole,
// folded but not stemmed: anything mixing letters and digits (CVE-2024-3400,
// Log4Shell, T1059.001, v1.2.3, APT28), holding _ or $ (Lapsus$, my_tool) or
// written in mixed case (BlackCat, iOS). Numbers are kept, even one digit
// long; other hyphenated words are split ("Saint-Étienne" → saint, etienn).
func Terms(text, lang string) []string {
	out := make([]string, 0, len(text)/12)
	analyze(text, lang, func(term string, _, _ int) { out = append(out, term) })
	if len(out) == 0 {
		return nil
	}
	return out
}

// Tokens is Terms with the byte span of each term's word in text, so a caller
// can find which sentence a term came from.
func Tokens(text, lang string) []Token {
	out := make([]Token, 0, len(text)/12)
	analyze(text, lang, func(term string, start, end int) {
		out = append(out, Token{Term: term, Start: start, End: end})
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

// analyzer holds the state of one analysis.
type analyzer struct {
	text string
	lang string // "fr" or "en"
	emit func(term string, start, end int)
	buf  []byte
	// stems remembers what each plain word gives; nil stems every word
	// afresh (the test comparing the two).
	stems *stemCache
}

func analyze(text, lang string, emit func(term string, start, end int)) {
	a := analyzer{text: text, lang: resolveLang(lang, text), emit: emit}
	a.stems = stemCacheFor(a.lang)
	scan(text, a.token)
}

// scan calls fn with the byte span of every raw token of text: a run of
// letters and digits, with the connectors that belong inside a word or an
// identifier (apostrophes and hyphens between word characters, "_", a "$"
// after a letter, "." and "," between digits).
func scan(text string, fn func(start, end int)) {
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			i += size
			continue
		}
		start := i
		prev := r
		i += size
		for i < len(text) {
			r, size = utf8.DecodeRuneInString(text[i:])
			if isWordRune(r) {
				prev = r
				i += size
				continue
			}
			next, nsize := utf8.DecodeRuneInString(text[i+size:])
			if nsize == 0 {
				next = -1
			}
			ok := false
			switch r {
			case '\'', '’', '‘', 'ʼ':
				ok = unicode.IsLetter(prev) && unicode.IsLetter(next)
			case '-', '‐', '‑', '_':
				ok = isWordRune(next)
			case '.', ',':
				ok = isDigit(prev) && isDigit(next)
			case '$':
				ok = unicode.IsLetter(prev)
			}
			if !ok {
				break
			}
			prev = r
			i += size
		}
		fn(start, i)
	}
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func isDigit(r rune) bool {
	if r < utf8.RuneSelf {
		return '0' <= r && r <= '9'
	}
	return unicode.IsDigit(r)
}

func isApostrophe(r rune) bool {
	return r == '\'' || r == '’' || r == '‘' || r == 'ʼ'
}

// token analyses the raw token text[start:end]: apostrophes split it, and a
// leading French elision is dropped.
func (a *analyzer) token(start, end int) {
	if end-start > maxTokenBytes {
		return
	}
	first := true
	pieceStart := start
	for i := start; i <= end; {
		var r rune
		size := 1
		if i < end {
			r, size = utf8.DecodeRuneInString(a.text[i:end])
		}
		if i == end || isApostrophe(r) {
			if first && i < end && a.isElision(a.text[pieceStart:i]) {
				// "l'", "qu'": the word is what follows.
			} else {
				a.piece(pieceStart, i)
			}
			first = false
			pieceStart = i + size
		}
		i += size
	}
}

func (a *analyzer) isElision(s string) bool {
	a.buf = appendFold(a.buf[:0], s)
	return elisions[string(a.buf)]
}

// piece analyses an apostrophe-free part of a token.
func (a *analyzer) piece(start, end int) {
	if start >= end {
		return
	}
	s := a.text[start:end]
	var hasLetter, hasDigit, special, mixed, sep bool
	prevLower := false
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			hasLetter = true
			if unicode.IsUpper(r) && prevLower {
				mixed = true
			}
			prevLower = unicode.IsLower(r)
			continue
		case isDigit(r):
			hasDigit = true
		case r == '_' || r == '$':
			special = true
		case r == '-' || r == '‐' || r == '‑' || r == '.' || r == ',':
			sep = true
		}
		prevLower = false
	}
	switch {
	case !hasLetter && !hasDigit:
		return // a lone connector cannot happen, but costs nothing to refuse
	case !hasLetter || hasDigit || special || mixed:
		// Numbers and identifiers: whole, folded, not stemmed. Numbers keep
		// even one digit ("3 morts").
		a.emit(string(appendFold(a.buf[:0], s)), start, end)
	case sep:
		partStart := start
		for i, r := range s {
			if r == '-' || r == '‐' || r == '‑' || r == '.' || r == ',' {
				a.word(partStart, start+i)
				partStart = start + i + utf8.RuneLen(r)
			}
		}
		a.word(partStart, end)
	default:
		a.word(start, end)
	}
}

// word analyses a plain word: stop words and one-letter words are dropped,
// the rest stemmed. The stemmer sees the accented word (Snowball's French
// rules read accents), then the stem is folded. What a word gives depends on
// the word and the language only, so it is remembered (stemcache.go).
func (a *analyzer) word(start, end int) {
	if start >= end {
		return
	}
	s := a.text[start:end]
	if a.stems == nil {
		if e := a.stem(s); e.keep {
			a.emit(e.term, start, end)
		}
		return
	}
	e, ok := a.stems.get(s)
	if !ok {
		e = a.stem(s)
		a.stems.put(s, e)
	}
	if e.keep {
		a.emit(e.term, start, end)
	}
}

// stem is word without the cache.
func (a *analyzer) stem(s string) stemEntry {
	a.buf = appendFold(a.buf[:0], s)
	if utf8.RuneCount(a.buf) < 2 || IsStopWord(string(a.buf), a.lang) {
		return stemEntry{}
	}
	var stem string
	if a.lang == "en" {
		stem = english.Stem(string(a.buf), true)
	} else {
		stem = french.Stem(s, true)
	}
	return stemEntry{term: Fold(stem), keep: true}
}
