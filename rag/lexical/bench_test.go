package lexical

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"testing"
)

// Synthetic corpora: a Zipf-distributed vocabulary of 50k terms, 120 terms
// per document, generated from a fixed seed.
const (
	benchVocab   = 50_000
	benchDocLen  = 120
	benchQueries = 64
)

var benchSizes = []int{10_000, 100_000}

var vocab = sync.OnceValue(func() []string {
	v := make([]string, benchVocab)
	for i := range v {
		v[i] = "term" + strconv.Itoa(i)
	}
	return v
})

// synthetic returns n documents as vocabulary ranks (2 bytes a term, so
// that the corpus itself weighs little next to the index).
func synthetic(n int) [][]uint16 {
	rng := rand.New(rand.NewPCG(2026, uint64(n)))
	zipf := rand.NewZipf(rng, 1.07, 2, benchVocab-1)
	docs := make([][]uint16, n)
	flat := make([]uint16, n*benchDocLen)
	for i := range docs {
		d := flat[i*benchDocLen : (i+1)*benchDocLen : (i+1)*benchDocLen]
		for j := range d {
			d[j] = uint16(zipf.Uint64())
		}
		docs[i] = d
	}
	return docs
}

var corpora sync.Map // size → func() [][]uint16

func corpus(n int) [][]uint16 {
	f, _ := corpora.LoadOrStore(n, sync.OnceValue(func() [][]uint16 { return synthetic(n) }))
	return f.(func() [][]uint16)()
}

var indexes sync.Map // size → func() *Index

// benchIndex returns a shared index of n documents; benchmarks must not
// change it.
func benchIndex(n int) *Index {
	f, _ := indexes.LoadOrStore(n, sync.OnceValue(func() *Index { return buildBench(corpus(n)) }))
	return f.(func() *Index)()
}

func buildBench(docs [][]uint16) *Index {
	v := vocab()
	ix := New(DefaultParams())
	terms := make([]string, benchDocLen)
	for i, d := range docs {
		for j, r := range d {
			terms[j] = v[r]
		}
		ix.Add("doc-"+strconv.Itoa(i), terms)
	}
	return ix
}

// queries are 6-term questions drawn from the same distribution with the
// 100 commonest terms left out, as stop words would be.
func queries() [][]string {
	rng := rand.New(rand.NewPCG(6, 6))
	zipf := rand.NewZipf(rng, 1.07, 2, benchVocab-1)
	v := vocab()
	qs := make([][]string, benchQueries)
	for i := range qs {
		for len(qs[i]) < 6 {
			if r := zipf.Uint64(); r >= 100 {
				qs[i] = append(qs[i], v[r])
			}
		}
	}
	return qs
}

func BenchmarkSearch(b *testing.B) {
	qs := queries()
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("docs=%d", n), func(b *testing.B) {
			ix := benchIndex(n)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				ix.Search(qs[i%len(qs)], 10, nil)
				i++
			}
		})
	}
}

func BenchmarkSearchKeep(b *testing.B) {
	qs := queries()
	keep := func(id string) bool { return len(id)%2 == 0 }
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("docs=%d", n), func(b *testing.B) {
			ix := benchIndex(n)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				ix.Search(qs[i%len(qs)], 10, keep)
				i++
			}
		})
	}
}

// BenchmarkAdd measures adding one document to an index of n documents;
// each added document replaces one of them, so the size stays put and the
// cost of removals and compactions is included.
func BenchmarkAdd(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("docs=%d", n), func(b *testing.B) {
			docs := corpus(n)
			ix := buildBench(docs)
			v := vocab()
			terms := make([]string, benchDocLen)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				for j, r := range docs[i%n] {
					terms[j] = v[r]
				}
				ix.Add("doc-"+strconv.Itoa((i*7919)%n), terms)
				i++
			}
		})
	}
}

// BenchmarkBuild measures building an index of n documents from scratch
// and reports its heap size per document.
func BenchmarkBuild(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("docs=%d", n), func(b *testing.B) {
			docs := corpus(n)
			vocab()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			ix := buildBench(docs)
			runtime.GC()
			runtime.ReadMemStats(&after)
			perDoc := float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
			runtime.KeepAlive(ix)
			ix = nil
			for b.Loop() {
				buildBench(docs)
			}
			b.ReportMetric(perDoc, "heap-B/doc")
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
		})
	}
}

func BenchmarkWriteTo(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("docs=%d", n), func(b *testing.B) {
			ix := benchIndex(n)
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if _, err := ix.WriteTo(&buf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len())/float64(n), "file-B/doc")
		})
	}
}

func BenchmarkReadFrom(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("docs=%d", n), func(b *testing.B) {
			var buf bytes.Buffer
			if _, err := benchIndex(n).WriteTo(&buf); err != nil {
				b.Fatal(err)
			}
			data := buf.Bytes()
			read := func() *Index {
				ix := New(DefaultParams())
				if _, err := ix.ReadFrom(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
				return ix
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			ix := read()
			runtime.GC()
			runtime.ReadMemStats(&after)
			perDoc := float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
			runtime.KeepAlive(ix)
			for b.Loop() {
				read()
			}
			b.ReportMetric(perDoc, "heap-B/doc")
		})
	}
}
