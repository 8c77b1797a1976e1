package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/veille/veille/data"
	"github.com/veille/veille/rag"
	"github.com/veille/veille/rag/article"
	"github.com/veille/veille/rag/feeds"
)

// lockWait is how long a writer waits for another writer before giving up.
const lockWait = 30 * time.Second

func (a *app) ingest(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	reindex := fs.Bool("reindex", false, "rebuild the whole index with the configured embedder")
	var feedArgs multiFlag
	fs.Var(&feedArgs, "feed", "RSS/Atom/OPML feed URL (repeatable)")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	var files, pages []string
	for _, p := range paths {
		if isHTTPURL(p) {
			pages = append(pages, p)
		} else {
			files = append(files, p)
		}
	}

	release, err := a.lock(ctx)
	if err != nil {
		return err
	}
	defer release()

	opts, err := a.indexOptions()
	if err != nil {
		return err
	}
	var ix *rag.Index
	var arts []article.Article
	if *reindex {
		// Rebuild from the stored articles; the old file stays until the new
		// index is complete and saved.
		stored, err := rag.ReadArticles(ctx, a.indexPath())
		if err != nil {
			return err
		}
		if ix, err = rag.New(opts); err != nil {
			return err
		}
		arts = stored
		fmt.Fprintf(a.stderr, "Rebuilding the index of %d articles with %s.\n", len(stored), opts.Embedder.Identity())
	} else if ix, err = rag.Load(ctx, a.indexPath(), opts); err != nil {
		return err
	}

	var problems []error
	switch {
	case len(paths) == 0 && len(feedArgs) == 0 && !*reindex:
		var ps []article.Problem
		arts, ps, err = article.LoadFS(ctx, data.FS(), "articles")
		for _, p := range ps {
			problems = append(problems, p)
		}
	case len(files) > 0:
		more, ps, lerr := article.LoadPaths(ctx, files)
		arts, err = append(arts, more...), lerr
		for _, p := range ps {
			problems = append(problems, p)
		}
	}
	if err != nil {
		return fmt.Errorf("load articles: %w", err)
	}
	var fstore *feeds.Store
	if len(pages) > 0 || len(feedArgs) > 0 {
		var more []article.Article
		var errs []error
		more, fstore, errs, err = a.fetch(ctx, pages, feedArgs)
		if err != nil {
			return err
		}
		arts, problems = append(arts, more...), append(problems, errs...)
	}
	for _, p := range problems {
		fmt.Fprintf(a.stderr, "skipped %v\n", p)
	}
	if len(arts) == 0 {
		if len(problems) > 0 && len(feedArgs) == 0 {
			return fmt.Errorf("nothing to index: %d input(s) could not be read", len(problems))
		}
		if len(feedArgs) == 0 {
			return fmt.Errorf("nothing to index in %s", strings.Join(paths, ", "))
		}
	}

	res, err := ix.Add(ctx, arts, a.progress("Indexing", len(arts)))
	if err != nil {
		return err
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(a.stderr, "skipped %v\n", s)
	}
	if err := ix.Save(ctx, a.indexPath()); err != nil {
		return err
	}
	// Feed state is saved only once its articles are safely indexed, so a
	// failed ingest fetches them again next time.
	if fstore != nil {
		if err := fstore.Save(); err != nil {
			return fmt.Errorf("save feed state: %w", err)
		}
	}
	fmt.Fprintf(a.stdout, "%d new, %d updated, %d unchanged, %d duplicate articles; %d chunks embedded; %d skipped. Index: %d articles, %d chunks (%s).\n",
		res.Added, res.Updated, res.Unchanged, res.Duplicate, res.Chunks, len(problems)+len(res.Skipped),
		ix.Len(), ix.Chunks(), a.indexPath())
	return nil
}

// lock takes the data directory's writer lock, telling the user if it waits.
func (a *app) lock(ctx context.Context) (func() error, error) {
	quick, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	release, err := rag.LockDir(quick, a.cfg.DataDir)
	cancel()
	if err == nil {
		return release, nil
	}
	if !errors.Is(err, rag.ErrDirInUse) || ctx.Err() != nil {
		return nil, err
	}
	fmt.Fprintf(a.stderr, "Another veille process is writing %s; waiting up to %s…\n", a.cfg.DataDir, lockWait)
	wait, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	return rag.LockDir(wait, a.cfg.DataDir)
}

