package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/veille/veille/bot"
	"github.com/veille/veille/bot/digest"
	"github.com/veille/veille/bot/discordtest"
)

// fakeDigest is an in-memory DigestControl; PostNow posts a long digest
// through the bot, as the real scheduler does.
type fakeDigest struct {
	bot atomic.Pointer[bot.Bot] // set once the bot exists

	mu    sync.Mutex
	set   map[string]digest.Settings
	calls []string
}

var _ bot.DigestControl = (*fakeDigest)(nil)

func (f *fakeDigest) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeDigest) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeDigest) stored(ch string) (digest.Settings, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.set[ch]
	return s, ok
}

func (f *fakeDigest) Settings(_ context.Context, ch string) (digest.Settings, bool) {
	if s, ok := f.stored(ch); ok {
		return s, true
	}
	return digest.Settings{ChannelID: ch, At: "08:00", Lang: "fr"}, false
}

// longDigest has more stories than one message holds, and titles that
// would ping everyone if mentions were allowed.
func longDigest() digest.Digest {
	d := digest.Digest{Header: "Veille du mardi 24 novembre 2026 — 30 articles", Lang: "fr"}
	for i := range 30 {
		d.Entries = append(d.Entries, digest.Entry{Title: fmt.Sprintf("Story %d @everyone", i), URL: fmt.Sprintf("https://example.org/%d", i),
			Source: "LeMagIT", Date: published, Summary: strings.Repeat("A long summary sentence about the incident. ", 6)})
	}
	return d
}

func (f *fakeDigest) Preview(_ context.Context, ch string) (digest.Digest, error) {
	f.record("Preview(%s)", ch)
	return longDigest(), nil
}

func (f *fakeDigest) PostNow(ctx context.Context, ch string) error {
	f.record("PostNow(%s)", ch)
	return f.bot.Load().PostDigest(ctx, ch, longDigest())
}

func (f *fakeDigest) Configure(_ context.Context, s digest.Settings) error {
	f.record("Configure(%s)", s.ChannelID)
	if err := s.Validate(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.set[s.ChannelID] = s
	return nil
}

func (f *fakeDigest) Unconfigure(_ context.Context, ch string) error {
	f.record("Unconfigure(%s)", ch)
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.set, ch)
	return nil
}

// startWithDigest runs a bot serving /digest over a fakeDigest.
func startWithDigest(t *testing.T) (*harness, *fakeDigest) {
	t.Helper()
	fd := &fakeDigest{set: map[string]digest.Settings{}}
	h := start(t, &fakePipeline{}, 0, func(c *bot.Config) { c.Digest = fd })
	fd.bot.Store(h.bot)
	h.waitLog(t, "connected") // PostDigest needs the session
	return h, fd
}

