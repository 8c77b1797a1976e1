package main

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"
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
	addr := uint64(uintptr(unsafe.Pointer(&b[0])))
	flags, anonHuge := smapsOf(t, addr)
	if !strings.Contains(flags, " hg") {
		t.Fatalf("the heap's next allocation (at %#x) is in a range without huge pages (VmFlags:%s)", addr, flags)
	}
	if anonHuge == 0 {
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

// smapsOf returns the VmFlags and AnonHugePages (kB) of the mapping of
// /proc/self/smaps that holds addr.
func smapsOf(t *testing.T, addr uint64) (flags string, anonHuge int) {
	t.Helper()
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	in := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		// A mapping's header line starts with its range, lo-hi in hex.
		if lo, hi, ok := strings.Cut(fields[0], "-"); ok && !strings.HasSuffix(fields[0], ":") {
			l, err1 := strconv.ParseUint(lo, 16, 64)
			h, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil {
				in = l <= addr && addr < h
				continue
			}
		}
		if !in {
			continue
		}
		if v, ok := strings.CutPrefix(line, "VmFlags:"); ok {
			flags = v
		}
		if v, ok := strings.CutPrefix(line, "AnonHugePages:"); ok {
			anonHuge, _ = strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
	return flags, anonHuge
}
