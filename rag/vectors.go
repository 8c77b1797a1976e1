package rag

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	chromem "github.com/philippgille/chromem-go"
)

// writeVectors writes every chunk — ID, offsets into its article's text and
// vector — in a deterministic order: count and dimension, then per chunk a
// uvarint-prefixed ID, two uvarint offsets and dim little-endian float32s.
// The text is not repeated: the manifest has the article's. A done ctx stops
// it between chunks, leaving a partial section for the caller to discard.
func (ix *Index) writeVectors(ctx context.Context, w *bufio.Writer) error {
	var ids []string
	for _, a := range ix.man.sorted() {
		for i := range a.Chunks {
			ids = append(ids, chunkID(a.ID, i))
		}
	}
	dim := 0
	if len(ids) > 0 {
		doc, err := ix.col.GetByID(ctx, ids[0])
		if err != nil {
			return fmt.Errorf("chunk %s: %w", ids[0], err)
		}
		dim = len(doc.Embedding)
	}
	var buf [binary.MaxVarintLen64]byte
	uv := func(v uint64) error {
		_, err := w.Write(buf[:binary.PutUvarint(buf[:], v)])
		return err
	}
	str := func(s string) error {
		if err := uv(uint64(len(s))); err != nil {
			return err
		}
		_, err := w.WriteString(s)
		return err
	}
	if err := uv(uint64(len(ids))); err != nil {
		return err
	}
	if err := uv(uint64(dim)); err != nil {
		return err
	}
	f32 := make([]byte, 4*dim)
	for n, id := range ids {
		if n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		doc, err := ix.col.GetByID(ctx, id)
		if err != nil {
			return fmt.Errorf("chunk %s: %w", id, err)
		}
		if len(doc.Embedding) != dim {
			return fmt.Errorf("chunk %s has %d dimensions, want %d", id, len(doc.Embedding), dim)
		}
		start, _ := strconv.ParseUint(doc.Metadata[metaStart], 10, 64)
		end, _ := strconv.ParseUint(doc.Metadata[metaEnd], 10, 64)
		if err := str(id); err != nil {
			return err
		}
		if err := uv(start); err != nil {
			return err
		}
		if err := uv(end); err != nil {
			return err
		}
		for i, v := range doc.Embedding {
			binary.LittleEndian.PutUint32(f32[4*i:], math.Float32bits(v))
		}
		if _, err := w.Write(f32); err != nil {
			return err
		}
	}
	return nil
}

// maxSnapshotString bounds one string read back (a chunk's text), so that a
// damaged length never allocates gigabytes.
const maxSnapshotString = 64 << 20

// readVectors puts the chunks written by writeVectors back into the
// collection, with their metadata rebuilt from the manifest.
func (ix *Index) readVectors(ctx context.Context, r *bufio.Reader) error {
	corrupt := func(what string, err error) error {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("%w: %s: %w", ErrCorruptIndex, what, err)
	}
	uv := func() (uint64, error) { return binary.ReadUvarint(r) }
	str := func() (string, error) {
		n, err := uv()
		if err != nil {
			return "", err
		}
		if n > maxSnapshotString {
			return "", fmt.Errorf("string of %d bytes", n)
		}
		b := make([]byte, n)
		_, err = io.ReadFull(r, b)
		return string(b), err
	}
	count, err := uv()
	if err != nil {
		return corrupt("count", err)
	}
	dim, err := uv()
	if err != nil {
		return corrupt("dimension", err)
	}
	if dim > 1<<16 {
		return corrupt("dimension", fmt.Errorf("%d", dim))
	}
	want := 0
	for _, a := range ix.man.Articles {
		want += a.Chunks
	}
	if count != uint64(want) {
		return corrupt("count", fmt.Errorf("%d chunks, manifest has %d", count, want))
	}
	f32 := make([]byte, 4*dim)
	// One allocation for every vector: 100k separate 8 KB slices made the
	// garbage collector the slowest part of a load. A replaced chunk's
	// vector stays in the slab until the next load.
	slab := make([]float32, count*dim)
	metas := map[string]map[string]string{} // per article, shared shape
	// The quantised index comes from its own section; it is rebuilt only
	// when that is missing or does not match the chunks.
	rebuild := ix.vec == nil || ix.vec.Len() != int(count) || (count > 0 && ix.vec.Dim() != int(dim))
	if rebuild {
		ix.vec = nil
	}
	for n := range count {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		id, err := str()
		if err != nil {
			return corrupt("chunk id", err)
		}
		start, err := uv()
		if err != nil {
			return corrupt("chunk "+id, err)
		}
		end, err := uv()
		if err != nil {
			return corrupt("chunk "+id, err)
		}
		if _, err := io.ReadFull(r, f32); err != nil {
			return corrupt("chunk "+id, err)
		}
		vec := slab[n*dim : (n+1)*dim : (n+1)*dim]
		for i := range vec {
			vec[i] = math.Float32frombits(binary.LittleEndian.Uint32(f32[4*i:]))
		}
		aid := articleOf(id)
		a := ix.man.Articles[aid]
		if a == nil {
			return corrupt("chunk "+id, errors.New("of no known article"))
		}
		if start > end || end > uint64(len(a.Text)) {
			return corrupt("chunk "+id, fmt.Errorf("offsets %d:%d outside its article", start, end))
		}
		// A substring: the chunk's text shares the article's memory.
		content := a.Text[start:end]
		base, ok := metas[aid]
		if !ok {
			base = chunkMeta(a)
			metas[aid] = base
		}
		m := make(map[string]string, len(base)+2)
		for k, v := range base {
			m[k] = v
		}
		m[metaStart] = strconv.FormatUint(start, 10)
		m[metaEnd] = strconv.FormatUint(end, 10)
		doc := chromem.Document{ID: id, Metadata: m, Embedding: vec, Content: content}
		if err := ix.col.AddDocument(ctx, doc); err != nil {
			return corrupt("chunk "+id, err)
		}
		if rebuild {
			if err := ix.addVectorLocked(id, vec); err != nil {
				return corrupt("chunk "+id, err)
			}
		}
	}
	return nil
}

// chunkMeta is the provenance every chunk of an article carries in chromem-go.
func chunkMeta(a *storedArticle) map[string]string {
	m := map[string]string{
		metaArticleID: a.ID,
		metaTitle:     a.Title,
		metaURL:       a.URL,
		metaSource:    a.Source,
		metaSourceKey: sourceKey(a.Source),
		metaLang:      a.Lang,
	}
	if !a.Published.IsZero() {
		m[metaPublished] = a.Published.UTC().Format(time.RFC3339)
	}
	return m
}
