package feedlist

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/veille/veille/bot"
	"github.com/veille/veille/rag"
	"github.com/veille/veille/rag/article"
	"github.com/veille/veille/rag/feeds"
)

// Config wires a Control.
type Config struct {
	// ListPath is the user feeds list (FileName in the data directory),
	// StatePath the feed refresh state (feeds.json), IndexPath the index
	// file Index is saved to.
	ListPath, StatePath, IndexPath string
	Index                          *rag.Index
	// Lock takes the data directory's writer lock (bounded by its own
	// wait) and returns its release.
	Lock func(ctx context.Context) (release func() error, err error)
	// Fetcher reads members' URLs: it should refuse private addresses.
	// It also refreshes the user-added feeds.
	Fetcher *feeds.Fetcher
	// Operator is FEEDS: members can neither add nor remove them.
	Operator []string
	// ShareSources lists every server's additions in Health, marked Shared.
	ShareSources bool
	// Logger defaults to discarding; Now to time.Now.
	Logger *slog.Logger
	Now    func() time.Time
}

// Control is the bot's /feeds (a bot.FeedControl): members' URLs are read
// with the Config's Fetcher, and whatever they hold is indexed at once
// under the writer lock.
type Control struct {
	cfg Config
	log *slog.Logger
}

var _ bot.FeedControl = (*Control)(nil)

// New returns the /feeds control cfg describes.
func New(cfg Config) *Control {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Control{cfg: cfg, log: log}
}

// Add fetches u as a feed (with an empty state, so that all its items are
// new), else as an article page, then indexes the articles as server
// guild's and records the feed's state and the feed as user-added in
// guild, all under the writer lock. Another server may follow the same
// feed: its articles are then both servers'.
func (c *Control) Add(ctx context.Context, guild, u, by string) (bot.SourceAdded, error) {
	if guild == "" {
		// An article without a server would be everyone's.
		return bot.SourceAdded{}, errors.New("add source: no server to add it to")
	}
	if slices.Contains(c.cfg.Operator, u) {
		return bot.SourceAdded{}, bot.ErrFeedFollowed
	}
	followed := func(f Entry) bool { return f.URL == u && f.Sees(guild) }
	if list, err := Read(c.cfg.ListPath); err != nil {
		return bot.SourceAdded{}, err
	} else if slices.ContainsFunc(list, followed) {
		return bot.SourceAdded{}, bot.ErrFeedFollowed
	}
	out, arts, state, err := c.fetch(ctx, u)
	if err != nil {
		return out, err
	}
	for i := range arts {
		arts[i].Guilds = []string{guild}
	}
	res, err := rag.Update{
		Lock:     c.cfg.Lock,
		Articles: func(context.Context) ([]article.Article, error) { return arts, nil },
		Saved: func() error {
			if out.Page {
				return nil
			}
			st, err := feeds.OpenStore(c.cfg.StatePath)
			if err != nil {
				return err
			}
			st.Put(state)
			if err := st.Save(); err != nil {
				return fmt.Errorf("save feed state: %w", err)
			}
			list, err := Read(c.cfg.ListPath)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(list, followed) {
				return nil
			}
			list = append(list, Entry{URL: u, Guild: guild, AddedBy: by, AddedAt: c.cfg.Now().UTC()})
			return Write(c.cfg.ListPath, list)
		},
	}.Run(ctx, c.cfg.Index, c.cfg.IndexPath)
	out.Added, out.Updated = res.Added, res.Updated
	if err != nil {
		return out, fmt.Errorf("add %s: %w", u, err)
	}
	if out.Page {
		return out, nil
	}
	c.log.Info("user feed added", "feed_url", u, "guild_id", guild, "user_id", by, "new", out.Added)
	return out, nil
}

