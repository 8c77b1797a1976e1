package embed

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/veille/veille/rag/analyze"
)

// DefaultDim is the vector length of the built-in embedder, chosen on the
// retrieval eval (see eval_test.go): past it, recall barely moves while the
// index keeps growing.
const DefaultDim = 1024

// Dimension bounds of NewLocal.
const (
	MinDim = 64
	MaxDim = 8192
)

// localModel names the feature set and weights of Local. Change it whenever
// a change to this file or to package analyze moves any vector, so that old
// indexes are refused instead of silently compared with new vectors.
const localModel = "hash-v1"

// weights says how much each family of features counts. Each family is
// hashed into the same vector.
type weights struct {
	word   float32 // analysed terms (stems, identifiers)
	bigram float32 // pairs of consecutive terms
	ngram  float32 // character n-grams of each folded word, per word
	minN   int     // n-gram lengths, boundary markers included
	maxN   int
	caps   float32 // extra weight of a term written with a capital (names)
	long   float32 // extra weight per byte of term beyond 4 (rarer words)
	common float32 // weight factor of common words (see commonTerms); 0 means 1
	title  float32 // extra weight of the terms of a leading title line
}

// maxTitle bounds what counts as a title: a first paragraph, before a blank
// line, no longer than this (the index embeds title + "\n\n" + chunk).
const maxTitle = 200

// Weights chosen on the eval: see eval_test.go and the package README notes
// in the doc comment of Local.
var (
	defaultDocWeights   = weights{word: 1, bigram: 0.5, ngram: 0.5, minN: 3, maxN: 5}
	defaultQueryWeights = weights{word: 1, bigram: 0.5, ngram: 0.5, minN: 3, maxN: 5}
)

// Local is the built-in embedder: it needs no network, no model file and no
// warm-up, and gives the same vector for the same text in every process.
//
// A text is analysed (analyze.Tokens: folding, elisions, stop words,
// stemming, identifiers kept whole) and three families of features are
// hashed into one vector with a sign bit (feature hashing): the terms, with
// sublinear weight 1+ln(tf); pairs of consecutive terms, for phrases; and
// the character 3- to 5-grams of each folded word between boundary markers,
// normalised per word, which let "jumelée" meet "jumelage" and survive
// typos. The vector is L2-normalised. Terms are weighted the same in every
// text: there is no corpus statistic (idf) to learn or to go stale.
//
// A text with nothing to analyse (empty, only stop words or punctuation)
// embeds to the unit vector along the first axis rather than to zero, so
// cosine similarity stays defined; it is near-orthogonal to real texts.
//
// Local is immutable and safe for concurrent use.
type Local struct {
	dim   int
	doc   weights
	query weights
	pool  sync.Pool // *scratch
}

// scratch holds the per-call buffers, reused across calls.
type scratch struct {
	terms  map[uint64]termStat
	pairs  map[uint64]int32
	words  map[string]termStat
	fold   []byte
	acc    []float64
	hashes []uint64
}

// NewLocal returns the built-in embedder producing vectors of length dim,
// a power of two in [MinDim, MaxDim].
func NewLocal(dim int) (*Local, error) {
	return newLocal(dim, defaultDocWeights, defaultQueryWeights)
}

func newLocal(dim int, doc, query weights) (*Local, error) {
	if dim < MinDim || dim > MaxDim || dim&(dim-1) != 0 {
		return nil, fmt.Errorf("new local embedder: dimension %d is not a power of two in [%d, %d]", dim, MinDim, MaxDim)
	}
	return &Local{dim: dim, doc: doc, query: query}, nil
}

// Identity returns "local", the model version and the dimension.
func (l *Local) Identity() Identity {
	return Identity{Name: "local", Model: localModel, Dim: l.dim}
}

// EmbedDocument returns the unit vector of a passage to index.
func (l *Local) EmbedDocument(ctx context.Context, text string) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embed document: %w", err)
	}
	return l.embed(text, &l.doc), nil
}

// EmbedQuery returns the unit vector of a question or search query.
func (l *Local) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	return l.embed(text, &l.query), nil
}

// EmbedDocuments embeds texts in order, checking ctx between texts.
func (l *Local) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("embed %d documents: stopped at %d: %w", len(texts), i, err)
		}
		out[i] = l.embed(t, &l.doc)
	}
	return out, nil
}

func (l *Local) getScratch() *scratch {
	if s, ok := l.pool.Get().(*scratch); ok {
		return s
	}
	return &scratch{
		terms: make(map[uint64]termStat, 128),
		pairs: make(map[uint64]int32, 128),
		words: make(map[string]termStat, 128),
		acc:   make([]float64, l.dim),
	}
}

