package feeds

import (
	"errors"
	"io/fs"
	"net/http"
	"path/filepath"
	"testing"
)

// noNetwork fails every request: a feed file's test must not go out for
// the pages of its items.
type noNetwork struct{}

func (noNetwork) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in tests")
}

func TestFeedFile(t *testing.T) {
	t.Parallel()
	f := newTestFetcher(t, func(c *Config) { c.HTTPClient = &http.Client{Transport: noNetwork{}} })
	tests := []struct {
		name, file string
		wantErr    error // errors.Is; nil: articles read
	}{
		{"rss", "rss.xml", nil},
		{"atom", "atom.xml", nil},
		{"json feed", "feed.json", nil},
		{"html page", "error.html", ErrNotFeed},
		{"missing", "nope.xml", fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", "feeds", tt.file)
			arts, st, err := f.FeedFile(t.Context(), path, State{})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || st.Failures != 1 || st.URL != path {
					t.Errorf("FeedFile = %v, state %+v; want %v recorded as a failure of %s", err, st, tt.wantErr, path)
				}
				return
			}
			if err != nil || len(arts) == 0 || st.URL != path || st.Failures != 0 {
				t.Fatalf("FeedFile = %d articles, %v, state %+v; want articles", len(arts), err, st)
			}
			again, _, err := f.FeedFile(t.Context(), path, st)
			if err != nil || len(again) != 0 {
				t.Errorf("second read = %d articles, %v; want none new", len(again), err)
			}
		})
	}
}
