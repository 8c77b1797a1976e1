package rag

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sync"
	"unsafe"

	chromem "github.com/philippgille/chromem-go"

	"github.com/veille/veille/rag/vecindex"
)

// The chunks of an index are saved in two sections: a table (count,
// dimension, then per chunk its ID and offsets into its article's text) and
// the raw vectors, one row of dim little-endian float32s per chunk in table
// order. The vectors section's payload starts at a multiple of vectorAlign
// in the file, so that Load can map it read-only and hand chromem-go slices
// of the mapping: the vectors then live in the page cache, not on the heap,
// and are read from disk only when touched. 64 KiB is a multiple of every
// page size Go runs on (4, 16 and 64 KiB).
const vectorAlign = 64 << 10

// littleEndian says whether float32s in memory have the file's byte order,
// so that the vectors section can be used in place.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// chunkRef is a chunk as the table section lists it.
type chunkRef struct {
	id         string
	start, end uint64
}

// chunkOrder lists the index's chunk IDs in the order they are saved.
func (ix *Index) chunkOrder() []string {
	var ids []string
	for _, a := range ix.man.sorted() {
		for i := range a.Chunks {
			ids = append(ids, chunkID(a.ID, i))
		}
	}
	return ids
}

// vectorDim is the dimension of the stored vectors (0 when there are none).
func (ix *Index) vectorDim(ctx context.Context, ids []string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	doc, err := ix.col.GetByID(ctx, ids[0])
	if err != nil {
		return 0, fmt.Errorf("chunk %s: %w", ids[0], err)
	}
	return len(doc.Embedding), nil
}

// writeChunkTable writes the table section's payload: count and dimension,
// then per chunk a uvarint-prefixed ID and two uvarint offsets into its
// article's text. The text is not repeated: the manifest has the article's.
func writeChunkTable(ctx context.Context, w io.Writer, refs []chunkRef, dim int) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	var buf [binary.MaxVarintLen64]byte
	uv := func(v uint64) error {
		_, err := bw.Write(buf[:binary.PutUvarint(buf[:], v)])
		return err
	}
	if err := uv(uint64(len(refs))); err != nil {
		return err
	}
	if err := uv(uint64(dim)); err != nil {
		return err
	}
	for n, c := range refs {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := uv(uint64(len(c.id))); err != nil {
			return err
		}
		if _, err := bw.WriteString(c.id); err != nil {
			return err
		}
		if err := uv(c.start); err != nil {
			return err
		}
		if err := uv(c.end); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// writeVectorRows writes the vectors section's payload: each chunk's
// vector, in ids order, as dim little-endian float32s, and returns the
// chunks' table. A vector chromem-go would not take as unit length is
// written normalised in float64 (see unitVector), so that Load can hand
// chromem-go the mapped row itself. A done ctx stops it between chunks,
// leaving a partial section for the caller to discard.
func (ix *Index) writeVectorRows(ctx context.Context, w io.Writer, ids []string, dim int) ([]chunkRef, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	row := make([]byte, 4*dim)
	refs := make([]chunkRef, len(ids))
	for n, id := range ids {
		if n%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		doc, err := ix.col.GetByID(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("chunk %s: %w", id, err)
		}
		if len(doc.Embedding) != dim {
			return nil, fmt.Errorf("chunk %s has %d dimensions, want %d", id, len(doc.Embedding), dim)
		}
		a := ix.man.Articles[articleOf(id)]
		if a == nil {
			return nil, fmt.Errorf("chunk %s: of no known article", id)
		}
		start, end, ok := a.chunkText(chunkNumber(id))
		if !ok {
			return nil, fmt.Errorf("chunk %s: no offsets in its article", id)
		}
		refs[n] = chunkRef{id: id, start: uint64(start), end: uint64(end)}
		ix.slab.read(1)
		for i, v := range unitVector(doc.Embedding) {
			binary.LittleEndian.PutUint32(row[4*i:], math.Float32bits(v))
		}
		if _, err := bw.Write(row); err != nil {
			return nil, err
		}
	}
	return refs, bw.Flush()
}

// unitTolerance is chromem-go's: AddDocument replaces a vector whose norm,
// summed in float64, is 1e-6 or more away from 1 with a normalised copy on
// the heap, which would undo the mapping for that chunk.
const unitTolerance = 1e-6

// unitVector returns v when chromem-go takes it as unit length as it is,
// else v normalised in float64 (chromem-go's own normalisation sums in
// float32 and can miss its tolerance at 2048 dimensions). A zero vector is
// returned as it is.
func unitVector(v []float32) []float32 {
	var sq float64
	for _, x := range v {
		sq += float64(x) * float64(x)
	}
	norm := math.Sqrt(sq)
	if math.Abs(norm-1) < unitTolerance || norm == 0 {
		return v
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) / norm)
	}
	return out
}

