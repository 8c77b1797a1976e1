package feedlist

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestWriteReplacesFile pins that the list is replaced (through
// atomicfile) rather than rewritten in place, where a crash would tear it,
// and that it reads back.
func TestWriteReplacesFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "user_feeds.json")
	at := time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)
	first := []Entry{{URL: "https://a.example/rss", Guild: "1", AddedBy: "9", AddedAt: at}}
	if err := Write(path, first); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	second := append(slices.Clone(first), Entry{URL: "https://b.example/rss", AddedAt: at})
	if err := Write(path, second); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(before, after) {
		t.Error("the list was rewritten in place instead of replaced")
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, second) {
		t.Errorf("read back %+v, want %+v", got, second)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d files, want only the list (no temporary left)", len(entries))
	}
}

func TestGroups(t *testing.T) {
	t.Parallel()
	const a, b, c = "https://a.example/rss", "https://b.example/rss", "https://c.example/rss"
	tests := []struct {
		name     string
		list     []Entry
		operator []string
		want     []Group
	}{
		{"none", nil, nil, nil},
		{"one server", []Entry{{URL: a, Guild: "1"}}, nil, []Group{{Guilds: []string{"1"}, URLs: []string{a}}}},
		{"two servers follow one feed", []Entry{{URL: a, Guild: "2"}, {URL: a, Guild: "1"}, {URL: b, Guild: "1"}},
			nil, []Group{{Guilds: []string{"1", "2"}, URLs: []string{a}}, {Guilds: []string{"1"}, URLs: []string{b}}}},
		{"a feed without a server is the operator's", []Entry{{URL: a, Guild: "1"}, {URL: a}, {URL: c, Guild: "1"}},
			nil, []Group{{URLs: []string{a}}, {Guilds: []string{"1"}, URLs: []string{c}}}},
		{"FEEDS left out", []Entry{{URL: a, Guild: "1"}, {URL: b, Guild: "1"}}, []string{a},
			[]Group{{Guilds: []string{"1"}, URLs: []string{b}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Groups(tt.list, tt.operator)); diff != "" {
				t.Errorf("Groups (-want +got):\n%s", diff)
			}
		})
	}
}
