package main

import (
	"runtime"
	"syscall"
)

// hugeHeapBytes is how much of the address space the heap grows into first
// is marked for huge pages: the heap of a process holding an index of 127k
// chunks peaks at about 140 MiB (see BENCHMARKS.md). Only what the heap
// touches becomes resident.
const hugeHeapBytes = 512 << 20

// hugeHeap asks the kernel to back the first n bytes that the Go heap grows
// into with transparent huge pages, where the system leaves that to each
// program (THP "madvise", a common default; under "always" it changes
// nothing, under "never" the kernel ignores it). Loading an index fills a
// fresh heap of tens of megabytes, and a fault per 4 KiB page was most of a
// cold `veille ask` on a virtual machine where a fault costs ~16 µs
// (measured in BENCHMARKS.md); a 2 MiB page takes one fault. The runtime no
// longer asks for huge pages itself (Go 1.21.1), so this does: one
// allocation of n bytes, never touched (fresh memory from the kernel is not
// cleared), its range marked, then freed at once so that the heap reuses it.
// Best effort: an error leaves the heap as it was.
func hugeHeap(n int) {
	b := make([]byte, n)
	_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE)
	runtime.KeepAlive(b)
	b = nil
	// Without a collection, the next would wait for the heap to reach
	// twice n.
	runtime.GC()
}
