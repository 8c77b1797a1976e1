package rag

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/veille/veille/rag/analyze"
	"github.com/veille/veille/rag/extract"
	"github.com/veille/veille/rag/question"
)

// Extractive answering. A sentence is worth the idf of the question's terms it
// contains; the answer takes the best few, in reading order, each cited.
const (
	answerArticles = 3   // articles sentences may come from
	passageMaxLen  = 800 // a cited paragraph is cut at a word boundary
	// minCoverage is the share of the question's idf mass the best passage must
	// contain for the answer to count as grounded.
	minCoverage = 0.34
)

// Ask answers question extractively from the best passages: sentences picked
// from retrieved articles, each followed by its [n] citation. When nothing
// relevant enough is indexed the answer says so, in the question's language,
// Grounded is false and Closest lists the nearest articles.
func (ix *Index) Ask(ctx context.Context, question string, opts SearchOptions) (Answer, error) {
	q, err := CheckQuery(question)
	if err != nil {
		return Answer{}, err
	}
	ans, hits, ok, err := ix.ground(ctx, q, q, opts)
	if err != nil || !ok {
		return ans, err
	}
	return ix.extractAnswer(ctx, q, q, hits), nil
}

// ground retrieves passages for retrieval (the question, possibly with a
// rewrite on further lines) and decides whether they are relevant enough to
// answer q. When they are not, ans is the "not covered" answer.
func (ix *Index) ground(ctx context.Context, q, retrieval string, opts SearchOptions) (ans Answer, hits []Hit, ok bool, err error) {
	o := opts
	o.K = max(answerArticles, opts.K)
	hits, err = ix.Search(ctx, retrieval, o)
	if err != nil {
		return Answer{}, nil, false, fmt.Errorf("answer: %w", err)
	}
	if len(hits) > 0 {
		for _, alt := range strings.Split(retrieval, "\n") {
			terms := uniq(analyze.Terms(alt, ""))
			if ix.relevant(hits[0], terms, ix.idfs(terms)) {
				return Answer{Question: q}, hits, true, nil
			}
		}
	}
	return Answer{Question: q, Text: notCovered(analyze.DetectLang(q)), Closest: hits}, hits, false, nil
}

// extractAnswer writes the extractive answer to q from hits: the sentences
// of the best articles that answer it (rag/extract), each cited.
func (ix *Index) extractAnswer(ctx context.Context, q, retrieval string, hits []Hit) Answer {
	if len(hits) > answerArticles {
		hits = hits[:answerArticles]
	}
	qa := question.Analyze(q)
	query := extract.Query{Analysis: qa}
	terms := uniq(analyze.Terms(retrieval, ""))
	ix.mu.RLock()
	docs := make([]extract.Doc, len(hits))
	for i, h := range hits {
		if a := ix.man.Articles[h.ArticleID]; a != nil {
			docs[i] = extract.Doc{Title: a.Title, Text: a.Text, Lang: a.Lang}
		}
	}
	for _, t := range terms {
		// A term no article holds matches no sentence either.
		if ix.lex.DF(t) > 0 {
			query.Groups = append(query.Groups, []string{t})
			query.Weights = append(query.Weights, ix.lex.IDF(t))
		}
	}
	ix.mu.RUnlock()
	picks := extract.Select(query, docs)
	ans := Answer{Question: q}
	if len(picks) == 0 {
		ans.Text = notCovered(qa.Lang)
		ans.Closest = hits
		return ans
	}
	num := map[int]int{} // hit rank → citation number
	var b strings.Builder
	for _, p := range picks {
		n, ok := num[p.Doc]
		if !ok {
			n = len(num) + 1
			num[p.Doc] = n
			h := hits[p.Doc]
			ans.Citations = append(ans.Citations, Citation{
				N: n, ArticleID: h.ArticleID, Title: h.Title, URL: h.URL,
				Source: h.Source, Published: h.Published, Passage: citedPassage(h, docs[p.Doc].Text, p),
			})
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s [%d]", p.Text, n)
	}
	ans.Text = b.String()
	ans.Grounded = true
	return ans
}

// citedPassage is the retrieved passage that holds a picked sentence, or
// else the paragraph of the article around it.
func citedPassage(h Hit, text string, p extract.Pick) string {
	for _, ps := range h.Passages {
		if ps.Start <= p.Start && p.End <= ps.End {
			return ps.Text
		}
	}
	start := strings.LastIndex(text[:p.Start], "\n\n") + 1
	end := p.End
	if i := strings.Index(text[p.End:], "\n\n"); i >= 0 {
		end = p.End + i
	} else {
		end = len(text)
	}
	return clip(strings.TrimSpace(text[max(start, 0):end]), passageMaxLen)
}

// idfs weighs each query term by its BM25 idf in the index.
func (ix *Index) idfs(terms []string) map[string]float64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	w := make(map[string]float64, len(terms))
	for _, t := range terms {
		w[t] = ix.lex.IDF(t)
	}
	return w
}

// relevant reports whether a hit's best passages cover enough of the question.
func (ix *Index) relevant(h Hit, terms []string, w map[string]float64) bool {
	var total, best float64
	for _, t := range terms {
		total += w[t]
	}
	if total == 0 {
		return false
	}
	for _, p := range h.Passages {
		have := set(analyze.Terms(p.Title+"\n"+p.Text, p.Lang))
		var got float64
		for _, t := range terms {
			if have[t] {
				got += w[t]
			}
		}
		best = max(best, got/total)
	}
	return best >= minCoverage
}

// notCovered says, in the question's language, that the articles do not answer.
func notCovered(lang string) string {
	if lang == "en" {
		return "The indexed articles do not answer this question."
	}
	return "Les articles indexés ne permettent pas de répondre à cette question."
}

// clip shortens s to at most n runes, at a word boundary, with an ellipsis.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:") + "…"
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
