package data_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/veille/veille/data"
	"github.com/veille/veille/rag/article"
)

func TestBundledArticles(t *testing.T) {
	t.Parallel()
	arts, problems, err := article.LoadFS(t.Context(), data.FS(), "articles")
	if err != nil {
		t.Fatalf("LoadFS: %v", err)
	}
	if len(problems) != 0 {
		t.Fatalf("LoadFS problems: %v", problems)
	}
	type meta struct {
		ID, Title, URL, Source, Lang string
		Published                    time.Time
	}
	var got []meta
	for _, a := range arts {
		got = append(got, meta{a.ID, a.Title, a.URL, a.Source, a.Lang, a.Published})
		for _, chrome := range []string{"Contenu partenaire", "COMMENTAIRE", "S'il vous plaît", "Publicité"} {
			if strings.Contains(a.Text, chrome) {
				t.Errorf("%s: text still holds %q", a.ID, chrome)
			}
		}
		if len(a.Text) < 1000 {
			t.Errorf("%s: text is only %d bytes", a.ID, len(a.Text))
		}
	}
	want := []meta{
		{
			ID:        "seed-lapsus-apple-meta",
			Title:     "Apple et Meta auraient transmis des données clients à des pirates informatiques",
			URL:       "https://datanews.levif.be/ict/actualite/apple-et-meta-auraient-transmis-des-donnees-clients-a-des-pirates-informatiques/article-news-1543549.html",
			Source:    "Data News",
			Lang:      "fr",
			Published: time.Date(2022, 3, 31, 0, 0, 0, 0, time.UTC),
		},
		{
			ID:        "seed-nso-pegasus-whatsapp",
			Title:     "Facebook accuse NSO Group d’avoir utilisé des serveurs américains pour espionner des utilisateurs de WhatsApp",
			Source:    "Source inconnue",
			Lang:      "fr",
			Published: time.Date(2020, 4, 1, 0, 0, 0, 0, time.UTC),
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bundled articles mismatch (-want +got):\n%s", diff)
	}
	// The bundle is stored clean: loading must not change a byte of it.
	for _, a := range arts {
		if again := article.Clean(a.Text); again != a.Text {
			t.Errorf("%s: stored text is not clean", a.ID)
		}
	}
}
