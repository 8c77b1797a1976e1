package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/veille/veille/bot"
	"github.com/veille/veille/bot/digest"
	"github.com/veille/veille/rag"
	"github.com/veille/veille/rag/feeds"
)

// serve runs the Discord bot with its background jobs: feed refresh and
// picking up what other processes wrote to the data directory.
func (a *app) serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bot", flag.ContinueOnError)
	if pos, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("usage: veille bot")
	}
	if a.cfg.DiscordToken == "" {
		return &configError{errs: []error{errors.New("DISCORD_TOKEN: required for `veille bot` (see .env.example)")}}
	}
	ix, err := a.openIndex(ctx)
	if err != nil {
		return err
	}
	eng, err := a.newEngine(ix)
	if err != nil {
		return err
	}
	dc, err := a.digestControl()
	if err != nil {
		return err
	}
	b, err := bot.New(bot.Config{
		Token:        string(a.cfg.DiscordToken),
		GuildID:      a.cfg.DiscordGuildID,
		APIBase:      a.cfg.DiscordAPIBase,
		HTTPClient:   a.httpClient,
		Logger:       a.log.With("component", "bot"),
		FeedbackPath: filepath.Join(a.cfg.DataDir, "feedback.jsonl"),
		Digest:       dc,
	}, eng)
	if err != nil {
		return err
	}
	// The scheduler runs even without DIGEST_CHANNEL_ID: channels set up
	// with /digest config get their digest too.
	sched, err := a.digestScheduler(ix, b, dc)
	if err != nil {
		return err
	}
	a.log.Info("starting", "config", a.cfg)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return b.Run(gctx) })
	g.Go(func() error { return a.keepFresh(gctx, ix) })
	g.Go(func() error { return sched.Run(gctx) })
	return g.Wait()
}

// digestControl opens the digest state file and the defaults from
// DIGEST_CHANNEL_ID, DIGEST_TIME and DIGEST_TZ.
func (a *app) digestControl() (*digestControl, error) {
	st, err := digest.OpenStore(filepath.Join(a.cfg.DataDir, digestStateName))
	if err != nil {
		return nil, err
	}
	dc := &digestControl{store: st, envChannel: a.cfg.DigestChannelID,
		def: digest.Settings{At: a.cfg.DigestTime, Loc: a.cfg.DigestTZ, Lang: "fr"}}
	if dc.envChannel != "" {
		if err := dc.defaults(dc.envChannel).Validate(); err != nil {
			return nil, &configError{errs: []error{fmt.Errorf("digest: %w", err)}}
		}
	}
	return dc, nil
}

// digestScheduler posts the daily digest to DIGEST_CHANNEL_ID and to every
// channel configured with /digest (kept in the digest state file), each at
// its time of day; it becomes dc's scheduler.
func (a *app) digestScheduler(ix *rag.Index, b *bot.Bot, dc *digestControl) (*digest.Scheduler, error) {
	log := a.log.With("component", "digest")
	sched, err := digest.NewScheduler(digest.SchedulerConfig{
		Store: dc.store,
		Channels: func() []digest.Settings {
			chs, err := dc.channels()
			if err != nil {
				log.Warn("digest channel settings skipped", "err", err)
			}
			return chs
		},
		Items: func(ctx context.Context, since time.Time) ([]digest.Item, error) {
			return digestItems(ctx, ix, since)
		},
		Post:   b.PostDigest,
		Posted: b.DigestPosted,
		Logger: log,
	})
	if err != nil {
		return nil, err
	}
	dc.sched = sched
	return sched, nil
}

// digestControl is the bot's /digest (a bot.DigestControl) over the digest
// state file and scheduler. A channel not configured yet starts from the
// DIGEST_* defaults; DIGEST_CHANNEL_ID gets a digest with them until it is
// configured.
type digestControl struct {
	store      *digest.Store
	sched      *digest.Scheduler // set by digestScheduler, before the bot runs
	envChannel string            // DIGEST_CHANNEL_ID, may be ""
	def        digest.Settings   // DIGEST_TIME, DIGEST_TZ, French; no channel
}

var _ bot.DigestControl = (*digestControl)(nil)

// defaults returns the default settings for a channel.
func (c *digestControl) defaults(channelID string) digest.Settings {
	s := c.def
	s.ChannelID = channelID
	return s
}

// channels returns every digest channel's settings.
func (c *digestControl) channels() ([]digest.Settings, error) {
	if c.envChannel == "" {
		return c.store.Channels()
	}
	return c.store.Channels(c.defaults(c.envChannel))
}

