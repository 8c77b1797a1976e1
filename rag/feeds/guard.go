package feeds

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// ErrPrivateAddress reports a URL that would reach a loopback, private,
// link-local, unspecified or multicast address while private addresses are not
// allowed (Config.AllowPrivate false). The check runs when the connection is
// dialled, after DNS resolution, so redirects and DNS rebinding are covered.
var ErrPrivateAddress = errors.New("private address not allowed")

// guard decides which destinations a Fetcher may connect to.
type guard struct {
	allowPrivate bool
	allowHosts   map[string]bool // lower-cased host names and IP literals
}

func newGuard(allowPrivate bool, hosts []string) guard {
	g := guard{allowPrivate: allowPrivate, allowHosts: make(map[string]bool, len(hosts))}
	for _, h := range hosts {
		h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
		h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
		if h != "" {
			g.allowHosts[h] = true
		}
	}
	return g
}

// allowed reports whether host (a name or IP literal, without port) skips the
// private-address check.
func (g guard) allowed(host string) bool {
	if g.allowPrivate {
		return true
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	return g.allowHosts[strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")]
}

// checkURL refuses early, before any request, a URL whose host is an IP
// literal in a blocked range. It is a cheap first answer, and the only one
// when a proxy dials for us; names are checked at dial time, once resolved,
// which is the check that cannot be bypassed.
func (g guard) checkURL(u *url.URL) error {
	host := u.Hostname()
	if g.allowed(host) {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && blockedIP(ip) {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, ip)
	}
	return nil
}

// dialContext returns a DialContext that checks every resolved address of a
// host not in the allow-list before connecting to it.
func (g guard) dialContext(plain *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	guarded := *plain
	guarded.Control = controlPublic
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		if g.allowed(host) {
			return plain.DialContext(ctx, network, addr)
		}
		return guarded.DialContext(ctx, network, addr)
	}
}

// controlPublic is a net.Dialer.Control that refuses blocked addresses; it
// sees the address actually being connected to, after resolution.
func controlPublic(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	if blockedIP(ip) {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, ip)
	}
	return nil
}

var (
	sharedSpace = netip.MustParsePrefix("100.64.0.0/10") // carrier-grade NAT, RFC 6598
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	nat64       = netip.MustParsePrefix("64:ff9b::/96") // embeds an IPv4 address
)

// blockedIP reports an address a user URL must not reach.
func blockedIP(ip netip.Addr) bool {
	ip = ip.WithZone("").Unmap()
	if nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	return !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() ||
		ip.IsUnspecified() || sharedSpace.Contains(ip) || thisNetwork.Contains(ip) ||
		ip == netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// proxyFunc wraps a transport's Proxy so that a request refused by checkURL
// never reaches a proxy, which would otherwise dial the target for us.
func (g guard) proxyFunc(next func(*http.Request) (*url.URL, error)) func(*http.Request) (*url.URL, error) {
	return func(r *http.Request) (*url.URL, error) {
		if err := g.checkURL(r.URL); err != nil {
			return nil, err
		}
		if next == nil {
			return nil, nil
		}
		return next(r)
	}
}
