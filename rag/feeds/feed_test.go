package feeds

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/veille/veille/rag/article"
)

// brief is what the feed tests check of an article.
type brief struct {
	Title, URL, Source, Lang string
	Published                time.Time
}

func briefs(arts []article.Article) []brief {
	out := make([]brief, len(arts))
	for i, a := range arts {
		out[i] = brief{a.Title, a.URL, a.Source, a.Lang, a.Published}
	}
	return out
}

func TestFeedFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path, file, contentType string
		want                          func(base string) []brief
		// texts holds, per article, phrases its text must contain.
		texts [][]string
	}{
		{
			name: "rss 2.0", path: "/rss.xml", file: "feeds/rss.xml", contentType: "application/rss+xml",
			want: func(base string) []brief {
				return []brief{
					{"Vulnérabilité critique dans les passerelles VPN : correctif urgent", base + "/articles/vpn-critique", "CyberVeille Hebdo", "fr", time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)},
					{"Rançongiciel : l'hôpital de Kerlann paralysé depuis trois jours", base + "/articles/rancongiciel-hopital", "CyberVeille Hebdo", "fr", time.Date(2026, 11, 20, 6, 30, 0, 0, time.UTC)},
					{"Hameçonnage : une campagne vise les adhérents des mutuelles", "https://www.journal-securite.example/2026/11/hameconnage-mutuelles", "CyberVeille Hebdo", "fr", time.Date(2026, 11, 18, 8, 15, 0, 0, time.UTC)},
				}
			},
			texts: [][]string{
				{"CVSS", "CERT-FR", "4 000 équipements"},
				{"programme CaRE", "ANSSI"}, // from the page: the feed only had a summary
				{"Pharos", "33700"},
			},
		},
		{
			name: "rss in iso-8859-1", path: "/latin1.xml", file: "feeds/latin1.xml", contentType: "text/xml",
			want: func(base string) []brief {
				return []brief{
					{"Rançongiciel : l'hôpital de Kerlann paralysé depuis trois jours", base + "/articles/rancongiciel-hopital", "Agrégateur Sécu (Latin-1)", "fr", time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC)},
					{"Vulnérabilité critique dans les passerelles VPN : correctif urgent", base + "/miroir/vpn-critique", "Agrégateur Sécu (Latin-1)", "fr", time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)},
				}
			},
			texts: [][]string{{"ANSSI"}, {"établissements de santé"}},
		},
		{
			name: "atom", path: "/atom.xml", file: "feeds/atom.xml", contentType: "application/atom+xml; charset=utf-8",
			want: func(base string) []brief {
				return []brief{
					{"La CNIL sanctionne un courtier en données pour défaut de sécurité", base + "/2026/11/cnil-courtier", "Le Journal de la Sécurité", "fr", time.Date(2026, 11, 19, 10, 0, 0, 0, time.UTC)},
					{"Fuite de données : 1,2 million de clients d'un opérateur exposés", base + "/articles/fuite-donnees", "Le Journal de la Sécurité", "fr", time.Date(2026, 11, 15, 16, 45, 0, 0, time.UTC)},
				}
			},
			texts: [][]string{
				{"1,5 million d'euros", "Conseil d'État"},
				{"72 heures", "IBAN"}, // from an ISO-8859-1 page
			},
		},
		{
			name: "json feed", path: "/feed.json", file: "feeds/feed.json", contentType: "application/feed+json",
			want: func(base string) []brief {
				return []brief{
					{"Un botnet de caméras connectées démantelé par Europol", base + "/breves/301-botnet-demantele", "Brèves Cyber", "fr", time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)},
					{"Le Cyberscore étendu aux services de messagerie", base + "/breves/300-cyberscore", "Brèves Cyber", "fr", time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)},
				}
			},
			texts: [][]string{
				{"Europol", "micrologiciel"},
				{"Journal officiel", "prestataire qualifié"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSite(t)
			s.pages()
			s.file(tt.path, tt.file, tt.contentType)
			f := newTestFetcher(t, nil)

			arts, st, err := f.Feed(t.Context(), s.URL(tt.path), State{})
			if err != nil {
				t.Fatalf("Feed: %v", err)
			}
			if diff := cmp.Diff(tt.want(s.srv.URL), briefs(arts)); diff != "" {
				t.Errorf("articles mismatch (-want +got):\n%s", diff)
			}
			for i, phrases := range tt.texts {
				if i < len(arts) && !containsAll(arts[i].Text, phrases...) {
					t.Errorf("article %d text lacks %q:\n%s", i, phrases, arts[i].Text)
				}
			}
			for _, a := range arts {
				if a.ID == "" || strings.Contains(a.Text, "Contenu partenaire") || strings.Contains(a.Text, "commentaire") {
					t.Errorf("article %q: no ID or chrome left:\n%s", a.Title, a.Text)
				}
			}
			if st.ETag == "" || st.LastModified == "" || !st.LastSuccess.Equal(testNow) || st.Failures != 0 || len(st.Seen) == 0 {
				t.Errorf("state after success = %+v", st)
			}
		})
	}
}

