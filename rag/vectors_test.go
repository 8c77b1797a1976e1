package rag

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/veille/veille/rag/article"
	"github.com/veille/veille/rag/ragtest"
)

// embeddingSpots counts the chunks whose embedding, as chromem-go holds it,
// lies inside ix's mapping and outside it. chromem-go's query results hand
// out its own slices (GetByID would copy them).
func embeddingSpots(t *testing.T, ix *Index) (in, out int) {
	t.Helper()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	q := make([]float32, ix.vec.Dim())
	q[0] = 1
	res, err := ix.col.QueryEmbedding(context.Background(), q, ix.col.Count(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var lo, hi uintptr
	if len(ix.mapped) > 0 {
		lo = uintptr(unsafe.Pointer(&ix.mapped[0]))
		hi = lo + uintptr(len(ix.mapped))
	}
	for _, r := range res {
		p := uintptr(unsafe.Pointer(&r.Embedding[0]))
		if p >= lo && p+4*uintptr(len(r.Embedding)) <= hi {
			in++
		} else {
			out++
		}
	}
	return in, out
}

// mappingWorks skips a test of mapped loads where there is no mapping.
func mappingWorks(t *testing.T) {
	t.Helper()
	if _, err := mapRegion(nil, 0, 0); errors.Is(err, errors.ErrUnsupported) {
		t.Skipf("no mapping on %s", runtime.GOOS)
	}
}

// TestLoadMapsVectors: a loaded index's chunks have their vectors in the
// mapping of the file, not on the heap, and answer as the saved index did;
// the read fallback (systems without mmap) loads the same index onto the
// heap.
func TestLoadMapsVectors(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	path, _ := savedIndex(t, f, bigArticles())
	tests := []struct {
		name   string
		noMap  bool
		mapped bool
	}{
		{"mapped", false, true},
		{"read fallback", true, false},
	}
	var want string
	for _, tt := range tests {
		ix, err := Load(t.Context(), path, Options{Embedder: f, noMap: tt.noMap})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if tt.mapped {
			mappingWorks(t)
		}
		in, out := embeddingSpots(t, ix)
		if tt.mapped && (in != ix.Chunks() || out != 0) {
			t.Errorf("%s: %d chunks' vectors in the mapping, %d elsewhere; want all %d mapped", tt.name, in, out, ix.Chunks())
		}
		if !tt.mapped && (in != 0 || len(ix.mapped) != 0) {
			t.Errorf("%s: %d chunks' vectors in a mapping, want none", tt.name, in)
		}
		got := indexDigest(t, ix)
		if want == "" {
			want = got
		} else if got != want {
			t.Errorf("%s: loaded a different index than the mapped load", tt.name)
		}
		for _, r := range []string{"", "chromem"} {
			hits, err := ix.Search(t.Context(), "rançongiciel dans la région 3", SearchOptions{Retriever: r})
			if err != nil || len(hits) == 0 {
				t.Errorf("%s, retriever %q: %v, %v", tt.name, r, ids(hits), err)
			}
		}
	}
}

// offNorm is an embedder whose document vectors are not unit length, and
// stay outside chromem-go's tolerance once chromem-go has normalised them
// itself: it sums squares in float32, which misses by more than 1e-6 for a
// few dense vectors in a thousand at 2048 dimensions.
type offNorm struct {
	*fakeEmbedder
	v []float32
}

func newOffNorm(t *testing.T) offNorm {
	f := newFake(t)
	r := rand.New(rand.NewPCG(1, 2))
	v := make([]float32, f.Identity().Dim)
	for range 100000 {
		for i := range v {
			v[i] = 3 * float32(r.NormFloat64())
		}
		// chromem-go's normalizeVector, then its isNormalized.
		var n32 float32
		for _, x := range v {
			n32 += x * x
		}
		n32 = float32(math.Sqrt(float64(n32)))
		var sq float64
		for _, x := range v {
			sq += float64(x/n32) * float64(x/n32)
		}
		if math.Abs(math.Sqrt(sq)-1) >= unitTolerance {
			return offNorm{f, v}
		}
	}
	t.Fatal("no vector that chromem-go normalises outside its tolerance")
	return offNorm{}
}

func (o offNorm) EmbedDocument(ctx context.Context, s string) ([]float32, error) {
	return slices.Clone(o.v), nil
}

// TestLoadMapsVectorsNotQuiteUnit: vectors chromem-go would copy to
// normalise them are saved normalised, so that they are mapped too.
func TestLoadMapsVectorsNotQuiteUnit(t *testing.T) {
	t.Parallel()
	mappingWorks(t)
	f := newOffNorm(t)
	ix, err := New(Options{Embedder: f})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Add(t.Context(), testArticles, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), SnapshotName)
	if err := ix.Save(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(t.Context(), path, Options{Embedder: f})
	if err != nil {
		t.Fatal(err)
	}
	if in, out := embeddingSpots(t, got); out != 0 {
		t.Fatalf("%d chunks' vectors copied onto the heap by chromem-go, %d mapped", out, in)
	}
}

// TestReaderKeepsOldMapping: a process that has the index mapped keeps
// reading the file it loaded while a writer replaces it, then sees the new
// one after Reload.
func TestReaderKeepsOldMapping(t *testing.T) {
	t.Parallel()
	mappingWorks(t)
	f := newFake(t)
	path, _ := savedIndex(t, f, manyChunkArticles())
	reader, err := Load(t.Context(), path, Options{Embedder: f})
	if err != nil {
		t.Fatal(err)
	}
	if len(reader.mapped) == 0 || len(reader.quantised) == 0 || reader.vec.InPlace() == 0 {
		t.Fatal("the index was not mapped")
	}
	before, beforeHits := indexDigest(t, reader), denseHits(t, reader)
	// A second reader that never reads its vectors: its check never runs,
	// and the file it would read stays open until the index is collected.
	idle, err := Load(t.Context(), path, Options{Embedder: f})
	if err != nil || idle.vectorsCheck == nil {
		t.Fatalf("second reader: %v (vectors left to check: %v)", err, idle != nil && idle.vectorsCheck != nil)
	}

	// Another process rewrites the index: fewer articles, so a smaller file.
	writer, err := New(Options{Embedder: f})
	if err != nil {
		t.Fatal(err)
	}
	extra := article.Article{ID: "new", Title: "Nouvel article", Text: "Un botnet a visé les serveurs d’une mairie bretonne."}
	if _, err := writer.Add(t.Context(), append(testArticles[:1:1], extra), nil); err != nil {
		t.Fatal(err)
	}
	if err := writer.Save(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	// Every vector the reader holds is read again, from the mapping whose
	// pages Load gave back to the kernel.
	if after := indexDigest(t, reader); after != before {
		t.Fatal("the reader's index changed under it while a writer replaced the file")
	}
	// The quantised index's columns too, read again from the old mapping.
	if after := denseHits(t, reader); !slices.EqualFunc(after, beforeHits, slices.Equal) {
		t.Fatalf("the reader's dense results changed under it while a writer replaced the file: %v, were %v", after, beforeHits)
	}
	// chromem-go's scan reads every vector: they are checked first, from
	// the old file (the one mapped), not from the new one at its path.
	if hits, err := reader.Search(t.Context(), "rançongiciel région", SearchOptions{Retriever: "chromem"}); err != nil || len(hits) == 0 {
		t.Fatalf("search on the old mapping: %v, %v", ids(hits), err)
	}
	idle = nil
	if err := reader.Reload(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	if got, want := indexDigest(t, reader), indexDigest(t, writer); got != want {
		t.Fatal("after Reload the reader does not hold the new index")
	}
	if hits, err := reader.Search(t.Context(), "botnet mairie", SearchOptions{}); err != nil || len(hits) == 0 || hits[0].ArticleID != "new" {
		t.Fatalf("search after Reload: %v, %v", ids(hits), err)
	}
	// The old file's mapping is released once its collection is collected,
	// and the file the idle reader kept open for its check once it is: a
	// bot that reloads after every refresh must not keep every replaced
	// file's disk space.
	if _, err := os.Stat("/proc/self/maps"); err != nil {
		return
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		maps, err := os.ReadFile("/proc/self/maps")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(maps, []byte(path+" (deleted)")) && !fileOpen(t, path+" (deleted)") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replaced file is still mapped after Reload and collections")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fileOpen reports whether one of the process's descriptors names path.
func fileOpen(t *testing.T, path string) bool {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		if target, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && target == path {
			return true
		}
	}
	return false
}

// TestLoadRefusesTruncatedVectors: a file cut inside its vectors, whether
// mapped or read, is refused before any chunk is served.
func TestLoadRefusesTruncatedVectors(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	_, whole := savedIndex(t, f, bigArticles())
	v := sectionSpans(t, whole)[4]
	dir := t.TempDir()
	for _, noMap := range []bool{false, true} {
		for _, cut := range []int{v.payload + 1, v.payload + sectionBlock, v.sums - 4, v.sums} {
			p := filepath.Join(dir, SnapshotName)
			if err := os.WriteFile(p, whole[:cut], 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(t.Context(), p, Options{Embedder: f, noMap: noMap}); !isCorrupt(err) {
				t.Errorf("cut at %d (noMap %v): err = %v, want a *CorruptIndexError", cut, noMap, err)
			}
		}
	}
}

func isCorrupt(err error) bool {
	var ce *CorruptIndexError
	return errors.As(err, &ce) && errors.Is(err, ErrCorruptIndex)
}

// manyChunkArticles makes an index whose quantised section holds full
// blocks of rows (256 + 256 + 512 rows and more), which a mapped load
// serves in place, and spans more than one checksum block.
func manyChunkArticles() []article.Article { return fillerArticles(130) }

// denseHits is what the dense retriever (the quantised index) ranks first
// for a few questions.
func denseHits(t *testing.T, ix *Index) [][]string {
	t.Helper()
	var out [][]string
	for _, q := range []string{"rançongiciel dans la région 3", "botnet mairie", "fuite de données incident 12"} {
		hits, err := ix.Search(t.Context(), q, SearchOptions{Retriever: "dense"})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ids(hits))
	}
	return out
}

// TestLoadMapsQuantised: a mapped load serves the quantised index's full
// blocks in place from the file, the read fallback from the heap, and both
// load the saved index; a mapped index that is then written to (an update)
// copies what it changes and saves the same index as one never mapped.
func TestLoadMapsQuantised(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	path, _ := savedIndex(t, f, manyChunkArticles())
	var want string
	var wantHits [][]string
	for _, tt := range []struct {
		name  string
		noMap bool
	}{{"mapped", false}, {"read fallback", true}} {
		ix, err := Load(t.Context(), path, Options{Embedder: f, noMap: tt.noMap})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !tt.noMap {
			mappingWorks(t)
			if len(ix.quantised) == 0 || ix.vec.InPlace() == 0 {
				t.Fatalf("%s: quantised index mapped %d bytes, %d served in place; want both", tt.name, len(ix.quantised), ix.vec.InPlace())
			}
		} else if len(ix.quantised) != 0 {
			t.Fatalf("%s: quantised index mapped", tt.name)
		}
		got, hits := indexDigest(t, ix), denseHits(t, ix)
		if want == "" {
			want, wantHits = got, hits
		} else if got != want || !slices.EqualFunc(hits, wantHits, slices.Equal) {
			t.Errorf("%s: loaded a different index than the mapped load", tt.name)
		}

		// Writes into the loaded index: a changed article (its rows
		// removed, new rows into the freed slots) and a new one.
		heap, err := New(Options{Embedder: f})
		if err != nil {
			t.Fatal(err)
		}
		arts := manyChunkArticles()
		changed := arts[len(arts)/2]
		changed.Text += " Un botnet a visé les serveurs d’une mairie bretonne."
		extra := article.Article{ID: "new", Title: "Nouvel article", Text: "Une fuite de données touche un hôpital."}
		for _, batch := range [][]article.Article{arts, {changed, extra}} {
			if _, err := heap.Add(t.Context(), batch, nil); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := ix.Add(t.Context(), []article.Article{changed, extra}, nil); err != nil {
			t.Fatal(err)
		}
		var a, b bytes.Buffer
		if _, err := ix.vec.WriteTo(&a); err != nil {
			t.Fatal(err)
		}
		if _, err := heap.vec.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) || !slices.EqualFunc(denseHits(t, ix), denseHits(t, heap), slices.Equal) {
			t.Errorf("%s: the updated quantised index differs from the same one built in memory", tt.name)
		}
	}
}

// TestLoadRefusesDamagedQuantised: a quantised index section damaged in
// any of its checksum blocks, or cut short, is refused whether mapped or
// read, with an error naming the file, the section and --reindex.
func TestLoadRefusesDamagedQuantised(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	_, whole := savedIndex(t, f, manyChunkArticles())
	q := sectionSpans(t, whole)[3]
	if q.sums-q.payload <= sectionBlock {
		t.Fatalf("quantised section of %d bytes: the test wants more than one block", q.sums-q.payload)
	}
	flip := func(at int) func([]byte) []byte {
		return func(b []byte) []byte { b[at] ^= 0x10; return b }
	}
	tests := []struct {
		name string
		edit func([]byte) []byte
	}{
		{"first block, a row", flip(q.payload + 64<<10)},
		{"second block", flip(q.payload + sectionBlock + 100)},
		{"last byte", flip(q.sums - 1)},
		{"second block's sum", flip(q.sums + 4)},
		{"cut in the second block", func(b []byte) []byte { return b[:q.payload+sectionBlock+5] }},
		{"cut in the sums", func(b []byte) []byte { return b[:q.sums+3] }},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		for _, noMap := range []bool{false, true} {
			p := filepath.Join(dir, fmt.Sprintf("%02d-%v-%s", i, noMap, SnapshotName))
			if err := os.WriteFile(p, tt.edit(slices.Clone(whole)), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(t.Context(), p, Options{Embedder: f, noMap: noMap})
			if !isCorrupt(err) {
				t.Errorf("%s (noMap %v): err = %v, want a *CorruptIndexError", tt.name, noMap, err)
				continue
			}
			for _, s := range []string{p, "vector index section", "--reindex"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%s (noMap %v): err = %v, want it to name %q", tt.name, noMap, err, s)
				}
			}
		}
	}
}

// TestLoadRebuildsMissingQuantised: a snapshot whose quantised index
// section is empty (intact, checksums and all) but whose chunks are there
// loads with the quantised index rebuilt from the vectors, and answers as
// the saved index does.
func TestLoadRebuildsMissingQuantised(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	path, whole := savedIndex(t, f, manyChunkArticles())
	want, err := Load(t.Context(), path, Options{Embedder: f})
	if err != nil {
		t.Fatal(err)
	}
	spans := sectionSpans(t, whole)
	q, v := spans[3], spans[4]
	// The same file with an empty section in place of the quantised
	// index, and the vectors section realigned after it.
	out := slices.Clone(whole[:q.start])
	out = binary.LittleEndian.AppendUint64(out, 0)
	out = binary.LittleEndian.AppendUint32(out, sectionTrailer(0, nil))
	out = append(out, make([]byte, vectorPad(int64(len(out))))...)
	out = append(out, whole[v.start:]...)
	for _, noMap := range []bool{false, true} {
		p := filepath.Join(t.TempDir(), SnapshotName)
		if err := os.WriteFile(p, out, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := Load(t.Context(), p, Options{Embedder: f, noMap: noMap})
		if err != nil {
			t.Fatalf("noMap %v: %v", noMap, err)
		}
		if got.vec == nil || got.vec.Len() != want.Chunks() || len(got.quantised) != 0 {
			t.Fatalf("noMap %v: quantised index not rebuilt", noMap)
		}
		// The rebuilt quantised index holds its rows in another slot order
		// than the saved one (so encodes differently), and ranks the same.
		if g, w := denseHits(t, got), denseHits(t, want); !slices.EqualFunc(g, w, slices.Equal) {
			t.Errorf("noMap %v: dense results %v after the rebuild, want %v", noMap, g, w)
		}
	}
}

// TestLoadLeavesVectorsUntouched: loading reads no page of the mapped
// vectors (chromem-go is handed the rows without reading them, and they are
// checked through read(2)), so none is resident in the process after Load;
// chromem-go's own scan then reads them all.
func TestLoadLeavesVectorsUntouched(t *testing.T) {
	t.Parallel()
	mappingWorks(t)
	f := newFake(t)
	path, _ := savedIndex(t, f, manyChunkArticles())
	ix, err := Load(t.Context(), path, Options{Embedder: f})
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.mapped) < 16*os.Getpagesize() {
		t.Fatalf("%d bytes of mapped vectors: the test wants more pages", len(ix.mapped))
	}
	if rss := residentKB(t, ix.mapped); rss != 0 {
		t.Fatalf("%d kB of the mapped vectors resident after Load, want none", rss)
	}
	if _, err := ix.Search(t.Context(), "rapport incident", SearchOptions{}); err != nil {
		t.Fatal(err)
	}
	if rss := residentKB(t, ix.mapped); rss != 0 {
		t.Fatalf("%d kB of the mapped vectors resident after a search through the quantised index, want none", rss)
	}
	if _, err := ix.Search(t.Context(), "rapport incident", SearchOptions{Retriever: "chromem"}); err != nil {
		t.Fatal(err)
	}
	if rss, all := residentKB(t, ix.mapped), len(ix.mapped)/1024; rss < all/2 {
		t.Fatalf("%d kB of %d resident after chromem-go's scan: the measure sees nothing", rss, all)
	}
}

// residentKB is the Rss, in kB, of the mapping that holds b (b is one
// whole mapping).
func residentKB(t *testing.T, b []byte) int {
	t.Helper()
	m, ok := ragtest.SmapsAt(t, uintptr(unsafe.Pointer(&b[0])))
	if !ok {
		t.Fatalf("no mapping holds %p in /proc/self/smaps", &b[0])
	}
	rss, ok := m.KB["Rss"]
	if !ok {
		t.Fatal("no Rss for the mapping in /proc/self/smaps")
	}
	return rss
}
