package main

import (
	"context"
	"errors"
	"flag"
	"github.com/veille/veille/rag/answer"
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
} = (*answer.Engine)(nil)

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
