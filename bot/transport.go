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
	if r.URL.Host != discordHost || !strings.HasPrefix(r.URL.Path, "/api/") {
		return rw.next.RoundTrip(r)
	}
	u := *r.URL
	u.Scheme = rw.base.Scheme
	u.Host = rw.base.Host
	prefix := strings.TrimSuffix(rw.base.Path, "/")
	u.Path = prefix + r.URL.Path
	if r.URL.RawPath != "" {
		u.RawPath = prefix + r.URL.RawPath
	}
	out := r.Clone(r.Context())
	out.URL = &u
	out.Host = ""
	return rw.next.RoundTrip(out)
}
