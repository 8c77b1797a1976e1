package lexical

import (
	"cmp"
	"encoding/binary"
	"slices"
)

// Result is one document found by [Index.Search].
type Result struct {
	ID    string
	Score float64 // BM25 score, > 0
}

// accumulator is a search's scratch space, recycled through Index.scratch.
type accumulator struct {
	scores  []float64 // by ordinal; 0 for documents not yet matched
	touched []uint32  // ordinals with a non-zero score
	terms   []uint32
}

// candidate is a document in the top-k heap.
type candidate struct {
	score float64
	ord   uint32
}

// Search returns the k documents that score best for the query terms, best
// first, ties broken by ascending ID so that results are deterministic.
// It returns nil when k ≤ 0 or when no document holds a query term.
//
// A term repeated in the query counts once: queries are short questions
// whose repetitions are accidents of phrasing, and set semantics makes the
// score independent of term order (terms are summed in sorted order) and of
// repetition. Terms absent from the index are ignored.
//
// keep, when non-nil, is called at most once per matching document, before
// ranking: a document it rejects does not take one of the k places. keep
// runs under the index's read lock and must not call the index's methods:
// a writer waiting for the lock would deadlock them.
func (ix *Index) Search(query []string, k int, keep func(id string) bool) []Result {
	if k <= 0 || len(query) == 0 {
		return nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.n == 0 {
		return nil
	}

	acc := ix.scratch.Get().(*accumulator)
	terms := acc.terms[:0]
	for _, q := range query {
		if t, ok := ix.tid[q]; ok {
			terms = append(terms, t)
		}
	}
	slices.SortFunc(terms, func(a, b uint32) int { return cmp.Compare(ix.terms[a], ix.terms[b]) })
	terms = slices.Compact(terms)
	acc.terms = terms

	if len(acc.scores) < len(ix.docID) {
		// Headroom, so that searches between Adds do not reallocate.
		acc.scores = make([]float64, len(ix.docID)+len(ix.docID)/4+64)
	}
	ix.accumulate(acc, terms)
	res := ix.top(acc, k, keep)
	ix.scratch.Put(acc)
	return res
}

// accumulate adds every term's BM25 contribution to acc, term at a time.
func (ix *Index) accumulate(acc *accumulator, terms []uint32) {
	k1, b := ix.p.K1, ix.p.B
	// Score of tf in a document of length dl:
	// idf·tf·(k1+1) / (tf + k1·(1-b+b·dl/avgdl)) = w·tf / (tf + c0 + c1·dl).
	c0, c1 := k1*(1-b), 0.0
	if ix.liveLen > 0 {
		c1 = k1 * b * float64(ix.n) / float64(ix.liveLen)
	}
	scores, dl := acc.scores, ix.dl
	for _, t := range terms {
		df := ix.df(t)
		if df == 0 {
			continue
		}
		w := idf(ix.n, df) * (k1 + 1)
		data := ix.post[t].data
		d := uint32(0)
		for i := 0; i < len(data); {
			// Inlined nextPosting, with a fast path for one-byte varints.
			v := uint64(data[i])
			i++
			if v >= 0x80 {
				var n int
				v, n = binary.Uvarint(data[i-1:])
				i += n - 1
			}
			d += uint32(v >> 1)
			tf := 1.0
			if v&1 != 0 {
				t, n := binary.Uvarint(data[i:])
				i += n
				tf = float64(t)
			}
			if ix.deadDocs > 0 && ix.isDead(d) {
				continue
			}
			s := scores[d]
			if s == 0 {
				acc.touched = append(acc.touched, d)
			}
			scores[d] = s + w*tf/(tf+c0+c1*float64(dl[d]))
		}
	}
}

// top returns the k best touched documents that keep accepts, and resets
// acc for the next search.
func (ix *Index) top(acc *accumulator, k int, keep func(string) bool) []Result {
	// worse reports whether a ranks below b.
	worse := func(a, b candidate) bool {
		if a.score != b.score {
			return a.score < b.score
		}
		return ix.docID[a.ord] > ix.docID[b.ord]
	}
	// h is a min-heap on rank: h[0] is the worst of the k best so far.
	h := make([]candidate, 0, min(k, len(acc.touched)))
	for _, d := range acc.touched {
		c := candidate{acc.scores[d], d}
		acc.scores[d] = 0
		if len(h) == k && !worse(h[0], c) {
			continue
		}
		if keep != nil && !keep(ix.docID[d]) {
			continue
		}
		if len(h) < k {
			h = append(h, c)
			up(h, len(h)-1, worse)
			continue
		}
		h[0] = c
		down(h, 0, worse)
	}
	acc.touched = acc.touched[:0]
	if len(h) == 0 {
		return nil
	}
	slices.SortFunc(h, func(a, b candidate) int {
		if worse(b, a) {
			return -1
		}
		return 1
	})
	res := make([]Result, len(h))
	for i, c := range h {
		res[i] = Result{ID: ix.docID[c.ord], Score: c.score}
	}
	return res
}

func up(h []candidate, i int, worse func(a, b candidate) bool) {
	for i > 0 {
		parent := (i - 1) / 2
		if !worse(h[i], h[parent]) {
			return
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

func down(h []candidate, i int, worse func(a, b candidate) bool) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && worse(h[r], h[l]) {
			m = r
		}
		if !worse(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
