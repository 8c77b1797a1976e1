package article

import (
	"strings"
	"unicode"
)

// frWords and enWords are frequent function words of one language that are not
// words of the other ("a", "on", "an", "or", "plus" are left out for that).
var frWords = setOf("le", "la", "les", "des", "du", "de", "un", "une", "et", "est", "sont", "dans",
	"pour", "sur", "avec", "ce", "cette", "ces", "qui", "que", "qu", "ne", "pas", "au", "aux",
	"il", "elle", "ils", "elles", "nous", "vous", "leur", "leurs", "sa", "ses", "été", "être",
	"ont", "mais", "ou", "où", "comme", "d", "l", "selon", "aussi", "entre", "très", "sans",
	"depuis", "lors", "avait", "était", "fait", "peut")

var enWords = setOf("the", "of", "and", "to", "is", "are", "was", "were", "in", "that", "this",
	"with", "for", "from", "by", "be", "been", "has", "have", "had", "it", "its", "which", "not",
	"but", "they", "their", "he", "she", "we", "you", "will", "would", "said", "than", "these",
	"those", "who", "there", "what", "when", "after", "about", "into", "can", "also")

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// DetectLang returns "fr" or "en" from the share of French and English
// function words in text, or "" when unsure: too few of them, too low a
// share of the words (another language), or no clear winner. It reads at most
// the first 2,000 words, so it is fast on long texts, and is deterministic.
func DetectLang(text string) string {
	const maxWords = 2000
	var words, fr, en int
	var w strings.Builder
	flush := func() {
		if w.Len() == 0 {
			return
		}
		words++
		s := w.String()
		if frWords[s] {
			fr++
		} else if enWords[s] {
			en++
		}
		w.Reset()
	}
	for _, r := range text {
		if unicode.IsLetter(r) {
			w.WriteRune(unicode.ToLower(r))
			continue
		}
		flush()
		if words >= maxWords {
			break
		}
	}
	flush()
	hits := max(fr, en)
	switch {
	case fr+en < 2, hits*100 < words*15:
		return ""
	case fr >= 2*en:
		return "fr"
	case en >= 2*fr:
		return "en"
	}
	return ""
}
