package feeds

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func openTestStore(t *testing.T) *Store {
	t.Helper()
	st, err := OpenStore(filepath.Join(t.TempDir(), "feeds.json"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestRefreshDedupe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// rounds are the feed paths of successive refreshes and the titles
		// each must return, in any order.
		rounds []struct {
			feeds []string
			want  []string
		}
	}{
		{
			name: "two feeds at once, then nothing new",
			rounds: []struct {
				feeds []string
				want  []string
			}{
				{[]string{"/rss.xml", "/dup.xml"}, []string{
					"Hameçonnage : une campagne vise les adhérents des mutuelles",
					"Rançongiciel : l'hôpital de Kerlann paralysé depuis trois jours",
					"Vulnérabilité critique dans les passerelles VPN : correctif urgent",
				}},
				{[]string{"/rss.xml", "/dup.xml"}, nil},
			},
		},
		{
			name: "second feed added later brings nothing",
			rounds: []struct {
				feeds []string
				want  []string
			}{
				{[]string{"/rss.xml"}, []string{
					"Hameçonnage : une campagne vise les adhérents des mutuelles",
					"Rançongiciel : l'hôpital de Kerlann paralysé depuis trois jours",
					"Vulnérabilité critique dans les passerelles VPN : correctif urgent",
				}},
				{[]string{"/rss.xml", "/dup.xml", "/rss.xml"}, nil},
			},
		},
		{
			name: "growth across refreshes",
			rounds: []struct {
				feeds []string
				want  []string
			}{
				{[]string{"/atom.xml"}, []string{
					"Fuite de données : 1,2 million de clients d'un opérateur exposés",
					"La CNIL sanctionne un courtier en données pour défaut de sécurité",
				}},
				{[]string{"/atom.xml", "/rss.xml"}, []string{
					"Hameçonnage : une campagne vise les adhérents des mutuelles",
					"Rançongiciel : l'hôpital de Kerlann paralysé depuis trois jours",
					"Vulnérabilité critique dans les passerelles VPN : correctif urgent",
				}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSite(t)
			s.pages()
			s.file("/rss.xml", "feeds/rss.xml", "application/rss+xml")
			s.file("/dup.xml", "feeds/dup.xml", "application/rss+xml")
			s.file("/atom.xml", "feeds/atom.xml", "application/atom+xml")
			f := newTestFetcher(t, nil)
			st := openTestStore(t)
			for i, r := range tt.rounds {
				var urls []string
				for _, p := range r.feeds {
					urls = append(urls, s.URL(p))
				}
				arts, errs := f.Refresh(t.Context(), urls, st)
				if len(errs) != 0 {
					t.Fatalf("round %d: errors %v", i, errs)
				}
				got := titles(arts)
				slices.Sort(got)
				if diff := cmp.Diff(r.want, got); diff != "" {
					t.Errorf("round %d (-want +got):\n%s", i, diff)
				}
				if err := st.Save(); err != nil {
					t.Fatal(err)
				}
				// Reopen, as the next run of `veille ingest` would.
				reopened, err := OpenStore(st.path)
				if err != nil {
					t.Fatal(err)
				}
				st = reopened
			}
		})
	}
}

func TestRefreshBackoff(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.file("/ok.json", "feeds/feed.json", "application/feed+json")
	fail := true
	var mu sync.Mutex
	s.handle("/flaky.xml", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			http.Error(w, "indisponible", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = w.Write(s.fixture("feeds/rss.xml"))
	})
	s.pages()
	now := testNow
	f := newTestFetcher(t, func(c *Config) {
		c.Backoff = time.Minute
		c.Now = func() time.Time { return now }
	})
	st := openTestStore(t)
	urls := []string{s.URL("/flaky.xml"), s.URL("/ok.json")}

	refresh := func(wantArts int) []error {
		t.Helper()
		arts, errs := f.Refresh(t.Context(), urls, st)
		if len(arts) != wantArts {
			t.Errorf("at %s: %d articles %q, want %d", now.Format(time.TimeOnly), len(arts), titles(arts), wantArts)
		}
		return errs
	}

	// 1st failure: retry after 2 min.
	errs := refresh(2)
	var se *StatusError
	if len(errs) != 1 || !errors.As(errs[0], &se) || se.Code != http.StatusServiceUnavailable {
		t.Fatalf("errors = %v, want one 503", errs)
	}
	got := st.Get(s.URL("/flaky.xml"))
	if got.Failures != 1 || got.LastError == "" || !got.NextAttempt.Equal(now.Add(2*time.Minute)) {
		t.Errorf("state after 1 failure = %+v", got)
	}

	// Not due yet: not fetched.
	now = now.Add(time.Minute)
	if errs := refresh(0); len(errs) != 0 {
		t.Errorf("backed-off feed fetched: %v", errs)
	}
	if n := s.hitCount("/flaky.xml"); n != 1 {
		t.Errorf("flaky fetched %d times, want 1", n)
	}

	// Due: fails again, retry after 4 min.
	now = now.Add(time.Minute)
	if errs := refresh(0); len(errs) != 1 {
		t.Errorf("errors = %v, want 1", errs)
	}
	if got := st.Get(s.URL("/flaky.xml")); got.Failures != 2 || !got.NextAttempt.Equal(now.Add(4*time.Minute)) {
		t.Errorf("state after 2 failures = %+v", got)
	}

	// Back: articles come, state reset.
	mu.Lock()
	fail = false
	mu.Unlock()
	now = now.Add(4 * time.Minute)
	if errs := refresh(3); len(errs) != 0 {
		t.Errorf("errors = %v", errs)
	}
	if got := st.Get(s.URL("/flaky.xml")); got.Failures != 0 || got.LastError != "" || !got.NextAttempt.IsZero() || !got.LastSuccess.Equal(now) {
		t.Errorf("state after recovery = %+v", got)
	}
}

func TestBackoffDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{1, 10 * time.Minute},
		{2, 20 * time.Minute},
		{5, 160 * time.Minute},
		{9, 24 * time.Hour},
		{1000, 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := backoff(tt.failures, 5*time.Minute); got != tt.want {
			t.Errorf("backoff(%d, 5m) = %s, want %s", tt.failures, got, tt.want)
		}
	}
}

// TestRefreshPoliteness checks that feeds and pages of one host are fetched
// one request at a time, HostDelay apart, however many feeds run at once.
func TestRefreshPoliteness(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.pages()
	s.file("/rss.xml", "feeds/rss.xml", "application/rss+xml")
	s.file("/atom.xml", "feeds/atom.xml", "application/atom+xml")
	s.file("/feed.json", "feeds/feed.json", "application/feed+json")
	var (
		mu     sync.Mutex
		sleeps []time.Duration
	)
	f := newTestFetcher(t, func(c *Config) {
		c.HostDelay = 700 * time.Millisecond
		c.Concurrency = 3
	})
	f.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		sleeps = append(sleeps, d)
		return nil
	}
	arts, errs := f.Refresh(t.Context(), []string{s.URL("/rss.xml"), s.URL("/atom.xml"), s.URL("/feed.json")}, openTestStore(t))
	if len(errs) != 0 || len(arts) != 7 {
		t.Fatalf("Refresh = %d articles, %v; want 7, no error", len(arts), errs)
	}
	if s.maxInflight != 1 {
		t.Errorf("%d requests at once on one host, want 1", s.maxInflight)
	}
	// 3 feeds + 3 pages = 6 requests: every one but the first waited.
	mu.Lock()
	defer mu.Unlock()
	if len(sleeps) != 5 {
		t.Errorf("slept %d times, want 5", len(sleeps))
	}
	for _, d := range sleeps {
		if d != 700*time.Millisecond {
			t.Errorf("slept %s, want 700ms (the clock is fixed)", d)
		}
	}
}

func TestRefreshCancelled(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.file("/rss.xml", "feeds/rss.xml", "application/rss+xml")
	f := newTestFetcher(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	st := openTestStore(t)
	arts, errs := f.Refresh(ctx, []string{s.URL("/rss.xml")}, st)
	if len(arts) != 0 || len(errs) != 1 || !errors.Is(errs[0], context.Canceled) {
		t.Errorf("Refresh on a cancelled context = %d articles, %v", len(arts), errs)
	}
}
