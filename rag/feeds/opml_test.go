package feeds

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadOPML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr error
		anyErr  bool
	}{
		{
			name: "subscriptions with folders, duplicates and bad outlines",
			in:   string(readFixture(t, "feeds/subscriptions.opml")),
			want: []string{
				"https://cyberveille.example/rss.xml",
				"https://journal-securite.example/atom.xml",
				"https://www.cert.ssi.gouv.fr/alerte/feed/",
				"https://breves.example/feed.json",
			},
		},
		{
			name: "latin-1 opml 1.0",
			in:   "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><opml version=\"1.0\"><body><outline text=\"S\xe9cu\" xmlUrl=\"https://s.example/f\"/></body></opml>",
			want: []string{"https://s.example/f"},
		},
		{name: "empty list", in: `<opml version="2.0"><head/><body/></opml>`},
		{name: "a feed is not opml", in: string(readFixture(t, "feeds/rss.xml")), wantErr: ErrNotOPML},
		{name: "html is not opml", in: string(readFixture(t, "feeds/error.html")), anyErr: true},
		{name: "empty input", in: "", wantErr: ErrNotOPML},
		{name: "truncated", in: `<opml version="2.0"><body><outline xmlUrl="https://a.example/f"`, anyErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadOPML(strings.NewReader(tt.in))
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ReadOPML error = %v, want %v", err, tt.wantErr)
				}
				return
			case tt.anyErr:
				if err == nil {
					t.Fatalf("ReadOPML = %q, want an error", got)
				}
				return
			case err != nil:
				t.Fatalf("ReadOPML: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ReadOPML (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFetcherOPML(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.file("/subscriptions.opml", "feeds/subscriptions.opml", "text/x-opml")
	s.file("/rss.xml", "feeds/rss.xml", "application/rss+xml")
	f := newTestFetcher(t, nil)
	urls, err := f.OPML(t.Context(), s.URL("/subscriptions.opml"))
	if err != nil || len(urls) != 4 {
		t.Errorf("OPML = %q, %v; want 4 feeds", urls, err)
	}
	// The usual order for `veille ingest --feed URL`: a feed first, then a list.
	if _, _, err := f.Feed(t.Context(), s.URL("/subscriptions.opml"), State{}); !errors.Is(err, ErrNotFeed) {
		t.Errorf("Feed(opml) error = %v, want ErrNotFeed", err)
	}
	if _, err := f.OPML(t.Context(), s.URL("/rss.xml")); !errors.Is(err, ErrNotOPML) {
		t.Errorf("OPML(feed) error = %v, want ErrNotOPML", err)
	}
}
