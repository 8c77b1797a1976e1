package bot

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestDrafterRateLimit drives a drafter with a hand-made clock: the first
// draft is shown at once, then one per tick, always the latest, and none
// after stop.
func TestDrafterRateLimit(t *testing.T) {
	t.Parallel()
	edits := make(chan string, 10)
	waiting := make(chan chan time.Time, 1) // the drafter waits on the sent channel
	after := func(d time.Duration) <-chan time.Time {
		if d != 5*time.Second {
			t.Errorf("waited %v, want the interval", d)
		}
		tick := make(chan time.Time, 1)
		waiting <- tick
		return tick
	}
	d := newDrafter(func(_ context.Context, m message) error {
		edits <- m.Content
		return nil
	}, 5*time.Second, after, slog.New(slog.DiscardHandler))
	show := func(s string) { d.show(t.Context(), func() message { return message{Content: s} }) }

	show("a")
	if got := <-edits; got != "a" {
		t.Fatalf("first draft = %q, want a", got)
	}
	tick := <-waiting // the drafter now waits for the interval
	show("ab")
	show("abc")
	if len(edits) != 0 {
		t.Fatalf("edited before the interval: %q", <-edits)
	}
	tick <- time.Time{}
	if got := <-edits; got != "abc" {
		t.Errorf("second draft = %q, want the latest, abc", got)
	}
	<-waiting
	show("abcd") // pending when the answer arrives: never shown
	if n := d.stop(); n != 2 {
		t.Errorf("stop reported %d drafts, want 2", n)
	}
	show("late")
	close(edits)
	for e := range edits {
		t.Errorf("edit after stop: %q", e)
	}
}

func TestDrafterUnusedAndNil(t *testing.T) {
	t.Parallel()
	d := newDrafter(func(context.Context, message) error {
		t.Error("edited without a draft")
		return nil
	}, time.Second, time.After, slog.New(slog.DiscardHandler))
	if n := d.stop(); n != 0 {
		t.Errorf("stop = %d", n)
	}
	var none *drafter
	none.show(t.Context(), func() message { return message{} })
	if n := none.stop(); n != 0 {
		t.Errorf("nil stop = %d", n)
	}
}

func TestDraftMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, want string
	}{
		{"markers and pings", "Log4Shell [1] was exploited [2, 3]. @everyone see [x](https://evil.example)",
			"Log4Shell was exploited. @\u200beveryone see [x]\\(https://evil.example) ▌"},
		{"paragraphs", "First.\n\n\n  Second.", "First.\n\nSecond. ▌"},
		{"empty", "  [1] ", " ▌"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := draftMessage("q?", tt.text, french)
			if got := m.Embeds[0].Description; got != tt.want {
				t.Errorf("description = %q, want %q", got, tt.want)
			}
			if got := m.Embeds[0].Footer.Text; !strings.HasPrefix(got, "Rédaction de la réponse") {
				t.Errorf("footer = %q", got)
			}
		})
	}
	long := draftMessage(strings.Repeat("why ", 200), strings.Repeat("A long sentence about the attack chain. ", 500), english)
	e := long.Embeds[0]
	if n := embedSize(e); n > maxEmbedTotal || runeLen(e.Description) > maxEmbedDescription || runeLen(e.Title) > maxEmbedTitle {
		t.Errorf("long draft: %d characters, description %d, title %d", n, runeLen(e.Description), runeLen(e.Title))
	}
	if !strings.HasPrefix(e.Description, "…A long sentence") || !strings.HasSuffix(e.Description, "chain. ▌") {
		t.Errorf("long draft shows %q … %q, want the tail from a word", e.Description[:40], e.Description[len(e.Description)-20:])
	}
}
