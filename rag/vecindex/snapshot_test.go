package vecindex

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// encode returns ix's encoding.
func encode(t testing.TB, ix *Index) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := ix.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteTo() = %d bytes, wrote %d", n, buf.Len())
	}
	return buf.Bytes()
}

// decodeIndex reads enc into a new index of dim dimensions.
func decodeIndex(t testing.TB, enc []byte, dim int) *Index {
	t.Helper()
	ix := New(dim)
	n, err := ix.ReadFrom(bytes.NewReader(enc))
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(enc)) {
		t.Fatalf("ReadFrom() = %d bytes, want %d", n, len(enc))
	}
	return ix
}

// openIndex opens a new index of dim dimensions over a copy of enc, and
// checks at the end of the test that the index never wrote into it.
func openIndex(t testing.TB, enc []byte, dim int) *Index {
	t.Helper()
	mine := bytes.Clone(enc)
	ix, err := Open(mine, dim)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !bytes.Equal(mine, enc) {
			t.Error("the index wrote into the bytes it was opened over")
		}
	})
	return ix
}

// loaders are the two ways back from an encoding: read onto the heap, or
// opened over the encoding's bytes.
var loaders = []struct {
	name string
	load func(testing.TB, []byte, int) *Index
}{
	{"ReadFrom", decodeIndex},
	{"Open", openIndex},
}

// reseal recomputes enc's CRC trailer, so a test can check what the
// checksum would otherwise catch first.
func reseal(enc []byte) []byte {
	body := enc[:len(enc)-4]
	return binary.LittleEndian.AppendUint32(bytes.Clone(body), crc32.Checksum(body, castagnoli))
}

