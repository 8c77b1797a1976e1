package feeds

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/veille/veille/rag/article"
)

// Refresh fetches every feed of urls that is due (see State.Due), at most
// Config.Concurrency at once and one request at a time per host, and returns
// the articles that are new or changed since the states in st, each once
// across all feeds (by GUID, canonical URL and content hash), in the order of
// urls and of each feed.
//
// It records every feed's new state in st but does not save it: call
// st.Save once the articles are indexed, so that a crash in between fetches
// them again rather than losing them. Each failing feed is logged once (with
// its failure count and next attempt) and its error returned, in the order of
// urls; a failing feed never stops the others. When ctx ends, the feeds not
// yet fetched keep their state and the last error is ctx's cause.
func (f *Fetcher) Refresh(ctx context.Context, urls []string, st *Store) ([]article.Article, []error) {
	seen := newSeenIndex(st.All()...)
	now := f.now()

	var todo []string
	dup := map[string]bool{}
	for _, u := range urls {
		u = strings.TrimSpace(u)
		if u == "" || dup[u] {
			continue
		}
		dup[u] = true
		if prev := st.Get(u); !prev.Due(now) {
			f.log.Debug("feed backed off", "feed_url", u, "failures", prev.Failures, "next_attempt", prev.NextAttempt)
			continue
		}
		todo = append(todo, u)
	}

	results := make([][]article.Article, len(todo))
	errs := make([]error, len(todo))
	var g errgroup.Group
	g.SetLimit(f.limit)
	for i, u := range todo {
		g.Go(func() error {
			arts, next, err := f.feed(ctx, u, st.Get(u), seen)
			if err != nil {
				errs[i] = err
				if ctx.Err() != nil {
					return nil // stopping is not the feed's failure: keep its state
				}
				st.Put(next)
				f.log.Error("feed refresh failed", "feed_url", u, "failures", next.Failures,
					"next_attempt", next.NextAttempt, "err", err)
				return nil
			}
			st.Put(next)
			f.log.Debug("feed refreshed", "feed_url", u, "new_articles", len(arts))
			results[i] = arts
			return nil
		})
	}
	_ = g.Wait() // the goroutines report through errs

	var out []article.Article
	var failed []error
	for i := range todo {
		out = append(out, results[i]...)
		if errs[i] != nil && (ctx.Err() == nil || !errors.Is(errs[i], context.Cause(ctx))) {
			failed = append(failed, errs[i])
		}
	}
	if ctx.Err() != nil {
		failed = append(failed, fmt.Errorf("refresh feeds: %w", context.Cause(ctx)))
	}
	// Two feeds may carry one URL with different texts in the same round.
	out, _ = article.Dedupe(out)
	return out, failed
}
