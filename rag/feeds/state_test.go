package feeds

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/veille/veille/rag/atomicfile"
)

func TestStoreRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "data", "feeds.json")
	st, err := OpenStore(path)
	if err != nil {
		t.Fatalf("OpenStore of a missing file: %v", err)
	}
	if got := st.All(); len(got) != 0 {
		t.Fatalf("new store has %d feeds", len(got))
	}
	if got, want := st.Get("https://a.example/rss"), (State{URL: "https://a.example/rss"}); !cmp.Equal(got, want) {
		t.Errorf("Get of an unknown feed = %+v", got)
	}
	states := []State{
		{
			URL: "https://b.example/atom", ETag: `W/"42"`, LastModified: "Mon, 24 Nov 2026 07:00:00 GMT",
			LastSuccess: testNow, LastAttempt: testNow,
			Seen: map[string]Seen{"guid:x": {Hash: "ab", At: testNow}, "url:https://b.example/x": {Hash: "cd", At: testNow}},
		},
		{
			URL: "https://a.example/rss", LastAttempt: testNow, LastError: "feed https://a.example/rss: http status 503",
			Failures: 3, NextAttempt: testNow.Add(40 * time.Minute), LastSuccess: testNow.Add(-48 * time.Hour),
		},
	}
	for _, s := range states {
		st.Put(s)
	}
	// Put copies: changing the caller's map afterwards changes nothing.
	states[0].Seen["guid:y"] = Seen{Hash: "ef"}
	delete(states[0].Seen, "guid:y")
	if err := st.Save(); err != nil {
		t.Fatalf("Save: %v", err)
	}
	again, err := OpenStore(path)
	if err != nil {
		t.Fatalf("OpenStore: %v", err)
	}
	want := []State{states[1], states[0]} // sorted by URL
	if diff := cmp.Diff(want, again.All()); diff != "" {
		t.Errorf("reloaded (-want +got):\n%s", diff)
	}
	again.Delete("https://a.example/rss")
	if got := len(again.All()); got != 1 {
		t.Errorf("after Delete: %d feeds, want 1", got)
	}
}

// TestStoreSaveReplacesFile pins that Save replaces the file (through
// atomicfile) rather than rewriting it in place, where a crash would tear it.
func TestStoreSaveReplacesFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "feeds.json")
	st, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	st.Put(State{URL: "https://a.example/rss", LastSuccess: testNow})
	if err := st.Save(); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st.Put(State{URL: "https://b.example/rss", Failures: 1})
	if err := st.Save(); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(before, after) {
		t.Error("Save rewrote the file in place instead of replacing it")
	}
}

func TestStoreSaveFailureKeepsOldFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "feeds.json")
	st, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	st.Put(State{URL: "https://a.example/rss", LastSuccess: testNow})
	if err := st.Save(); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	st.Put(State{URL: "https://b.example/rss", Failures: 1})
	crash := errors.New("disk full")
	// The save is cut short after its temporary file is written, where a
	// failed rename would stop it.
	st.write = func(path string, data []byte, perm fs.FileMode) error {
		f, err := atomicfile.Create(path, perm)
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			return err
		}
		if err := f.Abort(); err != nil {
			return err
		}
		return crash
	}
	if err := st.Save(); !errors.Is(err, crash) {
		t.Fatalf("Save = %v, want %v", err, crash)
	}
	now, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(old), string(now)); diff != "" {
		t.Errorf("file changed by a failed save (-old +new):\n%s", diff)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d files after a failed save, want 1 (no temp file left)", len(entries))
	}
	reopened, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(reopened.All()); got != 1 {
		t.Errorf("reopened store has %d feeds, want the 1 saved before", got)
	}
}

func TestOpenStoreErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, content string }{
		{"truncated json", `{"version":1,"feeds":[{"url":`},
		{"unknown version", `{"version":7,"feeds":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "feeds.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := OpenStore(path); err == nil {
				t.Error("OpenStore succeeded, want an error")
			}
		})
	}
}

func TestStatePrune(t *testing.T) {
	t.Parallel()
	s := State{Seen: map[string]Seen{}}
	for i := range maxSeen + 10 {
		s.Seen["guid:"+time.Duration(i).String()] = Seen{At: testNow.Add(time.Duration(i) * time.Minute)}
	}
	s.prune()
	if len(s.Seen) != maxSeen {
		t.Fatalf("%d entries after prune, want %d", len(s.Seen), maxSeen)
	}
	for i := range 10 {
		if _, ok := s.Seen["guid:"+time.Duration(i).String()]; ok {
			t.Errorf("entry %d, among the oldest, kept", i)
		}
	}
}
