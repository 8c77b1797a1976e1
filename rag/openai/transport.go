// Package openai is the one HTTP transport to an OpenAI-compatible server
// (OpenAI, Ollama's /v1, vLLM, llama.cpp server, LM Studio, Mistral…), shared
// by the chat client (rag/llm) and the embeddings client (rag/embed): the
// Bearer header, an API key never let into an error, status errors carrying
// the message of the server's JSON error body, retries of transient failures
// with backoff or the server's Retry-After, and a per-attempt timeout inside
// the caller's deadline.
//
// What a request and a reply mean (chat, streaming, embeddings) is left to
// the clients, which hand Post the body and a function reading the reply.
package openai

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Transport posts JSON to one endpoint of an OpenAI-compatible server. Its
// zero fields take defaults when it is used; it is safe for concurrent use
// once set up.
type Transport struct {
	// Endpoint is the full URL posted to, e.g. https://api.openai.com/v1/embeddings.
	Endpoint string
	// Provider names the server in errors (the host of the base URL).
	Provider string
	// APIKey is sent as a Bearer token when set, and removed from errors.
	APIKey string
	// HTTPClient makes the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Timeout bounds one attempt, reading the reply included; an attempt that
	// times out is retried. Zero means no bound but the caller's context.
	Timeout time.Duration
	// MaxRetries is how many times a failed attempt is retried; zero or
	// less means none.
	MaxRetries int
	// Backoff returns the wait before retry attempt (1 for the first retry);
	// nil means DefaultBackoff. A longer Retry-After from the server wins.
	Backoff func(attempt int) time.Duration
	// Sleep waits between attempts; nil means a timer that ctx cuts short.
	// Tests replace it to avoid real waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock Retry-After dates and the caller's deadline are read
	// against; nil means time.Now.
	Now func() time.Time
}

// errAttemptTimeout is the cause of a context ended by Transport.Timeout,
// which tells a timed-out attempt (retried) from a caller that gave up (not
// retried).
var errAttemptTimeout = errors.New("attempt timed out")

// Post sends body (JSON) to the endpoint and hands a 2xx reply to read,
// retrying transient failures: network errors, timed-out attempts, 408, 429
// and 5xx replies, and errors read marks with Transient or
// ErrMalformedResponse. accept is the Accept header.
//
// Post gives up before a wait that would outlast ctx's deadline, returning
// the last error at once rather than being cut off while it sleeps. An error
// of read is returned wrapped with the provider's name; wrap it in Final to
// stop retries (after part of a stream was delivered, say).
func (t *Transport) Post(ctx context.Context, body []byte, accept string, read func(resp *http.Response) error) error {
	var last error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			wait := t.backoff(attempt)
			if ra := retryAfterOf(last); ra > wait {
				wait = ra
			}
			if dl, ok := ctx.Deadline(); ok && dl.Sub(t.now()) < wait {
				// The caller would be cut off before the next attempt
				// starts: give its remaining time back now.
				return fmt.Errorf("giving up after %s: waiting %v would outlast the deadline: %w",
					attempts(attempt), wait.Round(time.Millisecond), last)
			}
			if err := t.sleep(ctx, wait); err != nil {
				return fmt.Errorf("after %s: %w (last error: %w)", attempts(attempt), err, last)
			}
		}
		err := t.attempt(ctx, body, accept, read)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			// The caller gave up: that is the answer, not a transient fault.
			return fmt.Errorf("after %s: %w", attempts(attempt+1), context.Cause(ctx))
		}
		last = err
		if !Retryable(err) {
			return err
		}
		if attempt >= t.MaxRetries {
			return fmt.Errorf("giving up after %s: %w", attempts(attempt+1), last)
		}
	}
}

func attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts", n)
}

// attempt makes one request under the per-attempt timeout.
func (t *Transport) attempt(ctx context.Context, body []byte, accept string, read func(*http.Response) error) error {
	if t.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, t.Timeout, errAttemptTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.Endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", scrubErr(err, t.APIKey))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", accept)
	if t.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+t.APIKey)
	}
	client := t.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, errAttemptTimeout) {
			return Transient(fmt.Errorf("%s: %w", t.Provider, cause))
		}
		return Transient(scrubErr(err, t.APIKey)) // names the URL already
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newStatusError(t.Provider, resp, t.APIKey, t.now())
	}
	if err := read(resp); err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, errAttemptTimeout) {
			timedOut := Transient(fmt.Errorf("%s: %w", t.Provider, cause))
			if isFinal(err) {
				return Final(timedOut)
			}
			return timedOut
		}
		return fmt.Errorf("%s: %w", t.Provider, err)
	}
	return nil
}

func (t *Transport) backoff(attempt int) time.Duration {
	if t.Backoff == nil {
		return DefaultBackoff(attempt)
	}
	return t.Backoff(attempt)
}

func (t *Transport) sleep(ctx context.Context, d time.Duration) error {
	if t.Sleep == nil {
		return sleepCtx(ctx, d)
	}
	return t.Sleep(ctx, d)
}

func (t *Transport) now() time.Time {
	if t.Now == nil {
		return time.Now()
	}
	return t.Now()
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