// Seeds separate the feature families in hash space.
const (
	seedTerm  uint64 = 0x9e3779b97f4a7c15
	seedPair  uint64 = 0xc2b2ae3d27d4eb4f
	seedNgram uint64 = 0x165667b19e3779f9
)

func (l *Local) embed(text string, w *weights) []float32 {
	s := l.getScratch()
	defer l.pool.Put(s)
	clear(s.terms)
	clear(s.pairs)
	clear(s.words)
	clear(s.acc)

	toks := analyze.Tokens(text, "")
	titleEnd := 0
	if w.title != 0 {
		if i := strings.Index(text, "\n\n"); i >= 0 && i <= maxTitle {
			titleEnd = i
		}
	}
	var prev uint64
	for i, t := range toks {
		h := hashString(seedTerm, t.Term)
		surface := text[t.Start:t.End]
		boost := w.boost(t.Term, surface)
		if t.Start < titleEnd {
			boost += w.title
		}
		st := s.terms[h]
		st.tf++
		st.boost = max(st.boost, boost)
		s.terms[h] = st
		if i > 0 && w.bigram != 0 {
			s.pairs[mix(prev^seedPair, h)]++
		}
		prev = h
		if w.ngram != 0 {
			ws := s.words[surface]
			ws.tf++
			ws.boost = max(ws.boost, boost)
			s.words[surface] = ws
		}
	}
	for h, st := range s.terms {
		s.add(h, w.word*sublinear(st.tf)*st.boost)
	}
	for h, tf := range s.pairs {
		s.add(h, w.bigram*sublinear(tf))
	}
	for word, ws := range s.words {
		s.fold = append(s.fold[:0], '<')
		s.fold = analyze.AppendFold(s.fold, word)
		s.fold = append(s.fold, '>')
		s.hashes = ngrams(s.hashes[:0], s.fold, w.minN, w.maxN)
		if len(s.hashes) == 0 {
			continue
		}
		per := w.ngram * ws.boost * sublinear(ws.tf) / float32(math.Sqrt(float64(len(s.hashes))))
		for _, h := range s.hashes {
			s.add(h, per)
		}
	}
	return normalize(s.acc, l.dim)
}

type termStat struct {
	tf    int32
	boost float32
}

// boost returns the weight factor of a term from its surface form.
func (w *weights) boost(term, surface string) float32 {
	b := float32(1)
	if w.caps != 0 && surface != "" {
		if r, _ := utf8.DecodeRuneInString(surface); unicode.IsUpper(r) {
			b += w.caps
		}
	}
	if w.long != 0 && len(term) > 4 {
		b += w.long * float32(min(len(term), 12)-4)
	}
	if w.common != 0 && commonTerms[term] {
		b *= w.common
	}
	return b
}

// add hashes one feature into the accumulator: the low bits pick the
// coordinate, the top bit the sign, so collisions cancel out on average
// instead of piling up.
func (s *scratch) add(h uint64, v float32) {
	i := h & uint64(len(s.acc)-1)
	if h>>63 != 0 {
		s.acc[i] -= float64(v)
	} else {
		s.acc[i] += float64(v)
	}
}

func sublinear(tf int32) float32 {
	return 1 + float32(math.Log(float64(tf)))
}

// normalize returns acc as a unit float32 vector, or the first axis when acc
// is zero.
func normalize(acc []float64, dim int) []float32 {
	var sum float64
	for _, x := range acc {
		sum += x * x
	}
	out := make([]float32, dim)
	if sum == 0 || math.IsNaN(sum) || math.IsInf(sum, 0) {
		out[0] = 1
		return out
	}
	inv := 1 / math.Sqrt(sum)
	for i, x := range acc {
		out[i] = float32(x * inv)
	}
	return out
}

// ngrams appends the hashes of the byte n-grams of b, minN ≤ n ≤ maxN, to
// dst. A word shorter than minN yields itself once.
func ngrams(dst []uint64, b []byte, minN, maxN int) []uint64 {
	if len(b) <= minN {
		return append(dst, hashBytes(seedNgram, b))
	}
	for i := range b {
		h := seedNgram ^ fnvOffset
		for n := 1; n <= maxN && i+n <= len(b); n++ {
			h ^= uint64(b[i+n-1])
			h *= fnvPrime
			if n >= minN {
				dst = append(dst, fmix(h))
			}
		}
	}
	return dst
}
