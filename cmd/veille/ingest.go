package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
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

// defaultLockWait is how long a writer waits for another writer before
// giving up (app.lockWait; tests shorten it).
const defaultLockWait = 30 * time.Second

func (a *app) ingest(ctx context.Context, args []string) error {
	flags := flag.NewFlagSet("ingest", flag.ContinueOnError)
	reindex := flags.Bool("reindex", false, "rebuild the whole index with the configured embedder")
	var feedArgs multiFlag
	flags.Var(&feedArgs, "feed", "an RSS/Atom/JSON feed or an OPML list, by URL or as a local file (repeatable)")
	paths, err := parseFlags(flags, args)
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

	if *reindex {
		// Checked before taking the lock, which would create the directory.
		if _, err := os.Stat(a.indexPath()); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("nothing to rebuild: no index at %s (run veille ingest first)", a.indexPath())
		}
	}
	opts, err := a.indexOptions()
	if err != nil {
		return err
	}
	ix, err := rag.New(opts)
	if err != nil {
		return err
	}
	in := &ingestion{app: a, reindex: *reindex, paths: paths, files: files, pages: pages, feedArgs: feedArgs, embedder: opts.Embedder}
	res, err := rag.Update{
		Lock: a.lock,
		// A rebuild starts from the stored articles in a new index; the old
		// file stays until the new index is complete and saved.
		Fresh:    *reindex,
		Articles: in.articles,
		Progress: func(done, total int) {
			if in.progress != nil {
				in.progress(done, total)
			}
		},
		// The index is written even when no feed had anything new, as
		// ingest always has.
		SaveUnchanged: true,
		// Feed state is saved only once its articles are safely indexed, so
		// a failed ingest fetches them again next time.
		Saved: func() error {
			if in.got.store == nil {
				return nil
			}
			if err := in.got.store.Save(); err != nil {
				return fmt.Errorf("save feed state: %w", err)
			}
			return nil
		},
	}.Run(ctx, ix, a.indexPath())
	for _, s := range res.Skipped {
		fmt.Fprintf(a.stderr, "skipped %v\n", s)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%d new, %d updated, %d unchanged, %d duplicate articles; %d chunks embedded; %d skipped. Index: %d articles, %d chunks (%s).\n",
		res.Added, res.Updated, res.Unchanged, res.Duplicate, res.Chunks, len(in.problems)+len(res.Skipped)+in.got.failed,
		ix.Len(), ix.Chunks(), a.indexPath())
	return in.allFeedsFailed
}

// ingestion is one `veille ingest`: its inputs, and what reading them gave.
type ingestion struct {
	app                           *app
	reindex                       bool
	paths, files, pages, feedArgs []string
	embedder                      rag.Embedder // the configured one, named to the user

	problems       []error // inputs that could not be read
	got            fetched
	allFeedsFailed error
	progress       rag.Progress
}

// articles reads what to index, under the writer lock (rag.Update.Articles):
// the stored articles for a rebuild, the files, pages and feeds given, or
// the bundled articles when none is.
func (in *ingestion) articles(ctx context.Context) ([]article.Article, error) {
	a := in.app
	var arts []article.Article
	if in.reindex {
		// With the servers that added them.
		stored, err := rag.ReadArticles(ctx, a.indexPath())
		if err != nil {
			return nil, err
		}
		if len(stored) == 0 && len(in.paths) == 0 && len(in.feedArgs) == 0 {
			return nil, fmt.Errorf("nothing to rebuild: the index at %s holds no article", a.indexPath())
		}
		arts = stored
		fmt.Fprintf(a.stderr, "Rebuilding the index of %d articles with %s.\n", len(stored), in.embedder.Identity())
	}
	var err error
	switch {
	case len(in.paths) == 0 && len(in.feedArgs) == 0 && !in.reindex:
		var ps []article.Problem
		arts, ps, err = article.LoadFS(ctx, data.FS(), "articles")
		for _, p := range ps {
			in.problems = append(in.problems, p)
		}
	case len(in.files) > 0:
		more, ps, lerr := article.LoadPaths(ctx, in.files)
		arts, err = append(arts, more...), lerr
		for _, p := range ps {
			in.problems = append(in.problems, p)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("load articles: %w", err)
	}
	if len(in.pages) > 0 || len(in.feedArgs) > 0 {
		if in.got, err = a.fetch(ctx, in.pages, in.feedArgs); err != nil {
			return nil, err
		}
		arts, in.problems = append(arts, in.got.arts...), append(in.problems, in.got.problems...)
	}
	for _, p := range in.problems {
		fmt.Fprintf(a.stderr, "skipped %v%s\n", p, feedHint(p))
	}
	// Every feed failing is a failure (each said why above); some failing
	// is a warning.
	if in.got.feeds > 0 && in.got.failed == in.got.feeds {
		in.allFeedsFailed = fmt.Errorf("every feed failed (%d)", in.got.feeds)
	}
	if len(arts) == 0 {
		switch {
		case in.allFeedsFailed != nil:
			return nil, in.allFeedsFailed
		case len(in.problems) > 0 && len(in.feedArgs) == 0:
			return nil, fmt.Errorf("nothing to index: %d input(s) could not be read", len(in.problems))
		case len(in.feedArgs) == 0:
			return nil, fmt.Errorf("nothing to index in %s", strings.Join(in.paths, ", "))
		}
	}
	in.progress = a.progress("Indexing", len(arts))
	return arts, nil
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
	fmt.Fprintf(a.stderr, "Another veille process is writing %s; waiting up to %s…\n", a.cfg.DataDir, a.lockWait)
	wait, cancel := context.WithTimeout(ctx, a.lockWait)
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
	// Run reloads it under the lock: another process may have filled it
	// while we waited.
	_, err = rag.Update{
		Lock: a.lock,
		Articles: func(ctx context.Context) ([]article.Article, error) {
			if ix.Len() > 0 {
				return nil, nil
			}
			arts, problems, err := article.LoadFS(ctx, data.FS(), "articles")
			if err != nil {
				return nil, fmt.Errorf("load bundled articles: %w", err)
			}
			for _, p := range problems {
				a.log.Warn("bundled article skipped", "err", p)
			}
			fmt.Fprintf(a.stderr, "The index is empty: indexing the %d bundled articles into %s.\n", len(arts), a.cfg.DataDir)
			return arts, nil
		},
	}.Run(ctx, ix, a.indexPath())
	if err != nil {
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
