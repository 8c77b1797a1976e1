package lexical

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

func encode(t testing.TB, ix *Index) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := ix.WriteTo(&buf)
	if err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteTo returned %d, wrote %d bytes", n, buf.Len())
	}
	return buf.Bytes()
}

func roundTrip(t testing.TB, ix *Index) *Index {
	t.Helper()
	data := encode(t, ix)
	got := New(ix.Params())
	n, err := got.ReadFrom(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ReadFrom: %v", err)
	}
	if n != int64(len(data)) {
		t.Fatalf("ReadFrom returned %d, want %d", n, len(data))
	}
	return got
}

// churned is an index with replaced and removed documents, some of them
// still tombstones, and a term frequency above 255.
func churned(t testing.TB) *Index {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	ix := New(DefaultParams())
	for range 300 {
		terms := make([]string, 5+rng.IntN(20))
		for j := range terms {
			terms[j] = fmt.Sprintf("t%d", rng.IntN(60))
		}
		ix.Add(fmt.Sprintf("d%d", rng.IntN(200)), terms)
	}
	ix.Add("loud", append(strings.Fields(strings.Repeat("boom ", 400)), "t1"))
	for i := range 20 {
		ix.Remove(fmt.Sprintf("d%d", i*3))
	}
	return ix
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ix   func(testing.TB) *Index
	}{
		{"empty", func(testing.TB) *Index { return New(DefaultParams()) }},
		{"tiny", func(t testing.TB) *Index { return build(t, tiny...) }},
		{"all removed", func(t testing.TB) *Index {
			ix := build(t, tiny...)
			for _, d := range tiny {
				ix.Remove(d.id)
			}
			return ix
		}},
		{"empty documents and terms", func(t testing.TB) *Index {
			ix := New(DefaultParams())
			ix.Add("", []string{"", "x"})
			ix.Add("nothing", nil)
			return ix
		}},
		{"churned", churned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ix := tt.ix(t)
			got := roundTrip(t, ix)
			if got.Len() != ix.Len() {
				t.Errorf("Len = %d, want %d", got.Len(), ix.Len())
			}
			queries := [][]string{{"cat"}, {"cat", "dog", "bird"}, {"t1", "t2", "t3", "boom"}, {"t5"}, {"", "x"}}
			for _, q := range queries {
				want := ix.Search(q, 1000, nil)
				if diff := cmp.Diff(want, got.Search(q, 1000, nil)); diff != "" {
					t.Errorf("Search(%q) after round trip (-want +got):\n%s", q, diff)
				}
			}
			// Deterministic: the same state gives the same bytes, and so
			// does the index read back.
			first := encode(t, ix)
			if !bytes.Equal(first, encode(t, ix)) {
				t.Error("two WriteTo of the same index differ")
			}
			if !bytes.Equal(first, encode(t, got)) {
				t.Error("WriteTo of the index read back differs from its input")
			}
		})
	}
}

