package rag

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/veille/veille/rag/analyze"
	"github.com/veille/veille/rag/chunk"
)

// Extractive answering. A sentence is worth the idf of the question's terms it
// contains; the answer takes the best few, in reading order, each cited.
const (
	answerArticles  = 3    // articles sentences may come from
	answerSentences = 3    // sentences in an answer at most
	answerMaxChars  = 1000 // answer length budget
	sentenceMaxLen  = 400  // a longer sentence is cut at a word boundary
	// minShare drops a sentence scoring under this share of the best one.
	// Budget and share were measured on ../shared/eval (answer_recall 0.676
	// → 0.704 at about the same mean length; see BENCHMARKS.md).
	minShare = 0.5
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

// extractAnswer writes the extractive answer to q from hits.
func (ix *Index) extractAnswer(ctx context.Context, q, retrieval string, hits []Hit) Answer {
	terms := uniq(analyze.Terms(retrieval, ""))
	return ix.extract(Answer{Question: q}, hits, terms, ix.idfs(terms), analyze.DetectLang(q))
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

type candidate struct {
	hit, passage int // ranks
	start        int // byte offset in the article
	text         string
	score        float64
}

func (ix *Index) extract(ans Answer, hits []Hit, terms []string, w map[string]float64, lang string) Answer {
	if len(hits) > answerArticles {
		hits = hits[:answerArticles]
	}
	var cands []candidate
	seen := map[string]bool{}
	for hi, h := range hits {
		for pi, p := range h.Passages {
			for _, sp := range chunk.Sentences(p.Text) {
				s := strings.TrimSpace(p.Text[sp.Start:sp.End])
				if s == "" || seen[s] {
					continue
				}
				seen[s] = true
				have := set(analyze.Terms(s, p.Lang))
				var score float64
				for _, t := range terms {
					if have[t] {
						score += w[t]
					}
				}
				if score == 0 {
					continue
				}
				// Prefer the better-ranked articles, lightly.
				score *= 1 - 0.1*float64(hi)
				cands = append(cands, candidate{hit: hi, passage: pi, start: p.Start + sp.Start, text: s, score: score})
			}
		}
	}
	if len(cands) == 0 {
		ans.Text = notCovered(lang)
		ans.Closest = hits
		return ans
	}
	slices.SortStableFunc(cands, func(a, b candidate) int { return cmp.Compare(b.score, a.score) })
	var picked []candidate
	budget := answerMaxChars
	for _, c := range cands {
		if len(picked) == answerSentences || budget <= 0 {
			break
		}
		if len(picked) > 0 && c.score < picked[0].score*minShare {
			break
		}
		c.text = clip(c.text, sentenceMaxLen)
		if len(picked) > 0 && utf8.RuneCountInString(c.text) > budget {
			continue
		}
		budget -= utf8.RuneCountInString(c.text)
		picked = append(picked, c)
	}
	// Reading order: by article rank, then position in the article.
	slices.SortFunc(picked, func(a, b candidate) int {
		if c := cmp.Compare(a.hit, b.hit); c != 0 {
			return c
		}
		return cmp.Compare(a.start, b.start)
	})
	num := map[int]int{} // hit rank → citation number
	var b strings.Builder
	for _, c := range picked {
		n, ok := num[c.hit]
		if !ok {
			n = len(num) + 1
			num[c.hit] = n
			h := hits[c.hit]
			ans.Citations = append(ans.Citations, Citation{
				N: n, ArticleID: h.ArticleID, Title: h.Title, URL: h.URL,
				Source: h.Source, Published: h.Published, Passage: h.Passages[c.passage].Text,
			})
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s [%d]", c.text, n)
	}
	ans.Text = b.String()
	ans.Grounded = true
	return ans
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