// maxSnapshotString bounds one string read back (a chunk's ID), so that a
// damaged length never allocates gigabytes.
const maxSnapshotString = 64 << 20

// readChunkTable reads the table section written by writeChunkTable and
// checks it against the manifest.
func (ix *Index) readChunkTable(r *bufio.Reader) ([]chunkRef, int, error) {
	corrupt := func(what string, err error) error {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	uv := func() (uint64, error) { return binary.ReadUvarint(r) }
	count, err := uv()
	if err != nil {
		return nil, 0, corrupt("count", err)
	}
	dim, err := uv()
	if err != nil {
		return nil, 0, corrupt("dimension", err)
	}
	if dim > 1<<16 {
		return nil, 0, corrupt("dimension", fmt.Errorf("%d", dim))
	}
	want := 0
	for _, a := range ix.man.Articles {
		want += a.Chunks
	}
	if count != uint64(want) {
		return nil, 0, corrupt("count", fmt.Errorf("%d chunks, manifest has %d", count, want))
	}
	refs := make([]chunkRef, count)
	for n := range refs {
		l, err := uv()
		if err == nil && l > maxSnapshotString {
			err = fmt.Errorf("ID of %d bytes", l)
		}
		if err != nil {
			return nil, 0, corrupt("chunk id", err)
		}
		b := make([]byte, l)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, 0, corrupt("chunk id", err)
		}
		c := chunkRef{id: string(b)}
		if c.start, err = uv(); err == nil {
			c.end, err = uv()
		}
		if err != nil {
			return nil, 0, corrupt("chunk "+c.id, err)
		}
		a := ix.man.Articles[articleOf(c.id)]
		if a == nil {
			return nil, 0, corrupt("chunk "+c.id, errors.New("of no known article"))
		}
		if c.start > c.end || c.end > uint64(len(a.Text)) {
			return nil, 0, corrupt("chunk "+c.id, fmt.Errorf("offsets %d:%d outside its article", c.start, c.end))
		}
		refs[n] = c
	}
	return refs, int(dim), nil
}

// vectorRows is the vectors section as Load reads it: the payload, mapped
// (checked when first read, see sectionReader.checkAll) or on the heap (checked block
// by block as rows are handed on, see check).
type vectorRows struct {
	sec  *sectionReader
	data []byte // the whole payload; no row is read before its block is checked
	heap bool   // data was allocated to be read into, not mapped
	// checked receives, block by block in order, what check found for heap
	// rows: nil for a block that checks out, then the first error, if any.
	checked chan error
}

// openVectorRows makes the payload of sec (in f) readable in place: mapped
// read-only when the platform allows it and mapping is true, else read onto
// the heap into one float32-aligned allocation. The mapping is released
// when the chromem-go collection that holds its rows, col, is collected.
func openVectorRows(f *os.File, sec *sectionReader, col *chromem.Collection, mapping bool) (*vectorRows, error) {
	_, off, n := sec.r.Outer()
	if n == 0 {
		return &vectorRows{sec: sec}, nil
	}
	if mapping && littleEndian && off%int64(os.Getpagesize()) == 0 && int64(int(n)) == n {
		data, err := mapRegion(f, off, n)
		if err == nil {
			runtime.AddCleanup(col, func(b []byte) { _ = unmapRegion(b) }, data)
			return &vectorRows{sec: sec, data: data}, nil
		}
		// Not mappable here (a file system without mmap): read instead.
	}
	if n%4 != 0 {
		return nil, &sectionError{Section: sec.name, Err: fmt.Errorf("%d bytes: not whole float32s", n)}
	}
	vals := make([]float32, n/4)
	data := unsafe.Slice((*byte)(unsafe.Pointer(&vals[0])), n)
	checked := make(chan error, sectionSums(n))
	return &vectorRows{sec: sec, data: data, heap: true, checked: checked}, nil
}

