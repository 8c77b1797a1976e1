package article

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// golang.org/x/net/html would be the natural parser, but it is not in go.sum
// at a usable version; this small tokenizer handles what article pages need:
// tags and attributes, comments, raw-text elements and entities.

// droppedElements hold page chrome or no text at all; their content is skipped.
var droppedElements = setOf("script", "style", "noscript", "nav", "header", "footer", "aside",
	"form", "svg", "iframe", "template", "button", "select", "textarea", "object", "canvas",
	"dialog", "menu")

// rawTextElements end only at their closing tag, whatever they contain.
var rawTextElements = setOf("script", "style", "title", "textarea", "noscript", "xmp", "iframe", "noembed", "noframes")

var blockElements = setOf("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl",
	"dt", "dd", "tr", "table", "section", "article", "main", "blockquote", "pre", "hr", "figure",
	"figcaption", "address", "details", "summary", "body", "td", "th")

var voidElements = setOf("area", "base", "br", "col", "embed", "hr", "img", "input", "link",
	"meta", "param", "source", "track", "wbr")

// htmlPage accumulates what parseHTML extracts.
type htmlPage struct {
	title, ogTitle, siteName string
	canonical, ogURL         string
	published, lang          string
	body, main, article      strings.Builder
	skip, inMain, inArticle  int
	skipStack                []string
}

// parseHTML extracts an article from a page: the text of its <article> (else
// <main>, else <body>) without scripts, navigation, headers, footers, asides
// and forms; the title from og:title or <title> (site suffix removed); the URL
// from <link rel=canonical> or og:url; the date from article:published_time;
// the language from <html lang>; the source from og:site_name.
func parseHTML(s, stem string) Article {
	var p htmlPage
	p.scan(s)
	return p.result(stem)
}

// scan reads the page s: text, tags, comments and declarations.
func (p *htmlPage) scan(s string) {
	for i := 0; i < len(s); {
		lt := strings.IndexByte(s[i:], '<')
		if lt < 0 {
			p.text(s[i:])
			break
		}
		p.text(s[i : i+lt])
		i += lt
		rest := s[i:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			i = after(s, i+4, "-->")
		case strings.HasPrefix(rest, "<!") || strings.HasPrefix(rest, "<?"):
			i = after(s, i, ">")
		case len(rest) > 1 && (isASCIILetter(rest[1]) || rest[1] == '/' && len(rest) > 2 && isASCIILetter(rest[2])):
			i = p.tag(s, i)
		default:
			p.text("<")
			i++
		}
	}
}

// after returns the index just past the first sep in s from i, or len(s).
func after(s string, i int, sep string) int {
	end := strings.Index(s[i:], sep)
	if end < 0 {
		return len(s)
	}
	return i + end + len(sep)
}

// tag reads the tag at s[i] (and the raw text of a <script>, <style> or
// <title>) and returns the index after it.
func (p *htmlPage) tag(s string, i int) int {
	name, attrs, closing, selfClosing, n := readTag(s[i:])
	i += n
	if closing {
		p.end(name)
		return i
	}
	p.start(name, attrs)
	switch {
	case rawTextElements[name] && !selfClosing:
		end := indexFold(s[i:], "</"+name)
		if end < 0 {
			end = len(s) - i
		}
		if name == "title" && p.title == "" {
			p.title = html.UnescapeString(s[i : i+end])
		}
		i = after(s, i+end, ">")
		p.end(name)
	case (selfClosing || voidElements[name]) && droppedElements[name]:
		p.end(name)
	}
	return i
}

// result builds the Article of a scanned page; stem names the file.
func (p *htmlPage) result(stem string) Article {
	a := Article{
		Title:  p.ogTitle,
		Source: strings.TrimSpace(html.UnescapeString(p.siteName)),
		Lang:   p.lang,
	}
	if a.Title == "" {
		a.Title = stripSiteSuffix(cleanTitle(p.title), p.siteName)
	}
	if a.Title == "" {
		a.Title = titleFromStem(stem)
	}
	for _, u := range []string{p.canonical, p.ogURL} {
		if c, err := CanonicalURL(u); err == nil {
			a.URL = c
			break
		}
	}
	if t, err := parseDate(p.published); err == nil {
		a.Published = t
	}
	a.Text = Clean(p.article.String())
	if utf8.RuneCountInString(a.Text) < 200 {
		if m := Clean(p.main.String()); len(m) > len(a.Text) {
			a.Text = m
		}
	}
	if a.Text == "" || utf8.RuneCountInString(a.Text) < 200 {
		if b := Clean(p.body.String()); len(b) > len(a.Text) {
			a.Text = b
		}
	}
	return a
}

func (p *htmlPage) write(s string) {
	if p.skip > 0 {
		return
	}
	p.body.WriteString(s)
	if p.inMain > 0 {
		p.main.WriteString(s)
	}
	if p.inArticle > 0 {
		p.article.WriteString(s)
	}
}

func (p *htmlPage) text(s string) {
	if s == "" || p.skip > 0 {
		return
	}
	t := html.UnescapeString(s)
	words := strings.Fields(t)
	if len(words) == 0 {
		p.write(" ")
		return
	}
	if strings.TrimLeftFunc(t, unicode.IsSpace) != t {
		p.write(" ")
	}
	p.write(strings.Join(words, " "))
	if strings.TrimRightFunc(t, unicode.IsSpace) != t {
		p.write(" ")
	}
}

