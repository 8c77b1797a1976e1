// Package llmtest provides an in-process fake of an OpenAI-compatible API
// (chat completions, streamed or not, and embeddings) for tests: scripted
// replies, deterministic embeddings, injected faults, and a record of every
// request received so that tests can assert on prompts.
//
// It deliberately does not import package llm, so that llm's own tests can
// use it.
package llmtest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Message is one chat message as the server received it.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Request is one request the server received, faulted or not.
type Request struct {
	Method        string
	Path          string // e.g. /v1/chat/completions
	Authorization string // the Authorization header, "" when absent
	Model         string
	Stream        bool
	Messages      []Message // chat requests
	Input         []string  // embedding requests
	Body          []byte    // the raw body
}

// Fault is what the server does to one request instead of (or before)
// answering it normally.
type Fault struct {
	// Status, when non-zero, is sent with a JSON error body instead of the
	// answer.
	Status int
	// RetryAfter, when set, is sent as the Retry-After header.
	RetryAfter string
	// Malformed sends a 200 whose body is not valid JSON.
	Malformed bool
	// Delay holds the response back this long (or until the client gives
	// up); the request is then answered as the rest of the Fault says.
	Delay time.Duration
}

// Option configures a Server.
type Option func(*Server)

// WithReplies queues chat replies, returned one per chat request in order.
func WithReplies(replies ...string) Option {
	return func(s *Server) { s.replies = append(s.replies, replies...) }
}

// WithReplyFunc answers each chat request (once the queue is empty) with
// f's result for the messages received.
func WithReplyFunc(f func(msgs []Message) string) Option {
	return func(s *Server) { s.replyFunc = f }
}

// WithDim sets the dimension of the embeddings returned (default 8).
func WithDim(dim int) Option {
	return func(s *Server) { s.dim = dim }
}

// WithAPIKey makes the server require "Authorization: Bearer key" and
// answer 401 otherwise.
func WithAPIKey(key string) Option {
	return func(s *Server) { s.apiKey = key }
}

// WithoutStreaming makes the server ignore "stream": true and answer with a
// single JSON body, as some compatible servers do.
func WithoutStreaming() Option {
	return func(s *Server) { s.noStream = true }
}

// WithStreamDelay pauses between streamed chunks, so tests can observe
// text arriving over time.
func WithStreamDelay(d time.Duration) Option {
	return func(s *Server) { s.streamDelay = d }
}

// DefaultReply is the chat reply when nothing was scripted.
const DefaultReply = "This is the fake model's reply."

// Server is a fake OpenAI-compatible API. Its methods are safe for
// concurrent use; it is closed when the test ends.
type Server struct {
	srv *httptest.Server

	mu          sync.Mutex
	replies     []string
	replyFunc   func([]Message) string
	faults      []Fault
	requests    []Request
	dim         int
	apiKey      string
	noStream    bool
	streamDelay time.Duration
}

// NewServer starts a fake server for the length of the test.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{dim: 8}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	mux.HandleFunc("POST /v1/embeddings", s.embeddings)
	s.srv = httptest.NewServer(s.intercept(mux))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the API's base URL, ending in /v1.
func (s *Server) URL() string { return s.srv.URL + "/v1" }

// Client is an *http.Client that reaches the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Reply queues more chat replies.
func (s *Server) Reply(replies ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies = append(s.replies, replies...)
}

// SetReplyFunc replaces the function answering chat requests once the queue
// is empty.
func (s *Server) SetReplyFunc(f func(msgs []Message) string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replyFunc = f
}

// Fail makes the next n requests fail with status, sending retryAfter as the
// Retry-After header when it is not empty.
func (s *Server) Fail(n, status int, retryAfter string) {
	s.Inject(n, Fault{Status: status, RetryAfter: retryAfter})
}

// FailMalformed makes the next n requests get a 200 with a body that is not
// JSON.
func (s *Server) FailMalformed(n int) { s.Inject(n, Fault{Malformed: true}) }

// Slow holds the next n responses back by d each.
func (s *Server) Slow(n int, d time.Duration) { s.Inject(n, Fault{Delay: d}) }

// Inject queues fault for the next n requests, after any already queued.
func (s *Server) Inject(n int, fault Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault)
	}
}

// Requests returns a copy of the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ChatRequests returns the chat requests received so far, in order.
func (s *Server) ChatRequests() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if strings.HasSuffix(r.Path, "/chat/completions") {
			out = append(out, r)
		}
	}
	return out
}

