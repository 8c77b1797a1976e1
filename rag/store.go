package rag

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/veille/veille/rag/article"
	"github.com/veille/veille/rag/atomicfile"
	"github.com/veille/veille/rag/embed"
	"github.com/veille/veille/rag/lexical"
	"github.com/veille/veille/rag/vecindex"
)

// SnapshotName is the index file inside a data directory.
const SnapshotName = "index.veille"

// Snapshot layout: magic (with the format version), then six sections
// (manifest in its own binary encoding, see manifest.go; BM25 over chunks,
// BM25 over articles, the quantised vector index, raw float32 vectors, the
// chunk table), then an end marker. The quantised index and the vectors are
// served in place from a read-only mapping of the file (see vectors.go).
// Zeros before the vectors section align its payload for mapping (see
// vectors.go). Every section carries CRC-32C sums (see section.go), so that
// every byte of the file is checked: a damaged file is refused, never read
// as another index. chromem-go's own gob export decodes floats one by one,
// ten times slower than reading them raw (see BENCHMARKS.md), so the chunks
// are written here and put back into a chromem-go collection on load, their
// vectors slices of a read-only mapping of the file. Saving writes a
// temporary file, fsyncs it and renames it over the old one, so a reader or a
// crash only ever sees a complete snapshot, and a process that still maps
// the old file keeps reading the old file's bytes: nothing ever writes into
// an index file once it is renamed into place.
const snapshotVersion = 8

var (
	snapshotPrefix = []byte("VEILLEIX")
	snapshotMagic  = append(append([]byte{}, snapshotPrefix...), 0, 0, 0, snapshotVersion)
	snapshotEnd    = []byte("VEILLEND")
)

// uncheckedVersion is the last format without checksums: ReadArticles still
// reads it, so that `veille ingest --reindex` can upgrade such an index.
const uncheckedVersion = 5

// heapVectorsVersion is the format before the vectors were aligned for
// mapping, and gobManifestVersion the last whose manifest is a gob: their
// manifest is a checked first section as this format's is, so ReadArticles
// reads them for `veille ingest --reindex`.
const (
	heapVectorsVersion = 6
	gobManifestVersion = 7
)

// ErrCorruptIndex reports a snapshot that cannot be read back: damaged on
// disk, truncated, or not an index. The error is a *CorruptIndexError.
var ErrCorruptIndex = errors.New("index file is damaged")

// ErrIndexVersion reports a snapshot written by an older or newer veille.
var ErrIndexVersion = errors.New("index file format not supported")

// CorruptIndexError reports a damaged snapshot: which file, where, and the
// way out. It wraps ErrCorruptIndex and the cause.
type CorruptIndexError struct {
	Path string
	// Where names the damaged part: a section, "header" or "end".
	Where string
	// TextsIntact is true when the manifest (the articles' texts) checked
	// out, so that `veille ingest --reindex` can rebuild the rest from it.
	TextsIntact bool
	Err         error
}

func (e *CorruptIndexError) Error() string {
	way := "move it away and ingest your sources again (its article texts are damaged too)"
	if e.TextsIntact {
		way = "rebuild it from the article texts it stores with `veille ingest --reindex`"
	}
	return fmt.Sprintf("index file %s is damaged (%s: %v): %s", e.Path, e.Where, e.Err, way)
}

func (e *CorruptIndexError) Unwrap() []error { return []error{ErrCorruptIndex, e.Err} }

// EmbedderMismatchError reports an index built by another embedder than the
// configured one: its vectors would be meaningless to the new one.
type EmbedderMismatchError struct {
	Path       string
	Index      embed.Identity
	Configured embed.Identity
}

func (e *EmbedderMismatchError) Error() string {
	return fmt.Sprintf("index %s was built with embedder %s but %s is configured: "+
		"rebuild it with `veille ingest --reindex`, or configure %s again",
		e.Path, e.Index, e.Configured, e.Index)
}

