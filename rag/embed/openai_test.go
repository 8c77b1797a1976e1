package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/veille/veille/rag/llm/llmtest"
)

const oaiTestKey = "sk-embed-SECRET-42"

// oaiWaits records the pauses the embedder would have slept.
type oaiWaits struct {
	mu sync.Mutex
	ds []time.Duration
}

func (w *oaiWaits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ds = append(w.ds, d)
	return ctx.Err()
}

func (w *oaiWaits) get() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.ds...)
}

// newTestOpenAI returns an embedder of srv with a backoff of attempt
// milliseconds, recorded rather than slept.
func newTestOpenAI(t *testing.T, srv *llmtest.Server, edit func(*OpenAIConfig)) (*OpenAI, *oaiWaits) {
	t.Helper()
	cfg := OpenAIConfig{BaseURL: srv.URL(), APIKey: oaiTestKey, Model: "text-embedding-3-small"}
	if edit != nil {
		edit(&cfg)
	}
	e, err := NewOpenAI(cfg)
	if err != nil {
		t.Fatalf("NewOpenAI: %v", err)
	}
	w := &oaiWaits{}
	e.t.Sleep = w.sleep
	e.t.Backoff = func(attempt int) time.Duration { return time.Duration(attempt) * time.Millisecond }
	return e, w
}

// oaiWant is the fake's vector for input, normalised.
func oaiWant(input string, dim int) []float32 {
	v := llmtest.Vector(input, dim)
	oaiNormalize(v)
	return v
}

var approx = cmpopts.EquateApprox(0, 1e-6)

func TestOpenAIEmbedDocuments(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewServer(t, llmtest.WithDim(16))
	e, _ := newTestOpenAI(t, srv, func(c *OpenAIConfig) { c.BatchSize = 3 })
	if id := e.Identity(); id != (Identity{Name: "openai", Model: "text-embedding-3-small"}) {
		t.Errorf("Identity before any call = %+v, want Dim 0", id)
	}

	var texts, want = make([]string, 10), make([][]float32, 10)
	for i := range texts {
		texts[i] = fmt.Sprintf("Article numéro %d sur la cybersécurité.", i)
		want[i] = oaiWant(texts[i], 16)
	}
	got, err := e.EmbedDocuments(t.Context(), texts)
	if err != nil {
		t.Fatalf("EmbedDocuments: %v", err)
	}
	if diff := cmp.Diff(want, got, approx); diff != "" {
		t.Errorf("vectors (-want +got):\n%s", diff)
	}
	for i, v := range got {
		var sum float64
		for _, x := range v {
			sum += float64(x) * float64(x)
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Errorf("vector %d has squared norm %v, want 1", i, sum)
		}
	}
	reqs := srv.Requests()
	if len(reqs) != 4 {
		t.Errorf("server got %d requests, want 4 batches of at most 3", len(reqs))
	}
	for _, r := range reqs {
		if r.Path != "/v1/embeddings" || r.Model != "text-embedding-3-small" || r.Authorization != "Bearer "+oaiTestKey {
			t.Errorf("request path=%q model=%q auth=%q", r.Path, r.Model, r.Authorization)
		}
	}
	if id := e.Identity(); id != (Identity{Name: "openai", Model: "text-embedding-3-small", Dim: 16}) {
		t.Errorf("Identity = %+v, want Dim 16", id)
	}
}

func TestOpenAIPrefixes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		model            string
		queryP, docP     string
		wantQ, wantD     string
		provider         string
		wantIdentityName string
	}{
		{name: "plain model", model: "text-embedding-3-small", wantQ: "q", wantD: "d", wantIdentityName: "openai"},
		{name: "e5", model: "intfloat/multilingual-e5-small", wantQ: "query: q", wantD: "passage: d", wantIdentityName: "openai"},
		{name: "nomic on ollama", model: "nomic-embed-text", provider: "ollama",
			wantQ: "search_query: q", wantD: "search_document: d", wantIdentityName: "ollama"},
		{name: "explicit prefixes win", model: "multilingual-e5-large", queryP: "Q> ", docP: "D> ",
			wantQ: "Q> q", wantD: "D> d", wantIdentityName: "openai"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := llmtest.NewServer(t)
			e, _ := newTestOpenAI(t, srv, func(c *OpenAIConfig) {
				c.Model, c.QueryPrefix, c.DocumentPrefix, c.Provider = tt.model, tt.queryP, tt.docP, tt.provider
			})
			qv, err := e.EmbedQuery(t.Context(), "q")
			if err != nil {
				t.Fatal(err)
			}
			dv, err := e.EmbedDocument(t.Context(), "d")
			if err != nil {
				t.Fatal(err)
			}
			var inputs []string
			for _, r := range srv.Requests() {
				inputs = append(inputs, r.Input...)
			}
			if diff := cmp.Diff([]string{tt.wantQ, tt.wantD}, inputs); diff != "" {
				t.Errorf("inputs sent (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(oaiWant(tt.wantQ, 8), qv, approx); diff != "" {
				t.Errorf("query vector (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(oaiWant(tt.wantD, 8), dv, approx); diff != "" {
				t.Errorf("document vector (-want +got):\n%s", diff)
			}
			if id := e.Identity(); id.Name != tt.wantIdentityName || id.Model != tt.model {
				t.Errorf("Identity = %+v", id)
			}
		})
	}
}

