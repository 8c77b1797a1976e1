package atomicfile

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// write puts content at path the ordinary way, for a test's old file.
func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// read returns the content at path.
func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// names lists the files in dir, sorted.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	slices.Sort(out)
	return out
}

func TestWrite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		old  *string // nil: no file before
		perm fs.FileMode
	}{
		{name: "new file", perm: 0o600},
		{name: "new file in a new directory", perm: 0o600},
		{name: "replaces a file", old: new("old content, longer than the new one"), perm: 0o600},
		{name: "other permissions", old: new("old"), perm: 0o644},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "state.json")
			if tt.name == "new file in a new directory" {
				dir = filepath.Join(dir, "sub", "dir")
				path = filepath.Join(dir, "state.json")
			}
			if tt.old != nil {
				write(t, path, *tt.old)
			}
			if err := Write(path, []byte("new"), tt.perm); err != nil {
				t.Fatal(err)
			}
			if got := read(t, path); got != "new" {
				t.Errorf("content = %q, want %q", got, "new")
			}
			if runtime.GOOS != "windows" {
				info, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if got := info.Mode().Perm(); got != tt.perm {
					t.Errorf("permissions = %v, want %v", got, tt.perm)
				}
			}
			if got := names(t, dir); !slices.Equal(got, []string{"state.json"}) {
				t.Errorf("directory holds %v, want only the file (no temporary left)", got)
			}
		})
	}
}

// TestWriteRenames pins that a file is replaced, never rewritten in place:
// whoever holds the old file (an open reader, a mapping, a hard link) keeps
// its bytes whole. A write in place turns the link's content to the new one.
func TestWriteRenames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "index.veille")
	write(t, path, "old")
	link := filepath.Join(dir, "link")
	if err := os.Link(path, link); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(before, after) {
		t.Error("the file was rewritten in place, not replaced by a rename")
	}
	if got := read(t, link); got != "old" {
		t.Errorf("the old file's content = %q, want %q untouched", got, "old")
	}
	if got := read(t, path); got != "new" {
		t.Errorf("content = %q, want %q", got, "new")
	}
}

// TestCreateHidesUntilCommit streams a replacement: until Commit, readers of
// the path see the old file whole; after it, the new one whole.
func TestCreateHidesUntilCommit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "index.veille")
	write(t, path, "old")
	f, err := Create(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	if _, err := f.Write([]byte("new ????")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("file"), 4); err != nil {
		t.Fatal(err)
	}
	if at, err := f.Seek(0, 1); err != nil || at != 8 {
		t.Fatalf("Seek = %d, %v, want 8", at, err)
	}
	if got := read(t, path); got != "old" {
		t.Fatalf("content before Commit = %q, want the old file", got)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); got != "new file" {
		t.Errorf("content after Commit = %q, want %q", got, "new file")
	}
	if err := f.Abort(); err != nil {
		t.Errorf("Abort after Commit = %v, want nothing done", err)
	}
	if got := read(t, path); got != "new file" {
		t.Errorf("content after a late Abort = %q, want %q", got, "new file")
	}
	if err := f.Commit(); err == nil {
		t.Error("a second Commit succeeded")
	}
	if got := names(t, dir); !slices.Equal(got, []string{"index.veille"}) {
		t.Errorf("directory holds %v, want only the file", got)
	}
}

// TestFailureKeepsOldFile fails a replacement at each step: the old file
// stays whole and no temporary file is left.
func TestFailureKeepsOldFile(t *testing.T) {
	t.Parallel()
	crash := errors.New("disk full")
	tests := []struct {
		name string
		run  func(t *testing.T, path string) error
	}{
		{"abort mid-write", func(t *testing.T, path string) error {
			f, err := Create(path, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write([]byte("half a fi")); err != nil {
				t.Fatal(err)
			}
			if err := f.Abort(); err != nil {
				t.Fatal(err)
			}
			return crash
		}},
		{"rename fails", func(t *testing.T, path string) error {
			f, err := Create(path, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write([]byte("new")); err != nil {
				t.Fatal(err)
			}
			f.rename = func(string, string) error { return crash }
			return f.Commit()
		}},
		{"write fails", func(t *testing.T, path string) error {
			f, err := Create(path, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			_ = f.tmp.Close() // every later write to it fails
			if _, err := f.Write([]byte("new")); err == nil {
				t.Fatal("Write to a closed file succeeded")
			}
			if err := f.Commit(); err == nil {
				t.Fatal("Commit of a file that could not be written succeeded")
			}
			return crash
		}},
		{"target is a directory", func(t *testing.T, path string) error {
			target := filepath.Join(filepath.Dir(path), "busy")
			if err := os.MkdirAll(filepath.Join(target, "x"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := Write(target, []byte("new"), 0o600); err == nil {
				t.Fatal("Write over a non-empty directory succeeded")
			}
			return crash
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "feeds.json")
			write(t, path, "old")
			if err := tt.run(t, path); !errors.Is(err, crash) {
				t.Fatalf("error = %v, want %v", err, crash)
			}
			if got := read(t, path); got != "old" {
				t.Errorf("content after a failed write = %q, want the old file", got)
			}
			var temps []string
			for _, name := range names(t, dir) {
				if name != "feeds.json" && name != "busy" {
					temps = append(temps, name)
				}
			}
			if len(temps) > 0 {
				t.Errorf("temporary files left behind: %v", temps)
			}
		})
	}
}

func TestRemoveStale(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "index.veille")
	files := map[string]bool{ // name → still there after RemoveStale
		".index.veille.tmp-123456": false,
		".index.veille.tmp-9":      false,
		"index.veille":             true,
		".feeds.json.tmp-42":       true, // another file's: not ours to judge
		"index.veille.tmp-1":       true, // not hidden: not TempPattern
		".index.veille.tmp1":       true, // no dash: not TempPattern
		"notes.txt":                true,
	}
	for name := range files {
		write(t, filepath.Join(dir, name), "x")
	}
	RemoveStale(path)
	for name, kept := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if got := err == nil; got != kept {
			t.Errorf("%s still there = %v, want %v", name, got, kept)
		}
	}
}

// killHelperEnv makes the test binary a process that starts a replacement,
// writes half of it, says so and waits to be killed (see TestKilledMidWrite).
const killHelperEnv = "VEILLE_TEST_ATOMICFILE_KILL"

func TestKilledMidWriteHelper(t *testing.T) {
	path := os.Getenv(killHelperEnv)
	if path == "" {
		t.Skip("helper process for TestKilledMidWrite")
	}
	f, err := Create(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("half a ne")); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("writing\n")
	select {} // until killed
}

// TestKilledMidWrite kills a process in the middle of a replacement: the old
// file is whole, and RemoveStale removes what the dead process left.
func TestKilledMidWrite(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("needs a child process")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "digest.json")
	write(t, path, "old")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledMidWriteHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), killHelperEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if err != nil || line != "writing\n" {
		t.Fatalf("helper said %q, %v; want it to be writing", line, err)
	}
	if got := read(t, path); got != "old" {
		t.Fatalf("content after a killed write = %q, want the old file", got)
	}
	temps, _ := filepath.Glob(filepath.Join(dir, TempPattern(path)))
	if len(temps) != 1 {
		t.Fatalf("temporary files after a killed write = %v, want the dead one's", temps)
	}
	RemoveStale(path)
	if got := names(t, dir); !slices.Equal(got, []string{"digest.json"}) {
		t.Errorf("directory holds %v after RemoveStale, want only the file", got)
	}
}