// Save writes the index to path crash-safely: the previous file stays intact
// until the new one is complete and synced.
func (ix *Index) Save(ctx context.Context, path string) error {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	// Owner-only, as the index has always been written (os.CreateTemp's mode).
	f, err := atomicfile.Create(path, 0o600)
	if err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	defer f.Abort() // no-op after the commit
	if err := ix.writeSnapshot(ctx, f); err != nil {
		return fmt.Errorf("save index to %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	return nil
}

// snapshotFile is what a snapshot is streamed to: a file whose section
// lengths are patched in once known.
type snapshotFile interface {
	io.WriteSeeker
	io.WriterAt
}

func (ix *Index) writeSnapshot(ctx context.Context, f snapshotFile) error {
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := w.Write(snapshotMagic); err != nil {
		return err
	}
	if err := ix.writeIndexSections(f, w); err != nil {
		return err
	}
	if err := ix.writeVectorSections(ctx, f, w); err != nil {
		return err
	}
	if _, err := w.Write(snapshotEnd); err != nil {
		return err
	}
	return w.Flush()
}

// writeIndexSections writes the manifest, the two BM25 indexes and the
// quantised index.
func (ix *Index) writeIndexSections(f snapshotFile, w *bufio.Writer) error {
	// Every section is streamed to the file as it is encoded, its length
	// patched in afterwards: no section is ever held whole in memory.
	for _, sec := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{"manifest", ix.man.encode},
		{"lexical index", func(w io.Writer) error { _, err := ix.lex.WriteTo(w); return err }},
		{"article index", func(w io.Writer) error { _, err := ix.doc.WriteTo(w); return err }},
	} {
		if err := streamSection(f, w, func(w io.Writer) error {
			if err := sec.write(w); err != nil {
				return fmt.Errorf("encode %s: %w", sec.name, err)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	// The quantised index is saved rather than rebuilt: rebuilding costs
	// ~30 µs a chunk (2048 scattered column writes), reading it back is a copy.
	if err := streamSection(f, w, func(w io.Writer) error {
		if ix.vec == nil {
			return nil
		}
		if _, err := w.Write(binary.LittleEndian.AppendUint32(nil, uint32(ix.vec.Dim()))); err != nil {
			return err
		}
		if _, err := ix.vec.WriteTo(w); err != nil {
			return fmt.Errorf("encode vector index: %w", err)
		}
		return nil
	}); err != nil {
		return err
	}
	return nil
}

// writeVectorSections writes the float32 vectors, page-aligned so that Load
// can map them, then the chunk table.
func (ix *Index) writeVectorSections(ctx context.Context, f snapshotFile, w *bufio.Writer) error {
	// Every vector is read back from chromem-go: the mapped ones are
	// checked first, so that a damaged one is never written on.
	if err := ix.vectorsCheck.run(ctx); err != nil {
		return err
	}
	ids := ix.chunkOrder()
	dim, err := ix.vectorDim(ctx, ids)
	if err != nil {
		return fmt.Errorf("write vectors: %w", err)
	}
	// Zeros up to the alignment that lets Load map the vectors' payload.
	if err := w.Flush(); err != nil {
		return err
	}
	at, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := w.Write(make([]byte, vectorPad(at))); err != nil {
		return err
	}
	var refs []chunkRef
	if err := streamSection(f, w, func(w io.Writer) error {
		if refs, err = ix.writeVectorRows(ctx, w, ids, dim); err != nil {
			return fmt.Errorf("write vectors: %w", err)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := streamSection(f, w, func(w io.Writer) error {
		if err := writeChunkTable(ctx, w, refs, dim); err != nil {
			return fmt.Errorf("write chunk table: %w", err)
		}
		return nil
	}); err != nil {
		return err
	}
	return nil
}

// vectorPad is the number of zero bytes written at offset at, before the
// vectors section, so that its payload (after the 8-byte length) starts at
// a multiple of vectorAlign.
func vectorPad(at int64) int64 {
	return (vectorAlign - (at+8)%vectorAlign) % vectorAlign
}

// streamSection writes one section to f, through w, whose payload encode
// writes: it writes a placeholder length, streams the payload through a
// sectionWriter, then patches the length in.
func streamSection(f snapshotFile, w *bufio.Writer, encode func(io.Writer) error) error {
	if err := w.Flush(); err != nil {
		return err
	}
	lenAt, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := w.Write(make([]byte, 8)); err != nil {
		return err
	}
	sw := &sectionWriter{w: w}
	if err := encode(sw); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(sw.n))
	if _, err := f.WriteAt(n[:], lenAt); err != nil {
		return err
	}
	return sw.finish()
}

// Load reads the index saved at path. A missing file gives an empty index.
// An index built by another embedder is an *EmbedderMismatchError; a damaged
// one a *CorruptIndexError (wrapping ErrCorruptIndex); one of another format
// version wraps ErrIndexVersion. Each names path and the way out.
func Load(ctx context.Context, path string, opts Options) (*Index, error) {
	ix, err := New(opts)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return ix, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load index: %w", err)
	}
	snap, err := openSnapshot(f, path, true)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("load index: %w", err)
	}
	if err := ix.loadSections(ctx, f, path, snap); err != nil {
		f.Close()
		return nil, err
	}
	if ix.vectorsCheck == nil {
		f.Close()
	}
	// Else the check reads f, and closes it once done; or f's finalizer
	// does, once the index no longer holds the check.
	return ix, nil
}

// loadSections decodes the snapshot's sections into ix: the manifest then
// the chunks into chromem-go on one goroutine; each BM25 index and the
// quantised index on one of their own; vectors read onto the heap (no
// mapping) on another, a few blocks ahead of the chunks that wait for them
// (see addChunks). Only the chunks need the manifest, so on two cores the rest
// overlaps its decoding. Mapped vectors are not read here: ix.vectorsCheck
// checks them when something first reads them. A damaged manifest is reported as such, before
// anything a damaged later section says (the texts are lost); a damaged
// later section is a *CorruptIndexError with the texts intact.
func (ix *Index) loadSections(ctx context.Context, f *os.File, path string, snap snapshot) error {
	bad := func(err error) error {
		if ctx.Err() != nil {
			return fmt.Errorf("load index %s: %w", path, ctx.Err())
		}
		return fmt.Errorf("load index: %w", damaged(path, "", true, err))
	}
	g, gctx := errgroup.WithContext(ctx)
	var lex, doc *lexical.Index
	var vec *vecindex.Index
	var quantised []byte
	var rows *vectorRows
	if snap.indexErr == nil {
		var err error
		if rows, err = openVectorRows(f, snap.vectors, ix.col, !ix.opts.noMap); err != nil {
			return bad(err)
		}
		if rows.mapped() {
			ix.vectorsCheck = &lazyCheck{release: func() { _ = f.Close() }, check: func(ctx context.Context) error {
				if err := rows.sec.checkAll(ctx); err != nil {
					if ctx.Err() != nil {
						return fmt.Errorf("check vectors of %s: %w", path, ctx.Err())
					}
					return fmt.Errorf("check vectors: %w", damaged(path, "", true, err))
				}
				return nil
			}}
		} else {
			g.Go(func() error { return rows.check(gctx) })
		}
		// Three goroutines: the BM25 over chunks is the longest of them.
		g.Go(func() error {
			var err error
			lex, err = readLexical(snap.lex)
			return err
		})
		g.Go(func() error {
			var err error
			doc, err = readLexical(snap.doc)
			return err
		})
		g.Go(func() error {
			var err error
			vec, quantised, err = openQuantised(gctx, f, snap.quantised, !ix.opts.noMap)
			return asSectionError(snap.quantised, err)
		})
	}
	man, err := snap.readManifest(ctx)
	if err == nil && snap.indexErr == nil {
		if want := ix.opts.Embedder.Identity(); !sameEmbedder(man.Embedder, want) {
			err = &EmbedderMismatchError{Path: path, Index: man.Embedder, Configured: want}
		}
	}
	if err != nil || snap.indexErr != nil {
		// Stop the other goroutines before saying why.
		g.Go(func() error { return errStop })
		_ = g.Wait()
		var mismatch *EmbedderMismatchError
		switch {
		case errors.As(err, &mismatch):
			return err
		case err != nil && ctx.Err() != nil:
			return fmt.Errorf("load index %s: %w", path, ctx.Err())
		case err != nil:
			return fmt.Errorf("load index: %w", damaged(path, "manifest section", false, err))
		}
		return fmt.Errorf("load index: %w", snap.indexErr)
	}
	ix.man = man
	var refs []chunkRef
	var dim int
	g.Go(func() error {
		var err error
		refs, dim, err = ix.loadChunks(gctx, snap, rows)
		return asSectionError(snap.vectors, err)
	})
	if err := g.Wait(); err != nil {
		return bad(err)
	}
	ix.lex, ix.doc, ix.vec, ix.quantised = lex, doc, vec, quantised
	if rows.mapped() {
		ix.mapped = rows.data
	}
	if vec != nil && vec.Len() == len(refs) && (len(refs) == 0 || vec.Dim() == dim) {
		return nil
	}
	// The snapshot's quantised index does not match its chunks (none was
	// saved): rebuild it from the vectors, checked first.
	if err := ix.vectorsCheck.run(ctx); err != nil {
		return err
	}
	ix.vec, ix.quantised = nil, nil
	for n, c := range refs {
		if err := ix.addVectorLocked(c.id, rows.row(n, dim)); err != nil {
			return bad(asSectionError(snap.vectors, fmt.Errorf("chunk %s: %w", c.id, err)))
		}
	}
	return nil
}

// errStop stops a load's goroutines once it knows its error.
var errStop = errors.New("load stopped")

// readLexical reads a BM25 index section.
func readLexical(s *sectionReader) (*lexical.Index, error) {
	ix := lexical.New(lexical.DefaultParams())
	if err := readInto(s, ix); err != nil {
		return nil, asSectionError(s, err)
	}
	return ix, nil
}

// asSectionError attributes err, if it is not already, to section s.
func asSectionError(s *sectionReader, err error) error {
	var se *sectionError
	if err == nil || errors.As(err, &se) {
		return err
	}
	return &sectionError{Section: s.name, Err: err}
}

// loadChunks reads the chunk table and puts every chunk back into the
// collection, its vector a row of rows, which another goroutine checks.
func (ix *Index) loadChunks(ctx context.Context, snap snapshot, rows *vectorRows) ([]chunkRef, int, error) {
	br := bufio.NewReaderSize(snap.table, 64<<10)
	refs, dim, err := ix.readChunkTable(br)
	if err == nil {
		err = snap.table.done(br)
	}
	if err != nil {
		return nil, 0, asSectionError(snap.table, err)
	}
	return refs, dim, ix.addChunks(ctx, refs, dim, rows)
}

// ReadArticles returns the articles stored in the index at path, whatever
// embedder built it: what a rebuild with another embedder starts from. Only
// the manifest needs to be intact, and an index of the last format without
// checksums is read too, so that `veille ingest --reindex` can upgrade it.
func ReadArticles(ctx context.Context, path string) ([]article.Article, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read articles: %w", err)
	}
	defer f.Close()
	snap, err := openSnapshot(f, path, false)
	if err == nil && snap.man == nil {
		if snap.man, err = snap.readManifest(ctx); err != nil {
			err = damaged(path, "manifest section", false, err)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read articles: %w", err)
	}
	arts := make([]article.Article, 0, len(snap.man.Articles))
	for _, a := range snap.man.sorted() {
		arts = append(arts, article.Article{
			ID: a.ID, Title: a.Title, URL: a.URL, Source: a.Source,
			Published: a.Published, Lang: a.Lang, Text: a.Text,
			Guilds: slices.Clone(a.Guilds),
		})
	}
	return arts, nil
}

type snapshot struct {
	// man is the manifest once read: at once for formats before checksums,
	// else by readManifest from manR.
	man         *manifest
	manR        *sectionReader
	gobManifest bool // formats 6 and 7
	// The other sections, opened but not read; indexErr says why they
	// could not be opened (reported once the manifest is known intact).
	indexErr  error
	lex       *sectionReader // BM25 over chunks
	doc       *sectionReader // BM25 over articles
	quantised *sectionReader // the quantised vector index, mapped
	vectors   *sectionReader // the raw vectors, mapped, read in place by addChunks
	table     *sectionReader // the chunk table
}

// damaged builds the error for a snapshot at path that fails a check.
func damaged(path, where string, textsIntact bool, err error) error {
	var se *sectionError
	if errors.As(err, &se) {
		where, err = se.Section+" section", se.Err
	}
	return &CorruptIndexError{Path: path, Where: where, TextsIntact: textsIntact, Err: err}
}

// openSnapshot checks the header of the snapshot in f (read from path) and
// opens its manifest section, and with withIndexes the sections after it,
// without reading their payloads (see loadSections). Without withIndexes
// it accepts the formats with a gob manifest, and the last format without
// checksums, whose manifest it reads at once.
func openSnapshot(f *os.File, path string, withIndexes bool) (snapshot, error) {
	var s snapshot
	st, err := f.Stat()
	if err != nil {
		return s, err
	}
	size := st.Size()
	magic := make([]byte, len(snapshotMagic))
	if _, err := f.ReadAt(magic, 0); err != nil || !bytes.Equal(magic[:len(snapshotPrefix)], snapshotPrefix) {
		return s, damaged(path, "header", false, errors.New("not a Veille index"))
	}
	v := binary.BigEndian.Uint32(magic[len(snapshotPrefix):])
	s.gobManifest = v == heapVectorsVersion || v == gobManifestVersion
	if v != snapshotVersion && (!s.gobManifest || withIndexes) {
		if v == uncheckedVersion && !withIndexes {
			m, err := readUncheckedManifest(f, size, int64(len(magic)))
			if err != nil {
				return s, damaged(path, "manifest section", false, err)
			}
			s.man = m
			return s, nil
		}
		return s, versionError(path, v)
	}
	off := int64(len(magic))
	if s.manR, off, err = openSection(f, size, off, "manifest"); err != nil {
		return s, damaged(path, "", false, err)
	}
	if withIndexes {
		s.indexErr = s.openIndexSections(f, size, off, path)
	}
	return s, nil
}

// versionError says why a snapshot of format v cannot be read.
func versionError(path string, v uint32) error {
	if v < snapshotVersion {
		return fmt.Errorf("%w: %s is in format %d, written by an older veille (this one writes %d): "+
			"rebuild it with `veille ingest --reindex`", ErrIndexVersion, path, v, snapshotVersion)
	}
	if v > snapshotVersion && v < 1<<16 {
		return fmt.Errorf("%w: %s is in format %d, written by a newer veille (this one reads %d): update veille",
			ErrIndexVersion, path, v, snapshotVersion)
	}
	return damaged(path, "header", false, fmt.Errorf("format version %d", v))
}

// readManifest reads and decodes the manifest section.
func (s *snapshot) readManifest(ctx context.Context) (*manifest, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.gobManifest {
		return readGobManifest(s.manR)
	}
	// One read of the whole payload, checked block by block in place; the
	// decoded strings are substrings of it.
	buf, err := s.manR.readAll()
	if err != nil {
		return nil, err
	}
	return decodeManifest(buf)
}

// openIndexSections opens the sections after the manifest (BM25 indexes,
// quantised index, vectors, chunk table) and checks the alignment and the
// end marker; the sections' blocks are checked as they are read.
func (s *snapshot) openIndexSections(f *os.File, size, off int64, path string) error {
	// From here on the texts are known to be intact.
	bad := func(where string, err error) error { return damaged(path, where, true, err) }
	var err error
	var lexR, docR, qvecR *sectionReader
	for _, sec := range []struct {
		r    **sectionReader
		name string
	}{{&lexR, "lexical"}, {&docR, "article index"}, {&qvecR, "vector index"}} {
		if *sec.r, off, err = openSection(f, size, off, sec.name); err != nil {
			return bad("", err)
		}
	}
	// The zeros before the vectors section are checked like any byte.
	pad := vectorPad(off)
	if off+pad > size {
		return bad("vectors section", errors.New("truncated before its alignment"))
	}
	zeros := make([]byte, pad)
	if _, err := f.ReadAt(zeros, off); err != nil {
		return bad("vectors section", fmt.Errorf("alignment: %w", err))
	}
	if bytes.ContainsFunc(zeros, func(r rune) bool { return r != 0 }) {
		return bad("vectors section", errors.New("alignment bytes damaged"))
	}
	off += pad
	if s.vectors, off, err = openSection(f, size, off, "vectors"); err != nil {
		return bad("", err)
	}
	if s.table, off, err = openSection(f, size, off, "chunk table"); err != nil {
		return bad("", err)
	}
	end := make([]byte, len(snapshotEnd))
	if _, err := f.ReadAt(end, off); err != nil || !bytes.Equal(end, snapshotEnd) {
		return bad("end", errors.New("end marker missing or damaged"))
	}
	if extra := size - off - int64(len(end)); extra != 0 {
		return bad("end", fmt.Errorf("%d bytes after the end marker", extra))
	}
	s.lex, s.doc, s.quantised = lexR, docR, qvecR
	return nil
}

// readGobManifest reads the manifest of formats 6 and 7, a gob.
func readGobManifest(r *sectionReader) (*manifest, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var m manifest
	err := gob.NewDecoder(br).Decode(&m)
	if err == nil {
		err = r.done(br)
	}
	if err != nil {
		return nil, err
	}
	if m.Version != manifestVersion {
		return nil, fmt.Errorf("manifest version %d, want %d", m.Version, manifestVersion)
	}
	if m.Articles == nil {
		m.Articles = map[string]*storedArticle{}
	}
	m.reindex()
	return &m, nil
}

// readInto decodes a lexical index from a whole section, read in one piece:
// the decoder sizes its tables from it, and the posting lists are slices
// of it.
func readInto(r *sectionReader, ix *lexical.Index) error {
	data, err := r.readAll()
	if err != nil {
		return err
	}
	n, err := ix.Decode(data)
	if err != nil {
		return err
	}
	if n < len(data) {
		return &sectionError{Section: r.name, Err: fmt.Errorf("%d bytes after its data", len(data)-n)}
	}
	return nil
}

// readUncheckedManifest reads the manifest of a snapshot of the format
// before checksums: a length, then the gob.
func readUncheckedManifest(f *os.File, size, off int64) (*manifest, error) {
	var n [8]byte
	if _, err := f.ReadAt(n[:], off); err != nil {
		return nil, err
	}
	l := binary.LittleEndian.Uint64(n[:])
	if l > uint64(size-off-8) {
		return nil, fmt.Errorf("length %d past the end of the file", l)
	}
	var m manifest
	r := bufio.NewReaderSize(io.NewSectionReader(f, off+8, int64(l)), 64<<10)
	if err := gob.NewDecoder(r).Decode(&m); err != nil {
		return nil, err
	}
	if m.Articles == nil {
		m.Articles = map[string]*storedArticle{}
	}
	m.reindex()
	return &m, nil
}

// sameEmbedder compares identities; a provider that has not answered yet
// does not know its dimension (0), which then matches any.
func sameEmbedder(stored, configured embed.Identity) bool {
	if configured.Dim == 0 || stored.Dim == 0 {
		stored.Dim, configured.Dim = 0, 0
	}
	return stored == configured
}

// Reload replaces the index's content with the snapshot at path, for a
// long-running process that sees another process write the data directory.
// On error (a missing file included) the index is left as it was.
func (ix *Index) Reload(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("reload index: %w", err)
	}
	fresh, err := Load(ctx, path, ix.opts)
	if err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.db, ix.col, ix.lex, ix.doc, ix.vec, ix.man = fresh.db, fresh.col, fresh.lex, fresh.doc, fresh.vec, fresh.man
	// The old mapping stays valid until the old collection is collected:
	// a writer renamed a new file into place and left the old one alone.
	ix.mapped, ix.quantised, ix.slab = fresh.mapped, fresh.quantised, fresh.slab
	ix.vectorsCheck = fresh.vectorsCheck
	return nil
}
