package discordtest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"

	"github.com/veille/veille/bot/discordtest"
)

type frame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  int64           `json:"s"`
	T  string          `json:"t"`
}

func read(t *testing.T, ws *websocket.Conn) frame {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var f frame
	if err := ws.ReadJSON(&f); err != nil {
		t.Fatalf("read gateway frame: %v", err)
	}
	return f
}

// connect plays a bot on the gateway up to READY.
func connect(t *testing.T, srv *discordtest.Server, token string) (*websocket.Conn, frame) {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(srv.GatewayURL()+"/?v=10&encoding=json", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	if hello := read(t, ws); hello.Op != 10 || !strings.Contains(string(hello.D), `"heartbeat_interval":41250`) {
		t.Fatalf("first frame = %+v, want HELLO", hello)
	}
	if err := ws.WriteJSON(map[string]any{"op": 2, "d": map[string]any{"token": token, "intents": 37377}}); err != nil {
		t.Fatal(err)
	}
	if token != "Bot "+srv.Token() {
		return ws, frame{}
	}
	return ws, read(t, ws)
}

func TestGateway(t *testing.T) {
	t.Parallel()
	srv := discordtest.NewServer(t)
	ws, ready := connect(t, srv, "Bot "+srv.Token())
	var d struct {
		User        struct{ ID string }
		Application struct{ ID string }
	}
	if err := json.Unmarshal(ready.D, &d); err != nil || ready.T != "READY" || d.Application.ID != srv.ApplicationID() || d.User.ID != srv.ApplicationID() {
		t.Fatalf("READY = %+v (%v)", ready, err)
	}
	if got := srv.Intents(); got != 37377 {
		t.Errorf("intents = %d, want 37377", got)
	}
	if err := ws.WriteJSON(map[string]any{"op": 1, "d": 1}); err != nil {
		t.Fatal(err)
	}
	if ack := read(t, ws); ack.Op != 11 {
		t.Errorf("heartbeat answered with %+v, want op 11", ack)
	}
	srv.SendMessage(t, discordtest.UserMessage{Content: "hello"})
	if ev := read(t, ws); ev.T != "MESSAGE_CREATE" || ev.S != 2 || !strings.Contains(string(ev.D), `"content":"hello"`) {
		t.Errorf("dispatch = %+v", ev)
	}
}

func TestGatewayRejectsBadToken(t *testing.T) {
	t.Parallel()
	srv := discordtest.NewServer(t)
	ws, _ := connect(t, srv, "Bot wrong")
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := ws.ReadMessage()
	if !websocket.IsCloseError(err, 4004) {
		t.Errorf("read after a bad IDENTIFY: %v, want close 4004", err)
	}
}

func do(t *testing.T, srv *discordtest.Server, method, path string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+"/api/v10"+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bot "+srv.Token())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

var none = map[string]any{"parse": []string{}}

func TestInteractionCallbacks(t *testing.T) {
	t.Parallel()
	srv := discordtest.NewServer(t, discordtest.WithAckDeadline(100*time.Millisecond))
	connect(t, srv, "Bot "+srv.Token())
	ix := srv.SendCommand(t, discordtest.Command{Name: "ask"})
	hook := "/webhooks/" + srv.ApplicationID() + "/" + ix.Token

	if code, body := do(t, srv, "PATCH", hook+"/messages/@original", map[string]any{"content": "x"}); code != 404 || body["code"] != 10015.0 {
		t.Errorf("edit before callback = %d %v, want 404 10015", code, body)
	}
	cb := "/interactions/" + ix.ID + "/" + ix.Token + "/callback"
	if code, _ := do(t, srv, "POST", cb, map[string]any{"type": 5}); code != 204 {
		t.Fatalf("deferred callback = %d", code)
	}
	if code, body := do(t, srv, "POST", cb, map[string]any{"type": 5}); code != 400 || body["code"] != 40060.0 {
		t.Errorf("second callback = %d %v, want 400 40060", code, body)
	}
	if code, body := do(t, srv, "PATCH", hook+"/messages/@original", map[string]any{"content": "done", "allowed_mentions": none}); code != 200 || body["content"] != "done" {
		t.Errorf("edit = %d %v", code, body)
	}
	if code, _ := do(t, srv, "POST", hook+"?wait=true", map[string]any{"content": "more", "flags": 64, "allowed_mentions": none}); code != 200 {
		t.Errorf("follow-up = %d", code)
	}
	msgs := ix.Messages()
	if len(msgs) != 2 || msgs[0].Content != "done" || msgs[0].Loading() || !msgs[1].Ephemeral() {
		t.Errorf("messages = %+v", msgs)
	}

	late := srv.SendCommand(t, discordtest.Command{Name: "ask"})
	srv.WaitViolation(t, 5*time.Second, "application did not respond")
	if code, body := do(t, srv, "POST", "/interactions/"+late.ID+"/"+late.Token+"/callback", map[string]any{"type": 5}); code != 404 || body["code"] != 10062.0 {
		t.Errorf("late callback = %d %v, want 404 10062", code, body)
	}
}

func TestMessageLimits(t *testing.T) {
	t.Parallel()
	srv := discordtest.NewServer(t)
	embed := func(desc string) map[string]any { return map[string]any{"description": desc} }
	fields := func(n int, value string) map[string]any {
		var fs []map[string]any
		for range n {
			fs = append(fs, map[string]any{"name": "n", "value": value})
		}
		return map[string]any{"fields": fs}
	}
	tests := []struct {
		name     string
		body     map[string]any
		wantCode float64
		wantPath string // where errors points, e.g. "embeds.0.description"
	}{
		{"content", map[string]any{"content": strings.Repeat("é", 2001)}, 50035, "content"},
		{"description", map[string]any{"embeds": []any{embed(strings.Repeat("a", 4097))}}, 50035, "embeds.0.description"},
		{"title", map[string]any{"embeds": []any{map[string]any{"title": strings.Repeat("a", 257)}}}, 50035, "embeds.0.title"},
		{"footer", map[string]any{"embeds": []any{map[string]any{"description": "d", "footer": map[string]any{"text": strings.Repeat("a", 2049)}}}}, 50035, "embeds.0.footer.text"},
		{"too many embeds", map[string]any{"embeds": []any{embed("1"), embed("2"), embed("3"), embed("4"), embed("5"), embed("6"), embed("7"), embed("8"), embed("9"), embed("10"), embed("11")}}, 50035, "embeds"},
		{"embeds total", map[string]any{"embeds": []any{embed(strings.Repeat("a", 3001)), embed(strings.Repeat("b", 3000))}}, 50035, "embeds"},
		{"fields", map[string]any{"embeds": []any{fields(26, "v")}}, 50035, "embeds.0.fields"},
		{"field value", map[string]any{"embeds": []any{fields(1, strings.Repeat("v", 1025))}}, 50035, "embeds.0.fields.0.value"},
		{"empty", map[string]any{"content": ""}, 50006, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.body["allowed_mentions"] = none
			code, body := do(t, srv, "POST", "/channels/400000000000000001/messages", tt.body)
			if code != 400 || body["code"] != tt.wantCode {
				t.Fatalf("status %d, body %v; want 400 code %v", code, body, tt.wantCode)
			}
			if tt.wantPath == "" {
				return
			}
			node, _ := body["errors"].(map[string]any)
			for _, k := range strings.Split(tt.wantPath, ".") {
				node, _ = node[k].(map[string]any)
			}
			if _, ok := node["_errors"]; !ok {
				t.Errorf("errors = %v, want an entry at %s", body["errors"], tt.wantPath)
			}
		})
	}
	if n := len(srv.Violations()); n != len(tests) {
		t.Errorf("%d violations recorded, want %d", n, len(tests))
	}
}

func TestRecordsUnsafeMentions(t *testing.T) {
	t.Parallel()
	srv := discordtest.NewServer(t)
	for _, body := range []map[string]any{
		{"content": "no allowed_mentions"},
		{"content": "parse everyone", "allowed_mentions": map[string]any{"parse": []string{"everyone"}}},
		{"content": "safe", "allowed_mentions": none},
	} {
		if code, _ := do(t, srv, "POST", "/channels/400000000000000001/messages", body); code != 200 {
			t.Errorf("POST %v = %d, want 200 (Discord accepts it)", body, code)
		}
	}
	var got []bool
	for _, m := range srv.Messages() {
		got = append(got, m.MentionsDisabled())
	}
	if diff := cmp.Diff([]bool{false, false, true}, got); diff != "" {
		t.Errorf("MentionsDisabled (-want +got):\n%s", diff)
	}
	if n := len(srv.Violations()); n != 2 {
		t.Errorf("%d violations, want 2: %v", n, srv.Violations())
	}
}

func TestUnknownRouteAndAuth(t *testing.T) {
	t.Parallel()
	srv := discordtest.NewServer(t)
	if code, _ := do(t, srv, "GET", "/guilds/1/members", nil); code != 404 {
		t.Errorf("unknown route = %d, want 404", code)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/api/v10/users/@me", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("GET /users/@me without a token = %d, want 401", resp.StatusCode)
	}
	if n := len(srv.Violations()); n != 2 {
		t.Errorf("%d violations, want 2", n)
	}
}
