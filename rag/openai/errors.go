package openai

import (
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

// StatusError is a non-2xx reply from the server.
type StatusError struct {
	Provider string // host of the base URL, e.g. api.openai.com
	Status   int    // HTTP status code
	// Body is the server's error message (or the start of the body when it
	// is not OpenAI-style JSON), with the API key removed should the server
	// echo it.
	Body string
	// RetryAfter is the server's Retry-After, capped at MaxRetryAfter; zero
	// when absent.
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
	// MaxRetryAfter is the longest Retry-After honoured: a server asking
	// for more gets this much.
	MaxRetryAfter = 30 * time.Second
	maxErrorBody  = 300 // characters of an error body kept
	backoffBase   = 500 * time.Millisecond
	backoffCap    = 8 * time.Second
)

func newStatusError(provider string, resp *http.Response, apiKey string, now time.Time) *StatusError {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	body := strings.Join(strings.Fields(errorMessage(data)), " ")
	body = scrub(body, apiKey)
	if r := []rune(body); len(r) > maxErrorBody {
		body = string(r[:maxErrorBody]) + "…"
	}
	ra, _ := retryafter.Parse(resp.Header.Get("Retry-After"), now)
	return &StatusError{
		Provider:   provider,
		Status:     resp.StatusCode,
		Body:       body,
		RetryAfter: min(ra, MaxRetryAfter),
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
		var obj struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(e.Error, &obj) == nil && obj.Message != "" {
			return obj.Message
		}
	}
	return string(body)
}

// Redacted stands for an API key wherever a configuration is printed or
// logged: "[redacted]" when it is set, "(unset)" when it is not.
func Redacted(key string) string {
	if key == "" {
		return "(unset)"
	}
	return "[redacted]"
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

// transient marks a failure worth retrying.
type transient struct{ err error }

func (t transient) Error() string { return t.err.Error() }
func (t transient) Unwrap() error { return t.err }

// Transient marks err as worth retrying: a network error, a reply cut short.
func Transient(err error) error { return transient{err} }

// final marks a failure not to retry, whatever its cause.
type final struct{ err error }

func (f final) Error() string { return f.err.Error() }
func (f final) Unwrap() error { return f.err }

// Final marks err as not to be retried whatever it wraps, for instance once
// part of a streamed reply has been handed on: a retry would repeat it.
func Final(err error) error { return final{err} }

func isFinal(err error) bool {
	var f final
	return errors.As(err, &f)
}

// Retryable reports whether another attempt may succeed: a Transient
// failure, a temporary StatusError or a malformed reply, unless Final.
func Retryable(err error) bool {
	var (
		tr transient
		se *StatusError
	)
	switch {
	case isFinal(err):
		return false
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

// DefaultBackoff doubles from 500 ms up to 8 s, with "equal jitter" (half
// fixed, half random) so that clients do not retry in step.
func DefaultBackoff(attempt int) time.Duration {
	d := backoffCap
	if attempt < 8 {
		d = min(backoffBase<<max(attempt-1, 0), backoffCap)
	}
	return d/2 + rand.N(d/2+1)
}
