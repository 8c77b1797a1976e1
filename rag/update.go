package rag

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/veille/veille/rag/article"
)

// Update is one writer's transaction on a data directory: what Run does
// between taking the writer lock and releasing it.
type Update struct {
	// Lock takes the data directory's writer lock (LockDir, with the
	// caller's patience) and returns its release.
	Lock func(ctx context.Context) (release func() error, err error)
	// Fresh says ix starts empty on purpose (a rebuild): it is not reloaded
	// from the file, which stays until the new index is saved.
	Fresh bool
	// Articles returns what to add, under the lock and after the reload,
	// so that what it reads there (feed state) is the last writer's. An
	// error stops the transaction before anything is written.
	Articles func(ctx context.Context) ([]article.Article, error)
	// Progress reports the adding; nil for none.
	Progress Progress
	// SaveUnchanged saves the index even when Articles returned none.
	SaveUnchanged bool
	// Saved runs once the index is safely saved (or had nothing to save),
	// still under the lock: it saves what must never get ahead of the
	// index, such as feed state, so that a failed save fetches the
	// articles again next time. Optional.
	Saved func() error
}

// Run runs u on ix, whose snapshot is the file at path: under the writer
// lock, it reloads ix from path so that what another writer saved is kept
// (a missing file is an empty index), adds the articles u.Articles returns,
// saves ix to path, then calls u.Saved. A failed step skips the ones after
// it; the result is the adding's, for the articles added before a failed
// save too.
func (u Update) Run(ctx context.Context, ix *Index, path string) (AddResult, error) {
	release, err := u.Lock(ctx)
	if err != nil {
		return AddResult{}, err
	}
	defer release()
	if !u.Fresh {
		if err := ix.Reload(ctx, path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return AddResult{}, err
		}
	}
	arts, err := u.Articles(ctx)
	if err != nil {
		return AddResult{}, err
	}
	var res AddResult
	if len(arts) > 0 || u.SaveUnchanged {
		if res, err = ix.Add(ctx, arts, u.Progress); err != nil {
			return res, fmt.Errorf("index %d articles: %w", len(arts), err)
		}
		if err := ix.Save(ctx, path); err != nil {
			return res, err
		}
	}
	if u.Saved != nil {
		if err := u.Saved(); err != nil {
			return res, err
		}
	}
	return res, nil
}
