//go:build !linux

package rag

// dropRegion is a no-op where syscall has no madvise: the checked pages of
// a mapping stay resident until the kernel needs the memory (they are file
// pages it can drop at any time).
func dropRegion([]byte) {}
