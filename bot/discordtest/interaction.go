package discordtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// Interaction callback types.
const (
	CallbackMessage         = 4 // CHANNEL_MESSAGE_WITH_SOURCE
	CallbackDeferredMessage = 5 // DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
	CallbackDeferredUpdate  = 6 // DEFERRED_UPDATE_MESSAGE
	CallbackUpdateMessage   = 7 // UPDATE_MESSAGE
	CallbackAutocomplete    = 8 // APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
)

// MaxChoices is how many autocomplete choices Discord accepts.
const MaxChoices = 25

// Choice is one autocomplete suggestion.
type Choice struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// Interaction is one interaction dispatched to the bot.
type Interaction struct {
	ID    string
	Token string

	s          *Server
	channelID  string
	guildID    string
	dispatched time.Time
	timer      *time.Timer
	// Guarded by s.mu.
	callbackType int
	callbackAt   time.Time
	originalID   string
	componentMsg string // message a component interaction came from
	choices      []Choice
}

// Callback is how the bot acknowledged an interaction.
type Callback struct {
	Type    int
	Elapsed time.Duration // from dispatch to the callback
}

// Command is a slash command invocation to dispatch.
type Command struct {
	Name      string
	Options   []CommandOption
	UserID    string // default "100000000000000001"
	GuildID   string // default "300000000000000001"; "-" for a DM
	ChannelID string // default "400000000000000001"
	Locale    string // default "en-US"
	// Permissions is the member's permission bit set (default: none).
	Permissions int64
	// Focused names the option being typed: set, the interaction is an
	// autocomplete request (type 4) instead of an invocation.
	Focused string
}

// CommandOption is one option of a slash command; its type is inferred
// from Value: string → 3, int → 4, bool → 5, float64 → 10.
type CommandOption struct {
	Name  string
	Value any
}

// Click is a button press on a message the bot sent.
type Click struct {
	MessageID string
	CustomID  string
	UserID    string
	GuildID   string
	ChannelID string
	Locale    string
}

func defaults(user, guild, channel, locale string) (string, string, string, string) {
	if user == "" {
		user = "100000000000000001"
	}
	if guild == "" {
		guild = "300000000000000001"
	} else if guild == "-" {
		guild = ""
	}
	if channel == "" {
		channel = "400000000000000001"
	}
	if locale == "" {
		locale = "en-US"
	}
	return user, guild, channel, locale
}

func optionType(v any) int {
	switch v.(type) {
	case string:
		return 3
	case int, int64:
		return 4
	case bool:
		return 5
	default:
		return 10
	}
}

// SendCommand dispatches INTERACTION_CREATE for a slash command.
func (s *Server) SendCommand(t testing.TB, c Command) *Interaction {
	t.Helper()
	opts := make([]map[string]any, 0, len(c.Options))
	for _, o := range c.Options {
		opt := map[string]any{"name": o.Name, "type": optionType(o.Value), "value": o.Value}
		if o.Name == c.Focused {
			opt["focused"] = true
		}
		opts = append(opts, opt)
	}
	user, guild, channel, locale := defaults(c.UserID, c.GuildID, c.ChannelID, c.Locale)
	typ := 2
	if c.Focused != "" {
		typ = 4
	}
	raw := map[string]any{
		"type": typ,
		"data": map[string]any{"id": "500000000000000001", "name": c.Name, "type": 1, "options": opts},
	}
	s.addInvoker(raw, user, guild, channel, locale, c.Permissions)
	return s.dispatchInteraction(t, raw, "")
}

// ClickButton dispatches INTERACTION_CREATE for a button press.
func (s *Server) ClickButton(t testing.TB, c Click) *Interaction {
	t.Helper()
	m, ok := s.Message(c.MessageID)
	if !ok {
		t.Fatalf("discordtest: click on unknown message %s", c.MessageID)
	}
	user, guild, channel, locale := defaults(c.UserID, c.GuildID, c.ChannelID, c.Locale)
	raw := map[string]any{
		"type":    3,
		"data":    map[string]any{"custom_id": c.CustomID, "component_type": 2},
		"message": m,
	}
	s.addInvoker(raw, user, guild, channel, locale, 0)
	return s.dispatchInteraction(t, raw, m.ID)
}

// SendInteraction dispatches a recorded INTERACTION_CREATE payload; the
// fake replaces its id, token and application_id with its own.
func (s *Server) SendInteraction(t testing.TB, payload []byte) *Interaction {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(payload, &raw); err != nil {
		t.Fatalf("discordtest: interaction payload: %v", err)
	}
	return s.dispatchInteraction(t, raw, "")
}