func (p *htmlPage) start(name string, attrs map[string]string) {
	switch name {
	case "html":
		if p.lang == "" {
			p.lang = attrs["lang"]
		}
	case "meta":
		key := strings.ToLower(attrs["property"])
		if key == "" {
			key = strings.ToLower(attrs["name"])
		}
		content := strings.TrimSpace(html.UnescapeString(attrs["content"]))
		switch key {
		case "og:title":
			p.ogTitle = content
		case "og:url":
			p.ogURL = content
		case "og:site_name":
			p.siteName = content
		case "article:published_time", "datepublished", "date", "dc.date":
			if p.published == "" {
				p.published = content
			}
		}
	case "link":
		for rel := range strings.FieldsSeq(strings.ToLower(attrs["rel"])) {
			if rel == "canonical" && p.canonical == "" {
				p.canonical = strings.TrimSpace(html.UnescapeString(attrs["href"]))
			}
		}
	case "main":
		p.inMain++
	case "article":
		p.inArticle++
	}
	if droppedElements[name] {
		p.skip++
		p.skipStack = append(p.skipStack, name)
	}
	if name == "br" {
		p.write("\n")
	} else if blockElements[name] {
		p.write("\n\n")
	}
}

func (p *htmlPage) end(name string) {
	if droppedElements[name] && p.skip > 0 {
		// close up to the matching open element, tolerating bad nesting
		for i := len(p.skipStack) - 1; i >= 0; i-- {
			if p.skipStack[i] == name {
				p.skip -= len(p.skipStack) - i
				p.skipStack = p.skipStack[:i]
				break
			}
		}
	}
	if blockElements[name] {
		p.write("\n\n")
	}
	switch name {
	case "main":
		if p.inMain > 0 {
			p.inMain--
		}
	case "article":
		if p.inArticle > 0 {
			p.inArticle--
		}
	}
}

// readTag reads the tag at the start of s ("<name ...>" or "</name>") and
// returns its lower-cased name, its attributes and how many bytes it spans.
func readTag(s string) (name string, attrs map[string]string, closing, selfClosing bool, n int) {
	i := 1
	if s[i] == '/' {
		closing = true
		i++
	}
	start := i
	for i < len(s) && !isTagSpace(s[i]) && s[i] != '>' && s[i] != '/' {
		i++
	}
	name = strings.ToLower(s[start:i])
	attrs = map[string]string{}
	for i < len(s) {
		for i < len(s) && isTagSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			break
		}
		if s[i] == '>' {
			return name, attrs, closing, selfClosing, i + 1
		}
		if s[i] == '/' {
			selfClosing = true
			i++
			continue
		}
		selfClosing = false
		ks := i
		for i < len(s) && !isTagSpace(s[i]) && s[i] != '>' && s[i] != '=' && s[i] != '/' {
			i++
		}
		key := strings.ToLower(s[ks:i])
		for i < len(s) && isTagSpace(s[i]) {
			i++
		}
		val := ""
		if i < len(s) && s[i] == '=' {
			i++
			for i < len(s) && isTagSpace(s[i]) {
				i++
			}
			if i < len(s) && (s[i] == '"' || s[i] == '\'') {
				q := s[i]
				end := strings.IndexByte(s[i+1:], q)
				if end < 0 {
					val, i = s[i+1:], len(s)
				} else {
					val, i = s[i+1:i+1+end], i+1+end+1
				}
			} else {
				vs := i
				for i < len(s) && !isTagSpace(s[i]) && s[i] != '>' {
					i++
				}
				val = s[vs:i]
			}
		}
		if _, ok := attrs[key]; !ok && key != "" {
			attrs[key] = val
		}
	}
	return name, attrs, closing, selfClosing, len(s)
}

func isTagSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// indexFold is strings.Index ignoring ASCII case of substr (lower-case).
func indexFold(s, substr string) int {
	for i := 0; i+len(substr) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(substr)], substr) {
			return i
		}
	}
	return -1
}

// stripSiteSuffix turns "Headline | Site" or "Headline - Site" into "Headline"
// when the suffix is the site name or short next to the headline.
func stripSiteSuffix(title, site string) string {
	for _, sep := range []string{" | ", " – ", " — ", " - ", " :: ", " · "} {
		i := strings.LastIndex(title, sep)
		if i <= 0 {
			continue
		}
		head, tail := strings.TrimSpace(title[:i]), strings.TrimSpace(title[i+len(sep):])
		if strings.EqualFold(tail, strings.TrimSpace(site)) ||
			(utf8.RuneCountInString(tail) <= 40 && utf8.RuneCountInString(head) > 2*utf8.RuneCountInString(tail)) {
			return head
		}
	}
	return title
}

var metaCharset = regexp.MustCompile(`(?i)<meta[^>]+charset\s*=\s*["']?\s*(iso-8859-1|iso-8859-15|latin1|windows-1252|cp1252)`)

// decodeLegacy converts a page declaring a Latin-1 family charset to UTF-8;
// any other invalid UTF-8 is ErrBinary.
func decodeLegacy(data []byte) ([]byte, error) {
	head := data[:min(len(data), 4096)]
	if !metaCharset.Match(head) {
		return nil, ErrBinary
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(data)
	if err != nil {
		return nil, fmt.Errorf("decode windows-1252: %w", err)
	}
	return out, nil
}
