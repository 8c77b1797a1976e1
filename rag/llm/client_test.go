package llm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/veille/veille/rag/llm/llmtest"
	"github.com/veille/veille/rag/openai"
)

const testKey = "sk-test-SECRET-0123456789"

// waits records the pauses a client would have slept, without sleeping.
type waits struct {
	mu sync.Mutex
	ds []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ds = append(w.ds, d)
	return ctx.Err()
}

func (w *waits) get() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.ds...)
}

// newClient returns a client of srv whose backoff is attempt milliseconds
// and whose sleeps are recorded, not slept.
func newClient(t *testing.T, baseURL string, edit func(*Config)) (*Client, *waits) {
	t.Helper()
	cfg := Config{
		BaseURL: baseURL,
		APIKey:  testKey,
		Model:   "fake-model",
		Backoff: func(attempt int) time.Duration { return time.Duration(attempt) * time.Millisecond },
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	w := &waits{}
	c.t.Sleep = w.sleep
	return c, w
}

var hello = []Message{{Role: "user", Content: "Bonjour ?"}}

func TestChat(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewServer(t, llmtest.WithReplies("Salut [1]."), llmtest.WithAPIKey(testKey))
	c, _ := newClient(t, srv.URL(), nil)

	got, err := c.Chat(t.Context(), hello)
	if err != nil {
		t.Fatalf("Chat: %v", err)
	}
	if got != "Salut [1]." {
		t.Errorf("Chat = %q, want %q", got, "Salut [1].")
	}
	reqs := srv.ChatRequests()
	if len(reqs) != 1 {
		t.Fatalf("server got %d chat requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Model != "fake-model" || r.Stream || r.Authorization != "Bearer "+testKey {
		t.Errorf("request model=%q stream=%v auth=%q", r.Model, r.Stream, r.Authorization)
	}
	if diff := cmp.Diff([]llmtest.Message{{Role: "user", Content: "Bonjour ?"}}, r.Messages); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}

func TestChatNoKeyNoAuthorization(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewServer(t)
	c, _ := newClient(t, srv.URL()+"/", func(cfg *Config) { cfg.APIKey = "" })
	if _, err := c.Chat(t.Context(), hello); err != nil {
		t.Fatalf("Chat: %v", err)
	}
	if auth := srv.Requests()[0].Authorization; auth != "" {
		t.Errorf("Authorization = %q, want none without a key", auth)
	}
}

func TestChatRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		faults     []llmtest.Fault
		maxRetries int
		timeout    time.Duration
		wantErr    bool
		wantStatus int             // of the StatusError returned, when wantErr
		wantWaits  []time.Duration // pauses between attempts
		wantCalls  int
	}{
		{
			name:      "429 with Retry-After seconds",
			faults:    []llmtest.Fault{{Status: 429, RetryAfter: "3"}},
			wantWaits: []time.Duration{3 * time.Second},
			wantCalls: 2,
		},
		{
			name:      "429 with Retry-After shorter than backoff",
			faults:    []llmtest.Fault{{Status: 429, RetryAfter: "0"}},
			wantWaits: []time.Duration{time.Millisecond},
			wantCalls: 2,
		},
		{
			name:      "Retry-After capped",
			faults:    []llmtest.Fault{{Status: 503, RetryAfter: "86400"}},
			wantWaits: []time.Duration{openai.MaxRetryAfter},
			wantCalls: 2,
		},
		{
			name:      "500 twice then success",
			faults:    []llmtest.Fault{{Status: 500}, {Status: 502}},
			wantWaits: []time.Duration{time.Millisecond, 2 * time.Millisecond},
			wantCalls: 3,
		},
		{
			name:      "malformed JSON",
			faults:    []llmtest.Fault{{Malformed: true}},
			wantWaits: []time.Duration{time.Millisecond},
			wantCalls: 2,
		},
		{
			name:      "attempt timeout",
			faults:    []llmtest.Fault{{Delay: 2 * time.Second}},
			timeout:   30 * time.Millisecond,
			wantWaits: []time.Duration{time.Millisecond},
			wantCalls: 2,
		},
		{
			name:       "gives up after MaxRetries",
			faults:     []llmtest.Fault{{Status: 500}, {Status: 500}, {Status: 500}},
			wantErr:    true,
			wantStatus: 500,
			wantWaits:  []time.Duration{time.Millisecond, 2 * time.Millisecond},
			wantCalls:  3,
		},
		{
			name:       "retries disabled",
			faults:     []llmtest.Fault{{Status: 429}},
			maxRetries: -1,
			wantErr:    true,
			wantStatus: 429,
			wantCalls:  1,
		},
		{
			name:       "401 not retried",
			faults:     []llmtest.Fault{{Status: 401}},
			wantErr:    true,
			wantStatus: 401,
			wantCalls:  1,
		},
		{
			name:       "400 not retried",
			faults:     []llmtest.Fault{{Status: 400}},
			wantErr:    true,
			wantStatus: 400,
			wantCalls:  1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := llmtest.NewServer(t, llmtest.WithReplies("ok"))
			for _, f := range tt.faults {
				srv.Inject(1, f)
			}
			c, w := newClient(t, srv.URL(), func(cfg *Config) {
				cfg.MaxRetries = tt.maxRetries
				cfg.Timeout = tt.timeout
			})
			got, err := c.Chat(t.Context(), hello)
			if tt.wantErr {
				var se *StatusError
				if !errors.As(err, &se) || se.Status != tt.wantStatus {
					t.Fatalf("Chat error = %v, want a StatusError %d", err, tt.wantStatus)
				}
			} else if err != nil || got != "ok" {
				t.Fatalf("Chat = %q, %v; want ok", got, err)
			}
			if diff := cmp.Diff(tt.wantWaits, w.get()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if n := len(srv.Requests()); n != tt.wantCalls {
				t.Errorf("server got %d requests, want %d", n, tt.wantCalls)
			}
		})
	}
}

