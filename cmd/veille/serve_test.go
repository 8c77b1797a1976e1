package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

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
