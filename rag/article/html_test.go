package article

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseHTML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want Article
	}{
		{
			name: "og tags win, body fallback",
			in: `<html LANG=fr><head><title>Autre | Site</title>
<meta property="og:title" content="Fuite chez l&#39;opérateur">
<meta property="og:url" content="https://example.com/fuite?utm_medium=x">
<meta name="date" content="2024-02-03"></head>
<body><div class=menu><nav><ul><li>Accueil</li></ul></nav></div>
<p>L'opérateur a confirmé la fuite.</p><p>Publicité</p><p>Les clients sont prévenus.</p>
<footer><p>Mentions légales</p></footer></body></html>`,
			want: Article{Title: "Fuite chez l'opérateur", URL: "https://example.com/fuite", Lang: "fr", Published: time.Date(2024, 2, 3, 0, 0, 0, 0, time.UTC),
				Text: "L'opérateur a confirmé la fuite.\n\nLes clients sont prévenus."},
		},
		{
			name: "site suffix stripped, relative canonical ignored, main preferred",
			in: `<title>Un titre assez long pour la règle - Le Site</title><link rel="canonical" href="/relative">
<body><header>En-tête</header><main><p>Le texte principal de la page, qui suffit à lui seul.</p><script>x = "</p>"</script></main><aside>Autres</aside></body>`,
			want: Article{Title: "Un titre assez long pour la règle", Text: "Le texte principal de la page, qui suffit à lui seul."},
		},
		{
			name: "unclosed and odd markup",
			in:   `<p>Un < deux &amp; trois<br/>quatre<style>p{}</style><p>cinq<!-- x --> six<!doctype nope><nav>menu<p>pas fini`,
			want: Article{Title: "page", Text: "Un < deux & trois\nquatre\n\ncinq six"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, parseHTML(tt.in, "page")); diff != "" {
				t.Errorf("parseHTML mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeLegacy(t *testing.T) {
	t.Parallel()
	out, err := decodeLegacy([]byte("<meta charset=\"iso-8859-1\"><p>caf\xe9</p>"))
	if err != nil || string(out) != "<meta charset=\"iso-8859-1\"><p>café</p>" {
		t.Errorf("decodeLegacy = %q, %v", out, err)
	}
	if _, err := decodeLegacy([]byte("<p>caf\xe9</p>")); err == nil {
		t.Error("decodeLegacy without a declared charset: want ErrBinary")
	}
}
