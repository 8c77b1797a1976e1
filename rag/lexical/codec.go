package lexical

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// The encoding, all integers unsigned varints:
//
//	"VLEX" version
//	ndocs  { len(id) id }                          live documents, ordinal order
//	nterms { len(term) term df len(list) list }    terms in ID order
//	crc32-C of everything before, 4 bytes little-endian
//
// list is the in-memory posting list (see appendPosting) over the live
// documents renumbered densely. Document lengths are the sums of their term
// frequencies. Parameters are not stored: they only matter at query time.
// Every varint is minimal and every tf ≥ 2 when flagged, so that a valid
// encoding has one form.
const (
	magic   = "VLEX"
	version = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	// ErrCorrupt is returned by ReadFrom for input that is not a valid
	// encoding: truncated, damaged or not an index at all.
	ErrCorrupt = errors.New("corrupt data")
	// ErrVersion is returned by ReadFrom for an encoding of a format
	// version this build does not read.
	ErrVersion = errors.New("unsupported format version")
	// ErrNotEmpty is returned by ReadFrom into an index that holds
	// documents.
	ErrNotEmpty = errors.New("index not empty")
)

// WriteTo writes the index to w in a compact binary form that ReadFrom
// reads back. The output is deterministic: the same index state always
// gives the same bytes, and writing an index just read gives back its
// input. Removed documents are left out.
func (ix *Index) WriteTo(w io.Writer) (int64, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	cw := &crcWriter{w: w}
	e := &encoder{w: bufio.NewWriterSize(cw, 64<<10)}

	e.w.WriteString(magic)
	e.uvarint(version)
	e.uvarint(uint64(ix.n))
	// Live documents are renumbered densely in ordinal order.
	var newOrd []uint32
	if ix.deadDocs > 0 {
		newOrd = make([]uint32, len(ix.docID))
	}
	next := uint32(0)
	for o, id := range ix.docID {
		if ix.deadDocs > 0 {
			if ix.isDead(uint32(o)) {
				continue
			}
			newOrd[o] = next
			next++
		}
		e.str(id)
	}

	live := 0
	for t := range ix.terms {
		if ix.df(uint32(t)) > 0 {
			live++
		}
	}
	e.uvarint(uint64(live))
	var buf []byte
	for t, term := range ix.terms {
		p := ix.post[t]
		list, n := p.data, p.n
		if newOrd != nil {
			list, n = buf[:0], 0
			prev, ord := uint32(0), uint32(0)
			for i := 0; i < len(p.data); {
				var delta, tf uint32
				delta, tf, i = nextPosting(p.data, i)
				ord += delta
				if ix.isDead(ord) {
					continue
				}
				no := newOrd[ord]
				list = appendPosting(list, no-prev, tf)
				prev = no
				n++
			}
			buf = list
		}
		if n == 0 {
			continue
		}
		e.str(term)
		e.uvarint(uint64(n))
		e.uvarint(uint64(len(list)))
		e.w.Write(list)
	}
	if err := e.w.Flush(); err != nil {
		return cw.n, fmt.Errorf("write lexical index: %w", err)
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], cw.crc)
	if _, err := cw.Write(sum[:]); err != nil {
		return cw.n, fmt.Errorf("write lexical index: %w", err)
	}
	return cw.n, nil
}

// crcWriter counts and checksums what reaches w.
type crcWriter struct {
	w   io.Writer
	n   int64
	crc uint32
}

func (c *crcWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.crc = crc32.Update(c.crc, castagnoli, p[:n])
	return n, err
}

// encoder writes to a bufio.Writer, whose first error sticks and is
// reported by Flush.
type encoder struct {
	w   *bufio.Writer
	buf [binary.MaxVarintLen64]byte
}

func (e *encoder) uvarint(v uint64) {
	e.w.Write(binary.AppendUvarint(e.buf[:0], v))
}

func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	e.w.WriteString(s)
}

