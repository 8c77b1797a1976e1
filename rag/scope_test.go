package rag

import (
	"errors"
	"github.com/veille/veille/rag/ragtest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/veille/veille/rag/article"
)

const (
	guildA = ragtest.GuildA
	guildB = ragtest.GuildB
)

func scopedArticles() []article.Article { return ragtest.ScopedArticles() }

func newScopedIndex(t *testing.T) *Index {
	t.Helper()
	ix, err := New(Options{Embedder: newFake(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Add(t.Context(), scopedArticles(), nil); err != nil {
		t.Fatal(err)
	}
	return ix
}

// TestScopeKeepsServersApart checks every read a server makes: search with
// each retriever (answers: rag/answer's TestAskStaysInScope), the latest articles, the digest's input, the
// statistics and the list of known sources.
func TestScopeKeepsServersApart(t *testing.T) {
	t.Parallel()
	ix := newScopedIndex(t)
	ctx := t.Context()
	tests := []struct {
		name  string
		scope Scope
		want  []string // sorted article IDs seen
	}{
		{"operator sees all", Scope{}, []string{"a-only", "b-only", "operator"}},
		{"server A", GuildScope(guildA), []string{"a-only", "operator"}},
		{"server B", GuildScope(guildB), []string{"b-only", "operator"}},
		{"another server", GuildScope("300000000000000009"), []string{"operator"}},
		{"direct message", GuildScope(""), []string{"operator"}},
	}
	sorted := func(ss []string) []string { ss = slices.Clone(ss); slices.Sort(ss); return ss }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, r := range []string{"hybrid", "dense", "lexical", "chromem"} {
				hits, err := ix.Search(ctx, "rançongiciel serveurs rançon", SearchOptions{K: 10, Retriever: r, Scope: tt.scope})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, sorted(ids(hits))); diff != "" {
					t.Errorf("Search (%s) articles (-want +got):\n%s", r, diff)
				}
			}
			// Dated filters take the other path through the filter.
			hits, err := ix.Search(ctx, "rançongiciel", SearchOptions{K: 10, Scope: tt.scope, Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, sorted(ids(hits))); diff != "" {
				t.Errorf("Search since January (-want +got):\n%s", diff)
			}

			latest, err := ix.LatestIn(ctx, tt.scope, 10)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range latest {
				got = append(got, a.ID)
			}
			if diff := cmp.Diff(tt.want, sorted(got)); diff != "" {
				t.Errorf("LatestIn (-want +got):\n%s", diff)
			}

			docs, err := ix.SinceIn(ctx, tt.scope, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			got = nil
			for _, d := range docs {
				got = append(got, d.ID)
			}
			if diff := cmp.Diff(tt.want, sorted(got)); diff != "" {
				t.Errorf("SinceIn (-want +got):\n%s", diff)
			}

			st, err := ix.StatsIn(ctx, tt.scope)
			if err != nil {
				t.Fatal(err)
			}
			if st.Articles != len(tt.want) || len(st.Sources) != len(tt.want) {
				t.Errorf("StatsIn = %d articles, sources %v; want %d", st.Articles, st.Sources, len(tt.want))
			}

			// Another server's source is unknown here, and not listed.
			_, err = ix.Search(ctx, "rançongiciel", SearchOptions{Source: "Server B Feed", Scope: tt.scope})
			var unknown *UnknownSourceError
			seesB := slices.Contains(tt.want, "b-only")
			if errors.As(err, &unknown) == seesB {
				t.Errorf("source of server B: err %v, want unknown: %v", err, !seesB)
			}
			if unknown != nil && slices.Contains(unknown.Known, "Server A Feed") != slices.Contains(tt.want, "a-only") {
				t.Errorf("known sources %v name another server's", unknown.Known)
			}
		})
	}
}

// TestAddSharesOwnership checks who sees an article added again: a second
// server following the same feed sees it too, an operator's ingest makes
// it everyone's, and a later change of its text keeps its owners.
func TestAddSharesOwnership(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	owners := func(ix *Index, id string) []string {
		ix.mu.RLock()
		defer ix.mu.RUnlock()
		return ix.man.Articles[id].Guilds
	}
	with := func(a article.Article, guilds ...string) article.Article { a.Guilds = guilds; return a }
	base := scopedArticles()[1] // server A's

	tests := []struct {
		name  string
		adds  [][]article.Article
		want  []string
		share int // Shared of the last Add
	}{
		{"one server", [][]article.Article{{with(base, guildA)}}, []string{guildA}, 0},
		{"second server, same article", [][]article.Article{{with(base, guildA)}, {with(base, guildB)}}, []string{guildA, guildB}, 1},
		{"second server, same text under another ID", [][]article.Article{{with(base, guildA)}, {func() article.Article {
			a := with(base, guildB)
			a.ID = "copy"
			return a
		}()}}, []string{guildA, guildB}, 1},
		{"same server again", [][]article.Article{{with(base, guildA)}, {with(base, guildA)}}, []string{guildA}, 0},
		{"operator ingests it", [][]article.Article{{with(base, guildA)}, {with(base)}}, nil, 1},
		{"operator's stays operator's", [][]article.Article{{with(base)}, {with(base, guildB)}}, nil, 0},
		{"both in one call", [][]article.Article{{with(base, guildB), with(base, guildA)}}, []string{guildA, guildB}, 0},
		{"changed text keeps owners", [][]article.Article{{with(base, guildA)}, {with(base, guildB)}, {func() article.Article {
			a := with(base, guildA)
			a.Text += " Les sauvegardes ont permis de redémarrer."
			return a
		}()}}, []string{guildA, guildB}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ix, err := New(Options{Embedder: newFake(t)})
			if err != nil {
				t.Fatal(err)
			}
			var res AddResult
			for _, arts := range tt.adds {
				if res, err = ix.Add(ctx, arts, nil); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(tt.want, owners(ix, base.ID)); diff != "" {
				t.Errorf("owners (-want +got):\n%s", diff)
			}
			if res.Shared != tt.share {
				t.Errorf("last Add: Shared = %d, want %d", res.Shared, tt.share)
			}
		})
	}
}

// TestOwnersSurviveSaveAndReindex checks that ownership is in the
// snapshot, and that what a rebuild starts from keeps it.
func TestOwnersSurviveSaveAndReindex(t *testing.T) {
	t.Parallel()
	ix := newScopedIndex(t)
	path := filepath.Join(t.TempDir(), SnapshotName)
	if err := ix.Save(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(t.Context(), path, ix.opts)
	if err != nil {
		t.Fatal(err)
	}
	latest, err := loaded.LatestIn(t.Context(), GuildScope(guildA), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(latest) != 2 {
		t.Errorf("after a load, server A sees %d articles, want 2", len(latest))
	}
	guilds, err := ReadGuilds(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"a-only": {guildA}, "b-only": {guildB}}
	if diff := cmp.Diff(want, guilds); diff != "" {
		t.Errorf("ReadGuilds (-want +got):\n%s", diff)
	}
}