func TestErrorsNeverCarryKey(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s"}}`,
			strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	cfg := Config{BaseURL: srv.URL + "/v1", APIKey: testKey, Model: "m"}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}

	_, err = c.Chat(t.Context(), hello)
	if err == nil {
		t.Fatal("Chat succeeded against a 401")
	}
	msg := err.Error()
	for _, want := range []string{u.Host, "status 401", ": Incorrect API key provided: [redacted]"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}

	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "llm", cfg, "client", c)
	for name, s := range map[string]string{
		"error": msg,
		"%v":    fmt.Sprintf("%v", cfg),
		"%+v":   fmt.Sprintf("%+v", cfg),
		"%#v":   fmt.Sprintf("%#v", cfg),
		"slog":  logs.String(),
	} {
		if strings.Contains(s, testKey) || strings.Contains(s, "SECRET") {
			t.Errorf("%s leaks the key: %s", name, s)
		}
	}
}

func TestChatStream(t *testing.T) {
	t.Parallel()
	const reply = "Le groupe a été visé par une cyberattaque [1]. Les données ont fuité [2]."
	tests := []struct {
		name       string
		opts       []llmtest.Option
		faults     []llmtest.Fault
		wantDeltas []string
	}{
		{
			name:       "streamed",
			wantDeltas: llmtest.Pieces(reply),
		},
		{
			name:       "server ignores stream",
			opts:       []llmtest.Option{llmtest.WithoutStreaming()},
			wantDeltas: []string{reply},
		},
		{
			name:       "retried before any text",
			faults:     []llmtest.Fault{{Status: 503}, {Malformed: true}},
			wantDeltas: llmtest.Pieces(reply),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := llmtest.NewServer(t, append(tt.opts, llmtest.WithReplies(reply))...)
			for _, f := range tt.faults {
				srv.Inject(1, f)
			}
			c, _ := newClient(t, srv.URL(), nil)
			var deltas []string
			got, err := c.ChatStream(t.Context(), hello, func(s string) { deltas = append(deltas, s) })
			if err != nil {
				t.Fatalf("ChatStream: %v", err)
			}
			if got != reply {
				t.Errorf("ChatStream = %q, want %q", got, reply)
			}
			if diff := cmp.Diff(tt.wantDeltas, deltas); diff != "" {
				t.Errorf("deltas (-want +got):\n%s", diff)
			}
			if reqs := srv.ChatRequests(); !reqs[len(reqs)-1].Stream {
				t.Error("request did not ask for a stream")
			}
		})
	}
}

func TestReadStream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        string
		want      string
		wantErr   bool
		retryable bool
	}{
		{
			name: "comments, no space after data:, multi-choice chunk",
			in: ": keep-alive\n\n" +
				"data:{\"choices\":[{\"delta\":{\"content\":\"Bon\"}}]}\n\n" +
				"event: message\ndata: {\"choices\":[{\"delta\":{\"content\":\"jour\"},\"finish_reason\":\"stop\"}]}\n\n" +
				"data: [DONE]\n\n",
			want: "Bonjour",
		},
		{
			name: "closed after finish without [DONE]",
			in:   "data: {\"choices\":[{\"delta\":{\"content\":\"fin\"},\"finish_reason\":\"stop\"}]}\n\n",
			want: "fin",
		},
		{
			name:      "cut short",
			in:        "data: {\"choices\":[{\"delta\":{\"content\":\"fin\"}}]}\n\n",
			wantErr:   true,
			retryable: true,
		},
		{
			name:      "garbage event",
			in:        "data: {nope\n\n",
			wantErr:   true,
			retryable: true,
		},
		{
			name:      "error event",
			in:        "data: {\"error\":{\"message\":\"overloaded\"}}\n\n",
			wantErr:   true,
			retryable: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := readStream(strings.NewReader(tt.in), func(string) {})
			if (err != nil) != tt.wantErr {
				t.Fatalf("readStream error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && openai.Retryable(err) != tt.retryable {
				t.Errorf("retryable(%v) = %v, want %v", err, !tt.retryable, tt.retryable)
			}
			if got != tt.want {
				t.Errorf("readStream = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestStreamFailureAfterTextNotRetried checks that text already delivered
// is never delivered twice.
func TestStreamFailureAfterTextNotRetried(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"choices\":[{\"delta\":{\"content\":\"début\"}}]}\n\n")
	}))
	t.Cleanup(srv.Close)
	c, _ := newClient(t, srv.URL+"/v1", nil)
	var deltas []string
	_, err := c.ChatStream(t.Context(), hello, func(s string) { deltas = append(deltas, s) })
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("ChatStream error = %v, want unexpected EOF", err)
	}
	if calls.Load() != 1 || len(deltas) != 1 {
		t.Errorf("calls = %d, deltas = %q; want one of each", calls.Load(), deltas)
	}
}