func (s *Server) addInvoker(raw map[string]any, user, guild, channel, locale string, perms int64) {
	u := map[string]any{"id": user, "username": "user" + user[len(user)-4:], "discriminator": "0", "global_name": nil}
	if guild != "" {
		raw["guild_id"] = guild
		raw["guild_locale"] = "en-US"
		raw["member"] = map[string]any{"user": u, "roles": []string{}, "permissions": fmt.Sprint(perms),
			"joined_at": "2024-01-01T00:00:00+00:00", "deaf": false, "mute": false}
	} else {
		raw["user"] = u
	}
	raw["channel_id"] = channel
	raw["locale"] = locale
	raw["app_permissions"] = "2147483647"
}

func (s *Server) dispatchInteraction(t testing.TB, raw map[string]any, fromMessage string) *Interaction {
	t.Helper()
	s.mu.Lock()
	ix := &Interaction{s: s, ID: s.newIDLocked(), componentMsg: fromMessage}
	ix.channelID, _ = raw["channel_id"].(string)
	ix.guildID, _ = raw["guild_id"].(string)
	ix.Token = "itoken-" + ix.ID
	raw["id"] = ix.ID
	raw["token"] = ix.Token
	raw["application_id"] = s.appID
	raw["version"] = 1
	s.interactions[ix.Token] = ix
	s.mu.Unlock()

	s.dispatch(t, "INTERACTION_CREATE", raw, func() {
		// Called under s.mu just before the event goes on the wire.
		ix.dispatched = time.Now()
		ix.timer = time.AfterFunc(s.ackDeadline, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if ix.callbackType == 0 && !s.closed {
				s.violations = append(s.violations, Violation{Method: "-", Path: "/interactions/" + ix.ID,
					Code: 10062, Reason: "application did not respond"})
				s.changedLocked()
			}
		})
	})
	return ix
}

// WaitCallback waits for the bot to acknowledge the interaction.
func (ix *Interaction) WaitCallback(t testing.TB, timeout time.Duration) Callback {
	t.Helper()
	return wait(t, ix.s, timeout, "callback of interaction "+ix.ID,
		func() Callback { return Callback{Type: ix.callbackType, Elapsed: ix.callbackAt.Sub(ix.dispatched)} },
		func(c Callback) bool { return c.Type != 0 })
}

// Choices waits for an autocomplete result and returns its choices.
func (ix *Interaction) Choices(t testing.TB, timeout time.Duration) []Choice {
	t.Helper()
	if cb := ix.WaitCallback(t, timeout); cb.Type != CallbackAutocomplete {
		t.Fatalf("discordtest: interaction %s answered with callback type %d, want %d", ix.ID, cb.Type, CallbackAutocomplete)
	}
	ix.s.mu.Lock()
	defer ix.s.mu.Unlock()
	return append([]Choice(nil), ix.choices...)
}

// Messages lists the interaction's response and follow-ups, oldest first.
func (ix *Interaction) Messages() []Message {
	ix.s.mu.Lock()
	defer ix.s.mu.Unlock()
	return ix.messagesLocked()
}

func (ix *Interaction) messagesLocked() []Message {
	return ix.s.messagesLocked(func(m *Message) bool { return m.InteractionID == ix.ID })
}

// Wait waits until ok holds for the interaction's messages and returns them.
func (ix *Interaction) Wait(t testing.TB, timeout time.Duration, ok func([]Message) bool) []Message {
	t.Helper()
	return wait(t, ix.s, timeout, "messages of interaction "+ix.ID, ix.messagesLocked, ok)
}

// WaitReply waits until the interaction has a visible reply — an
// immediate message, an edited deferred response, or a follow-up — or was
// acknowledged without one (button clicks), and returns its messages.
func (ix *Interaction) WaitReply(t testing.TB, timeout time.Duration) []Message {
	t.Helper()
	type state struct {
		callback int
		messages []Message
	}
	st := wait(t, ix.s, timeout, "reply to interaction "+ix.ID,
		func() state { return state{ix.callbackType, ix.messagesLocked()} },
		func(st state) bool {
			switch st.callback {
			case 0:
				return false
			case CallbackDeferredUpdate, CallbackUpdateMessage:
				return true
			}
			for _, m := range st.messages {
				if m.Kind == KindFollowup || (m.Kind == KindOriginal && !m.Loading() && !m.Deleted) {
					return true
				}
			}
			return false
		})
	return st.messages
}

