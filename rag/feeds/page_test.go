package feeds

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/veille/veille/rag/article"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// layoutArticle lays an article out for golden files: metadata lines, a blank
// line, the text.
func layoutArticle(a article.Article) string {
	var b strings.Builder
	fmt.Fprintf(&b, "title: %s\nurl: %s\nsource: %s\n", a.Title, a.URL, a.Source)
	pub := ""
	if !a.Published.IsZero() {
		pub = a.Published.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(&b, "published: %s\nlang: %s\n\n%s\n", pub, a.Lang, a.Text)
	return b.String()
}

// TestExtractGolden pins main-text extraction: testdata/pages/X.html, read
// as if served from https://site.example/articles/X with no charset in its
// Content-Type, is extracted, normalised and compared with X.golden
// (go test -run TestExtractGolden -update).
func TestExtractGolden(t *testing.T) {
	t.Parallel()
	inputs, err := filepath.Glob(filepath.Join("testdata", "pages", "*.html"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no pages in testdata/pages")
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".html")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			pageURL, _ := url.Parse("https://site.example/articles/" + name + "?utm_source=rss")
			a, err := extract(body, "text/html", pageURL)
			if err != nil {
				t.Fatalf("extract: %v", err)
			}
			a, err = article.Normalize(a)
			if err != nil {
				t.Fatalf("normalize: %v", err)
			}
			got := layoutArticle(a)
			golden := strings.TrimSuffix(in, ".html") + ".golden"
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
				t.Errorf("extract(%s) mismatch (-want +got):\n%s", in, diff)
			}
		})
	}
}

func TestExtractErrors(t *testing.T) {
	t.Parallel()
	u, _ := url.Parse("https://site.example/x")
	tests := []struct {
		name string
		body string
		want error
	}{
		{"empty page", "", ErrNoText},
		{"no text", "<html><body><nav><a href=/>Accueil</a></nav></body></html>", ErrNoText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := extract([]byte(tt.body), "text/html", u)
			if !errors.Is(err, tt.want) {
				t.Errorf("extract(%q) error = %v, want %v", tt.body, err, tt.want)
			}
		})
	}
}

func TestPage(t *testing.T) {
	t.Parallel()
	latin1, err := os.ReadFile(filepath.Join("testdata", "pages", "fuite-donnees-latin1.html"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		body        []byte
		contentType string
		// wantErr is nil when the page must give an article whose text
		// contains wantText and is valid UTF-8.
		wantErr  error
		wantText string
		wantURL  string // "" means the page's own URL
	}{
		{name: "utf-8 with canonical", body: readFixture(t, "pages/rancongiciel-hopital.html"), contentType: "text/html; charset=utf-8", wantText: "Quimper", wantURL: "/articles/rancongiciel-hopital"},
		{name: "latin-1 from meta", body: latin1, contentType: "text/html", wantText: "délai réglementaire"},
		{name: "latin-1 from header", body: latin1, contentType: "text/html; charset=ISO-8859-1", wantText: "délai réglementaire"},
		{name: "no content type", body: latin1, contentType: "", wantText: "délai réglementaire"},
		{name: "latin-1 served as utf-8", body: latin1, contentType: "text/html; charset=utf-8", wantText: "CNIL"},
		{name: "unknown charset label", body: latin1, contentType: "text/html; charset=x-klingon", wantText: "CNIL"},
		{name: "pdf", body: []byte("%PDF-1.7\n..."), contentType: "application/pdf", wantErr: ErrNotHTML},
		{name: "json", body: []byte(`{"a":1}`), contentType: "application/json", wantErr: ErrNotHTML},
		{name: "error page", body: readFixture(t, "feeds/error.html"), contentType: "text/html", wantErr: ErrNoText},
		{name: "malformed html", body: []byte("<html><body><p>Texte <b>non <i>fermé" + strings.Repeat(" et encore du texte sans fin", 20)), contentType: "text/html", wantText: "non fermé"},
		{name: "binary garbage", body: []byte{0x00, 0xff, 0xfe, 0x01, 0x02, 0x1f}, contentType: "text/html", wantErr: ErrNoText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSite(t)
			s.handle("/page", func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Content-Type"] = []string{tt.contentType}
				_, _ = w.Write(tt.body)
			})
			f := newTestFetcher(t, nil)
			a, err := f.Page(t.Context(), s.URL("/page?utm_source=discord"))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Page error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Page: %v", err)
			}
			if !strings.Contains(a.Text, tt.wantText) || !utf8.ValidString(a.Text) {
				t.Errorf("text lacks %q or is not UTF-8:\n%s", tt.wantText, a.Text)
			}
			wantURL := s.URL(cmpOr(tt.wantURL, "/page"))
			if a.URL != wantURL {
				t.Errorf("URL = %q, want %q", a.URL, wantURL)
			}
			if a.ID == "" || a.Title == "" || a.Lang != "fr" {
				t.Errorf("article = %+v", a)
			}
		})
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