// check checks every block of heap rows in order, saying each result on v.checked
// (which never blocks: it has room for them all), and stops at the first
// error, which it also returns.
func (v *vectorRows) check(ctx context.Context) error {
	for b := range sectionSums(int64(len(v.data))) {
		err := ctx.Err()
		if err == nil {
			err = v.checkBlock(b)
		}
		v.checked <- err
		if err != nil {
			return err
		}
	}
	return nil
}

// row is row n of dim float32s, once its block is checked.
func (v *vectorRows) row(n, dim int) []float32 {
	p := v.data[n*4*dim:]
	return unsafe.Slice((*float32)(unsafe.Pointer(&p[0])), dim)[:dim:dim]
}

// mapped reports whether the rows are a mapping of the file.
func (v *vectorRows) mapped() bool { return !v.heap && len(v.data) > 0 }

// addChunks puts the chunks back into the collection, with their metadata
// rebuilt from the manifest and their vectors from rows (loadSections
// rebuilds the quantised index from rows when the snapshot's does not match).
//
// Nothing reads a mapped row here: chromem-go is given it through the
// collection's embedding function (see storedVector), and the rows are
// checked against their sums only when something first reads them (see
// Index.vectorsCheck), which a question answered through the quantised
// index never does. Rows read onto the heap are checked as they are read,
// by another goroutine a few blocks ahead (vectorRows.check): no row of a
// block that fails is ever handed on.
func (ix *Index) addChunks(ctx context.Context, refs []chunkRef, dim int, rows *vectorRows) error {
	rowBytes := int64(4 * dim)
	if got, want := int64(len(rows.data)), int64(len(refs))*rowBytes; got != want {
		return &sectionError{Section: rows.sec.name, Err: fmt.Errorf("%d bytes, want %d chunks of %d dimensions", got, len(refs), dim)}
	}
	metas := map[string]map[string]string{} // per article, reused for each chunk
	hold := &storedVector{}
	ctx = context.WithValue(ctx, storedVectorKey{}, hold)
	size := int64(len(rows.data))
	blocks := sectionSums(size)
	next := 0 // next row to add
	for b := range blocks {
		if !rows.mapped() {
			if err := <-rows.checked; err != nil {
				return err
			}
		}
		hi := min((b+1)*sectionBlock, size)
		for ; next < len(refs) && int64(next+1)*rowBytes <= hi; next++ {
			c := refs[next]
			if err := ix.addLoaded(ctx, c, rows.row(next, dim), metas, hold); err != nil {
				return err
			}
		}
	}
	if next != len(refs) {
		return fmt.Errorf("%d of %d chunks read", next, len(refs))
	}
	return nil
}

// lazyCheck runs a check when it is first needed and remembers the
// outcome: a damaged section stays damaged. A check that a done context
// stopped is run again next time. A nil *lazyCheck has nothing to check.
type lazyCheck struct {
	check   func(context.Context) error
	release func() // frees what check needed, once it has run to its end
	mu      sync.Mutex
	done    bool
	err     error
}

func (c *lazyCheck) run(ctx context.Context) error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return c.err
	}
	err := c.check(ctx)
	if err != nil && ctx.Err() != nil {
		return err
	}
	c.done, c.err = true, err
	c.check = nil
	if c.release != nil {
		c.release()
	}
	return err
}

// checkBlock reads block b of heap rows into data, checks it and puts its
// floats in the machine's byte order.
func (v *vectorRows) checkBlock(b int64) error {
	lo, hi := b*sectionBlock, b*sectionBlock+v.sec.blockLen(b)
	if err := v.sec.readBlock(v.data[lo:hi], b); err != nil {
		return err
	}
	if !littleEndian {
		for i := lo; i < hi; i += 4 {
			p := v.data[i : i+4]
			p[0], p[1], p[2], p[3] = p[3], p[2], p[1], p[0]
		}
	}
	return nil
}

