package rag

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
)

// A snapshot section is
//
//	length   uint64, little-endian: the payload's size in bytes
//	payload
//	sums     per sectionBlock bytes of payload, its CRC-32C (Castagnoli), uint32
//	trailer  CRC-32C of length and sums, uint32
//
// so that every byte of a section is covered: a payload byte by its block's
// sum, the length and the sums by the trailer. Sums per block rather than one
// per section let a reader check only the blocks it touches, which a
// memory-mapped vector section wants (see addChunks). A block is checked
// before any of its bytes is handed on, so no decoder ever sees a damaged
// byte.
const sectionBlock = 1 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// sectionSums is the number of block sums of an n-byte payload.
func sectionSums(n int64) int64 { return (n + sectionBlock - 1) / sectionBlock }

// sectionWriter checksums a payload block by block as it goes through to w.
// The caller writes the length before the payload (or patches it in after);
// finish writes the sums and the trailer.
type sectionWriter struct {
	w    io.Writer
	n    int64
	crc  uint32
	sums []byte
}

func (s *sectionWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		k := min(len(p), sectionBlock-int(s.n%sectionBlock))
		m, err := s.w.Write(p[:k])
		s.crc = crc32.Update(s.crc, castagnoli, p[:m])
		s.n += int64(m)
		written += m
		if m > 0 && s.n%sectionBlock == 0 {
			s.sums = binary.LittleEndian.AppendUint32(s.sums, s.crc)
			s.crc = 0
		}
		if err != nil {
			return written, err
		}
		p = p[m:]
	}
	return written, nil
}

// finish writes the block sums and the trailer after the payload.
func (s *sectionWriter) finish() error {
	if s.n%sectionBlock != 0 {
		s.sums = binary.LittleEndian.AppendUint32(s.sums, s.crc)
	}
	if _, err := s.w.Write(s.sums); err != nil {
		return err
	}
	_, err := s.w.Write(binary.LittleEndian.AppendUint32(nil, sectionTrailer(s.n, s.sums)))
	return err
}

// sectionTrailer is the checksum of a section's length and block sums.
func sectionTrailer(n int64, sums []byte) uint32 {
	var l [8]byte
	binary.LittleEndian.PutUint64(l[:], uint64(n))
	return crc32.Update(crc32.Checksum(l[:], castagnoli), castagnoli, sums)
}

// sectionError reports a section that fails its checks.
type sectionError struct {
	Section string
	Err     error
}

func (e *sectionError) Error() string { return e.Section + " section: " + e.Err.Error() }
func (e *sectionError) Unwrap() error { return e.Err }

// openSection reads the header, sums and trailer of the section at off in
// r (of size bytes) and checks the trailer. It returns a reader of the
// payload and the offset of what follows the section.
func openSection(r io.ReaderAt, size, off int64, name string) (*sectionReader, int64, error) {
	fail := func(format string, args ...any) (*sectionReader, int64, error) {
		return nil, 0, &sectionError{Section: name, Err: fmt.Errorf(format, args...)}
	}
	var l [8]byte
	if off+8 > size {
		return fail("truncated before its length")
	}
	if _, err := r.ReadAt(l[:], off); err != nil {
		return fail("length: %w", err)
	}
	n := binary.LittleEndian.Uint64(l[:])
	avail := uint64(size - off - 8)
	if n > avail {
		return fail("length %d past the end of the file", n)
	}
	sumLen := 4 * uint64(sectionSums(int64(n)))
	if n+sumLen+4 > avail {
		return fail("truncated: %d bytes of payload, sums and trailer, %d in the file", n+sumLen+4, avail)
	}
	payload := off + 8
	sums := make([]byte, sumLen+4)
	if _, err := r.ReadAt(sums, payload+int64(n)); err != nil {
		return fail("checksums: %w", err)
	}
	sums, trailer := sums[:sumLen], binary.LittleEndian.Uint32(sums[sumLen:])
	if got := sectionTrailer(int64(n), sums); got != trailer {
		return fail("length or block checksums damaged (trailer %08x, computed %08x)", trailer, got)
	}
	sr := &sectionReader{name: name, r: io.NewSectionReader(r, payload, int64(n)), sums: sums}
	return sr, payload + int64(n) + int64(sumLen) + 4, nil
}

// sectionReader reads a section's payload a checked block at a time.
type sectionReader struct {
	name  string
	r     *io.SectionReader
	sums  []byte
	buf   []byte // the current block, checked
	off   int    // next unread byte of buf
	block int64  // next block to read
}

func (s *sectionReader) Read(p []byte) (int, error) {
	if s.off == len(s.buf) {
		if err := s.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, s.buf[s.off:])
	s.off += n
	return n, nil
}

// next reads and checks the next block into buf.
func (s *sectionReader) next() error {
	start := s.block * sectionBlock
	if start >= s.r.Size() {
		return io.EOF
	}
	if s.buf == nil {
		s.buf = make([]byte, 0, min(sectionBlock, s.r.Size()))
	}
	s.buf, s.off = s.buf[:s.blockLen(s.block)], 0
	if err := s.readBlock(s.buf, s.block); err != nil {
		s.buf = s.buf[:0]
		return err
	}
	s.block++
	return nil
}

// blockLen is the length of the payload's block i.
func (s *sectionReader) blockLen(i int64) int64 {
	return min(sectionBlock, s.r.Size()-i*sectionBlock)
}

// readBlock reads the payload's block i into p, of its length, and checks
// it: every read of a payload goes through here.
func (s *sectionReader) readBlock(p []byte, i int64) error {
	if _, err := s.r.ReadAt(p, i*sectionBlock); err != nil {
		return &sectionError{Section: s.name, Err: fmt.Errorf("block %d: %w", i, err)}
	}
	return s.checkBlock(p, i)
}

// readAll reads the whole payload into one new buffer, checking each block
// where it lands (no copy through buf).
func (s *sectionReader) readAll() ([]byte, error) {
	out := make([]byte, s.r.Size())
	for i := range sectionSums(s.r.Size()) {
		if err := s.readBlock(out[i*sectionBlock:][:s.blockLen(i)], i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkAll checks every block through read(2) into one reused buffer,
// keeping none of it: for a payload served from a mapping, which this
// process would first have to fault in to read (several times slower here
// than the kernel's copy: measured in BENCHMARKS.md). The file is never
// written in place (writers rename a new one over it), so the bytes checked
// are the bytes mapped. A done ctx stops it between blocks.
func (s *sectionReader) checkAll(ctx context.Context) error {
	buf := make([]byte, min(sectionBlock, s.r.Size()))
	for i := range sectionSums(s.r.Size()) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.readBlock(buf[:s.blockLen(i)], i); err != nil {
			return err
		}
	}
	return nil
}

// checkBlock checks b, the payload's block i, against its sum.
func (s *sectionReader) checkBlock(b []byte, i int64) error {
	want := binary.LittleEndian.Uint32(s.sums[4*i:])
	if got := crc32.Checksum(b, castagnoli); got != want {
		return &sectionError{Section: s.name, Err: fmt.Errorf("block %d: checksum %08x, want %08x", i, got, want)}
	}
	return nil
}

// done checks that a decoder reading through br consumed the whole payload:
// bytes left over mean the section is not what its decoder wrote.
func (s *sectionReader) done(br *bufio.Reader) error {
	left := int64(br.Buffered())
	n, err := io.Copy(io.Discard, s)
	if err != nil {
		return err
	}
	if left+n > 0 {
		return &sectionError{Section: s.name, Err: fmt.Errorf("%d bytes after its data", left+n)}
	}
	return nil
}
