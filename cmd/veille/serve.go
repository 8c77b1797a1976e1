package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/veille/veille/bot"
	"github.com/veille/veille/bot/digest"
	"github.com/veille/veille/rag"
	"github.com/veille/veille/rag/article"
	"github.com/veille/veille/rag/atomicfile"
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
	seen := modTime(a.indexPath())
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
	fc := a.feedControl(ix)
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
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return b.Run(gctx) })
	g.Go(func() error { return a.keepFresh(gctx, ix, fc.fetcher, seen) })
	g.Go(func() error { return sched.Run(gctx) })
	return g.Wait()
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
// /feeds with users, which may not — and reloads the index when another
// process (`veille ingest`) replaced it.
//
// seen is the index file's time from before ix was loaded.
func (a *app) keepFresh(ctx context.Context, ix *rag.Index, users *feeds.Fetcher, seen time.Time) error {
	log := a.log.With("component", "refresh")
	path := a.indexPath()
	trusted := feeds.New(feeds.Config{AllowPrivate: true, Logger: a.log.With("component", "feeds")})
	// Always scheduled: feeds may be added with /feeds at any time, and a
	// round without any feed costs nothing.
	nextFeeds := time.Now()
	tick := time.NewTicker(a.watchEvery)
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
		if !time.Now().Before(nextFeeds) {
			if t, err := a.refreshFeeds(ctx, ix, trusted, users); err != nil {
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

// refreshFeeds fetches due feeds — FEEDS with trusted, the user-added ones
// with users — and indexes what is new, under the writer lock; it returns
// the new index file's time when it saved one.
func (a *app) refreshFeeds(ctx context.Context, ix *rag.Index, trusted, users *feeds.Fetcher) (time.Time, error) {
	added, err := readUserFeeds(a.userFeedsPath())
	if err != nil {
		// The operator's feeds still get refreshed.
		a.log.Warn("user-added feeds skipped", "err", err)
	}
	groups := userFeedGroups(added, a.cfg.Feeds)
	if len(a.cfg.Feeds) == 0 && len(groups) == 0 {
		return time.Time{}, nil
	}
	var st *feeds.Store
	var fetched int
	res, err := rag.Update{
		Lock: a.lockWaiting,
		Articles: func(ctx context.Context) ([]article.Article, error) {
			var err error
			if st, err = feeds.OpenStore(filepath.Join(a.cfg.DataDir, feedStateName)); err != nil {
				return nil, err
			}
			// Each failing feed is logged by Refresh. One after the other, so
			// that the second round skips what the first one found.
			arts, _ := trusted.Refresh(ctx, a.cfg.Feeds, st)
			for _, g := range groups {
				more, _ := users.Refresh(ctx, g.urls, st)
				for i := range more {
					more[i].Guilds = g.guilds // only the servers that follow the feed see it
				}
				arts = append(arts, more...)
			}
			fetched = len(arts)
			return arts, nil
		},
		Saved: func() error {
			if err := st.Save(); err != nil {
				return fmt.Errorf("save feed state: %w", err)
			}
			return nil
		},
	}.Run(ctx, ix, a.indexPath())
	if err != nil {
		return time.Time{}, err
	}
	if fetched > 0 {
		a.log.Info("feeds refreshed", "new", res.Added, "updated", res.Updated, "chunks", res.Chunks)
	}
	return modTime(a.indexPath()), nil
}

// userFeedsName is the list of feeds added with /feeds in the data
// directory. Their refresh state lives in feeds.json with every other
// feed's; this list is what marks them as users' (untrusted) feeds.
const userFeedsName = "user_feeds.json"

func (a *app) userFeedsPath() string { return filepath.Join(a.cfg.DataDir, userFeedsName) }

// userFeed is one feed added with /feeds add, in one server: a feed two
// servers follow is listed twice.
type userFeed struct {
	URL string `json:"url"`
	// Guild is the server it was added in, whose articles its items
	// become. Empty for a feed added before servers were recorded: its
	// articles are the operator's, seen everywhere, as they were then.
	Guild   string    `json:"guild_id,omitzero"`
	AddedBy string    `json:"added_by,omitzero"` // Discord user ID
	AddedAt time.Time `json:"added_at"`
}

// sees reports whether server guild follows the feed (a feed recorded
// without a server belongs to every server).
func (f userFeed) sees(guild string) bool { return f.Guild == "" || f.Guild == guild }

// feedGroup is user-added feeds followed by the same servers.
type feedGroup struct {
	guilds []string // sorted; nil: the operator's (a feed without a server)
	urls   []string
}

// userFeedGroups groups the user-added feeds that FEEDS does not hold by
// the servers following them, so that each feed's articles are owned by
// exactly those servers.
func userFeedGroups(list []userFeed, operator []string) []feedGroup {
	owners := map[string][]string{}
	legacy := map[string]bool{}
	var order []string
	for _, f := range list {
		if slices.Contains(operator, f.URL) {
			continue
		}
		if _, seen := owners[f.URL]; !seen && !legacy[f.URL] {
			order = append(order, f.URL)
		}
		if f.Guild == "" {
			legacy[f.URL] = true
			continue
		}
		owners[f.URL] = append(owners[f.URL], f.Guild)
	}
	var groups []feedGroup
	at := map[string]int{}
	for _, u := range order {
		var g []string
		if !legacy[u] {
			g = slices.Clone(owners[u])
			slices.Sort(g)
			g = slices.Compact(g)
		}
		key := strings.Join(g, ",")
		i, ok := at[key]
		if !ok {
			i = len(groups)
			at[key] = i
			groups = append(groups, feedGroup{guilds: g})
		}
		groups[i].urls = append(groups[i].urls, u)
	}
	return groups
}

// userFeedsFile is the on-disk form of the user-added feeds.
type userFeedsFile struct {
	Version int        `json:"version"`
	Feeds   []userFeed `json:"feeds"`
}

// readUserFeeds reads the user-added feeds; a missing file is none.
func readUserFeeds(path string) ([]userFeed, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read user feeds: %w", err)
	}
	var f userFeedsFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("read user feeds %s: %w", path, err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("read user feeds %s: unknown version %d", path, f.Version)
	}
	return f.Feeds, nil
}

// writeUserFeeds replaces the list through atomicfile, so a reader or a
// crash sees the old list or the new one, never half of one. Callers hold
// the writer lock.
func writeUserFeeds(path string, list []userFeed) error {
	data, err := json.MarshalIndent(userFeedsFile{Version: 1, Feeds: list}, "", "  ")
	if err != nil {
		return fmt.Errorf("write user feeds: %w", err)
	}
	// Owner-only, as the file has always been written (os.CreateTemp's mode).
	if err := atomicfile.Write(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("write user feeds: %w", err)
	}
	return nil
}

// feedControl is the bot's /feeds (a bot.FeedControl): users' URLs are
// read with a fetcher that refuses private addresses (no allow-list), and
// whatever they hold is indexed at once under the writer lock.
type feedControl struct {
	app     *app
	ix      *rag.Index
	fetcher *feeds.Fetcher // AllowPrivate false: URLs from Discord members
	now     func() time.Time
}

var _ bot.FeedControl = (*feedControl)(nil)

// feedControl returns the /feeds control over ix; its fetcher also
// refreshes the user-added feeds.
func (a *app) feedControl(ix *rag.Index) *feedControl {
	return &feedControl{app: a, ix: ix, now: time.Now,
		fetcher: feeds.New(feeds.Config{AllowPrivate: false, Logger: a.log.With("component", "feeds", "trust", "user")})}
}

// Add fetches u as a feed (with an empty state, so that all its items are
// new), else as an article page, then indexes the articles as server
// guild's and records the feed's state and the feed as user-added in
// guild, all under the writer lock. Another server may follow the same
// feed: its articles are then both servers'.
func (c *feedControl) Add(ctx context.Context, guild, u, by string) (bot.SourceAdded, error) {
	if guild == "" {
		// An article without a server would be everyone's.
		return bot.SourceAdded{}, errors.New("add source: no server to add it to")
	}
	if slices.Contains(c.app.cfg.Feeds, u) {
		return bot.SourceAdded{}, bot.ErrFeedFollowed
	}
	followed := func(f userFeed) bool { return f.URL == u && f.sees(guild) }
	if list, err := readUserFeeds(c.app.userFeedsPath()); err != nil {
		return bot.SourceAdded{}, err
	} else if slices.ContainsFunc(list, followed) {
		return bot.SourceAdded{}, bot.ErrFeedFollowed
	}
	out := bot.SourceAdded{URL: u}
	arts, state, err := c.fetcher.Feed(ctx, u, feeds.State{})
	var notFeed *feeds.NotFeedError
	switch {
	case err == nil:
		if len(arts) > 0 {
			out.Title = arts[0].Source
		}
	case errors.As(err, &notFeed) && len(notFeed.Alternates) > 0:
		return out, &bot.FeedSuggestionError{URL: u, Feeds: notFeed.Alternates}
	case errors.As(err, &notFeed):
		page, perr := c.fetcher.Page(ctx, u)
		if perr != nil {
			return out, c.fetchErr(ctx, u, perr)
		}
		arts, out.Page, out.URL, out.Title = []article.Article{page}, true, cmp.Or(page.URL, u), page.Title
	default:
		return out, c.fetchErr(ctx, u, err)
	}
	for i := range arts {
		arts[i].Guilds = []string{guild}
	}

	res, err := rag.Update{
		Lock:     c.app.lockWaiting,
		Articles: func(context.Context) ([]article.Article, error) { return arts, nil },
		Saved: func() error {
			if out.Page {
				return nil
			}
			st, err := feeds.OpenStore(filepath.Join(c.app.cfg.DataDir, feedStateName))
			if err != nil {
				return err
			}
			st.Put(state)
			if err := st.Save(); err != nil {
				return fmt.Errorf("save feed state: %w", err)
			}
			list, err := readUserFeeds(c.app.userFeedsPath())
			if err != nil {
				return err
			}
			if slices.ContainsFunc(list, followed) {
				return nil
			}
			list = append(list, userFeed{URL: u, Guild: guild, AddedBy: by, AddedAt: c.now().UTC()})
			return writeUserFeeds(c.app.userFeedsPath(), list)
		},
	}.Run(ctx, c.ix, c.app.indexPath())
	out.Added, out.Updated = res.Added, res.Updated
	if err != nil {
		return out, fmt.Errorf("add %s: %w", u, err)
	}
	if out.Page {
		return out, nil
	}
	c.app.log.Info("user feed added", "feed_url", u, "guild_id", guild, "user_id", by, "new", out.Added)
	return out, nil
}

// lockWaiting takes the data directory's writer lock, waiting at most
// app.lockWait for another writer (a refresh, `veille ingest`).
func (a *app) lockWaiting(ctx context.Context) (func() error, error) {
	wait, cancel := context.WithTimeout(ctx, a.lockWait)
	defer cancel()
	return rag.LockDir(wait, a.cfg.DataDir)
}

// fetchErr sorts a failed fetch of a member's URL: a private address or an
// unreadable source is the member's to fix; a cancelled ctx is not.
func (c *feedControl) fetchErr(ctx context.Context, u string, err error) error {
	switch {
	case errors.Is(err, feeds.ErrPrivateAddress):
		return fmt.Errorf("%w: %w", bot.ErrPrivateURL, err)
	case ctx.Err() != nil:
		return err
	}
	return &bot.UnreadableSourceError{URL: u, Err: err}
}

// Remove forgets a feed server guild added (or one recorded without a
// server), and its refresh state once no server follows it; its articles
// stay indexed.
func (c *feedControl) Remove(ctx context.Context, guild, u string) (bool, error) {
	if slices.Contains(c.app.cfg.Feeds, u) {
		return false, bot.ErrOperatorFeed
	}
	release, err := c.app.lockWaiting(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	list, err := readUserFeeds(c.app.userFeedsPath())
	if err != nil {
		return false, err
	}
	kept := slices.DeleteFunc(slices.Clone(list), func(f userFeed) bool { return f.URL == u && f.sees(guild) })
	if len(kept) == len(list) {
		return false, nil
	}
	// The list first: once it is written the feed is no longer refreshed,
	// whatever happens to its state.
	if err := writeUserFeeds(c.app.userFeedsPath(), kept); err != nil {
		return false, err
	}
	if slices.ContainsFunc(kept, func(f userFeed) bool { return f.URL == u }) {
		c.app.log.Info("user feed removed", "feed_url", u, "guild_id", guild, "still_followed", true)
		return true, nil // another server still follows it
	}
	st, err := feeds.OpenStore(filepath.Join(c.app.cfg.DataDir, feedStateName))
	if err != nil {
		return true, err
	}
	st.Delete(u)
	if err := st.Save(); err != nil {
		return true, fmt.Errorf("save feed state: %w", err)
	}
	c.app.log.Info("user feed removed", "feed_url", u, "guild_id", guild)
	return true, nil
}

// Health reports FEEDS then the feeds server guild added (or that were
// recorded without a server), with their refresh state; with
// SHARE_SERVER_SOURCES, every server's additions, marked Shared.
func (c *feedControl) Health(_ context.Context, guild string) ([]bot.FeedHealth, error) {
	list, err := readUserFeeds(c.app.userFeedsPath())
	if err != nil {
		return nil, err
	}
	st, err := feeds.OpenStore(filepath.Join(c.app.cfg.DataDir, feedStateName))
	if err != nil {
		return nil, err
	}
	health := func(u string, user bool) bot.FeedHealth {
		s := st.Get(u)
		return bot.FeedHealth{URL: u, UserAdded: user, LastSuccess: s.LastSuccess, Failures: s.Failures,
			LastError: s.LastError, NextAttempt: s.NextAttempt}
	}
	var out []bot.FeedHealth
	for _, u := range c.app.cfg.Feeds {
		out = append(out, health(u, false))
	}
	listed := map[string]int{} // URL → index in out
	for _, f := range list {
		if slices.Contains(c.app.cfg.Feeds, f.URL) || (!f.sees(guild) && !c.app.cfg.ShareSources) {
			continue
		}
		if i, ok := listed[f.URL]; ok {
			out[i].Shared = out[i].Shared && !f.sees(guild)
			continue
		}
		h := health(f.URL, true)
		h.Shared = !f.sees(guild)
		listed[f.URL] = len(out)
		out = append(out, h)
	}
	return out, nil
}

func modTime(path string) time.Time {
	st, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return st.ModTime()
}