// intercept records each request and applies the next fault, if any.
func (s *Server) intercept(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec := Request{
			Method:        r.Method,
			Path:          r.URL.Path,
			Authorization: r.Header.Get("Authorization"),
			Body:          body,
		}
		var parsed struct {
			Model    string          `json:"model"`
			Stream   bool            `json:"stream"`
			Messages []Message       `json:"messages"`
			Input    json.RawMessage `json:"input"`
		}
		if json.Unmarshal(body, &parsed) == nil {
			rec.Model, rec.Stream, rec.Messages = parsed.Model, parsed.Stream, parsed.Messages
			rec.Input = parseInput(parsed.Input)
		}

		s.mu.Lock()
		s.requests = append(s.requests, rec)
		var fault Fault
		if len(s.faults) > 0 {
			fault, s.faults = s.faults[0], s.faults[1:]
		}
		key := s.apiKey
		s.mu.Unlock()

		if fault.Delay > 0 {
			t := time.NewTimer(fault.Delay)
			select {
			case <-r.Context().Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		if key != "" && rec.Authorization != "Bearer "+key {
			writeError(w, http.StatusUnauthorized, "", "Incorrect API key provided.")
			return
		}
		switch {
		case fault.Status != 0:
			writeError(w, fault.Status, fault.RetryAfter, "injected failure")
			return
		case fault.Malformed:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"choices": [ {"message": `)
			return
		}
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

func parseInput(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}

func writeError(w http.ResponseWriter, status int, retryAfter, msg string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"error": map[string]any{"message": msg, "type": "fake_error", "code": status},
	})
}

// nextReply pops the queue, or asks the reply function.
func (s *Server) nextReply(msgs []Message) string {
	s.mu.Lock()
	if len(s.replies) > 0 {
		r := s.replies[0]
		s.replies = s.replies[1:]
		s.mu.Unlock()
		return r
	}
	f := s.replyFunc
	s.mu.Unlock()
	if f != nil {
		return f(msgs)
	}
	return DefaultReply
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model    string    `json:"model"`
		Stream   bool      `json:"stream"`
		Messages []Message `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "", "invalid JSON body")
		return
	}
	if len(req.Messages) == 0 {
		writeError(w, http.StatusBadRequest, "", "messages is empty")
		return
	}
	reply := s.nextReply(req.Messages)
	s.mu.Lock()
	noStream, delay := s.noStream, s.streamDelay
	s.mu.Unlock()

	if !req.Stream || noStream {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-fake", "object": "chat.completion", "model": req.Model,
			"choices": []any{map[string]any{
				"index":         0,
				"message":       map[string]any{"role": "assistant", "content": reply},
				"finish_reason": "stop",
			}},
		})
		return
	}

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	flusher, _ := w.(http.Flusher)
	send := func(delta map[string]any, finish any) {
		chunk, _ := json.Marshal(map[string]any{
			"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}},
		})
		fmt.Fprintf(w, "data: %s\n\n", chunk)
		if flusher != nil {
			flusher.Flush()
		}
	}
	send(map[string]any{"role": "assistant", "content": ""}, nil)
	for i, piece := range Pieces(reply) {
		if i > 0 && delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-r.Context().Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		send(map[string]any{"content": piece}, nil)
	}
	send(map[string]any{}, "stop")
	io.WriteString(w, "data: [DONE]\n\n")
	if flusher != nil {
		flusher.Flush()
	}
}

// Pieces splits a reply the way the server streams it: one word per piece,
// each with the white space before it, so that joining them gives the reply.
func Pieces(reply string) []string {
	var out []string
	start := 0
	for i := 1; i < len(reply); i++ {
		if reply[i] == ' ' && reply[i-1] != ' ' {
			out = append(out, reply[start:i])
			start = i
		}
	}
	if start < len(reply) {
		out = append(out, reply[start:])
	}
	return out
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model string          `json:"model"`
		Input json.RawMessage `json:"input"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "", "invalid JSON body")
		return
	}
	inputs := parseInput(req.Input)
	if len(inputs) == 0 {
		writeError(w, http.StatusBadRequest, "", "input is empty")
		return
	}
	s.mu.Lock()
	dim := s.dim
	s.mu.Unlock()
	data := make([]any, len(inputs))
	// Answer in reverse order, as servers may: clients must use "index".
	for i := len(inputs) - 1; i >= 0; i-- {
		data[len(inputs)-1-i] = map[string]any{
			"object": "embedding", "index": i, "embedding": Vector(inputs[i], dim),
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"object": "list", "model": req.Model, "data": data,
		"usage": map[string]any{"prompt_tokens": 0, "total_tokens": 0},
	})
}

// Vector is the embedding the server returns for text: dim values in
// [-1, 1) derived from SHA-256 of the text, deliberately not normalised.
func Vector(text string, dim int) []float32 {
	v := make([]float32, dim)
	var block [sha256.Size]byte
	for i := range v {
		if i%8 == 0 {
			block = sha256.Sum256([]byte(strconv.Itoa(i/8) + "\x00" + text))
		}
		u := binary.BigEndian.Uint32(block[(i%8)*4:])
		v[i] = float32(float64(u)/math.MaxUint32*2 - 1)
	}
	return v
}
