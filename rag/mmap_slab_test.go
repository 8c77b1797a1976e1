package rag

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// slabSpots counts the chunks whose embedding, as chromem-go holds it, lies
// in ix's vector slab and outside it.
func slabSpots(t *testing.T, ix *Index) (in, out int) {
	t.Helper()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	q := make([]float32, ix.vec.Dim())
	q[0] = 1
	res, err := ix.col.QueryEmbedding(context.Background(), q, ix.col.Count(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		p := uintptr(unsafe.Pointer(&r.Embedding[0]))
		found := false
		for _, m := range ix.slab.segs {
			lo := uintptr(unsafe.Pointer(&m[0]))
			found = found || p >= lo && p+4*uintptr(len(r.Embedding)) <= lo+uintptr(len(m))
		}
		if found {
			in++
		} else {
			out++
		}
	}
	return in, out
}

// TestSlabSavesTheSameIndex: an index whose Add keeps its vectors in the
// slab holds them there, leaves no file in the directory while it works
// (the slab's file is unlinked at once), and saves byte for byte the file
// that the same articles make on the heap, which loads and answers.
func TestSlabSavesTheSameIndex(t *testing.T) {
	t.Parallel()
	mappingWorks(t)
	f := newFake(t)
	now := func() time.Time { return time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC) }
	arts := fillerArticles(12)
	save := func(slab bool) []byte {
		dir := t.TempDir()
		path := filepath.Join(dir, SnapshotName)
		opts := Options{Embedder: f, Now: now}
		if slab {
			opts.SlabBeside = path
		}
		ix, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ix.Add(t.Context(), arts, nil); err != nil {
			t.Fatal(err)
		}
		if slab {
			if in, out := slabSpots(t, ix); in == 0 || out != 0 {
				t.Errorf("%d chunks' vectors in the slab, %d outside it; want all in it", in, out)
			}
			if names := dirNames(t, dir); len(names) != 0 {
				t.Errorf("files in the data directory while adding: %v; want none (the slab unlinked)", names)
			}
			ix.slab.read(slabDropEvery) // pages given back: their data must stay
		}
		if err := ix.Save(t.Context(), path); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Load(t.Context(), path, Options{Embedder: f}); err != nil {
			t.Fatal(err)
		}
		return data
	}
	heap, slab := save(false), save(true)
	if !cmp.Equal(heap, slab) {
		t.Errorf("the slab's index saves %d bytes, the heap's %d, %d differ; want the same file",
			len(slab), len(heap), countDiff(heap, slab))
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestSlabKeepsVectorsAfterDrop: vectors moved into the slab read back the
// same after its pages were given back to the kernel (a shared mapping: a
// private one would lose them), across segments.
func TestSlabKeepsVectorsAfterDrop(t *testing.T) {
	t.Parallel()
	mappingWorks(t)
	s := newVectorSlab(filepath.Join(t.TempDir(), SnapshotName))
	defer s.close()
	const dim = 1 << 18            // 1 MiB a vector: few vectors fill a segment
	n := 2*slabSegment/(4*dim) + 3 // over two segments
	var got [][]float32
	for i := range n {
		v := make([]float32, dim)
		v[0], v[dim/2], v[dim-1] = float32(i+1), float32(-i), 0.5
		got = append(got, s.keep([][]float32{v})[0])
	}
	s.read(slabDropEvery)
	if len(s.segs) != 3 {
		t.Fatalf("%d segments for %d vectors; want 3", len(s.segs), n)
	}
	for i, v := range got {
		if v[0] != float32(i+1) || v[dim/2] != float32(-i) || v[dim-1] != 0.5 {
			t.Fatalf("vector %d reads back %v, %v, %v after a drop; want %v, %v, 0.5",
				i, v[0], v[dim/2], v[dim-1], float32(i+1), float32(-i))
		}
	}
}