func TestReadFromErrors(t *testing.T) {
	t.Parallel()
	valid := encode(t, churned(t))
	flipped := bytes.Clone(valid)
	flipped[len(flipped)/2] ^= 0x10
	future := binary.AppendUvarint([]byte(magic), version+1)

	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty input", nil, ErrCorrupt},
		{"not an index", []byte("hello, world"), ErrCorrupt},
		{"future version", future, ErrVersion},
		{"flipped bit", flipped, ErrCorrupt},
		{"bad checksum", append(bytes.Clone(valid[:len(valid)-1]), valid[len(valid)-1]^1), ErrCorrupt},
		{"varint overflow", append([]byte(magic), 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), ErrCorrupt},
		{"huge string length", append([]byte(magic), 1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f), ErrCorrupt},
		{"term without documents", append([]byte(magic), 1, 0, 1, 1, 'x', 1, 0, 1), ErrCorrupt},
		{"ordinal out of range", append([]byte(magic), 1, 1, 1, 'a', 1, 1, 'x', 1, 1, 2), ErrCorrupt},
		{"ordinals out of order", append([]byte(magic), 1, 2, 1, 'a', 1, 'b', 1, 1, 'x', 2, 2, 2, 0), ErrCorrupt},
		{"flagged frequency 1", append([]byte(magic), 1, 1, 1, 'a', 1, 1, 'x', 1, 2, 1, 1), ErrCorrupt},
		{"more postings than df", append([]byte(magic), 1, 2, 1, 'a', 1, 'b', 1, 1, 'x', 1, 2, 0, 2), ErrCorrupt},
		{"truncated posting", append([]byte(magic), 1, 1, 1, 'a', 1, 1, 'x', 1, 1, 1), ErrCorrupt},
		{"duplicate id", append([]byte(magic), 1, 2, 1, 'a', 1, 'a', 0), ErrCorrupt},
		{"non-minimal varint", append([]byte(magic), 0x81, 0x00), ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ix := New(DefaultParams())
			_, err := ix.ReadFrom(bytes.NewReader(tt.data))
			if !errors.Is(err, tt.want) {
				t.Fatalf("ReadFrom error = %v, want %v", err, tt.want)
			}
			if ix.Len() != 0 {
				t.Errorf("Len = %d after a failed ReadFrom", ix.Len())
			}
		})
	}

	t.Run("every truncation", func(t *testing.T) {
		t.Parallel()
		small := encode(t, build(t, tiny...))
		for n := range len(small) {
			_, err := New(DefaultParams()).ReadFrom(bytes.NewReader(small[:n]))
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("truncated to %d of %d bytes: error = %v, want ErrCorrupt", n, len(small), err)
			}
		}
		for n := 0; n < len(valid); n += 61 {
			_, err := New(DefaultParams()).ReadFrom(bytes.NewReader(valid[:n]))
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("truncated to %d of %d bytes: error = %v, want ErrCorrupt", n, len(valid), err)
			}
		}
	})

	t.Run("reader error", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("boom")
		r := io.MultiReader(bytes.NewReader(valid[:20]), iotest.ErrReader(boom))
		_, err := New(DefaultParams()).ReadFrom(r)
		if !errors.Is(err, boom) || errors.Is(err, ErrCorrupt) {
			t.Errorf("ReadFrom error = %v, want the reader's error, not ErrCorrupt", err)
		}
	})

	t.Run("not empty", func(t *testing.T) {
		t.Parallel()
		ix := build(t, tiny...)
		if _, err := ix.ReadFrom(bytes.NewReader(valid)); !errors.Is(err, ErrNotEmpty) {
			t.Errorf("ReadFrom error = %v, want ErrNotEmpty", err)
		}
	})
}

func TestReadFromStopsAtEnd(t *testing.T) {
	t.Parallel()
	data := encode(t, build(t, tiny...))
	r := bytes.NewReader(append(bytes.Clone(data), "trailer"...))
	if _, err := New(DefaultParams()).ReadFrom(r); err != nil {
		t.Fatalf("ReadFrom: %v", err)
	}
	rest, _ := io.ReadAll(r)
	if string(rest) != "trailer" {
		t.Errorf("left %q unread, want %q", rest, "trailer")
	}
	// A plain io.Reader gets buffered.
	if _, err := New(DefaultParams()).ReadFrom(iotest.OneByteReader(bytes.NewReader(data))); err != nil {
		t.Fatalf("ReadFrom(OneByteReader): %v", err)
	}
}

func TestWriteToError(t *testing.T) {
	t.Parallel()
	ix := churned(t)
	boom := errors.New("disk full")
	w := &failingWriter{room: 100, err: boom}
	if _, err := ix.WriteTo(w); !errors.Is(err, boom) {
		t.Errorf("WriteTo error = %v, want %v", err, boom)
	}
}

type failingWriter struct {
	room int
	err  error
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.room {
		n := w.room
		w.room = 0
		return n, w.err
	}
	w.room -= len(p)
	return len(p), nil
}