// churned returns an index of dim dimensions after adds, replacements and
// removes that leave free slots in a non-trivial order and a partly used
// last block, with its rows by ID.
func churned(t testing.TB, dim int) (*Index, map[string][]float32) {
	t.Helper()
	r := rand.New(rand.NewPCG(3, 4))
	ix := New(dim)
	vecs := fill(t, ix, r, 1500, dim, 40)
	for i := 0; i < 1500; i += 7 {
		id := fmt.Sprintf("row%05d", i)
		ix.Remove(id)
		delete(vecs, id)
	}
	for i := 1; i < 1500; i += 11 {
		id := fmt.Sprintf("row%05d", i)
		if _, ok := vecs[id]; !ok {
			continue
		}
		vecs[id] = sparse(r, dim, 40)
		if err := ix.Add(id, vecs[id]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 30 {
		id := fmt.Sprintf("new%03d", i)
		vecs[id] = sparse(r, dim, 40)
		if err := ix.Add(id, vecs[id]); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Add("", sparse(r, dim, 40)); err != nil { // the empty ID is a valid ID
		t.Fatal(err)
	}
	if err := ix.Add("zero", make([]float32, dim)); err != nil {
		t.Fatal(err)
	}
	return ix, vecs
}

func TestRoundTripSearch(t *testing.T) {
	t.Parallel()
	const dim = 256
	ix, vecs := churned(t, dim)
	for _, l := range loaders {
		got := l.load(t, encode(t, ix), dim)
		if got.Len() != ix.Len() {
			t.Fatalf("%s: Len() = %d after a round trip, want %d", l.name, got.Len(), ix.Len())
		}
		roundTripSearches(t, l.name, ix, got, vecs)
	}
}

// roundTripSearches compares searches on ix and on got, its round trip.
func roundTripSearches(t *testing.T, name string, ix, got *Index, vecs map[string][]float32) {
	t.Helper()
	dim := ix.Dim()
	exact := func(id string) []float32 { return vecs[id] }
	keep := func(id string) bool { return strings.HasSuffix(id, "3") }
	r := rand.New(rand.NewPCG(5, 6))
	for q := range 20 {
		query := sparse(r, dim, 20)
		for _, tc := range []struct {
			name  string
			keep  func(string) bool
			exact func(string) []float32
		}{
			{"approx", nil, nil},
			{"exact", nil, exact},
			{"approx/keep", keep, nil},
			{"exact/keep", keep, exact},
		} {
			want := ix.Search(query, 10, tc.keep, tc.exact)
			if diff := cmp.Diff(want, got.Search(query, 10, tc.keep, tc.exact)); diff != "" {
				t.Errorf("%s: query %d %s: Search() after a round trip (-want +got):\n%s", name, q, tc.name, diff)
			}
		}
	}
}

// TestRoundTripState checks that a loaded index is the written one: the
// same operations on both give the same encodings, so free slots are reused
// in the same order.
func TestRoundTripState(t *testing.T) {
	t.Parallel()
	const dim = 64
	for _, tc := range []struct {
		name string
		make func(t *testing.T) *Index
	}{
		{"empty", func(*testing.T) *Index { return New(dim) }},
		{"all removed", func(t *testing.T) *Index {
			ix := New(dim)
			fill(t, ix, rand.New(rand.NewPCG(1, 1)), 300, dim, 10)
			for i := range 300 {
				ix.Remove(fmt.Sprintf("row%05d", i))
			}
			return ix
		}},
		{"full blocks", func(t *testing.T) *Index {
			ix := New(dim)
			fill(t, ix, rand.New(rand.NewPCG(1, 1)), 512, dim, 10)
			return ix
		}},
		{"churned", func(t *testing.T) *Index {
			ix, _ := churned(t, dim)
			return ix
		}},
	} {
		for _, l := range loaders {
			t.Run(tc.name+"/"+l.name, func(t *testing.T) {
				t.Parallel()
				roundTripState(t, tc.make(t), l.load)
			})
		}
	}
}

// roundTripState checks that ix loaded back by load encodes as ix does,
// before and after the same operations on both.
func roundTripState(t *testing.T, ix *Index, load func(testing.TB, []byte, int) *Index) {
	t.Helper()
	dim := ix.Dim()
	enc := encode(t, ix)
	if again := encode(t, ix); !bytes.Equal(enc, again) {
		t.Fatal("two encodings of one index differ")
	}
	got := load(t, enc, dim)
	if reenc := encode(t, got); !bytes.Equal(enc, reenc) {
		t.Fatal("a loaded index encodes differently from the one written")
	}
	r := rand.New(rand.NewPCG(9, 9))
	for i := range 400 {
		id, v := fmt.Sprintf("later%03d", i), sparse(r, dim, 10)
		if err := ix.Add(id, v); err != nil {
			t.Fatal(err)
		}
		if err := got.Add(id, v); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			ix.Remove(fmt.Sprintf("later%03d", i/2))
			got.Remove(fmt.Sprintf("later%03d", i/2))
		}
	}
	if !bytes.Equal(encode(t, ix), encode(t, got)) {
		t.Error("the same operations after a round trip give different indexes")
	}
}

// TestOpenErrors: Open refuses an encoding cut short or followed by bytes
// that are not its checksum, whatever the cut.
func TestOpenErrors(t *testing.T) {
	t.Parallel()
	const dim = 32
	ix, _ := churned(t, dim)
	enc := encode(t, ix)
	for _, cut := range []int{0, 3, encHeaderSize, encHeaderSize + 5, len(enc) / 2, len(enc) - 5, len(enc) - 1} {
		if _, err := Open(bytes.Clone(enc[:cut]), dim); !errors.Is(err, ErrCorrupt) {
			t.Errorf("cut at %d of %d: err = %v, want ErrCorrupt", cut, len(enc), err)
		}
	}
	if _, err := Open(append(bytes.Clone(enc), 0), dim); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a byte after the checksum: err = %v, want ErrCorrupt", err)
	}
	if _, err := Open(bytes.Clone(enc), dim+1); !errors.Is(err, ErrDimension) {
		t.Errorf("another dimension: err = %v, want ErrDimension", err)
	}
}

// TestReadFromExact checks that ReadFrom stops at the end of the encoding,
// so an index can sit inside a larger stream.
func TestReadFromExact(t *testing.T) {
	t.Parallel()
	ix, _ := churned(t, 32)
	enc := encode(t, ix)
	r := bytes.NewReader(append(bytes.Clone(enc), "after"...))
	n, err := New(32).ReadFrom(r)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(enc)) || r.Len() != len("after") {
		t.Errorf("ReadFrom() = %d bytes leaving %d, want %d leaving %d", n, r.Len(), len(enc), len("after"))
	}
}