// fetch reads u as a feed, else as an article page (unless it advertises
// feeds: they are suggested instead).
func (c *Control) fetch(ctx context.Context, u string) (bot.SourceAdded, []article.Article, feeds.State, error) {
	out := bot.SourceAdded{URL: u}
	arts, state, err := c.cfg.Fetcher.Feed(ctx, u, feeds.State{})
	var notFeed *feeds.NotFeedError
	switch {
	case err == nil:
		if len(arts) > 0 {
			out.Title = arts[0].Source
		}
	case errors.As(err, &notFeed) && len(notFeed.Alternates) > 0:
		return out, nil, state, &bot.FeedSuggestionError{URL: u, Feeds: notFeed.Alternates}
	case errors.As(err, &notFeed):
		page, perr := c.cfg.Fetcher.Page(ctx, u)
		if perr != nil {
			return out, nil, state, fetchErr(ctx, u, perr)
		}
		arts, out.Page, out.URL, out.Title = []article.Article{page}, true, cmp.Or(page.URL, u), page.Title
	default:
		return out, nil, state, fetchErr(ctx, u, err)
	}
	return out, arts, state, nil
}

// fetchErr sorts a failed fetch of a member's URL: a private address or an
// unreadable source is the member's to fix; a cancelled ctx is not.
func fetchErr(ctx context.Context, u string, err error) error {
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
func (c *Control) Remove(ctx context.Context, guild, u string) (bool, error) {
	if slices.Contains(c.cfg.Operator, u) {
		return false, bot.ErrOperatorFeed
	}
	release, err := c.cfg.Lock(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	list, err := Read(c.cfg.ListPath)
	if err != nil {
		return false, err
	}
	kept := slices.DeleteFunc(slices.Clone(list), func(f Entry) bool { return f.URL == u && f.Sees(guild) })
	if len(kept) == len(list) {
		return false, nil
	}
	// The list first: once it is written the feed is no longer refreshed,
	// whatever happens to its state.
	if err := Write(c.cfg.ListPath, kept); err != nil {
		return false, err
	}
	if slices.ContainsFunc(kept, func(f Entry) bool { return f.URL == u }) {
		c.log.Info("user feed removed", "feed_url", u, "guild_id", guild, "still_followed", true)
		return true, nil // another server still follows it
	}
	st, err := feeds.OpenStore(c.cfg.StatePath)
	if err != nil {
		return true, err
	}
	st.Delete(u)
	if err := st.Save(); err != nil {
		return true, fmt.Errorf("save feed state: %w", err)
	}
	c.log.Info("user feed removed", "feed_url", u, "guild_id", guild)
	return true, nil
}

// Health reports the operator's feeds then the feeds server guild added
// (or that were recorded without a server), with their refresh state; with
// ShareSources, every server's additions, marked Shared.
func (c *Control) Health(_ context.Context, guild string) ([]bot.FeedHealth, error) {
	list, err := Read(c.cfg.ListPath)
	if err != nil {
		return nil, err
	}
	st, err := feeds.OpenStore(c.cfg.StatePath)
	if err != nil {
		return nil, err
	}
	health := func(u string, user bool) bot.FeedHealth {
		s := st.Get(u)
		return bot.FeedHealth{URL: u, UserAdded: user, LastSuccess: s.LastSuccess, Failures: s.Failures,
			LastError: s.LastError, NextAttempt: s.NextAttempt}
	}
	var out []bot.FeedHealth
	for _, u := range c.cfg.Operator {
		out = append(out, health(u, false))
	}
	listed := map[string]int{} // URL → index in out
	for _, f := range list {
		if slices.Contains(c.cfg.Operator, f.URL) || (!f.Sees(guild) && !c.cfg.ShareSources) {
			continue
		}
		if i, ok := listed[f.URL]; ok {
			out[i].Shared = out[i].Shared && !f.Sees(guild)
			continue
		}
		h := health(f.URL, true)
		h.Shared = !f.Sees(guild)
		listed[f.URL] = len(out)
		out = append(out, h)
	}
	return out, nil
}
