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
	"path/filepath"

	"github.com/veille/veille/rag/article"
	"github.com/veille/veille/rag/embed"
	"github.com/veille/veille/rag/lexical"
	"github.com/veille/veille/rag/vecindex"
)

// SnapshotName is the index file inside a data directory.
const SnapshotName = "index.veille"

// Snapshot layout: magic, then five length-prefixed sections (manifest as
// gob, BM25 over chunks, BM25 over articles, the quantised vector index,
// chunks with raw float32 vectors), then an end marker.
// chromem-go's own gob export decodes floats one by one, ten times slower
// than reading them raw (see BENCHMARKS.md), so the chunks are written here
// and put back into a chromem-go collection on load. Saving writes a
// temporary file, fsyncs it and renames it over the old one, so a reader or a
// crash only ever sees a complete snapshot.
var (
	snapshotMagic = []byte("VEILLEIX\x00\x00\x00\x05")
	snapshotEnd   = []byte("VEILLEND")
)

// ErrCorruptIndex reports a snapshot that cannot be read back.
var ErrCorruptIndex = errors.New("index file is damaged")

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
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := ix.writeSnapshot(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("save index to %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save index to %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save index to %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save index to %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

func (ix *Index) writeSnapshot(f *os.File) error {
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := w.Write(snapshotMagic); err != nil {
		return err
	}
	var man bytes.Buffer
	if err := gob.NewEncoder(&man).Encode(ix.man); err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	if err := writeSection(w, man.Bytes()); err != nil {
		return err
	}
	var lex bytes.Buffer
	if _, err := ix.lex.WriteTo(&lex); err != nil {
		return fmt.Errorf("encode lexical index: %w", err)
	}
	if err := writeSection(w, lex.Bytes()); err != nil {
		return err
	}
	var doc bytes.Buffer
	if _, err := ix.doc.WriteTo(&doc); err != nil {
		return fmt.Errorf("encode article index: %w", err)
	}
	if err := writeSection(w, doc.Bytes()); err != nil {
		return err
	}
	// The quantised index is saved rather than rebuilt: rebuilding costs
	// ~30 µs a chunk (2048 scattered column writes), reading it back is a copy.
	var vec bytes.Buffer
	if ix.vec != nil {
		var dim [4]byte
		binary.LittleEndian.PutUint32(dim[:], uint32(ix.vec.Dim()))
		vec.Write(dim[:])
		if _, err := ix.vec.WriteTo(&vec); err != nil {
			return fmt.Errorf("encode vector index: %w", err)
		}
	}
	if err := writeSection(w, vec.Bytes()); err != nil {
		return err
	}
	// The vectors are the bulk: stream them, then patch the length in.
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
	if err := ix.writeVectors(w); err != nil {
		return fmt.Errorf("write vectors: %w", err)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	end, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(end-lenAt-8))
	if _, err := f.WriteAt(n[:], lenAt); err != nil {
		return err
	}
	_, err = f.Write(snapshotEnd)
	return err
}

func writeSection(w io.Writer, b []byte) error {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	_, err := w.Write(b)
	return err
}

// Load reads the index saved at path. A missing file gives an empty index.
// An index built by another embedder is an *EmbedderMismatchError.
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
	defer f.Close()
	snap, err := readSnapshot(ctx, f, true)
	if err != nil {
		return nil, fmt.Errorf("load index %s: %w", path, err)
	}
	if want := opts.Embedder.Identity(); !sameEmbedder(snap.man.Embedder, want) {
		return nil, &EmbedderMismatchError{Path: path, Index: snap.man.Embedder, Configured: want}
	}
	ix.man = snap.man
	ix.lex = snap.lex
	ix.doc = snap.doc
	ix.vec = snap.vec
	if err := ix.readVectors(ctx, bufio.NewReaderSize(snap.vectors, 1<<20)); err != nil {
		return nil, fmt.Errorf("load index %s: vectors: %w", path, err)
	}
	return ix, nil
}

// ReadArticles returns the articles stored in the index at path, whatever
// embedder built it: what a rebuild with another embedder starts from.
func ReadArticles(ctx context.Context, path string) ([]article.Article, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read articles: %w", err)
	}
	defer f.Close()
	snap, err := readSnapshot(ctx, f, false)
	if err != nil {
		return nil, fmt.Errorf("read articles from %s: %w", path, err)
	}
	arts := make([]article.Article, 0, len(snap.man.Articles))
	for _, a := range snap.man.sorted() {
		arts = append(arts, article.Article{
			ID: a.ID, Title: a.Title, URL: a.URL, Source: a.Source,
			Published: a.Published, Lang: a.Lang, Text: a.Text,
		})
	}
	return arts, nil
}

