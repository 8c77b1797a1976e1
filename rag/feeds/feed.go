package feeds

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"codeberg.org/readeck/go-readability/v2/render"
	"github.com/veille/veille/rag/article"
)

// An item's text is taken as the whole article when its content (RSS
// content:encoded, Atom content, JSON Feed content_html or content_text) has
// at least minContentRunes, or its description or summary at least
// minSummaryRunes, and it does not end like a teaser ("…", "[…]"). Otherwise
// the page is fetched.
const (
	minContentRunes = 200
	minSummaryRunes = 600
)

// maxItems bounds the items read from one feed document (feeds list the
// newest first), so that a feed of thousands of summaries does not turn
// into thousands of page fetches.
const maxItems = 200

const acceptFeed = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"

// Feed fetches the feed (RSS 2.0, Atom or JSON Feed) at feedURL, sending the
// validators of prev for a conditional GET, and returns its items that prev
// has not seen yet, or whose content changed, as normalised articles, with
// the feed's new state.
//
// An item that carries only a summary gets its page fetched and its main
// text extracted; when that fails the summary is kept. Source is the feed's
// title, URL the page's <link rel=canonical> or the item's link, Published
// the item's date (else the page's), Lang the page's, the feed's or detected.
// A 304 returns no articles. On error the returned state records the failure
// (Failures, LastError, NextAttempt); items that cannot be read are logged
// and skipped without failing the feed.
//
// A cancelled ctx is not the feed's fault: the error is returned and the
// state is prev, unchanged.
func (f *Fetcher) Feed(ctx context.Context, feedURL string, prev State) ([]article.Article, State, error) {
	prev.URL = feedURL
	return f.feed(ctx, feedURL, prev, newSeenIndex(prev))
}

func (f *Fetcher) feed(ctx context.Context, feedURL string, prev State, seen *seenIndex) ([]article.Article, State, error) {
	return f.track(ctx, feedURL, prev, seen, f.fetchFeed)
}

// FeedFile reads a feed document (RSS 2.0, Atom or JSON Feed) from a local
// file as Feed reads one fetched: items prev has not seen become articles,
// their pages fetched when they carry only a summary, and the returned
// state (keyed by path) records them. Relative item links cannot be
// resolved and are skipped.
func (f *Fetcher) FeedFile(ctx context.Context, path string, prev State) ([]article.Article, State, error) {
	return f.track(ctx, path, prev, newSeenIndex(prev), func(ctx context.Context, st *State, seen *seenIndex) ([]article.Article, error) {
		file, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer file.Close()
		body, err := io.ReadAll(io.LimitReader(file, f.maxBytes+1))
		if err != nil {
			return nil, err
		}
		if int64(len(body)) > f.maxBytes {
			return nil, ErrTooLarge
		}
		feed, err := parseFeed(body)
		if err != nil {
			return nil, err
		}
		return f.items(ctx, st, feed, nil, seen), nil
	})
}

// track runs fetch for the feed named key and records the outcome in the
// state it returns; see Feed.
func (f *Fetcher) track(ctx context.Context, feedURL string, prev State, seen *seenIndex,
	fetch func(ctx context.Context, st *State, seen *seenIndex) ([]article.Article, error)) ([]article.Article, State, error) {
	st := prev.clone()
	st.URL = feedURL
	if st.Seen == nil {
		st.Seen = make(map[string]Seen)
	}
	now := f.now()
	st.LastAttempt = now
	arts, err := fetch(ctx, &st, seen)
	if err != nil {
		if ctx.Err() != nil {
			return nil, prev, fmt.Errorf("feed %s: %w", feedURL, context.Cause(ctx))
		}
		st.Seen = maps.Clone(prev.Seen) // what was claimed before the failure was not returned
		st.fail(err, now, f.backoff)
		return nil, st, fmt.Errorf("feed %s: %w", feedURL, err)
	}
	st.succeed(now)
	st.prune()
	arts, _ = article.Dedupe(arts)
	return arts, st, nil
}

func (f *Fetcher) fetchFeed(ctx context.Context, st *State, seen *seenIndex) ([]article.Article, error) {
	u, err := url.Parse(strings.TrimSpace(st.URL))
	if err != nil {
		return nil, err
	}
	resp, err := f.get(ctx, u, acceptFeed, st.ETag, st.LastModified)
	if err != nil {
		return nil, err
	}
	if resp.status == 304 {
		return nil, nil
	}
	if err := checkFeedType(resp.contentType, resp.body, resp.url); err != nil {
		return nil, err
	}
	feed, err := parseFeed(resp.body)
	if errors.Is(err, ErrNotFeed) {
		return nil, &NotFeedError{ContentType: cmpOr(resp.contentType, "unknown format")}
	}
	if err != nil {
		return nil, err
	}
	// Validators are kept only once the body was read and parsed: a broken
	// response must not be answered 304 next time.
	st.ETag, st.LastModified = resp.etag, resp.lastModified
	out := f.items(ctx, st, feed, resp.url, seen)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return out, nil
}

