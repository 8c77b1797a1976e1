package embed

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/veille/veille/rag/openai"
)

// Defaults of OpenAIConfig, by provider.
const (
	DefaultOpenAIBaseURL = "https://api.openai.com/v1"
	DefaultOpenAIModel   = "text-embedding-3-small"
	DefaultOllamaBaseURL = "http://localhost:11434/v1"
	DefaultOllamaModel   = "nomic-embed-text"
)

// OpenAIConfig selects an embedding model served by an OpenAI-compatible
// /embeddings endpoint.
type OpenAIConfig struct {
	// BaseURL is the API root ("/embeddings" is appended). Empty means
	// DefaultOpenAIBaseURL, or DefaultOllamaBaseURL for Provider "ollama".
	BaseURL string
	// APIKey is sent as a Bearer token when set. It is required for
	// api.openai.com only.
	APIKey string
	// Model is the embedding model. Empty means DefaultOpenAIModel, or
	// DefaultOllamaModel for Provider "ollama".
	Model string
	// HTTPClient makes the requests; nil means a new client.
	HTTPClient *http.Client
	// BatchSize is how many texts go in one request; 0 means 64.
	BatchSize int
	// MaxChars caps each text, in characters, before it is sent (the prefix
	// is not counted); longer texts are cut at a word boundary. 0 means 8000,
	// which stays under the 8192-token limit of OpenAI's models.
	MaxChars int
	// QueryPrefix and DocumentPrefix are prepended to queries and documents
	// for models trained with them. When both are empty they are derived
	// from the model name: "query: "/"passage: " for e5 models,
	// "search_query: "/"search_document: " for nomic-embed models.
	QueryPrefix, DocumentPrefix string
	// Provider is "openai" (the default) or "ollama", meaning Ollama's
	// OpenAI-compatible /v1 API. It names the embedder in its Identity.
	Provider string
}

// LogValue logs the configuration without the API key.
func (c OpenAIConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("provider", c.Provider),
		slog.String("base_url", c.BaseURL),
		slog.String("model", c.Model),
		slog.String("api_key", openai.Redacted(c.APIKey)),
	)
}

// String describes the configuration with the API key redacted.
func (c OpenAIConfig) String() string {
	return fmt.Sprintf("embed.OpenAIConfig{Provider:%q BaseURL:%q Model:%q APIKey:%s}",
		c.Provider, c.BaseURL, c.Model, openai.Redacted(c.APIKey))
}

// GoString is String, so that %#v redacts the key too.
func (c OpenAIConfig) GoString() string { return c.String() }

// OpenAI embeds texts with an OpenAI-compatible provider. It is safe for
// concurrent use.
type OpenAI struct {
	provider    string
	model       string
	batchSize   int
	maxChars    int
	queryPrefix string
	docPrefix   string

	// t posts to BaseURL + /embeddings: auth, redaction, status errors,
	// retries, the per-attempt timeout.
	t *openai.Transport

	mu  sync.Mutex
	dim int // learned from the first response
}

const (
	oaiConcurrency = 4 // batches in flight at once
	oaiMaxRetries  = 2
	oaiTimeout     = time.Minute // per attempt
)

// NewOpenAI validates cfg, fills in defaults and returns the embedder. It
// makes no request.
func NewOpenAI(cfg OpenAIConfig) (*OpenAI, error) {
	var problems []string
	provider := strings.ToLower(strings.TrimSpace(cfg.Provider))
	base, model := DefaultOpenAIBaseURL, DefaultOpenAIModel
	switch provider {
	case "", "openai":
		provider = "openai"
	case "ollama":
		base, model = DefaultOllamaBaseURL, DefaultOllamaModel
	default:
		problems = append(problems, fmt.Sprintf("provider %q is not openai or ollama", cfg.Provider))
	}
	if s := strings.TrimSpace(cfg.BaseURL); s != "" {
		base = s
	}
	if s := strings.TrimSpace(cfg.Model); s != "" {
		model = s
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, fmt.Sprintf("base URL %q is not an http(s) URL", base))
	} else if u.Hostname() == "api.openai.com" && cfg.APIKey == "" {
		problems = append(problems, "an API key is required for api.openai.com")
	}
	if cfg.BatchSize < 0 {
		problems = append(problems, "batch size is negative")
	}
	if cfg.MaxChars < 0 {
		problems = append(problems, "max chars is negative")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("embed config: %s", strings.Join(problems, "; "))
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{}
	}
	e := &OpenAI{
		provider:    provider,
		model:       model,
		batchSize:   cfg.BatchSize,
		maxChars:    cfg.MaxChars,
		queryPrefix: cfg.QueryPrefix,
		docPrefix:   cfg.DocumentPrefix,
		t: &openai.Transport{
			Endpoint:   strings.TrimRight(u.String(), "/") + "/embeddings",
			Provider:   u.Host,
			APIKey:     cfg.APIKey,
			HTTPClient: client,
			Timeout:    oaiTimeout,
			MaxRetries: oaiMaxRetries,
		},
	}
	if e.batchSize == 0 {
		e.batchSize = 64
	}
	if e.maxChars == 0 {
		e.maxChars = 8000
	}
	if e.queryPrefix == "" && e.docPrefix == "" {
		e.queryPrefix, e.docPrefix = oaiPrefixes(model)
	}
	return e, nil
}

