// Package discordtest is a fake Discord for tests: an httptest REST server
// and a gateway websocket that a real discordgo session connects to.
//
// The fake plays Discord's side of a bot's life: it answers GET /gateway with
// its own ws:// URL, says HELLO, accepts IDENTIFY with READY, acknowledges
// heartbeats, and lets a test dispatch INTERACTION_CREATE and MESSAGE_CREATE
// events. It records what the bot sends — interaction callbacks, webhook
// edits and follow-ups, channel messages, registered commands — and enforces
// what Discord enforces: one callback per interaction within the
// acknowledgement deadline, and the content, embed and component limits,
// answering 400 with Discord's error shape on a violation. Every violation,
// and every message sent without allowed_mentions.parse empty, is recorded
// for the test to assert on (see Violations).
//
// A bot reaches the REST API by rewriting https://discord.com/api/... to
// Server.URL (discordgo's endpoints are fixed at init, so tests redirect the
// session's http.Client).
package discordtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults of a new Server.
const (
	DefaultAckDeadline       = 3 * time.Second
	DefaultHeartbeatInterval = 41250 * time.Millisecond
	DefaultToken             = "test-token"
	DefaultApplicationID     = "900000000000000001"
)

// Option configures a Server.
type Option func(*Server)

// WithAckDeadline sets how long after dispatch an interaction may be
// acknowledged (Discord: 3 s). Tests shorten it to stay fast.
func WithAckDeadline(d time.Duration) Option { return func(s *Server) { s.ackDeadline = d } }

// WithHeartbeatInterval sets the heartbeat interval announced in HELLO.
func WithHeartbeatInterval(d time.Duration) Option {
	return func(s *Server) { s.heartbeat = d }
}

// WithToken sets the bot token the fake accepts (without the "Bot " prefix).
func WithToken(token string) Option { return func(s *Server) { s.token = token } }

// WithoutPrivilegedIntents makes the gateway refuse, as Discord does with
// close code 4014, an IDENTIFY asking for the Message Content, Guild
// Members or Presence intents, as when they are not enabled in the
// Developer Portal.
func WithoutPrivilegedIntents() Option { return func(s *Server) { s.noPrivileged = true } }

// WithApplicationID sets the application ID announced in READY; the bot
// user has the same ID, as it does on Discord.
func WithApplicationID(id string) Option { return func(s *Server) { s.appID = id } }

// Violation is something the bot did that Discord would refuse or that a
// user would see as a failure.
type Violation struct {
	Method string
	Path   string
	Code   int    // Discord's JSON error code; 0 for what Discord accepts but we forbid
	Reason string // e.g. "application did not respond", "Invalid Form Body: embeds.0.description: …"
}

// String formats the violation for test failures.
func (v Violation) String() string {
	return fmt.Sprintf("%s %s: %d %s", v.Method, v.Path, v.Code, v.Reason)
}

// CommandsRegistration is one registration of application commands.
type CommandsRegistration struct {
	Method   string
	GuildID  string // "" for global commands
	Commands []json.RawMessage
}

// Server is the fake Discord. Create it with NewServer; it closes itself
// when the test ends.
type Server struct {
	// URL is the REST base: a bot sends https://discord.com/api/v10/x to URL+"/api/v10/x".
	URL string

	t            testing.TB
	http         *httptest.Server
	ackDeadline  time.Duration
	heartbeat    time.Duration
	token        string
	appID        string
	noPrivileged bool

	mu            sync.Mutex
	changed       chan struct{} // closed and replaced on every recorded change
	nextID        int64
	messages      []*Message
	interactions  map[string]*Interaction // by token
	violations    []Violation
	registrations []CommandsRegistration
	gateway       *gatewayConn
	identified    int
	resumed       int
	intents       int
	closed        bool
	conns         sync.WaitGroup
}

