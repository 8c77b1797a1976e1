package digest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeClock is a Clock whose time moves only when the test fires a timer.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers chan fakeTimer
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

var _ Clock = (*fakeClock)(nil)

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, timers: make(chan fakeTimer)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// After hands the timer to the test driving the clock.
func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.timers <- fakeTimer{at: c.Now().Add(d), c: ch}
	return ch
}

// drive runs s until its next wake-up would pass until, firing each timer
// at its instant: simulated days go by in milliseconds.
func drive(t *testing.T, s *Scheduler, clk *fakeClock, until time.Time) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	for {
		select {
		case tm := <-clk.timers:
			if tm.at.After(until) {
				cancel()
				if err := <-done; err != nil {
					t.Fatalf("Run = %v", err)
				}
				return
			}
			clk.set(tm.at)
			tm.c <- tm.at
		case err := <-done:
			t.Fatalf("Run returned early: %v", err)
		}
	}
}

// post is one digest a fake poster received.
type post struct {
	channel string
	at      time.Time
	d       Digest
}

type fakePoster struct {
	mu    sync.Mutex
	clk   *fakeClock
	posts []post
}

func (p *fakePoster) post(_ context.Context, channel string, d Digest) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posts = append(p.posts, post{channel, p.clk.Now(), d})
	return nil
}

// hourlyItems returns one article every three hours from `from` to `to`.
func hourlyItems(from, to time.Time) []Item {
	var items []Item
	for t := from; !t.After(to); t = t.Add(3 * time.Hour) {
		id := t.UTC().Format("20060102T15")
		items = append(items, Item{
			ID: id, Title: "Article " + id + " " + fmt.Sprint(t.Unix()%97), URL: "https://example.test/" + id,
			Source: "Test", Text: "Texte de l'article " + id + ". Rien d'autre à signaler ici.", Published: t,
		})
	}
	return items
}

func TestSchedulerOncePerLocalDay(t *testing.T) {
	t.Parallel()
	paris, ny := mustLoc(t, "Europe/Paris"), mustLoc(t, "America/New_York")
	channels := []Settings{
		{ChannelID: "1", At: "08:00", Loc: paris, Lang: "fr"},
		{ChannelID: "2", At: "02:30", Loc: paris, Lang: "fr"}, // gap in spring, repeated in autumn
		{ChannelID: "3", At: "01:30", Loc: ny, Lang: "en"},    // repeated on 2026-11-01
		{ChannelID: "4", At: "02:30", Loc: ny, Lang: "en"},    // gap on 2026-03-08
	}
	tests := []struct {
		name                     string
		start, stop, resume, end string   // UTC; the bot is down in [stop, resume)
		wantNone                 []string // local days without a post (all in downtime)
	}{
		{
			name:  "autumn, three days down, back before 08:00 Paris",
			start: "2026-10-22 12:00", stop: "2026-10-23 12:00", resume: "2026-10-26 05:00", end: "2026-11-03 12:00",
			wantNone: []string{"2026-10-24", "2026-10-25"},
		},
		{
			name:  "spring, restart right after the 08:00 Paris post",
			start: "2026-03-06 12:00", stop: "2026-03-20 07:00", resume: "2026-03-20 07:00", end: "2026-03-31 12:00",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start, stop, resume, end := utc(t, tt.start), utc(t, tt.stop), utc(t, tt.resume), utc(t, tt.end)
			path := filepath.Join(t.TempDir(), "digest.json")
			clk := newFakeClock(start)
			poster := &fakePoster{clk: clk}
			items := hourlyItems(start.Add(-48*time.Hour), end)
			newScheduler := func() *Scheduler {
				t.Helper()
				store, err := OpenStore(path)
				if err != nil {
					t.Fatal(err)
				}
				s, err := NewScheduler(SchedulerConfig{
					Store:    store,
					Channels: func() []Settings { return channels },
					Items: func(ctx context.Context, _ Settings, since time.Time) ([]Item, error) {
						return items, nil
					},
					Post:  poster.post,
					Clock: clk,
				})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			drive(t, newScheduler(), clk, stop)
			clk.set(resume) // downtime, then a new process on the same state file
			drive(t, newScheduler(), clk, end)

			t.Logf("%d posts over %s", len(poster.posts), end.Sub(start))
			for _, set := range channels {
				perDay := map[string]int{}
				seen := map[string]bool{}
				for _, p := range poster.posts {
					if p.channel != set.ChannelID {
						continue
					}
					perDay[p.at.In(set.Loc).Format(time.DateOnly)]++
					onTime := Prev(set, p.at).Equal(p.at)
					if !onTime && !p.at.Equal(start) && !p.at.Equal(resume) {
						t.Errorf("channel %s posted at %s, neither its time nor a catch-up", set.ChannelID, p.at.In(set.Loc))
					}
					for _, id := range p.d.Covered {
						if seen[id] {
							t.Errorf("channel %s: article %s in two digests", set.ChannelID, id)
						}
						seen[id] = true
					}
				}
				none := map[string]bool{}
				for _, d := range tt.wantNone {
					none[d] = true
				}
				for day := start.In(set.Loc); !day.After(end.In(set.Loc)); day = day.AddDate(0, 0, 1) {
					key := day.Format(time.DateOnly)
					want := 1
					if none[key] {
						want = 0
					}
					if perDay[key] != want {
						t.Errorf("channel %s (%s %s): %d posts on %s, want %d", set.ChannelID, set.At, set.Loc, perDay[key], key, want)
					}
				}
				// Every article published after the first window is covered.
				for _, it := range items {
					if it.Published.After(start.Add(-24*time.Hour)) && it.Published.Before(stop) && !seen[it.ID] {
						t.Errorf("channel %s: article %s never posted", set.ChannelID, it.ID)
					}
				}
			}
		})
	}
}

