package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/veille/veille/bot"
	"github.com/veille/veille/bot/digest"
	"github.com/veille/veille/bot/feedlist"
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
	// The file's time before loading: a write that lands while the index
	// loads or the bot starts is then seen as a change, never missed.
	seen := feedlist.ModTime(a.indexPath())
	ix, err := a.openIndex(ctx)
	if err != nil {
		return err
	}
	// No overall model budget: the bot bounds each answer (AnswerTimeout).
	eng, err := a.engine(ix, 0)
	if err != nil {
		return err
	}
	dc, err := a.digestControl()
	if err != nil {
		return err
	}
	fc := a.feedControl(ix, a.userFetcher())
	b, err := bot.New(bot.Config{
		Token:        string(a.cfg.DiscordToken),
		GuildID:      a.cfg.DiscordGuildID,
		APIBase:      a.cfg.DiscordAPIBase,
		HTTPClient:   a.httpClient,
		Logger:       a.log.With("component", "bot"),
		FeedbackPath: filepath.Join(a.cfg.DataDir, "feedback.jsonl"),
		Digest:       dc,
		Feeds:        fc,
		ShareSources: a.cfg.ShareSources,
	}, eng)
	if err != nil {
		return err
	}
	// The scheduler runs even without DIGEST_CHANNEL_ID: channels set up
	// with /digest config get their digest too.
	sched, err := a.digestScheduler(eng, b, dc)
	if err != nil {
		return err
	}
	a.log.Info("starting", "config", a.cfg)
	// Stopped in this order: no digest is begun on a closing session, and
	// the index writer (the refresh loop) finishes its save last.
	return runInOrder(ctx, stopWait, a.log,
		component{"digest", sched.Run},
		component{"bot", b.Run},
		component{"refresh", func(ctx context.Context) error { return a.keepFresh(ctx, ix, fc, seen) }},
	)
}

// The bot streams /ask answers (drafts edited in as the model writes) when
// its Pipeline has this method; a change of signature would silently turn
// streaming off, so it is checked here.
var _ interface {
	AskStream(ctx context.Context, question string, opts rag.SearchOptions, onDelta func(string)) (rag.Answer, error)
} = (*rag.Engine)(nil)

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
func (a *app) digestScheduler(eng *rag.Engine, b *bot.Bot, dc *digestControl) (*digest.Scheduler, error) {
	log := a.log.With("component", "digest")
	ix := eng.Index()
	sched, err := digest.NewScheduler(digest.SchedulerConfig{
		Store: dc.store,
		Channels: func() []digest.Settings {
			chs, err := dc.channels()
			if err != nil {
				log.Warn("digest channel settings skipped", "err", err)
			}
			return chs
		},
		Items: func(ctx context.Context, set digest.Settings, since time.Time) ([]digest.Item, error) {
			return digestItems(ctx, ix, b.Scope(set.GuildID), since)
		},
		Post:    b.PostDigest,
		Posted:  b.DigestPosted,
		Options: digestOptions(eng, newSimilarity(log)),
		Logger:  log,
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

// keepFresh refreshes the feeds every FEED_REFRESH (with jitter) — FEEDS
// with a fetcher that may reach private addresses, the feeds added with
// /feeds with fc's, which may not — and reloads the index when another
// process (`veille ingest`) replaced it.
//
// seen is the index file's time from before ix was loaded.
func (a *app) keepFresh(ctx context.Context, ix *rag.Index, fc *feedlist.Control, seen time.Time) error {
	trusted := feeds.New(feeds.Config{AllowPrivate: true, Logger: a.log.With("component", "feeds")})
	return feedlist.Loop{
		Index:      ix,
		Path:       a.indexPath(),
		Seen:       seen,
		Refresh:    func(ctx context.Context) (time.Time, error) { return fc.Refresh(ctx, trusted) },
		FeedEvery:  a.cfg.FeedRefresh,
		WatchEvery: a.watchEvery,
		Clock:      digest.SystemClock{},
		Logger:     a.log.With("component", "refresh"),
	}.Run(ctx)
}

// feedControl returns the /feeds control over ix, reading members' URLs
// with users (userFetcher outside tests); users also refreshes the
// user-added feeds.
func (a *app) feedControl(ix *rag.Index, users *feeds.Fetcher) *feedlist.Control {
	return feedlist.New(feedlist.Config{
		ListPath:     a.userFeedsPath(),
		StatePath:    filepath.Join(a.cfg.DataDir, feedStateName),
		IndexPath:    a.indexPath(),
		Index:        ix,
		Lock:         a.lockWaiting,
		Fetcher:      users,
		Operator:     a.cfg.Feeds,
		ShareSources: a.cfg.ShareSources,
		Logger:       a.log,
	})
}

// userFetcher reads URLs from Discord members: it refuses private
// addresses (no allow-list).
func (a *app) userFetcher() *feeds.Fetcher {
	return feeds.New(feeds.Config{AllowPrivate: false, Logger: a.log.With("component", "feeds", "trust", "user")})
}

func (a *app) userFeedsPath() string { return filepath.Join(a.cfg.DataDir, feedlist.FileName) }

// lockWaiting takes the data directory's writer lock, waiting at most
// app.lockWait for another writer (a refresh, `veille ingest`).
func (a *app) lockWaiting(ctx context.Context) (func() error, error) {
	wait, cancel := context.WithTimeout(ctx, a.lockWait)
	defer cancel()
	return rag.LockDir(wait, a.cfg.DataDir)
}
