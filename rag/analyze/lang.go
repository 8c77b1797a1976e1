package analyze

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// detectPrefix bounds the text DetectLang reads: a few sentences decide.
const detectPrefix = 4096

// Words that mark one language and are rare in the other, folded.
var (
	frenchMarkers = wordSet(`le la les des du un une et est dans que qui pour pas sur au aux
avec ce ces il elle ils sont ont une son ses leur nous vous je quel quelle quels quelles
qu l d n s c j sa mais ou par plus comme cette etait ete fait selon apres entre aussi
deux lors depuis dont`)
	englishMarkers = wordSet(`the and of to is in was were for that with by as from what which who
whom how did does do it its this these those are be been has have had an at or not but
when where why his her their they he she we you can will would after also than into
there first`)
)

// DetectLang guesses whether text is French ("fr") or English ("en") from
// its function words and accents; it returns "" when it cannot tell, for
// example for a bare identifier such as "CVE-2024-3400".
func DetectLang(text string) string {
	if len(text) > detectPrefix {
		cut := detectPrefix
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	var fr, en float64
	var buf []byte
	for w := range strings.FieldsFuncSeq(text, notLetter) {
		buf = appendFold(buf[:0], w)
		if frenchMarkers[string(buf)] { // string(buf) as a key does not allocate
			fr++
		}
		if englishMarkers[string(buf)] {
			en++
		}
		if !isLowerASCII(w) && hasFrenchAccent(w) {
			fr += 0.5
		}
	}
	switch {
	case fr > en:
		return "fr"
	case en > fr:
		return "en"
	}
	return ""
}

// notLetter splits words for DetectLang; apostrophes split too, so "l'école"
// yields the marker "l".
func notLetter(r rune) bool { return !unicode.IsLetter(r) }

// hasFrenchAccent reports whether w holds a letter English words lack.
func hasFrenchAccent(w string) bool {
	return strings.ContainsAny(w, "éèêàâùûôîïçœÉÈÊÀÂÙÛÔÎÇŒ")
}

// resolveLang maps lang to "fr" or "en": region subtags and case are
// ignored ("fr-FR", "EN"), "" and other languages are detected from text,
// and French is the default when detection is unsure.
func resolveLang(lang, text string) string {
	if len(lang) >= 2 {
		switch strings.ToLower(lang[:2]) {
		case "fr":
			if len(lang) == 2 || lang[2] == '-' || lang[2] == '_' {
				return "fr"
			}
		case "en":
			if len(lang) == 2 || lang[2] == '-' || lang[2] == '_' {
				return "en"
			}
		}
	}
	if DetectLang(text) == "en" {
		return "en"
	}
	return "fr"
}
