// Package llm is a small client for OpenAI-compatible chat APIs (OpenAI,
// Ollama's /v1, vLLM, llama.cpp server, LM Studio, Mistral…) and the two
// pieces that make its answers trustworthy: a prompt that keeps article text
// apart from instructions, and a checker that keeps only citations naming a
// passage that was given.
//
// It is written against net/http rather than an SDK so that every compatible
// server is reached the same way, and so that retries, streaming and error
// messages (which must never carry the API key) stay under our control.
//
// An answer is made in three steps: Prompt builds the messages from the
// question and the retrieved passages, Chat or ChatStream asks the model,
// and CheckCitations keeps only what the passages support. When the checked
// answer cites nothing (Checked.Err returns ErrNoCitations), or the model
// cannot be reached, the caller falls back to its extractive answer.
package llm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults applied by New when the Config leaves a field zero.
const (
	DefaultTimeout    = 2 * time.Minute
	DefaultMaxRetries = 2
)

// Config selects a chat model on an OpenAI-compatible server.
type Config struct {
	// BaseURL is the API root, for example https://api.openai.com/v1 or
	// http://localhost:11434/v1; "/chat/completions" is appended to it.
	BaseURL string
	// APIKey is sent as a Bearer token when set; local servers need none.
	APIKey string
	// Model is the model name the server expects.
	Model string
	// HTTPClient makes the requests; nil means a new client with no timeout
	// of its own (Timeout below bounds each attempt).
	HTTPClient *http.Client
	// Timeout bounds one attempt, streaming included; an attempt that times
	// out is retried. Zero means DefaultTimeout. The caller's context still
	// bounds the whole call.
	Timeout time.Duration
	// MaxRetries is how many times a failed attempt is retried. Zero means
	// DefaultMaxRetries; a negative value disables retries.
	MaxRetries int
	// Backoff returns the wait before retry attempt (1 for the first retry).
	// Nil means exponential backoff with jitter, capped. A Retry-After header
	// sent by the server takes precedence when it asks for longer.
	Backoff func(attempt int) time.Duration
}

// String describes the configuration with the API key redacted, so that a
// Config printed by mistake does not leak it.
func (c Config) String() string {
	return fmt.Sprintf("llm.Config{BaseURL:%q Model:%q APIKey:%s}", c.BaseURL, c.Model, redacted(c.APIKey))
}

// GoString is String, so that %#v redacts the key too.
func (c Config) GoString() string { return c.String() }

// LogValue logs the configuration without the API key.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("base_url", c.BaseURL),
		slog.String("model", c.Model),
		slog.String("api_key", redacted(c.APIKey)),
	)
}

func redacted(key string) string {
	if key == "" {
		return "(unset)"
	}
	return "[redacted]"
}

// Client talks to one chat model. It is safe for concurrent use.
type Client struct {
	endpoint   string // BaseURL + /chat/completions
	provider   string // host of BaseURL, named in errors
	apiKey     string
	model      string
	httpClient *http.Client
	timeout    time.Duration
	maxRetries int
	backoff    func(attempt int) time.Duration
	// sleep waits between attempts; tests replace it to avoid real waits.
	sleep func(ctx context.Context, d time.Duration) error
}

// New validates cfg and returns a client. It makes no request.
func New(cfg Config) (*Client, error) {
	var problems []string
	u, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	switch {
	case cfg.BaseURL == "":
		problems = append(problems, "base URL is empty")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		problems = append(problems, fmt.Sprintf("base URL %q is not an http(s) URL", cfg.BaseURL))
	}
	if strings.TrimSpace(cfg.Model) == "" {
		problems = append(problems, "model is empty")
	}
	if cfg.Timeout < 0 {
		problems = append(problems, "timeout is negative")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("llm config: %s", strings.Join(problems, "; "))
	}
	c := &Client{
		endpoint:   strings.TrimRight(u.String(), "/") + "/chat/completions",
		provider:   u.Host,
		apiKey:     cfg.APIKey,
		model:      strings.TrimSpace(cfg.Model),
		httpClient: cfg.HTTPClient,
		timeout:    cfg.Timeout,
		maxRetries: cfg.MaxRetries,
		backoff:    cfg.Backoff,
		sleep:      sleepCtx,
	}
	if c.httpClient == nil {
		c.httpClient = &http.Client{}
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.backoff == nil {
		c.backoff = defaultBackoff
	}
	return c, nil
}

// Provider names the server (the host of the base URL), as errors do.
func (c *Client) Provider() string { return c.provider }

// Model is the configured model name.
func (c *Client) Model() string { return c.model }

// LogValue logs the client's provider and model; the key is never logged.
func (c *Client) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("provider", c.provider),
		slog.String("model", c.model),
		slog.String("api_key", redacted(c.apiKey)),
	)
}

// Message is one chat message; Role is "system", "user" or "assistant".
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatRequest struct {
	Model    string    `json:"model"`
	Messages []Message `json:"messages"`
	Stream   bool      `json:"stream"`
}

