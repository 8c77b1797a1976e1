package rag

import (
	"fmt"
	"github.com/veille/veille/rag/ragtest"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	benchMu      sync.Mutex
	benchIndexes = map[int]*Index{}
)

// benchIndex builds (once per size) an index of about chunks chunks.
func benchIndex(b *testing.B, chunks int) *Index {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if ix := benchIndexes[chunks]; ix != nil {
		return ix
	}
	ix, err := New(Options{Embedder: newFake(b)})
	if err != nil {
		b.Fatal(err)
	}
	arts := ragtest.Synth(chunks / 6)
	if _, err := ix.Add(b.Context(), arts, nil); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d articles, %d chunks", ix.Len(), ix.Chunks())
	benchIndexes[chunks] = ix
	return ix
}

func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		for _, mode := range []string{"hybrid", "dense", "lexical", "chromem"} {
			b.Run(fmt.Sprintf("chunks=%d/%s", n, mode), func(b *testing.B) {
				ix := benchIndex(b, n)
				queries := []string{"attaque serveur rançon", "quelle entreprise a piraté les serveurs", "CVE-2024-3400 Lapsus$", "raquesé topi"}
				i := 0
				for b.Loop() {
					if _, err := ix.Search(b.Context(), queries[i%len(queries)], SearchOptions{K: 5, Retriever: mode}); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}

func BenchmarkIngest(b *testing.B) {
	arts := ragtest.Synth(500)
	f := newFake(b)
	var chunks int
	for b.Loop() {
		ix, err := New(Options{Embedder: f})
		if err != nil {
			b.Fatal(err)
		}
		res, err := ix.Add(b.Context(), arts, nil)
		if err != nil {
			b.Fatal(err)
		}
		chunks = res.Chunks
	}
	b.ReportMetric(float64(chunks*b.N)/b.Elapsed().Seconds(), "chunks/s")
}

// BenchmarkLoad measures reading a saved index back, and the heap it takes.
func BenchmarkLoad(b *testing.B) {
	for _, n := range benchSizes(10000, 100000) {
		b.Run(fmt.Sprintf("chunks=%d", n), func(b *testing.B) {
			ix := benchIndex(b, n)
			path := filepath.Join(b.TempDir(), SnapshotName)
			if err := ix.Save(b.Context(), path); err != nil {
				b.Fatal(err)
			}
			var heap uint64
			for b.Loop() {
				// Collections and heap readings are not part of a load.
				b.StopTimer()
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				b.StartTimer()
				got, err := Load(b.Context(), path, Options{Embedder: ix.opts.Embedder})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&after)
				heap = after.HeapAlloc - before.HeapAlloc
				runtime.KeepAlive(got)
				b.StartTimer()
			}
			b.ReportMetric(float64(heap)/float64(ix.Chunks()), "heapB/chunk")
		})
	}
}

func BenchmarkSave(b *testing.B) {
	ix := benchIndex(b, 10000)
	path := filepath.Join(b.TempDir(), SnapshotName)
	for b.Loop() {
		if err := ix.Save(b.Context(), path); err != nil {
			b.Fatal(err)
		}
	}
}

// benchSizes adds a 300 000-chunk size when VEILLE_BENCH_LARGE is set: it
// takes minutes to build and ~4 GB of memory.
func benchSizes(sizes ...int) []int {
	if os.Getenv("VEILLE_BENCH_LARGE") != "" {
		sizes = append(sizes, 300000)
	}
	return sizes
}
