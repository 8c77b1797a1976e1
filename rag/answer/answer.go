package answer

import (
	"context"
	"fmt"
	"github.com/veille/veille/rag"
	"strings"
	"unicode"

	"github.com/veille/veille/rag/analyze"
	"github.com/veille/veille/rag/chunk"
	"github.com/veille/veille/rag/extract"
	"github.com/veille/veille/rag/lexicon"
	"github.com/veille/veille/rag/question"
)

// Extractive answering. A sentence is worth the idf of the question's terms it
// contains; the answer takes the best few, in reading order, each cited.
const (
	answerArticles = 3   // articles sentences may come from
	passageMaxLen  = 800 // runes of a cited paragraph kept before the ellipsis of a cut at a word boundary
	// minCoverage is the share of the question's idf mass the best passage must
	// contain for the answer to count as grounded.
	minCoverage = 0.34
)

// ground retrieves passages for retrieval (the question, possibly with a
// rewrite or a translation on further lines) and decides whether they are
// relevant enough to answer q. When they are not, ans is the "not covered"
// answer.
func (e *Engine) ground(ctx context.Context, q, retrieval string, opts rag.SearchOptions) (ans rag.Answer, hits []rag.Hit, ok bool, err error) {
	o := opts
	o.K = max(answerArticles, opts.K)
	hits, err = e.ix.Search(ctx, retrieval, o)
	if err != nil {
		return rag.Answer{}, nil, false, fmt.Errorf("answer: %w", err)
	}
	if len(hits) > 0 && e.covers(q, retrieval, hits) {
		return rag.Answer{Question: q}, hits, true, nil
	}
	// A question in another language than the articles' is tried again
	// with the lexicon's translation of its words.
	if tr := translationLine(q); tr != "" && !strings.Contains(retrieval, "\n") {
		more, err := e.ix.Search(ctx, retrieval+tr, o)
		if err != nil {
			return rag.Answer{}, nil, false, fmt.Errorf("answer: %w", err)
		}
		if len(more) > 0 && e.covers(q, retrieval+tr, more) {
			return rag.Answer{Question: q}, more, true, nil
		}
	}
	return rag.Answer{Question: q, Text: notCovered(analyze.DetectLang(q)), Closest: hits}, hits, false, nil
}

// covers reports whether one of the best articles holds enough of the
// question: minCoverage of its terms' idf mass (a term or one of its
// translations). And every name the question is about ("Okta", "France
// Travail") must be in one of them: a question about a name the articles
// do not give is about something the index does not have.
func (e *Engine) covers(q, retrieval string, hits []rag.Hit) bool {
	groups := queryGroups(q, retrieval)
	lang := analyze.DetectLang(q)
	var arts []rag.ArticleText
	for _, h := range hits[:min(len(hits), answerArticles)] {
		if a, ok := e.ix.ArticleText(h.ArticleID); ok {
			arts = append(arts, a)
		}
	}
	terms := make([]map[string]bool, len(arts))
	for i, a := range arts {
		terms[i] = e.analyses.analysis(a).terms
	}
	for _, name := range question.Analyze(q).Names {
		if !nameIn(name, arts, terms) {
			return false
		}
	}
	weights := make([]float64, len(groups))
	known := make([]bool, len(groups)) // some article holds the group
	for i, g := range groups {
		_, weights[i] = e.ix.TermWeight(g[0])
		for j, t := range g {
			if df, idf := e.ix.TermWeight(t); df > 0 {
				if !known[i] && j > 0 {
					weights[i] = idf
				}
				known[i] = true
				break
			}
		}
	}
	for ai, a := range arts {
		var got, total float64
		for i, g := range groups {
			// Over an article in another language, a word no article
			// holds is one the lexicon could not translate: no evidence
			// either way.
			if !known[i] && lang != "" && a.Lang != "" && lang != a.Lang {
				continue
			}
			total += weights[i]
			for _, t := range g {
				if terms[ai][t] {
					got += weights[i]
					break
				}
			}
		}
		if total > 0 && got/total >= minCoverage {
			return true
		}
	}
	return false
}

