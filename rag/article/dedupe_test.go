package article

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDedupe(t *testing.T) {
	t.Parallel()
	a := Article{ID: "a", Title: "Fuite", URL: "https://example.com/a", Text: "Texte A."}
	b := Article{ID: "b", Title: "Autre", URL: "https://example.com/b", Text: "Texte B."}
	sameID := Article{ID: "a", Title: "Autre titre", Text: "Autre texte."}
	sameURL := Article{ID: "a2", Title: "Fuite (mise à jour)", URL: "https://EXAMPLE.com/a/?utm_source=x", Text: "Texte A modifié."}
	sameContent := Article{ID: "c", Title: "fuite", URL: "https://mirror.example.net/a", Text: "Texte   A."}
	tests := []struct {
		name        string
		in          []Article
		wantKept    []Article
		wantDropped []Duplicate
	}{
		{name: "nothing", in: nil},
		{name: "distinct", in: []Article{a, b}, wantKept: []Article{a, b}},
		{
			name:        "all reasons, first wins",
			in:          []Article{a, b, sameID, sameURL, sameContent},
			wantKept:    []Article{a, b},
			wantDropped: []Duplicate{{sameID, "a", "same id"}, {sameURL, "a", "same url"}, {sameContent, "a", "same content"}},
		},
		{
			name:        "duplicate of a later kept article",
			in:          []Article{b, a, sameContent},
			wantKept:    []Article{b, a},
			wantDropped: []Duplicate{{sameContent, "a", "same content"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			kept, dropped := Dedupe(tt.in)
			if diff := cmp.Diff(tt.wantKept, kept); diff != "" {
				t.Errorf("kept mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantDropped, dropped); diff != "" {
				t.Errorf("dropped mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestContentHash(t *testing.T) {
	t.Parallel()
	base := Article{ID: "x", Title: "Titre", Text: "Un texte.\n\nDeux."}
	tests := []struct {
		name string
		a    Article
		same bool
	}{
		{"other id, url, date", Article{ID: "y", URL: "https://e.com/", Title: "Titre", Text: "Un texte.\n\nDeux."}, true},
		{"spacing and case", Article{Title: " TITRE ", Text: "Un  texte.\nDeux."}, true},
		{"decomposed accents", Article{Title: "Titre", Text: "Un texte.\n\nDeux."}, true},
		{"other word", Article{Title: "Titre", Text: "Un texte.\n\nTrois."}, false},
		{"other title", Article{Title: "Titre 2", Text: "Un texte.\n\nDeux."}, false},
		{"title moved into text", Article{Title: "", Text: "Titre Un texte.\n\nDeux."}, false},
	}
	h := ContentHash(base)
	if len(h) != 64 {
		t.Fatalf("ContentHash length = %d, want 64 hex digits", len(h))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ContentHash(tt.a) == h; got != tt.same {
				t.Errorf("ContentHash(%+v) == ContentHash(base) is %v, want %v", tt.a, got, tt.same)
			}
		})
	}
}
