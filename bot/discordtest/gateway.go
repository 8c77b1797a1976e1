package discordtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Gateway opcodes.
const (
	opDispatch     = 0
	opHeartbeat    = 1
	opIdentify     = 2
	opResume       = 6
	opHello        = 10
	opHeartbeatACK = 11
)

// privilegedIntents are GUILD_MEMBERS, GUILD_PRESENCES and MESSAGE_CONTENT.
const privilegedIntents = 1<<1 | 1<<8 | 1<<15

// gatewayConn is one bot connection to the fake gateway.
type gatewayConn struct {
	ws  *websocket.Conn
	wmu sync.Mutex
	seq int64 // guarded by Server.mu
}

func (c *gatewayConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteJSON(v)
}

func (c *gatewayConn) close() {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseGoingAway, "fake discord shutting down"), time.Now().Add(time.Second))
	c.wmu.Unlock()
	_ = c.ws.Close()
}

type payload struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d,omitempty"`
	S  *int64          `json:"s,omitempty"`
	T  string          `json:"t,omitempty"`
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// serveGateway speaks the gateway protocol: HELLO, IDENTIFY → READY,
// RESUME → RESUMED, heartbeats → ACK. Frames are uncompressed JSON text,
// which discordgo accepts although it asks for zlib.
func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	s.conns.Add(1)
	s.mu.Unlock()
	defer s.conns.Done()

	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &gatewayConn{ws: ws}
	s.mu.Lock()
	old := s.gateway
	s.gateway = c
	s.mu.Unlock()
	if old != nil {
		old.close()
	}
	defer func() {
		s.mu.Lock()
		if s.gateway == c {
			s.gateway = nil
		}
		s.changedLocked()
		s.mu.Unlock()
		_ = ws.Close()
	}()

	hello, _ := json.Marshal(map[string]int64{"heartbeat_interval": s.heartbeat.Milliseconds()})
	if c.write(payload{Op: opHello, D: hello}) != nil {
		return
	}
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var p payload
		if json.Unmarshal(data, &p) != nil {
			closeWith(ws, 4002, "Error while decoding payload.")
			return
		}
		if !s.handle(c, p) {
			return
		}
	}
}

// handle answers one payload of the client; false ends the connection.
func (s *Server) handle(c *gatewayConn, p payload) bool {
	switch p.Op {
	case opHeartbeat:
		return c.write(payload{Op: opHeartbeatACK}) == nil
	case opIdentify:
		return s.identify(c, p)
	case opResume:
		s.send(c, "RESUMED", map[string]any{}, func() { s.resumed++ })
	}
	return true
}

// identify checks an IDENTIFY as Discord does and answers READY.
func (s *Server) identify(c *gatewayConn, p payload) bool {
	var id struct {
		Token   string `json:"token"`
		Intents int    `json:"intents"`
	}
	_ = json.Unmarshal(p.D, &id)
	if strings.TrimPrefix(id.Token, "Bot ") != s.token {
		closeWith(c.ws, 4004, "Authentication failed.")
		return false
	}
	if s.noPrivileged && id.Intents&privilegedIntents != 0 {
		closeWith(c.ws, 4014, "Disallowed intent(s).")
		return false
	}
	ready := map[string]any{
		"v":                  10,
		"user":               s.botUser(),
		"session_id":         "fake-session",
		"resume_gateway_url": s.GatewayURL(),
		"shard":              []int{0, 1},
		"guilds":             []any{},
		"private_channels":   []any{},
		"application":        map[string]any{"id": s.appID, "flags": 0},
	}
	s.send(c, "READY", ready, func() {
		s.identified++
		s.intents = id.Intents
	})
	return true
}

// closeWith closes ws with a gateway close code and reason.
func closeWith(ws *websocket.Conn, code int, reason string) {
	_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
}

// send writes a dispatch on c; hook runs under s.mu just before.
func (s *Server) send(c *gatewayConn, typ string, data any, hook func()) error {
	d, err := json.Marshal(data)
	if err != nil {
		return err
	}
	s.mu.Lock()
	c.seq++
	seq := c.seq
	if hook != nil {
		hook()
	}
	s.changedLocked()
	s.mu.Unlock()
	return c.write(payload{Op: opDispatch, D: d, S: &seq, T: typ})
}

