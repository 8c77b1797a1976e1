package article

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// parseMarkdown reads a .md article: optional front matter between "---"
// lines (keys title, url, date, source, lang, id; simple "key: value" lines,
// values optionally quoted), then a Markdown body turned into plain text.
// Without a title key, a leading "# heading" is the title, else the file name.
func parseMarkdown(s, stem string) (Article, error) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var a Article
	body := s
	if rest, ok := strings.CutPrefix(s, "---\n"); ok {
		var fm string
		var found bool
		for _, end := range []string{"---", "..."} {
			if strings.HasPrefix(rest, end+"\n") || rest == end {
				fm, body, found = "", strings.TrimPrefix(rest[len(end):], "\n"), true
				break
			}
			if i := strings.Index(rest, "\n"+end+"\n"); i >= 0 {
				fm, body, found = rest[:i], rest[i+len(end)+2:], true
				break
			}
			if strings.HasSuffix(rest, "\n"+end) {
				fm, body, found = strings.TrimSuffix(rest, "\n"+end), "", true
				break
			}
		}
		if !found {
			return Article{}, errors.New("front matter: no closing ---")
		}
		if err := readFrontMatter(fm, &a); err != nil {
			return Article{}, err
		}
	}
	h1, text := markdownText(body)
	switch {
	case a.Title == "" && h1 != "":
		a.Title = h1
	case h1 != "" && !sameTitle(h1, a.Title):
		text = h1 + "\n\n" + text // a heading that is not the title is text
	case a.Title == "":
		a.Title = titleFromStem(stem)
	}
	a.Text = text
	return a, nil
}

// readFrontMatter fills a from "key: value" lines; unknown keys, comments and
// nested lines are ignored.
func readFrontMatter(fm string, a *Article) error {
	for n, line := range strings.Split(fm, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") || line[0] == ' ' || line[0] == '\t' || strings.HasPrefix(t, "- ") {
			continue
		}
		key, val, ok := strings.Cut(t, ":")
		if !ok {
			continue
		}
		v, err := yamlScalar(strings.TrimSpace(val))
		if err != nil {
			return fmt.Errorf("front matter line %d: %w", n+2, err)
		}
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "title":
			a.Title = v
		case "url", "link", "canonical":
			a.URL = v
		case "date", "published":
			d, err := parseDate(v)
			if err != nil {
				return fmt.Errorf("front matter line %d: %w", n+2, err)
			}
			a.Published = d
		case "source":
			a.Source = v
		case "lang", "language":
			a.Lang = v
		case "id":
			a.ID = v
		}
	}
	return nil
}

// yamlScalar reads a plain, 'single' or "double" quoted YAML scalar.
func yamlScalar(v string) (string, error) {
	switch {
	case strings.HasPrefix(v, `"`):
		end := closingQuote(v)
		if end < 0 {
			return "", fmt.Errorf("unterminated quote in %s", v)
		}
		s, err := strconv.Unquote(v[:end+1])
		if err != nil {
			return "", fmt.Errorf("bad quoted value %s: %w", v, err)
		}
		return s, nil
	case strings.HasPrefix(v, "'"):
		rest := v[1:]
		var b strings.Builder
		for {
			i := strings.IndexByte(rest, '\'')
			if i < 0 {
				return "", fmt.Errorf("unterminated quote in %s", v)
			}
			b.WriteString(rest[:i])
			if strings.HasPrefix(rest[i+1:], "'") { // '' is an escaped quote
				b.WriteByte('\'')
				rest = rest[i+2:]
				continue
			}
			return b.String(), nil
		}
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	v = strings.TrimSpace(v)
	if v == "~" || v == "null" {
		return "", nil
	}
	return v, nil
}

func closingQuote(v string) int {
	for i := 1; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

var (
	mdImage   = regexp.MustCompile(`!\[[^\]]*\]\([^)]*\)`)
	mdLink    = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	mdHeading = regexp.MustCompile(`^#{1,6}\s+`)
)

// markdownText turns a Markdown body into plain text: images dropped, links
// reduced to their text, emphasis markers, heading and quote markers and code
// fences removed. A level-1 heading on the first non-empty line is returned
// apart as h1, so the caller can take it as the title.
func markdownText(body string) (h1, text string) {
	var b strings.Builder
	first := true
	for line := range strings.SplitSeq(body, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			continue
		}
		t = mdImage.ReplaceAllString(t, "")
		t = mdLink.ReplaceAllString(t, "$1")
		t = strings.NewReplacer("**", "", "__", "").Replace(t)
		for strings.HasPrefix(t, ">") {
			t = strings.TrimSpace(t[1:])
		}
		if loc := mdHeading.FindStringIndex(t); loc != nil {
			level := strings.Count(t[:loc[1]], "#")
			t = t[loc[1]:]
			if first && level == 1 {
				h1, first = cleanTitle(t), false
				continue
			}
			b.WriteString("\n" + t + "\n\n")
			first = false
			continue
		}
		if t != "" {
			first = false
		}
		b.WriteString(t + "\n")
	}
	return h1, Clean(b.String())
}

// sameTitle compares titles as ContentHash does (case and spacing folded).
func sameTitle(a, b string) bool {
	return strings.EqualFold(cleanTitle(a), cleanTitle(b))
}
