package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/veille/veille/bot"
	"github.com/veille/veille/bot/discordtest"
)

// fakeFeeds is an in-memory FeedControl: every URL is a feed of three
// articles, except those under http://10.0.0.1, which are private.
type fakeFeeds struct {
	mu    sync.Mutex
	added []string
	calls []string
}

var _ bot.FeedControl = (*fakeFeeds)(nil)

func (f *fakeFeeds) Add(_ context.Context, _, u, by string) (bot.SourceAdded, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "Add("+u+")")
	if strings.HasPrefix(u, "http://10.0.0.1") {
		return bot.SourceAdded{}, fmt.Errorf("%w: 10.0.0.1", bot.ErrPrivateURL)
	}
	f.added = append(f.added, u)
	return bot.SourceAdded{URL: u, Title: "Feed @everyone", Added: 3}, nil
}

func (f *fakeFeeds) Remove(_ context.Context, _, u string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "Remove("+u+")")
	n := len(f.added)
	f.added = slices.DeleteFunc(f.added, func(s string) bool { return s == u })
	return len(f.added) < n, nil
}

func (f *fakeFeeds) Health(context.Context, string) ([]bot.FeedHealth, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	hs := []bot.FeedHealth{{URL: "https://example.org/rss", Failures: 7, LastError: "http status 500 Internal Server Error",
		NextAttempt: time.Now().Add(time.Hour)}}
	// Many long feeds: the health must still fit one message.
	for i := range 60 {
		hs = append(hs, bot.FeedHealth{URL: fmt.Sprintf("https://feeds.example.org/%s/%d", strings.Repeat("x", 150), i),
			UserAdded: true, LastSuccess: time.Now(), Failures: i % 2, LastError: strings.Repeat("timeout ", 40)})
	}
	for _, u := range f.added {
		hs = append(hs, bot.FeedHealth{URL: u, UserAdded: true, LastSuccess: time.Now()})
	}
	return hs, nil
}

func (f *fakeFeeds) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// feedsPayload is an INTERACTION_CREATE for /feeds <sub> url:<u> by a
// member with perms.
func feedsPayload(sub, u string, perms int64) []byte {
	return fmt.Appendf(nil, `{"type": 2, "guild_id": "300000000000000001", "channel_id": "400000000000000001", "locale": "en-US",
		"data": {"id": "500000000000000011", "name": "feeds", "type": 1, "options": [{"name": %q, "type": 1,
			"options": [{"name": "url", "type": 3, "value": %q}]}]},
		"member": {"user": {"id": "100000000000000001", "username": "camille", "discriminator": "0"}, "roles": [],
			"permissions": "%d", "joined_at": "2024-05-02T09:10:11+00:00", "deaf": false, "mute": false}}`, sub, u, perms)
}

func TestFeedsCommand(t *testing.T) {
	t.Parallel()
	ff := &fakeFeeds{}
	h := start(t, &fakePipeline{}, 0, func(c *bot.Config) { c.Feeds = ff })

	regs := h.srv.Registrations()
	var def *discordgo.ApplicationCommand
	for _, raw := range regs[len(regs)-1].Commands {
		var c discordgo.ApplicationCommand
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		if c.Name == "feeds" {
			def = &c
		}
	}
	if def == nil {
		t.Fatal("/feeds not registered")
	}
	if def.DefaultMemberPermissions == nil || *def.DefaultMemberPermissions != discordgo.PermissionManageGuild {
		t.Errorf("default_member_permissions = %v, want Manage Server", def.DefaultMemberPermissions)
	}

	tests := []struct {
		name    string
		payload []byte
		want    string
	}{
		{"add", feedsPayload("add", "https://www.cert.ssi.gouv.fr/feed/", discordgo.PermissionManageGuild),
			"Feed added: **Feed @\u200beveryone** <https://www.cert.ssi.gouv.fr/feed/>. Indexed now: 3 new articles."},
		{"add private", feedsPayload("add", "http://10.0.0.1/feed", discordgo.PermissionAdministrator),
			"I can't read this address: it leads to a private or local network"},
		{"not an admin", feedsPayload("add", "https://evil.example/feed", discordgo.PermissionSendMessages),
			"This command needs the Manage Server permission."},
		{"remove", feedsPayload("remove", "https://www.cert.ssi.gouv.fr/feed/", discordgo.PermissionManageGuild),
			"The articles it brought stay indexed."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if reply := onlyReply(t, h.srv.SendInteraction(t, tt.payload)); !strings.Contains(reply.Content, tt.want) {
				t.Errorf("reply = %q, want it to contain %q", reply.Content, tt.want)
			}
		})
	}
	want := []string{"Add(https://www.cert.ssi.gouv.fr/feed/)", "Add(http://10.0.0.1/feed)", "Remove(https://www.cert.ssi.gouv.fr/feed/)"}
	if got := ff.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls = %q, want %q (a member without Manage Server must not reach the control)", got, want)
	}

	// /sources stays open to everyone and reports the failing feed first;
	// its error is for admins only.
	for _, perms := range []int64{0, discordgo.PermissionManageGuild} {
		ix := h.srv.SendCommand(t, discordtest.Command{Name: "sources", Permissions: perms})
		msgs := ix.WaitReply(t, wait)
		if len(msgs) != 1 || len(msgs[0].Embeds) != 2 {
			t.Fatalf("sources = %+v, want stats and feeds in one message", msgs)
		}
		feeds := msgs[0].Embeds[1]
		if !strings.HasPrefix(feeds.Description, "⚠️ <https://example.org/rss> — 7 failures in a row, last success never") ||
			!strings.Contains(feeds.Description, "… and ") {
			t.Errorf("feed health:\n%s", feeds.Description)
		}
		if shown := strings.Contains(feeds.Description, "http status 500"); shown != (perms != 0) {
			t.Errorf("permissions %d: error shown %v", perms, shown)
		}
	}

	// Without a FeedControl there is no /feeds and /sources has no feeds.
	plain := start(t, &fakePipeline{}, 0, nil)
	regs = plain.srv.Registrations()
	for _, raw := range regs[len(regs)-1].Commands {
		if strings.Contains(string(raw), `"name":"feeds"`) {
			t.Error("/feeds registered without Config.Feeds")
		}
	}
	if msgs := plain.srv.SendCommand(t, discordtest.Command{Name: "sources"}).WaitReply(t, wait); len(msgs[0].Embeds) != 1 {
		t.Errorf("sources without feeds: %d embeds", len(msgs[0].Embeds))
	}
	// Discord's limits are checked by the fake: see start's cleanup.
}
