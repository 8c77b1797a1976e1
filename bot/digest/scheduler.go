package digest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Clock is the scheduler's time source; tests drive a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real Clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Poster posts a digest to a channel; package bot provides it.
type Poster func(ctx context.Context, channelID string, d Digest) error

// SchedulerConfig wires a Scheduler.
type SchedulerConfig struct {
	// Store keeps each channel's last run (required).
	Store *Store
	// Channels returns the current settings of every digest channel; it
	// is called on every pass, so configuration changes apply without a
	// restart (call Scheduler.Wake after one). Required.
	Channels func() []Settings
	// Items returns the articles that may belong to the digest of channel
	// set whose window starts at since; Build keeps those in the window.
	// Required.
	Items func(ctx context.Context, set Settings, since time.Time) ([]Item, error)
	// Post delivers a digest (required).
	Post Poster
	// Posted, optional, tells whether a run found pending at start-up (the
	// process stopped while posting it) reached the channel, by looking at
	// the channel's recent messages. Nil counts such a run as posted.
	Posted func(ctx context.Context, channelID string, pending Run) (bool, error)
	// Options is the template of the build options: Similar, Threshold,
	// MaxEntries and Summarize are used; Lang, Loc, Keywords and Sources
	// come from each channel's Settings.
	Options Options
	// Clock defaults to SystemClock.
	Clock Clock
	// Logger defaults to discarding.
	Logger *slog.Logger
	// FirstWindow is how far back a channel's first digest looks (default
	// 24 h).
	FirstWindow time.Duration
	// RetryDelay is the wait after a failed post, doubled on each
	// consecutive failure up to MaxSleep (default 5 min).
	RetryDelay time.Duration
	// MaxSleep bounds one wait, so that a suspended host or a changed
	// wall clock is noticed (default 1 h).
	MaxSleep time.Duration
	// CatchUpGrace: a missed digest (downtime, first start) is posted at
	// once unless the channel's next scheduled time is closer than this;
	// then that digest covers the missed one, so a bot back at 07:30 posts
	// once at 08:00, not twice (default 12 h, under 20 h; negative: always
	// at once).
	CatchUpGrace time.Duration
}

// Scheduler posts each channel's digest once per local day at its time of
// day, and once as soon as it can after downtime (unless the next
// scheduled time is near: see CatchUpGrace). Each digest covers what was
// published since the channel's last run, or FirstWindow for a new channel.
// The package comment states the delivery guarantee.
type Scheduler struct {
	cfg   SchedulerConfig
	clock Clock
	log   *slog.Logger
	wake  chan struct{}

	mu       sync.Mutex // serialises passes and manual posts
	failures map[string]int
	retryAt  map[string]time.Time
}

