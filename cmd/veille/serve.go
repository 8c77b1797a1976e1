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
	b, err := bot.New(bot.Config{
		Token:        string(a.cfg.DiscordToken),
		GuildID:      a.cfg.DiscordGuildID,
		APIBase:      a.cfg.DiscordAPIBase,
		HTTPClient:   a.httpClient,
		Logger:       a.log.With("component", "bot"),
		FeedbackPath: filepath.Join(a.cfg.DataDir, "feedback.jsonl"),
	}, eng)
	if err != nil {
		return err
	}
	a.log.Info("starting", "config", a.cfg)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return b.Run(gctx) })
	g.Go(func() error { return a.keepFresh(gctx, ix) })
	if a.cfg.DigestChannelID != "" {
		sched, err := a.digestScheduler(ix, b)
		if err != nil {
			return err
		}
		g.Go(func() error { return sched.Run(gctx) })
	}
	return g.Wait()
}

// digestScheduler posts the daily digest to DIGEST_CHANNEL_ID (and to any
// channel configured in the digest state file) at DIGEST_TIME, DIGEST_TZ.
func (a *app) digestScheduler(ix *rag.Index, b *bot.Bot) (*digest.Scheduler, error) {
	st, err := digest.OpenStore(filepath.Join(a.cfg.DataDir, digestStateName))
	if err != nil {
		return nil, err
	}
	def := digest.Settings{ChannelID: a.cfg.DigestChannelID, At: a.cfg.DigestTime, Loc: a.cfg.DigestTZ, Lang: "fr"}
	if err := def.Validate(); err != nil {
		return nil, &configError{errs: []error{fmt.Errorf("digest: %w", err)}}
	}
	log := a.log.With("component", "digest")
	return digest.NewScheduler(digest.SchedulerConfig{
		Store: st,
		Channels: func() []digest.Settings {
			chs, err := st.Channels(def)
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
