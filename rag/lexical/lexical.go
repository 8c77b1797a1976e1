// Package lexical is an in-memory BM25 index over analysed terms.
//
// The caller analyses text (see rag/analyze) and hands the terms of each
// document to [Index.Add]; [Index.Search] ranks documents for the terms of a
// query with Okapi BM25 and Lucene's idf, log(1+(N-df+0.5)/(df+0.5)). The
// index never touches the disk: the caller persists it with [Index.WriteTo]
// and loads it with [Index.ReadFrom].
//
// Layout, chosen for a few hundred thousand chunks of about 120 terms:
// one posting list per term, a byte string of varints in ordinal order,
// (Δordinal<<1 | tf≠1) then tf when it is not 1. On a Zipf-like corpus of
// 120-term documents that is 1.5 bytes a posting, against 8 for a plain
// (uint32, uint32) pair, and the sequential decoding costs little next to
// the random accesses to the score array.
// The lists are the encoding WriteTo writes, so saving and loading an
// index mostly copies bytes.
//
// Remove is O(1): it marks the document's ordinal dead and updates N and the
// total length at once; document frequencies count only live postings, so
// idf and the average length are right immediately. Dead postings are
// dropped, and ordinals renumbered, by a compaction that runs once about a
// quarter of the indexed terms belong to removed documents, which keeps its
// cost amortised to O(size of the removed documents).
package lexical

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"sync"
)

// Params are the BM25 parameters.
type Params struct {
	// K1 controls term-frequency saturation; must be ≥ 0.
	K1 float64
	// B controls length normalisation, from 0 (none) to 1 (full).
	B float64
}

// DefaultParams returns the usual BM25 parameters, K1 1.2 and B 0.75.
func DefaultParams() Params { return Params{K1: 1.2, B: 0.75} }

// Index is a BM25 index of documents identified by string IDs. It is safe
// for concurrent use: searches share a read lock, changes take the write
// lock. The zero value is not usable; call [New].
type Index struct {
	mu sync.RWMutex
	p  Params
	state
	// scratch holds per-search score accumulators, so a search does not
	// allocate in proportion to the corpus.
	scratch sync.Pool
}

// state is everything ReadFrom replaces.
type state struct {
	// Per ordinal (live and dead documents until the next compaction).
	docID []string // "" once dead
	dl    []uint32 // document length: number of terms given to Add
	dead  []uint64 // bitset of removed ordinals

	byID map[string]uint32 // live documents only

	// Per term ID.
	terms []string
	post  []postings
	tid   map[string]uint32

	n        int    // live documents
	liveLen  uint64 // total length of live documents
	deadDocs int    // dead ordinals not yet compacted
	deadLen  uint64 // total length of dead ordinals

	// sorted is Add's reusable buffer of term IDs (writer only).
	sorted []uint32
}

// postings is a term's posting list: (ordinal, tf) pairs sorted by
// ordinal, encoded by appendPosting.
type postings struct {
	data []byte
	n    uint32 // postings in data, dead ones included
	last uint32 // last ordinal in data
}

// appendPosting encodes a posting of ordinal prev+delta.
func appendPosting(b []byte, delta, tf uint32) []byte {
	if tf == 1 {
		return binary.AppendUvarint(b, uint64(delta)<<1)
	}
	b = binary.AppendUvarint(b, uint64(delta)<<1|1)
	return binary.AppendUvarint(b, uint64(tf))
}

// nextPosting decodes the posting at data[i:], which holds a list built by
// appendPosting; it returns the ordinal delta, the frequency and the next
// position.
func nextPosting(data []byte, i int) (delta, tf uint32, j int) {
	v, n := binary.Uvarint(data[i:])
	i += n
	tf = 1
	if v&1 != 0 {
		t, n := binary.Uvarint(data[i:])
		i += n
		tf = uint32(t)
	}
	return uint32(v >> 1), tf, i
}

func newState() state {
	return state{
		byID: map[string]uint32{},
		tid:  map[string]uint32{},
	}
}

// New returns an empty index scoring with p. A K1 below zero or a B outside
// [0, 1] (or NaN) is replaced by the default value.
func New(p Params) *Index {
	d := DefaultParams()
	if !(p.K1 >= 0) || math.IsInf(p.K1, 0) {
		p.K1 = d.K1
	}
	if !(p.B >= 0 && p.B <= 1) {
		p.B = d.B
	}
	ix := &Index{p: p, state: newState()}
	ix.scratch.New = func() any { return new(accumulator) }
	return ix
}

// Params returns the parameters the index scores with.
func (ix *Index) Params() Params { return ix.p }

// Len returns the number of documents in the index.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.n
}

// Add indexes a document under id, replacing any document already there.
// terms are the document's analysed terms in any order, duplicates kept:
// their count is the document's length and each term's count its
// frequency. Add keeps its own copies of the strings.
func (ix *Index) Add(id string, terms []string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ord, ok := ix.byID[id]; ok {
		ix.removeLocked(ord)
	}
	ord := uint32(len(ix.docID))
	id = strings.Clone(id)
	ix.docID = append(ix.docID, id)
	ix.dl = append(ix.dl, uint32(min(uint64(len(terms)), math.MaxUint32)))
	if w := int(ord / 64); w >= len(ix.dead) {
		ix.dead = append(ix.dead, 0)
	}
	ix.byID[id] = ord
	ix.n++
	ix.liveLen += uint64(len(terms))

	s := ix.sorted[:0]
	for _, t := range terms {
		s = append(s, ix.intern(t))
	}
	slices.Sort(s)
	for i := 0; i < len(s); {
		j := i + 1
		for j < len(s) && s[j] == s[i] {
			j++
		}
		ix.appendPosting(s[i], ord, uint32(min(uint64(j-i), math.MaxUint32)))
		i = j
	}
	ix.sorted = s[:0]
}

