package bot

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// FeedControl is what /feeds and the feed health in /sources need from the
// feed refresher; bot/feedlist implements it over the feed state files, a
// fetcher that refuses private addresses, and the index. URLs come from
// Discord members and are untrusted.
type FeedControl interface {
	// Add reads url as a feed — or, when it is an article page, as one
	// article — and indexes what it holds at once. A feed is kept and
	// refreshed with the others from then on. guild is the server it was
	// added in, whose articles they become (see rag.Scope); by is the
	// member who asked. It returns ErrPrivateURL, ErrFeedFollowed, a
	// *FeedSuggestionError or an *UnreadableSourceError for the member's
	// mistakes.
	Add(ctx context.Context, guild, url, by string) (SourceAdded, error)
	// Remove stops refreshing a feed server guild added with Add; its
	// articles stay indexed. It reports false when url is no such feed,
	// and returns ErrOperatorFeed for a feed of the bot's own
	// configuration.
	Remove(ctx context.Context, guild, url string) (removed bool, err error)
	// Health reports the feeds the bot refreshes that server guild sees
	// (the operator's and its own additions), in a stable order.
	Health(ctx context.Context, guild string) ([]FeedHealth, error)
}

// SourceAdded is what FeedControl.Add did.
type SourceAdded struct {
	URL   string // the feed, or the page's canonical URL
	Title string // the feed's or the page's title; may be empty
	// Page is set when the URL was an article page: indexed once, not followed.
	Page    bool
	Added   int // articles new to the index
	Updated int // articles already indexed whose text changed
}

// FeedHealth is the state of one refreshed feed.
type FeedHealth struct {
	URL       string
	UserAdded bool // added with /feeds add, rather than configured (FEEDS)
	// Shared marks a feed another server added, listed because the
	// operator shares every server's additions.
	Shared bool
	// LastSuccess is the last successful fetch; zero if none yet.
	LastSuccess time.Time
	// Failures counts the failed fetches since the last success, and
	// LastError is the last one's error.
	Failures  int
	LastError string
	// NextAttempt is when a failing feed is tried again; zero when due.
	NextAttempt time.Time
}

// Conditions FeedControl reports for the bot to explain.
var (
	// ErrPrivateURL reports a URL that reaches a loopback, private or
	// link-local address, directly, through DNS or through a redirect.
	ErrPrivateURL = errors.New("URL reaches a private address")
	// ErrFeedFollowed reports a feed the bot already refreshes.
	ErrFeedFollowed = errors.New("feed already followed")
	// ErrOperatorFeed reports a feed of the bot's configuration, which
	// /feeds remove cannot change.
	ErrOperatorFeed = errors.New("feed configured by the operator")
)

// FeedSuggestionError reports a page that is neither a feed nor an
// article but advertises feeds: the member should add one of those.
type FeedSuggestionError struct {
	URL   string
	Feeds []string
}

func (e *FeedSuggestionError) Error() string {
	return fmt.Sprintf("%s is a page linking to feeds %s", e.URL, strings.Join(e.Feeds, ", "))
}

// UnreadableSourceError reports a URL that could not be read as a feed or
// an article page: an HTTP error, a timeout, a page without article text.
// Err says why, in terms fit for the admin who asked.
type UnreadableSourceError struct {
	URL string
	Err error
}

func (e *UnreadableSourceError) Error() string { return "read " + e.URL + ": " + e.Err.Error() }

func (e *UnreadableSourceError) Unwrap() error { return e.Err }

// maxFeedURL bounds the url option of /feeds.
const maxFeedURL = 500

