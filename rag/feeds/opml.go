package feeds

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"golang.org/x/net/html/charset"
)

// ErrNotOPML reports a document that is not an OPML subscription list.
var ErrNotOPML = errors.New("not an OPML document")

// OPML fetches the OPML subscription list at opmlURL and returns its feed
// URLs (see ReadOPML).
func (f *Fetcher) OPML(ctx context.Context, opmlURL string) ([]string, error) {
	u, err := url.Parse(strings.TrimSpace(opmlURL))
	if err != nil {
		return nil, fmt.Errorf("opml %s: %w", opmlURL, err)
	}
	resp, err := f.get(ctx, u, "text/x-opml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1", "", "")
	if err != nil {
		return nil, fmt.Errorf("opml %s: %w", opmlURL, err)
	}
	urls, err := ReadOPML(bytes.NewReader(resp.body))
	if err != nil {
		return nil, fmt.Errorf("opml %s: %w", opmlURL, err)
	}
	return urls, nil
}

// ReadOPML returns the feed URLs (the xmlUrl of every outline, nested
// folders included) of an OPML subscription list, in document order, each
// once. Outlines whose xmlUrl is not an absolute http(s) URL are skipped.
func ReadOPML(r io.Reader) ([]string, error) {
	dec := xml.NewDecoder(r)
	dec.CharsetReader = charset.NewReaderLabel
	dec.Strict = false
	var (
		urls   []string
		seen   = map[string]bool{}
		isOPML bool
	)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read opml: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch strings.ToLower(se.Name.Local) {
		case "opml":
			isOPML = true
		case "outline":
			if !isOPML {
				return nil, ErrNotOPML
			}
			for _, a := range se.Attr {
				if !strings.EqualFold(a.Name.Local, "xmlUrl") {
					continue
				}
				raw := strings.TrimSpace(a.Value)
				u, err := url.Parse(raw)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					continue
				}
				if !seen[raw] {
					seen[raw] = true
					urls = append(urls, raw)
				}
			}
		default:
			if !isOPML {
				return nil, ErrNotOPML
			}
		}
	}
	if !isOPML {
		return nil, ErrNotOPML
	}
	return urls, nil
}
