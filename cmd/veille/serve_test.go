package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veille/veille/bot/digest"
	"github.com/veille/veille/bot/discordtest"
)

// TestBotCommandEndToEnd runs `veille bot` as a user would, against the
// in-repo fake Discord: a fresh data directory gets the bundled articles and
// /ask is answered with a cited source, within Discord's limits.
func TestBotCommandEndToEnd(t *testing.T) {
	t.Parallel()
	srv := discordtest.NewServer(t)
	env := map[string]string{
		"VEILLE_DATA_DIR":  t.TempDir(),
		"DISCORD_TOKEN":    srv.Token(),
		"DISCORD_API_BASE": srv.URL,
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"bot"}, func(k string) string { return env[k] }, strings.NewReader(""), &bytes.Buffer{}, &stderr)
	}()
	srv.WaitReady(t, 10*time.Second)
	regs := srv.WaitRegistrations(t, 10*time.Second)
	if len(regs) == 0 {
		t.Fatal("no commands registered")
	}
	ix := srv.SendCommand(t, discordtest.Command{Name: "ask", Options: []discordtest.CommandOption{{Name: "question", Value: "Qui serait le cerveau du groupe Lapsus$ ?"}}})
	msgs := ix.WaitReply(t, 10*time.Second)
	var body strings.Builder
	for _, m := range msgs {
		body.WriteString(m.Content)
		for _, e := range m.Embeds {
			body.WriteString(e.Title + "\n" + e.Description + "\n")
			for _, f := range e.Fields {
				body.WriteString(f.Name + "\n" + f.Value + "\n")
			}
		}
	}
	got := body.String()
	for _, want := range []string{"Lapsus$", "[1]", "datanews.levif.be"} {
		if !strings.Contains(got, want) {
			t.Errorf("reply lacks %q:\n%s", want, got)
		}
	}
	if v := srv.Violations(); len(v) > 0 {
		t.Errorf("Discord limits violated: %+v", v)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("bot stopped with %v\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("bot did not stop after cancel")
	}
}

func TestBotNeedsAToken(t *testing.T) {
	t.Parallel()
	_, errs, code := veille(t, map[string]string{"VEILLE_DATA_DIR": t.TempDir()}, "bot")
	if code != 2 || !strings.Contains(errs, "DISCORD_TOKEN") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

// TestBotDigestCommandEndToEnd sets up, previews and posts a digest with
// /digest through `veille bot` and the fake Discord, without
// DIGEST_CHANNEL_ID: /digest config alone makes a digest channel.
func TestBotDigestCommandEndToEnd(t *testing.T) {
	t.Parallel()
	srv := discordtest.NewServer(t)
	dir := t.TempDir()
	env := map[string]string{"VEILLE_DATA_DIR": dir, "DISCORD_TOKEN": srv.Token(), "DISCORD_API_BASE": srv.URL}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"bot"}, func(k string) string { return env[k] }, strings.NewReader(""), &bytes.Buffer{}, &stderr)
	}()
	srv.WaitReady(t, 10*time.Second)
	srv.WaitRegistrations(t, 10*time.Second)

	reply := func(sub, options string) discordtest.Message {
		t.Helper()
		ix := srv.SendInteraction(t, []byte(fmt.Sprintf(`{"type": 2, "guild_id": "300000000000000001",
			"channel_id": "400000000000000001", "locale": "en-US",
			"data": {"id": "500000000000000009", "name": "digest", "type": 1, "options": [{"name": %q, "type": 1, "options": [%s]}]},
			"member": {"user": {"id": "100000000000000001", "username": "camille", "discriminator": "0"}, "roles": [],
				"permissions": "32", "joined_at": "2024-05-02T09:10:11+00:00", "deaf": false, "mute": false}}`, sub, options)))
		msgs := ix.WaitReply(t, 10*time.Second)
		if len(msgs) == 0 || !msgs[0].Ephemeral() {
			t.Fatalf("/digest %s: reply %+v, want an ephemeral one", sub, msgs)
		}
		return msgs[0]
	}

	got := reply("config", `{"name": "time", "type": 3, "value": "07:30"}, {"name": "timezone", "type": 3, "value": "America/New_York"}`)
	if !strings.Contains(got.Content, "Digest settings saved.") {
		t.Errorf("config reply = %q", got.Content)
	}
	st, err := digest.OpenStore(filepath.Join(dir, digestStateName))
	if err != nil {
		t.Fatal(err)
	}
	chs, err := st.Channels()
	if err != nil || len(chs) != 1 || chs[0].ChannelID != "400000000000000001" || chs[0].At != "07:30" || chs[0].Loc.String() != "America/New_York" {
		t.Errorf("stored channels = %+v, %v", chs, err)
	}

	got = reply("config", `{"name": "timezone", "type": 3, "value": "Mars/Olympus_Mons"}`)
	if !strings.Contains(got.Content, "I don't know the time zone") {
		t.Errorf("bad zone reply = %q", got.Content)
	}

	if got = reply("preview", ""); len(got.Embeds) == 0 || !strings.Contains(got.Embeds[0].Title, "Veille du ") {
		t.Errorf("preview = %q %+v", got.Content, got.Embeds)
	}
	if got = reply("now", ""); got.Content != "Digest posted in this channel." {
		t.Errorf("now reply = %q", got.Content)
	}
	var posted int
	for _, m := range srv.Messages() {
		if m.Kind == discordtest.KindChannel && m.ChannelID == "400000000000000001" {
			posted++
			if !m.MentionsDisabled() || len(m.Embeds) == 0 {
				t.Errorf("digest message %+v", m)
			}
		}
	}
	if posted == 0 {
		t.Error("/digest now posted nothing in the channel")
	}
	if v := srv.Violations(); len(v) > 0 {
		t.Errorf("Discord limits violated: %+v", v)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("bot stopped with %v\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("bot did not stop after cancel")
	}
	if st, err = digest.OpenStore(filepath.Join(dir, digestStateName)); err != nil || st.Last("400000000000000001").At.IsZero() {
		t.Errorf("/digest now not recorded as the channel's last run (err %v)", err)
	}
}