// addLoaded adds one chunk read back from a snapshot, its vector vec handed
// to chromem-go through hold, which ctx carries.
func (ix *Index) addLoaded(ctx context.Context, c chunkRef, vec []float32, metas map[string]map[string]string, hold *storedVector) error {
	aid := articleOf(c.id)
	a := ix.man.Articles[aid]
	n := chunkNumber(c.id)
	if n < 0 || n >= a.Chunks {
		return fmt.Errorf("chunk %s: not one of its article's %d chunks", c.id, a.Chunks)
	}
	if a.spans == nil {
		a.spans = make([]chunkSpan, a.Chunks)
	}
	a.spans[n] = chunkSpan{uint32(c.start), uint32(c.end)}
	// A substring: the chunk's text shares the article's memory.
	content := a.Text[c.start:c.end]
	// One map for all of the article's chunks (see chunkMeta).
	m, ok := metas[aid]
	if !ok {
		m = chunkMeta(a)
		metas[aid] = m
	}
	// vec's capacity ends with it (see row): an append never writes into
	// the next row.
	doc := chromem.Document{ID: c.id, Metadata: m, Content: content}
	if content == "" {
		// chromem-go takes no document without both: it reads this one.
		doc.Embedding = vec
	} else {
		hold.v = vec
	}
	if err := ix.col.AddDocument(ctx, doc); err != nil {
		return fmt.Errorf("chunk %s: %w", c.id, err)
	}
	if hold.v != nil {
		hold.v = nil
		return fmt.Errorf("chunk %s: chromem-go did not ask the embedding function for its vector", c.id)
	}
	return nil
}

// chunkMeta is what every chunk of an article carries in chromem-go: one
// map that all of them share, never written once given (chromem-go keeps
// the map it is given, though it makes a copy that it does not use).
func chunkMeta(a *storedArticle) map[string]string {
	return map[string]string{
		metaArticleID: a.ID,
		metaSourceKey: sourceKey(a.Source),
	}
}

// openQuantised opens the quantised vector index section sec (in f): its
// payload is a uint32 dimension, then the index as vecindex encodes it. It
// returns the index and the mapping it reads (nil when read onto the heap).
//
// Mapped (when mapping is true and the platform allows it), the index's
// int8 columns are slices of a read-only mapping of the file, released when
// the index is collected; otherwise the payload is read onto the heap.
// Either way every block of the payload is checked before the index is
// opened over it, here at load rather than when a query first touches it:
// a query reads about a hundred columns spread over every block (measured in
// BENCHMARKS.md), so the first question would check them all anyway, and a
// check at load keeps a damaged file from ever answering. A mapped section
// is checked through read(2), without touching the mapping, so that its
// pages count in the process's memory only once a query reads them.
func openQuantised(ctx context.Context, f *os.File, sec *sectionReader, mapping bool) (*vecindex.Index, []byte, error) {
	_, off, n := sec.r.Outer()
	if n == 0 {
		return nil, nil, nil
	}
	if n < 4 {
		return nil, nil, &sectionError{Section: sec.name, Err: fmt.Errorf("%d bytes", n)}
	}
	page := int64(os.Getpagesize())
	base := off / page * page
	var payload, region []byte
	if mapping && int64(int(off+n-base)) == off+n-base {
		m, err := mapRegion(f, base, off+n-base)
		if err == nil {
			region, payload = m, m[off-base:]
		}
	}
	if region != nil {
		// Checked through read(2), not through the mapping: a query then
		// faults in only the columns it reads.
		if err := sec.checkAll(ctx); err != nil {
			_ = unmapRegion(region)
			return nil, nil, err
		}
	} else {
		payload = make([]byte, n)
		if _, err := io.ReadFull(sec, payload); err != nil {
			return nil, nil, err
		}
	}
	vec, err := openVecIndex(payload)
	if err != nil {
		if region != nil {
			_ = unmapRegion(region)
		}
		return nil, nil, &sectionError{Section: sec.name, Err: err}
	}
	if region != nil {
		// What Open read (IDs, scales) is on the heap now.
		dropRegion(region)
		runtime.AddCleanup(vec, func(b []byte) { _ = unmapRegion(b) }, region)
	}
	return vec, region, nil
}

// openVecIndex opens the quantised index over a checked payload.
func openVecIndex(payload []byte) (*vecindex.Index, error) {
	d := int(binary.LittleEndian.Uint32(payload))
	if d <= 0 || d > 1<<16 {
		return nil, fmt.Errorf("%d dimensions", d)
	}
	return vecindex.Open(payload[4:], d)
}
