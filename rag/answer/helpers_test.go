package answer

import (
	"os"
	"runtime"
	"sync"
	"testing"

	"github.com/veille/veille/rag"
	"github.com/veille/veille/rag/ragtest"
)

// newTestIndex indexes ragtest.Articles with the local embedder.
func newTestIndex(t *testing.T) (*rag.Index, *ragtest.Embedder) {
	t.Helper()
	f := ragtest.NewEmbedder(t)
	ix, err := rag.New(rag.Options{Embedder: f})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Add(t.Context(), ragtest.Articles, nil); err != nil {
		t.Fatal(err)
	}
	return ix, f
}

// newEmptyIndex is an index with nothing in it yet.
func newEmptyIndex(t *testing.T) *rag.Index {
	t.Helper()
	ix, err := rag.New(rag.Options{Embedder: ragtest.NewEmbedder(t)})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

var (
	benchMu      sync.Mutex
	benchIndexes = map[int]*rag.Index{}
	benchHeap    = map[int]uint64{} // heap each index took when built
)

// benchIndex returns an index of about chunks generated chunks, built once
// per size and process, recording the heap it took as it was built.
func benchIndex(b *testing.B, chunks int) *rag.Index {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if ix, ok := benchIndexes[chunks]; ok {
		return ix
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ix, err := rag.New(rag.Options{Embedder: ragtest.NewEmbedder(b)})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ix.Add(b.Context(), ragtest.Synth(chunks/6), nil); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d articles, %d chunks", ix.Len(), ix.Chunks())
	benchIndexes[chunks] = ix
	runtime.GC()
	runtime.ReadMemStats(&after)
	benchHeap[chunks] = after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc)
	return ix
}

// benchIndexHeap is the heap the index of benchIndex(chunks) took as it was
// built: the difference across the build, not the whole heap.
func benchIndexHeap(chunks int) uint64 {
	benchMu.Lock()
	defer benchMu.Unlock()
	return benchHeap[chunks]
}

// benchSizes adds 300 000 chunks to sizes when VEILLE_BENCH_LARGE is set.
func benchSizes(sizes ...int) []int {
	if os.Getenv("VEILLE_BENCH_LARGE") != "" {
		sizes = append(sizes, 300000)
	}
	return sizes
}