func TestReadFromErrors(t *testing.T) {
	t.Parallel()
	const dim = 16
	ix := New(dim)
	fill(t, ix, rand.New(rand.NewPCG(1, 1)), 300, dim, 4)
	ix.Remove("row00002")
	ix.Remove("row00007")
	enc := encode(t, ix)
	// Offsets into enc: the slot table starts after the header; slot 0 is
	// uvarint 9 then "row00000".
	slots := encHeaderSize
	scales := slots + 298*9 + 2 + 2*4

	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(enc)) }
	nonEmpty := New(dim)
	if err := nonEmpty.Add("a", make([]float32, dim)); err != nil {
		t.Fatal(err)
	}
	nonEmpty.Remove("a") // no rows, but not fresh either

	for _, tc := range []struct {
		name string
		into *Index
		in   []byte
		want error
	}{
		{"empty input", nil, nil, ErrCorrupt},
		{"header only", nil, enc[:encHeaderSize], ErrCorrupt},
		{"truncated in slots", nil, enc[:slots+100], ErrCorrupt},
		{"truncated in scales", nil, enc[:scales+10], ErrCorrupt},
		{"truncated in blocks", nil, enc[:len(enc)-1000], ErrCorrupt},
		{"no trailer", nil, enc[:len(enc)-4], ErrCorrupt},
		{"flipped data bit", nil, edit(func(b []byte) []byte { b[len(b)-100] ^= 1; return b }), ErrCorrupt},
		{"bad magic", nil, edit(func(b []byte) []byte { b[0] = 'x'; return reseal(b) }), ErrCorrupt},
		{"bad version", nil, edit(func(b []byte) []byte { b[4] = 2; return reseal(b) }), ErrCorrupt},
		{"huge slot count", nil, edit(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[12:], 1<<31-1)
			return reseal(b)
		}), ErrCorrupt},
		{"huge slot table", nil, edit(func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[20:], 1<<62)
			return reseal(b)
		}), ErrCorrupt},
		{"free count mismatch", nil, edit(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[16:], 1)
			return reseal(b)
		}), ErrCorrupt},
		{"duplicate ID", nil, edit(func(b []byte) []byte { b[slots+17] = '0'; return reseal(b) }), ErrCorrupt},
		{"ID past the table", nil, edit(func(b []byte) []byte {
			copy(b[slots:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0x0f})
			return reseal(b)
		}), ErrCorrupt},
		{"live slot in free list", nil, edit(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[scales-8:], 0)
			return reseal(b)
		}), ErrCorrupt},
		{"negative scale", nil, edit(func(b []byte) []byte { b[scales+3] |= 0x80; return reseal(b) }), ErrCorrupt},
		{"scale on a free slot", nil, edit(func(b []byte) []byte { b[scales+2*4] = 1; return reseal(b) }), ErrCorrupt},
		{"data in a free slot", nil, edit(func(b []byte) []byte {
			b[scales+4*300+2] = 1 // block 0 (256 rows), dimension 0, slot 2
			return reseal(b)
		}), ErrCorrupt},
		{"other dimension", New(dim + 1), enc, ErrDimension},
		{"not empty", nonEmpty, enc, ErrNotEmpty},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			into := tc.into
			if into == nil {
				into = New(dim)
			}
			_, err := into.ReadFrom(bytes.NewReader(tc.in))
			if !errors.Is(err, tc.want) {
				t.Fatalf("ReadFrom() error = %v, want %v", err, tc.want)
			}
			if tc.into == nil && (into.Len() != 0 || into.n != 0) {
				t.Errorf("a failed ReadFrom left %d rows", into.Len())
			}
		})
	}
}

func FuzzReadFrom(f *testing.F) {
	const dim = 4
	f.Add(encode(f, New(dim)))
	ix := New(dim)
	for i, v := range [][]float32{{1, 0, 0, 0}, {0, -2, 0.5, 0}, {0, 0, 0, 0}, {3, 3, 3, 3}} {
		if err := ix.Add(fmt.Sprint(i), v); err != nil {
			f.Fatal(err)
		}
	}
	f.Add(encode(f, ix))
	ix.Remove("1")
	f.Add(encode(f, ix))
	f.Fuzz(func(t *testing.T, in []byte) {
		ix := New(dim)
		n, err := ix.ReadFrom(bytes.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrDimension) {
				t.Fatalf("ReadFrom() error = %v, want ErrCorrupt or ErrDimension", err)
			}
			return
		}
		// Whatever loads is an index: it encodes back to what was read and
		// takes further operations.
		if got := encode(t, ix); !bytes.Equal(got, in[:n]) {
			t.Fatalf("re-encoding differs from the input read")
		}
		for s := range 300 {
			id := fmt.Sprint(s % 7)
			if s%3 == 0 {
				ix.Remove(id)
				continue
			}
			if err := ix.Add(id, []float32{float32(s), 1, 0, -1}); err != nil {
				t.Fatal(err)
			}
			ix.Search([]float32{1, 1, 1, 1}, 3, nil, nil)
		}
	})
}