func TestOpenAIMaxChars(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewServer(t)
	e, _ := newTestOpenAI(t, srv, func(c *OpenAIConfig) { c.MaxChars = 40 })
	long := strings.Repeat("données personnelles ", 20)
	if _, err := e.EmbedDocument(t.Context(), long); err != nil {
		t.Fatal(err)
	}
	sent := srv.Requests()[0].Input[0]
	if n := utf8.RuneCountInString(sent); n > 40 || n < 20 {
		t.Errorf("sent %d characters (%q), want at most 40 and most of them", n, sent)
	}
	if !strings.HasSuffix(sent, "personnelles") && !strings.HasSuffix(sent, "données") {
		t.Errorf("sent %q, want it cut at a word boundary", sent)
	}
}

func TestOpenAIRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		faults    []llmtest.Fault
		wantErr   string // substring; "" means success
		wantWaits []time.Duration
		wantCalls int
	}{
		{name: "429 Retry-After", faults: []llmtest.Fault{{Status: 429, RetryAfter: "2"}},
			wantWaits: []time.Duration{2 * time.Second}, wantCalls: 2},
		{name: "500 then 503", faults: []llmtest.Fault{{Status: 500}, {Status: 503}},
			wantWaits: []time.Duration{time.Millisecond, 2 * time.Millisecond}, wantCalls: 3},
		{name: "malformed", faults: []llmtest.Fault{{Malformed: true}},
			wantWaits: []time.Duration{time.Millisecond}, wantCalls: 2},
		{name: "gives up", faults: []llmtest.Fault{{Status: 502}, {Status: 502}, {Status: 502}},
			wantErr: "status 502", wantWaits: []time.Duration{time.Millisecond, 2 * time.Millisecond}, wantCalls: 3},
		{name: "401 not retried", faults: []llmtest.Fault{{Status: 401}}, wantErr: "status 401", wantCalls: 1},
		{name: "the JSON error body's message", faults: []llmtest.Fault{{Status: 400}},
			wantErr: "status 400 Bad Request: injected failure", wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := llmtest.NewServer(t)
			for _, f := range tt.faults {
				srv.Inject(1, f)
			}
			e, w := newTestOpenAI(t, srv, nil)
			_, err := e.EmbedDocuments(t.Context(), []string{"un", "deux"})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("EmbedDocuments: %v", err)
			case tt.wantErr != "":
				if err == nil {
					t.Fatal("EmbedDocuments succeeded, want an error")
				}
				host := strings.TrimSuffix(strings.TrimPrefix(srv.URL(), "http://"), "/v1")
				for _, want := range []string{tt.wantErr, host} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not contain %q", err, want)
					}
				}
				if strings.Contains(err.Error(), oaiTestKey) {
					t.Errorf("error %q leaks the key", err)
				}
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

func TestOpenAIDimensionChange(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewServer(t, llmtest.WithDim(8))
	e, _ := newTestOpenAI(t, srv, nil)
	e.dim = 12 // as if an earlier reply had 12 dimensions
	if _, err := e.EmbedQuery(t.Context(), "x"); err == nil || !strings.Contains(err.Error(), "8 dimensions, earlier 12") {
		t.Errorf("EmbedQuery error = %v, want a dimension mismatch", err)
	}
}

func TestOpenAICancel(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewServer(t)
	srv.Slow(10, 5*time.Second)
	e, w := newTestOpenAI(t, srv, nil)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, err := e.EmbedDocuments(ctx, []string{"a", "b", "c"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("EmbedDocuments error = %v, want context.Canceled", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("took %v after cancel", el)
	}
	if n := len(w.get()); n != 0 {
		t.Errorf("retried %d times after cancel", n)
	}
}

func TestOpenAIEmptyText(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewServer(t)
	e, _ := newTestOpenAI(t, srv, nil)
	if _, err := e.EmbedDocuments(t.Context(), []string{"ok", "  "}); err == nil {
		t.Error("EmbedDocuments accepted an empty text")
	}
}

func TestNewOpenAI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     OpenAIConfig
		want    Identity
		wantErr string
	}{
		{name: "openai defaults", cfg: OpenAIConfig{APIKey: "k"}, want: Identity{Name: "openai", Model: DefaultOpenAIModel}},
		{name: "ollama defaults", cfg: OpenAIConfig{Provider: "ollama"}, want: Identity{Name: "ollama", Model: DefaultOllamaModel}},
		{name: "openai needs a key", cfg: OpenAIConfig{}, wantErr: "API key is required"},
		{name: "unknown provider", cfg: OpenAIConfig{Provider: "cohere", BaseURL: "ftp://x"},
			wantErr: `provider "cohere" is not openai or ollama; base URL "ftp://x" is not an http(s) URL`},
		{name: "negative sizes", cfg: OpenAIConfig{Provider: "ollama", BatchSize: -1, MaxChars: -1},
			wantErr: "batch size is negative; max chars is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := NewOpenAI(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewOpenAI error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewOpenAI: %v", err)
			}
			if got := e.Identity(); got != tt.want {
				t.Errorf("Identity = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestOpenAIConfigRedactsKey(t *testing.T) {
	t.Parallel()
	cfg := OpenAIConfig{APIKey: oaiTestKey, Model: "m"}
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), cfg.LogValue().String()} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("%s leaks the key", s)
		}
	}
}

func BenchmarkOpenAIEmbedDocuments(b *testing.B) {
	srv := llmtest.NewServer(b, llmtest.WithDim(256))
	e, err := NewOpenAI(OpenAIConfig{BaseURL: srv.URL(), Model: "m"})
	if err != nil {
		b.Fatal(err)
	}
	texts := make([]string, 200)
	for i := range texts {
		texts[i] = fmt.Sprintf("passage %d sur la souveraineté numérique", i)
	}
	for b.Loop() {
		if _, err := e.EmbedDocuments(b.Context(), texts); err != nil {
			b.Fatal(err)
		}
	}
}