// callbackBody is an interaction callback request.
type callbackBody struct {
	Type    int
	Data    messageBody
	Choices []Choice // of an autocomplete callback
}

func decodeCallback(r *http.Request) (callbackBody, error) {
	var raw struct {
		Type int             `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		return callbackBody{}, err
	}
	body := callbackBody{Type: raw.Type}
	if len(raw.Data) == 0 || string(raw.Data) == "null" {
		return body, nil
	}
	if err := json.Unmarshal(raw.Data, &body.Data); err != nil {
		return callbackBody{}, err
	}
	var choices struct {
		Choices []Choice `json:"choices"`
	}
	if err := json.Unmarshal(raw.Data, &choices); err != nil {
		return callbackBody{}, err
	}
	body.Choices = choices.Choices
	return body, nil
}

func (s *Server) postCallback(w http.ResponseWriter, r *http.Request) {
	body, err := decodeCallback(r)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, 50109, "The request body contains invalid JSON.", nil)
		return
	}
	ix, ok := s.unacknowledged(w, r)
	if !ok {
		return
	}
	m, ok := s.callbackMessage(w, r, ix, body)
	if !ok {
		return
	}
	s.acknowledge(w, r, ix, body.Type, m)
}

// unacknowledged returns the interaction a callback is for, answering as
// Discord does when it is unknown, acknowledged already or too late.
func (s *Server) unacknowledged(w http.ResponseWriter, r *http.Request) (*Interaction, bool) {
	s.mu.Lock()
	ix, ok := s.interactions[r.PathValue("token")]
	if !ok || ix.ID != r.PathValue("id") {
		s.mu.Unlock()
		s.fail(w, r, http.StatusNotFound, 10062, "Unknown interaction", nil)
		return nil, false
	}
	if ix.callbackType != 0 {
		s.mu.Unlock()
		s.fail(w, r, http.StatusBadRequest, 40060, "Interaction has already been acknowledged.", nil)
		return nil, false
	}
	if late := time.Since(ix.dispatched); late > s.ackDeadline {
		s.mu.Unlock()
		// The timer has recorded "application did not respond" already.
		s.fail(w, r, http.StatusNotFound, 10062, fmt.Sprintf("Unknown interaction (acknowledged after %v)", late), nil)
		return nil, false
	}
	s.mu.Unlock()
	return ix, true
}

// callbackMessage checks and applies a callback of each type: the original
// message it creates (nil for none), or false once it has answered an error.
func (s *Server) callbackMessage(w http.ResponseWriter, r *http.Request, ix *Interaction, body callbackBody) (*Message, bool) {
	switch body.Type {
	case CallbackMessage:
		m := &Message{Kind: KindOriginal, Flags: body.Data.Flags}
		body.Data.apply(m)
		return m, s.checkMessage(w, r, *m)
	case CallbackDeferredMessage:
		return &Message{Kind: KindOriginal, Flags: body.Data.Flags | flagLoading, AllowedMentions: &AllowedMentions{}}, true
	case CallbackDeferredUpdate:
		return nil, true
	case CallbackAutocomplete:
		return nil, s.autocomplete(w, r, ix, body.Choices)
	case CallbackUpdateMessage:
		return nil, s.updateMessage(w, r, ix, body.Data)
	}
	s.fail(w, r, http.StatusBadRequest, 50035, "Invalid Form Body", []fieldError{{path: []string{"type"}, code: "BASE_TYPE_CHOICES", msg: fmt.Sprintf("Value %d is not a valid interaction callback type.", body.Type)}})
	return nil, false
}

func (s *Server) autocomplete(w http.ResponseWriter, r *http.Request, ix *Interaction, choices []Choice) bool {
	var errs []fieldError
	if len(choices) > MaxChoices {
		errs = append(errs, fieldError{path: []string{"data", "choices"}, code: "BASE_TYPE_MAX_LENGTH", msg: fmt.Sprintf("Must be %d or fewer in length.", MaxChoices)})
	}
	for i, c := range choices {
		if n := len([]rune(c.Name)); n < 1 || n > 100 {
			errs = append(errs, fieldError{path: []string{"data", "choices", fmt.Sprint(i), "name"}, code: "BASE_TYPE_BAD_LENGTH", msg: "Must be between 1 and 100 in length."})
		}
	}
	if len(errs) > 0 {
		s.fail(w, r, http.StatusBadRequest, 50035, "Invalid Form Body", errs)
		return false
	}
	s.mu.Lock()
	ix.choices = choices
	s.mu.Unlock()
	return true
}

func (s *Server) updateMessage(w http.ResponseWriter, r *http.Request, ix *Interaction, data messageBody) bool {
	orig, ok := s.Message(ix.componentMsg)
	if !ok {
		s.fail(w, r, http.StatusBadRequest, 50035, "Invalid Form Body", []fieldError{{path: []string{"type"}, code: "INTERACTION_TYPE_INVALID", msg: "Update message needs a component interaction"}})
		return false
	}
	data.apply(&orig)
	if !s.checkMessage(w, r, orig) {
		return false
	}
	s.mu.Lock()
	for _, sm := range s.messages {
		if sm.ID == orig.ID {
			*sm = orig
			sm.Edits++
		}
	}
	s.mu.Unlock()
	return true
}

// acknowledge records the callback of type typ, and m as the original
// message when there is one, unless a concurrent callback won.
func (s *Server) acknowledge(w http.ResponseWriter, r *http.Request, ix *Interaction, typ int, m *Message) {
	s.mu.Lock()
	if ix.callbackType != 0 { // a concurrent callback won
		s.mu.Unlock()
		s.fail(w, r, http.StatusBadRequest, 40060, "Interaction has already been acknowledged.", nil)
		return
	}
	ix.callbackType = typ
	ix.callbackAt = time.Now()
	if ix.timer != nil {
		ix.timer.Stop()
	}
	if m != nil {
		m.InteractionID = ix.ID
		m.ChannelID, m.GuildID = ix.channelID, ix.guildID
		m.Author = s.botUser()
		stored := s.recordLocked(*m)
		ix.originalID = stored.ID
	}
	s.changedLocked()
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// webhookInteraction finds the acknowledged interaction a webhook request
// is for, answering 404 as Discord does when there is none.
func (s *Server) webhookInteraction(w http.ResponseWriter, r *http.Request) (*Interaction, bool) {
	s.mu.Lock()
	ix, ok := s.interactions[r.PathValue("token")]
	acked := ok && ix.callbackType != 0
	s.mu.Unlock()
	if r.PathValue("app") != s.appID || !acked {
		s.fail(w, r, http.StatusNotFound, 10015, "Unknown Webhook", nil)
		return nil, false
	}
	return ix, true
}

// webhookMessage resolves {mid} ("@original" or an ID) to a stored message.
func (s *Server) webhookMessage(w http.ResponseWriter, r *http.Request) (*Interaction, *Message, bool) {
	ix, ok := s.webhookInteraction(w, r)
	if !ok {
		return nil, nil, false
	}
	mid := r.PathValue("mid")
	s.mu.Lock()
	if mid == "@original" {
		mid = ix.originalID
	}
	var found *Message
	for _, m := range s.messages {
		if m.ID == mid && m.InteractionID == ix.ID && !m.Deleted {
			found = m
		}
	}
	s.mu.Unlock()
	if found == nil {
		s.fail(w, r, http.StatusNotFound, 10008, "Unknown Message", nil)
		return nil, nil, false
	}
	return ix, found, true
}

func (s *Server) getWebhookMessage(w http.ResponseWriter, r *http.Request) {
	_, m, ok := s.webhookMessage(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	c := *m
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) patchWebhookMessage(w http.ResponseWriter, r *http.Request) {
	_, m, ok := s.webhookMessage(w, r)
	if !ok {
		return
	}
	b, err := decodeBody(r)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, 50109, "The request body contains invalid JSON.", nil)
		return
	}
	s.mu.Lock()
	next := *m
	s.mu.Unlock()
	b.apply(&next)
	next.Flags &^= flagLoading
	if !s.checkMessage(w, r, next) {
		return
	}
	s.mu.Lock()
	next.Edits++
	*m = next
	s.changedLocked()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, next)
}

func (s *Server) deleteWebhookMessage(w http.ResponseWriter, r *http.Request) {
	_, m, ok := s.webhookMessage(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	m.Deleted = true
	s.changedLocked()
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) postFollowup(w http.ResponseWriter, r *http.Request) {
	ix, ok := s.webhookInteraction(w, r)
	if !ok {
		return
	}
	b, err := decodeBody(r)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, 50109, "The request body contains invalid JSON.", nil)
		return
	}
	m := Message{Kind: KindFollowup, InteractionID: ix.ID, ChannelID: ix.channelID, GuildID: ix.guildID,
		Author: s.botUser(), Flags: b.Flags}
	b.apply(&m)
	if !s.checkMessage(w, r, m) {
		return
	}
	stored := s.record(m)
	if r.URL.Query().Get("wait") != "true" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, stored)
}