func TestFeedConditionalGet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// strip removes a validator from the first state, to test each alone.
		strip func(*State)
	}{
		{"etag", func(s *State) { s.LastModified = "" }},
		{"last-modified", func(s *State) { s.ETag = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSite(t)
			s.pages()
			data := s.fixture("feeds/rss.xml")
			lastModified := testNow.Add(-time.Hour).Format(http.TimeFormat)
			s.handle("/rss.xml", func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("If-None-Match") == `"v1"` || r.Header.Get("If-Modified-Since") == lastModified {
					w.WriteHeader(http.StatusNotModified)
					return
				}
				w.Header().Set("ETag", `"v1"`)
				w.Header().Set("Last-Modified", lastModified)
				w.Header().Set("Content-Type", "application/rss+xml")
				_, _ = w.Write(data)
			})
			f := newTestFetcher(t, nil)
			arts, st, err := f.Feed(t.Context(), s.URL("/rss.xml"), State{})
			if err != nil || len(arts) != 3 {
				t.Fatalf("first Feed = %d articles, %v; want 3", len(arts), err)
			}
			tt.strip(&st)
			arts, st2, err := f.Feed(t.Context(), s.URL("/rss.xml"), st)
			if err != nil || len(arts) != 0 {
				t.Fatalf("second Feed = %q, %v; want none", titles(arts), err)
			}
			if got := s.hitCount("/articles/rancongiciel-hopital"); got != 1 {
				t.Errorf("page fetched %d times, want 1", got)
			}
			if !st2.LastSuccess.Equal(testNow) || st2.Failures != 0 || len(st2.Seen) != len(st.Seen) {
				t.Errorf("state after 304 = %+v", st2)
			}
		})
	}
}

func TestFeedGrowth(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.pages()
	s.file("/rss.xml", "feeds/rss.xml", "application/rss+xml")
	f := newTestFetcher(t, nil)
	arts, st, err := f.Feed(t.Context(), s.URL("/rss.xml"), State{})
	if err != nil || len(arts) != 3 {
		t.Fatalf("first Feed = %d articles, %v; want 3", len(arts), err)
	}
	s.file("/rss.xml", "feeds/rss_grown.xml", "application/rss+xml")
	arts, _, err = f.Feed(t.Context(), s.URL("/rss.xml"), st)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Patch Tuesday de novembre : six failles zero-day corrigées"}
	if diff := cmp.Diff(want, titles(arts)); diff != "" {
		t.Errorf("grown feed (-want +got):\n%s", diff)
	}
	for _, p := range []string{"/articles/rancongiciel-hopital", "/articles/phishing-campagne"} {
		if got := s.hitCount(p); got != 1 {
			t.Errorf("%s fetched %d times, want 1 (seen items are not fetched again)", p, got)
		}
	}
}

