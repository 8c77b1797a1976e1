package rag

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/veille/veille/rag/article"
	"github.com/veille/veille/rag/atomicfile"
)

// span is where one section of a snapshot lies, as the test reads the
// layout: length at start, payload at payload, block sums at sums, the
// trailer at end-4.
type span struct {
	name                      string
	start, payload, sums, end int
}

// sectionSpans walks a snapshot's sections.
func sectionSpans(t testing.TB, data []byte) []span {
	t.Helper()
	off := len(snapshotMagic)
	var out []span
	for _, name := range []string{"manifest", "lexical", "article index", "vector index", "vectors", "chunk table"} {
		if name == "vectors" {
			off += int(vectorPad(int64(off)))
		}
		n := int(binary.LittleEndian.Uint64(data[off:]))
		s := span{name: name, start: off, payload: off + 8, sums: off + 8 + n}
		s.end = s.sums + 4*int(sectionSums(int64(n))) + 4
		out = append(out, s)
		off = s.end
	}
	if !bytes.Equal(data[off:], snapshotEnd) {
		t.Fatalf("layout: %d bytes after the sections, want the end marker", len(data)-off)
	}
	return out
}

// bigArticles returns articles whose vectors take more than one checksum
// block, so that damage past the first block is tried too.
func bigArticles() []article.Article { return fillerArticles(40) }

// fillerArticles returns testArticles and n generated articles of about
// five chunks each.
func fillerArticles(n int) []article.Article {
	arts := slices.Clone(testArticles)
	topics := []string{"rançongiciel", "hameçonnage", "fuite de données", "faille critique", "botnet", "espionnage"}
	for i := range n {
		var b strings.Builder
		for j := range 30 {
			fmt.Fprintf(&b, "Le rapport %d décrit l’incident %d lié au %s dans la région %d, selon les enquêteurs. ", i, j, topics[(i+j)%len(topics)], j%7)
			if j%6 == 5 {
				b.WriteString("\n\n")
			}
		}
		arts = append(arts, article.Article{
			ID: fmt.Sprintf("filler-%02d", i), Title: fmt.Sprintf("Incident numéro %d", i), Lang: "fr",
			Published: time.Date(2023, 1, 1+i%28, 0, 0, 0, 0, time.UTC), Text: b.String(),
		})
	}
	return arts
}

// savedIndex saves an index of arts and returns its path and bytes.
func savedIndex(t testing.TB, f *fakeEmbedder, arts []article.Article) (string, []byte) {
	t.Helper()
	ix, err := New(Options{Embedder: f})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Add(context.Background(), arts, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), SnapshotName)
	if err := ix.Save(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, data
}