// dispatch sends an event to the connected, identified bot.
func (s *Server) dispatch(t testing.TB, typ string, data any, hook func()) {
	t.Helper()
	s.mu.Lock()
	c := s.gateway
	ready := s.identified > 0
	s.mu.Unlock()
	if c == nil || !ready {
		t.Fatalf("discordtest: cannot dispatch %s: no bot identified on the gateway", typ)
	}
	if err := s.send(c, typ, data, hook); err != nil {
		t.Fatalf("discordtest: dispatch %s: %v", typ, err)
	}
}

// WaitReady waits until a bot has identified and been sent READY.
func (s *Server) WaitReady(t testing.TB, timeout time.Duration) {
	t.Helper()
	wait(t, s, timeout, "IDENTIFY",
		func() bool { return s.identified > 0 && s.gateway != nil },
		func(ok bool) bool { return ok })
}

// DropGateway cuts the bot's gateway connection without a close frame, as
// a network failure would; discordgo is expected to reconnect and resume.
func (s *Server) DropGateway() {
	s.mu.Lock()
	c := s.gateway
	s.mu.Unlock()
	if c != nil {
		_ = c.ws.UnderlyingConn().Close()
	}
}

// WaitResumed waits until the bot has resumed its session n times in all
// and holds a gateway connection.
func (s *Server) WaitResumed(t testing.TB, timeout time.Duration, n int) {
	t.Helper()
	wait(t, s, timeout, fmt.Sprintf("%d RESUME", n),
		func() bool { return s.resumed >= n && s.gateway != nil },
		func(ok bool) bool { return ok })
}

// Intents returns the intents of the last IDENTIFY.
func (s *Server) Intents() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.intents
}

// Connected reports whether a bot holds a gateway connection.
func (s *Server) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gateway != nil
}

// UserMessage is a message a user posts, dispatched as MESSAGE_CREATE.
type UserMessage struct {
	Content    string
	AuthorID   string // default "100000000000000001"
	ChannelID  string // default "400000000000000001"; a thread under message M has ID M
	GuildID    string // default "300000000000000001"
	MentionBot bool   // add the bot to mentions (Content should carry <@app id>)
	ReplyTo    string // ID of a recorded message this one replies to
}

// ThreadID returns the channel ID of a thread started from message id: on
// Discord a thread created from a message shares the message's ID.
func ThreadID(messageID string) string { return messageID }

// SendMessage records a user's message and dispatches MESSAGE_CREATE.
func (s *Server) SendMessage(t testing.TB, um UserMessage) Message {
	t.Helper()
	author, guild, channel, _ := defaults(um.AuthorID, um.GuildID, um.ChannelID, "")
	m := Message{
		ChannelID: channel, GuildID: guild, Content: um.Content, Kind: KindUser,
		Author: User{ID: author, Username: "user" + author[len(author)-4:], Discriminator: "0"},
	}
	if um.MentionBot {
		m.Mentions = []User{s.botUser()}
	}
	var referenced *Message
	if um.ReplyTo != "" {
		ref, ok := s.Message(um.ReplyTo)
		if !ok {
			t.Fatalf("discordtest: reply to unknown message %s", um.ReplyTo)
		}
		referenced = &ref
		m.Reference = &MessageReference{MessageID: ref.ID, ChannelID: ref.ChannelID, GuildID: ref.GuildID}
	}
	stored := s.record(m)
	event := map[string]any{}
	b, _ := json.Marshal(stored)
	_ = json.Unmarshal(b, &event)
	event["type"] = 0
	if referenced != nil {
		event["type"] = 19
		event["referenced_message"] = referenced
	}
	event["member"] = map[string]any{"roles": []string{}, "joined_at": "2024-01-01T00:00:00+00:00"}
	s.dispatch(t, "MESSAGE_CREATE", event, nil)
	return stored
}

// Replies lists the bot's messages that reply to message id.
func (s *Server) Replies(id string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.repliesLocked(id)
}

func (s *Server) repliesLocked(id string) []Message {
	return s.messagesLocked(func(m *Message) bool {
		return m.Kind == KindChannel && m.Reference != nil && m.Reference.MessageID == id
	})
}

// WaitReplies waits until the bot has replied to message id and returns
// its replies.
func (s *Server) WaitReplies(t testing.TB, timeout time.Duration, id string) []Message {
	t.Helper()
	return wait(t, s, timeout, "replies to message "+id,
		func() []Message { return s.repliesLocked(id) },
		func(ms []Message) bool { return len(ms) > 0 })
}
