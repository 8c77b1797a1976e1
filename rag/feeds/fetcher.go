package feeds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/veille/veille/rag/retryafter"
)

// Defaults for the zero values of Config.
const (
	DefaultUserAgent   = "Veille/1 (+https://github.com/veille/veille)"
	DefaultMaxBytes    = 10 << 20
	DefaultTimeout     = 20 * time.Second
	DefaultHostDelay   = time.Second
	DefaultBackoff     = 5 * time.Minute
	DefaultConcurrency = 4
	maxRedirects       = 5
	maxBackoff         = 24 * time.Hour
)

var (
	// ErrTooLarge reports a response bigger than Config.MaxBytes.
	ErrTooLarge = errors.New("response too large")
	// ErrNotFeed reports a feed URL that answered with something else than
	// RSS, Atom or JSON Feed, typically an HTML page: "not a feed (text/html)".
	ErrNotFeed = errors.New("not a feed")
	// ErrNotHTML reports a page URL that answered with something else than HTML.
	ErrNotHTML = errors.New("not an HTML page")
	// ErrTooManyRedirects reports a chain of more than 5 redirects.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrNoText reports a page in which no article text was found.
	ErrNoText = errors.New("no article text found")
)

// StatusError reports an HTTP response with an unexpected status code.
type StatusError struct {
	Code   int
	Status string
	// RetryAfter is the server's Retry-After of a 429 or 503, zero if none.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string { return "http status " + e.Status }

// Config sets up a Fetcher. Zero values mean the defaults documented on each field.
type Config struct {
	// HTTPClient sends the requests. Nil means a client built here with
	// timeouts, a limit of 5 redirects, the proxy from the environment and the
	// private-address guard. A given client is copied; when its Transport is
	// nil or an *http.Transport, the copy gets the guard too.
	HTTPClient *http.Client
	// UserAgent names Veille to the sites it reads; default DefaultUserAgent.
	UserAgent string
	// MaxBytes caps a response body; default 10 MiB. Bigger is ErrTooLarge.
	MaxBytes int64
	// Timeout bounds one request, body included; default 20 s.
	Timeout time.Duration
	// HostDelay is the pause between two requests to one host; default 1 s,
	// negative for none.
	HostDelay time.Duration
	// Backoff is the base of the back-off of failing feeds: after N failures
	// in a row a feed waits min(2^N × Backoff, 24 h); default 5 min.
	Backoff time.Duration
	// Concurrency bounds the feeds Refresh fetches at once; default 4.
	Concurrency int
	// Logger receives item-level warnings and one error per failing feed;
	// nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AllowPrivate lets requests reach loopback and private networks. True
	// for the operator's URLs (command line, FEEDS), false for URLs given by
	// Discord users.
	AllowPrivate bool
	// AllowHosts names hosts (or IP literals) that may be private even when
	// AllowPrivate is false, e.g. an intranet feed server or a proxy.
	AllowHosts []string
}

// Fetcher fetches feeds and pages. It is safe for concurrent use; requests to
// one host are made one at a time, HostDelay apart.
type Fetcher struct {
	client    *http.Client
	userAgent string
	maxBytes  int64
	timeout   time.Duration
	hostDelay time.Duration
	backoff   time.Duration
	limit     int
	log       *slog.Logger
	now       func() time.Time
	guard     guard
	// sleep waits for d or until ctx is done; a seam for tests.
	sleep func(ctx context.Context, d time.Duration) error
	hosts hostGate
}

// New returns a Fetcher for cfg.
func New(cfg Config) *Fetcher {
	f := &Fetcher{
		userAgent: cmpOr(cfg.UserAgent, DefaultUserAgent),
		maxBytes:  cmpOr(cfg.MaxBytes, DefaultMaxBytes),
		timeout:   cmpOr(cfg.Timeout, DefaultTimeout),
		hostDelay: cmpOr(cfg.HostDelay, DefaultHostDelay),
		backoff:   cmpOr(cfg.Backoff, DefaultBackoff),
		limit:     cmpOr(cfg.Concurrency, DefaultConcurrency),
		log:       cfg.Logger,
		now:       cfg.Now,
		guard:     newGuard(cfg.AllowPrivate, cfg.AllowHosts),
		sleep:     sleepCtx,
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	if f.now == nil {
		f.now = time.Now
	}
	f.client = f.buildClient(cfg.HTTPClient)
	return f
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// buildClient returns the client requests go through, with the guard
// installed in its transport and on its redirects.
func (f *Fetcher) buildClient(given *http.Client) *http.Client {
	var c http.Client
	if given != nil {
		c = *given
	}
	var tr *http.Transport
	switch t := c.Transport.(type) {
	case nil:
		dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
		tr = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          32,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
		if !f.guard.allowPrivate {
			tr.DialContext = f.guard.dialContext(dialer)
			tr.Proxy = f.guard.proxyFunc(tr.Proxy)
		}
		c.Transport = tr
	case *http.Transport:
		if !f.guard.allowPrivate {
			tr = t.Clone()
			dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
			tr.DialContext = f.guard.dialContext(dialer)
			tr.Proxy = f.guard.proxyFunc(tr.Proxy)
			c.Transport = tr
		}
	default:
		f.log.Warn("custom HTTP transport: the private-address guard only checks URLs, not dialled addresses")
	}
	next := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("%w: stopped after %d", ErrTooManyRedirects, maxRedirects)
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return fmt.Errorf("redirect to %s: not http(s)", req.URL.Scheme)
		}
		if err := f.guard.checkURL(req.URL); err != nil {
			return err
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &c
}

// response is a fully read HTTP response.
type response struct {
	status       int
	body         []byte
	contentType  string // media type, lower case, without parameters
	rawType      string // the Content-Type header as sent, for charset detection
	url          *url.URL
	etag         string
	lastModified string
}

// get fetches u with the given Accept header and validators, reading at most
// maxBytes of the body. A 304 is returned as a response with no body; other
// non-2xx statuses are a *StatusError.
func (f *Fetcher) get(ctx context.Context, u *url.URL, accept, etag, lastModified string) (*response, error) {
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%q: not an absolute http(s) URL", u.String())
	}
	if err := f.guard.checkURL(u); err != nil {
		return nil, err
	}
	release, err := f.hosts.acquire(ctx, strings.ToLower(u.Host), f)
	if err != nil {
		return nil, err
	}
	defer release()

	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", accept)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		// *url.Error repeats the method and URL the caller already names.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, f.timeoutErr(ctx, err)
	}
	defer resp.Body.Close()

	r := &response{
		status:       resp.StatusCode,
		url:          resp.Request.URL,
		etag:         resp.Header.Get("ETag"),
		lastModified: resp.Header.Get("Last-Modified"),
		rawType:      resp.Header.Get("Content-Type"),
	}
	if mt, _, err := mime.ParseMediaType(r.rawType); err == nil {
		r.contentType = strings.ToLower(mt)
	}
	if resp.StatusCode == http.StatusNotModified {
		return r, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // lets the connection be reused
		se := &StatusError{Code: resp.StatusCode, Status: resp.Status}
		if se.Code == http.StatusTooManyRequests || se.Code == http.StatusServiceUnavailable {
			d, _ := retryafter.Parse(resp.Header.Get("Retry-After"), f.now())
			se.RetryAfter = min(d, maxBackoff)
		}
		return nil, se
	}
	if resp.ContentLength > f.maxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, resp.ContentLength, f.maxBytes)
	}
	r.body, err = io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", f.timeoutErr(ctx, err))
	}
	if int64(len(r.body)) > f.maxBytes {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, f.maxBytes)
	}
	return r, nil
}

// timeoutErr names the per-request timeout when it is what stopped err.
func (f *Fetcher) timeoutErr(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("timed out after %s: %w", f.timeout, err)
	}
	return err
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// hostGate lets one request at a time reach a host, HostDelay apart.
type hostGate struct {
	mu    sync.Mutex
	hosts map[string]*hostSlot
}

type hostSlot struct {
	sem  chan struct{}
	last time.Time // end of the last request; guarded by sem
}

// acquire waits for host's turn; release ends it.
func (g *hostGate) acquire(ctx context.Context, host string, f *Fetcher) (release func(), err error) {
	g.mu.Lock()
	if g.hosts == nil {
		g.hosts = make(map[string]*hostSlot)
	}
	s := g.hosts[host]
	if s == nil {
		s = &hostSlot{sem: make(chan struct{}, 1)}
		g.hosts[host] = s
	}
	g.mu.Unlock()

	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release = func() {
		s.last = f.now()
		<-s.sem
	}
	if f.hostDelay > 0 && !s.last.IsZero() {
		if wait := s.last.Add(f.hostDelay).Sub(f.now()); wait > 0 {
			if err := f.sleep(ctx, wait); err != nil {
				<-s.sem
				return nil, err
			}
		}
	}
	return release, nil
}
