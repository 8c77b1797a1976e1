package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"unsafe"

	"github.com/veille/veille/rag/ragtest"
)

// TestHugeHeap: after hugeHeap, memory the heap hands out next lies in a
// range the kernel marks for huge pages ("hg" in /proc/self/smaps), and a
// large allocation touched end to end is backed by some.
func TestHugeHeap(t *testing.T) {
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || !bytes.Contains(mode, []byte("[madvise]")) {
		t.Skipf("transparent huge pages are not left to each program here (%q, %v)", mode, err)
	}
	if hugeHeapSize(64<<20, string(mode), "0", memTotal(), 64) == 0 {
		t.Skip("too little memory here")
	}
	hugeHeap(64 << 20)
	b := make([]byte, 32<<20)
	for i := range b {
		b[i] = 1
	}
	m, ok := ragtest.SmapsAt(t, uintptr(unsafe.Pointer(&b[0])))
	if !ok {
		t.Fatalf("no mapping holds %p in /proc/self/smaps", &b[0])
	}
	if !strings.Contains(m.Flags, " hg") {
		t.Fatalf("the heap's next allocation (at %p) is in a range without huge pages (VmFlags:%s)", &b[0], m.Flags)
	}
	if m.KB["AnonHugePages"] == 0 {
		t.Errorf("32 MiB touched in a huge-page range, none backed by huge pages")
	}
}

func TestHugeHeapSize(t *testing.T) {
	t.Parallel()
	const gib = 1 << 30
	tests := []struct {
		name       string
		thp        string
		overcommit string
		mem        uint64
		bits       int
		want       int
	}{
		{"madvise", "always [madvise] never\n", "0", 24 * gib, 64, 512 << 20},
		{"always: every page a candidate already", "[always] madvise never\n", "0", 24 * gib, 64, 0},
		{"never: the mark is ignored", "always madvise [never]\n", "0", 24 * gib, 64, 0},
		{"no THP in this kernel", "", "0", 24 * gib, 64, 0},
		{"strict overcommit", "always [madvise] never\n", "2", 24 * gib, 64, 0},
		{"small machine: a quarter of its memory", "always [madvise] never\n", "1", 1 * gib, 64, 256 << 20},
		{"memory unknown", "always [madvise] never\n", "0", 0, 64, 0},
		{"32-bit", "always [madvise] never\n", "0", 24 * gib, 32, 0},
	}
	for _, tt := range tests {
		if got := hugeHeapSize(512<<20, tt.thp, tt.overcommit, tt.mem, tt.bits); got != tt.want {
			t.Errorf("%s: hugeHeapSize = %d, want %d", tt.name, got, tt.want)
		}
	}
	if memTotal() == 0 {
		t.Error("memTotal read nothing from /proc/meminfo")
	}
}