// openIndex loads the index for reading. An empty one is filled with the
// bundled articles first, so that a fresh clone answers at once.
func (a *app) openIndex(ctx context.Context) (*rag.Index, error) {
	opts, err := a.indexOptions()
	if err != nil {
		return nil, err
	}
	ix, err := rag.Load(ctx, a.indexPath(), opts)
	if err != nil || ix.Len() > 0 {
		return ix, err
	}
	release, err := a.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	// Another process may have filled it while we waited for the lock.
	if ix, err = rag.Load(ctx, a.indexPath(), opts); err != nil || ix.Len() > 0 {
		return ix, err
	}
	arts, problems, err := article.LoadFS(ctx, data.FS(), "articles")
	if err != nil {
		return nil, fmt.Errorf("load bundled articles: %w", err)
	}
	for _, p := range problems {
		a.log.Warn("bundled article skipped", "err", p)
	}
	fmt.Fprintf(a.stderr, "The index is empty: indexing the %d bundled articles into %s.\n", len(arts), a.cfg.DataDir)
	if _, err := ix.Add(ctx, arts, nil); err != nil {
		return nil, err
	}
	if err := ix.Save(ctx, a.indexPath()); err != nil {
		return nil, err
	}
	return ix, nil
}

// progress reports long ingests: a bar on a terminal, a log line every few
// seconds otherwise, nothing for small jobs.
func (a *app) progress(what string, total int) rag.Progress {
	if total < 50 {
		return nil
	}
	f, isFile := a.stderr.(*os.File)
	tty := isFile && term.IsTerminal(int(f.Fd()))
	var mu sync.Mutex
	last := time.Now()
	return func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if tty {
			drawBar(a.stderr, what, done, total)
			return
		}
		if time.Since(last) >= 5*time.Second || done == total {
			last = time.Now()
			a.log.Info("ingest progress", "done", done, "total", total)
		}
	}
}

func drawBar(w io.Writer, what string, done, total int) {
	const width = 30
	filled := width * done / max(total, 1)
	fmt.Fprintf(w, "\r%s [%s%s] %d/%d", what, strings.Repeat("=", filled), strings.Repeat(" ", width-filled), done, total)
	if done == total {
		fmt.Fprintln(w)
	}
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// feedStateName is the feed refresh state file in the data directory.
const feedStateName = "feeds.json"

// fetch downloads web pages and feeds (URLs or OPML files) named by the
// operator, who is trusted: private and loopback addresses are allowed.
func (a *app) fetch(ctx context.Context, pages, feedArgs []string) ([]article.Article, *feeds.Store, []error, error) {
	f := feeds.New(feeds.Config{AllowPrivate: true, Logger: a.log.With("component", "feeds")})
	var arts []article.Article
	var problems []error
	for _, u := range pages {
		art, err := f.Page(ctx, u)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", u, err))
			continue
		}
		arts = append(arts, art)
	}
	if len(feedArgs) == 0 {
		return arts, nil, problems, nil
	}
	st, err := feeds.OpenStore(filepath.Join(a.cfg.DataDir, feedStateName))
	if err != nil {
		return nil, nil, nil, err
	}
	var urls []string
	for _, arg := range feedArgs {
		switch {
		case !isHTTPURL(arg):
			file, err := os.Open(arg)
			if err != nil {
				problems = append(problems, err)
				continue
			}
			list, err := feeds.ReadOPML(file)
			file.Close()
			if err != nil {
				problems = append(problems, fmt.Errorf("%s: %w", arg, err))
				continue
			}
			urls = append(urls, list...)
		case strings.HasSuffix(strings.ToLower(arg), ".opml"):
			list, err := f.OPML(ctx, arg)
			if err != nil {
				problems = append(problems, fmt.Errorf("%s: %w", arg, err))
				continue
			}
			urls = append(urls, list...)
		default:
			urls = append(urls, arg)
		}
	}
	// Asked for explicitly: no backoff.
	for _, u := range urls {
		s := st.Get(u)
		s.URL, s.NextAttempt = u, time.Time{}
		st.Put(s)
	}
	more, errs := f.Refresh(ctx, urls, st)
	fmt.Fprintf(a.stderr, "%d feed(s) fetched, %d new or changed article(s).\n", len(urls), len(more))
	return append(arts, more...), st, append(problems, errs...), nil
}
