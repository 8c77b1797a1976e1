package answer

import (
	"github.com/veille/veille/rag"
	"testing"
	"time"

	"github.com/veille/veille/rag/article"
)

func TestDateFilterDescribe(t *testing.T) {
	t.Parallel()
	mar := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	apr := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		f    rag.DateFilter
		lang string
		want string
	}{
		{rag.DateFilter{Since: mar, Until: apr, FromQuestion: true}, "fr", "Seuls les articles publiés du 2024-03-01 au 2024-03-31 sont retenus (d’après la question)."},
		{rag.DateFilter{Since: mar, Until: apr, FromQuestion: true}, "en", "Only articles published from 2024-03-01 to 2024-03-31 (read from the question)."},
		{rag.DateFilter{Since: mar, Until: apr, FromQuestion: true, Undated: true}, "fr", "Aucun article publié du 2024-03-01 au 2024-03-31 ne répond ; des articles non datés sont cités (date lue dans la question)."},
		{rag.DateFilter{Since: mar, Until: apr, FromQuestion: true, Undated: true}, "en", "No article published from 2024-03-01 to 2024-03-31 answers; undated articles are quoted (date read from the question)."},
		{rag.DateFilter{Since: mar}, "fr", "Seuls les articles publiés depuis le 2024-03-01 sont retenus."},
		{rag.DateFilter{Until: apr}, "en", "Only articles published up to 2024-03-31."},
	}
	for _, tt := range tests {
		if got := tt.f.Describe(tt.lang); got != tt.want {
			t.Errorf("Describe(%s) = %q, want %q", tt.lang, got, tt.want)
		}
	}
}

// A question bound in time is not answered from undated articles, and the
// answer says which filter it was made under.
func TestTimeBoundQuestionSkipsUndatedArticles(t *testing.T) {
	t.Parallel()
	ix := newEmptyIndex(t)
	note := article.Article{ID: "note", Title: "Note sur Karbon", Lang: "fr",
		Text: "Le gang Karbon a chiffré les serveurs de la société Transalp. Le gang Karbon réclame une rançon."}
	dated := note
	dated.ID, dated.Title = "dated", "Panne géante chez un opérateur"
	dated.Text = "Une panne a privé de réseau mobile des milliers d'abonnés pendant la nuit."
	dated.Published = time.Date(2026, 3, 17, 8, 0, 0, 0, time.UTC)
	if _, err := ix.Add(t.Context(), []article.Article{note, dated}, nil); err != nil {
		t.Fatal(err)
	}
	e := NewEngine(ix, nil, nil)
	e.now = func() time.Time { return time.Date(2026, 3, 18, 12, 0, 0, 0, time.UTC) }

	ans, err := e.Ask(t.Context(), "Quelle société le gang Karbon a-t-il chiffrée hier ?", rag.SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Grounded || len(ans.Citations) > 0 {
		t.Errorf("answered from the undated note: %q", ans.Text)
	}
	if ans.Filter == nil || !ans.Filter.FromQuestion || !ans.Filter.Since.Equal(time.Date(2026, 3, 17, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Filter = %+v, want yesterday, from the question", ans.Filter)
	}

	ans, err = e.Ask(t.Context(), "Quelle société le gang Karbon a-t-il chiffrée ?", rag.SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Filter != nil || !ans.Grounded {
		t.Errorf("no time expression: Filter %+v, grounded %v", ans.Filter, ans.Grounded)
	}
}

// A question that writes the year of an event is answered from an undated
// reference article only when no article dated in the range answers it, and
// the filter says so.
func TestEventYearFallsBackToUndatedArticles(t *testing.T) {
	t.Parallel()
	ix := newEmptyIndex(t)
	note := article.Article{ID: "note", Title: "Note sur Karbon", Lang: "fr",
		Text: "Le gang Karbon a chiffré les serveurs de la société Transalp. Le gang Karbon réclame une rançon."}
	other := article.Article{ID: "other", Title: "Panne géante chez un opérateur", Lang: "fr",
		Text:      "Une panne a privé de réseau mobile des milliers d'abonnés pendant la nuit.",
		Published: time.Date(2025, 3, 17, 8, 0, 0, 0, time.UTC)}
	if _, err := ix.Add(t.Context(), []article.Article{note, other}, nil); err != nil {
		t.Fatal(err)
	}
	e := NewEngine(ix, nil, nil)
	e.now = func() time.Time { return time.Date(2026, 3, 18, 12, 0, 0, 0, time.UTC) }
	const q = "Quelle société le gang Karbon a-t-il chiffrée en 2025 ?"

	ans, err := e.Ask(t.Context(), q, rag.SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !ans.Grounded || len(ans.Citations) == 0 || ans.Citations[0].ArticleID != "note" {
		t.Fatalf("want an answer from the undated note, got grounded %v %q %+v", ans.Grounded, ans.Text, ans.Citations)
	}
	if ans.Filter == nil || !ans.Filter.Undated || !ans.Filter.FromQuestion {
		t.Errorf("Filter = %+v, want from the question with undated articles let through", ans.Filter)
	}

	// Once an article dated in the range answers, the undated note is not
	// quoted.
	dated := note
	dated.ID, dated.Title = "dated", "Karbon frappe encore"
	dated.Text = "Le gang Karbon a chiffré les serveurs de la société Belcourt. Le gang Karbon réclame une rançon."
	dated.Published = time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
	if _, err := ix.Add(t.Context(), []article.Article{dated}, nil); err != nil {
		t.Fatal(err)
	}
	ans, err = e.Ask(t.Context(), q, rag.SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !ans.Grounded || ans.Filter == nil || ans.Filter.Undated {
		t.Fatalf("grounded %v, Filter %+v; want dated articles only", ans.Grounded, ans.Filter)
	}
	for _, c := range ans.Citations {
		if c.ArticleID != "dated" {
			t.Errorf("cited %s, want only the dated article", c.ArticleID)
		}
	}
}