// oaiPrefixes are the prefixes a model was trained with, by model name.
func oaiPrefixes(model string) (query, document string) {
	m := strings.ToLower(model)
	switch {
	case strings.Contains(m, "nomic-embed"):
		return "search_query: ", "search_document: "
	case strings.Contains(m, "e5"):
		return "query: ", "passage: "
	}
	return "", ""
}

// Identity names the provider and model. Dim is learned from the first
// response, so it is 0 until a text has been embedded; callers that record
// the identity of an index should embed something first.
func (e *OpenAI) Identity() Identity {
	e.mu.Lock()
	defer e.mu.Unlock()
	return Identity{Name: e.provider, Model: e.model, Dim: e.dim}
}

// EmbedQuery embeds a search query (with the query prefix).
func (e *OpenAI) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	vs, err := e.embed(ctx, []string{text}, e.queryPrefix)
	if err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	return vs[0], nil
}

// EmbedDocument embeds one document text (with the document prefix).
func (e *OpenAI) EmbedDocument(ctx context.Context, text string) ([]float32, error) {
	vs, err := e.embed(ctx, []string{text}, e.docPrefix)
	if err != nil {
		return nil, fmt.Errorf("embed document: %w", err)
	}
	return vs[0], nil
}

// EmbedDocuments embeds texts in batches, a few batches at a time, and
// returns their vectors in the same order. It fails as a whole: one batch
// failing for good cancels the others.
func (e *OpenAI) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(oaiConcurrency)
	for start := 0; start < len(texts); start += e.batchSize {
		end := min(start+e.batchSize, len(texts))
		g.Go(func() error {
			vs, err := e.embed(gctx, texts[start:end], e.docPrefix)
			if err != nil {
				return fmt.Errorf("texts %d to %d: %w", start, end-1, err)
			}
			copy(out[start:end], vs)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("embed %d documents: %w", len(texts), err)
	}
	return out, nil
}

// embed sends one batch, retrying transient failures, and returns
// L2-normalised vectors.
func (e *OpenAI) embed(ctx context.Context, texts []string, prefix string) ([][]float32, error) {
	inputs := make([]string, len(texts))
	for i, t := range texts {
		t = strings.TrimSpace(t)
		if t == "" {
			return nil, fmt.Errorf("text %d is empty", i)
		}
		inputs[i] = prefix + oaiCapChars(t, e.maxChars)
	}
	body, err := json.Marshal(map[string]any{"model": e.model, "input": inputs})
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	var out [][]float32
	err = e.t.Post(ctx, body, "application/json", func(resp *http.Response) error {
		var err error
		out, err = e.read(resp.Body, len(inputs))
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// read decodes one reply of n embeddings and normalises them.
func (e *OpenAI) read(r io.Reader, n int) ([][]float32, error) {
	data, err := io.ReadAll(io.LimitReader(r, 256<<20))
	if err != nil {
		return nil, openai.Transient(fmt.Errorf("read response: %w", err))
	}
	var er struct {
		Data []struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &er); err != nil {
		return nil, fmt.Errorf("%w: %w", openai.ErrMalformedResponse, err)
	}
	if len(er.Data) != n {
		return nil, fmt.Errorf("%w: %d embeddings for %d texts", openai.ErrMalformedResponse, len(er.Data), n)
	}
	out := make([][]float32, n)
	for _, d := range er.Data {
		if d.Index < 0 || d.Index >= n || out[d.Index] != nil {
			return nil, fmt.Errorf("%w: bad or repeated index %d", openai.ErrMalformedResponse, d.Index)
		}
		if len(d.Embedding) == 0 {
			return nil, fmt.Errorf("%w: empty embedding", openai.ErrMalformedResponse)
		}
		out[d.Index] = d.Embedding
	}
	if err := e.checkDim(len(out[0])); err != nil {
		return nil, err
	}
	for i, v := range out {
		if len(v) != len(out[0]) {
			return nil, fmt.Errorf("embeddings of dimensions %d and %d in one reply", len(out[0]), len(v))
		}
		if !oaiNormalize(v) {
			return nil, fmt.Errorf("embedding %d has no direction (zero or not finite)", i)
		}
	}
	return out, nil
}

// checkDim learns the dimension from the first reply and holds later ones
// to it, so that one index never mixes dimensions.
func (e *OpenAI) checkDim(dim int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.dim == 0 {
		e.dim = dim
		return nil
	}
	if dim != e.dim {
		return fmt.Errorf("model %s returned %d dimensions, earlier %d", e.model, dim, e.dim)
	}
	return nil
}

// oaiNormalize scales v to unit length in place; it reports false when v has
// no length to scale.
func oaiNormalize(v []float32) bool {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	norm := math.Sqrt(sum)
	if norm == 0 || math.IsNaN(norm) || math.IsInf(norm, 0) {
		return false
	}
	for i, x := range v {
		v[i] = float32(float64(x) / norm)
	}
	return true
}

// oaiCapChars cuts s to at most n characters, at the last word boundary in the
// second half of the allowance when there is one.
func oaiCapChars(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := 0
	for i := range s {
		if n == 0 {
			cut = i
			break
		}
		n--
	}
	t := s[:cut]
	if i := strings.LastIndexFunc(t, unicode.IsSpace); i > len(t)/2 {
		t = t[:i]
	}
	return t
}
