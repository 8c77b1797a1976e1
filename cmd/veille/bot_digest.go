package main

import (
	"context"
	"fmt"
	"github.com/veille/veille/rag/answer"
	"path/filepath"
	"time"

	"github.com/veille/veille/bot"
	"github.com/veille/veille/bot/digest"
)

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
func (a *app) digestScheduler(eng *answer.Engine, b *bot.Bot, dc *digestControl) (*digest.Scheduler, error) {
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
