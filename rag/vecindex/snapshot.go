package vecindex

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"unsafe"
)

// ErrCorrupt reports an encoded index that is truncated, altered or of an
// unknown format or version.
var ErrCorrupt = errors.New("corrupt index encoding")

// ErrNotEmpty reports a ReadFrom into an index that has already had rows.
var ErrNotEmpty = errors.New("index is not empty")

// The encoding, all integers little-endian:
//
//	header   magic "VXIX", version uint32, dim uint32, slots uint32,
//	         free uint32, slot-table bytes uint64
//	slots    per slot in slot order: uvarint len(id)+1 then the ID, or a
//	         single 0 for a free slot
//	free     the free-slot stack, bottom first, as uint32s
//	scales   per slot: the float32 scale's bits
//	blocks   per block in slot order, per dimension: the column's int8s for
//	         the block's used rows only (the last block is partly used)
//	trailer  CRC-32C (Castagnoli) of everything above, uint32
//
// Every length is known before the bulk of the data, so ReadFrom reads
// exactly the encoding and no further: it needs no buffering of r and can be
// given a stream holding more after the index. The free stack is kept so a
// loaded index reuses slots in the same order as the one written, which keeps
// later encodings of the same operations identical.
const (
	encMagic      = "VXIX"
	encVersion    = 1
	encHeaderSize = 28
	readChunk     = 256 << 10 // bytes per read of a block: fits in cache for the checksum
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// WriteTo writes the index to w in a compact binary format that ReadFrom
// reads back; the same sequence of operations gives the same bytes. It holds
// the read lock while writing, so writes to the index wait for it.
func (ix *Index) WriteTo(w io.Writer) (int64, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n := ix.n
	if n > math.MaxUint32 || ix.dim > math.MaxUint32 {
		return 0, fmt.Errorf("write index: %d slots of %d dimensions is too large to encode", n, ix.dim)
	}

	var slots []byte
	for s := range n {
		if ix.live[s/64]&(1<<(s%64)) == 0 {
			slots = append(slots, 0)
			continue
		}
		slots = binary.AppendUvarint(slots, uint64(len(ix.ids[s]))+1)
		slots = append(slots, ix.ids[s]...)
	}

	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 256<<10)
	crc := crc32.New(castagnoli)
	out := io.MultiWriter(bw, crc)

	buf := make([]byte, 0, encHeaderSize+len(slots))
	buf = append(buf, encMagic...)
	buf = binary.LittleEndian.AppendUint32(buf, encVersion)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(ix.dim))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(n))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(ix.free)))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(len(slots)))
	buf = append(buf, slots...)
	for _, s := range ix.free {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(s))
	}
	for _, sc := range ix.scales[:n] {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(sc))
	}
	if _, err := out.Write(buf); err != nil {
		return cw.n, fmt.Errorf("write index: %w", err)
	}
	for _, blk := range ix.blocks {
		used := min(blk.rows, n-blk.start)
		if used == blk.rows {
			if _, err := out.Write(int8Bytes(blk.data)); err != nil {
				return cw.n, fmt.Errorf("write index: %w", err)
			}
			continue
		}
		for j := range ix.dim {
			if _, err := out.Write(int8Bytes(blk.data[j*blk.rows : j*blk.rows+used])); err != nil {
				return cw.n, fmt.Errorf("write index: %w", err)
			}
		}
	}
	if _, err := bw.Write(binary.LittleEndian.AppendUint32(nil, crc.Sum32())); err != nil {
		return cw.n, fmt.Errorf("write index: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("write index: %w", err)
	}
	return cw.n, nil
}

