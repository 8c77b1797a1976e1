package rag

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/veille/veille/rag/atomicfile"
)

// LockName is the file a writer holds locked inside a data directory.
const LockName = "write.lock"

// ErrDirInUse reports that another process is writing the data directory.
var ErrDirInUse = errors.New("data directory in use by another writer")

// LockDir takes the data directory's writer lock, waiting for it until ctx is
// done. Readers never need it: snapshots are replaced atomically. The lock is
// advisory (flock) and dies with the process, so a crash never leaves it stuck;
// the temporary file of a save that crash interrupted is removed once the
// lock is taken, since no other writer can be saving then.
func LockDir(ctx context.Context, dir string) (release func() error, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
		if ok {
			if lockExclusive {
				atomicfile.RemoveStale(filepath.Join(dir, SnapshotName))
			}
			return func() error {
				unlock(f)
				return f.Close()
			}, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: %w (%w)", dir, ErrDirInUse, ctx.Err())
		case <-tick.C:
		}
	}
}