// items turns a parsed feed's items into the articles that are new, base
// resolving their relative links; items that cannot be read are logged
// and skipped. It stops when ctx ends.
func (f *Fetcher) items(ctx context.Context, st *State, feed *gofeed.Feed, base *url.URL, seen *seenIndex) []article.Article {
	items := feed.Items
	if len(items) > maxItems {
		f.log.Warn("feed truncated", "feed_url", st.URL, "items", len(items), "kept", maxItems)
		items = items[:maxItems]
	}
	now := f.now()
	var out []article.Article
	for _, it := range items {
		if it == nil {
			continue
		}
		a, ok, complete, err := f.item(ctx, st, feed, it, base, seen, now)
		if !complete {
			// Without validators the next fetch is a 200 and retries the page.
			st.ETag, st.LastModified = "", ""
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			f.log.Warn("skip feed item", "feed_url", st.URL, "item", cmpOr(it.Link, it.GUID), "err", err)
			continue
		}
		if ok {
			out = append(out, a)
		}
	}
	return out
}

// item turns one feed item into an article and reports whether it is new,
// and whether it is complete (false when its page failed and its summary
// stands in for it, or when it could not be built at all).
func (f *Fetcher) item(ctx context.Context, st *State, feed *gofeed.Feed, it *gofeed.Item, base *url.URL, seen *seenIndex, now time.Time) (a article.Article, fresh, complete bool, err error) {
	link := itemLink(it, base)
	guid := strings.TrimSpace(it.GUID)
	if guid == "" {
		guid = link
	}
	fp := fingerprint(it, link)
	if guid == "" {
		guid = fp
	}
	if seen.unchanged(st.URL, guid, fp) {
		st.Seen[guidKey+guid] = Seen{Hash: fp, At: now}
		return article.Article{}, false, true, nil
	}

	text, full := itemText(it)
	a = article.Article{
		Title:  htmlText(it.Title),
		URL:    link,
		Source: strings.TrimSpace(feed.Title),
		Lang:   feed.Language,
		Text:   text,
	}
	if it.PublishedParsed != nil {
		a.Published = it.PublishedParsed.UTC()
	} else if it.UpdatedParsed != nil {
		a.Published = it.UpdatedParsed.UTC()
	}
	// complete is false when the text is a summary kept because the page
	// failed: the item is then not remembered, so the next refresh tries the
	// page again (and returns the whole article as a change).
	complete = true
	if !full && link != "" {
		page, err := f.page(ctx, link)
		switch {
		case err == nil:
			a.Text = page.Text
			a.URL = cmpOr(page.URL, a.URL)
			a.Title = cmpOr(a.Title, page.Title)
			a.Lang = cmpOr(page.Lang, a.Lang)
			if a.Published.IsZero() {
				a.Published = page.Published
			}
			if a.Source == "" {
				a.Source = page.Source
			}
		case ctx.Err() != nil:
			return article.Article{}, false, false, err
		case text == "" && permanent(err):
			seen.remember(st, guid, fp, now)
			return article.Article{}, false, true, err
		case text == "":
			return article.Article{}, false, false, err
		default:
			f.log.Warn("keep feed summary", "feed_url", st.URL, "url", link, "err", err)
			complete = permanent(err)
		}
	}
	if a.Source == "" && base != nil {
		a.Source = base.Hostname()
	}
	n, err := article.Normalize(a)
	if err != nil {
		// Nothing usable, and retrying will not change that until the item
		// does: remember it as seen.
		if complete {
			seen.remember(st, guid, fp, now)
		}
		return article.Article{}, false, true, fmt.Errorf("item %q: %w", cmpOr(link, guid), err)
	}
	if !complete {
		guid = "" // see complete
	}
	return n, seen.claim(st, guid, fp, n, now), complete, nil
}

// permanent reports a page error that retrying will not cure: the page is
// not HTML, has no text, is too big, or is gone.
func permanent(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code == http.StatusNotFound || se.Code == http.StatusGone
	}
	return errors.Is(err, ErrNotHTML) || errors.Is(err, ErrNoText) || errors.Is(err, ErrTooLarge) ||
		errors.Is(err, ErrPrivateAddress) || errors.Is(err, ErrTooManyRedirects)
}

// itemText returns the longer of the item's content and description as
// text, and whether it is the whole article (see minContentRunes).
func itemText(it *gofeed.Item) (text string, full bool) {
	content, summary := htmlText(it.Content), htmlText(it.Description)
	nc, ns := utf8.RuneCountInString(content), utf8.RuneCountInString(summary)
	text = content
	if ns > nc {
		text = summary
	}
	full = (nc >= minContentRunes || ns >= minSummaryRunes) && !isTeaser(text)
	return text, full
}

// isTeaser reports text cut short by the publisher.
func isTeaser(text string) bool {
	t := strings.TrimRight(text, " \n\t")
	for _, end := range []string{"…", "...", "[…]", "[...]", "(…)", "Lire la suite", "Read more", "Continue reading"} {
		if strings.HasSuffix(t, end) {
			return true
		}
	}
	return false
}

