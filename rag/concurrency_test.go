package rag

import (
	"fmt"
	"github.com/veille/veille/rag/analyze"
	"path/filepath"
	"sync"
	"testing"

	"github.com/veille/veille/rag/article"
)

// TestIndexConcurrentUse searches, adds, saves and reloads one index from
// several goroutines at once. Run with -race (make check does): a read of
// the manifest, the BM25 index or the vectors outside the lock, or a
// Reload that swaps them under a reader, is reported.
func TestIndexConcurrentUse(t *testing.T) {
	t.Parallel()
	ix, f := newTestIndex(t)
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), SnapshotName)
	if err := ix.Save(ctx, path); err != nil {
		t.Fatal(err)
	}
	const rounds = 8
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	run := func(name string, fn func(i int) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				if err := fn(i); err != nil {
					errs <- fmt.Errorf("%s %d: %w", name, i, err)
					return
				}
			}
		}()
	}
	for g := range 3 {
		run(fmt.Sprintf("search %d", g), func(int) error {
			hits, err := ix.Search(ctx, "Lapsus$ pirates Microsoft", SearchOptions{K: 3, Scope: GuildScope("300000000000000001")})
			if err == nil && len(hits) == 0 {
				err = fmt.Errorf("no hit")
			}
			return err
		})
	}
	run("answer reads", func(int) error {
		if _, ok := ix.ArticleText("lapsus"); !ok {
			return fmt.Errorf("no text for lapsus")
		}
		if df, _ := ix.TermWeight(analyze.Terms("Microsoft", "fr")[0]); df == 0 {
			return fmt.Errorf("no chunk holds Microsoft")
		}
		return nil
	})
	run("latest, since, stats", func(int) error {
		if _, err := ix.LatestIn(ctx, GuildScope("300000000000000001"), 5); err != nil {
			return err
		}
		if _, err := ix.SinceIn(ctx, Scope{}, ix.opts.Now().AddDate(-10, 0, 0)); err != nil {
			return err
		}
		_, err := ix.Stats(ctx)
		return err
	})
	run("add", func(i int) error {
		a := article.Article{ID: fmt.Sprintf("extra-%d", i), Title: fmt.Sprintf("Rançongiciel numéro %d", i),
			Text: fmt.Sprintf("Un rançongiciel a chiffré les serveurs de la commune numéro %d pendant la nuit.", i)}
		if i%2 == 1 {
			a.Guilds = []string{"300000000000000001"}
		}
		_, err := ix.Add(ctx, []article.Article{a}, nil)
		return err
	})
	run("save", func(int) error { return ix.Save(ctx, path) })
	run("reload", func(int) error { return ix.Reload(ctx, path) })
	run("another writer", func(i int) error {
		// Another process's view of the same file, saving over it.
		other, err := Load(ctx, path, Options{Embedder: f})
		if err != nil {
			return err
		}
		a := article.Article{ID: fmt.Sprintf("other-%d", i), Title: "Fuite de données",
			Text: fmt.Sprintf("Une fuite de données touche les clients de l'opérateur numéro %d.", i)}
		if _, err := other.Add(ctx, []article.Article{a}, nil); err != nil {
			return err
		}
		return other.Save(ctx, path)
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Whatever the interleaving, the file is a whole index.
	final, err := Load(ctx, path, Options{Embedder: f})
	if err != nil {
		t.Fatalf("load after the storm: %v", err)
	}
	if final.Len() < len(testArticles) {
		t.Errorf("index after the storm holds %d articles, fewer than the %d it started with", final.Len(), len(testArticles))
	}
}
