package article

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseMarkdown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    Article
		wantErr bool
	}{
		{
			name: "front matter forms",
			in:   "---\r\nid: \"x-1\"\r\nTitle: 'L''attaque'   \r\n# a comment\r\nurl: https://e.com/a # trailing comment\r\ndate: 2022-03-31T10:00:00Z\r\nsource: Data News\r\nlang: fr\r\nauthors:\r\n  - A\r\n---\r\nCorps.\r\n",
			want: Article{ID: "x-1", Title: "L'attaque", URL: "https://e.com/a", Published: time.Date(2022, 3, 31, 10, 0, 0, 0, time.UTC), Source: "Data News", Lang: "fr", Text: "Corps."},
		},
		{
			name: "heading as title",
			in:   "\n# Le titre\n\nLe *corps* avec un [lien](https://e.com) et une ![image](i.png).\n\n> Une citation.\n\n```\ncode\n```\n",
			want: Article{Title: "Le titre", Text: "Le *corps* avec un lien et une .\n\nUne citation.\n\ncode"},
		},
		{
			name: "heading differing from title stays",
			in:   "---\ntitle: Titre\n---\n# Autre chose\nTexte.",
			want: Article{Title: "Titre", Text: "Autre chose\n\nTexte."},
		},
		{name: "no title at all", in: "Juste du texte.", want: Article{Title: "mon fichier", Text: "Juste du texte."}},
		{name: "empty front matter", in: "---\n---\nTexte.", want: Article{Title: "mon fichier", Text: "Texte."}},
		{name: "unterminated", in: "---\ntitle: x\nTexte.", wantErr: true},
		{name: "bad date", in: "---\ndate: demain\n---\nTexte.", wantErr: true},
		{name: "bad quote", in: "---\ntitle: \"ouvert\n---\nTexte.", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseMarkdown(tt.in, "mon_fichier")
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parseMarkdown = %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseMarkdown mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      Article
		want    Article
		wantErr error
	}{
		{
			name: "everything derived",
			in:   Article{Title: "  Un\ntitre ", URL: "HTTPS://E.com/a/", Lang: "FR-fr", Text: "Un titre\n\nContenu partenaireLe texte.", Source: " Data  News "},
			want: Article{ID: urlID("https://e.com/a"), Title: "Un titre", URL: "https://e.com/a", Lang: "fr", Text: "Le texte.", Source: "Data News"},
		},
		{
			name: "id from content",
			in:   Article{Title: "T", Text: "The text of the article is in English."},
			want: Article{ID: "h" + ContentHash(Article{Title: "T", Text: "The text of the article is in English."})[:16], Title: "T", Lang: "en", Text: "The text of the article is in English."},
		},
		{name: "title only paragraph kept when alone", in: Article{ID: "a", Title: "T", Text: "T"}, want: Article{ID: "a", Title: "T", Text: "T"}},
		{name: "empty", in: Article{ID: "a", Text: "Publicité\n\nLire aussi : autre"}, wantErr: ErrEmpty},
		{name: "bad url", in: Article{ID: "a", URL: "www.e.com", Text: "x"}, wantErr: ErrBadURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Normalize(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Normalize err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Normalize mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