func FuzzReadFrom(f *testing.F) {
	f.Add(encode(f, New(DefaultParams())))
	f.Add(encode(f, build(f, tiny...)))
	f.Add(encode(f, build(f, doc{"x", strings.Repeat("a ", 300)}, doc{"y", "a b"})))
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		ix := New(DefaultParams())
		n, err := ix.ReadFrom(bytes.NewReader(data))
		if err != nil {
			if ix.Len() != 0 {
				t.Fatalf("Len = %d after error %v", ix.Len(), err)
			}
			return
		}
		if n > int64(len(data)) {
			t.Fatalf("read %d of %d bytes", n, len(data))
		}
		// A valid encoding is canonical: it writes back the same bytes.
		if got := encode(t, ix); !bytes.Equal(got, data[:n]) {
			t.Fatalf("re-encoding differs:\n got %x\nwant %x", got, data[:n])
		}
		ix.Search([]string{"a", "b"}, 3, nil)
	})
}

// FuzzDecode: Decode takes exactly what ReadFrom takes, and reads it as the
// same index.
func FuzzDecode(f *testing.F) {
	f.Add(encode(f, New(DefaultParams())))
	f.Add(encode(f, build(f, tiny...)))
	f.Add(encode(f, churned(f)))
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		want := New(DefaultParams())
		wn, werr := want.ReadFrom(bytes.NewReader(data))
		got := New(DefaultParams())
		gn, gerr := got.Decode(slices.Clone(data))
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("ReadFrom: %v; Decode: %v", werr, gerr)
		}
		if gerr != nil {
			if got.Len() != 0 || !errors.Is(gerr, ErrCorrupt) && !errors.Is(gerr, ErrVersion) {
				t.Fatalf("Decode: %v, Len %d after it", gerr, got.Len())
			}
			return
		}
		if int64(gn) != wn || !bytes.Equal(encode(t, got), encode(t, want)) {
			t.Fatalf("Decode read %d bytes as another index than ReadFrom's %d", gn, wn)
		}
	})
}

// TestDecodeKeepsItsInput: a decoded index's posting lists are slices of
// the input, and adding to it or compacting it never writes into the input.
func TestDecodeKeepsItsInput(t *testing.T) {
	t.Parallel()
	data := encode(t, churned(t))
	kept := slices.Clone(data)
	ix := New(DefaultParams())
	if _, err := ix.Decode(data); err != nil {
		t.Fatal(err)
	}
	lo, hi := &data[0], &data[len(data)-1]
	inside := 0
	for _, p := range ix.post {
		if len(p.data) > 0 && uintptr(unsafe.Pointer(&p.data[0])) >= uintptr(unsafe.Pointer(lo)) && uintptr(unsafe.Pointer(&p.data[0])) <= uintptr(unsafe.Pointer(hi)) {
			inside++
		}
	}
	if inside != len(ix.post) {
		t.Fatalf("%d of %d posting lists are slices of the input", inside, len(ix.post))
	}
	for i := range 50 {
		ix.Add(fmt.Sprintf("new%d", i), []string{"t1", "t2", "boom", fmt.Sprintf("n%d", i)})
	}
	for i := range 100 {
		ix.Remove(fmt.Sprintf("d%d", i))
	}
	ix.Add("d150", []string{"t3"}) // replaces, and may compact
	if !bytes.Equal(data, kept) {
		t.Fatal("adding to a decoded index wrote into its input")
	}
	want := New(DefaultParams())
	if _, err := want.ReadFrom(bytes.NewReader(kept)); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		want.Add(fmt.Sprintf("new%d", i), []string{"t1", "t2", "boom", fmt.Sprintf("n%d", i)})
	}
	for i := range 100 {
		want.Remove(fmt.Sprintf("d%d", i))
	}
	want.Add("d150", []string{"t3"})
	if !bytes.Equal(encode(t, ix), encode(t, want)) {
		t.Fatal("a decoded index, changed, differs from a read one changed the same way")
	}
}
