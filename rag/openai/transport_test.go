package openai_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veille/veille/rag/openai"
)

const key = "sk-transport-SECRET"

// replies is a fake server answering each request with the next reply.
type replies struct {
	mu    sync.Mutex
	auths []string
	next  []func(w http.ResponseWriter)
}

func (r *replies) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.auths = append(r.auths, req.Header.Get("Authorization"))
	reply := r.next[0]
	if len(r.next) > 1 {
		r.next = r.next[1:]
	}
	r.mu.Unlock()
	reply(w)
}

func status(code int, retryAfter, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(code)
		fmt.Fprint(w, body)
	}
}

func ok(body string) func(http.ResponseWriter) { return status(http.StatusOK, "", body) }

func TestPost(t *testing.T) {
	t.Parallel()
	readBody := func(got *string) func(*http.Response) error {
		return func(resp *http.Response) error {
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				return openai.Transient(err)
			}
			if string(b) == "garbage" {
				return fmt.Errorf("%w: garbage", openai.ErrMalformedResponse)
			}
			if string(b) == "final garbage" {
				return openai.Final(fmt.Errorf("%w: garbage", openai.ErrMalformedResponse))
			}
			*got = string(b)
			return nil
		}
	}
	tests := []struct {
		name      string
		replies   []func(http.ResponseWriter)
		deadline  time.Duration // of the caller's context, when non-zero
		want      string
		wantErr   string // a substring of the error, when one is expected
		wantWaits []time.Duration
	}{
		{name: "first time", replies: []func(http.ResponseWriter){ok("fine")}, want: "fine"},
		{
			name:      "429 then Retry-After longer than backoff",
			replies:   []func(http.ResponseWriter){status(429, "2", `{"error":{"message":"slow down"}}`), ok("fine")},
			want:      "fine",
			wantWaits: []time.Duration{2 * time.Second},
		},
		{
			name:      "malformed then fine",
			replies:   []func(http.ResponseWriter){ok("garbage"), ok("fine")},
			want:      "fine",
			wantWaits: []time.Duration{time.Millisecond},
		},
		{
			name:    "final is not retried",
			replies: []func(http.ResponseWriter){ok("final garbage"), ok("fine")},
			wantErr: "api.test: malformed response: garbage",
		},
		{
			name:    "400 is not retried, its JSON message kept, the key removed",
			replies: []func(http.ResponseWriter){status(400, "", `{"error":{"message":"bad key `+key+`"}}`)},
			wantErr: "api.test: status 400 Bad Request: bad key [redacted]",
		},
		{
			name:      "retries spent",
			replies:   []func(http.ResponseWriter){status(503, "", "down")},
			wantErr:   "giving up after 3 attempts: api.test: status 503 Service Unavailable: down",
			wantWaits: []time.Duration{time.Millisecond, 2 * time.Millisecond},
		},
		{
			name:     "Retry-After outlasting the deadline",
			replies:  []func(http.ResponseWriter){status(429, "20", "busy"), ok("fine")},
			deadline: 10 * time.Second,
			wantErr:  "giving up after 1 attempt: waiting 20s would outlast the deadline",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(&replies{next: tt.replies})
			t.Cleanup(srv.Close)
			var (
				mu    sync.Mutex
				waits []time.Duration
			)
			tr := &openai.Transport{
				Endpoint:   srv.URL + "/v1/x",
				Provider:   "api.test",
				APIKey:     key,
				HTTPClient: srv.Client(),
				Timeout:    time.Minute,
				MaxRetries: 2,
				Backoff:    func(attempt int) time.Duration { return time.Duration(attempt) * time.Millisecond },
				Sleep: func(ctx context.Context, d time.Duration) error {
					mu.Lock()
					defer mu.Unlock()
					waits = append(waits, d)
					return ctx.Err()
				},
			}
			ctx := t.Context()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			var got string
			err := tr.Post(ctx, []byte(`{}`), "application/json", readBody(&got))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Post: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Post error = %v, want one containing %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), key) {
				t.Errorf("error %q carries the API key", err)
			}
			if got != tt.want {
				t.Errorf("read %q, want %q", got, tt.want)
			}
			if fmt.Sprint(waits) != fmt.Sprint(tt.wantWaits) {
				t.Errorf("waits = %v, want %v", waits, tt.wantWaits)
			}
		})
	}
}

func TestPostSendsKey(t *testing.T) {
	t.Parallel()
	r := &replies{next: []func(http.ResponseWriter){ok("fine")}}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	tr := &openai.Transport{Endpoint: srv.URL, Provider: "api.test", APIKey: key, HTTPClient: srv.Client()}
	if err := tr.Post(t.Context(), []byte(`{}`), "application/json", func(*http.Response) error { return nil }); err != nil {
		t.Fatalf("Post: %v", err)
	}
	if len(r.auths) != 1 || r.auths[0] != "Bearer "+key {
		t.Errorf("Authorization = %q, want the Bearer key once", r.auths)
	}
}

func TestPostAttemptTimeout(t *testing.T) {
	t.Parallel()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(done) }) // runs first: frees the handlers
	tr := &openai.Transport{
		Endpoint: srv.URL, Provider: "api.test", HTTPClient: srv.Client(),
		Timeout: 20 * time.Millisecond, MaxRetries: 1,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	}
	err := tr.Post(t.Context(), []byte(`{}`), "application/json", func(*http.Response) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "giving up after 2 attempts: api.test: attempt timed out") {
		t.Fatalf("Post error = %v, want two timed-out attempts", err)
	}
	if errors.Is(err, context.Canceled) {
		t.Errorf("Post error = %v, the caller did not cancel", err)
	}
}
