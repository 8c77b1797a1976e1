package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/veille/veille/rag/article"
	"github.com/veille/veille/rag/feeds"
)

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// feedStateName is the feed refresh state file in the data directory.
const feedStateName = "feeds.json"

// fetched is what fetching the pages and --feed arguments gave.
type fetched struct {
	arts  []article.Article
	store *feeds.Store // nil without --feed
	// problems are the pages and feed lists that could not be read, for
	// the caller to print; a failing feed is logged by the fetcher.
	problems []error
	// feeds counts the feeds asked for (a list that could not be read
	// counts as one), failed those that failed.
	feeds, failed int
}

// fetch downloads web pages and feeds (URLs, OPML lists or feed files)
// named by the operator, who is trusted: private and loopback addresses
// are allowed.
func (a *app) fetch(ctx context.Context, pages, feedArgs []string) (fetched, error) {
	f := feeds.New(feeds.Config{AllowPrivate: true, Logger: a.log.With("component", "feeds")})
	var out fetched
	for _, u := range pages {
		art, err := f.Page(ctx, u)
		if err != nil {
			out.problems = append(out.problems, fmt.Errorf("%s: %w", u, err))
			continue
		}
		out.arts = append(out.arts, art)
	}
	if len(feedArgs) == 0 {
		return out, nil
	}
	st, err := feeds.OpenStore(filepath.Join(a.cfg.DataDir, feedStateName))
	if err != nil {
		return out, err
	}
	out.store = st
	var urls, files []string
	listFailed := func(err error) {
		out.problems = append(out.problems, err)
		out.feeds++
		out.failed++
	}
	for _, arg := range feedArgs {
		switch {
		case !isHTTPURL(arg):
			list, err := readFeedList(arg)
			switch {
			case errors.Is(err, feeds.ErrNotOPML):
				files = append(files, arg) // a feed document itself
			case err != nil:
				listFailed(err)
			default:
				urls = append(urls, list...)
			}
		case strings.HasSuffix(strings.ToLower(arg), ".opml"):
			list, err := f.OPML(ctx, arg)
			if err != nil {
				listFailed(fmt.Errorf("%s: %w", arg, err))
				continue
			}
			urls = append(urls, list...)
		default:
			urls = append(urls, arg)
		}
	}
	urls = unique(urls)
	// Asked for explicitly: no backoff.
	for _, u := range urls {
		s := st.Get(u)
		s.URL, s.NextAttempt = u, time.Time{}
		st.Put(s)
	}
	more, errs := f.Refresh(ctx, urls, st)
	for _, path := range unique(files) {
		if abs, err := filepath.Abs(path); err == nil {
			path = abs // the state's key, wherever ingest runs from
		}
		arts, next, err := f.FeedFile(ctx, path, st.Get(path))
		if ctx.Err() == nil {
			st.Put(next)
		}
		if err != nil {
			a.log.Error("feed file unreadable", "path", path, "err", err)
			errs = append(errs, err)
			continue
		}
		more = append(more, arts...)
	}
	out.arts = append(out.arts, more...)
	out.feeds += len(urls) + len(unique(files))
	out.failed += len(errs)
	fmt.Fprintf(a.stderr, "%d of %d feed(s) read, %d new or changed article(s).\n", out.feeds-out.failed, out.feeds, len(more))
	if out.failed > 0 && out.failed < out.feeds {
		fmt.Fprintf(a.stderr, "warning: %d of %d feed(s) failed (see above).\n", out.failed, out.feeds)
	}
	return out, nil
}

// feedHint points a feed file given as an article file (feed.xml) to --feed.
func feedHint(err error) string {
	var p article.Problem
	if !errors.As(err, &p) || !errors.Is(err, article.ErrUnsupported) {
		return ""
	}
	switch strings.ToLower(filepath.Ext(p.Path)) {
	case ".xml", ".rss", ".atom", ".opml", ".json":
		return "; a feed or an OPML list goes with --feed " + p.Path
	}
	return ""
}

// readFeedList reads a local OPML file's feed URLs; feeds.ErrNotOPML
// tells a file that is something else, e.g. a feed.
func readFeedList(path string) ([]string, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err // names the path
	}
	defer file.Close()
	list, err := feeds.ReadOPML(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err) // errors.Is ErrNotOPML still
	}
	return list, nil
}

// unique drops repeated strings, keeping the first of each in order.
func unique(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