// nameIn reports whether one of arts (with their term sets) gives a name: a
// name of several words as a phrase, a single word as a term in either
// language or one of its lexicon renderings. Names with digits (M365,
// versions) and of under three letters are not judged.
func nameIn(name string, arts []rag.ArticleText, terms []map[string]bool) bool {
	if len([]rune(name)) < 3 || strings.IndexFunc(name, unicode.IsDigit) >= 0 {
		return true
	}
	if words := strings.Fields(name); len(words) > 1 {
		if allCaps(words) {
			// A run of acronyms ("CVE CLFS") is several names.
			for _, w := range words {
				if !nameIn(w, arts, terms) {
					return false
				}
			}
			return true
		}
		// "Porsche Hans Herrmann" is given by "Hans Herrmann"; "France
		// Travail" is not by "France" and "travail" apart.
		for _, a := range arts {
			text := " " + analyze.PlainWords(a.Title+" "+a.Text) + " "
			for i := 0; i+1 < len(words); i++ {
				if strings.Contains(text, " "+analyze.PlainWords(words[i]+" "+words[i+1])+" ") {
					return true
				}
			}
		}
		return false
	}
	// "Indian" is given by "India": a long name's first five letters will
	// do, whatever the stemmer made of either.
	if f := []rune(analyze.Fold(name)); len(f) >= 5 {
		prefix := string(f[:5])
		for _, have := range terms {
			for t := range have {
				if strings.HasPrefix(t, prefix) {
					return true
				}
			}
		}
	}
	forms := []string{name}
	forms = append(forms, lexicon.Default().French(name)...)
	forms = append(forms, lexicon.Default().English(name)...)
	for _, f := range forms {
		for _, lang := range []string{"fr", "en"} {
			for _, t := range analyze.Terms(f, lang) {
				for _, have := range terms {
					if have[t] {
						return true
					}
				}
			}
		}
	}
	return false
}

func allCaps(words []string) bool {
	for _, w := range words {
		if strings.ToUpper(w) != w {
			return false
		}
	}
	return true
}

// queryGroups returns the term groups of q (see termGroups) and one group
// for each further term of the other lines of retrieval (a rewrite, a
// translation).
func queryGroups(q, retrieval string) [][]string {
	groups := termGroups(q)
	seen := map[string]bool{}
	for _, g := range groups {
		for _, t := range g {
			seen[t] = true
		}
	}
	lines := strings.Split(retrieval, "\n")
	for _, line := range lines[1:] {
		for _, t := range analyze.Terms(line, "") {
			if !seen[t] {
				seen[t] = true
				groups = append(groups, []string{t})
			}
		}
	}
	return groups
}

// extractAnswer writes the extractive answer to q from hits: the sentences
// of the best articles that answer it (rag/extract), each cited.
func (e *Engine) extractAnswer(ctx context.Context, q, retrieval string, hits []rag.Hit) rag.Answer {
	if len(hits) > answerArticles {
		hits = hits[:answerArticles]
	}
	query, docs := e.extractInputs(q, retrieval, hits)
	qa := query.Analysis
	picks := extract.Select(query, docs)
	ans := rag.Answer{Question: q}
	if len(picks) == 0 {
		ans.Text = notCovered(qa.Lang)
		ans.Closest = hits
		return ans
	}
	quotes := make([]quote, len(picks))
	for i, p := range picks {
		quotes[i] = quote{hit: p.Doc, text: p.Text, passage: citedPassage(hits[p.Doc], docs[p.Doc].Text, p)}
	}
	num := writeQuotes(&ans, hits, quotes)
	ans.Note = quotingNote(qa.Lang, hits, num)
	return ans
}