// itemLink returns the item's link resolved against the feed's URL, or "".
func itemLink(it *gofeed.Item, base *url.URL) string {
	raw := strings.TrimSpace(it.Link)
	for _, l := range it.Links {
		if raw != "" {
			break
		}
		raw = strings.TrimSpace(l)
	}
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return ""
	}
	return u.String()
}

// fingerprint identifies an item as the feed carries it. The dates are left
// out: an item re-published with a new date is the same item.
func fingerprint(it *gofeed.Item, link string) string {
	h := sha256.New()
	for _, s := range []string{it.Title, link, it.Description, it.Content} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// htmlText returns the text of an HTML fragment (feed summaries and contents
// are HTML), blocks separated by blank lines; plain text passes through.
func htmlText(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	nodes, err := html.ParseFragment(strings.NewReader(s), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return s
	}
	root := &html.Node{Type: html.ElementNode, Data: "div"}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	return strings.TrimSpace(render.InnerText(root))
}

// NotFeedError reports a feed URL that answered with something else than a
// feed; errors.Is(err, ErrNotFeed) holds. For an HTML page it lists the feeds
// the page advertises, so a user who gave a site's address can be told which
// feed to add instead.
type NotFeedError struct {
	// ContentType is the media type received, e.g. "text/html".
	ContentType string
	// Alternates are the absolute URLs of the page's <link rel=alternate>
	// RSS, Atom and JSON feeds.
	Alternates []string
}

func (e *NotFeedError) Error() string {
	msg := ErrNotFeed.Error() + " (" + e.ContentType + ")"
	if len(e.Alternates) > 0 {
		msg += "; the page links to " + strings.Join(e.Alternates, ", ")
	}
	return msg
}

// Is makes errors.Is(err, ErrNotFeed) hold.
func (e *NotFeedError) Is(target error) bool { return target == ErrNotFeed }

// checkFeedType refuses a response that cannot be a feed. An HTML type is
// accepted only when the body is in fact XML (some servers label feeds so).
func checkFeedType(contentType string, body []byte, base *url.URL) error {
	switch {
	case contentType == "text/html" || contentType == "application/xhtml+xml":
		if looksLikeXMLFeed(body) {
			return nil
		}
		return &NotFeedError{ContentType: contentType, Alternates: alternateFeeds(body, base)}
	case strings.HasPrefix(contentType, "image/"), strings.HasPrefix(contentType, "audio/"),
		strings.HasPrefix(contentType, "video/"), contentType == "application/pdf":
		return &NotFeedError{ContentType: contentType}
	}
	if contentType == "" || contentType == "text/plain" || contentType == "application/octet-stream" {
		if t := sniffType(body); t == "text/html" {
			return &NotFeedError{ContentType: t, Alternates: alternateFeeds(body, base)}
		}
	}
	return nil
}

// feedTypes are the <link rel=alternate> types of feeds.
var feedTypes = map[string]bool{
	"application/rss+xml": true, "application/atom+xml": true, "application/feed+json": true,
	"application/json": true, "application/rdf+xml": true,
}

// alternateFeeds returns the feeds an HTML page's head links to, at most 5.
func alternateFeeds(body []byte, base *url.URL) []string {
	var out []string
	z := html.NewTokenizer(bytes.NewReader(body))
	for len(out) < 5 {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			if t.Data == "body" {
				return out
			}
			if t.Data != "link" {
				continue
			}
			n := &html.Node{Attr: t.Attr}
			typ := strings.ToLower(strings.TrimSpace(attr(n, "type")))
			if !hasToken(attr(n, "rel"), "alternate") || !feedTypes[typ] {
				continue
			}
			if u := resolveHTTP(attr(n, "href"), base); u != "" && !slices.Contains(out, u) {
				out = append(out, u)
			}
		}
	}
	return out
}

// looksLikeXMLFeed reports a body that starts like RSS, Atom or RDF.
func looksLikeXMLFeed(body []byte) bool {
	b := bytes.TrimLeft(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(b) > 1024 {
		b = b[:1024]
	}
	if bytes.HasPrefix(b, []byte("<?xml")) {
		return true
	}
	for _, p := range []string{"<rss", "<feed", "<rdf:RDF"} {
		if bytes.HasPrefix(b, []byte(p)) {
			return true
		}
	}
	return false
}

// parseFeed parses RSS, Atom or JSON Feed. A panic in the parser on hostile
// input becomes an error: one bad feed must not stop the process.
func parseFeed(body []byte) (feed *gofeed.Feed, err error) {
	defer func() {
		if r := recover(); r != nil {
			feed, err = nil, fmt.Errorf("malformed feed: parser panic: %v", r)
		}
	}()
	feed, err = gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			return nil, fmt.Errorf("%w (unknown format)", ErrNotFeed)
		}
		return nil, fmt.Errorf("malformed feed: %w", err)
	}
	return feed, nil
}