// TestSchedulerInterruptedPost starts a scheduler on a state file whose
// last post was interrupted between the in-progress mark and its record.
func TestSchedulerInterruptedPost(t *testing.T) {
	t.Parallel()
	paris := mustLoc(t, "Europe/Paris")
	set := Settings{ChannelID: "1", At: "08:00", Loc: paris}
	slot := utc(t, "2026-11-24 07:00")
	tests := []struct {
		name      string
		posted    func(context.Context, string, Run) (bool, error)
		wantPosts int
	}{
		{"no checker: counted as posted", nil, 0},
		{"checker saw the message", func(context.Context, string, Run) (bool, error) { return true, nil }, 0},
		{"checker found no message: posted again", func(context.Context, string, Run) (bool, error) { return false, nil }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "digest.json")
			store, err := OpenStore(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := store.Record("1", Run{At: slot.Add(-24 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if err := store.Begin("1", Run{At: slot, Covered: []string{"x"}}); err != nil {
				t.Fatal(err)
			}
			store, err = OpenStore(path) // the crash
			if err != nil {
				t.Fatal(err)
			}
			clk := newFakeClock(slot.Add(time.Minute))
			poster := &fakePoster{clk: clk}
			s, err := NewScheduler(SchedulerConfig{
				Store:    store,
				Channels: func() []Settings { return []Settings{set} },
				Items: func(context.Context, Settings, time.Time) ([]Item, error) {
					return []Item{{ID: "x", Title: "X", Text: "Un article.", Published: slot.Add(-time.Hour)}}, nil
				},
				Post:    poster.post,
				Posted:  tt.posted,
				Clock:   clk,
				Options: Options{},
			})
			if err != nil {
				t.Fatal(err)
			}
			drive(t, s, clk, slot.Add(6*time.Hour))
			if len(poster.posts) != tt.wantPosts {
				t.Errorf("%d posts, want %d", len(poster.posts), tt.wantPosts)
			}
			if _, ok := store.Pending("1"); ok {
				t.Error("pending mark not settled")
			}
		})
	}
}

// TestSchedulerFailingChannel checks that a channel whose posts fail does
// not hold up another, and is retried with backoff.
func TestSchedulerFailingChannel(t *testing.T) {
	t.Parallel()
	paris := mustLoc(t, "Europe/Paris")
	start := utc(t, "2026-11-24 06:00")
	clk := newFakeClock(start)
	poster := &fakePoster{clk: clk}
	store, err := OpenStore(filepath.Join(t.TempDir(), "digest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	attempts := 0
	s, err := NewScheduler(SchedulerConfig{
		Store: store,
		Channels: func() []Settings {
			return []Settings{{ChannelID: "666", At: "08:00", Loc: paris}, {ChannelID: "1", At: "08:00", Loc: paris}}
		},
		Items: func(context.Context, Settings, time.Time) ([]Item, error) {
			return hourlyItems(start.Add(-24*time.Hour), start), nil
		},
		Post: func(ctx context.Context, ch string, d Digest) error {
			if ch == "666" {
				mu.Lock()
				attempts++
				mu.Unlock()
				return errors.New("missing access")
			}
			return poster.post(ctx, ch, d)
		},
		Clock:        clk,
		CatchUpGrace: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	drive(t, s, clk, start.Add(12*time.Hour))
	t.Logf("failing channel: %d attempts", attempts)
	if len(poster.posts) != 1 {
		t.Errorf("healthy channel: %d posts, want 1", len(poster.posts))
	}
	// Backoff 5, 10, 20, 40, 60, 60… minutes over 12 hours: about 15 tries, not 144.
	if attempts < 5 || attempts > 20 {
		t.Errorf("failing channel: %d attempts in 12 h, want backoff (5–20)", attempts)
	}
}

func TestSchedulerEmpty(t *testing.T) {
	t.Parallel()
	paris := mustLoc(t, "Europe/Paris")
	slot := utc(t, "2026-11-24 07:00")
	tests := []struct {
		name      string
		postEmpty bool
		wantPosts int
	}{
		{"silent by default", false, 0},
		{"post empty", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store, err := OpenStore(filepath.Join(t.TempDir(), "digest.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := store.Record("1", Run{At: slot.Add(-24 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
			clk := newFakeClock(slot.Add(-time.Hour))
			poster := &fakePoster{clk: clk}
			s, err := NewScheduler(SchedulerConfig{
				Store: store,
				Channels: func() []Settings {
					return []Settings{{ChannelID: "1", At: "08:00", Loc: paris, PostEmpty: tt.postEmpty}}
				},
				Items: func(context.Context, Settings, time.Time) ([]Item, error) { return nil, nil },
				Post:  poster.post,
				Clock: clk,
			})
			if err != nil {
				t.Fatal(err)
			}
			drive(t, s, clk, slot.Add(2*time.Hour))
			if len(poster.posts) != tt.wantPosts {
				t.Fatalf("%d posts, want %d", len(poster.posts), tt.wantPosts)
			}
			if tt.wantPosts > 0 && !poster.posts[0].d.Empty {
				t.Error("posted digest not marked Empty")
			}
			if got := store.Last("1").At; !got.Equal(slot) {
				t.Errorf("last run %s, want %s (an empty day still counts)", got, slot)
			}
		})
	}
}

// TestSchedulerWake checks that a settings change applies at once after
// Wake, without waiting for the current timer.
func TestSchedulerWake(t *testing.T) {
	t.Parallel()
	now := utc(t, "2026-11-24 07:00")
	clk := newFakeClock(now)
	poster := &fakePoster{clk: clk}
	store, err := OpenStore(filepath.Join(t.TempDir(), "digest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var channels []Settings
	s, err := NewScheduler(SchedulerConfig{
		Store:    store,
		Channels: func() []Settings { mu.Lock(); defer mu.Unlock(); return channels },
		Items: func(context.Context, Settings, time.Time) ([]Item, error) {
			return hourlyItems(now.Add(-12*time.Hour), now), nil
		},
		Post:  poster.post,
		Clock: clk,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	if tm := <-clk.timers; !tm.at.Equal(now.Add(time.Hour)) {
		t.Errorf("idle wait until %s, want MaxSleep", tm.at)
	}
	mu.Lock()
	channels = []Settings{{ChannelID: "1", At: "08:00", Loc: mustLoc(t, "Europe/Paris")}}
	mu.Unlock()
	s.Wake()
	tm := <-clk.timers // the pass after Wake has posted
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(poster.posts) != 1 || !poster.posts[0].at.Equal(now) {
		t.Fatalf("posts after Wake: %+v, want one at %s", poster.posts, now)
	}
	if want := utc(t, "2026-11-25 07:00"); !tm.at.Equal(now.Add(time.Hour)) && !tm.at.Equal(want) {
		t.Errorf("next wake %s", tm.at)
	}
}

func TestSchedulerPreviewAndPostNow(t *testing.T) {
	t.Parallel()
	paris := mustLoc(t, "Europe/Paris")
	now := utc(t, "2026-11-24 12:00")
	set := Settings{ChannelID: "1", At: "08:00", Loc: paris}
	tests := []struct {
		name      string
		items     []Item
		postNow   bool
		wantPosts int
		wantLast  time.Time
	}{
		{"preview posts and records nothing", hourlyItems(now.Add(-6*time.Hour), now), false, 0, time.Time{}},
		{"post now records the run", hourlyItems(now.Add(-6*time.Hour), now), true, 1, now},
		{"post now posts even an empty digest", nil, true, 1, now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := newFakeClock(now)
			poster := &fakePoster{clk: clk}
			store, err := OpenStore(filepath.Join(t.TempDir(), "digest.json"))
			if err != nil {
				t.Fatal(err)
			}
			s, err := NewScheduler(SchedulerConfig{
				Store:    store,
				Channels: func() []Settings { return []Settings{set} },
				Items:    func(context.Context, Settings, time.Time) ([]Item, error) { return tt.items, nil },
				Post:     poster.post,
				Clock:    clk,
			})
			if err != nil {
				t.Fatal(err)
			}
			var d Digest
			if tt.postNow {
				d, err = s.PostNow(t.Context(), set)
			} else {
				d, err = s.Preview(t.Context(), set)
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Empty != (len(tt.items) == 0) {
				t.Errorf("Empty = %v with %d items", d.Empty, len(tt.items))
			}
			if len(poster.posts) != tt.wantPosts {
				t.Errorf("%d posts, want %d", len(poster.posts), tt.wantPosts)
			}
			if got := store.Last("1").At; !got.Equal(tt.wantLast) {
				t.Errorf("last run %s, want %s", got, tt.wantLast)
			}
		})
	}
}

func TestNewSchedulerMissing(t *testing.T) {
	t.Parallel()
	if _, err := NewScheduler(SchedulerConfig{}); err == nil {
		t.Fatal("NewScheduler with nothing succeeded")
	}
}
