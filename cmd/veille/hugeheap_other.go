//go:build !linux

package main

const hugeHeapBytes = 0

// hugeHeap does nothing where there is no madvise(MADV_HUGEPAGE).
func hugeHeap(int) {}