// ReadFrom reads an index written by WriteTo into ix, which must be empty
// (made with New and never added to) and of the same dimension. It reads
// exactly the encoding, nothing after it. A truncated, altered or unknown
// encoding returns an error wrapping ErrCorrupt, a dimension other than ix's
// one wrapping ErrDimension, and a non-empty ix ErrNotEmpty; on error ix is
// left unchanged.
func (ix *Index) ReadFrom(r io.Reader) (int64, error) {
	cr := &countReader{r: r}
	crc := crc32.New(castagnoli)
	st, err := ix.decode(io.TeeReader(cr, crc))
	if err == nil {
		var trailer [4]byte
		if _, err = io.ReadFull(cr, trailer[:]); err != nil {
			err = corrupt("checksum: %v", err)
		} else if got, want := binary.LittleEndian.Uint32(trailer[:]), crc.Sum32(); got != want {
			err = corrupt("checksum %08x, want %08x", got, want)
		}
	}
	if err != nil {
		return cr.n, fmt.Errorf("read index: %w", err)
	}

	if err := ix.install(st); err != nil {
		return cr.n, fmt.Errorf("read index: %w", err)
	}
	return cr.n, nil
}

// install makes st the index's state; ix must still be empty.
func (ix *Index) install(st *decoded) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.n != 0 {
		return ErrNotEmpty
	}
	ix.blocks, ix.scales, ix.ids, ix.live = st.blocks, st.scales, st.ids, st.live
	ix.slot, ix.free, ix.n = st.slot, st.free, st.n
	return nil
}

// Open returns an index of dim dimensions over enc, an encoding written by
// WriteTo, without copying its rows: the int8 columns of every full block
// are slices of enc. Only the last block, when partly used, is spread onto
// the heap to its stride (at most maxBlockRows×dim bytes); the IDs, scales
// and free list are decoded onto the heap, so that an index over a mapping
// holds about 1 % of its bytes on the heap.
//
// enc must stay readable and unchanged for as long as the index is used:
// Veille passes a read-only mapping of its snapshot file, which is never
// written in place. A write to a row of a block of enc (Add replacing a row
// or filling a freed slot, Remove) first copies that block onto the heap,
// so enc itself is never written.
//
// Open checks everything ReadFrom checks but the trailing checksum, which
// would read every byte of enc: the caller vouches for enc's bytes (Veille
// checks its snapshot's sections block by block before it opens them). A
// truncated or inconsistent encoding returns an error wrapping ErrCorrupt.
func Open(enc []byte, dim int) (*Index, error) {
	ix := New(dim)
	r := bytes.NewReader(enc)
	st, err := ix.decodeHead(r)
	if err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	p := len(enc) - r.Len()
	for i := range st.blocks {
		blk := &st.blocks[i]
		used := min(blk.rows, st.n-blk.start)
		size := dim * used
		if len(enc)-p < size {
			return nil, fmt.Errorf("open index: %w", corrupt("block %d: %d bytes, want %d", i, len(enc)-p, size))
		}
		src := enc[p : p+size : p+size]
		p += size
		if used == blk.rows {
			blk.data, blk.shared = bytesInt8(src), true
			continue
		}
		blk.data = make([]int8, dim*blk.rows)
		for j := range dim {
			copy(int8Bytes(blk.data[j*blk.rows:j*blk.rows+used]), src[j*used:(j+1)*used])
		}
	}
	if left := len(enc) - p; left != 4 {
		return nil, fmt.Errorf("open index: %w", corrupt("%d bytes after the blocks, want a 4-byte checksum", left))
	}
	if err := ix.checkFree(st); err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	if err := ix.install(st); err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	return ix, nil
}

// decoded is an index's state as read, installed only once all of it checks.
type decoded struct {
	blocks []block
	scales []float32
	ids    []string
	live   []uint64
	slot   map[string]int
	free   []int
	n      int
}

