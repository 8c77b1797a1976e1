package answer

import (
	"strings"

	"github.com/veille/veille/rag/analyze"
	"github.com/veille/veille/rag/lexicon"
)

// Questions in one language over articles in the other meet through the
// project's bilingual lexicon (rag/lexicon): an English question is searched
// and matched with the French words for its own, and a French one with the
// English words, so that "breach" finds "fuite" offline.

// maxRenderings bounds the translations of one word taken for retrieval:
// the first are the common news senses.
const maxRenderings = 2

// termGroups returns, for each content word of q, the analysed terms that
// count as it: its own, those of its translations into the other language,
// and those of the words its translations translate back to (synonyms in its
// own language, through the other). Phrases the lexicon knows ("phone
// number") form one group.
func termGroups(q string) [][]string {
	lang := analyze.DetectLang(q)
	if lang == "" {
		lang = "fr"
	}
	toks := analyze.Tokens(q, lang)
	words := make([]string, len(toks))
	for i, t := range toks {
		words[i] = q[t.Start:t.End]
	}
	groups := make([][]string, len(toks))
	for i, t := range toks {
		groups[i] = []string{t.Term}
	}
	lex := lexicon.Default()
	other := "en"
	if lang == "en" {
		other = "fr"
		for _, m := range lex.Matches(words) {
			g := groups[m.Start]
			for _, fr := range m.French {
				g = append(g, analyze.Terms(fr, other)...)
				for _, en := range lex.English(fr) {
					g = append(g, analyze.Terms(en, "en")...)
				}
			}
			groups[m.Start] = g
			for j := m.Start + 1; j < m.End; j++ {
				groups[j] = nil // part of the phrase's group
			}
		}
	} else {
		for i, w := range words {
			for _, en := range lex.English(w) {
				groups[i] = append(groups[i], analyze.Terms(en, other)...)
				// Back to French: the synonyms an English word pivots to
				// ("publier" → publish → "mettre en ligne").
				for _, fr := range lex.French(en) {
					groups[i] = append(groups[i], analyze.Terms(fr, "fr")...)
				}
			}
		}
	}
	out := groups[:0]
	seen := map[string]bool{}
	for _, g := range groups {
		if len(g) == 0 || seen[g[0]] {
			continue
		}
		seen[g[0]] = true
		out = append(out, uniq(g))
	}
	return out
}

// translation returns the words of an English question in French (its first
// renderings), as a line to search with, or "" for another question.
func translation(q string) string {
	if analyze.DetectLang(q) != "en" {
		return ""
	}
	toks := analyze.Tokens(q, "en")
	words := make([]string, len(toks))
	for i, t := range toks {
		words[i] = q[t.Start:t.End]
	}
	var out []string
	for _, m := range lexicon.Default().Matches(words) {
		out = append(out, m.French[:min(len(m.French), maxRenderings)]...)
	}
	return strings.Join(out, " ")
}

// translationLine is "\n" + translation(q), or "" when there is none.
func translationLine(q string) string {
	if t := translation(q); t != "" {
		return "\n" + t
	}
	return ""
}
