package answer

import (
	"github.com/veille/veille/rag"
	"sync"

	"github.com/veille/veille/rag/analyze"
)

// Answering reads the best articles' whole texts twice per question (is the
// question covered, which sentences answer it) and the same articles come
// back question after question: their analysis is kept in a small cache.

// analysisCacheSize bounds the articles whose analysis is kept.
const analysisCacheSize = 256

// articleAnalysis is an article's text analysed once.
type articleAnalysis struct {
	tokens []analyze.Token // of the text, with byte offsets
	terms  map[string]bool // of the title and the text
}

// analysisCache maps an article (ID and content hash) to its analysis. It
// forgets everything when full: simple, and the working set of a bot is the
// few articles being asked about.
type analysisCache struct {
	mu sync.Mutex
	m  map[string]*articleAnalysis
}

// analysis returns the analysis of a, from the cache when it is there.
func (c *analysisCache) analysis(a rag.ArticleText) *articleAnalysis {
	key := a.ID + "\x00" + a.Hash
	c.mu.Lock()
	if r, ok := c.m[key]; ok {
		c.mu.Unlock()
		return r
	}
	c.mu.Unlock()
	r := &articleAnalysis{tokens: analyze.Tokens(a.Text, a.Lang), terms: map[string]bool{}}
	for _, t := range analyze.Terms(a.Title, a.Lang) {
		r.terms[t] = true
	}
	for _, t := range r.tokens {
		r.terms[t.Term] = true
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= analysisCacheSize {
		c.m = make(map[string]*articleAnalysis, analysisCacheSize)
	}
	c.m[key] = r
	c.mu.Unlock()
	return r
}