// decodeHead reads and checks what precedes the blocks from r: header,
// slot table, free list and scales, and lays out the blocks (without data).
func (ix *Index) decodeHead(r io.Reader) (*decoded, error) {
	ix.mu.RLock()
	used := ix.n
	ix.mu.RUnlock()
	if used != 0 {
		return nil, ErrNotEmpty
	}
	n, nfree, slotBytes, err := ix.decodeHeader(r)
	if err != nil {
		return nil, err
	}
	var table bytes.Buffer
	if _, err := io.CopyN(&table, r, int64(slotBytes)); err != nil {
		return nil, corrupt("slot table: %v", err)
	}

	// The block layout follows from n alone, as allocLocked builds it.
	st := &decoded{n: n, slot: make(map[string]int, min(n, 1<<20))}
	capacity := 0
	for capacity < n {
		rows := min(maxBlockRows, max(minBlockRows, capacity))
		st.blocks = append(st.blocks, block{start: capacity, rows: rows})
		capacity += rows
	}
	st.ids = make([]string, capacity)
	st.scales = make([]float32, capacity)
	st.live = make([]uint64, capacity/64)
	if err := st.decodeSlots(table.Bytes(), nfree); err != nil {
		return nil, err
	}
	if err := st.decodeFreeAndScales(r, nfree); err != nil {
		return nil, err
	}
	return st, nil
}

// decodeHeader reads and checks the fixed header: magic, version,
// dimension, slot and free counts, and the slot table's length.
func (ix *Index) decodeHeader(r io.Reader) (n, nfree int, slotBytes uint64, err error) {
	var h [encHeaderSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, 0, 0, corrupt("header: %v", err)
	}
	if string(h[:4]) != encMagic {
		return 0, 0, 0, corrupt("magic %q, want %q", h[:4], encMagic)
	}
	if v := binary.LittleEndian.Uint32(h[4:]); v != encVersion {
		return 0, 0, 0, corrupt("version %d, want %d", v, encVersion)
	}
	if d := binary.LittleEndian.Uint32(h[8:]); uint64(d) != uint64(ix.dim) {
		return 0, 0, 0, fmt.Errorf("%d dimensions, want %d: %w", d, ix.dim, ErrDimension)
	}
	n64 := uint64(binary.LittleEndian.Uint32(h[12:]))
	nfree64 := uint64(binary.LittleEndian.Uint32(h[16:]))
	slotBytes = binary.LittleEndian.Uint64(h[20:])
	if n64 > math.MaxInt32 || nfree64 > n64 || slotBytes < n64 || slotBytes > math.MaxInt64 {
		return 0, 0, 0, corrupt("header: %d slots, %d free, %d slot-table bytes", n64, nfree64, slotBytes)
	}
	return int(n64), int(nfree64), slotBytes, nil
}

// decodeSlots reads the slot table: each slot's ID, or none for a free slot
// (nfree of them).
func (st *decoded) decodeSlots(table []byte, nfree int) error {
	n := st.n
	// One string holds every ID; the slot entries are substrings of it.
	all := string(table)
	p, dead := 0, 0
	for s := range n {
		l, k := binary.Uvarint(table[p:])
		if k <= 0 {
			return corrupt("slot %d: bad length", s)
		}
		p += k
		if l == 0 {
			dead++
			continue
		}
		if l-1 > uint64(len(all)-p) {
			return corrupt("slot %d: ID of %d bytes past the table's end", s, l-1)
		}
		id := all[p : p+int(l-1)]
		p += int(l - 1)
		if _, dup := st.slot[id]; dup {
			return corrupt("slot %d: duplicate ID %q", s, id)
		}
		st.slot[id] = s
		st.ids[s] = id
		st.live[s/64] |= 1 << (s % 64)
	}
	if p != len(all) {
		return corrupt("slot table: %d bytes after the last slot", len(all)-p)
	}
	if dead != nfree {
		return corrupt("%d free slots, %d in the free list", dead, nfree)
	}

	return nil
}

