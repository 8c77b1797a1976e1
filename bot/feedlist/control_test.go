package feedlist

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/veille/veille/bot"
	"github.com/veille/veille/rag/feeds"
)

// TestControlPerServer pins the per-server list rules of Health and Remove
// over a list on disk: each server sees and removes its own additions and
// the ones recorded without a server; a feed's refresh state goes with the
// last server following it; FEEDS are the operator's.
func TestControlPerServer(t *testing.T) {
	t.Parallel()
	const op, a, b, legacy = "https://op.example/rss", "https://a.example/rss", "https://b.example/rss", "https://legacy.example/rss"
	dir := t.TempDir()
	cfg := Config{
		ListPath:  filepath.Join(dir, FileName),
		StatePath: filepath.Join(dir, "feeds.json"),
		Lock:      func(context.Context) (func() error, error) { return func() error { return nil }, nil },
		Operator:  []string{op},
	}
	if err := Write(cfg.ListPath, []Entry{{URL: a, Guild: "1"}, {URL: a, Guild: "2"}, {URL: b, Guild: "1"}, {URL: legacy}}); err != nil {
		t.Fatal(err)
	}
	st, err := feeds.OpenStore(cfg.StatePath)
	if err != nil {
		t.Fatal(err)
	}
	ok := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	for _, u := range []string{op, a, b, legacy} {
		st.Put(feeds.State{URL: u, LastSuccess: ok})
	}
	if err := st.Save(); err != nil {
		t.Fatal(err)
	}
	shared := cfg
	shared.ShareSources = true

	type row struct {
		URL               string
		UserAdded, Shared bool
	}
	health := func(c *Control, guild string) []row {
		t.Helper()
		hs, err := c.Health(t.Context(), guild)
		if err != nil {
			t.Fatal(err)
		}
		var out []row
		for _, h := range hs {
			out = append(out, row{h.URL, h.UserAdded, h.Shared})
		}
		return out
	}
	c, all := New(cfg), New(shared)
	healthTests := []struct {
		name  string
		c     *Control
		guild string
		want  []row
	}{
		{"server 1", c, "1", []row{{op, false, false}, {a, true, false}, {b, true, false}, {legacy, true, false}}},
		{"server 2", c, "2", []row{{op, false, false}, {a, true, false}, {legacy, true, false}}},
		{"server 3, shared sources", all, "3", []row{{op, false, false}, {a, true, true}, {b, true, true}, {legacy, true, false}}},
	}
	for _, tt := range healthTests {
		if diff := cmp.Diff(tt.want, health(tt.c, tt.guild)); diff != "" {
			t.Errorf("Health(%s) (-want +got):\n%s", tt.name, diff)
		}
	}

	removeSteps := []struct {
		name      string
		guild, u  string
		want      bool
		wantErr   error
		stateKept bool
	}{
		{"FEEDS", "1", op, false, bot.ErrOperatorFeed, true},
		{"not this server's", "3", a, false, nil, true},
		{"another server still follows it", "2", a, true, nil, true},
		{"the last server", "1", a, true, nil, false},
		{"a feed without a server", "2", legacy, true, nil, false},
	}
	for _, st := range removeSteps {
		removed, err := c.Remove(t.Context(), st.guild, st.u)
		if removed != st.want || !errors.Is(err, st.wantErr) {
			t.Errorf("%s: Remove = %v, %v; want %v, %v", st.name, removed, err, st.want, st.wantErr)
		}
		state, err := feeds.OpenStore(cfg.StatePath)
		if err != nil {
			t.Fatal(err)
		}
		if kept := !state.Get(st.u).LastSuccess.IsZero(); kept != st.stateKept {
			t.Errorf("%s: state kept %v, want %v", st.name, kept, st.stateKept)
		}
	}
	list, err := Read(cfg.ListPath)
	if want := []Entry{{URL: b, Guild: "1"}}; err != nil || !cmp.Equal(list, want) {
		t.Errorf("list after removals = %+v, %v; want %+v", list, err, want)
	}
}