// NewServer starts a fake Discord that stops when the test ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		t:            t,
		ackDeadline:  DefaultAckDeadline,
		heartbeat:    DefaultHeartbeatInterval,
		token:        DefaultToken,
		appID:        DefaultApplicationID,
		changed:      make(chan struct{}),
		nextID:       1200000000000000000,
		interactions: map[string]*Interaction{},
	}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	s.routes(mux)
	s.http = httptest.NewServer(stripAPIVersion(mux))
	s.URL = s.http.URL
	t.Cleanup(s.close)
	return s
}

// ApplicationID is the application (and bot user) ID announced in READY.
func (s *Server) ApplicationID() string { return s.appID }

// Token is the bot token the fake accepts.
func (s *Server) Token() string { return s.token }

// GatewayURL is the ws:// URL returned by GET /gateway and /gateway/bot.
func (s *Server) GatewayURL() string { return "ws" + strings.TrimPrefix(s.URL, "http") + "/ws" }

func (s *Server) close() {
	s.mu.Lock()
	s.closed = true
	gc := s.gateway
	for _, ix := range s.interactions {
		if ix.timer != nil {
			ix.timer.Stop()
		}
	}
	s.mu.Unlock()
	if gc != nil {
		gc.close()
	}
	s.http.Close()
	s.conns.Wait()
}

var apiVersion = regexp.MustCompile(`^/api(/v\d+)?`)

// stripAPIVersion serves /api/v10/x (and /api/x) as /x.
func stripAPIVersion(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/ws") {
			r.URL.Path = apiVersion.ReplaceAllString(r.URL.Path, "")
			r.URL.RawPath = ""
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /ws", s.serveGateway)
	mux.HandleFunc("GET /ws/{$}", s.serveGateway)
	mux.HandleFunc("GET /gateway", s.getGatewayBot)
	mux.HandleFunc("GET /gateway/bot", s.authed(s.getGatewayBot))
	mux.HandleFunc("GET /users/@me", s.authed(s.getMe))
	mux.HandleFunc("PUT /applications/{app}/commands", s.authed(s.putCommands))
	mux.HandleFunc("PUT /applications/{app}/guilds/{guild}/commands", s.authed(s.putCommands))
	mux.HandleFunc("POST /applications/{app}/commands", s.authed(s.putCommands))
	mux.HandleFunc("POST /applications/{app}/guilds/{guild}/commands", s.authed(s.putCommands))
	mux.HandleFunc("POST /interactions/{id}/{token}/callback", s.postCallback)
	mux.HandleFunc("GET /webhooks/{app}/{token}/messages/{mid}", s.getWebhookMessage)
	mux.HandleFunc("PATCH /webhooks/{app}/{token}/messages/{mid}", s.patchWebhookMessage)
	mux.HandleFunc("DELETE /webhooks/{app}/{token}/messages/{mid}", s.deleteWebhookMessage)
	mux.HandleFunc("POST /webhooks/{app}/{token}", s.postFollowup)
	mux.HandleFunc("POST /channels/{channel}/messages", s.authed(s.postChannelMessage))
	mux.HandleFunc("GET /channels/{channel}/messages", s.authed(s.getChannelMessages))
	mux.HandleFunc("POST /channels/{channel}/typing", s.authed(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, 0, "404: Not Found", nil)
	})
}

// authed refuses requests without the bot's token, as Discord does.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bot "+s.token {
			s.fail(w, r, http.StatusUnauthorized, 0, "401: Unauthorized", nil)
			return
		}
		h(w, r)
	}
}

// fail answers with Discord's error JSON and records a violation.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status, code int, msg string, errs []fieldError) {
	reason := msg
	for _, e := range errs {
		reason += "; " + strings.Join(e.path, ".") + ": " + e.msg
	}
	s.violate(Violation{Method: r.Method, Path: r.URL.Path, Code: code, Reason: reason})
	body := map[string]any{"message": msg, "code": code}
	if errs != nil {
		body["errors"] = formBody(errs)
	}
	writeJSON(w, status, body)
}

func (s *Server) violate(v Violation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = append(s.violations, v)
	s.changedLocked()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// changedLocked wakes every waiter. s.mu must be held.
func (s *Server) changedLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) newIDLocked() string {
	s.nextID++
	return strconv.FormatInt(s.nextID, 10)
}