// ReadFrom reads an index written by WriteTo into ix, which must hold no
// documents; it keeps ix's parameters. It reads up to the end of the
// encoding, not to the end of r, when r is an io.ByteReader (a
// bufio.Reader, a bytes.Reader); otherwise it may read past it. On error
// ix is left unchanged; the error wraps ErrCorrupt for invalid or
// truncated input, ErrVersion for an unknown format version, ErrNotEmpty
// when ix holds documents, or the reader's own error.
func (ix *Index) ReadFrom(r io.Reader) (int64, error) {
	br, ok := r.(byteReader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	d := &decoder{r: br, stage: make([]byte, 0, 32<<10)}
	if l, ok := r.(interface{ Len() int }); ok {
		// A bytes.Reader says how much is left: counts are bounded by it.
		d.left = int64(l.Len())
	}
	return ix.read(d)
}

// Decode reads an index written by WriteTo from data, as ReadFrom does, and
// says how many bytes the encoding took (data may go on after it). The
// index keeps data: its posting lists are slices of it rather than copies,
// so the caller must not change it afterwards.
func (ix *Index) Decode(data []byte) (int, error) {
	br := bytes.NewReader(data)
	d := &decoder{r: br, stage: make([]byte, 0, 32<<10), left: int64(len(data)), data: data, seek: br}
	n, err := ix.read(d)
	return int(n), err
}

// read decodes the index from d into ix.
func (ix *Index) read(d *decoder) (int64, error) {
	if ix.Len() > 0 {
		return 0, fmt.Errorf("read lexical index: %w", ErrNotEmpty)
	}
	st, err := d.state()
	if err != nil {
		return d.n, err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.n > 0 {
		return d.n, fmt.Errorf("read lexical index: %w", ErrNotEmpty)
	}
	ix.state = st
	return d.n, nil
}

type byteReader interface {
	io.Reader
	io.ByteReader
}

// decoder reads exactly the encoding from r, checksumming it as it goes.
type decoder struct {
	r     byteReader
	n     int64
	crc   uint32
	stage []byte // read but not yet checksummed
	left  int64  // bytes the reader had at the start, when it says (else 0)
	// data is the whole input when the decoder reads a byte slice (Decode):
	// byte strings are then slices of it, and seek skips over them.
	data []byte
	seek io.Seeker
}

func (d *decoder) ReadByte() (byte, error) {
	b, err := d.r.ReadByte()
	if err != nil {
		return 0, err
	}
	d.n++
	if len(d.stage) == cap(d.stage) {
		d.sum()
	}
	d.stage = append(d.stage, b)
	return b, nil
}

func (d *decoder) sum() {
	d.crc = crc32.Update(d.crc, castagnoli, d.stage)
	d.stage = d.stage[:0]
}

func (d *decoder) full(p []byte) error {
	n, err := io.ReadFull(d.r, p)
	d.n += int64(n)
	d.sum()
	d.crc = crc32.Update(d.crc, castagnoli, p[:n])
	return err
}

// corrupt wraps a decoding problem; what says where it was met.
func (d *decoder) corrupt(err error, what string, args ...any) error {
	where := fmt.Sprintf(what, args...)
	switch {
	case err == nil:
		return fmt.Errorf("read lexical index: %w: %s", ErrCorrupt, where)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("read lexical index: %w: truncated at %s (byte %d)", ErrCorrupt, where, d.n)
	case errors.Is(err, errVarint):
		return fmt.Errorf("read lexical index: %w: %s: %w", ErrCorrupt, where, err)
	}
	return fmt.Errorf("read lexical index: %s: %w", where, err)
}

var errVarint = errors.New("bad varint")

// uvarint reads a minimally encoded varint, so that an encoding has one
// valid form.
func (d *decoder) uvarint() (uint64, error) {
	start := d.n
	v, err := binary.ReadUvarint(d)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		// binary.ReadUvarint's overflow error is not exported.
		return 0, errVarint
	}
	if err == nil && d.n-start != int64(uvarintLen(v)) {
		return 0, errVarint
	}
	return v, err
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// bytes reads a length-prefixed byte string without trusting the length
// for an allocation larger than the data actually present.
func (d *decoder) bytes() ([]byte, error) {
	l, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	if d.data != nil {
		if l > uint64(int64(len(d.data))-d.n) {
			return nil, io.ErrUnexpectedEOF
		}
		b := d.data[d.n : d.n+int64(l) : d.n+int64(l)]
		if _, err := d.seek.Seek(int64(l), io.SeekCurrent); err != nil {
			return nil, err
		}
		d.n += int64(l)
		d.sum()
		d.crc = crc32.Update(d.crc, castagnoli, b)
		return b, nil
	}
	const chunk = 64 << 10
	buf := make([]byte, 0, min(l, chunk))
	for uint64(len(buf)) < l {
		n := int(min(l-uint64(len(buf)), chunk))
		buf = append(buf, make([]byte, n)...)
		if err := d.full(buf[len(buf)-n:]); err != nil {
			return nil, err
		}
	}
	return buf, nil
}

func (d *decoder) str() (string, error) {
	b, err := d.bytes()
	return string(b), err
}

// prealloc bounds capacities taken from untrusted counts: by the bytes
// left when the reader says (every item takes at least one), else 1<<16.
func (d *decoder) prealloc(n uint64) int {
	if left := d.left - d.n; left > 0 {
		return int(min(n, uint64(left)))
	}
	return int(min(n, 1<<16))
}

func (d *decoder) state() (state, error) {
	st := newState()
	if err := d.header(); err != nil {
		return st, err
	}
	if err := d.documents(&st); err != nil {
		return st, err
	}
	dl := make([]uint64, st.n) // sums of frequencies
	if err := d.terms(&st, dl); err != nil {
		return st, err
	}
	d.sum()
	want := d.crc
	var sum [4]byte
	if err := d.full(sum[:]); err != nil {
		return st, d.corrupt(err, "checksum")
	}
	if got := binary.LittleEndian.Uint32(sum[:]); got != want {
		return st, d.corrupt(nil, "checksum mismatch: stored %08x, computed %08x", got, want)
	}

	st.dl = make([]uint32, st.n)
	for o, l := range dl {
		if l > math.MaxUint32 {
			return st, d.corrupt(nil, "document %d: length %d", o, l)
		}
		st.dl[o] = uint32(l)
		st.liveLen += l
	}
	st.dead = make([]uint64, (st.n+63)/64)
	return st, nil
}

// header reads and checks the magic and the version.
func (d *decoder) header() error {
	var head [len(magic)]byte
	if err := d.full(head[:]); err != nil {
		return d.corrupt(err, "header")
	}
	if string(head[:]) != magic {
		return d.corrupt(nil, "bad magic %q", head[:])
	}
	v, err := d.uvarint()
	if err != nil {
		return d.corrupt(err, "version")
	}
	if v != version {
		return fmt.Errorf("read lexical index: %w %d, this build reads %d", ErrVersion, v, version)
	}
	return nil
}

// documents reads the document IDs.
func (d *decoder) documents(st *state) error {
	ndocs, err := d.uvarint()
	if err != nil {
		return d.corrupt(err, "document count")
	}
	if ndocs > math.MaxUint32 {
		return d.corrupt(nil, "document count %d", ndocs)
	}
	st.docID = make([]string, 0, d.prealloc(ndocs))
	st.byID = make(map[string]uint32, d.prealloc(ndocs))
	for i := range ndocs {
		id, err := d.str()
		if err != nil {
			return d.corrupt(err, "document %d", i)
		}
		// One hash of id: a duplicate leaves the map's size unchanged.
		before := len(st.byID)
		st.byID[id] = uint32(i)
		if len(st.byID) == before {
			return d.corrupt(nil, "document %d: duplicate id %q", i, id)
		}
		st.docID = append(st.docID, id)
	}
	st.n = len(st.docID)
	return nil
}

// terms reads the terms and their posting lists, adding each document's
// frequencies to dl.
func (d *decoder) terms(st *state, dl []uint64) error {
	nterms, err := d.uvarint()
	if err != nil {
		return d.corrupt(err, "term count")
	}
	if nterms > math.MaxUint32 {
		return d.corrupt(nil, "term count %d", nterms)
	}
	st.terms = make([]string, 0, d.prealloc(nterms))
	st.post = make([]postings, 0, d.prealloc(nterms))
	st.tid = make(map[string]uint32, d.prealloc(nterms))
	for t := range uint32(nterms) {
		term, err := d.str()
		if err != nil {
			return d.corrupt(err, "term %d", t)
		}
		before := len(st.tid)
		st.tid[term] = t
		if len(st.tid) == before {
			return d.corrupt(nil, "term %d: duplicate %q", t, term)
		}
		df, err := d.uvarint()
		if err != nil {
			return d.corrupt(err, "term %d", t)
		}
		if df == 0 || df > uint64(st.n) {
			return d.corrupt(nil, "term %d: document frequency %d of %d documents", t, df, st.n)
		}
		list, err := d.bytes()
		if err != nil {
			return d.corrupt(err, "term %d postings", t)
		}
		last, err := checkPostings(list, df, dl)
		if err != nil {
			return d.corrupt(nil, "term %d postings: %v", t, err)
		}
		st.terms = append(st.terms, term)
		st.post = append(st.post, postings{data: list, n: uint32(df), last: last})
	}
	return nil
}

// checkPostings validates an encoded posting list of df postings over
// len(dl) documents, adds its frequencies to dl, and returns its last
// ordinal.
func checkPostings(list []byte, df uint64, dl []uint64) (last uint32, err error) {
	uvarint := func(i int) (uint64, int, error) {
		v, n := binary.Uvarint(list[i:])
		if n <= 0 || n != uvarintLen(v) {
			return 0, 0, errVarint
		}
		return v, i + n, nil
	}
	var ord, count uint64
	for i := 0; i < len(list); count++ {
		var v uint64
		v, i, err = uvarint(i)
		if err != nil {
			return 0, err
		}
		delta, tf := v>>1, uint64(1)
		if v&1 != 0 {
			if tf, i, err = uvarint(i); err != nil {
				return 0, err
			}
			if tf < 2 || tf > math.MaxUint32 {
				return 0, fmt.Errorf("frequency %d flagged", tf)
			}
		}
		if count > 0 && delta == 0 || delta >= uint64(len(dl)) || ord+delta >= uint64(len(dl)) {
			return 0, fmt.Errorf("posting %d: ordinal out of order or range", count)
		}
		ord += delta
		dl[ord] += tf
	}
	if count != df {
		return 0, fmt.Errorf("%d postings, want %d", count, df)
	}
	return uint32(ord), nil
}
