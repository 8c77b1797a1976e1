package article

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestLoadIDsDoNotCollide(t *testing.T) {
	t.Parallel()
	file := func(text string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(text)} }
	tests := []struct {
		name string
		fsys fstest.MapFS
		// want maps each article's ID to a word of its text: every file
		// kept, under its own ID.
		want         map[string]string
		wantProblems []wantProblem
	}{
		{
			name: "same name in two folders",
			fsys: fstest.MapFS{"in/a/notes.txt": file("Notes\n\nLes notes alpha."), "in/b/notes.txt": file("Notes\n\nLes notes beta.")},
			want: map[string]string{"a/notes": "alpha", "b/notes": "beta"},
		},
		{
			name: "two index.md without id or url",
			fsys: fstest.MapFS{
				"in/2024/index.md": file("---\ntitle: Un\n---\nLe texte gamma.\n"),
				"in/2025/index.md": file("---\ntitle: Deux\n---\nLe texte delta.\n"),
			},
			want: map[string]string{"2024/index": "gamma", "2025/index": "delta"},
		},
		{
			name: "same stem, two extensions",
			fsys: fstest.MapFS{"in/notes.md": file("Le texte epsilon.\n"), "in/notes.txt": file("Notes\n\nLe texte zeta.")},
			want: map[string]string{"notes": "epsilon", "notes-" + pathHash("in/notes.txt"): "zeta"},
		},
		{
			name: "an explicit id twice across files",
			fsys: fstest.MapFS{
				"in/a.md":    file("---\nid: same\ntitle: A\n---\nLe texte eta.\n"),
				"in/b.jsonl": file(`{"id":"same","text":"Le texte theta."}` + "\n"),
			},
			want:         map[string]string{"same": "eta"},
			wantProblems: []wantProblem{{0, ErrDuplicateID, `"same": in/a.md has it too`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			arts, probs, err := LoadFS(t.Context(), tt.fsys, "in")
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, a := range arts {
				for word := range strings.FieldsSeq(tt.want[a.ID]) {
					if strings.Contains(a.Text, word) {
						got[a.ID] = word
					}
				}
				if _, ok := got[a.ID]; !ok {
					got[a.ID] = "?" + a.Text
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ID → text (-want +got):\n%s", diff)
			}
			checkProblems(t, probs, tt.wantProblems)
		})
	}
}

func pathHash(p string) string {
	l := newLoader()
	l.seen["x"] = ""
	return strings.TrimPrefix(l.pathID("x", p), "x-")
}

// TestLoadPathsTwoFolders: two folders given at once, each with notes.txt
// at its top, are two articles.
func TestLoadPathsTwoFolders(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	var dirs []string
	for _, d := range []string{"one", "two"} {
		dir := filepath.Join(root, d)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("Notes\n\nLe dossier "+d+"."), 0o644); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	arts, probs, err := LoadPaths(t.Context(), dirs)
	if err != nil || len(probs) > 0 {
		t.Fatalf("LoadPaths: %v, %v", probs, err)
	}
	if len(arts) != 2 || arts[0].ID == arts[1].ID {
		t.Fatalf("articles = %+v, want two with distinct IDs", arts)
	}
}
