package rag

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veille/veille/rag/article"
	"github.com/veille/veille/rag/chunk"
	"github.com/veille/veille/rag/embed"
	"github.com/veille/veille/rag/ragtest"
)

// fakeEmbedder is the local embedder, made to fail or to pose as another
// one in some tests.
type fakeEmbedder = ragtest.Embedder

var _ Embedder = (*fakeEmbedder)(nil)

func newFake(t testing.TB) *fakeEmbedder { return ragtest.NewEmbedder(t) }

var testArticles = ragtest.Articles

func newTestIndex(t *testing.T) (*Index, *fakeEmbedder) {
	t.Helper()
	f := newFake(t)
	ix, err := New(Options{Embedder: f})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Add(t.Context(), testArticles, nil); err != nil {
		t.Fatal(err)
	}
	return ix, f
}

func TestSearchRanksTheRightArticleFirst(t *testing.T) {
	t.Parallel()
	ix, _ := newTestIndex(t)
	tests := []struct {
		query string
		want  string
	}{
		{"Qui serait le cerveau du groupe Lapsus$ ?", "lapsus"},
		{"logiciel espion Pegasus WhatsApp", "nso"},
		{"CVE-2021-44228", "log4j"},
		{"which library does Log4Shell affect?", "log4j"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			hits, err := ix.Search(t.Context(), tt.query, SearchOptions{K: 50})
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) == 0 || hits[0].ArticleID != tt.want {
				t.Fatalf("first hit = %v, want %s", ids(hits), tt.want)
			}
			if len(hits) > len(testArticles) {
				t.Errorf("%d hits for %d articles: one per article expected", len(hits), len(testArticles))
			}
		})
	}
}

