package article

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// TestCleanGolden pins Clean on scraped inputs: testdata/clean/X.txt is
// cleaned and compared with X.golden (go test -run TestCleanGolden -update).
func TestCleanGolden(t *testing.T) {
	t.Parallel()
	inputs, err := filepath.Glob(filepath.Join("testdata", "clean", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no inputs in testdata/clean")
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".txt")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got := Clean(string(raw))
			golden := strings.TrimSuffix(in, ".txt") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("Clean(%s) mismatch (-want +got):\n%s", in, diff)
			}
		})
	}
}

func TestClean(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"only chrome", "Publicité\n\nPartager sur Facebook\n", ""},
		{"crlf and blank runs", "a\r\nb\r\n\r\n\r\nc", "a\nb\n\nc"},
		{"nfc", "e\u0301te\u0301", "été"},
		{"nbsp to space", "«\u00a0Bonjour\u00a0» dit-il\u202f!", "« Bonjour » dit-il !"},
		{"glued label start", "Contenu partenaireLe géant a accusé NSO.", "Le géant a accusé NSO."},
		{"glued label with colon", "Contenu sponsorisé : Le marché du cloud.", "Le marché du cloud."},
		{"glued label end", "Signé par un juge.Contenu partenaire", "Signé par un juge."},
		{"label inside sentence kept", "La Publicité mensongère est punie.", "La Publicité mensongère est punie."},
		{"label with lower case kept", "Publicités ciblées : la CNIL sanctionne.", "Publicités ciblées : la CNIL sanctionne."},
		{"lone label line", "Texte.\nPUBLICITÉ\nSuite.", "Texte.\nSuite."},
		{"sentence mentioning cookies kept", "La CNIL a rappelé que nous utilisons tous des cookies.", "La CNIL a rappelé que nous utilisons tous des cookies."},
		{"curly apostrophe comment field", "Texte de l’article.\n\nS’il vous plaît tapez votre commentaire !", "Texte de l’article."},
		{"comment heading at end cuts", "Le premier paragraphe de l’article.\n\nLe second paragraphe.\n\nLaisser un commentaire\n\nSuper article !", "Le premier paragraphe de l’article.\n\nLe second paragraphe."},
		{"comment heading early is only dropped", "Laisser un commentaire\n\nLe premier paragraphe de l’article, bien plus long que le reste.", "Le premier paragraphe de l’article, bien plus long que le reste."},
		{"comment count heading", "Un long paragraphe d’article ici.\n\n3 commentaires\n\nJean : bravo", "Un long paragraphe d’article ici."},
		{"read also line", "Avant.\nÀ lire aussi : Un autre article\nAprès.", "Avant.\nAprès."},
		{"controls dropped", "a\x00b\x1bc\u200bd", "abcd"},
		{"sponsored line under a label", "Texte.\n\nContenu partenaire\nSécurisez vos appareils avec Securio : 3 mois offerts.\n\nSuite.", "Texte.\n\nSuite."},
		{"sponsored line at the end", "Texte.\n\nContenu partenaire\nWebinaire : comment choisir son hébergeur ?", "Texte."},
		{"text after a label mid-paragraph kept", "Texte.\n\nContenu partenaire\nUne phrase.\nUne autre phrase.", "Texte.\n\nUne phrase.\nUne autre phrase."},
		{"related articles block", "Texte.\n\nRelated Articles:\n\nHackers claim breach of car rental giant\n\nNew Android malware steals credentials", "Texte."},
		{"related block ends at text", "Texte.\n\nRelated Articles:\n\nA headline\n\nThe company said it was notifying customers.", "Texte.\n\nThe company said it was notifying customers."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Clean(tt.in)); diff != "" {
				t.Errorf("Clean(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{
		"", "Contenu partenaireLe géant.", "a\r\n\r\nb", "LAISSER UN COMMENTAIRE\n\nx",
		"Contenu partenairePublicité\nLe texte.", "e\u200b\u0301", " \u00a0\n\u2029x", "\xff\xfe",
		"Un.\n\nDeux.\n\nS'il vous plaît entrez votre nom ici\nLeave a reply",
		strings.Repeat("Contenu partenaire", 40), strings.Repeat("PublicitéContenu partenaire", 30) + "Le texte.",
		strings.Repeat("Laisser un commentaire\nx\n", 40),
	} {
		f.Add(s)
	}
	if raw, err := os.ReadFile(filepath.Join("testdata", "clean", "seed004_nso.txt")); err == nil {
		f.Add(string(raw))
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Clean(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Clean(%q) = %q: invalid UTF-8", s, got)
		}
		if again := Clean(got); again != got {
			t.Fatalf("Clean not idempotent on %q:\nonce:  %q\ntwice: %q", s, got, again)
		}
	})
}

func BenchmarkClean(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "clean", "seed004_nso.txt"))
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat(string(raw)+"\n\n", 10)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Clean(text)
	}
}
