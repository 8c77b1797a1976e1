package feeds

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"codeberg.org/readeck/go-readability/v2"
	"codeberg.org/readeck/go-readability/v2/render"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"

	"github.com/veille/veille/rag/article"
)

const acceptHTML = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"

// maxElements bounds the elements readability scores, so a huge page costs
// bounded time.
const maxElements = 100_000

// minPageRunes is the least cleaned text a page must have to be an article;
// less is a menu, an error page or a paywall teaser.
const minPageRunes = 200

// Page fetches the web page at pageURL and returns its article: the main text
// found by readability and cleaned (article.Normalize), the title, the
// canonical URL (<link rel=canonical>, else the URL after redirects), the
// published time, the site name as Source and the page's language. A response
// that is not HTML is ErrNotHTML; a page without article text is ErrNoText.
func (f *Fetcher) Page(ctx context.Context, pageURL string) (article.Article, error) {
	a, err := f.page(ctx, pageURL)
	if err != nil {
		return article.Article{}, fmt.Errorf("page %s: %w", pageURL, err)
	}
	n, err := article.Normalize(a)
	if err != nil {
		return article.Article{}, fmt.Errorf("page %s: %w", pageURL, err)
	}
	return n, nil
}

// page fetches and extracts a page, without normalising it.
func (f *Fetcher) page(ctx context.Context, pageURL string) (article.Article, error) {
	u, err := url.Parse(strings.TrimSpace(pageURL))
	if err != nil {
		return article.Article{}, err
	}
	resp, err := f.get(ctx, u, acceptHTML, "", "")
	if err != nil {
		return article.Article{}, err
	}
	ct := resp.contentType
	if ct == "" || ct == "application/octet-stream" {
		ct = sniffType(resp.body)
	}
	if ct != "text/html" && ct != "application/xhtml+xml" {
		return article.Article{}, fmt.Errorf("%w (%s)", ErrNotHTML, cmpOr(ct, "no content type"))
	}
	return extract(resp.body, resp.rawType, resp.url)
}

// sniffType guesses the media type of an unlabelled body.
func sniffType(body []byte) string {
	t := http.DetectContentType(body)
	if i := strings.IndexByte(t, ';'); i >= 0 {
		t = t[:i]
	}
	return t
}

// extract finds the article in an HTML page served as contentType (its
// charset parameter, else the page's <meta charset>, else detection decides
// the encoding) from pageURL.
func extract(body []byte, contentType string, pageURL *url.URL) (a article.Article, err error) {
	// A panic in the HTML or readability code on hostile input costs this
	// page, not the process.
	defer func() {
		if r := recover(); r != nil {
			a, err = article.Article{}, fmt.Errorf("extract article: panic: %v", r)
		}
	}()
	r, err := charset.NewReader(bytes.NewReader(body), contentType)
	if err != nil {
		r = bytes.NewReader(body) // unknown label: take the bytes as they are
	}
	doc, err := html.Parse(r)
	if err != nil {
		return article.Article{}, fmt.Errorf("parse html: %w", err)
	}
	meta := readMeta(doc, pageURL)

	p := readability.NewParser()
	p.MaxElemsToParse = maxElements
	ra, err := p.ParseAndMutate(doc, pageURL)
	if err != nil {
		return article.Article{}, fmt.Errorf("readability: %w", err)
	}
	if ra.Node == nil {
		return article.Article{}, ErrNoText
	}
	text := strings.TrimSpace(render.InnerText(ra.Node))
	if utf8.RuneCountInString(article.Clean(text)) < minPageRunes {
		return article.Article{}, ErrNoText
	}
	a = article.Article{
		Title:  ra.Title(),
		URL:    meta.canonical,
		Source: strings.TrimSpace(ra.SiteName()),
		Lang:   cmpOr(meta.lang, ra.Language()),
		Text:   text,
	}
	if strings.TrimSpace(a.Title) == "" {
		a.Title = titleFromText(article.Clean(text))
	}
	if a.URL == "" && pageURL != nil {
		a.URL = pageURL.String()
	}
	if a.Source == "" && pageURL != nil {
		a.Source = strings.TrimPrefix(pageURL.Hostname(), "www.")
	}
	if t, err := ra.PublishedTime(); err == nil {
		a.Published = t.UTC()
	}
	return a, nil
}

// pageMeta is what Veille reads from a page's head before readability
// rewrites the document.
type pageMeta struct {
	canonical string // absolute http(s) URL, or ""
	lang      string
}

// readMeta reads <html lang> and <link rel=canonical> (resolved against
// pageURL). A canonical that points at the site's home page while the page
// is deeper is a common CMS mistake and is ignored.
func readMeta(doc *html.Node, pageURL *url.URL) pageMeta {
	var m pageMeta
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "html":
				if m.lang == "" {
					m.lang = strings.TrimSpace(attr(n, "lang"))
				}
			case "link":
				if m.canonical == "" && hasToken(attr(n, "rel"), "canonical") {
					m.canonical = resolveCanonical(attr(n, "href"), pageURL)
				}
			case "body":
				return // the head is enough
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return m
}

func resolveCanonical(href string, pageURL *url.URL) string {
	c := resolveHTTP(href, pageURL)
	if c == "" || pageURL == nil {
		return c
	}
	if u, err := url.Parse(c); err != nil || strings.Trim(u.Path, "/") == "" && strings.Trim(pageURL.Path, "/") != "" {
		return ""
	}
	return c
}

// resolveHTTP resolves href against base and returns it when it is an
// absolute http(s) URL, else "".
func resolveHTTP(href string, base *url.URL) string {
	href = strings.TrimSpace(href)
	if href == "" {
		return ""
	}
	u, err := url.Parse(href)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}

// titleFromText makes a title for a page that has none: its first line, cut
// at a word boundary after at most 90 characters.
func titleFromText(text string) string {
	line, _, _ := strings.Cut(text, "\n")
	const limit = 90
	if utf8.RuneCountInString(line) <= limit {
		return line
	}
	cut := []rune(line)[:limit]
	if i := strings.LastIndexByte(string(cut), ' '); i > 0 {
		return string(cut)[:i] + "…"
	}
	return string(cut) + "…"
}
