package answer

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/veille/veille/rag"
	"github.com/veille/veille/rag/article"
	"github.com/veille/veille/rag/ragtest"
)

// An answer asked for one Discord server cites, and offers as closest, only
// articles that server sees.
func TestAskStaysInScope(t *testing.T) {
	t.Parallel()
	ix := newEmptyIndex(t)
	if _, err := ix.Add(t.Context(), ragtest.ScopedArticles(), nil); err != nil {
		t.Fatal(err)
	}
	e := NewEngine(ix, nil, nil)
	tests := []struct {
		name  string
		scope rag.Scope
		want  []string // article IDs the scope sees
	}{
		{"operator sees all", rag.Scope{}, []string{"a-only", "b-only", "operator"}},
		{"server A", rag.GuildScope(ragtest.GuildA), []string{"a-only", "operator"}},
		{"server B", rag.GuildScope(ragtest.GuildB), []string{"b-only", "operator"}},
		{"another server", rag.GuildScope("300000000000000009"), []string{"operator"}},
		{"direct message", rag.GuildScope(""), []string{"operator"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ans, err := e.Ask(t.Context(), "Quels serveurs le rançongiciel a-t-il chiffrés ?", rag.SearchOptions{K: 10, Scope: tt.scope})
			if err != nil {
				t.Fatal(err)
			}
			if !ans.Grounded {
				t.Fatalf("not answered: %q", ans.Text)
			}
			seen := ans.CitedArticles()
			for _, h := range ans.Closest {
				seen = append(seen, h.ArticleID)
			}
			for _, id := range seen {
				if !slices.Contains(tt.want, id) {
					t.Errorf("Ask cites %s, outside the scope", id)
				}
			}
		})
	}
}

// Answers read the index while articles are added (run with -race: make
// check does).
func TestAskWhileAdding(t *testing.T) {
	t.Parallel()
	ix, _ := newTestIndex(t)
	e := NewEngine(ix, nil, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	wg.Go(func() {
		for i := range 8 {
			a := article.Article{ID: fmt.Sprintf("extra-%d", i), Title: fmt.Sprintf("Lapsus$, épisode %d", i),
				Text: fmt.Sprintf("Le groupe Lapsus$ aurait piraté l'opérateur numéro %d.", i)}
			if _, err := ix.Add(t.Context(), []article.Article{a}, nil); err != nil {
				errs <- err
			}
		}
	})
	for range 2 {
		wg.Go(func() {
			for range 8 {
				ans, err := e.Ask(t.Context(), "Qui serait le cerveau du groupe Lapsus$ ?", rag.SearchOptions{})
				if err == nil && !ans.Grounded {
					err = fmt.Errorf("not answered: %q", ans.Text)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