func TestAddIsIdempotentAndReplacesChangedArticles(t *testing.T) {
	t.Parallel()
	ix, _ := newTestIndex(t)
	chunks := ix.Chunks()
	res, err := ix.Add(t.Context(), testArticles, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Unchanged != len(testArticles) || res.Added+res.Updated+res.Chunks != 0 || ix.Chunks() != chunks {
		t.Fatalf("re-adding: %+v, chunks %d → %d; want all unchanged", res, chunks, ix.Chunks())
	}

	changed := testArticles[1]
	changed.Text = "Un texte entièrement nouveau sur Pegasus et NSO Group."
	res, err = ix.Add(t.Context(), []article.Article{changed}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Updated != 1 || ix.Len() != len(testArticles) {
		t.Fatalf("changed article: %+v, %d articles", res, ix.Len())
	}
	hits, err := ix.Search(t.Context(), "QuadraNet Los Angeles hébergeur", SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		for _, p := range h.Passages {
			if strings.Contains(p.Text, "QuadraNet") {
				t.Fatalf("old chunk still indexed: %q", p.Text)
			}
		}
	}

	// The same content under another ID and URL is a duplicate; the same
	// canonical URL (tracking parameters aside) is the same article.
	dup := testArticles[2]
	dup.ID, dup.URL = "copy", "https://elsewhere.example/log4shell"
	sameURL := testArticles[0]
	sameURL.ID, sameURL.URL = "", "https://example.com/apple-meta"
	res, err = ix.Add(t.Context(), []article.Article{dup, sameURL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Duplicate != 1 || res.Unchanged != 1 || ix.Len() != len(testArticles) {
		t.Fatalf("duplicates: %+v, %d articles", res, ix.Len())
	}
}

func TestAddFailureLeavesIndexUntouched(t *testing.T) {
	t.Parallel()
	ix, f := newTestIndex(t)
	before := ix.Chunks()
	f.Fail = errors.New("embedding server down")
	extra := article.Article{ID: "x", Title: "Nouveau", Text: "Un article de plus sur les rançongiciels."}
	if _, err := ix.Add(t.Context(), []article.Article{extra}, nil); err == nil || !strings.Contains(err.Error(), "embedding server down") {
		t.Fatalf("Add err = %v, want the embedder's error", err)
	}
	if ix.Chunks() != before || ix.Len() != len(testArticles) {
		t.Fatalf("index changed after a failed Add: %d chunks, %d articles", ix.Chunks(), ix.Len())
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	t.Parallel()
	ix, f := newTestIndex(t)
	path := filepath.Join(t.TempDir(), SnapshotName)
	if err := ix.Save(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(t.Context(), path, Options{Embedder: f})
	if err != nil {
		t.Fatal(err)
	}
	if got.Len() != ix.Len() || got.Chunks() != ix.Chunks() {
		t.Fatalf("loaded %d articles/%d chunks, saved %d/%d", got.Len(), got.Chunks(), ix.Len(), ix.Chunks())
	}
	q := "cerveau du groupe Lapsus$"
	a, _ := ix.Search(t.Context(), q, SearchOptions{})
	b, err := got.Search(t.Context(), q, SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids(a), ",") != strings.Join(ids(b), ",") || a[0].Passages[0].Text != b[0].Passages[0].Text {
		t.Fatalf("search after load = %v, before = %v", ids(b), ids(a))
	}
	arts, err := ReadArticles(t.Context(), path)
	if err != nil || len(arts) != len(testArticles) {
		t.Fatalf("ReadArticles = %d articles, %v", len(arts), err)
	}
}

func TestLoadRefusesAnotherEmbedder(t *testing.T) {
	t.Parallel()
	ix, _ := newTestIndex(t)
	path := filepath.Join(t.TempDir(), SnapshotName)
	if err := ix.Save(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	other := newFake(t)
	other.ID = embed.Identity{Name: "openai", Model: "text-embedding-3-small", Dim: 1536}
	_, err := Load(t.Context(), path, Options{Embedder: other})
	var mm *EmbedderMismatchError
	if !errors.As(err, &mm) || !strings.Contains(err.Error(), "--reindex") {
		t.Fatalf("err = %v, want an EmbedderMismatchError naming --reindex", err)
	}
}

func TestSaveFailureKeepsPreviousIndex(t *testing.T) {
	t.Parallel()
	ix, f := newTestIndex(t)
	dir := t.TempDir()
	path := filepath.Join(dir, SnapshotName)
	if err := ix.Save(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := ix.Save(ctx, path); err == nil {
		t.Fatal("Save with a cancelled context succeeded")
	}
	// A directory where the file should be makes the rename fail.
	blocked := filepath.Join(dir, "blocked")
	if err := os.MkdirAll(filepath.Join(blocked, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := ix.Save(t.Context(), blocked); err == nil {
		t.Fatal("Save over a non-empty directory succeeded")
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatal("a failed save changed the previous index")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
	if _, err := Load(t.Context(), path, Options{Embedder: f}); err != nil {
		t.Fatalf("previous index unreadable: %v", err)
	}
}

func TestSearchFilters(t *testing.T) {
	t.Parallel()
	ix, _ := newTestIndex(t)
	hits, err := ix.Search(t.Context(), "pirates données", SearchOptions{Source: "example security", K: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.Source != "Example Security" {
			t.Errorf("source filter let %s (%s) through", h.ArticleID, h.Source)
		}
	}
	hits, err = ix.Search(t.Context(), "pirates données serveurs", SearchOptions{Since: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), K: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.Published.Before(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("since filter let %s (%s) through", h.ArticleID, h.Published)
		}
	}
	_, err = ix.Search(t.Context(), "x", SearchOptions{Source: "Le Monde"})
	var us *UnknownSourceError
	if !errors.As(err, &us) || len(us.Known) != 3 {
		t.Fatalf("err = %v, want UnknownSourceError listing 3 sources", err)
	}
}

func TestCheckQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"normal", "  Qui est Lapsus$ ?  ", true},
		{"empty", "", false},
		{"blank", " \n\t ", false},
		{"at limit", strings.Repeat("é", MaxQueryLen), true},
		{"too long", strings.Repeat("a", 10000), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CheckQuery(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckQuery err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestLockDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	release, err := LockDir(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	if _, err := LockDir(ctx, dir); !errors.Is(err, ErrDirInUse) {
		t.Fatalf("second lock err = %v, want ErrDirInUse", err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	again, err := LockDir(t.Context(), dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again()
}

func ids(hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ArticleID
	}
	return out
}

func TestReloadSeesAnotherWriter(t *testing.T) {
	t.Parallel()
	ix, f := newTestIndex(t)
	path := filepath.Join(t.TempDir(), SnapshotName)
	if err := ix.Save(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	other, err := Load(t.Context(), path, Options{Embedder: f})
	if err != nil {
		t.Fatal(err)
	}
	extra := article.Article{ID: "new", Title: "Nouvel article", Text: "Un rançongiciel a chiffré les serveurs d’une mairie bretonne."}
	if _, err := other.Add(t.Context(), []article.Article{extra}, nil); err != nil {
		t.Fatal(err)
	}
	if err := other.Save(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	if err := ix.Reload(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	hits, err := ix.Search(t.Context(), "rançongiciel mairie", SearchOptions{})
	if err != nil || len(hits) == 0 || hits[0].ArticleID != "new" {
		t.Fatalf("after reload: %v, %v", ids(hits), err)
	}
}

func TestSearchUntil(t *testing.T) {
	t.Parallel()
	ix, _ := newTestIndex(t)
	jan2021 := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		since, until time.Time
		want         string // article IDs, newest first
	}{
		{"until", time.Time{}, jan2021, "nso"},
		{"since and until", jan2021, time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), "log4j"},
		{"until is exclusive", time.Time{}, time.Date(2020, 4, 1, 0, 0, 0, 0, time.UTC), ""},
		{"no bound", time.Time{}, time.Time{}, "lapsus,log4j,nso"},
	}
	for _, tt := range tests {
		for _, retriever := range []string{"hybrid", "dense", "lexical"} {
			t.Run(tt.name+"/"+retriever, func(t *testing.T) {
				t.Parallel()
				hits, err := ix.Search(t.Context(), "pirates données serveurs patch Lapsus$ Pegasus CVE-2021-44228",
					SearchOptions{K: 10, Since: tt.since, Until: tt.until, Retriever: retriever})
				if err != nil {
					t.Fatal(err)
				}
				slices.SortFunc(hits, func(a, b Hit) int { return b.Published.Compare(a.Published) })
				var got []string
				for _, h := range hits {
					got = append(got, h.ArticleID)
				}
				if strings.Join(got, ",") != tt.want {
					t.Errorf("hits = %v, want %s", got, tt.want)
				}
			})
		}
	}
}

func TestQuantisedDenseMatchesChromemScan(t *testing.T) {
	t.Parallel()
	ix, _ := newTestIndex(t)
	for _, q := range []string{"cerveau du groupe Lapsus$", "serveurs américains WhatsApp", "Log4j update", "données clients pirates"} {
		t.Run(q, func(t *testing.T) {
			a, err := ix.Search(t.Context(), q, SearchOptions{K: 3, Retriever: "dense"})
			if err != nil {
				t.Fatal(err)
			}
			b, err := ix.Search(t.Context(), q, SearchOptions{K: 3, Retriever: "chromem"})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(ids(a), ",") != strings.Join(ids(b), ",") {
				t.Fatalf("quantised dense = %v, chromem-go scan = %v", ids(a), ids(b))
			}
			for i := range a {
				// int8 quantisation: scores within a few hundredths.
				if d := a[i].Passages[0].Dense - b[i].Passages[0].Dense; d > 0.02 || d < -0.02 {
					t.Errorf("hit %d: cosine %v vs %v", i, a[i].Passages[0].Dense, b[i].Passages[0].Dense)
				}
			}
		})
	}
}

func TestAddCaps(t *testing.T) {
	t.Parallel()
	sentences := func(n int) string {
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			fmt.Fprintf(&b, "La phrase numéro %d parle de sécurité. ", i)
		}
		return b.String()
	}
	tests := []struct {
		name     string
		chunking chunk.Options
		art      article.Article
		want     error
	}{
		{"text over the cap", chunk.Options{}, article.Article{ID: "huge", Text: sentences(article.MaxTextBytes + 1)}, article.ErrTextTooLarge},
		{"too many chunks", chunk.Options{Size: 40, Unit: chunk.Chars}, article.Article{ID: "many", Text: sentences(MaxChunksPerArticle * 50)}, ErrTooManyChunks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			// Nothing over a cap may reach the embedder.
			f.Fail = errors.New("embedder called")
			ix, err := New(Options{Embedder: f, Chunking: tt.chunking})
			if err != nil {
				t.Fatal(err)
			}
			res, err := ix.Add(t.Context(), []article.Article{tt.art}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Skipped) != 1 || !errors.Is(res.Skipped[0], tt.want) || !strings.Contains(res.Skipped[0].Error(), tt.art.ID) {
				t.Fatalf("skipped = %v, want %s skipped with %v", res.Skipped, tt.art.ID, tt.want)
			}
			if ix.Len() != 0 {
				t.Errorf("%d articles indexed, want none", ix.Len())
			}
		})
	}
}
