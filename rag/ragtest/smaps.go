package ragtest

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// Mapping is what /proc/self/smaps says of one mapping of the process.
type Mapping struct {
	Flags string         // VmFlags, e.g. " rd wr mr mw me ac hg"
	KB    map[string]int // the fields counted in kB: Rss, AnonHugePages, …
}

// SmapsAt returns the mapping of this process that holds addr, and whether
// one does. It skips t where there is no /proc/self/smaps.
func SmapsAt(t testing.TB, addr uintptr) (Mapping, bool) {
	t.Helper()
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps here: %v", err)
	}
	var m Mapping
	in, found := false, false
	for line := range strings.Lines(string(data)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		// A mapping's header line starts with its range, lo-hi in hex.
		if lo, hi, ok := strings.Cut(fields[0], "-"); ok && !strings.HasSuffix(fields[0], ":") {
			l, err1 := strconv.ParseUint(lo, 16, 64)
			h, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil {
				if found {
					break
				}
				in = uint64(l) <= uint64(addr) && uint64(addr) < uint64(h)
				if in {
					found, m = true, Mapping{KB: map[string]int{}}
				}
				continue
			}
		}
		if !in {
			continue
		}
		key, value, _ := strings.Cut(line, ":")
		if key == "VmFlags" {
			m.Flags = strings.TrimRight(value, "\n")
			continue
		}
		if len(fields) == 3 && fields[2] == "kB" {
			if kb, err := strconv.Atoi(fields[1]); err == nil {
				m.KB[key] = kb
			}
		}
	}
	return m, found
}
