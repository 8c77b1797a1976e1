package feedlist

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/veille/veille/rag"
	"github.com/veille/veille/rag/article"
	"github.com/veille/veille/rag/feeds"
)

// Refresh fetches due feeds — the operator's with trusted, the user-added
// ones with the Config's Fetcher — and indexes what is new, under the
// writer lock; it returns the new index file's time when it saved one.
func (c *Control) Refresh(ctx context.Context, trusted *feeds.Fetcher) (time.Time, error) {
	added, err := Read(c.cfg.ListPath)
	if err != nil {
		// The operator's feeds still get refreshed.
		c.log.Warn("user-added feeds skipped", "err", err)
	}
	groups := Groups(added, c.cfg.Operator)
	if len(c.cfg.Operator) == 0 && len(groups) == 0 {
		return time.Time{}, nil
	}
	var st *feeds.Store
	var fetched int
	res, err := rag.Update{
		Lock: c.cfg.Lock,
		Articles: func(ctx context.Context) ([]article.Article, error) {
			var err error
			if st, err = feeds.OpenStore(c.cfg.StatePath); err != nil {
				return nil, err
			}
			// Each failing feed is logged by Refresh. One after the other, so
			// that the second round skips what the first one found.
			arts, _ := trusted.Refresh(ctx, c.cfg.Operator, st)
			for _, g := range groups {
				more, _ := c.cfg.Fetcher.Refresh(ctx, g.URLs, st)
				for i := range more {
					more[i].Guilds = g.Guilds // only the servers that follow the feed see it
				}
				arts = append(arts, more...)
			}
			fetched = len(arts)
			return arts, nil
		},
		Saved: func() error {
			if err := st.Save(); err != nil {
				return fmt.Errorf("save feed state: %w", err)
			}
			return nil
		},
	}.Run(ctx, c.cfg.Index, c.cfg.IndexPath)
	if err != nil {
		return time.Time{}, err
	}
	if fetched > 0 {
		c.log.Info("feeds refreshed", "new", res.Added, "updated", res.Updated, "chunks", res.Chunks)
	}
	return ModTime(c.cfg.IndexPath), nil
}

// ModTime returns the file's modification time; the zero time when it
// cannot be read (no file yet).
func ModTime(path string) time.Time {
	st, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return st.ModTime()
}