func (s *Server) botUser() User {
	return User{ID: s.appID, Username: "Veille", Discriminator: "0", Bot: true}
}

func (s *Server) getGatewayBot(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"url":    s.GatewayURL(),
		"shards": 1,
		"session_start_limit": map[string]int{
			"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1,
		},
	})
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.botUser())
}

func (s *Server) putCommands(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("app") != s.appID {
		s.fail(w, r, http.StatusNotFound, 10002, "Unknown Application", nil)
		return
	}
	var cmds []json.RawMessage
	if r.Method == http.MethodPost {
		var one json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&one); err != nil {
			s.fail(w, r, http.StatusBadRequest, 50109, "The request body contains invalid JSON.", nil)
			return
		}
		cmds = []json.RawMessage{one}
	} else if err := json.NewDecoder(r.Body).Decode(&cmds); err != nil {
		s.fail(w, r, http.StatusBadRequest, 50109, "The request body contains invalid JSON.", nil)
		return
	}
	s.mu.Lock()
	s.registrations = append(s.registrations, CommandsRegistration{Method: r.Method, GuildID: r.PathValue("guild"), Commands: cmds})
	out := make([]map[string]any, 0, len(cmds))
	for _, c := range cmds {
		var m map[string]any
		_ = json.Unmarshal(c, &m)
		m["id"] = s.newIDLocked()
		m["application_id"] = s.appID
		if g := r.PathValue("guild"); g != "" {
			m["guild_id"] = g
		}
		out = append(out, m)
	}
	s.changedLocked()
	s.mu.Unlock()
	if r.Method == http.MethodPost {
		writeJSON(w, http.StatusCreated, out[0])
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// Registrations lists the command registrations received, oldest first.
func (s *Server) Registrations() []CommandsRegistration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]CommandsRegistration(nil), s.registrations...)
}

// Violations lists what the bot did wrong, oldest first.
func (s *Server) Violations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Violation(nil), s.violations...)
}

// Messages lists copies of every message recorded, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messagesLocked(func(*Message) bool { return true })
}

func (s *Server) messagesLocked(keep func(*Message) bool) []Message {
	var out []Message
	for _, m := range s.messages {
		if keep(m) {
			c := *m
			c.Embeds = append([]Embed(nil), m.Embeds...)
			c.Components = append([]Component(nil), m.Components...)
			out = append(out, c)
		}
	}
	return out
}

// Message returns the recorded message with this ID.
func (s *Server) Message(id string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.messagesLocked(func(m *Message) bool { return m.ID == id }) {
		return m, true
	}
	return Message{}, false
}

// WaitMessages waits until ok holds for the messages recorded so far (all
// kinds, oldest first) and returns them; it fails the test after timeout.
func (s *Server) WaitMessages(t testing.TB, timeout time.Duration, ok func([]Message) bool) []Message {
	t.Helper()
	return wait(t, s, timeout, "messages",
		func() []Message { return s.messagesLocked(func(*Message) bool { return true }) }, ok)
}

// wait takes a snapshot under s.mu each time the server records a
// change, and returns it once ok (called without the lock, so it may use
// the Server's methods) accepts it.
func wait[T any](t testing.TB, s *Server, timeout time.Duration, what string, snap func() T, ok func(T) bool) T {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		v := snap()
		ch := s.changed
		s.mu.Unlock()
		if ok(v) {
			return v
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("discordtest: timed out after %v waiting for %s; got %+v; violations: %v", timeout, what, v, s.Violations())
			return v
		}
	}
}

// WaitViolation waits for a violation whose reason contains reason.
func (s *Server) WaitViolation(t testing.TB, timeout time.Duration, reason string) Violation {
	t.Helper()
	vs := wait(t, s, timeout, "violation "+reason,
		func() []Violation { return append([]Violation(nil), s.violations...) },
		func(vs []Violation) bool {
			for _, v := range vs {
				if strings.Contains(v.Reason, reason) {
					return true
				}
			}
			return false
		})
	for _, v := range vs {
		if strings.Contains(v.Reason, reason) {
			return v
		}
	}
	return Violation{}
}

