package article

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// problemKey makes problems comparable by where they are; causes are checked
// with errors.Is separately.
type problemKey struct {
	Path string
	Line int
}

func keys(t *testing.T, probs []Problem) []problemKey {
	t.Helper()
	var ks []problemKey
	for _, p := range probs {
		ks = append(ks, problemKey{p.Path, p.Line})
	}
	return ks
}

func TestLoadPaths(t *testing.T) {
	t.Parallel()
	good := filepath.Join("testdata", "load", "good")
	broken := filepath.Join("testdata", "load", "broken")
	goodArticles := []Article{
		{ID: "c1", Title: "Premier", URL: "https://example.com/c1", Source: "Corpus", Published: date(2024, 1, 2), Lang: "fr",
			Text: "Le premier article du corpus parle de sécurité."},
		{ID: "c2", Title: "Second", Source: "Corpus", Lang: "en",
			Text: "The second article of the corpus is about security and it is in English."},
		{ID: "fuite-donnees-2024", Title: "Fuite de données chez un opérateur", URL: "https://example.com/actu/fuite?a=1&b=2",
			Source: "L'Informé", Published: date(2024, 3, 5), Lang: "fr",
			Text: "L’opérateur a confirmé une fuite touchant des millions de clients.\n\nCe que l’on sait\n\nLes données comprennent les noms et les adresses des abonnés."},
		{ID: "mairie", Title: "Un rançongiciel paralyse une mairie", Lang: "fr",
			Text: "La mairie a dû fermer ses guichets pendant trois jours après l’attaque."},
		{ID: urlID("https://www.example.org/news/vpn-flaw"), Title: "Critical VPN flaw exploited in the wild", URL: "https://www.example.org/news/vpn-flaw",
			Source: "Security Weekly", Published: time.Date(2024, 5, 1, 8, 30, 0, 0, time.UTC), Lang: "en",
			Text: "Attackers are exploiting a critical flaw in a popular VPN appliance, the vendor said on Wednesday.\n\nThe bug lets an unauthenticated attacker run code on the device & read its configuration.\nCustomers should patch now."},
		{ID: "sub/rapport", Title: "Rapport annuel de l’ANSSI", Lang: "fr",
			Text: "L’agence a traité plus de cyberattaques que l’année précédente, selon son rapport publié mardi."},
	}
	empty := t.TempDir()
	tests := []struct {
		name         string
		paths        []string
		want         []Article
		wantProblems []problemKey
		wantIs       []error // per problem, the cause errors.Is must find (nil: any)
	}{
		{
			name: "good folder", paths: []string{good}, want: goodArticles,
			wantProblems: []problemKey{{filepath.Join(good, "image.png"), 0}},
			wantIs:       []error{ErrUnsupported},
		},
		{
			name:  "broken folder",
			paths: []string{broken},
			want:  []Article{{ID: "b1", Title: "Bon", Text: "Une ligne correcte."}, {ID: "b8", Text: "Une autre ligne correcte."}},
			wantProblems: []problemKey{
				{filepath.Join(broken, "binary.txt"), 0},
				{filepath.Join(broken, "corpus.jsonl"), 2},
				{filepath.Join(broken, "corpus.jsonl"), 3},
				{filepath.Join(broken, "corpus.jsonl"), 5},
				{filepath.Join(broken, "corpus.jsonl"), 6},
				{filepath.Join(broken, "corpus.jsonl"), 7},
				{filepath.Join(broken, "latin1.txt"), 0},
				{filepath.Join(broken, "unterminated.md"), 0},
			},
			wantIs: []error{ErrBinary, nil, nil, nil, nil, ErrEmpty, ErrBinary, nil},
		},
		{name: "empty folder", paths: []string{empty}},
		{
			name:         "missing path",
			paths:        []string{filepath.Join("testdata", "load", "nope")},
			wantProblems: []problemKey{{filepath.Join("testdata", "load", "nope"), 0}},
			wantIs:       []error{fs.ErrNotExist},
		},
		{
			// One rule for a type Veille does not read, named or found.
			name:         "explicit files, unsupported type",
			paths:        []string{filepath.Join(good, "mairie.txt"), filepath.Join(good, "image.png")},
			want:         goodArticles[3:4],
			wantProblems: []problemKey{{filepath.Join(good, "image.png"), 0}},
			wantIs:       []error{ErrUnsupported},
		},
		{
			name:         "a feed file named",
			paths:        []string{filepath.Join("testdata", "load", "types", "feed.xml")},
			wantProblems: []problemKey{{filepath.Join("testdata", "load", "types", "feed.xml"), 0}},
			wantIs:       []error{ErrUnsupported},
		},
		{
			name:         "a feed file in a folder",
			paths:        []string{filepath.Join("testdata", "load", "types")},
			wantProblems: []problemKey{{filepath.Join("testdata", "load", "types", "feed.xml"), 0}},
			wantIs:       []error{ErrUnsupported},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, probs, err := LoadPaths(t.Context(), tt.paths)
			if err != nil {
				t.Fatalf("LoadPaths: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("articles mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantProblems, keys(t, probs)); diff != "" {
				t.Fatalf("problems mismatch (-want +got):\n%s\n%v", diff, probs)
			}
			for i, target := range tt.wantIs {
				if target != nil && !errors.Is(probs[i], target) {
					t.Errorf("problem %d = %v, want errors.Is %v", i, probs[i], target)
				}
			}
		})
	}
}

func TestLoadPathsCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err := LoadPaths(ctx, []string{filepath.Join("testdata", "load", "good")})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("LoadPaths with a cancelled context: err = %v, want context.Canceled", err)
	}
}

func TestLoadFS(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"news/a.md":        {Data: []byte("---\nid: a\ntitle: A\ndate: 2020-04\n---\nLe texte de l’article A est en français et il parle de sécurité.\n")},
		"news/b.txt":       {Data: []byte("B\n\nLe texte de B.\n")},
		"news/c.txt":       {Data: []byte("\x00\x01")},
		"news/.draft.md":   {Data: []byte("ignored")},
		"news/notes.pdf":   {Data: []byte("ignored")},
		"news/sub/d.jsonl": {Data: []byte(`{"id":"d","text":"D"}` + "\n")},
	}
	tests := []struct {
		name, root   string
		wantIDs      []string
		wantProblems []problemKey
	}{
		{"folder", "news", []string{"a", "b", "d"}, []problemKey{{"news/c.txt", 0}, {"news/notes.pdf", 0}}},
		{"file", "news/a.md", []string{"a"}, nil},
		{"missing", "nope", nil, []problemKey{{"nope", 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, probs, err := LoadFS(t.Context(), fsys, tt.root)
			if err != nil {
				t.Fatalf("LoadFS: %v", err)
			}
			var ids []string
			for _, a := range got {
				ids = append(ids, a.ID)
			}
			if diff := cmp.Diff(tt.wantIDs, ids); diff != "" {
				t.Errorf("ids mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantProblems, keys(t, probs)); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
	arts, _, _ := LoadFS(t.Context(), fsys, "news/a.md")
	if len(arts) == 1 && !arts[0].Published.Equal(date(2020, 4, 1)) {
		t.Errorf("month date = %v, want 2020-04-01", arts[0].Published)
	}
}

func TestProblemError(t *testing.T) {
	t.Parallel()
	cause := errors.New("not JSON: bad")
	tests := []struct {
		name string
		p    Problem
		want string
	}{
		{"line", Problem{Path: "corpus.jsonl", Line: 12, Err: cause}, "corpus.jsonl:12: not JSON: bad"},
		{"file", Problem{Path: "a.txt", Err: ErrBinary}, "a.txt: binary file or not UTF-8 text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.p.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if !errors.Is(tt.p, tt.p.Err) {
				t.Errorf("errors.Is(p, p.Err) = false")
			}
		})
	}
}

func TestLoadPathsUnreadable(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("root reads everything")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "secret.txt")
	if err := os.WriteFile(p, []byte("Titre\n\nTexte."), 0o000); err != nil {
		t.Fatal(err)
	}
	_, probs, err := LoadPaths(t.Context(), []string{dir})
	if err != nil || len(probs) != 1 || !errors.Is(probs[0], fs.ErrPermission) {
		t.Fatalf("LoadPaths(unreadable) = %v, %v; want one permission problem", probs, err)
	}
}
