package bot

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"
)

// getErr wraps err as net/http and the feed fetcher report a failed GET.
func getErr(err error) error {
	u := "https://intranet.example/rss"
	return fmt.Errorf("feed %s: %w", u, &url.Error{Op: "Get", URL: u, Err: err})
}

func TestUnreadableReason(t *testing.T) {
	t.Parallel()
	resolver := "127.0.0.53:53"
	tests := []struct {
		name  string
		err   error
		lang  lang
		want  string
		clean bool
	}{
		{"no such host fr", getErr(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "intranet.example", Server: resolver, IsNotFound: true}}),
			french, "son nom d'hôte n'existe pas (vérifiez l'orthographe)", true},
		{"resolver failing en", getErr(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "server misbehaving", Name: "intranet.example", Server: resolver}}),
			english, "its host name could not be looked up; try again later", true},
		{"connection refused en", getErr(&net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 5), Port: 443}, Err: syscall.ECONNREFUSED}),
			english, "the site could not be reached", true},
		{"timeout fr", getErr(context.DeadlineExceeded), french, "le site a mis trop de temps à répondre", true},
		{"bad certificate en", getErr(x509.UnknownAuthorityError{}), english, "its HTTPS certificate is not valid", true},
		{"http status kept", errors.New("feed https://x.example/rss: http status 404 Not Found"), english,
			"feed https://x.example/rss: http status 404 Not Found", false},
		{"addresses masked in other text", errors.New("read tcp 10.1.2.3:51234->93.184.216.34:443 and [fd00::53]:53: connection reset"), english,
			"read tcp …->… and …: connection reset", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, clean := unreadableReason(tt.err, tt.lang)
			if got != tt.want || clean != tt.clean {
				t.Errorf("unreadableReason = %q, %v; want %q, %v", got, clean, tt.want, tt.clean)
			}
			// What the admin reads never names an address the bot dialled.
			msg, _ := explain(&UnreadableSourceError{URL: "https://intranet.example/rss", Err: tt.err}, tt.lang)
			for _, leak := range []string{"127.0.0.53", "10.0.0.5", "10.1.2.3", "fd00::53", "dial tcp", "lookup"} {
				if strings.Contains(msg, leak) {
					t.Errorf("message %q leaks %q", msg, leak)
				}
			}
		})
	}
}

func TestFeedHealthLineMasksAddresses(t *testing.T) {
	t.Parallel()
	line := feedHealthLine(FeedHealth{URL: "http://intranet.local/rss", Failures: 2,
		LastError: "Get \"http://intranet.local/rss\": dial tcp: lookup intranet.local on 127.0.0.53:53: no such host"}, true, english)
	if strings.Contains(line, "127.0.0.53") || !strings.Contains(line, "no such host") {
		t.Errorf("health line = %q, want the error without the resolver's address", line)
	}
}