// sendRecorded replays testdata/interactions/<name>.json.
func sendRecorded(t *testing.T, srv *discordtest.Server, name string) *discordtest.Interaction {
	t.Helper()
	payload, err := os.ReadFile(filepath.Join("testdata", "interactions", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return srv.SendInteraction(t, payload)
}

// onlyReply checks that an interaction got one ephemeral message without
// mentions, and returns it.
func onlyReply(t *testing.T, ix *discordtest.Interaction) discordtest.Message {
	t.Helper()
	msgs := ix.WaitReply(t, wait)
	if len(msgs) == 0 {
		t.Fatal("no reply")
	}
	for _, m := range msgs {
		if !m.Ephemeral() || !m.MentionsDisabled() {
			t.Errorf("reply %q: ephemeral %v, mentions disabled %v; want both", m.Text(), m.Ephemeral(), m.MentionsDisabled())
		}
	}
	return msgs[0]
}

func TestDigestCommandRegistered(t *testing.T) {
	t.Parallel()
	h, _ := startWithDigest(t)
	regs := h.srv.Registrations()
	var def *discordgo.ApplicationCommand
	for _, raw := range regs[len(regs)-1].Commands {
		var c discordgo.ApplicationCommand
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		if c.Name == "digest" {
			def = &c
		}
	}
	if def == nil {
		t.Fatal("/digest not registered")
	}
	if def.DefaultMemberPermissions == nil || *def.DefaultMemberPermissions != discordgo.PermissionManageGuild {
		t.Errorf("default_member_permissions = %v, want Manage Server", def.DefaultMemberPermissions)
	}
	var subs []string
	for _, o := range def.Options {
		subs = append(subs, o.Name)
	}
	if want := []string{"now", "preview", "config"}; !slices.Equal(subs, want) {
		t.Errorf("subcommands %v, want %v", subs, want)
	}

	// Without a DigestControl there is no /digest.
	plain := start(t, &fakePipeline{}, 0, nil)
	regs = plain.srv.Registrations()
	for _, raw := range regs[len(regs)-1].Commands {
		if strings.Contains(string(raw), `"name":"digest"`) {
			t.Error("/digest registered without Config.Digest")
		}
	}
}

func TestDigestPreview(t *testing.T) {
	t.Parallel()
	h, fd := startWithDigest(t)
	ix := sendRecorded(t, h.srv, "digest_preview_fr")
	h.waitLog(t, "command answered") // logged once every message is sent
	msgs := ix.Messages()
	if len(msgs) < 2 {
		t.Errorf("preview of a 30-story digest in %d message(s), want it split", len(msgs))
	}
	first := msgs[0]
	if !strings.Contains(first.Content, "Aperçu du prochain résumé") || len(first.Embeds) == 0 ||
		first.Embeds[0].Title != "Veille du mardi 24 novembre 2026 — 30 articles" {
		t.Errorf("preview = %q %+v", first.Content, first.Embeds)
	}
	for _, m := range msgs {
		if !m.Ephemeral() || !m.MentionsDisabled() {
			t.Errorf("preview message %s: ephemeral %v, mentions disabled %v; want both", m.ID, m.Ephemeral(), m.MentionsDisabled())
		}
	}
	for _, m := range h.srv.Messages() {
		if m.Kind == discordtest.KindChannel {
			t.Errorf("preview posted %q in channel %s", m.Text(), m.ChannelID)
		}
	}
	if got := fd.Calls(); !slices.Equal(got, []string{"Preview(400000000000000001)"}) {
		t.Errorf("calls = %q", got)
	}
}

func TestDigestNow(t *testing.T) {
	t.Parallel()
	h, fd := startWithDigest(t)
	reply := onlyReply(t, sendRecorded(t, h.srv, "digest_now"))
	if reply.Content != "Digest posted in this channel." {
		t.Errorf("reply = %q", reply.Content)
	}
	var posted []discordtest.Message
	for _, m := range h.srv.Messages() {
		if m.Kind == discordtest.KindChannel {
			posted = append(posted, m)
		}
	}
	if len(posted) < 2 {
		t.Fatalf("%d digest messages posted, want the 30 stories split over several", len(posted))
	}
	for _, m := range posted {
		if m.ChannelID != "400000000000000001" || m.Ephemeral() || !m.MentionsDisabled() {
			t.Errorf("digest message in %s: ephemeral %v, mentions disabled %v", m.ChannelID, m.Ephemeral(), m.MentionsDisabled())
		}
	}
	if !strings.Contains(posted[0].Text(), "Veille du mardi 24 novembre 2026") {
		t.Errorf("first digest message lacks the header:\n%s", posted[0].Text())
	}
	if got := fd.Calls(); !slices.Equal(got, []string{"PostNow(400000000000000001)"}) {
		t.Errorf("calls = %q", got)
	}
	// Discord's limits are checked by the fake: see start's cleanup.
}

func TestDigestConfig(t *testing.T) {
	t.Parallel()
	h, fd := startWithDigest(t)
	const channel = "400000000000000001"

	reply := onlyReply(t, sendRecorded(t, h.srv, "digest_config_bad_zone_fr"))
	if !strings.Contains(reply.Content, "Je ne connais pas le fuseau horaire « Europe/Lutece »") {
		t.Errorf("bad zone reply = %q, want a polite French refusal", reply.Content)
	}
	if _, ok := fd.stored(channel); ok || len(fd.Calls()) != 0 {
		t.Errorf("bad zone stored settings: calls %q", fd.Calls())
	}

	reply = onlyReply(t, h.srv.SendInteraction(t, digestPayload(t, "config", map[string]any{"time": "07:30", "timezone": "America/New_York"}, discordgo.PermissionManageGuild)))
	if !strings.Contains(reply.Content, "Digest settings saved.") || !strings.Contains(reply.Content, "07:30 (America/New_York)") {
		t.Errorf("config reply = %q", reply.Content)
	}
	set, ok := fd.stored(channel)
	if !ok || set.At != "07:30" || set.Loc == nil || set.Loc.String() != "America/New_York" || set.Lang != "fr" {
		t.Errorf("stored %+v, %v; want 07:30 America/New_York, language unchanged", set, ok)
	}

	// A further change keeps the rest.
	onlyReply(t, sendRecorded(t, h.srv, "digest_config_new_york"))
	set, _ = fd.stored(channel)
	if set.At != "07:30" || set.Loc.String() != "America/New_York" || set.Lang != "en" || !set.PostEmpty ||
		!slices.Equal(set.Keywords, []string{"ransomware", "Log4Shell"}) || !slices.Equal(set.Sources, []string{"LeMagIT"}) {
		t.Errorf("stored %+v", set)
	}

	reply = onlyReply(t, h.srv.SendInteraction(t, digestPayload(t, "config", map[string]any{"off": true}, discordgo.PermissionAdministrator)))
	if _, ok := fd.stored(channel); ok || reply.Content != "This channel's daily digest is off." {
		t.Errorf("off: reply %q, still stored %v", reply.Content, ok)
	}
}

func TestDigestNeedsManageServer(t *testing.T) {
	t.Parallel()
	h, fd := startWithDigest(t)
	for _, tt := range []struct {
		name string
		ix   func() *discordtest.Interaction
		want string
	}{
		{"recorded member", func() *discordtest.Interaction { return sendRecorded(t, h.srv, "digest_now_not_admin_fr") },
			"Cette commande demande la permission « Gérer le serveur »."},
		{"config without permissions", func() *discordtest.Interaction {
			return h.srv.SendInteraction(t, digestPayload(t, "config", map[string]any{"off": true}, discordgo.PermissionSendMessages))
		}, "This command needs the Manage Server permission."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if reply := onlyReply(t, tt.ix()); reply.Content != tt.want {
				t.Errorf("reply = %q, want %q", reply.Content, tt.want)
			}
		})
	}
	if calls := fd.Calls(); len(calls) != 0 {
		t.Errorf("a non-admin reached the digest: %q", calls)
	}
	for _, m := range h.srv.Messages() {
		if m.Kind == discordtest.KindChannel {
			t.Errorf("posted %q", m.Text())
		}
	}
}

// digestPayload is an INTERACTION_CREATE for /digest <sub> in guild
// 300000000000000001, channel 400000000000000001, by a member with perms.
func digestPayload(t *testing.T, sub string, opts map[string]any, perms int64) []byte {
	t.Helper()
	options := []map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(opts)) {
		typ := 3
		if _, isBool := opts[name].(bool); isBool {
			typ = 5
		}
		options = append(options, map[string]any{"name": name, "type": typ, "value": opts[name]})
	}
	optJSON, err := json.Marshal(options)
	if err != nil {
		t.Fatal(err)
	}
	payload := fmt.Sprintf(`{"type": 2, "guild_id": "300000000000000001", "channel_id": "400000000000000001", "locale": "en-US",
		"data": {"id": "500000000000000009", "name": "digest", "type": 1, "options": [{"name": %q, "type": 1, "options": %s}]},
		"member": {"user": {"id": "100000000000000001", "username": "camille", "discriminator": "0"}, "roles": [],
			"permissions": "%d", "joined_at": "2024-05-02T09:10:11+00:00", "deaf": false, "mute": false}}`,
		sub, optJSON, perms)
	return []byte(payload)
}
