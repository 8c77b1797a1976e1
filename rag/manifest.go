package rag

import (
	"cmp"
	"slices"
	"time"

	"github.com/veille/veille/rag/embed"
)

// manifestVersion changes when the snapshot layout does.
const manifestVersion = 1

// manifest is what an index knows about its articles, beside the vectors.
// It keeps each article's text so that the index can be rebuilt with another
// embedder without the original files.
type manifest struct {
	Version  int
	Embedder embed.Identity
	Updated  time.Time
	Articles map[string]*storedArticle

	urls   map[string]string // canonical URL → article ID
	hashes map[string]string // content hash → article ID
}

type storedArticle struct {
	ID        string
	Title     string
	URL       string
	Source    string
	Lang      string
	Published time.Time
	FirstSeen time.Time
	Hash      string
	Chunks    int
	Text      string
	// Guilds are the Discord servers that added the article, sorted; empty
	// for the operator's. A field gob leaves empty in a snapshot written
	// before it existed: those articles read as the operator's, as they
	// were then seen by every server.
	Guilds []string
}

func newManifest(id embed.Identity) *manifest {
	m := &manifest{Version: manifestVersion, Embedder: id, Articles: map[string]*storedArticle{}}
	m.reindex()
	return m
}

// reindex rebuilds the lookup maps after decoding.
func (m *manifest) reindex() {
	m.urls = make(map[string]string, len(m.Articles))
	m.hashes = make(map[string]string, len(m.Articles))
	for id, a := range m.Articles {
		if a.URL != "" {
			m.urls[a.URL] = id
		}
		m.hashes[a.Hash] = id
	}
}

func (m *manifest) byURL(u string) (string, bool) {
	id, ok := m.urls[u]
	return id, ok
}

func (m *manifest) byHash(h string) (string, bool) {
	id, ok := m.hashes[h]
	return id, ok
}

func (m *manifest) put(a *storedArticle) {
	if prev := m.Articles[a.ID]; prev != nil {
		m.drop(prev)
	}
	m.Articles[a.ID] = a
	if a.URL != "" {
		m.urls[a.URL] = a.ID
	}
	m.hashes[a.Hash] = a.ID
}

func (m *manifest) drop(a *storedArticle) {
	if m.urls[a.URL] == a.ID {
		delete(m.urls, a.URL)
	}
	if m.hashes[a.Hash] == a.ID {
		delete(m.hashes, a.Hash)
	}
}

func (a *storedArticle) info() ArticleInfo {
	return ArticleInfo{
		ID: a.ID, Title: a.Title, URL: a.URL, Source: a.Source, Lang: a.Lang,
		Published: a.Published, FirstSeen: a.FirstSeen, Chunks: a.Chunks,
	}
}

// sorted returns the articles newest first (published, else first seen), then by ID.
func (m *manifest) sorted() []*storedArticle {
	out := make([]*storedArticle, 0, len(m.Articles))
	for _, a := range m.Articles {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *storedArticle) int {
		if c := b.when().Compare(a.when()); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// when is the time an article is dated by: published, else first seen.
func (a *storedArticle) when() time.Time {
	if !a.Published.IsZero() {
		return a.Published
	}
	return a.FirstSeen
}

// mainLang is the language most articles are in ("" when empty).
func (m *manifest) mainLang() string {
	count := map[string]int{}
	best := ""
	for _, a := range m.Articles {
		count[a.Lang]++
		if a.Lang != "" && (best == "" || count[a.Lang] > count[best]) {
			best = a.Lang
		}
	}
	return best
}
