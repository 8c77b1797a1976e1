package llm

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/veille/veille/rag/retryafter"
)

// ErrMalformedResponse reports a reply that is not the JSON an
// OpenAI-compatible server sends. It is retried like a server error.
var ErrMalformedResponse = errors.New("malformed response")

// errAttemptTimeout is the cause of a context ended by Config.Timeout, which
// tells a timed-out attempt (retried) from a caller that gave up (not retried).
var errAttemptTimeout = errors.New("attempt timed out")

// StatusError is a non-2xx reply from the server.
type StatusError struct {
	Provider string // host of the base URL, e.g. api.openai.com
	Status   int    // HTTP status code
	// Body is the server's error message (or the start of the body when it
	// is not OpenAI-style JSON), with the API key removed should the server
	// echo it.
	Body string
	// RetryAfter is the server's Retry-After, capped; zero when absent.
	RetryAfter time.Duration
}

// Error names the provider and the status, then what the server said.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s: status %d %s", e.Provider, e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Temporary reports whether the request is worth retrying: 408, 429 or 5xx.
func (e *StatusError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status == http.StatusRequestTimeout || e.Status >= 500
}

const (
	maxErrorBody  = 300              // characters of an error body kept
	maxRetryAfter = 30 * time.Second // longest Retry-After honoured
	backoffBase   = 500 * time.Millisecond
	backoffCap    = 8 * time.Second
)

func newStatusError(provider string, resp *http.Response, apiKey string) *StatusError {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	body := strings.Join(strings.Fields(errorMessage(data)), " ")
	body = scrub(body, apiKey)
	if r := []rune(body); len(r) > maxErrorBody {
		body = string(r[:maxErrorBody]) + "…"
	}
	return &StatusError{
		Provider:   provider,
		Status:     resp.StatusCode,
		Body:       body,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
}

// errorMessage is the message of an OpenAI-style error body
// ({"error":{"message":…}}, or {"error":"…"} as Ollama sends), else the body.
func errorMessage(body []byte) string {
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && len(e.Error) > 0 {
		var msg string
		if json.Unmarshal(e.Error, &msg) == nil && msg != "" {
			return msg
		}
		var obj apiError
		if json.Unmarshal(e.Error, &obj) == nil && obj.Message != "" {
			return obj.Message
		}
	}
	return string(body)
}

// parseRetryAfter reads a Retry-After value (see retryafter.Parse), capped at
// maxRetryAfter.
func parseRetryAfter(v string, now time.Time) time.Duration {
	d, _ := retryafter.Parse(v, now)
	return min(d, maxRetryAfter)
}

// scrub removes key from s, in case a server or transport echoes it.
func scrub(s, key string) string {
	if key == "" {
		return s
	}
	return strings.ReplaceAll(s, key, "[redacted]")
}

// scrubErr keeps err's message free of the key; it keeps err's chain when the
// key does not appear.
func scrubErr(err error, key string) error {
	if key == "" || !strings.Contains(err.Error(), key) {
		return err
	}
	return errors.New(scrub(err.Error(), key))
}

// transient marks a failure worth retrying: a network error or a timed-out
// attempt.
type transient struct{ err error }

func (t transient) Error() string { return t.err.Error() }
func (t transient) Unwrap() error { return t.err }

// retryable reports whether another attempt may succeed.
func retryable(err error) bool {
	var (
		tr transient
		se *StatusError
	)
	switch {
	case errors.As(err, &tr):
		return true
	case errors.As(err, &se):
		return se.Temporary()
	default:
		return errors.Is(err, ErrMalformedResponse)
	}
}

// retryAfterOf is the wait a StatusError asked for, or zero.
func retryAfterOf(err error) time.Duration {
	var se *StatusError
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	return 0
}

// defaultBackoff doubles from backoffBase up to backoffCap, with "equal
// jitter" (half fixed, half random) so that clients do not retry in step.
func defaultBackoff(attempt int) time.Duration {
	d := backoffCap
	if attempt < 8 {
		d = min(backoffBase<<max(attempt-1, 0), backoffCap)
	}
	return d/2 + rand.N(d/2+1)
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// scanEvents reads a server-sent event stream and calls fn with each event's
// data. fn returns true to stop (the [DONE] event). A stream that ends before
// fn stops it yields io.ErrUnexpectedEOF.
func scanEvents(r io.Reader, fn func(data string) (bool, error)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var data []string
	dispatch := func() (bool, error) {
		if len(data) == 0 {
			return false, nil
		}
		d := strings.Join(data, "\n")
		data = data[:0]
		return fn(d)
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if done, err := dispatch(); done || err != nil {
				return err
			}
			continue
		}
		if v, ok := strings.CutPrefix(line, "data:"); ok {
			data = append(data, strings.TrimPrefix(v, " "))
		}
		// Comments (":"), "event:", "id:" and "retry:" lines carry nothing we use.
	}
	if err := sc.Err(); err != nil {
		return transient{fmt.Errorf("read stream: %w", err)}
	}
	if done, err := dispatch(); done || err != nil {
		return err
	}
	return transient{fmt.Errorf("stream ended before [DONE]: %w", io.ErrUnexpectedEOF)}
}
