package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/veille/veille/data"
	"github.com/veille/veille/rag"
	"github.com/veille/veille/rag/article"
)

// defaultLockWait is how long a writer waits for another writer before
// giving up (app.lockWait; tests shorten it).
const defaultLockWait = 30 * time.Second

// ingestGCPercent is the collector's target (GOGC) while ingesting.
const ingestGCPercent = 50

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
	// The vectors embedded wait for the save in a file beside the index,
	// not on the heap (rag.Options.SlabBeside).
	opts.SlabBeside = a.indexPath()
	// With the vectors in the slab, the heap is the quantised index, the
	// texts and the BM25 indexes; at the default GOGC the collector lets it
	// grow to twice that before a collection, the largest part of the
	// ingest's peak. Half that headroom costs a few more collections of a
	// small heap (BENCHMARKS.md, "Ingest memory and speed").
	defer debug.SetGCPercent(debug.SetGCPercent(ingestGCPercent))
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
