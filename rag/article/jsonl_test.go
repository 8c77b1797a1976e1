package article

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestReadJSONL(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Le logiciel espion a été installé sur les téléphones. ", 55_000) // ~3 MB
	tests := []struct {
		name         string
		in           string
		want         []Article
		wantProblems []string
	}{
		{
			name: "full record",
			in:   `{"id":"dev-d0001","title":"Titre","url":"https://Example.com/a?utm_source=x","date":"2019-03-12","source":"orangesum","lang":"fr","text":"Un texte.\n\nDeux."}`,
			want: []Article{{ID: "dev-d0001", Title: "Titre", URL: "https://example.com/a", Published: date(2019, 3, 12), Source: "orangesum", Lang: "fr", Text: "Un texte.\n\nDeux."}},
		},
		{
			name: "id from url, rfc3339 date, crlf, bom",
			in:   "\ufeff" + `{"url":"https://example.com/b","date":"2024-05-01T10:00:00+02:00","text":"The text of the article is in English."}` + "\r\n",
			want: []Article{{ID: urlID("https://example.com/b"), URL: "https://example.com/b", Published: mustDate(t, "2024-05-01T10:00:00+02:00"), Lang: "en", Text: "The text of the article is in English."}},
		},
		{
			name: "blank lines and a line of several megabytes",
			in:   "\n\n" + `{"id":"long","text":"` + long + `"}` + "\n\n",
			want: []Article{{ID: "long", Lang: "fr", Text: strings.TrimSpace(long)}},
		},
		{
			name:         "problems keep their line numbers",
			in:           "{\"id\":\"a\",\"text\":\"A\"}\n[1,2]\n{\"id\":\"c\",\"text\":null}\n{\"id\":3,\"text\":\"x\"}\n{\"id\":\"e\",\"url\":\"nota url\",\"text\":\"x\"}\n{\"id\":\"f\",\"text\":\"F\"}",
			want:         []Article{{ID: "a", Text: "A"}, {ID: "f", Text: "F"}},
			wantProblems: []string{"c.jsonl:2: not JSON", "c.jsonl:3: no \"text\"", "c.jsonl:4: not JSON", "c.jsonl:5: url: not an absolute"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, probs, err := ReadJSONL(t.Context(), strings.NewReader(tt.in), "c.jsonl")
			if err != nil {
				t.Fatalf("ReadJSONL: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("articles mismatch (-want +got):\n%s", diff)
			}
			if len(probs) != len(tt.wantProblems) {
				t.Fatalf("problems = %v, want %d", probs, len(tt.wantProblems))
			}
			for i, p := range probs {
				if !strings.HasPrefix(p.Error(), tt.wantProblems[i]) {
					t.Errorf("problem %d = %q, want prefix %q", i, p.Error(), tt.wantProblems[i])
				}
			}
		})
	}
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := parseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestReadJSONLErrors(t *testing.T) {
	t.Parallel()
	t.Run("reader fails", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("boom")
		r := io.MultiReader(strings.NewReader(`{"id":"a","text":"A"}`+"\n"), iotest.ErrReader(boom))
		got, _, err := ReadJSONL(t.Context(), r, "x.jsonl")
		if !errors.Is(err, boom) || len(got) != 1 {
			t.Fatalf("ReadJSONL = %d articles, %v; want 1 and boom", len(got), err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, _, err := ReadJSONL(ctx, strings.NewReader(`{"id":"a","text":"A"}`), "x.jsonl")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

func BenchmarkReadJSONL(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "clean", "seed004_nso.txt"))
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	for i := range 100 {
		fmt.Fprintf(&buf, `{"id":"d%d","title":"Titre %d","url":"https://example.com/%d","date":"2020-04-0%d","lang":"fr","text":%q}`+"\n", i, i, i, i%9+1, string(raw))
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := ReadJSONL(b.Context(), bytes.NewReader(data), "bench.jsonl"); err != nil {
			b.Fatal(err)
		}
	}
}