func TestCancellation(t *testing.T) {
	t.Parallel()
	t.Run("during request", func(t *testing.T) {
		t.Parallel()
		srv := llmtest.NewServer(t)
		srv.Slow(5, 5*time.Second)
		c, w := newClient(t, srv.URL(), nil)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(20*time.Millisecond, cancel)
		start := time.Now()
		_, err := c.ChatStream(ctx, hello, nil)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("ChatStream error = %v, want context.Canceled", err)
		}
		if el := time.Since(start); el > time.Second {
			t.Errorf("ChatStream took %v after cancel", el)
		}
		if n := len(w.get()); n != 0 {
			t.Errorf("retried %d times after cancel", n)
		}
	})
	t.Run("during backoff", func(t *testing.T) {
		t.Parallel()
		srv := llmtest.NewServer(t)
		srv.Fail(1, 500, "")
		c, err := New(Config{BaseURL: srv.URL(), Model: "m", Backoff: func(int) time.Duration { return time.Hour }})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(20*time.Millisecond, cancel)
		_, err = c.Chat(ctx, hello)
		var se *StatusError
		if !errors.Is(err, context.Canceled) || !errors.As(err, &se) {
			t.Errorf("Chat error = %v, want context.Canceled and the last StatusError", err)
		}
	})
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		wantErr []string
	}{
		{name: "ok openai", cfg: Config{BaseURL: "https://api.openai.com/v1", APIKey: "k", Model: "gpt-4o-mini"}},
		{name: "ok ollama without key", cfg: Config{BaseURL: "http://localhost:11434/v1", Model: "llama3.2"}},
		{name: "empty", cfg: Config{}, wantErr: []string{"base URL is empty", "model is empty"}},
		{name: "not http", cfg: Config{BaseURL: "localhost:11434", Model: "m"}, wantErr: []string{"not an http(s) URL"}},
		{name: "negative timeout", cfg: Config{BaseURL: "http://h/v1", Model: "m", Timeout: -1}, wantErr: []string{"timeout is negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tt.cfg)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if c.Provider() == "" || c.Model() == "" {
					t.Errorf("Provider=%q Model=%q", c.Provider(), c.Model())
				}
				return
			}
			if err == nil {
				t.Fatal("New accepted an invalid config")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestStreamMislabelled accepts an event stream sent as text/plain, as some
// proxies relabel it.
func TestStreamMislabelled(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "data: {\"choices\":[{\"delta\":{\"content\":\"un\"}}]}\n\n"+
			"data: {\"choices\":[{\"delta\":{\"content\":\" deux\"}}]}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	c, _ := newClient(t, srv.URL+"/v1", nil)
	var deltas []string
	got, err := c.ChatStream(t.Context(), hello, func(s string) { deltas = append(deltas, s) })
	if err != nil || got != "un deux" {
		t.Fatalf("ChatStream = %q, %v; want %q", got, err, "un deux")
	}
	if diff := cmp.Diff([]string{"un", " deux"}, deltas); diff != "" {
		t.Errorf("deltas (-want +got):\n%s", diff)
	}
}

// BenchmarkChatRoundTrip measures a whole answer against the fake server:
// prompt building, the HTTP exchange and the citation check. With the model
// answering at once, this is the time the pipeline adds around a real model.
func BenchmarkChatRoundTrip(b *testing.B) {
	const reply = "Orange a subi une cyberattaque en février 2024 [1]. Apple a présenté un iPhone pliable [2]."
	srv := llmtest.NewServer(b, llmtest.WithReplyFunc(func([]llmtest.Message) string { return reply }))
	c, err := New(Config{BaseURL: srv.URL(), Model: "m"})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		answer, err := c.Chat(b.Context(), Prompt("Qui a été piraté ?", news))
		if err != nil {
			b.Fatal(err)
		}
		CheckCitations(answer, news)
	}
}
