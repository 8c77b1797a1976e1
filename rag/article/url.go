package article

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// ErrBadURL reports a URL that is not an absolute http or https URL with a host.
var ErrBadURL = errors.New("not an absolute http(s) URL")

// CanonicalURL returns raw in the one form Veille stores, so that two links to
// the same article compare equal: scheme and host lower-cased, user info,
// default port and fragment dropped, tracking parameters (utm_*, at_*, xtor,
// fbclid, gclid, mc_cid, mc_eid…) removed, the remaining query parameters
// sorted by name (their encoding kept), an empty path written "/" and a
// trailing slash removed from any other path. It fails with ErrBadURL when raw
// is not an absolute http(s) URL.
func CanonicalURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadURL, err)
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if (scheme != "http" && scheme != "https") || host == "" || u.Opaque != "" {
		return "", fmt.Errorf("%w: %q", ErrBadURL, raw)
	}
	if strings.Contains(host, ":") { // IPv6 literal
		host = "[" + host + "]"
	}
	if port := u.Port(); port != "" && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443") {
		host += ":" + port
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	} else if len(path) > 1 {
		path = strings.TrimRight(path, "/")
		if path == "" {
			path = "/"
		}
	}
	var b strings.Builder
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(host)
	b.WriteString(path)
	if q := canonicalQuery(u.RawQuery); q != "" {
		b.WriteByte('?')
		b.WriteString(q)
	}
	return b.String(), nil
}

// canonicalQuery drops tracking parameters and empty pairs and sorts the rest
// by decoded name, keeping each pair as written and equal names in order.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	type pair struct{ key, text string }
	var pairs []pair
	for text := range strings.SplitSeq(raw, "&") {
		if text == "" {
			continue
		}
		k, _, _ := strings.Cut(text, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if isTracking(strings.ToLower(k)) {
			continue
		}
		pairs = append(pairs, pair{k, text})
	}
	slices.SortStableFunc(pairs, func(a, b pair) int { return strings.Compare(a.key, b.key) })
	texts := make([]string, len(pairs))
	for i, p := range pairs {
		texts[i] = p.text
	}
	return strings.Join(texts, "&")
}

// isTracking reports a query parameter (lower-cased name) that only tells the
// publisher where a click came from.
func isTracking(k string) bool {
	if strings.HasPrefix(k, "utm_") || strings.HasPrefix(k, "at_") || strings.HasPrefix(k, "pk_") || strings.HasPrefix(k, "mtm_") {
		return true
	}
	switch k {
	case "xtor", "xts", "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "twclid", "igshid",
		"mc_cid", "mc_eid", "_ga", "_gl", "ocid", "cmpid", "ns_source", "ns_mchannel", "ns_campaign":
		return true
	}
	return false
}