type chatResponse struct {
	Choices []struct {
		Message struct {
			Content string `json:"content"`
		} `json:"message"`
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Error *apiError `json:"error"`
}

type apiError struct {
	Message string `json:"message"`
	Type    string `json:"type"`
}

// Chat sends msgs and returns the model's reply, retrying transient
// failures (see Config).
func (c *Client) Chat(ctx context.Context, msgs []Message) (string, error) {
	text, err := c.do(ctx, msgs, false, nil)
	if err != nil {
		return "", fmt.Errorf("llm chat: %w", err)
	}
	return text, nil
}

// ChatStream is Chat with the reply streamed: onDelta (which may be nil)
// receives each piece of text as it arrives, in order, and the full reply is
// returned at the end. A server that ignores the stream request and answers
// in one piece is accepted: onDelta then gets the whole reply once.
//
// An attempt is retried only while nothing has been passed to onDelta; once
// text has been delivered, a failure is returned as is so that the caller
// never sees the same text twice.
func (c *Client) ChatStream(ctx context.Context, msgs []Message, onDelta func(text string)) (string, error) {
	if onDelta == nil {
		onDelta = func(string) {}
	}
	text, err := c.do(ctx, msgs, true, onDelta)
	if err != nil {
		return "", fmt.Errorf("llm stream: %w", err)
	}
	return text, nil
}

// do runs attempts until one succeeds, a failure is not worth retrying, or
// the retries are spent.
func (c *Client) do(ctx context.Context, msgs []Message, stream bool, onDelta func(string)) (string, error) {
	body, err := json.Marshal(chatRequest{Model: c.model, Messages: msgs, Stream: stream})
	if err != nil {
		return "", fmt.Errorf("encode request: %w", err)
	}
	var last error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			wait := c.backoff(attempt)
			if ra := retryAfterOf(last); ra > wait {
				wait = ra
			}
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
				// The caller would be cut off before the next attempt
				// starts: give its remaining time back now.
				return "", fmt.Errorf("giving up after %s: waiting %v would outlast the deadline: %w",
					attempts(attempt), wait.Round(time.Millisecond), last)
			}
			if err := c.sleep(ctx, wait); err != nil {
				return "", fmt.Errorf("after %s: %w (last error: %w)", attempts(attempt), err, last)
			}
		}
		delivered := false
		text, err := c.attempt(ctx, body, stream, func(s string) {
			delivered = true
			onDelta(s)
		})
		if err == nil {
			return text, nil
		}
		if ctx.Err() != nil {
			// The caller gave up: that is the answer, not a transient fault.
			return "", fmt.Errorf("after %s: %w", attempts(attempt+1), context.Cause(ctx))
		}
		last = err
		if delivered || !retryable(err) {
			return "", err
		}
		if attempt >= c.maxRetries {
			return "", fmt.Errorf("giving up after %s: %w", attempts(attempt+1), last)
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
func (c *Client) attempt(ctx context.Context, body []byte, stream bool, onDelta func(string)) (string, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errAttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if stream {
		req.Header.Set("Accept", "text/event-stream, application/json")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, errAttemptTimeout) {
			return "", transient{fmt.Errorf("%s: %w", c.provider, cause)}
		}
		return "", transient{scrubErr(err, c.apiKey)} // names the URL already
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", newStatusError(c.provider, resp, c.apiKey)
	}
	var text string
	br := bufio.NewReader(resp.Body)
	if stream && isEventStream(resp.Header.Get("Content-Type"), br) {
		text, err = readStream(br, onDelta)
	} else {
		text, err = readJSON(br)
		if err == nil && stream {
			onDelta(text)
		}
	}
	if err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, errAttemptTimeout) {
			return "", transient{fmt.Errorf("%s: %w", c.provider, cause)}
		}
		return "", fmt.Errorf("%s: %w", c.provider, err)
	}
	return text, nil
}

// isEventStream tells a server-sent event stream from a JSON body, by its
// content type or, for servers that label it wrongly, by its first byte.
func isEventStream(contentType string, body *bufio.Reader) bool {
	if strings.HasPrefix(contentType, "text/event-stream") {
		return true
	}
	if strings.Contains(contentType, "json") {
		return false
	}
	peek, _ := body.Peek(512)
	trimmed := bytes.TrimLeft(peek, " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] != '{'
}

// maxBody bounds what is read of one response, so a misbehaving server
// cannot exhaust memory.
const maxBody = 8 << 20

func readJSON(r io.Reader) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBody))
	if err != nil {
		return "", transient{fmt.Errorf("read response: %w", err)}
	}
	var cr chatResponse
	if err := json.Unmarshal(data, &cr); err != nil {
		return "", fmt.Errorf("%w: %w", ErrMalformedResponse, err)
	}
	if cr.Error != nil {
		return "", fmt.Errorf("%w: error in response: %s", ErrMalformedResponse, cr.Error.Message)
	}
	if len(cr.Choices) == 0 {
		return "", fmt.Errorf("%w: no choices", ErrMalformedResponse)
	}
	return cr.Choices[0].Message.Content, nil
}

// readStream reads server-sent events: "data: {json}" lines carrying
// choices[0].delta.content, ended by "data: [DONE]".
func readStream(r io.Reader, onDelta func(string)) (string, error) {
	var (
		sb       strings.Builder
		finished bool
	)
	err := scanEvents(io.LimitReader(r, maxBody), func(data string) (bool, error) {
		if data == "[DONE]" {
			return true, nil
		}
		var chunk chatResponse
		if err := json.Unmarshal([]byte(data), &chunk); err != nil {
			return false, fmt.Errorf("%w: stream event: %w", ErrMalformedResponse, err)
		}
		if chunk.Error != nil {
			return false, fmt.Errorf("%w: error in stream: %s", ErrMalformedResponse, chunk.Error.Message)
		}
		for _, ch := range chunk.Choices {
			if d := ch.Delta.Content; d != "" {
				sb.WriteString(d)
				onDelta(d)
			}
			if ch.FinishReason != nil && *ch.FinishReason != "" {
				finished = true
			}
		}
		return false, nil
	})
	if errors.Is(err, io.ErrUnexpectedEOF) && finished {
		// Some servers close after the final chunk without [DONE].
		err = nil
	}
	if err != nil {
		return "", err
	}
	return sb.String(), nil
}