// refusedOnFirstRead: an index loaded with damaged mapped vectors answers
// through its quantised index (which never reads them), but what reads
// them refuses, naming the damage: chromem-go's own scan, and a save, which
// writes nothing. It returns the scan's error.
func refusedOnFirstRead(t *testing.T, ix *Index) error {
	t.Helper()
	if _, err := ix.Search(t.Context(), "rapport incident", SearchOptions{}); err != nil {
		t.Fatalf("search through the quantised index: %v", err)
	}
	_, serr := ix.Search(t.Context(), "rapport incident", SearchOptions{Retriever: "chromem"})
	if serr == nil {
		t.Fatal("chromem-go's scan ran over damaged vectors")
	}
	out := filepath.Join(t.TempDir(), SnapshotName)
	if err := ix.Save(t.Context(), out); !errors.Is(err, ErrCorruptIndex) {
		t.Fatalf("save of an index with damaged vectors: %v, want ErrCorruptIndex", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("save wrote %s from damaged vectors (%v)", out, err)
	}
	// Asked again, it still refuses.
	if _, err := ix.Search(t.Context(), "rapport incident", SearchOptions{Retriever: "chromem"}); !errors.Is(err, ErrCorruptIndex) {
		t.Fatalf("second scan: %v, want ErrCorruptIndex", err)
	}
	return serr
}

// indexDigest hashes everything an index holds, in a canonical order: two
// indexes with the same digest answer every question the same way.
func indexDigest(t testing.TB, ix *Index) string {
	t.Helper()
	return digest(t, ix, true)
}

// digest is indexDigest, with or without the chunks' vectors.
func digest(t testing.TB, ix *Index, vectors bool) string {
	t.Helper()
	h := sha256.New()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	fmt.Fprintf(h, "%+v|%v\n", ix.man.Embedder, ix.man.Updated.UnixNano())
	for _, a := range ix.man.sorted() {
		fmt.Fprintf(h, "%q %q %q %q %q %v %v %q %d %q\n", a.ID, a.Title, a.URL, a.Source, a.Lang,
			a.Published.UnixNano(), a.FirstSeen.UnixNano(), a.Hash, a.Chunks, a.Text)
		for i := range a.Chunks {
			doc, err := ix.col.GetByID(context.Background(), chunkID(a.ID, i))
			if err != nil {
				fmt.Fprintf(h, "missing chunk %d\n", i)
				continue
			}
			keys := make([]string, 0, len(doc.Metadata))
			for k := range doc.Metadata {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				fmt.Fprintf(h, "%s=%q;", k, doc.Metadata[k])
			}
			fmt.Fprintf(h, "%q", doc.Content)
			for _, v := range doc.Embedding {
				if vectors {
					fmt.Fprintf(h, " %08x", math.Float32bits(v))
				}
			}
			h.Write([]byte{'\n'})
		}
	}
	if _, err := ix.lex.WriteTo(h); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.doc.WriteTo(h); err != nil {
		t.Fatal(err)
	}
	if ix.vec != nil {
		if _, err := ix.vec.WriteTo(h); err != nil {
			t.Fatal(err)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestLoadRefusesDamage(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	path, whole := savedIndex(t, f, bigArticles())
	orig, err := Load(t.Context(), path, Options{Embedder: f})
	if err != nil {
		t.Fatal(err)
	}
	origArticles, err := ReadArticles(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	spans := sectionSpans(t, whole)
	if v := spans[4]; v.sums-v.payload <= sectionBlock {
		t.Fatalf("vectors section of %d bytes: the test wants more than one block", v.sums-v.payload)
	}

	type damage struct {
		name string
		edit func([]byte) []byte
		// textsIntact: the manifest is untouched, so the error points at
		// --reindex and ReadArticles still reads every article.
		textsIntact bool
		// lazy: damage to the vectors' payload, which a mapped index checks
		// when something first reads the vectors rather than at load.
		lazy bool
	}
	flip := func(at int) func([]byte) []byte {
		return func(b []byte) []byte { b[at] ^= 0x01; return b }
	}
	tests := []damage{
		{"magic", flip(0), false, false},
		{"end marker", flip(len(whole) - 1), true, false},
		{"byte after the end", func(b []byte) []byte { return append(b, 0) }, true, false},
		{"truncated in the middle", func(b []byte) []byte { return b[:len(b)/2] }, true, false},
		{"end marker cut", func(b []byte) []byte { return b[:len(b)-3] }, true, false},
		{"empty", func([]byte) []byte { return nil }, false, false},
		{"not an index", func([]byte) []byte { return []byte("hello world, this is not an index at all") }, false, false},
	}
	for i, s := range spans {
		intact, payload := i > 0, i == 4
		tests = append(tests,
			damage{s.name + "/length", flip(s.start), intact, false},
			damage{s.name + "/first payload byte", flip(s.payload), intact, payload},
			damage{s.name + "/middle payload byte", flip((s.payload + s.sums) / 2), intact, payload},
			damage{s.name + "/last payload byte", flip(s.sums - 1), intact, payload},
			damage{s.name + "/block sum", flip(s.sums), intact, false},
			damage{s.name + "/trailer", flip(s.end - 1), intact, false},
		)
	}
	tests = append(tests,
		damage{"vectors/second block", flip(spans[4].payload + sectionBlock + 100), true, true},
		damage{"vectors/last alignment byte", flip(spans[4].start - 1), true, false},
		damage{"vectors/first alignment byte", flip(spans[3].end), true, false},
		damage{"truncated in the vectors", func(b []byte) []byte { return b[:spans[4].payload+sectionBlock+5] }, true, false},
	)

	if spans[4].start == spans[3].end {
		t.Fatal("no alignment bytes before the vectors section: the test wants some")
	}

	dir := t.TempDir()
	for i, tt := range tests {
		// Mapped, and read onto the heap as where there is no mmap.
		for _, noMap := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/noMap=%v", tt.name, noMap), func(t *testing.T) {
				t.Parallel()
				p := filepath.Join(dir, fmt.Sprintf("%02d-%v-%s", i, noMap, SnapshotName))
				if err := os.WriteFile(p, tt.edit(slices.Clone(whole)), 0o644); err != nil {
					t.Fatal(err)
				}
				ix, err := Load(t.Context(), p, Options{Embedder: f, noMap: noMap})
				if err == nil && tt.lazy && !noMap {
					err = refusedOnFirstRead(t, ix)
				} else if err == nil {
					same := indexDigest(t, ix) == indexDigest(t, orig)
					t.Fatalf("damaged index loaded (identical to the original: %v)", same)
				}
				var ce *CorruptIndexError
				if !errors.Is(err, ErrCorruptIndex) || !errors.As(err, &ce) {
					t.Fatalf("err = %v, want a *CorruptIndexError", err)
				}
				if !strings.Contains(err.Error(), p) {
					t.Errorf("err = %v, want it to name %s", err, p)
				}
				way := "ingest your sources again"
				if tt.textsIntact {
					way = "veille ingest --reindex"
				}
				if ce.TextsIntact != tt.textsIntact || !strings.Contains(err.Error(), way) {
					t.Errorf("err = %v (texts intact %v), want the way out %q", err, ce.TextsIntact, way)
				}
				// The way out must work: --reindex starts from ReadArticles.
				arts, rerr := ReadArticles(t.Context(), p)
				if tt.textsIntact {
					if rerr != nil {
						t.Fatalf("ReadArticles: %v, but the texts are intact", rerr)
					}
					if diff := cmp.Diff(origArticles, arts); diff != "" {
						t.Errorf("ReadArticles (-want +got):\n%s", diff)
					}
				} else if rerr == nil {
					t.Errorf("ReadArticles read %d articles from a damaged manifest", len(arts))
				}
			})
		}
	}
}

func TestLoadOlderFormat(t *testing.T) {
	t.Parallel()
	// v5: before checksums; v6: checksums, vectors not aligned for mapping
	// (written by commit 100b173's veille ingest); v7: the manifest a gob
	// (written by commit 2d336c7's).
	for _, name := range []string{"index-v5.veille", "index-v6.veille", "index-v7.veille"} {
		path := filepath.Join("testdata", name)
		_, err := Load(t.Context(), path, Options{Embedder: newFake(t)})
		if !errors.Is(err, ErrIndexVersion) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "veille ingest --reindex") {
			t.Fatalf("err = %v, want ErrIndexVersion naming %s and --reindex", err, path)
		}
		// --reindex reads the older format's articles.
		arts, err := ReadArticles(t.Context(), path)
		if err != nil || len(arts) != 1 || arts[0].ID != "log4j" || !strings.Contains(arts[0].Text, "CVE-2021-44228") {
			t.Fatalf("ReadArticles(%s) = %+v, %v; want the log4j article", name, arts, err)
		}
	}
}

// FuzzLoad: a snapshot with bytes changed is refused, never loaded as a
// silently different index. Each 5 bytes of edits are an offset (uint32,
// modulo the size) and a byte XORed there.
func FuzzLoad(f *testing.F) {
	fe := newFake(f)
	path, whole := savedIndex(f, fe, testArticles[:1])
	orig, err := Load(context.Background(), path, Options{Embedder: fe})
	if err != nil {
		f.Fatal(err)
	}
	want, wantNoVectors := indexDigest(f, orig), digest(f, orig, false)
	edit := func(at int, x byte) []byte {
		return append(binary.LittleEndian.AppendUint32(nil, uint32(at)), x)
	}
	f.Add([]byte{})
	f.Add(edit(0, 0))
	for _, s := range sectionSpans(f, whole) {
		for _, at := range []int{s.start, s.payload, (s.payload + s.sums) / 2, s.sums - 1, s.sums, s.end - 1} {
			f.Add(edit(at, 0x01))
			f.Add(append(edit(at, 0x80), edit(at+1, 0x80)...))
		}
	}
	f.Add(edit(len(whole)-1, 0xff))
	f.Fuzz(func(t *testing.T, edits []byte) {
		data := slices.Clone(whole)
		for i := 0; i+5 <= len(edits); i += 5 {
			at := int(binary.LittleEndian.Uint32(edits[i:]) % uint32(len(data)))
			data[at] ^= edits[i+4]
		}
		p := filepath.Join(t.TempDir(), SnapshotName)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ix, err := Load(t.Context(), p, Options{Embedder: fe})
		if err != nil {
			if bytes.Equal(data, whole) {
				t.Fatalf("the intact index was refused: %v", err)
			}
			if !strings.Contains(err.Error(), p) {
				t.Fatalf("err = %v, want it to name %s", err, p)
			}
			return
		}
		if got := indexDigest(t, ix); got != want {
			// Mapped vectors are checked when first read: all else must be
			// the original, and reading them refused.
			if err := ix.vectorsCheck.run(t.Context()); !errors.Is(err, ErrCorruptIndex) || digest(t, ix, false) != wantNoVectors {
				t.Fatalf("a damaged file loaded as a different index (%d bytes changed; reading its vectors: %v)", countDiff(data, whole), err)
			}
		}
	})
}

func countDiff(a, b []byte) int {
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

func TestLockDirRemovesStaleTemps(t *testing.T) {
	t.Parallel()
	if !lockExclusive {
		t.Skip("no exclusive writer lock on this system: temporary files are kept")
	}
	dir := t.TempDir()
	files := map[string]bool{ // name → still there after LockDir
		".index.veille.tmp-123456": false,
		".index.veille.tmp-9":      false,
		SnapshotName:               true,
		".feeds.json.tmp-42":       true, // not the index's: not ours to judge
		"index.veille.tmp-1":       true, // not hidden: not Save's pattern
		"notes.txt":                true,
	}
	for name := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	release, err := LockDir(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	for name, kept := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if got := err == nil; got != kept {
			t.Errorf("%s still there = %v, want %v", name, got, kept)
		}
	}
}

// cancelAfter is a context whose Err turns to Canceled after n calls: a save
// that fails part-way through its writing, at the same place every run.
type cancelAfter struct {
	context.Context
	n atomic.Int32
}

func (c *cancelAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestSaveFailingMidwayKeepsPreviousIndex(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	path, before := savedIndex(t, f, testArticles)
	ix, err := Load(t.Context(), path, Options{Embedder: f})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Add(t.Context(), bigArticles(), nil); err != nil {
		t.Fatal(err)
	}
	// Save checks ctx once before it writes anything, then while it writes.
	ctx := &cancelAfter{Context: t.Context()}
	ctx.n.Store(1)
	if err := ix.Save(ctx, path); !errors.Is(err, context.Canceled) {
		t.Fatalf("Save = %v, want it to fail part-way with context.Canceled", err)
	}
	after, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("a save that failed part-way changed the previous index (%v)", err)
	}
	if _, err := Load(t.Context(), path, Options{Embedder: f}); err != nil {
		t.Fatalf("previous index unreadable: %v", err)
	}
	if temps, _ := filepath.Glob(filepath.Join(filepath.Dir(path), atomicfile.TempPattern(path))); len(temps) > 0 {
		t.Errorf("temporary files left behind: %v", temps)
	}
}

// saveHelperEnv makes the test binary a process that saves an index in a
// loop until it is killed (see TestSaveKilled).
const saveHelperEnv = "VEILLE_TEST_SAVE_LOOP"

func TestSaveLoopHelper(t *testing.T) {
	path := os.Getenv(saveHelperEnv)
	if path == "" {
		t.Skip("helper process for TestSaveKilled")
	}
	ix, err := New(Options{Embedder: newFake(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Add(t.Context(), bigArticles(), nil); err != nil {
		t.Fatal(err)
	}
	for {
		if err := ix.Save(t.Context(), path); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSaveKilled kills a process in the middle of a save: the index left
// is complete and loads, and the next writer removes the temporary file.
func TestSaveKilled(t *testing.T) {
	t.Parallel()
	if !lockExclusive || testing.Short() {
		t.Skip("needs an exclusive writer lock and a child process")
	}
	f := newFake(t)
	path, _ := savedIndex(t, f, testArticles)
	dir := filepath.Dir(path)
	for attempt := 1; ; attempt++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSaveLoopHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), saveHelperEnv+"="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill it as soon as a save is under way.
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if temps, _ := filepath.Glob(filepath.Join(dir, atomicfile.TempPattern(path))); len(temps) > 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if _, err := Load(t.Context(), path, Options{Embedder: f}); err != nil {
			t.Fatalf("index after a killed save: %v", err)
		}
		temps, _ := filepath.Glob(filepath.Join(dir, atomicfile.TempPattern(path)))
		if len(temps) == 0 {
			if attempt < 5 {
				continue // killed between two saves: try again
			}
			t.Skip("never killed in the middle of a save")
		}
		release, err := LockDir(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		release()
		if left, _ := filepath.Glob(filepath.Join(dir, atomicfile.TempPattern(path))); len(left) > 0 {
			t.Fatalf("the next writer left the killed save's temporary files: %v", left)
		}
		return
	}
}

// TestSaveLoadKeepsEveryChunksPlace: every chunk of every article comes back
// from a load, and from a save of what was loaded, at its own offsets with
// its own text (once, all the chunks of a loaded article were saved at the
// offsets of its last one).
func TestSaveLoadKeepsEveryChunksPlace(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	built, err := New(Options{Embedder: f})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := built.Add(t.Context(), fillerArticles(3), nil); err != nil {
		t.Fatal(err)
	}
	passages := func(ix *Index) []Passage {
		ix.mu.RLock()
		defer ix.mu.RUnlock()
		var out []Passage
		for _, a := range ix.man.sorted() {
			for n := range a.Chunks {
				p, ok := ix.passageLocked(chunkID(a.ID, n))
				if !ok {
					t.Fatalf("chunk %d of %s: no passage", n, a.ID)
				}
				out = append(out, p)
			}
		}
		return out
	}
	want := passages(built)
	if len(want) < 10 || !slices.ContainsFunc(want, func(p Passage) bool { return p.Start > 0 }) {
		t.Fatalf("%d chunks: the test wants articles of several chunks", len(want))
	}
	ix := built
	for round := range 2 {
		path := filepath.Join(t.TempDir(), SnapshotName)
		if err := ix.Save(t.Context(), path); err != nil {
			t.Fatal(err)
		}
		if ix, err = Load(t.Context(), path, Options{Embedder: f}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, passages(ix)); diff != "" {
			t.Fatalf("round %d: passages (-built +loaded):\n%s", round, diff)
		}
		if got, want := digest(t, ix, true), digest(t, built, true); got != want {
			t.Fatalf("round %d: loaded index differs from the built one", round)
		}
	}
}