// decodeFreeAndScales reads the free list and every slot's scale.
func (st *decoded) decodeFreeAndScales(r io.Reader, nfree int) error {
	n, n64 := st.n, uint64(st.n)
	buf := make([]byte, 4*max(nfree, n))
	if _, err := io.ReadFull(r, buf[:4*nfree]); err != nil {
		return corrupt("free list: %v", err)
	}
	st.free = make([]int, nfree)
	seen := make([]uint64, len(st.live))
	for i := range st.free {
		s := binary.LittleEndian.Uint32(buf[4*i:])
		if uint64(s) >= n64 || st.live[s/64]&(1<<(s%64)) != 0 || seen[s/64]&(1<<(s%64)) != 0 {
			return corrupt("free list entry %d: slot %d is not a distinct free slot", i, s)
		}
		seen[s/64] |= 1 << (s % 64)
		st.free[i] = int(s)
	}

	if _, err := io.ReadFull(r, buf[:4*n]); err != nil {
		return corrupt("scales: %v", err)
	}
	for s := range n {
		sc := math.Float32frombits(binary.LittleEndian.Uint32(buf[4*s:]))
		live := st.live[s/64]&(1<<(s%64)) != 0
		if !(sc >= 0) || math.IsInf(float64(sc), 0) || (!live && sc != 0) {
			return corrupt("slot %d: scale %v", s, sc)
		}
		st.scales[s] = sc
	}
	return nil
}

// decode reads and checks everything but the trailer from r. Allocations
// follow the data actually read: the slot table, whose length is declared,
// grows as it arrives, and it holds at least a byte per slot, so the
// slot-sized arrays that follow are bounded by the input; blocks are
// allocated one at a time, each at most maxBlockRows×dim.
func (ix *Index) decode(r io.Reader) (*decoded, error) {
	st, err := ix.decodeHead(r)
	if err != nil {
		return nil, err
	}
	n := st.n
	for i := range st.blocks {
		blk := &st.blocks[i]
		used := min(blk.rows, n-blk.start)
		blk.data = make([]int8, ix.dim*blk.rows)
		if err := readChunks(r, blk.data[:ix.dim*used]); err != nil {
			return nil, corrupt("block %d: %v", i, err)
		}
		if used < blk.rows {
			// Spread the packed columns to their stride, last first so none
			// is overwritten before it moves, and zero the unused rows.
			for j := ix.dim - 1; j > 0; j-- {
				copy(blk.data[j*blk.rows:j*blk.rows+used], blk.data[j*used:(j+1)*used])
			}
			for j := range ix.dim {
				clear(blk.data[j*blk.rows+used : (j+1)*blk.rows])
			}
		}
	}
	if err := ix.checkFree(st); err != nil {
		return nil, err
	}
	return st, nil
}

// checkFree checks that every free slot holds zeros: Add writes only the
// non-zero dimensions of a row into a free slot.
func (ix *Index) checkFree(st *decoded) error {
	for _, s := range st.free {
		blk := &st.blocks[blockIndex(st.blocks, s)]
		for j := range ix.dim {
			if blk.data[j*blk.rows+s-blk.start] != 0 {
				return corrupt("free slot %d holds data", s)
			}
		}
	}
	return nil
}

// readChunks fills d from r in pieces that fit in cache, so that a checksum
// computed as r is read reads each piece from cache rather than memory.
func readChunks(r io.Reader, d []int8) error {
	for p := 0; p < len(d); p += readChunk {
		if _, err := io.ReadFull(r, int8Bytes(d[p:min(p+readChunk, len(d))])); err != nil {
			return err
		}
	}
	return nil
}

// blockIndex returns the index in blocks of the block holding slot s.
func blockIndex(blocks []block, s int) int {
	lo, hi := 0, len(blocks)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if blocks[m].start+blocks[m].rows <= s {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// corrupt returns an error wrapping ErrCorrupt.
func corrupt(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrCorrupt)
}

// int8Bytes views d's memory as bytes, so blocks are written and read in
// place instead of being copied through a byte buffer a byte at a time: an
// int8 and a byte have the same size and every bit pattern is valid for both.
func int8Bytes(d []int8) []byte {
	if len(d) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&d[0])), len(d))
}

// bytesInt8 views b's memory as int8s, the converse of int8Bytes.
func bytesInt8(b []byte) []int8 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*int8)(unsafe.Pointer(&b[0])), len(b))
}

// countWriter counts the bytes written to w.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// countReader counts the bytes read from r.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