// quotingNote tells the asker, in the question's language, that the answer
// quotes articles written in another language; "" when it does not.
func quotingNote(lang string, hits []rag.Hit, cited map[int]int) string {
	other := ""
	for i := range cited {
		for _, p := range hits[i].Passages {
			if p.Lang != "" && p.Lang != lang {
				other = p.Lang
			}
		}
	}
	if other == "" {
		return ""
	}
	names := map[string]map[string]string{
		"en": {"fr": "French", "en": "English"},
		"fr": {"fr": "en français", "en": "en anglais"},
	}
	if lang == "en" {
		if n := names["en"][other]; n != "" {
			return "This answer quotes " + n + " sources."
		}
		return "This answer quotes sources in another language."
	}
	if n := names["fr"][other]; n != "" {
		return "Cette réponse cite des sources " + n + "."
	}
	return "Cette réponse cite des sources dans une autre langue."
}

// joinNotes joins non-empty notes with a space.
func joinNotes(notes ...string) string {
	var out []string
	for _, n := range notes {
		if n != "" {
			out = append(out, n)
		}
	}
	return strings.Join(out, " ")
}

// extractInputs prepares the question and the articles of hits for
// rag/extract.
func (e *Engine) extractInputs(q, retrieval string, hits []rag.Hit) (extract.Query, []extract.Doc) {
	query := extract.Query{Analysis: question.Analyze(q)}
	groups := queryGroups(q, retrieval)
	docs := make([]extract.Doc, len(hits))
	for i, h := range hits {
		if a, ok := e.ix.ArticleText(h.ArticleID); ok {
			docs[i] = extract.Doc{Title: a.Title, Text: a.Text, Lang: a.Lang, Tokens: e.analyses.analysis(a).tokens}
			for _, p := range h.Passages {
				docs[i].Passages = append(docs[i].Passages, [2]int{p.Start, p.End})
			}
		}
	}
	for _, g := range groups {
		// A term no article holds matches no sentence either.
		// A group weighs what its own term weighs; a translation only
		// when the term itself is in no article.
		var w float64
		var kept []string
		for i, t := range g {
			if df, idf := e.ix.TermWeight(t); df > 0 {
				kept = append(kept, t)
				if i == 0 || w == 0 {
					w = idf
				}
			}
		}
		if len(kept) > 0 {
			query.Groups = append(query.Groups, kept)
			query.Weights = append(query.Weights, w)
		}
	}
	return query, docs
}

// quote is one sentence of an extractive answer: its text, the rank of the
// hit it comes from, and the passage its citation shows.
type quote struct {
	hit           int
	text, passage string
}

// writeQuotes sets ans's text to the quotes, each followed by its article's
// [n] (numbered by first quote), and its citations, and marks it grounded.
// It returns the citation number of each quoted hit rank.
func writeQuotes(ans *rag.Answer, hits []rag.Hit, quotes []quote) map[int]int {
	num := map[int]int{}
	parts := make([]string, 0, len(quotes))
	for _, q := range quotes {
		n, ok := num[q.hit]
		if !ok {
			n = len(num) + 1
			num[q.hit] = n
			h := hits[q.hit]
			ans.Citations = append(ans.Citations, rag.Citation{
				N: n, ArticleID: h.ArticleID, Title: h.Title, URL: h.URL,
				Source: h.Source, Published: h.Published, Passage: q.passage,
			})
		}
		parts = append(parts, fmt.Sprintf("%s [%d]", q.text, n))
	}
	ans.Text = strings.Join(parts, " ")
	ans.Grounded = true
	return num
}

// citedPassage is the retrieved passage that holds a picked sentence, or
// else the paragraph of the article around it.
func citedPassage(h rag.Hit, text string, p extract.Pick) string {
	for _, ps := range h.Passages {
		if ps.Start <= p.Start && p.End <= ps.End {
			return ps.Text
		}
	}
	start := strings.LastIndex(text[:p.Start], "\n\n") + 1
	end := len(text)
	if i := strings.Index(text[p.End:], "\n\n"); i >= 0 {
		end = p.End + i
	}
	return chunk.Clip(strings.TrimSpace(text[start:end]), passageMaxLen+1)
}

// notCovered says, in the question's language, that the articles do not answer.
func notCovered(lang string) string {
	if lang == "en" {
		return "The indexed articles do not answer this question."
	}
	return "Les articles indexés ne permettent pas de répondre à cette question."
}

func uniq(ss []string) []string {
	seen := map[string]bool{}
	out := ss[:0:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func set(ss []string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}