// readMessageBody decodes and validates a message body, answering 400 and
// returning false when Discord would refuse it. merged is the message as it
// would stand after the request.
func (s *Server) checkMessage(w http.ResponseWriter, r *http.Request, merged Message) bool {
	if errs := validateMessage(merged); len(errs) > 0 {
		s.fail(w, r, http.StatusBadRequest, 50035, "Invalid Form Body", errs)
		return false
	}
	if merged.empty() {
		s.fail(w, r, http.StatusBadRequest, 50006, "Cannot send an empty message", nil)
		return false
	}
	if !merged.MentionsDisabled() {
		// Discord accepts it, but then article text could ping people.
		s.violate(Violation{Method: r.Method, Path: r.URL.Path,
			Reason: "allowed_mentions.parse is not empty (or allowed_mentions is missing)"})
	}
	return true
}

func decodeBody(r *http.Request) (messageBody, error) {
	var b messageBody
	err := json.NewDecoder(r.Body).Decode(&b)
	return b, err
}

func (s *Server) postChannelMessage(w http.ResponseWriter, r *http.Request) {
	b, err := decodeBody(r)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, 50109, "The request body contains invalid JSON.", nil)
		return
	}
	m := Message{ChannelID: r.PathValue("channel"), Author: s.botUser(), Kind: KindChannel, Flags: b.Flags}
	b.apply(&m)
	if m.Reference != nil {
		if _, ok := s.Message(m.Reference.MessageID); !ok {
			s.fail(w, r, http.StatusBadRequest, 50035, "Invalid Form Body", []fieldError{{
				path: []string{"message_reference"}, code: "REPLIES_UNKNOWN_MESSAGE", msg: "Unknown message"}})
			return
		}
	}
	if !s.checkMessage(w, r, m) {
		return
	}
	writeJSON(w, http.StatusOK, s.record(m))
}

// record stores m with a new ID and timestamp and returns the stored copy.
func (s *Server) record(m Message) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recordLocked(m)
}

func (s *Server) recordLocked(m Message) Message {
	m.ID = s.newIDLocked()
	m.Timestamp = time.Now().UTC().Format(time.RFC3339Nano)
	if m.Embeds == nil {
		m.Embeds = []Embed{}
	}
	if m.Components == nil {
		m.Components = []Component{}
	}
	if m.Mentions == nil {
		m.Mentions = []User{}
	}
	s.messages = append(s.messages, &m)
	s.changedLocked()
	return m
}

// WaitRegistrations waits until the bot has registered its commands.
func (s *Server) WaitRegistrations(t testing.TB, timeout time.Duration) []CommandsRegistration {
	t.Helper()
	return wait(t, s, timeout, "command registration",
		func() []CommandsRegistration { return append([]CommandsRegistration(nil), s.registrations...) },
		func(rs []CommandsRegistration) bool { return len(rs) > 0 })
}

// getChannelMessages lists a channel's messages, newest first, up to limit
// (default 50, at most 100). before, after and around are not supported.
func (s *Server) getChannelMessages(w http.ResponseWriter, r *http.Request) {
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			s.fail(w, r, http.StatusBadRequest, 50035, "Invalid Form Body", []fieldError{{path: []string{"limit"},
				code: "NUMBER_TYPE_MAX", msg: "int value should be between 1 and 100."}})
			return
		}
		limit = n
	}
	ch := r.PathValue("channel")
	s.mu.Lock()
	ms := s.messagesLocked(func(m *Message) bool {
		return m.ChannelID == ch && !m.Deleted && (m.Kind == KindChannel || m.Kind == KindUser)
	})
	s.mu.Unlock()
	out := make([]Message, 0, limit)
	for i := len(ms) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, ms[i])
	}
	writeJSON(w, http.StatusOK, out)
}
