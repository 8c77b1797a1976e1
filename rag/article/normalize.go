package article

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// ErrEmpty reports an article with no text left once scraping chrome is removed.
var ErrEmpty = errors.New("no text left after cleaning")

// Normalize returns a with its title and text cleaned, its URL canonical, its
// language detected when not given (and reduced to the primary subtag, "fr-FR"
// → "fr") and an ID assigned when it has none: "u" + 16 hex digits of the
// SHA-256 of the canonical URL, else "h" + 16 hex digits of the content hash.
// A first paragraph that only repeats the title is dropped. It fails with
// ErrTextTooLarge when the text is over MaxTextBytes (checked first, so that
// an oversized text costs no cleaning), with ErrEmpty when no text is left,
// and when the URL is not a valid absolute http(s) URL (see CanonicalURL).
func Normalize(a Article) (Article, error) {
	if len(a.Text) > MaxTextBytes {
		return Article{}, fmt.Errorf("%w: %d bytes, over the %d MiB cap", ErrTextTooLarge, len(a.Text), MaxTextBytes>>20)
	}
	a.Title = cleanTitle(a.Title)
	a.Text = Clean(a.Text)
	a.Source = strings.Join(strings.Fields(a.Source), " ")
	a.ID = strings.TrimSpace(a.ID)
	if a.Text == "" {
		return Article{}, ErrEmpty
	}
	// Pages often repeat the headline as the first paragraph.
	if first, rest, ok := strings.Cut(a.Text, "\n\n"); ok && a.Title != "" && sameTitle(first, a.Title) {
		a.Text = rest
	}
	if strings.TrimSpace(a.URL) != "" {
		u, err := CanonicalURL(a.URL)
		if err != nil {
			return Article{}, fmt.Errorf("url: %w", err)
		}
		a.URL = u
	} else {
		a.URL = ""
	}
	a.Lang = strings.ToLower(strings.TrimSpace(a.Lang))
	if i := strings.IndexAny(a.Lang, "-_"); i >= 0 {
		a.Lang = a.Lang[:i]
	}
	if a.Lang == "" {
		a.Lang = DetectLang(a.Title + "\n\n" + a.Text)
	}
	if a.ID == "" {
		if a.URL != "" {
			a.ID = urlID(a.URL)
		} else {
			a.ID = "h" + ContentHash(a)[:16]
		}
	}
	return a, nil
}

// urlID is the ID of an article known only by its canonical URL.
func urlID(canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return "u" + hex.EncodeToString(sum[:])[:16]
}

// ContentHash returns the hex SHA-256 of the article's title and text,
// lower-cased with whitespace collapsed, so that re-scraping the same article
// with other spacing gives the same hash while any change of wording does not.
func ContentHash(a Article) string {
	h := sha256.New()
	writeFolded(h, a.Title)
	h.Write([]byte{0})
	writeFolded(h, a.Text)
	return hex.EncodeToString(h.Sum(nil))
}

// writeFolded writes s in NFC, lower case, with every whitespace run as one space.
func writeFolded(w io.Writer, s string) {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFC.String(s) {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	_, _ = w.Write([]byte(b.String()))
}

// cleanTitle puts a title on one line with single spaces, in NFC.
func cleanTitle(s string) string {
	s = Clean(s)
	return strings.Join(strings.Fields(s), " ")
}

// parseDate reads the date forms corpora use: RFC 3339, a date and time
// without zone (taken as UTC), YYYY-MM-DD and YYYY-MM (the first of the month).
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02", "2006-01"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q: want RFC 3339, YYYY-MM-DD or YYYY-MM", s)
}

// stemID turns a file name stem into an ID: lower-case ASCII letters, digits,
// '-' and '_', accents folded, anything else as a single '-'.
func stemID(stem string) string {
	var b strings.Builder
	dash := false
	for _, r := range foldAccents(strings.ToLower(stem)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	if b.Len() == 0 {
		return "doc"
	}
	return b.String()
}