// feedsCommand is /feeds add|remove: admins only (Manage Server), in
// servers only, answered to the admin alone. /sources stays open to all.
func (b *Bot) feedsCommand() command {
	urlOpt := func(desc, frDesc string) *discordgo.ApplicationCommandOption {
		o := textOption("url", "url", desc, frDesc, true)
		o.MaxLength = maxFeedURL
		return o
	}
	return command{def: &discordgo.ApplicationCommand{
		Name: "feeds", NameLocalizations: fr("flux"),
		Description:              "Add or remove a news feed or page Veille reads",
		DescriptionLocalizations: fr("Ajouter ou retirer un flux ou une page que Veille lit"),
		DefaultMemberPermissions: ptr(int64(discordgo.PermissionManageGuild)),
		Contexts:                 &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild},
		Options: []*discordgo.ApplicationCommandOption{
			subcommand("add", "ajouter", "Follow an RSS/Atom/JSON feed, or index one article page", "Suivre un flux RSS/Atom/JSON, ou indexer une page d'article",
				urlOpt("Address of the feed or of the article page", "Adresse du flux ou de la page d'article")),
			subcommand("remove", "retirer", "Stop following a feed added with /feeds add", "Ne plus suivre un flux ajouté avec /flux ajouter",
				urlOpt("Address of the feed", "Adresse du flux")),
		},
	}, handle: b.handleFeeds, ephemeral: true, admin: true}
}

func (b *Bot) handleFeeds(ctx context.Context, req request) (reply, error) {
	u, err := sourceURL(req.text("url"))
	if err != nil {
		return reply{}, err
	}
	switch req.subcommand {
	case "add":
		added, err := b.feeds.Add(ctx, req.guildID, u, req.userID)
		if err != nil {
			return reply{}, fmt.Errorf("add source %s: %w", u, err)
		}
		return reply{messages: []message{{Content: describeAdded(added, req.lang)}}}, nil
	case "remove":
		removed, err := b.feeds.Remove(ctx, req.guildID, u)
		if err != nil {
			return reply{}, fmt.Errorf("remove feed %s: %w", u, err)
		}
		if removed {
			return reply{messages: []message{{Content: fmt.Sprintf(req.lang.pick(txtFeedRemoved), showURL(u))}}}, nil
		}
		return reply{messages: []message{{Content: b.notUserFeed(ctx, req.guildID, u, req.lang)}}}, nil
	}
	return reply{}, fmt.Errorf("/feeds %q: %w", req.subcommand, errUnknownCommand)
}

// sourceURL validates a URL typed by a member: absolute http(s), no
// credentials, not too long.
func sourceURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	bad := invalid("url", txtBadFeedURL, neutralize(truncate(oneLine(s), 100)))
	if s == "" || runeLen(s) > maxFeedURL {
		return "", bad
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		return "", bad
	}
	return s, nil
}

// showURL renders a URL as a link without a preview, or as plain escaped
// text when it cannot be one.
func showURL(u string) string {
	if l := linkURL(u); l != "" {
		return "<" + l + ">"
	}
	return escapeMarkdown(neutralize(truncate(oneLine(u), 200)))
}

// articlesCount says how many articles, with the right plural.
func articlesCount(n int, l lang) string {
	switch n {
	case 0:
		return l.pick(txtNoNewArticle)
	case 1:
		return l.pick(txtOneNewArticle)
	}
	return fmt.Sprintf(l.pick(txtNewArticles), n)
}

// describeAdded is the reply to a successful /feeds add.
func describeAdded(a SourceAdded, l lang) string {
	title := escapeMarkdown(neutralize(truncate(oneLine(a.Title), 150)))
	if title == "" {
		title = "—"
	}
	count := articlesCount(a.Added, l)
	if a.Updated > 0 {
		count += fmt.Sprintf(l.pick(txtUpdatedArticles), a.Updated)
	}
	if a.Page {
		return fmt.Sprintf(l.pick(txtPageAdded), title, showURL(a.URL), count)
	}
	return fmt.Sprintf(l.pick(txtFeedAdded), title, showURL(a.URL), count)
}

