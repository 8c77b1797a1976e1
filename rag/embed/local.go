package embed

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/veille/veille/rag/analyze"
)

// DefaultDim is the vector length of the built-in embedder, chosen on the
// retrieval eval (eval_test.go). Hash collisions are the main noise of a
// short query, so recall grows with the dimension: Recall@5 0.660, 0.812,
// 0.852, 0.860, 0.872, 0.876 from 256 to 8192; with queries weighted by idf
// (EmbedQueryWeighted) 0.868 at 1024, 0.900 at 2048, 0.908 at 4096, 0.924
// at 8192. 2048 is the knee: 8 KiB of float32 per chunk.
const DefaultDim = 2048

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
	// idf, when set, scales each term and its word's n-grams (see
	// EmbedQueryWeighted).
	idf func(term string) float32
}

// The weights chosen on the eval (eval_test.go, Recall@5 at 2048): terms
// alone 0.820; the n-grams of each word at the weight of the word 0.856,
// with term pairs at half weight 0.860. Lighter or heavier n-grams (0.840,
// 0.852), 3–4- or 4–5-grams (0.856) did no better, 3–6-grams barely (0.868,
// slower); queries without n-grams lose (0.776), and weighting queries unlike
// documents did not help. Nor did any idf stand-in tried at 1024: a boost for
// capitalised or long words, a down-weight of common words, a boost for
// words missing from a general vocabulary, a title boost; nor binary or
// square-root tf. Real idf does help: see EmbedQueryWeighted.
var (
	defaultDocWeights   = weights{word: 1, bigram: 0.5, ngram: 1, minN: 3, maxN: 5}
	defaultQueryWeights = weights{word: 1, bigram: 0.5, ngram: 1, minN: 3, maxN: 5}
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
// document: there is no corpus statistic (idf) to learn or to go stale; an
// index that keeps one can weight its queries with EmbedQueryWeighted.
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

type wordStat struct {
	tf  int32
	idf float32
}

// scratch holds the per-call buffers, reused across calls.
type scratch struct {
	idf    map[uint64]float32
	terms  map[uint64]int32
	pairs  map[uint64]int32
	words  map[string]wordStat
	fold   []byte
	acc    []float64
	hashes []uint64
	// The features in order of first appearance: summing in map order
	// would round differently from run to run.
	termOrder, pairOrder []uint64
	wordOrder            []string
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

// EmbedQueryWeighted is EmbedQuery with each query term's weight scaled by
// idf(term), where term is as analyze.Terms gives it. An index passes the
// inverse document frequencies it already keeps for BM25, which Local cannot
// know: a rare name then outweighs a commonplace word. Document vectors do
// not change, so an index needs no rebuild to use it. idf is called once per
// query term; a result that is NaN or not positive drops the term, and a nil
// idf is EmbedQuery. On the eval, Recall@5 of the dense ranking alone goes
// from 0.860 to 0.900 at 2048 dimensions, and fused with BM25 by reciprocal
// rank it beats BM25 alone (0.924, or 0.932 at half weight, against 0.916),
// where the unweighted dense ranking pulls BM25 down (0.896).
func (l *Local) EmbedQueryWeighted(ctx context.Context, text string, idf func(term string) float32) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	w := l.query
	w.idf = idf
	return l.embed(text, &w), nil
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
		terms: make(map[uint64]int32, 128),
		pairs: make(map[uint64]int32, 128),
		idf:   make(map[uint64]float32),
		words: make(map[string]wordStat, 128),
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
	clear(s.idf)
	clear(s.acc)
	s.termOrder, s.pairOrder, s.wordOrder = s.termOrder[:0], s.pairOrder[:0], s.wordOrder[:0]

	toks := analyze.Tokens(text, "")
	var prev uint64
	var prevIDF float32
	for i, t := range toks {
		h := hashString(seedTerm, t.Term)
		if s.terms[h] == 0 {
			s.termOrder = append(s.termOrder, h)
		}
		s.terms[h]++
		idf := float32(1)
		if w.idf != nil {
			idf = clampWeight(w.idf(t.Term))
			s.idf[h] = idf
		}
		if i > 0 && w.bigram != 0 {
			ph := mix(prev^seedPair, h)
			if s.pairs[ph] == 0 {
				s.pairOrder = append(s.pairOrder, ph)
			}
			s.pairs[ph]++
			if w.idf != nil {
				s.idf[ph] = min(idf, prevIDF)
			}
		}
		prev, prevIDF = h, idf
		if w.ngram != 0 {
			word := text[t.Start:t.End]
			ws := s.words[word]
			if ws.tf == 0 {
				s.wordOrder = append(s.wordOrder, word)
			}
			ws.tf++
			ws.idf = idf
			s.words[word] = ws
		}
	}
	for _, h := range s.termOrder {
		v := w.word * sublinear(s.terms[h])
		if w.idf != nil {
			v *= s.idf[h]
		}
		s.add(h, v)
	}
	for _, h := range s.pairOrder {
		v := w.bigram * sublinear(s.pairs[h])
		if w.idf != nil {
			v *= s.idf[h]
		}
		s.add(h, v)
	}
	for _, word := range s.wordOrder {
		ws := s.words[word]
		s.fold = append(s.fold[:0], '<')
		s.fold = analyze.AppendFold(s.fold, word)
		s.fold = append(s.fold, '>')
		s.hashes = ngrams(s.hashes[:0], s.fold, w.minN, w.maxN)
		// Each word's n-grams together weigh about what the word does,
		// however long it is.
		per := w.ngram * ws.idf * sublinear(ws.tf) / float32(math.Sqrt(float64(len(s.hashes))))
		for _, h := range s.hashes {
			s.add(h, per)
		}
	}
	return normalize(s.acc, l.dim)
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

// clampWeight keeps a caller's term weight finite and non-negative, so a
// bad idf cannot make a vector NaN.
func clampWeight(v float32) float32 {
	switch {
	case !(v > 0): // NaN too
		return 0
	case v > 1e6:
		return 1e6
	}
	return v
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