func TestFeedChangedAndRepublished(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		edit    func(string) string
		want    []string
		wantErr bool
	}{
		{
			name: "new pubDate only",
			edit: func(s string) string {
				return strings.Replace(s, "Fri, 21 Nov 2026 10:00:00 +0100", "Mon, 24 Nov 2026 07:00:00 +0100", 1)
			},
		},
		{
			name: "new guid, tracking parameters and pubDate",
			edit: func(s string) string {
				s = strings.Replace(s, "cvh-1001", "cvh-1001-bis", 1)
				s = strings.Replace(s, "utm_source=rss&amp;utm_medium=feed", "utm_campaign=relance&amp;xtor=RSS-3", 1)
				return strings.Replace(s, "Fri, 21 Nov 2026 10:00:00 +0100", "Mon, 24 Nov 2026 07:00:00 +0100", 1)
			},
		},
		{
			name: "text corrected",
			edit: func(s string) string {
				return strings.Replace(s, "plus de 4 000 équipements", "plus de 5 000 équipements", 1)
			},
			want: []string{"Vulnérabilité critique dans les passerelles VPN : correctif urgent"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSite(t)
			s.pages()
			orig := string(s.fixture("feeds/rss.xml"))
			s.body("/rss.xml", []byte(orig), "application/rss+xml")
			f := newTestFetcher(t, nil)
			_, st, err := f.Feed(t.Context(), s.URL("/rss.xml"), State{})
			if err != nil {
				t.Fatal(err)
			}
			s.body("/rss.xml", []byte(tt.edit(orig)), "application/rss+xml")
			arts, _, err := f.Feed(t.Context(), s.URL("/rss.xml"), st)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, titles(arts)); diff != "" {
				t.Errorf("second fetch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFeedSummaryKeptWhenPageFails(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.file("/rss.xml", "feeds/rss.xml", "application/rss+xml")
	s.file("/articles/rancongiciel-hopital", "pages/rancongiciel-hopital.html", "text/html")
	s.handle("/articles/phishing-campagne", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "surcharge", http.StatusServiceUnavailable) // transient
	})
	f := newTestFetcher(t, nil)
	arts, st, err := f.Feed(t.Context(), s.URL("/rss.xml"), State{})
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 3 {
		t.Fatalf("got %q, want 3 articles", titles(arts))
	}
	if got, want := arts[2].Text, "Des milliers de faux courriels imitent les mutuelles françaises."; got != want {
		t.Errorf("text = %q, want the summary %q", got, want)
	}
	if got, want := arts[2].URL, s.URL("/articles/phishing-campagne"); got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}

	// The page is back: the whole article replaces the summary.
	s.file("/articles/phishing-campagne", "pages/phishing-campagne.html", "text/html")
	arts, _, err = f.Feed(t.Context(), s.URL("/rss.xml"), st)
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 || !strings.Contains(arts[0].Text, "Pharos") {
		t.Errorf("after the page came back: %q, want the whole phishing article", titles(arts))
	}
	if got := s.hitCount("/articles/rancongiciel-hopital"); got != 1 {
		t.Errorf("complete item's page fetched %d times, want 1", got)
	}
}

