package feeds

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

func TestPrivateAddressGuard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		set   func(*Config)
		path  string
		local bool // address the site as "localhost" instead of 127.0.0.1
		// wantErr is nil when the fetch must succeed.
		wantErr error
		// wantTargetHits is how often /rss.xml may be reached.
		wantTargetHits int
	}{
		{
			name:    "loopback literal refused",
			set:     func(c *Config) { c.AllowPrivate = false },
			path:    "/rss.xml",
			wantErr: ErrPrivateAddress,
		},
		{
			name:    "name resolving to loopback refused at dial time",
			set:     func(c *Config) { c.AllowPrivate = false },
			path:    "/rss.xml",
			local:   true,
			wantErr: ErrPrivateAddress,
		},
		{
			name:    "redirect to a private address refused",
			set:     func(c *Config) { c.AllowPrivate = false; c.AllowHosts = []string{"127.0.0.1"} },
			path:    "/to-localhost",
			wantErr: ErrPrivateAddress,
		},
		{
			name:    "redirect to a loopback literal refused",
			set:     func(c *Config) { c.AllowPrivate = false; c.AllowHosts = []string{"localhost"} },
			path:    "/to-literal",
			local:   true,
			wantErr: ErrPrivateAddress,
		},
		{
			name:           "operator URLs may be private",
			set:            func(c *Config) { c.AllowPrivate = true },
			path:           "/to-localhost",
			wantTargetHits: 1,
		},
		{
			name:           "allow-listed host",
			set:            func(c *Config) { c.AllowPrivate = false; c.AllowHosts = []string{" 127.0.0.1 ", "localhost."} },
			path:           "/to-localhost",
			wantTargetHits: 1,
		},
		{
			name:    "too many redirects",
			set:     func(c *Config) { c.AllowPrivate = true },
			path:    "/loop",
			wantErr: ErrTooManyRedirects,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSite(t)
			s.pages()
			s.file("/rss.xml", "feeds/rss.xml", "application/rss+xml")
			port := s.srv.Listener.Addr().(*net.TCPAddr).Port
			localhost := strings.Replace(s.srv.URL, "127.0.0.1", "localhost", 1)
			s.handle("/to-localhost", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, localhost+"/rss.xml", http.StatusFound)
			})
			s.handle("/to-literal", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "http://[::ffff:127.0.0.1]:"+strconv.Itoa(port)+"/rss.xml", http.StatusFound)
			})
			s.handle("/loop", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/loop", http.StatusFound)
			})
			f := newTestFetcher(t, tt.set)
			u := s.URL(tt.path)
			if tt.local {
				u = localhost + tt.path
			}
			_, _, err := f.Feed(t.Context(), u, State{})
			if tt.wantErr == nil && err != nil {
				t.Fatalf("Feed: %v", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Feed error = %v, want %v", err, tt.wantErr)
			}
			if got := s.hitCount("/rss.xml"); got != tt.wantTargetHits {
				t.Errorf("/rss.xml reached %d times, want %d", got, tt.wantTargetHits)
			}
		})
	}
}

func TestBlockedIP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ip   string
		want bool
	}{
		{"127.0.0.1", true},
		{"127.8.9.10", true},
		{"10.1.2.3", true},
		{"172.16.0.1", true},
		{"192.168.1.1", true},
		{"169.254.169.254", true}, // cloud metadata
		{"100.64.0.1", true},
		{"0.0.0.0", true},
		{"0.1.2.3", true},
		{"224.0.0.1", true},
		{"255.255.255.255", true},
		{"::1", true},
		{"::", true},
		{"fe80::1", true},
		{"fc00::1", true},
		{"ff02::1", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:10.0.0.1", true},
		{"64:ff9b::a00:1", true}, // NAT64 of 10.0.0.1
		{"fe80::1%eth0", true},
		{"93.184.215.14", false},
		{"2606:2800:21f:cb07:6820:80da:af6b:8b2c", false},
		{"64:ff9b::5db8:d70e", false}, // NAT64 of a public address
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			t.Parallel()
			ip := netip.MustParseAddr(tt.ip)
			if got := blockedIP(ip); got != tt.want {
				t.Errorf("blockedIP(%s) = %v, want %v", tt.ip, got, tt.want)
			}
			err := controlPublic("tcp", netip.AddrPortFrom(ip.WithZone(""), 443).String(), nil)
			if got := errors.Is(err, ErrPrivateAddress); got != tt.want {
				t.Errorf("controlPublic(%s) = %v, want refused %v", tt.ip, err, tt.want)
			}
		})
	}
}

// TestGuardDialsChecked checks the dial-time guard alone, without the early
// URL check: a name that resolves to loopback is refused once resolved.
func TestGuardDialsChecked(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	dial := newGuard(false, nil).dialContext(&net.Dialer{})
	port := strconv.Itoa(s.srv.Listener.Addr().(*net.TCPAddr).Port)
	for _, addr := range []string{"localhost:" + port, "127.0.0.1:" + port} {
		conn, err := dial(t.Context(), "tcp", addr)
		if err == nil {
			conn.Close()
		}
		if !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("dial %s: %v, want ErrPrivateAddress", addr, err)
		}
	}
	u, _ := url.Parse("http://[fe80::1%25eth0]/x")
	if err := newGuard(false, nil).checkURL(u); !errors.Is(err, ErrPrivateAddress) {
		t.Errorf("checkURL(%s) = %v", u, err)
	}
}
