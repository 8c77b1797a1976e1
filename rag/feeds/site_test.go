package feeds

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veille/veille/rag/article"
)

// testNow is the fixed clock of the tests.
var testNow = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)

// site is a fake news site: an httptest server whose routes serve testdata
// files (with {{BASE}} replaced by the server's URL) or custom handlers, and
// that counts hits per path and the most requests it saw at once.
type site struct {
	t   *testing.T
	srv *httptest.Server

	mu          sync.Mutex
	routes      map[string]http.HandlerFunc
	hits        map[string]int
	inflight    int
	maxInflight int
}

func newSite(t *testing.T) *site {
	t.Helper()
	s := &site{t: t, routes: map[string]http.HandlerFunc{}, hits: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *site) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.inflight++
	s.maxInflight = max(s.maxInflight, s.inflight)
	h := s.routes[r.URL.Path]
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inflight--
		s.mu.Unlock()
	}()
	if h == nil {
		http.NotFound(w, r)
		return
	}
	h(w, r)
}

// URL returns the absolute URL of path on the site.
func (s *site) URL(path string) string { return s.srv.URL + path }

// handle routes path to h.
func (s *site) handle(path string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[path] = h
}

// file serves testdata/name at path as contentType, with an ETag and a
// Last-Modified, answering 304 to a matching conditional GET.
func (s *site) file(path, name, contentType string) {
	s.t.Helper()
	s.body(path, s.fixture(name), contentType)
}

// fixture reads testdata/name with {{BASE}} replaced.
func (s *site) fixture(name string) []byte {
	s.t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		s.t.Fatal(err)
	}
	return bytes.ReplaceAll(data, []byte("{{BASE}}"), []byte(s.srv.URL))
}

// body serves data at path like file does.
func (s *site) body(path string, data []byte, contentType string) {
	sum := sha256.Sum256(data)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	lastModified := testNow.Add(-time.Hour).Format(http.TimeFormat)
	s.handle(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastModified)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(data)
	})
}

// pages serves the article pages the feeds link to.
func (s *site) pages() {
	s.file("/articles/rancongiciel-hopital", "pages/rancongiciel-hopital.html", "text/html; charset=utf-8")
	s.file("/articles/phishing-campagne", "pages/phishing-campagne.html", "text/html; charset=utf-8")
	s.file("/articles/fuite-donnees", "pages/fuite-donnees-latin1.html", "text/html")
}

func (s *site) hitCount(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// newTestFetcher returns a Fetcher for tests: private addresses allowed
// (httptest listens on 127.0.0.1), no host delay, the fixed clock, logs to
// the test's output. set adjusts the Config.
func newTestFetcher(t *testing.T, set func(*Config)) *Fetcher {
	t.Helper()
	cfg := Config{
		AllowPrivate: true,
		HostDelay:    -1,
		Timeout:      5 * time.Second,
		Now:          func() time.Time { return testNow },
		Logger:       slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if set != nil {
		set(&cfg)
	}
	return New(cfg)
}

// titles lists the titles of arts.
func titles(arts []article.Article) []string {
	var out []string // nil when empty, to compare with a nil want
	for _, a := range arts {
		out = append(out, a.Title)
	}
	return out
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
