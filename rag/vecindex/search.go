package vecindex

import (
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync"
)

// minCandidates is the fewest candidates Search rescores exactly, and
// oversample the factor over k: int8 quantisation moves scores by about a
// percent, so the exact top k sits well inside the approximate top 200.
const (
	minCandidates = 200
	oversample    = 10
)

// parallelRows is the row count from which Search splits the accumulation
// over two goroutines: measured on 2 cores, 100k rows take 3.0 ms split and
// 4.9 ms on one goroutine, while 10k rows gain nothing. (Accumulating in
// int32 from a quantised query measured no faster than float32.)
const parallelRows = 32 << 10

// Result is one search hit: a row ID and its dot product with the query.
type Result struct {
	ID    string
	Score float32
}

// Search returns the k rows with the highest dot product with q, best first,
// ties broken by ID. When keep is non-nil, only rows it accepts are ranked.
// A zero query, or a q of the wrong length, returns nil.
//
// Every row is scored approximately from its int8 quantisation. When exact
// is nil, Search returns the best k by approximate score. Otherwise it takes
// the best max(10k, 200) candidates, rescores each with its exact vector
// exact(id), and returns the best k by exact score; a candidate for which
// exact returns a vector of the wrong length (nil: unknown) is dropped.
//
// keep is called only for rows whose score would place them among the
// candidates, so usually for far fewer rows than Len; it runs under the
// index's read lock and must not call the index. exact runs after the lock
// is released.
func (ix *Index) Search(q []float32, k int, keep func(id string) bool, exact func(id string) []float32) []Result {
	if k <= 0 || len(q) != ix.dim {
		return nil
	}
	// The query's non-zero dimensions: the only columns worth reading.
	var nz []int
	for j, x := range q {
		if x != 0 {
			nz = append(nz, j)
		}
	}
	if len(nz) == 0 {
		return nil // a zero query is similar to nothing
	}
	m := k
	if exact != nil && k <= math.MaxInt/oversample {
		m = max(k*oversample, minCandidates)
	}

	cands := ix.candidates(q, nz, m, keep)
	if exact != nil {
		out := cands[:0]
		for _, c := range cands {
			v := exact(c.ID)
			if len(v) != ix.dim {
				continue
			}
			var s float32
			for _, j := range nz {
				s += q[j] * v[j]
			}
			out = append(out, Result{ID: c.ID, Score: s})
		}
		cands = out
	}
	slices.SortFunc(cands, func(a, b Result) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
	if len(cands) > k {
		cands = cands[:k:k]
	}
	return cands
}

// candidates returns the best m rows kept by keep, by approximate score, in
// no particular order.
func (ix *Index) candidates(q []float32, nz []int, m int, keep func(string) bool) []Result {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n := ix.n
	if len(ix.slot) == 0 {
		return nil
	}

	accp, _ := ix.accs.Get().(*[]float32)
	if accp == nil || cap(*accp) < n {
		accp = new(make([]float32, n, len(ix.scales)))
	}
	acc := (*accp)[:n]
	defer ix.accs.Put(accp)

	blocks := ix.blocks
	if ix.workers > 1 && n >= parallelRows {
		// Split at the block holding the middle row.
		half := slices.IndexFunc(blocks, func(b block) bool { return b.start+b.rows > n/2 })
		var wg sync.WaitGroup
		wg.Go(func() { accumulate(acc, q, nz, blocks[:half]) })
		accumulate(acc, q, nz, blocks[half:])
		wg.Wait()
	} else {
		accumulate(acc, q, nz, blocks)
	}

	h := topK{m: m}
	for w, w64 := range ix.live[:(n+63)/64] {
		for w64 != 0 {
			b := bits.TrailingZeros64(w64)
			w64 &= w64 - 1
			s := w*64 + b
			r := Result{Score: acc[s] * ix.scales[s], ID: ix.ids[s]}
			if !h.admits(r) {
				continue
			}
			if keep != nil && !keep(r.ID) {
				continue
			}
			h.push(r)
		}
	}
	return h.items
}

// accumulate sets acc[s], for every row s of blocks below len(acc), to the
// dot product of q's non-zero dimensions nz with row s's int8s, before the
// row's scale is applied.
func accumulate(acc []float32, q []float32, nz []int, blocks []block) {
	for _, blk := range blocks {
		if blk.start >= len(acc) {
			return
		}
		a := acc[blk.start:min(blk.start+blk.rows, len(acc))]
		clear(a)
		for _, j := range nz {
			qj := q[j]
			col := blk.data[j*blk.rows : j*blk.rows+len(a)]
			a := a[:len(col)]
			i := 0
			for ; i+8 <= len(col); i += 8 {
				c := col[i : i+8 : i+8]
				d := a[i : i+8 : i+8]
				d[0] += qj * float32(c[0])
				d[1] += qj * float32(c[1])
				d[2] += qj * float32(c[2])
				d[3] += qj * float32(c[3])
				d[4] += qj * float32(c[4])
				d[5] += qj * float32(c[5])
				d[6] += qj * float32(c[6])
				d[7] += qj * float32(c[7])
			}
			for ; i < len(col); i++ {
				a[i] += qj * float32(col[i])
			}
		}
	}
}

// better reports whether a ranks before b: higher score, then lower ID.
func better(a, b Result) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return strings.Compare(a.ID, b.ID) < 0
}