// NewScheduler checks cfg and returns a Scheduler; call Run to start it.
func NewScheduler(cfg SchedulerConfig) (*Scheduler, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("no store"))
	}
	if cfg.Channels == nil {
		errs = append(errs, errors.New("no channels function"))
	}
	if cfg.Items == nil {
		errs = append(errs, errors.New("no items function"))
	}
	if cfg.Post == nil {
		errs = append(errs, errors.New("no poster"))
	}
	if cfg.CatchUpGrace >= 20*time.Hour {
		errs = append(errs, fmt.Errorf("catch-up grace %s would delay on-time digests (keep it under 20h)", cfg.CatchUpGrace))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("new digest scheduler: %w", errors.Join(errs...))
	}
	cfg.FirstWindow = cmp.Or(cfg.FirstWindow, 24*time.Hour)
	cfg.RetryDelay = cmp.Or(cfg.RetryDelay, 5*time.Minute)
	cfg.MaxSleep = cmp.Or(cfg.MaxSleep, time.Hour)
	cfg.CatchUpGrace = cmp.Or(cfg.CatchUpGrace, 12*time.Hour)
	s := &Scheduler{
		cfg:      cfg,
		clock:    cmp.Or[Clock](cfg.Clock, SystemClock{}),
		log:      cfg.Logger,
		wake:     make(chan struct{}, 1),
		failures: map[string]int{},
		retryAt:  map[string]time.Time{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Run posts digests as they fall due until ctx is done, then returns nil.
// One channel's failure is logged and retried later; it does not hold up
// the others.
func (s *Scheduler) Run(ctx context.Context) error {
	for {
		now := s.clock.Now()
		next := s.pass(ctx, now)
		wait := s.cfg.MaxSleep
		if !next.IsZero() {
			wait = min(max(next.Sub(now), 0), s.cfg.MaxSleep)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.clock.After(wait):
		case <-s.wake:
		}
	}
}

// Wake makes Run re-read the channels' settings now, after a change.
func (s *Scheduler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// pass posts every due digest and returns when the next one falls due
// (zero when there are no channels).
func (s *Scheduler) pass(ctx context.Context, now time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var wake time.Time
	soonest := func(t time.Time) {
		if !t.IsZero() && (wake.IsZero() || t.Before(wake)) {
			wake = t
		}
	}
	for _, set := range s.cfg.Channels() {
		if ctx.Err() != nil {
			return wake
		}
		log := s.log.With("channel_id", set.ChannelID)
		if err := set.Validate(); err != nil {
			log.Error("skip digest channel", "err", err)
			continue
		}
		ch := set.ChannelID
		if at, ok := s.retryAt[ch]; ok && now.Before(at) {
			soonest(at)
			continue
		}
		err := s.settle(ctx, ch)
		next := Next(set, now)
		// Scheduled slots are at least 23 h apart, so only a catch-up can
		// find the next slot closer than the grace.
		if err == nil && Due(set, s.cfg.Store.Last(ch).At, now) && next.Sub(now) >= s.cfg.CatchUpGrace {
			var d Digest
			d, err = s.post(ctx, set, now)
			if err == nil {
				log.Info("digest done", "entries", len(d.Entries), "articles", len(d.Covered), "empty", d.Empty)
			}
		}
		if err != nil && ctx.Err() != nil {
			return wake // shutting down: the run is retried at the next start
		}
		if err != nil {
			s.failures[ch]++
			delay := min(s.cfg.RetryDelay<<min(s.failures[ch]-1, 16), s.cfg.MaxSleep)
			s.retryAt[ch] = now.Add(delay)
			log.Error("digest not posted", "err", err, "retry_in", delay.String())
			soonest(s.retryAt[ch])
			continue
		}
		delete(s.failures, ch)
		delete(s.retryAt, ch)
		soonest(next)
	}
	return wake
}

// settle resolves a run left pending by a process that stopped while
// posting it: counted as posted unless cfg.Posted says it was not.
func (s *Scheduler) settle(ctx context.Context, channel string) error {
	p, ok := s.cfg.Store.Pending(channel)
	if !ok {
		return nil
	}
	posted := true
	if s.cfg.Posted != nil {
		var err error
		if posted, err = s.cfg.Posted(ctx, channel, p); err != nil {
			return fmt.Errorf("check interrupted digest of %s: %w", p.At.Format(time.RFC3339), err)
		}
	}
	if posted {
		s.log.Warn("digest interrupted while posting; counting it as posted", "channel_id", channel, "run_at", p.At)
		return s.cfg.Store.Record(channel, p)
	}
	s.log.Warn("digest interrupted before posting; posting it again", "channel_id", channel, "run_at", p.At)
	return s.cfg.Store.Abort(channel)
}

// post builds the channel's digest at now from its last run, posts it
// unless it is empty and the channel wants silence, and records the run.
func (s *Scheduler) post(ctx context.Context, set Settings, now time.Time) (Digest, error) {
	ch := set.ChannelID
	last := s.cfg.Store.Last(ch)
	d, err := s.build(ctx, set, last, now)
	if err != nil {
		return Digest{}, err
	}
	run := Run{At: now, Covered: d.Covered}
	if d.Empty && !set.PostEmpty {
		return d, s.cfg.Store.Record(ch, run)
	}
	if err := s.cfg.Store.Begin(ch, run); err != nil {
		return Digest{}, fmt.Errorf("mark digest in progress: %w", err)
	}
	if err := s.cfg.Post(ctx, ch, d); err != nil {
		if aerr := s.cfg.Store.Abort(ch); aerr != nil {
			s.log.Error("clear digest in-progress mark", "channel_id", ch, "err", aerr)
		}
		return Digest{}, fmt.Errorf("post digest: %w", err)
	}
	if err := s.cfg.Store.Record(ch, run); err != nil {
		return d, fmt.Errorf("record posted digest: %w", err)
	}
	return d, nil
}

// build makes the digest of what came after last.
func (s *Scheduler) build(ctx context.Context, set Settings, last Run, now time.Time) (Digest, error) {
	since := last.At
	if since.IsZero() {
		since = now.Add(-s.cfg.FirstWindow)
	}
	items, err := s.cfg.Items(ctx, set, since)
	if err != nil {
		return Digest{}, fmt.Errorf("list articles since %s: %w", since.Format(time.RFC3339), err)
	}
	items = slices.DeleteFunc(slices.Clone(items), func(it Item) bool {
		return slices.Contains(last.Covered, cmp.Or(it.ID, it.URL))
	})
	return Build(ctx, items, since, now, s.options(set)), nil
}

// options fills the template with a channel's settings.
func (s *Scheduler) options(set Settings) Options {
	o := s.cfg.Options
	o.Lang, o.Loc, o.Keywords, o.Sources = set.Lang, set.loc(), set.Keywords, set.Sources
	return o
}

// Preview returns the digest the channel would get now, without posting
// or recording anything (/digest preview).
func (s *Scheduler) Preview(ctx context.Context, set Settings) (Digest, error) {
	if err := set.Validate(); err != nil {
		return Digest{}, err
	}
	return s.build(ctx, set, s.cfg.Store.Last(set.ChannelID), s.clock.Now())
}

// PostNow builds, posts and records the channel's digest at once (/digest
// now), even when nothing is new or the channel's scheduled time has not
// come. The scheduled digest of the day still follows, covering only what
// is newer (and is skipped when that is nothing and PostEmpty is off).
func (s *Scheduler) PostNow(ctx context.Context, set Settings) (Digest, error) {
	if err := set.Validate(); err != nil {
		return Digest{}, err
	}
	set.PostEmpty = true
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.settle(ctx, set.ChannelID); err != nil {
		return Digest{}, err
	}
	return s.post(ctx, set, s.clock.Now())
}
