package vecindex

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

const (
	benchDim      = 2048
	benchRows     = 100_000
	benchRowNNZ   = 300
	benchQueryNNZ = 100
	benchQueries  = 64
)

// benchData is the benchmark corpus: benchRows vectors in one flat float32
// slice (as an exhaustive scan reads them), made once for every benchmark.
type benchData struct {
	ids     []string
	flat    []float32
	vecs    map[string][]float32 // rows of flat by ID, for exact rescoring
	queries [][]float32
	indexes map[int]*Index
	perRow  map[int]float64 // heap bytes per row of each index
}

var (
	benchOnce sync.Once
	bench     *benchData
)

func loadBench(b *testing.B) *benchData {
	b.Helper()
	benchOnce.Do(func() {
		r := rand.New(rand.NewPCG(42, 7))
		d := &benchData{
			ids:     make([]string, benchRows),
			flat:    make([]float32, 0, benchRows*benchDim),
			vecs:    make(map[string][]float32, benchRows),
			indexes: map[int]*Index{},
			perRow:  map[int]float64{},
		}
		for i := range benchRows {
			d.ids[i] = fmt.Sprintf("article%06d#%d", i/8, i%8)
			d.flat = append(d.flat, sparse(r, benchDim, benchRowNNZ)...)
			d.vecs[d.ids[i]] = d.flat[i*benchDim : (i+1)*benchDim : (i+1)*benchDim]
		}
		for range benchQueries {
			d.queries = append(d.queries, sparse(r, benchDim, benchQueryNNZ))
		}
		for _, n := range []int{10_000, 100_000} {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			ix := New(benchDim)
			for i := range n {
				if err := ix.Add(d.ids[i], d.vecs[d.ids[i]]); err != nil {
					panic(err)
				}
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			d.indexes[n] = ix
			d.perRow[n] = float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
		}
		bench = d
		runtime.GC() // settle the set-up's gigabyte before timing
	})
	return bench
}

// flatSearch is the exhaustive float32 scan the index replaces: a dot
// product with every row, kept in a bounded heap.
func flatSearch(flat []float32, ids []string, q []float32, k int) []Result {
	h := topK{m: k}
	for i := range ids {
		v := flat[i*benchDim : (i+1)*benchDim]
		var s float32
		for j, x := range v {
			s += q[j] * x
		}
		if r := (Result{ID: ids[i], Score: s}); h.admits(r) {
			h.push(r)
		}
	}
	return h.items
}

func BenchmarkSearch(b *testing.B) {
	d := loadBench(b)
	for _, n := range []int{10_000, 100_000} {
		ix := d.indexes[n]
		exact := func(id string) []float32 { return d.vecs[id] }
		b.Run(fmt.Sprintf("rows=%dk/approx", n/1000), func(b *testing.B) {
			i := 0
			for b.Loop() {
				ix.Search(d.queries[i%benchQueries], 10, nil, nil)
				i++
			}
			b.ReportMetric(d.perRow[n], "heap-B/row")
		})
		b.Run(fmt.Sprintf("rows=%dk/exact", n/1000), func(b *testing.B) {
			i := 0
			for b.Loop() {
				ix.Search(d.queries[i%benchQueries], 10, nil, exact)
				i++
			}
			b.ReportMetric(d.perRow[n], "heap-B/row")
		})
		b.Run(fmt.Sprintf("rows=%dk/approx-serial", n/1000), func(b *testing.B) {
			ix.workers = 1
			defer func() { ix.workers = 2 }()
			i := 0
			for b.Loop() {
				ix.Search(d.queries[i%benchQueries], 10, nil, nil)
				i++
			}
			b.ReportMetric(d.perRow[n], "heap-B/row")
		})
		b.Run(fmt.Sprintf("rows=%dk/flat", n/1000), func(b *testing.B) {
			i := 0
			for b.Loop() {
				flatSearch(d.flat[:n*benchDim], d.ids[:n], d.queries[i%benchQueries], 10)
				i++
			}
			b.ReportMetric(4*benchDim, "heap-B/row")
		})
	}
}

// BenchmarkAdd measures loading rows into an empty index, as at start-up:
// one op is one row.
func BenchmarkAdd(b *testing.B) {
	d := loadBench(b)
	ix := New(benchDim)
	i := 0
	for b.Loop() {
		id := d.ids[i%benchRows]
		if err := ix.Add(id, d.vecs[id]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkWriteTo measures encoding the 100k-row index, as at a snapshot.
func BenchmarkWriteTo(b *testing.B) {
	ix := loadBench(b).indexes[benchRows]
	var buf bytes.Buffer
	if _, err := ix.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		buf.Reset()
		if _, err := ix.WriteTo(&buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadFrom measures loading the 100k-row index from its encoding,
// as at start-up.
func BenchmarkReadFrom(b *testing.B) {
	ix := loadBench(b).indexes[benchRows]
	var buf bytes.Buffer
	if _, err := ix.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	enc := buf.Bytes()
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if _, err := New(benchDim).ReadFrom(bytes.NewReader(enc)); err != nil {
			b.Fatal(err)
		}
	}
}
