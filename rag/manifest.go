package rag

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"
	"unsafe"

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

	// spans are the chunks' offsets in Text, chunk i at spans[i]: kept in
	// memory only (the chunk table stores them), so that a passage is cut
	// from Text without reading chromem-go's document, whose GetByID
	// copies the chunk's vector.
	spans []chunkSpan
}

// chunkSpan is a chunk's byte offsets in its article's text.
type chunkSpan struct{ start, end uint32 }

// chunkText is the text of chunk n, if the article has one.
func (a *storedArticle) chunkText(n int) (start, end int, ok bool) {
	if n < 0 || n >= len(a.spans) {
		return 0, 0, false
	}
	s := a.spans[n]
	if s.start > s.end || int(s.end) > len(a.Text) {
		return 0, 0, false
	}
	return int(s.start), int(s.end), true
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

// The manifest section's payload, from format 8 on (formats 5 to 7 held a
// gob, whose decoding was a third of a load: ~1 s of CPU for 68 MB): every
// string is a uvarint length then its bytes, every number a uvarint, every
// time its MarshalBinary form prefixed by its length:
//
//	version, embedder name, model, dimension, updated, article count,
//	per article (in sorted order): ID, title, URL, source, language,
//	published, first seen, hash, chunks, text, guild count, guilds
//
// Load reads the whole payload into one buffer and every string is a
// substring of it, so that decoding copies no text.

// encode writes m's encoding to w.
func (m *manifest) encode(w io.Writer) error {
	e := manifestEncoder{w: bufio.NewWriterSize(w, 256<<10)}
	e.uint(uint64(m.Version))
	e.string(m.Embedder.Name)
	e.string(m.Embedder.Model)
	e.uint(uint64(m.Embedder.Dim))
	e.time(m.Updated)
	e.uint(uint64(len(m.Articles)))
	for _, a := range m.sorted() {
		for _, s := range []string{a.ID, a.Title, a.URL, a.Source, a.Lang} {
			e.string(s)
		}
		e.time(a.Published)
		e.time(a.FirstSeen)
		e.string(a.Hash)
		e.uint(uint64(a.Chunks))
		e.string(a.Text)
		e.uint(uint64(len(a.Guilds)))
		for _, g := range a.Guilds {
			e.string(g)
		}
	}
	if e.err != nil {
		return e.err
	}
	return e.w.Flush()
}

type manifestEncoder struct {
	w   *bufio.Writer
	buf [binary.MaxVarintLen64]byte
	err error
}

func (e *manifestEncoder) uint(v uint64) {
	if e.err == nil {
		_, e.err = e.w.Write(binary.AppendUvarint(e.buf[:0], v))
	}
}

func (e *manifestEncoder) string(s string) {
	e.uint(uint64(len(s)))
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

func (e *manifestEncoder) time(t time.Time) {
	b, err := t.MarshalBinary()
	if err != nil {
		e.err = err
		return
	}
	e.string(string(b))
}

// decodeManifest decodes a manifest encoding (see encode). Its strings are
// substrings of b, which must not change afterwards: an article whose text
// is dropped from the index keeps b's memory until every other string of b
// is dropped too (the next load or reload).
func decodeManifest(b []byte) (*manifest, error) {
	if len(b) == 0 {
		return nil, errors.New("empty manifest")
	}
	d := manifestDecoder{s: unsafe.String(&b[0], len(b))}
	m := &manifest{Version: int(d.uint())}
	if d.err == nil && m.Version != manifestVersion {
		return nil, fmt.Errorf("manifest version %d, want %d", m.Version, manifestVersion)
	}
	m.Embedder = embed.Identity{Name: d.string(), Model: d.string(), Dim: int(d.uint())}
	m.Updated = d.time()
	n := d.uint()
	// An article takes at least 13 bytes: a bound on what a damaged
	// count can allocate.
	if n > uint64(len(b)/13) {
		return nil, fmt.Errorf("%d articles in %d bytes", n, len(b))
	}
	m.Articles = make(map[string]*storedArticle, n)
	arts := make([]storedArticle, n)
	for i := range arts {
		a := &arts[i]
		a.ID, a.Title, a.URL, a.Source, a.Lang = d.string(), d.string(), d.string(), d.string(), d.string()
		a.Published, a.FirstSeen = d.time(), d.time()
		a.Hash = d.string()
		a.Chunks = int(min(d.uint(), math.MaxInt32))
		a.Text = d.string()
		if g := d.uint(); g > 0 && g <= uint64(len(d.s)) {
			a.Guilds = make([]string, g)
			for j := range a.Guilds {
				a.Guilds[j] = d.string()
			}
		} else if g > 0 {
			d.fail(fmt.Errorf("%d guilds", g))
		}
		if d.err != nil {
			return nil, fmt.Errorf("article %d: %w", i, d.err)
		}
		if _, dup := m.Articles[a.ID]; dup {
			return nil, fmt.Errorf("article %q twice", a.ID)
		}
		m.Articles[a.ID] = a
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.s) != 0 {
		return nil, fmt.Errorf("%d bytes after the last article", len(d.s))
	}
	m.reindex()
	return m, nil
}

// manifestDecoder reads a manifest encoding from s, the first error sticking.
type manifestDecoder struct {
	s   string
	err error
}

func (d *manifestDecoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.s = ""
}

func (d *manifestDecoder) uint() uint64 {
	var v uint64
	for i := 0; i < len(d.s) && i < binary.MaxVarintLen64; i++ {
		c := d.s[i]
		if i == binary.MaxVarintLen64-1 && c > 1 {
			break
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			d.s = d.s[i+1:]
			return v
		}
	}
	d.fail(io.ErrUnexpectedEOF)
	return 0
}

func (d *manifestDecoder) string() string {
	n := d.uint()
	if n > uint64(len(d.s)) {
		d.fail(fmt.Errorf("string of %d bytes, %d left: %w", n, len(d.s), io.ErrUnexpectedEOF))
		return ""
	}
	s := d.s[:n]
	d.s = d.s[n:]
	return s
}

func (d *manifestDecoder) time() time.Time {
	var t time.Time
	b := d.string()
	if d.err != nil {
		return t
	}
	if err := t.UnmarshalBinary([]byte(b)); err != nil {
		d.fail(err)
	}
	return t
}
