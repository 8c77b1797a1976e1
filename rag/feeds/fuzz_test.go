package feeds

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseFeed feeds arbitrary bytes to the feed path: type check, parse,
// item text. It must never panic.
func FuzzParseFeed(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "feeds", "*"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":1}]}`))
	f.Add([]byte(`<rss><channel><item><description>&lt;p&gt;x</description></item></channel></rss>`))
	base, _ := url.Parse("https://site.example/feed")
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = checkFeedType("", data, base)
		_ = checkFeedType("text/html", data, base)
		feed, err := parseFeed(data)
		if err != nil {
			return
		}
		for _, it := range feed.Items {
			if it == nil {
				continue
			}
			_, _ = itemText(it)
			_ = itemLink(it, base)
		}
	})
}

// FuzzExtract feeds arbitrary bytes to page extraction: it must never panic.
func FuzzExtract(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "pages", "*.html"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	base, _ := url.Parse("https://site.example/a")
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = extract(bytes.Clone(data), "text/html", base)
	})
}

func BenchmarkExtract(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "pages", "rancongiciel-hopital.html"))
	if err != nil {
		b.Fatal(err)
	}
	base, _ := url.Parse("https://site.example/a")
	for b.Loop() {
		if _, err := extract(data, "text/html", base); err != nil {
			b.Fatal(err)
		}
	}
}
