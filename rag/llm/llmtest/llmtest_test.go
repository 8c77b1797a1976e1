package llmtest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/veille/veille/rag/llm/llmtest"
)

func post(t *testing.T, srv *llmtest.Server, path, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestServer(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewServer(t, llmtest.WithReplies("un"), llmtest.WithDim(4))
	srv.SetReplyFunc(func(msgs []llmtest.Message) string { return "écho: " + msgs[len(msgs)-1].Content })
	srv.Fail(1, http.StatusTooManyRequests, "7")

	chat := `{"model":"m","messages":[{"role":"user","content":"salut"}]}`
	if resp := post(t, srv, "/chat/completions", chat); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" {
		t.Errorf("first request: status %d, Retry-After %q; want the injected 429", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	var replies []string
	for range 2 {
		var cr struct {
			Choices []struct{ Message llmtest.Message } `json:"choices"`
		}
		if err := json.NewDecoder(post(t, srv, "/chat/completions", chat).Body).Decode(&cr); err != nil {
			t.Fatal(err)
		}
		replies = append(replies, cr.Choices[0].Message.Content)
	}
	if diff := cmp.Diff([]string{"un", "écho: salut"}, replies); diff != "" {
		t.Errorf("replies (-want +got):\n%s", diff)
	}

	var er struct {
		Data []struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		} `json:"data"`
	}
	if err := json.NewDecoder(post(t, srv, "/embeddings", `{"model":"e","input":["a","b"]}`).Body).Decode(&er); err != nil {
		t.Fatal(err)
	}
	for _, d := range er.Data {
		if want := llmtest.Vector([]string{"a", "b"}[d.Index], 4); !cmp.Equal(want, d.Embedding) {
			t.Errorf("embedding %d = %v, want %v", d.Index, d.Embedding, want)
		}
	}
	if got := len(srv.Requests()); got != 4 {
		t.Errorf("recorded %d requests, want 4", got)
	}
	if got := len(srv.ChatRequests()); got != 3 {
		t.Errorf("recorded %d chat requests, want 3", got)
	}
}

func TestStreamAndMalformed(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewServer(t, llmtest.WithReplies("a b c"))
	srv.FailMalformed(1)
	chat := `{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}`
	resp := post(t, srv, "/chat/completions", chat)
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if json.Valid(buf.Bytes()) {
		t.Errorf("malformed fault sent valid JSON %q", buf.String())
	}
	resp = post(t, srv, "/chat/completions", chat)
	buf.Reset()
	buf.ReadFrom(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type = %q", ct)
	}
	if got := strings.Count(buf.String(), "data: "); got != 6 { // role, 3 words, finish, [DONE]
		t.Errorf("%d events, want 6:\n%s", got, buf.String())
	}
}

func TestVectorAndPieces(t *testing.T) {
	t.Parallel()
	if !cmp.Equal(llmtest.Vector("x", 20), llmtest.Vector("x", 20)) || cmp.Equal(llmtest.Vector("x", 20), llmtest.Vector("y", 20)) {
		t.Error("Vector is not a deterministic function of the text")
	}
	for _, s := range []string{"", "un", "un deux  trois ", " x"} {
		if got := strings.Join(llmtest.Pieces(s), ""); got != s {
			t.Errorf("Pieces(%q) joins to %q", s, got)
		}
	}
}

func TestAPIKey(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewServer(t, llmtest.WithAPIKey("k"))
	if resp := post(t, srv, "/embeddings", `{"input":"a"}`); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d without key, want 401", resp.StatusCode)
	}
}
