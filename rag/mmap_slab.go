package rag

import (
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"github.com/veille/veille/rag/atomicfile"
)

// A vectorSlab keeps the vectors that Add embeds in a file-backed shared
// mapping instead of on the Go heap, for a command that embeds a whole
// corpus before it saves: chromem-go holds every chunk's embedding, and at
// 2048 dimensions those are 8 KiB per chunk, most of an ingest's heap and,
// with the collector's headroom on top, twice that in resident memory.
// Pages of the mapping are file pages: they are given back to the kernel
// every slabDropEvery vectors (the kernel keeps their data in the page cache
// and writes it to the file), so that they count in the process's memory
// only while read.
//
// The file is a temp file beside the snapshot, named as the snapshot
// writer's temp files are, and unlinked as soon as it is created: it
// vanishes with the process however the process ends, and a process killed
// between the two steps leaves a file that the next writer removes with its
// own stale temp files (atomicfile.RemoveStale). Where there is no shared
// mapping, or the file cannot grow, vectors stay on the heap.
type vectorSlab struct {
	beside string // the snapshot's path

	mu    sync.Mutex
	f     *os.File
	segs  [][]byte // mappings of slabSegment bytes each, in file order
	used  int      // bytes used of the last segment
	added int      // vectors counted by dropped, to pace the drops
	off   bool     // the slab could not be made or grown: use the heap
}

const (
	slabSegment   = 64 << 20 // bytes mapped at a time
	slabDropEvery = 4096     // vectors read between two drops
)

func newVectorSlab(beside string) *vectorSlab {
	if beside == "" {
		return nil
	}
	return &vectorSlab{beside: beside}
}

// keep returns vecs with each vector moved into the slab; a vector that
// does not fit, or a nil slab, stays where it is.
func (s *vectorSlab) keep(vecs [][]float32) [][]float32 {
	if s == nil {
		return vecs
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, v := range vecs {
		n := 4 * len(v)
		if n == 0 || n > slabSegment || s.off {
			continue
		}
		if len(s.segs) == 0 || s.used+n > slabSegment {
			if err := s.grow(); err != nil {
				s.off = true
				continue
			}
		}
		b := s.segs[len(s.segs)-1][s.used : s.used+n]
		s.used += n
		row := unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(v))
		copy(row, v)
		vecs[i] = row
	}
	return vecs
}

// grow maps one more segment, creating (and unlinking) the file first.
func (s *vectorSlab) grow() error {
	if s.f == nil {
		f, err := os.CreateTemp(filepath.Dir(s.beside), atomicfile.TempPattern(s.beside))
		if err != nil {
			return err
		}
		if err := os.Remove(f.Name()); err != nil {
			f.Close()
			return err
		}
		s.f = f
	}
	if len(s.segs) > 0 {
		dropRegion(s.segs[len(s.segs)-1])
	}
	off := int64(len(s.segs)) * slabSegment
	if err := s.f.Truncate(off + slabSegment); err != nil {
		return err
	}
	m, err := mapShared(s.f, off, slabSegment)
	if err != nil {
		return err
	}
	s.segs = append(s.segs, m)
	s.used = 0
	return nil
}

// read counts n vectors read from the slab (by chromem-go's AddDocument,
// by a save) and gives its pages back to the kernel every slabDropEvery.
func (s *vectorSlab) read(n int) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.added += n
	if s.added < slabDropEvery {
		return
	}
	s.added = 0
	for _, m := range s.segs {
		dropRegion(m)
	}
}

// close unmaps the slab and closes its file, once nothing holds a vector
// of it (the collection whose documents point into it is collected).
func (s *vectorSlab) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.segs {
		_ = unmapRegion(m)
	}
	s.segs = nil
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}