type snapshot struct {
	man     *manifest
	lex     *lexical.Index
	doc     *lexical.Index
	vec     *vecindex.Index
	vectors *io.SectionReader
}

func readSnapshot(ctx context.Context, f *os.File, withIndexes bool) (snapshot, error) {
	var s snapshot
	st, err := f.Stat()
	if err != nil {
		return s, err
	}
	size := st.Size()
	magic := make([]byte, len(snapshotMagic))
	if _, err := f.ReadAt(magic, 0); err != nil || !bytes.Equal(magic, snapshotMagic) {
		return s, fmt.Errorf("%w: not a Veille index (or another version)", ErrCorruptIndex)
	}
	off := int64(len(magic))
	section := func(name string) (*io.SectionReader, error) {
		var n [8]byte
		if _, err := f.ReadAt(n[:], off); err != nil {
			return nil, fmt.Errorf("%w: %s section: %w", ErrCorruptIndex, name, err)
		}
		l := int64(binary.LittleEndian.Uint64(n[:]))
		if l < 0 || off+8+l > size {
			return nil, fmt.Errorf("%w: %s section is truncated", ErrCorruptIndex, name)
		}
		r := io.NewSectionReader(f, off+8, l)
		off += 8 + l
		return r, nil
	}
	manR, err := section("manifest")
	if err != nil {
		return s, err
	}
	lexR, err := section("lexical")
	if err != nil {
		return s, err
	}
	docR, err := section("article index")
	if err != nil {
		return s, err
	}
	qvecR, err := section("vector index")
	if err != nil {
		return s, err
	}
	vecR, err := section("vectors")
	if err != nil {
		return s, err
	}
	end := make([]byte, len(snapshotEnd))
	if _, err := f.ReadAt(end, off); err != nil || !bytes.Equal(end, snapshotEnd) {
		return s, fmt.Errorf("%w: end marker missing", ErrCorruptIndex)
	}
	if err := ctx.Err(); err != nil {
		return s, err
	}
	var m manifest
	if err := gob.NewDecoder(bufio.NewReaderSize(manR, 1<<20)).Decode(&m); err != nil {
		return s, fmt.Errorf("%w: manifest: %w", ErrCorruptIndex, err)
	}
	if m.Version != manifestVersion {
		return s, fmt.Errorf("%w: manifest version %d, want %d", ErrCorruptIndex, m.Version, manifestVersion)
	}
	if m.Articles == nil {
		m.Articles = map[string]*storedArticle{}
	}
	m.reindex()
	s.man = &m
	if !withIndexes {
		return s, nil
	}
	s.lex = lexical.New(lexical.DefaultParams())
	if _, err := s.lex.ReadFrom(bufio.NewReaderSize(lexR, 1<<20)); err != nil {
		return s, fmt.Errorf("%w: lexical index: %w", ErrCorruptIndex, err)
	}
	s.doc = lexical.New(lexical.DefaultParams())
	if _, err := s.doc.ReadFrom(bufio.NewReaderSize(docR, 1<<20)); err != nil {
		return s, fmt.Errorf("%w: article index: %w", ErrCorruptIndex, err)
	}
	if qvecR.Size() > 0 {
		var dim [4]byte
		if _, err := io.ReadFull(qvecR, dim[:]); err != nil {
			return s, fmt.Errorf("%w: vector index: %w", ErrCorruptIndex, err)
		}
		d := int(binary.LittleEndian.Uint32(dim[:]))
		if d <= 0 || d > 1<<16 {
			return s, fmt.Errorf("%w: vector index of %d dimensions", ErrCorruptIndex, d)
		}
		s.vec = vecindex.New(d)
		if _, err := s.vec.ReadFrom(bufio.NewReaderSize(qvecR, 1<<20)); err != nil {
			return s, fmt.Errorf("%w: vector index: %w", ErrCorruptIndex, err)
		}
	}
	s.vectors = vecR
	return s, nil
}

// syncDir makes a rename durable; best effort, as not every OS supports it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
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
	return nil
}