// notUserFeed explains that u is not a feed /feeds remove can remove,
// listing the ones it can.
func (b *Bot) notUserFeed(ctx context.Context, guild, u string, l lang) string {
	var added []string
	if hs, err := b.feeds.Health(ctx, guild); err == nil {
		for _, h := range hs {
			if h.UserAdded && !h.Shared {
				added = append(added, showURL(h.URL))
			}
		}
	}
	list := strings.Join(added, ", ")
	if list == "" {
		list = "—"
	}
	return truncate(fmt.Sprintf(l.pick(txtNotUserFeed), showURL(u), list), maxContent)
}

// explainFeedError turns FeedControl's conditions into a sentence for the
// admin; ok is false for any other error.
func explainFeedError(err error, l lang) (msg string, ok bool) {
	var suggest *FeedSuggestionError
	var unreadable *UnreadableSourceError
	switch {
	case errors.Is(err, ErrPrivateURL):
		return l.pick(txtPrivateURL), true
	case errors.Is(err, ErrFeedFollowed):
		return l.pick(txtFeedFollowed), true
	case errors.Is(err, ErrOperatorFeed):
		return l.pick(txtOperatorFeed), true
	case errors.As(err, &suggest):
		links := make([]string, 0, len(suggest.Feeds))
		for _, f := range suggest.Feeds {
			links = append(links, "• "+showURL(f))
		}
		return truncate(l.pick(txtSuggestFeeds)+"\n"+strings.Join(links, "\n"), maxContent), true
	case errors.As(err, &unreadable):
		why, clean := unreadableReason(unreadable.Err, l)
		if clean {
			return fmt.Sprintf(l.pick(txtUnreadableBecause), why), true
		}
		why = strings.ReplaceAll(neutralize(truncate(oneLine(why), 300)), "`", "'")
		return fmt.Sprintf(l.pick(txtUnreadableSource), why), true
	}
	return "", false
}

// feedHealthEmbed renders the health of the refreshed feeds within
// budget characters (description and title). Errors are shown to admins
// only: an operator's feed may sit on the intranet.
func feedHealthEmbed(hs []FeedHealth, admin bool, l lang, budget int) *discordgo.MessageEmbed {
	sorted := append([]FeedHealth(nil), hs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Failures > sorted[j].Failures })
	title := fmt.Sprintf(l.pick(txtFeedsTitle), len(hs))
	limit := min(maxEmbedDescription, budget-runeLen(title))
	lines := make([]string, len(sorted))
	for i, h := range sorted {
		lines[i] = feedHealthLine(h, admin, l)
	}
	desc := strings.Join(fitLines(lines, limit, func(left int) string {
		return fmt.Sprintf(l.pick(txtMoreFeeds), left)
	}), "\n")
	if desc == "" {
		desc = l.pick(txtNoFeeds)
	}
	return &discordgo.MessageEmbed{Title: title, Description: desc, Color: embedColour}
}

func feedHealthLine(h FeedHealth, admin bool, l lang) string {
	name := showURL(h.URL)
	if h.UserAdded {
		name += " " + l.pick(txtUserAdded)
	}
	last := l.pick(txtNever)
	if !h.LastSuccess.IsZero() {
		last = fmt.Sprintf("<t:%d:R>", h.LastSuccess.Unix())
	}
	if h.Failures == 0 {
		if h.LastSuccess.IsZero() {
			return "• " + name + " — " + l.pick(txtNotFetchedYet)
		}
		return "✅ " + name + " — " + fmt.Sprintf(l.pick(txtFeedOK), last)
	}
	line := "⚠️ " + name + " — " + fmt.Sprintf(l.pick(txtFeedFailing), h.Failures, last)
	if !h.NextAttempt.IsZero() {
		line += fmt.Sprintf(l.pick(txtNextAttempt), h.NextAttempt.Unix())
	}
	if admin && h.LastError != "" {
		line += "\n  ↳ " + escapeMarkdown(neutralize(truncate(oneLine(scrubAddresses(h.LastError)), 200)))
	}
	return line
}
