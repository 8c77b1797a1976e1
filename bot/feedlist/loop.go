package feedlist

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/veille/veille/rag"
)

// Clock is the loop's time source (bot/digest's SystemClock is the real
// one); tests drive a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// Loop keeps the bot's index fresh: it refreshes the feeds every
// FeedEvery (with jitter) and reloads the index when another process
// (`veille ingest`) replaced it, looking every WatchEvery.
type Loop struct {
	Index *rag.Index
	// Path is the index file; Seen its time from before Index was loaded,
	// so that a write landing while it loaded is seen as a change.
	Path string
	Seen time.Time
	// Refresh runs one feed refresh round and returns the index file's
	// time when it saved one (Control.Refresh).
	Refresh func(ctx context.Context) (time.Time, error)
	// FeedEvery is FEED_REFRESH; WatchEvery how often the index file is
	// looked at (and a due refresh noticed).
	FeedEvery, WatchEvery time.Duration
	// Jitter returns a random duration in [0, n]; defaults to
	// rand.Int64N(n+1).
	Jitter func(n time.Duration) time.Duration
	Clock  Clock
	Logger *slog.Logger
}

// Run loops until ctx is done; it always returns nil. A failed reload or
// refresh is logged and tried again on the next turn.
func (l Loop) Run(ctx context.Context) error {
	log := l.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	jitter := l.Jitter
	if jitter == nil {
		jitter = func(n time.Duration) time.Duration { return time.Duration(rand.Int64N(int64(n) + 1)) }
	}
	seen := l.Seen
	// Always scheduled: feeds may be added with /feeds at any time, and a
	// round without any feed costs nothing.
	nextFeeds := l.Clock.Now()
	for {
		if t := ModTime(l.Path); !t.Equal(seen) {
			if err := l.Index.Reload(ctx, l.Path); err != nil {
				log.Warn("index changed on disk but could not be reloaded", "err", err)
			} else {
				log.Info("index reloaded", "articles", l.Index.Len())
			}
			seen = t
		}
		if !l.Clock.Now().Before(nextFeeds) {
			if t, err := l.Refresh(ctx); err != nil {
				log.Warn("feed refresh failed", "err", err)
			} else if !t.IsZero() {
				seen = t
			}
			nextFeeds = l.Clock.Now().Add(l.FeedEvery - l.FeedEvery/20 + jitter(l.FeedEvery/10))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-l.Clock.After(l.WatchEvery):
		}
	}
}