// appendPosting adds (ord, tf) at the end of term t's list.
func (st *state) appendPosting(t, ord, tf uint32) {
	p := &st.post[t]
	delta := ord
	if p.n > 0 {
		delta = ord - p.last
	}
	p.data = appendPosting(p.data, delta, tf)
	p.n++
	p.last = ord
}

// intern returns term's ID, creating it when new.
func (st *state) intern(term string) uint32 {
	if t, ok := st.tid[term]; ok {
		return t
	}
	// Clone: the caller's term may be a slice of a whole article.
	term = strings.Clone(term)
	t := uint32(len(st.terms))
	st.terms = append(st.terms, term)
	st.post = append(st.post, postings{})
	st.tid[term] = t
	return t
}

// Remove deletes the document with the given id; it does nothing when there
// is none. It takes constant time, plus now and then a compaction whose cost
// is amortised over the removals that called for it.
func (ix *Index) Remove(id string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ord, ok := ix.byID[id]; ok {
		ix.removeLocked(ord)
	}
}

func (ix *Index) removeLocked(ord uint32) {
	delete(ix.byID, ix.docID[ord])
	ix.docID[ord] = ""
	ix.dead[ord/64] |= 1 << (ord % 64)
	ix.n--
	ix.deadDocs++
	ix.liveLen -= uint64(ix.dl[ord])
	ix.deadLen += uint64(ix.dl[ord])
	// Compact once a quarter of the postings (or of the ordinals, for
	// empty documents) are dead: the O(total) pass then pays for itself.
	if ix.deadLen*3 > ix.liveLen || ix.deadDocs*3 > ix.n {
		ix.compact()
	}
}

func (st *state) isDead(ord uint32) bool { return st.dead[ord/64]&(1<<(ord%64)) != 0 }

// compact drops dead documents, their postings and the terms left without
// any, renumbering ordinals and term IDs in their current order.
func (st *state) compact() {
	if st.deadDocs == 0 {
		return
	}
	if st.n == 0 {
		*st = newState()
		return
	}
	newOrd := make([]uint32, len(st.docID))
	next := uint32(0)
	for o := range st.docID {
		if !st.isDead(uint32(o)) {
			newOrd[o] = next
			next++
		}
	}
	nt := uint32(0)
	var buf []byte
	for t, p := range st.post {
		np := postings{data: buf[:0]}
		ord := uint32(0)
		for i := 0; i < len(p.data); {
			var delta, tf uint32
			delta, tf, i = nextPosting(p.data, i)
			ord += delta
			if st.isDead(ord) {
				continue
			}
			no := newOrd[ord]
			delta = no
			if np.n > 0 {
				delta = no - np.last
			}
			np.data = appendPosting(np.data, delta, tf)
			np.n++
			np.last = no
		}
		term := st.terms[t]
		if np.n == 0 {
			delete(st.tid, term)
			continue
		}
		buf = np.data
		np.data = slices.Clone(np.data) // exact size: drop append's slack
		st.post[nt], st.terms[nt] = np, term
		st.tid[term] = nt
		nt++
	}
	clear(st.post[nt:])
	clear(st.terms[nt:])
	st.post, st.terms = st.post[:nt], st.terms[:nt]

	for o, id := range st.docID {
		if st.isDead(uint32(o)) {
			continue
		}
		no := newOrd[o]
		st.docID[no], st.dl[no] = id, st.dl[o]
		st.byID[id] = no
	}
	clear(st.docID[next:])
	st.docID, st.dl = st.docID[:next], st.dl[:next]
	st.dead = make([]uint64, (next+63)/64)
	st.deadDocs, st.deadLen = 0, 0
}

// df returns the number of live documents holding term t.
func (st *state) df(t uint32) int {
	p := st.post[t]
	if st.deadDocs == 0 {
		return int(p.n)
	}
	n, ord := 0, uint32(0)
	for i := 0; i < len(p.data); {
		var delta uint32
		delta, _, i = nextPosting(p.data, i)
		ord += delta
		if !st.isDead(ord) {
			n++
		}
	}
	return n
}

// idf is Lucene's BM25 idf for a term in df of n documents; it is always
// positive.
func idf(n, df int) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// IDF returns the inverse document frequency term has in the index now, as
// Search weighs it: log(1+(N-df+0.5)/(df+0.5)). A term in no document gets
// log(1+(N+0.5)/0.5), above any indexed term's: callers weighing query terms
// by rarity thus treat an unknown term as the most specific of all.
func (ix *Index) IDF(term string) float64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	df := 0
	if t, ok := ix.tid[term]; ok {
		df = ix.df(t)
	}
	return idf(ix.n, df)
}

// DF returns the number of documents that hold term.
func (ix *Index) DF(term string) int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if t, ok := ix.tid[term]; ok {
		return ix.df(t)
	}
	return 0
}