// Settings returns the channel's settings and whether it gets a digest;
// the defaults for a channel that does not.
func (c *digestControl) Settings(_ context.Context, channelID string) (digest.Settings, bool) {
	// Stored settings with an unknown zone are left out (the scheduler
	// logs them): the channel then starts again from the defaults.
	chs, _ := c.channels()
	for _, s := range chs {
		if s.ChannelID == channelID {
			return s, true
		}
	}
	return c.defaults(channelID), false
}

// Preview builds the digest the channel would get now.
func (c *digestControl) Preview(ctx context.Context, channelID string) (digest.Digest, error) {
	s, _ := c.Settings(ctx, channelID)
	return c.sched.Preview(ctx, s)
}

// PostNow posts and records the channel's digest at once.
func (c *digestControl) PostNow(ctx context.Context, channelID string) error {
	s, _ := c.Settings(ctx, channelID)
	_, err := c.sched.PostNow(ctx, s)
	return err
}

// Configure validates and stores a channel's settings, and wakes the
// scheduler so that they apply at once.
func (c *digestControl) Configure(_ context.Context, s digest.Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if err := c.store.Configure(s); err != nil {
		return fmt.Errorf("configure digest of channel %s: %w", s.ChannelID, err)
	}
	c.sched.Wake()
	return nil
}

// Unconfigure removes a channel's settings and wakes the scheduler.
func (c *digestControl) Unconfigure(_ context.Context, channelID string) error {
	if err := c.store.Unconfigure(channelID); err != nil {
		return fmt.Errorf("unconfigure digest of channel %s: %w", channelID, err)
	}
	c.sched.Wake()
	return nil
}

// keepFresh refreshes the configured feeds every FEED_REFRESH (with jitter)
// and reloads the index when another process (`veille ingest`) replaced it.
func (a *app) keepFresh(ctx context.Context, ix *rag.Index) error {
	log := a.log.With("component", "refresh")
	path := a.indexPath()
	seen := modTime(path)
	fetcher := feeds.New(feeds.Config{AllowPrivate: true, Logger: a.log.With("component", "feeds")})
	nextFeeds := time.Now()
	if len(a.cfg.Feeds) == 0 {
		nextFeeds = time.Time{}
	}
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		if t := modTime(path); !t.Equal(seen) {
			if err := ix.Reload(ctx, path); err != nil {
				log.Warn("index changed on disk but could not be reloaded", "err", err)
			} else {
				log.Info("index reloaded", "articles", ix.Len())
			}
			seen = t
		}
		if !nextFeeds.IsZero() && !time.Now().Before(nextFeeds) {
			if t, err := a.refreshFeeds(ctx, ix, fetcher); err != nil {
				log.Warn("feed refresh failed", "err", err)
			} else if !t.IsZero() {
				seen = t
			}
			jitter := time.Duration(rand.Int64N(int64(a.cfg.FeedRefresh/10) + 1))
			nextFeeds = time.Now().Add(a.cfg.FeedRefresh - a.cfg.FeedRefresh/20 + jitter)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// refreshFeeds fetches due feeds and indexes what is new, under the writer
// lock; it returns the new index file's time when it saved one.
func (a *app) refreshFeeds(ctx context.Context, ix *rag.Index, f *feeds.Fetcher) (time.Time, error) {
	wait, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	release, err := rag.LockDir(wait, a.cfg.DataDir)
	if err != nil {
		return time.Time{}, err
	}
	defer release()
	// Someone may have written the index since we loaded it: start from theirs.
	if err := ix.Reload(ctx, a.indexPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, err
	}
	st, err := feeds.OpenStore(filepath.Join(a.cfg.DataDir, feedStateName))
	if err != nil {
		return time.Time{}, err
	}
	arts, _ := f.Refresh(ctx, a.cfg.Feeds, st) // each failing feed is logged by Refresh
	if len(arts) > 0 {
		res, err := ix.Add(ctx, arts, nil)
		if err != nil {
			return time.Time{}, fmt.Errorf("index feed articles: %w", err)
		}
		if err := ix.Save(ctx, a.indexPath()); err != nil {
			return time.Time{}, err
		}
		a.log.Info("feeds refreshed", "new", res.Added, "updated", res.Updated, "chunks", res.Chunks)
	}
	if err := st.Save(); err != nil {
		return time.Time{}, fmt.Errorf("save feed state: %w", err)
	}
	return modTime(a.indexPath()), nil
}

func modTime(path string) time.Time {
	st, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return st.ModTime()
}
