package bot

import (
	"net/http"
	"net/url"
	"strings"
)

// discordHost is where discordgo's endpoints, fixed at init, point.
const discordHost = "discord.com"

// redirect returns a client that sends discordgo's REST requests for
// https://discord.com/api/... to base instead (a REST proxy, or a fake
// Discord in tests), keeping the path. A nil base leaves requests alone;
// a nil client means a default one (which honours HTTPS_PROXY).
func redirect(c *http.Client, base *url.URL) *http.Client {
	if c == nil {
		c = &http.Client{}
	}
	if base == nil {
		return c
	}
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	out := *c
	out.Transport = rewriter{base: base, next: next}
	return &out
}

// rewriter is an http.RoundTripper that moves Discord API requests to base.
type rewriter struct {
	base *url.URL
	next http.RoundTripper
}

func (rw rewriter) RoundTrip(r *http.Request) (*http.Response, error) {
	u, ok := moved(r.URL, rw.base)
	if !ok {
		return rw.next.RoundTrip(r)
	}
	out := r.Clone(r.Context())
	out.URL = u
	out.Host = ""
	return rw.next.RoundTrip(out)
}

// moved returns where a request for u goes with base: a Discord API URL
// moves to base's scheme and host, base's path before its own; ok is false
// for any other URL, which stays.
func moved(u, base *url.URL) (*url.URL, bool) {
	if base == nil || u.Host != discordHost || !strings.HasPrefix(u.Path, "/api/") {
		return u, false
	}
	m := *u
	m.Scheme = base.Scheme
	m.Host = base.Host
	prefix := strings.TrimSuffix(base.Path, "/")
	m.Path = prefix + u.Path
	if u.RawPath != "" {
		m.RawPath = prefix + u.RawPath
	}
	return &m, true
}

// dialled makes a failed request's error name the URL actually requested:
// discordgo's requests name https://discord.com/api/..., which base may
// have sent elsewhere ("connection refused" from discord.com would send
// the operator looking in the wrong place).
func dialled(err error, base *url.URL) error {
	ue, ok := err.(*url.Error)
	if !ok {
		return err
	}
	u, perr := url.Parse(ue.URL)
	if perr != nil {
		return err
	}
	m, ok := moved(u, base)
	if !ok {
		return err
	}
	return &url.Error{Op: ue.Op, URL: m.String(), Err: ue.Err}
}