func TestFeedErrors(t *testing.T) {
	t.Parallel()
	const base = time.Minute
	tests := []struct {
		name    string
		serve   func(s *site)
		set     func(*Config)
		wantIs  error
		wantMsg string
		// wantWait is the wait before the next attempt; zero means the
		// back-off after 3 failures, 8 × base.
		wantWait time.Duration
	}{
		{
			name:    "malformed feed",
			serve:   func(s *site) { s.file("/feed", "feeds/malformed.xml", "application/rss+xml") },
			wantMsg: "malformed feed",
		},
		{
			name:    "html error page served as a feed",
			serve:   func(s *site) { s.file("/feed", "feeds/error.html", "text/html; charset=utf-8") },
			wantIs:  ErrNotFeed,
			wantMsg: "not a feed (text/html)",
		},
		{
			name:    "site home page given as a feed",
			serve:   func(s *site) { s.file("/feed", "pages/rancongiciel-hopital.html", "text/html; charset=utf-8") },
			wantIs:  ErrNotFeed,
			wantMsg: "not a feed (text/html); the page links to http://127.0.0.1:",
		},
		{
			name:    "html error page without content type",
			serve:   func(s *site) { s.file("/feed", "feeds/error.html", "") },
			wantIs:  ErrNotFeed,
			wantMsg: "not a feed (text/html)",
		},
		{
			name:    "opml is not a feed",
			serve:   func(s *site) { s.file("/feed", "feeds/subscriptions.opml", "text/x-opml") },
			wantIs:  ErrNotFeed,
			wantMsg: "not a feed",
		},
		{
			name: "server error",
			serve: func(s *site) {
				s.handle("/feed", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", http.StatusBadGateway) })
			},
			wantMsg: "http status 502 Bad Gateway",
		},
		{
			name: "rate limited with a longer Retry-After",
			serve: func(s *site) {
				s.handle("/feed", func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Retry-After", "3600")
					http.Error(w, "trop de requêtes", http.StatusTooManyRequests)
				})
			},
			wantMsg:  "http status 429 Too Many Requests",
			wantWait: time.Hour,
		},
		{
			name: "unavailable until an HTTP date, read on the fetcher's clock",
			serve: func(s *site) {
				s.handle("/feed", func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Retry-After", testNow.Add(2*time.Hour).Format(http.TimeFormat))
					http.Error(w, "maintenance", http.StatusServiceUnavailable)
				})
			},
			wantMsg:  "http status 503 Service Unavailable",
			wantWait: 2 * time.Hour,
		},
		{
			name: "rate limited for longer than the longest backoff",
			serve: func(s *site) {
				s.handle("/feed", func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Retry-After", "172800.5")
					http.Error(w, "trop de requêtes", http.StatusTooManyRequests)
				})
			},
			wantMsg:  "http status 429 Too Many Requests",
			wantWait: maxBackoff,
		},
		{
			name:    "oversized with content length",
			serve:   func(s *site) { s.file("/feed", "feeds/rss.xml", "application/rss+xml") },
			set:     func(c *Config) { c.MaxBytes = 1024 },
			wantIs:  ErrTooLarge,
			wantMsg: "response too large",
		},
		{
			name: "oversized streamed",
			serve: func(s *site) {
				s.handle("/feed", func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/rss+xml")
					chunk := []byte(strings.Repeat("<!-- remplissage -->", 100))
					for range 10 {
						_, _ = w.Write(chunk)
						w.(http.Flusher).Flush()
					}
				})
			},
			set:    func(c *Config) { c.MaxBytes = 4096 },
			wantIs: ErrTooLarge,
		},
		{
			name: "slow headers",
			serve: func(s *site) {
				s.handle("/feed", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
			},
			set:     func(c *Config) { c.Timeout = 50 * time.Millisecond },
			wantMsg: "timed out after 50ms",
		},
		{
			name: "slow body",
			serve: func(s *site) {
				s.handle("/feed", func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/rss+xml")
					_, _ = w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel>`))
					w.(http.Flusher).Flush()
					<-r.Context().Done()
				})
			},
			set:     func(c *Config) { c.Timeout = 50 * time.Millisecond },
			wantMsg: "timed out after 50ms",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSite(t)
			tt.serve(s)
			f := newTestFetcher(t, func(c *Config) {
				c.Backoff = base
				if tt.set != nil {
					tt.set(c)
				}
			})
			prev := State{URL: s.URL("/feed"), Failures: 2, LastSuccess: testNow.Add(-time.Hour)}
			arts, st, err := f.Feed(t.Context(), s.URL("/feed"), prev)
			if err == nil {
				t.Fatalf("Feed = %q, want an error", titles(arts))
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v, want %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q, want it to contain %q", err, tt.wantMsg)
			}
			want := State{
				URL:         s.URL("/feed"),
				LastSuccess: testNow.Add(-time.Hour),
				LastAttempt: testNow,
				LastError:   strings.TrimPrefix(err.Error(), "feed "+s.URL("/feed")+": "),
				Failures:    3,
				NextAttempt: testNow.Add(cmpOr(tt.wantWait, 8*base)),
			}
			if diff := cmp.Diff(want, st); diff != "" {
				t.Errorf("state (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFeedNotFeedListsAlternates(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.file("/", "pages/rancongiciel-hopital.html", "text/html; charset=utf-8")
	f := newTestFetcher(t, nil)
	_, _, err := f.Feed(t.Context(), s.URL("/"), State{})
	var nf *NotFeedError
	if !errors.As(err, &nf) {
		t.Fatalf("Feed error = %v, want a *NotFeedError", err)
	}
	want := &NotFeedError{ContentType: "text/html", Alternates: []string{s.URL("/rss.xml")}}
	if diff := cmp.Diff(want, nf); diff != "" {
		t.Errorf("NotFeedError (-want +got):\n%s", diff)
	}
}

func TestFeedCancelledKeepsState(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.handle("/feed", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	f := newTestFetcher(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	prev := State{URL: s.URL("/feed"), ETag: `"x"`, Failures: 1}
	go func() {
		for s.hitCount("/feed") == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, st, err := f.Feed(ctx, s.URL("/feed"), prev)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Feed error = %v, want context.Canceled", err)
	}
	if diff := cmp.Diff(prev, st); diff != "" {
		t.Errorf("state changed by a cancelled fetch (-want +got):\n%s", diff)
	}
}

func TestFeedPageFailureKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		// wantRetry is whether the next refresh must fetch the feed in full
		// (no validators kept) and try the page again.
		wantRetry bool
	}{
		{"gone for good", http.StatusNotFound, false},
		{"transient", http.StatusBadGateway, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSite(t)
			s.pages()
			s.file("/rss.xml", "feeds/rss.xml", "application/rss+xml")
			s.handle("/articles/phishing-campagne", func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "non", tt.status)
			})
			f := newTestFetcher(t, nil)
			arts, st, err := f.Feed(t.Context(), s.URL("/rss.xml"), State{})
			if err != nil || len(arts) != 3 {
				t.Fatalf("Feed = %q, %v; want 3 articles", titles(arts), err)
			}
			if got := st.ETag != ""; got == tt.wantRetry {
				t.Errorf("validators kept = %v, want %v", got, !tt.wantRetry)
			}
			if _, _, err := f.Feed(t.Context(), s.URL("/rss.xml"), st); err != nil {
				t.Fatal(err)
			}
			want := 1
			if tt.wantRetry {
				want = 2
			}
			if got := s.hitCount("/articles/phishing-campagne"); got != want {
				t.Errorf("page tried %d times, want %d", got, want)
			}
		})
	}
}
