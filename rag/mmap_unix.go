//go:build unix

package rag

import (
	"os"
	"syscall"
)

// mapRegion maps n bytes of f from off (a multiple of the page size)
// read-only and private: the bytes are the file's, read from the page cache
// only when touched, and never written through.
func mapRegion(f *os.File, off, n int64) ([]byte, error) {
	return syscall.Mmap(int(f.Fd()), off, int(n), syscall.PROT_READ, syscall.MAP_PRIVATE)
}

// unmapRegion releases a mapping made by mapRegion.
func unmapRegion(b []byte) error { return syscall.Munmap(b) }

// mapShared maps n bytes of f from off (a multiple of the page size) for
// reading and writing, shared: writes go to the file through the page
// cache, so the kernel can write the pages out and drop them.
func mapShared(f *os.File, off, n int64) ([]byte, error) {
	return syscall.Mmap(int(f.Fd()), off, int(n), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
}
