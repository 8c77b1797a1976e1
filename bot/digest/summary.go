package digest

import (
	"math"
	"strings"
	"unicode/utf8"

	"github.com/veille/veille/rag/analyze"
	"github.com/veille/veille/rag/chunk"
)

// MaxSummary bounds a summary, in characters (runes).
const MaxSummary = 300

// leadSentences is how many opening sentences compete to summarise an
// article: news puts the story first, so later sentences rarely win and
// often quote context.
const leadSentences = 5

// chromePrefixes start the folded lines that scraping leaves around an
// article and that must never be quoted as its summary.
var chromePrefixes = []string{
	"contenu partenaire", "contenu sponsorise", "publicite", "sponsored", "advertisement",
	"photo", "credit", "©", "(c) ", "illustration", "image :", "getty", "afp photo",
	"par ", "by ", "publie le", "mis a jour", "updated", "published", "lire aussi",
	"a lire aussi", "read more", "read also", "abonnez", "subscribe", "partager", "share",
	"temps de lecture", "reading time", "ecouter", "newsletter",
}

// isChrome reports whether a paragraph or sentence is scraping chrome: a
// credit, byline, partner banner or call to action.
func isChrome(s string) bool {
	f := strings.TrimSpace(analyze.Fold(s))
	for _, p := range chromePrefixes {
		if strings.HasPrefix(f, p) {
			// A long "Par ailleurs, …" sentence is prose, not a byline.
			if (p == "par " || p == "by ") && utf8.RuneCountInString(f) > 60 {
				continue
			}
			return true
		}
	}
	return false
}

// Summary returns an extractive summary of text, at most MaxSummary
// characters: among the first few sentences (chrome skipped), the one most
// similar to the whole text, followed by the next sentence when both fit.
func Summary(text string) string {
	var sents []string
	for _, p := range paragraphs(text) {
		if isChrome(p) {
			continue
		}
		for _, s := range sentences(p) {
			if isChrome(s) || utf8.RuneCountInString(s) < 25 {
				continue
			}
			sents = append(sents, s)
			if len(sents) == leadSentences {
				break
			}
		}
		if len(sents) == leadSentences {
			break
		}
	}
	if len(sents) == 0 {
		return chunk.Clip(strings.Join(strings.Fields(text), " "), MaxSummary)
	}
	whole := termFreq(contentWords(text))
	best, bestScore := 0, -1.0
	for i, s := range sents {
		// A slight lead bias breaks near-ties in favour of the opening; a
		// sentence that would be cut short loses to one that fits.
		score := cosine(termFreq(contentWords(s)), whole) * (1 - 0.05*float64(i))
		if utf8.RuneCountInString(s) > MaxSummary {
			score *= 0.7
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	out := sents[best]
	if best+1 < len(sents) {
		if two := out + " " + sents[best+1]; utf8.RuneCountInString(two) <= MaxSummary {
			out = two
		}
	}
	return chunk.Clip(out, MaxSummary)
}

// termFreq counts stems.
func termFreq(ws []string) map[string]float64 {
	m := make(map[string]float64, len(ws))
	for _, w := range ws {
		m[stem(w)]++
	}
	return m
}

// cosine is the cosine similarity of two term-frequency vectors.
func cosine(a, b map[string]float64) float64 {
	var dot, na, nb float64
	for k, v := range a {
		dot += v * b[k]
		na += v * v
	}
	for _, v := range b {
		nb += v * v
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// sentences returns the sentences of a paragraph, its white space
// normalised, by the one sentence rule of the tree (chunk.Sentences).
func sentences(p string) []string {
	p = strings.Join(strings.Fields(p), " ")
	var out []string
	for _, sp := range chunk.Sentences(p) {
		out = append(out, p[sp.Start:sp.End])
	}
	return out
}
