// Package rag is Veille's retrieval-augmented core: the Index (the only user
// of chromem-go), search over it, and cited answers built from what was
// retrieved.
package rag

import (
	"errors"
	"time"
)

// ErrNoRelevantSources reports that nothing indexed is relevant enough to answer.
var ErrNoRelevantSources = errors.New("no relevant sources")

// Passage is one retrieved chunk of an article, with its provenance.
type Passage struct {
	ArticleID string
	Title     string
	URL       string
	Source    string
	Lang      string
	Published time.Time // zero when unknown
	ChunkID   string
	Start     int // byte offset of Text in the article's text
	End       int
	Text      string
	Score     float64 // fused rank score: higher is better, comparable within one search
	Dense     float64 // cosine similarity to the query; 0 when not a vector candidate
	Lexical   float64 // BM25 score; 0 when no query term matched
}

// Hit is one article found by a search, best passages first.
type Hit struct {
	ArticleID string
	Title     string
	URL       string
	Source    string
	Published time.Time
	Score     float64
	Passages  []Passage
}

// SearchOptions narrows and sizes a search. The zero value means defaults.
type SearchOptions struct {
	K      int       // articles wanted; 0 means 5
	Source string    // keep only this source (case-insensitive); "" means all
	Since  time.Time // keep only articles published at or after; zero means all
	Until  time.Time // keep only articles published before; zero means no bound
	// Retriever picks the ranking: "" or "hybrid" (default), "dense" or
	// "lexical"; "chromem" is dense through chromem-go's own exhaustive scan.
	// The single ones exist to measure the hybrid against.
	Retriever string
	// Context is the earlier conversation (question and answer) of a follow-up;
	// it helps retrieval understand "et Meta ?" but is never quoted.
	Context string

	// inferred marks a date filter read from the question ("en 2020"), not
	// asked for: it lets undated articles through, since nothing says they
	// fall outside the period.
	inferred bool
}

// Citation is one numbered source of an answer, always a retrieved passage.
type Citation struct {
	N         int
	ArticleID string
	Title     string
	URL       string
	Source    string
	Published time.Time
	Passage   string
}

// Answer is a reply to a question with the sources its [n] markers point at.
type Answer struct {
	Question string
	Text     string // sentences carrying [n] markers
	// Grounded is false when no source was relevant enough; Text then says so
	// and Closest lists the nearest articles.
	Grounded  bool
	Citations []Citation
	Closest   []Hit
	// Generated is true when a language model wrote Text (its citations
	// checked), false for an extractive answer.
	Generated bool
	// Note tells the reader something about how the answer was made, e.g.
	// that the model was down and the answer is extractive; often empty.
	Note string
}

// ArticleInfo describes one indexed article without its text.
type ArticleInfo struct {
	ID        string
	Title     string
	URL       string
	Source    string
	Lang      string
	Published time.Time // zero when unknown
	FirstSeen time.Time // when it was first indexed
	Chunks    int
}

// Stats summarises what an index holds.
type Stats struct {
	Articles   int
	Chunks     int
	Sources    map[string]int // articles per source
	Newest     time.Time      // newest published time
	LastIngest time.Time
	Embedder   string // name/model/dimension of the embedder that built the index
}
