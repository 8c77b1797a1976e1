// Package atomicfile owns the one way Veille replaces a file: write a
// temporary file in the same directory, sync it, rename it over the old one,
// then sync the directory. A reader or a crash sees the old file or the new
// one, never half of one; a reader that holds the old file open (or mapped)
// keeps its bytes. A write that fails removes its temporary file; one that a
// crash interrupts leaves it behind, for RemoveStale.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// TempPattern is the os.CreateTemp pattern of the temporary files written
// next to path: hidden, named for path, so that RemoveStale can tell them
// from every other file.
func TempPattern(path string) string { return "." + filepath.Base(path) + ".tmp-*" }

// RemoveStale removes the temporary files that writes of path never
// finished. Only a caller that knows no other writer of path is running (one
// holding the data directory's writer lock) may call it: any such file is
// then a dead process's. Best effort: a file that stays costs disk only.
func RemoveStale(path string) {
	names, _ := filepath.Glob(filepath.Join(filepath.Dir(path), TempPattern(path)))
	for _, name := range names {
		_ = os.Remove(name)
	}
}

// Write replaces path with data, with permissions perm (umask not applied),
// creating its directory if needed.
func Write(path string, data []byte, perm fs.FileMode) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Abort()
		return err
	}
	return f.Commit()
}

// File is a replacement of a file being written: nothing is visible at its
// path until Commit. Abort, or a failed Commit, removes what was written.
// A File is not safe for concurrent use.
type File struct {
	tmp  *os.File
	path string
	done bool

	// rename is os.Rename; a seam for this package's tests.
	rename func(oldpath, newpath string) error
}

// Create starts a replacement of path, with permissions perm (umask not
// applied), creating its directory if needed. The caller writes through the
// File, then calls Commit, or Abort to give up; `defer f.Abort()` is safe,
// as Abort does nothing after Commit.
func Create(path string, perm fs.FileMode) (*File, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("replace %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, TempPattern(path))
	if err != nil {
		return nil, fmt.Errorf("replace %s: %w", path, err)
	}
	f := &File{tmp: tmp, path: path, rename: os.Rename}
	if err := tmp.Chmod(perm); err != nil {
		_ = f.Abort()
		return nil, fmt.Errorf("replace %s: %w", path, err)
	}
	return f, nil
}

// Write writes p to the temporary file.
func (f *File) Write(p []byte) (int, error) { return f.tmp.Write(p) }

// WriteAt writes p at offset off of the temporary file: a streamed format
// can patch a length in once it is known.
func (f *File) WriteAt(p []byte, off int64) (int, error) { return f.tmp.WriteAt(p, off) }

// Seek sets the offset of the next Write to the temporary file.
func (f *File) Seek(offset int64, whence int) (int64, error) { return f.tmp.Seek(offset, whence) }

// Commit syncs what was written and renames it over the file: from then on
// readers see the new file whole. Syncing the directory afterwards, so that
// the rename itself survives a crash, is best effort: not every system can,
// and the data is already safe. On failure the old file is untouched and the
// temporary file removed.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("replace %s: %w", f.path, os.ErrClosed)
	}
	f.done = true
	err := f.tmp.Sync()
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = f.rename(f.tmp.Name(), f.path)
	}
	if err != nil {
		_ = os.Remove(f.tmp.Name())
		return fmt.Errorf("replace %s: %w", f.path, err)
	}
	syncDir(filepath.Dir(f.path))
	return nil
}

// Abort gives the replacement up: the temporary file is closed and removed,
// the file at the path untouched. It does nothing after Commit or Abort.
func (f *File) Abort() error {
	if f.done {
		return nil
	}
	f.done = true
	return errors.Join(f.tmp.Close(), os.Remove(f.tmp.Name()))
}

// syncDir makes a rename durable; best effort, as not every system can.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
