package main

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"syscall"
)

// hugeHeapBytes is how much of the address space the heap grows into first
// is marked for huge pages: the heap of a process holding an index of 127k
// chunks peaks at about 140 MiB (see BENCHMARKS.md). Only what the heap
// touches becomes resident.
const hugeHeapBytes = 512 << 20

// hugeHeap asks the kernel to back the first n bytes that the Go heap grows
// into with transparent huge pages, where the system leaves that to each
// program (THP "madvise", a common default). Loading an index fills a fresh
// heap of tens of megabytes, and a fault per 4 KiB page was most of a cold
// `veille ask` on a virtual machine where a fault costs ~16 µs (measured in
// BENCHMARKS.md); a 2 MiB page takes one fault. The runtime no longer asks
// for huge pages itself (Go 1.21.1), so this does: one allocation of n
// bytes, never touched (fresh memory from the kernel is not cleared), its
// range marked, then freed at once so that the heap reuses it. It does
// nothing where it cannot help or could hurt (see hugeHeapSize).
func hugeHeap(n int) {
	thp, _ := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	overcommit, _ := os.ReadFile("/proc/sys/vm/overcommit_memory")
	n = hugeHeapSize(n, string(thp), string(bytes.TrimSpace(overcommit)), memTotal(), strconv.IntSize)
	if n == 0 {
		return
	}
	b := make([]byte, n)
	_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE)
	runtime.KeepAlive(b)
	b = nil
	// Without a collection, the next would wait for the heap to reach
	// twice n.
	runtime.GC()
}

// hugeHeapSize is how many bytes hugeHeap marks, of the n asked for: none
// unless the kernel's THP mode is "madvise" (under "always" every page is
// a candidate already, under "never" the mark is ignored), none under strict
// overcommit ("2", where reserving n could fail the program at start) or on
// a 32-bit address space, and at most a quarter of the machine's memory
// (memTotal bytes; 0 when unknown, then none).
func hugeHeapSize(n int, thpMode, overcommit string, memTotal uint64, intSize int) int {
	if intSize < 64 || overcommit == "2" || !bytes.Contains([]byte(thpMode), []byte("[madvise]")) {
		return 0
	}
	return int(min(uint64(n), memTotal/4))
}

// memTotal is MemTotal of /proc/meminfo in bytes, 0 when unknown.
func memTotal() uint64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) >= 2 && string(f[0]) == "MemTotal:" {
			kb, err := strconv.ParseUint(string(f[1]), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