func TestDigestControl(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := digest.OpenStore(filepath.Join(dir, digestStateName))
	if err != nil {
		t.Fatal(err)
	}
	dc := &digestControl{store: st, envChannel: "400000000000000009", def: digest.Settings{At: "08:00", Loc: paris, Lang: "fr"}}
	dc.sched, err = digest.NewScheduler(digest.SchedulerConfig{Store: st, Channels: func() []digest.Settings { return nil },
		Items: func(context.Context, time.Time) ([]digest.Item, error) { return nil, nil },
		Post:  func(context.Context, string, digest.Digest) error { return errors.New("no posting here") }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	tests := []struct {
		name, channel string
		wantAt        string
		wantActive    bool
	}{
		{"environment channel", "400000000000000009", "08:00", true},
		{"other channel", "400000000000000001", "08:00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, active := dc.Settings(ctx, tt.channel)
			if set.ChannelID != tt.channel || set.At != tt.wantAt || set.Loc != paris || set.Lang != "fr" || active != tt.wantActive {
				t.Errorf("Settings(%s) = %+v, %v", tt.channel, set, active)
			}
		})
	}

	if err := dc.Configure(ctx, digest.Settings{ChannelID: "400000000000000001", At: "25:00"}); !errors.Is(err, digest.ErrInvalidSettings) {
		t.Errorf("Configure(25:00) = %v, want ErrInvalidSettings", err)
	}
	if _, active := dc.Settings(ctx, "400000000000000001"); active {
		t.Error("invalid settings were stored")
	}
	ny, _ := time.LoadLocation("America/New_York")
	if err := dc.Configure(ctx, digest.Settings{ChannelID: "400000000000000001", At: "07:30", Loc: ny, Lang: "en"}); err != nil {
		t.Fatal(err)
	}
	if set, active := dc.Settings(ctx, "400000000000000001"); !active || set.At != "07:30" || set.Loc.String() != "America/New_York" {
		t.Errorf("after Configure: %+v, %v", set, active)
	}
	if _, err := os.Stat(filepath.Join(dir, digestStateName)); err != nil {
		t.Errorf("state file not written: %v", err)
	}
	for _, ch := range []string{"400000000000000001", "400000000000000009"} {
		if err := dc.Unconfigure(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	if _, active := dc.Settings(ctx, "400000000000000001"); active {
		t.Error("configured channel still active after Unconfigure")
	}
	if _, active := dc.Settings(ctx, "400000000000000009"); !active {
		t.Error("DIGEST_CHANNEL_ID lost its default digest")
	}
}
