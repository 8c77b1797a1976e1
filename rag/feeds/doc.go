// Package feeds keeps Veille's index current from the news sites users follow:
// it fetches RSS 2.0, Atom and JSON Feed documents with conditional GET (or
// reads one from a local file, FeedFile), reads OPML subscription lists, extracts the main text of web pages (readability)
// when a feed only carries summaries, and remembers per-feed state (validators,
// failures, back-off, what was already seen) so that a refresh returns only new
// or changed articles, once each across feeds.
//
// Every request is bounded: a response size cap, a per-request timeout, a
// redirect limit, content-type checks and one request at a time per host with
// a politeness delay. URLs that come from untrusted users are fetched with
// AllowPrivate false: the dialer then refuses loopback, private, link-local,
// unspecified and multicast addresses at connection time, so neither a
// redirect nor a DNS answer can reach the operator's network (ErrPrivateAddress).
package feeds
