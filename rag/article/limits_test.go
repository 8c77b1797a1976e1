package article

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestReadJSONLCaps(t *testing.T) {
	t.Parallel()
	line := func(id, text string) string { return fmt.Sprintf(`{"id":%q,"text":%q}`+"\n", id, text) }
	var bad25 strings.Builder
	for i := range 100 {
		bad25.WriteString(line(fmt.Sprint("ok", i), "Un texte correct."))
		if i%4 == 0 {
			bad25.WriteString("pas du JSON\n")
		}
	}
	tests := []struct {
		name    string
		in      string
		wantIDs int
		// want lists, per problem, its line and a cause errors.Is must find
		// and a piece of its message.
		want []wantProblem
	}{
		{
			name:    "text over the cap",
			in:      line("big", strings.Repeat("a", MaxTextBytes+1)) + line("small", "Un petit texte."),
			wantIDs: 1,
			want:    []wantProblem{{1, ErrTextTooLarge, "4 MiB cap"}},
		},
		{
			name:    "line over the cap",
			in:      `{"id":"long","text":"` + strings.Repeat("\\n", MaxLineBytes/2) + "\"}\n" + line("after", "La ligne suivante est lue."),
			wantIDs: 1,
			want:    []wantProblem{{1, ErrLineTooLong, "8 MiB cap"}},
		},
		{
			name:    "duplicate id names both lines",
			in:      line("a", "Premier.") + line("b", "Autre.") + line("a", "Second, ignoré."),
			wantIDs: 2,
			want:    []wantProblem{{3, ErrDuplicateID, `"a": line 1 has it too`}},
		},
		{
			name: "duplicate url without id",
			in: `{"url":"https://example.com/x","text":"Un."}` + "\n" +
				`{"url":"https://example.com/x?utm_source=y","text":"Deux."}` + "\n",
			wantIDs: 1,
			want:    []wantProblem{{2, ErrDuplicateID, "line 1"}},
		},
		{
			name:    "a few bad lines are listed, the rest counted",
			in:      bad25.String(),
			wantIDs: 100,
			want: []wantProblem{
				{2, ErrNotJSON, ""}, {7, ErrNotJSON, ""}, {12, ErrNotJSON, ""}, {17, ErrNotJSON, ""}, {22, ErrNotJSON, ""},
				{27, ErrNotJSON, ""}, {32, ErrNotJSON, ""}, {37, ErrNotJSON, ""}, {42, ErrNotJSON, ""}, {47, ErrNotJSON, ""},
				{0, ErrNotJSON, "15 more lines"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			arts, probs, err := ReadJSONL(t.Context(), strings.NewReader(tt.in), "c.jsonl")
			if err != nil {
				t.Fatal(err)
			}
			if len(arts) != tt.wantIDs {
				t.Errorf("%d articles, want %d", len(arts), tt.wantIDs)
			}
			checkProblems(t, probs, tt.want)
		})
	}
}

type wantProblem struct {
	line int
	is   error
	msg  string
}

func checkProblems(t *testing.T, probs []Problem, want []wantProblem) {
	t.Helper()
	if len(probs) != len(want) {
		t.Fatalf("%d problems, want %d: %v", len(probs), len(want), probs)
	}
	for i, w := range want {
		p := probs[i]
		if p.Line != w.line || !errors.Is(p, w.is) || !strings.Contains(p.Error(), w.msg) {
			t.Errorf("problem %d = %v (line %d), want line %d, %v, %q", i, p, p.Line, w.line, w.is, w.msg)
		}
	}
}

// hugeLine is a JSONL line of n bytes of text followed by a good line,
// made as it is read so that the test holds none of it.
func hugeLine(n int64) io.Reader {
	return io.MultiReader(
		strings.NewReader(`{"id":"huge","text":"`),
		io.LimitReader(repeatByte('a'), n),
		strings.NewReader(`"}`+"\n"+`{"id":"next","text":"La suite."}`+"\n"),
	)
}

type repeatByte byte

func (b repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// TestReadJSONLHugeLineBoundedMemory reads a 200 MiB line: what it allocates
// must depend on MaxLineBytes (growing a buffer to it costs a few times it),
// not on the line. It is not parallel: it measures the process's allocations.
func TestReadJSONLHugeLineBoundedMemory(t *testing.T) {
	const size = 200 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	arts, probs, err := ReadJSONL(t.Context(), hugeLine(size), "huge.jsonl")
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 || arts[0].ID != "next" {
		t.Errorf("articles = %v, want the line after the huge one", arts)
	}
	checkProblems(t, probs, []wantProblem{{1, ErrLineTooLong, fmt.Sprint(size + len(`{"id":"huge","text":""}`) + 1)}})
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*MaxLineBytes {
		t.Errorf("reading a %d MiB line allocated %d MiB, want at most %d", size>>20, alloc>>20, 8*MaxLineBytes>>20)
	}
}

func TestBinaryJSONLIsOneProblem(t *testing.T) {
	t.Parallel()
	blob := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range blob {
		blob[i] = byte(rng.Uint32())
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "blob.jsonl")
	if err := os.WriteFile(path, blob, 0o644); err != nil {
		t.Fatal(err)
	}
	arts, probs, err := LoadPaths(t.Context(), []string{dir})
	if err != nil || len(arts) != 0 {
		t.Fatalf("LoadPaths = %d articles, %v", len(arts), err)
	}
	lines := bytes.Count(blob, []byte("\n")) + 1
	checkProblems(t, probs, []wantProblem{{0, ErrNotJSON, "lines are not JSON"}})
	if !strings.Contains(probs[0].Error(), path) || !strings.Contains(probs[0].Error(), " of ") {
		t.Errorf("problem = %v, want it to name %s and count the %d lines", probs[0], path, lines)
	}
}

func TestSingleFileTextCap(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := filepath.Join(dir, "big.txt")
	// Under the file cap, over the text cap.
	if err := os.WriteFile(big, bytes.Repeat([]byte("Une phrase. "), MaxTextBytes/12+10), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "small.txt"), []byte("Titre\n\nUn petit texte."), 0o644); err != nil {
		t.Fatal(err)
	}
	arts, probs, err := LoadPaths(t.Context(), []string{dir})
	if err != nil || len(arts) != 1 {
		t.Fatalf("LoadPaths = %d articles, %v; want the small one", len(arts), err)
	}
	if len(probs) != 1 || probs[0].Path != big || !errors.Is(probs[0], ErrTextTooLarge) {
		t.Fatalf("problems = %v, want %s over the text cap", probs, big)
	}
}
