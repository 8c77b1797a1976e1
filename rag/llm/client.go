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

	"github.com/veille/veille/rag/openai"
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
	return fmt.Sprintf("llm.Config{BaseURL:%q Model:%q APIKey:%s}", c.BaseURL, c.Model, openai.Redacted(c.APIKey))
}

// GoString is String, so that %#v redacts the key too.
func (c Config) GoString() string { return c.String() }

// LogValue logs the configuration without the API key.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("base_url", c.BaseURL),
		slog.String("model", c.Model),
		slog.String("api_key", openai.Redacted(c.APIKey)),
	)
}

// Client talks to one chat model. It is safe for concurrent use.
type Client struct {
	provider string // host of BaseURL, named in errors
	apiKey   string
	model    string
	// t posts to BaseURL + /chat/completions: auth, redaction, status
	// errors, retries, the per-attempt timeout.
	t *openai.Transport
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
		provider: u.Host,
		apiKey:   cfg.APIKey,
		model:    strings.TrimSpace(cfg.Model),
		t: &openai.Transport{
			Endpoint:   strings.TrimRight(u.String(), "/") + "/chat/completions",
			Provider:   u.Host,
			APIKey:     cfg.APIKey,
			HTTPClient: cfg.HTTPClient,
			Timeout:    cfg.Timeout,
			MaxRetries: cfg.MaxRetries,
			Backoff:    cfg.Backoff,
		},
	}
	if c.t.HTTPClient == nil {
		c.t.HTTPClient = &http.Client{}
	}
	if c.t.Timeout == 0 {
		c.t.Timeout = DefaultTimeout
	}
	switch {
	case c.t.MaxRetries == 0:
		c.t.MaxRetries = DefaultMaxRetries
	case c.t.MaxRetries < 0:
		c.t.MaxRetries = 0
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
		slog.String("api_key", openai.Redacted(c.apiKey)),
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

// do posts one chat request through the transport, which retries transient
// failures (see Config) while nothing has been passed to onDelta.
func (c *Client) do(ctx context.Context, msgs []Message, stream bool, onDelta func(string)) (string, error) {
	body, err := json.Marshal(chatRequest{Model: c.model, Messages: msgs, Stream: stream})
	if err != nil {
		return "", fmt.Errorf("encode request: %w", err)
	}
	accept := "application/json"
	if stream {
		accept = "text/event-stream, application/json"
	}
	var text string
	err = c.t.Post(ctx, body, accept, func(resp *http.Response) error {
		delivered := false
		var err error
		br := bufio.NewReader(resp.Body)
		if stream && isEventStream(resp.Header.Get("Content-Type"), br) {
			text, err = readStream(br, func(s string) {
				delivered = true
				onDelta(s)
			})
		} else {
			text, err = readJSON(br)
			if err == nil && stream {
				onDelta(text)
			}
		}
		if err != nil && delivered {
			// The caller has seen part of the reply: a retry would
			// repeat it.
			return openai.Final(err)
		}
		return err
	})
	if err != nil {
		return "", err
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
		return "", openai.Transient(fmt.Errorf("read response: %w", err))
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
