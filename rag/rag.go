// Package rag stores and retrieves: the Index (the only user of chromem-go)
// with its snapshot on disk and the writer's lock, and search over it
// (vectors and BM25 fused). It also holds the result types every face of
// Veille shares (Hit, Answer, Citation…). Answers are written above it, in
// rag/answer.
package rag

import (
	"strings"
	"time"
)

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
	// Scope keeps only the articles one Discord server may see (GuildScope);
	// the zero value keeps every article.
	Scope Scope

	// FromQuestion marks a date filter read from the question ("en 2020"),
	// not asked for. Undated articles do not pass it (nothing says they
	// fall in the period) unless Undated is set.
	FromQuestion bool
	// Undated lets undated articles through a filter read from the
	// question: the second try of one that names an event's year, when no
	// article dated in the range answers.
	Undated bool
}

// Filter returns the date filter opts apply, nil when none.
func (o SearchOptions) Filter() *DateFilter {
	if o.Since.IsZero() && o.Until.IsZero() {
		return nil
	}
	return &DateFilter{Since: o.Since, Until: o.Until, FromQuestion: o.FromQuestion, Undated: o.Undated}
}

// DateFilter is a date range an answer or a search was restricted to.
type DateFilter struct {
	Since time.Time // zero: no lower bound
	Until time.Time // exclusive; zero: no upper bound
	// FromQuestion is true when the range was read from the question
	// ("en mars 2024") rather than asked for with a flag or option.
	FromQuestion bool
	// Undated is true when undated articles were let through as well: the
	// question names the year of an event ("en 2010") and no article
	// dated in the range answered it.
	Undated bool
}

// Describe says, in one short line in lang ("fr" or "en"), which articles
// the filter kept.
func (f *DateFilter) Describe(lang string) string {
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	last := f.Until.Add(-time.Nanosecond)
	var span string
	switch {
	case lang == "en" && !f.Since.IsZero() && !f.Until.IsZero():
		span = "published from " + day(f.Since) + " to " + day(last)
	case lang == "en" && !f.Since.IsZero():
		span = "published since " + day(f.Since)
	case lang == "en":
		span = "published up to " + day(last)
	case !f.Since.IsZero() && !f.Until.IsZero():
		span = "publiés du " + day(f.Since) + " au " + day(last)
	case !f.Since.IsZero():
		span = "publiés depuis le " + day(f.Since)
	default:
		span = "publiés jusqu’au " + day(last)
	}
	switch {
	case lang == "en" && f.Undated:
		return "No article " + span + " answers; undated articles are quoted (date read from the question)."
	case lang == "en" && f.FromQuestion:
		return "Only articles " + span + " (read from the question)."
	case lang == "en":
		return "Only articles " + span + "."
	case f.Undated:
		return "Aucun article " + strings.Replace(span, "publiés", "publié", 1) + " ne répond ; des articles non datés sont cités (date lue dans la question)."
	case f.FromQuestion:
		return "Seuls les articles " + span + " sont retenus (d’après la question)."
	}
	return "Seuls les articles " + span + " sont retenus."
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
	// that the model was down and the answer is extractive, or that it
	// quotes sources in another language; often empty.
	Note string
	// Filter is the date filter the articles were restricted to; nil when
	// none. Filter.Describe says it to the reader.
	Filter *DateFilter
}

// CitedArticles returns the article IDs of the answer's citations, in order.
func (a Answer) CitedArticles() []string {
	ids := make([]string, len(a.Citations))
	for i, c := range a.Citations {
		ids[i] = c.ArticleID
	}
	return ids
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
