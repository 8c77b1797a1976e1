package digest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStore(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "digest.json")
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Last("1"); !got.At.IsZero() {
		t.Fatalf("Last of a new store = %+v, want zero", got)
	}
	at := time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)
	run := Run{At: at, Covered: []string{"a", "b"}}
	if err := s.Begin("1", run); err != nil {
		t.Fatal(err)
	}
	if err := s.Record("2", Run{At: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	// A crash now: the pending mark of channel 1 is on disk.
	reopened, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := reopened.Pending("1")
	if !ok {
		t.Fatal("pending run lost across reopen")
	}
	if diff := cmp.Diff(run, p); diff != "" {
		t.Errorf("pending (-want +got):\n%s", diff)
	}
	if got := reopened.Last("2").At; !got.Equal(at.Add(time.Hour)) {
		t.Errorf("Last(2).At = %s, want %s", got, at.Add(time.Hour))
	}
	if err := reopened.Record("1", p); err != nil {
		t.Fatal(err)
	}
	again, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := again.Pending("1"); ok {
		t.Error("pending mark survived Record")
	}
	if diff := cmp.Diff(run, again.Last("1")); diff != "" {
		t.Errorf("Last(1) (-want +got):\n%s", diff)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("state directory holds %d files, want only the state (no temporary left)", len(entries))
	}
}

// TestStoreReplacesFile pins that the state is replaced (through atomicfile)
// rather than rewritten in place, where a crash would tear it.
func TestStoreReplacesFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "digest.json")
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)
	if err := s.Begin("1", Run{At: at}); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Record("1", Run{At: at}); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(before, after) {
		t.Error("the state was rewritten in place instead of replaced")
	}
}

func TestOpenStoreCorrupt(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "digest.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(path); err == nil {
		t.Fatal("OpenStore of a corrupt file succeeded")
	}
}

func TestBeginWriteFailureKeepsNoMark(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	blocker := filepath.Join(dir, "sub")
	s, err := OpenStore(filepath.Join(blocker, "digest.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The state's directory turns out to be a file: writes fail.
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Begin("1", Run{At: time.Now()}); err == nil {
		t.Fatal("Begin succeeded with an unwritable path")
	}
	if _, ok := s.Pending("1"); ok {
		t.Error("a mark that could not be written is kept in memory")
	}
}
