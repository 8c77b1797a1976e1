package feedlist

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeClock is a Clock a test moves by hand; each After hands its channel
// to the test, which fires it once it has looked at what the loop did.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	afters chan chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.afters <- ch
	return ch
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestLoopRefreshesOnItsClock drives the loop without sleeping: a refresh
// at start, none before FEED_REFRESH less 5 % has passed, one after, and a
// failed round retried only at the next due time.
func TestLoopRefreshesOnItsClock(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC), afters: make(chan chan time.Time)}
	var mu sync.Mutex
	rounds, fail := 0, false
	loop := Loop{
		Path: filepath.Join(t.TempDir(), "index.veille"), // never written: no reload
		Refresh: func(context.Context) (time.Time, error) {
			mu.Lock()
			defer mu.Unlock()
			rounds++
			if fail {
				return time.Time{}, errors.New("feeds down")
			}
			return time.Time{}, nil
		},
		FeedEvery:  time.Hour,
		WatchEvery: time.Minute,
		Jitter:     func(time.Duration) time.Duration { return 0 }, // due 57 min after a round
		Clock:      clock,
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- loop.Run(ctx) }()

	steps := []struct {
		name    string
		advance time.Duration // before the loop's next turn
		fail    bool          // this turn's round fails
		want    int           // rounds once the loop waits again
	}{
		{"a round at start", 0, false, 1},
		{"not due yet", 56 * time.Minute, false, 1},
		{"due", time.Minute, true, 2},
		{"a failed round waits for its next due time", 30 * time.Minute, false, 2},
		{"due again after the failure", 27 * time.Minute, false, 3},
	}
	check := func(name string, want int) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if rounds != want {
			t.Errorf("%s: %d rounds, want %d", name, rounds, want)
		}
	}
	tick := <-clock.afters // the first turn is over
	check(steps[0].name, steps[0].want)
	for _, st := range steps[1:] {
		mu.Lock()
		fail = st.fail
		mu.Unlock()
		clock.advance(st.advance)
		tick <- clock.Now()
		tick = <-clock.afters // this turn is over
		check(st.name, st.want)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}
