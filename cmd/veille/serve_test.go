package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veille/veille/bot"
	"github.com/veille/veille/bot/digest"
	"github.com/veille/veille/bot/discordtest"
	"github.com/veille/veille/bot/feedlist"
	"github.com/veille/veille/rag"
	"github.com/veille/veille/rag/article"
	"github.com/veille/veille/rag/feeds"
	"github.com/veille/veille/rag/llm/llmtest"
)

// TestBotCommandEndToEnd runs `veille bot` as a user would, against the
// in-repo fake Discord: a fresh data directory gets the bundled articles and
// /ask is answered with a cited source, within Discord's limits.
// runBot starts `veille bot` with env against the fake Discord and waits
// until its commands are registered. stop cancels it and fails the test
// unless it shuts down cleanly.
func runBot(t *testing.T, srv *discordtest.Server, env map[string]string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"bot"}, func(k string) string { return env[k] }, strings.NewReader(""), &bytes.Buffer{}, &stderr)
	}()
	srv.WaitReady(t, 10*time.Second)
	srv.WaitRegistrations(t, 10*time.Second)
	return func() {
		t.Helper()
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
}

func TestBotCommandEndToEnd(t *testing.T) {
	t.Parallel()
	srv := discordtest.NewServer(t)
	env := map[string]string{
		"VEILLE_DATA_DIR":  t.TempDir(),
		"DISCORD_TOKEN":    srv.Token(),
		"DISCORD_API_BASE": srv.URL,
	}
	stop := runBot(t, srv, env)
	regs := srv.Registrations()
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
	stop()
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
	stop := runBot(t, srv, env)

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
	stop()
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
		Items: func(context.Context, digest.Settings, time.Time) ([]digest.Item, error) { return nil, nil },
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

// feedSite serves a feed, two article pages (one advertising a feed) and
// a 404, as a news site would.
func feedSite(t *testing.T) *httptest.Server {
	t.Helper()
	page := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "..", "rag", "feeds", "testdata", "pages", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	phishing, ransom := page("phishing-campagne.html"), page("rancongiciel-hopital.html")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/feed.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			io.WriteString(w, testFeed)
		case "/hameconnage":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(phishing)
		case "/rancongiciel":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(ransom)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// testGuild is the Discord server the fake Discord sends commands from.
const testGuild = "300000000000000001"

// feedFixture is a /feeds control with what a test looks at around it.
type feedFixture struct {
	*feedlist.Control
	app     *app
	ix      *rag.Index
	fetcher *feeds.Fetcher // the members' fetcher the control was given
}

// newFeedControl returns a /feeds control over an empty index in a fresh
// data directory, with FEEDS set to operatorFeeds. Its fetcher may reach
// the loopback test servers, unless guarded: then it is the one `veille
// bot` gives it.
func newFeedControl(t *testing.T, guarded bool, operatorFeeds ...string) *feedFixture {
	t.Helper()
	cfg, err := loadConfig(func(k string) string { return map[string]string{"VEILLE_DATA_DIR": t.TempDir()}[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Feeds = operatorFeeds
	a := &app{cfg: cfg, log: slog.New(slog.DiscardHandler), stderr: io.Discard, newEmbedder: newEmbedder, httpClient: httpClient(),
		lockWait: defaultLockWait, watchEvery: defaultWatchEvery}
	opts, err := a.indexOptions()
	if err != nil {
		t.Fatal(err)
	}
	ix, err := rag.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	users := feeds.New(feeds.Config{AllowPrivate: true, HostDelay: -1})
	if guarded {
		users = a.userFetcher()
	}
	return &feedFixture{Control: a.feedControl(ix, users), app: a, ix: ix, fetcher: users}
}

func TestFeedControl(t *testing.T) {
	t.Parallel()
	site := feedSite(t)
	fc := newFeedControl(t, false, "https://operator.example/rss")
	ctx := t.Context()
	feedURL := site.URL + "/feed.xml"

	added, err := fc.Add(ctx, testGuild, feedURL, "100000000000000001")
	if err != nil || added.Page || added.Added != 1 || added.Title != "Cyber Actu" {
		t.Fatalf("Add(feed) = %+v, %v; want 1 new article from Cyber Actu", added, err)
	}
	if fc.ix.Len() != 1 {
		t.Errorf("index holds %d articles, want the feed's one at once", fc.ix.Len())
	}
	if _, err := fc.Add(ctx, testGuild, feedURL, "100000000000000001"); !errors.Is(err, bot.ErrFeedFollowed) {
		t.Errorf("Add(feed) again = %v, want ErrFeedFollowed", err)
	}
	if _, err := fc.Add(ctx, testGuild, "https://operator.example/rss", ""); !errors.Is(err, bot.ErrFeedFollowed) {
		t.Errorf("Add(FEEDS entry) = %v, want ErrFeedFollowed", err)
	}
	list, err := feedlist.Read(fc.app.userFeedsPath())
	if err != nil || len(list) != 1 || list[0].URL != feedURL || list[0].AddedBy != "100000000000000001" || list[0].AddedAt.IsZero() {
		t.Errorf("user feeds = %+v, %v", list, err)
	}
	st, err := feeds.OpenStore(filepath.Join(fc.app.cfg.DataDir, feedStateName))
	if err != nil || st.Get(feedURL).LastSuccess.IsZero() || len(st.Get(feedURL).Seen) == 0 {
		t.Errorf("feed state not saved: %+v, %v", st.Get(feedURL), err)
	}

	page, err := fc.Add(ctx, testGuild, site.URL+"/hameconnage", "")
	if err != nil || !page.Page || page.Added != 1 || page.URL != "https://www.journal-securite.example/2026/11/hameconnage-mutuelles" {
		t.Errorf("Add(page) = %+v, %v; want one article under its canonical URL", page, err)
	}
	var suggest *bot.FeedSuggestionError
	if _, err := fc.Add(ctx, testGuild, site.URL+"/rancongiciel", ""); !errors.As(err, &suggest) || !slices.Equal(suggest.Feeds, []string{site.URL + "/rss.xml"}) {
		t.Errorf("Add(page with a feed) = %v, want a suggestion of %s/rss.xml", err, site.URL)
	}
	var unreadable *bot.UnreadableSourceError
	if _, err := fc.Add(ctx, testGuild, site.URL+"/missing", ""); !errors.As(err, &unreadable) || !strings.Contains(err.Error(), "404") {
		t.Errorf("Add(404) = %v, want an UnreadableSourceError", err)
	}
	if list, _ := feedlist.Read(fc.app.userFeedsPath()); len(list) != 1 {
		t.Errorf("pages and failures were followed: %+v", list)
	}

	hs, err := fc.Health(ctx, testGuild)
	if err != nil || len(hs) != 2 || hs[0].URL != "https://operator.example/rss" || hs[0].UserAdded ||
		hs[1].URL != feedURL || !hs[1].UserAdded || hs[1].LastSuccess.IsZero() {
		t.Errorf("Health = %+v, %v", hs, err)
	}

	if _, err := fc.Remove(ctx, testGuild, "https://operator.example/rss"); !errors.Is(err, bot.ErrOperatorFeed) {
		t.Errorf("Remove(FEEDS entry) = %v, want ErrOperatorFeed", err)
	}
	if removed, err := fc.Remove(ctx, testGuild, site.URL+"/other.xml"); removed || err != nil {
		t.Errorf("Remove(unknown) = %v, %v", removed, err)
	}
	if removed, err := fc.Remove(ctx, testGuild, feedURL); !removed || err != nil {
		t.Errorf("Remove(feed) = %v, %v", removed, err)
	}
	if list, err := feedlist.Read(fc.app.userFeedsPath()); len(list) != 0 || err != nil {
		t.Errorf("after Remove, user feeds = %+v, %v", list, err)
	}
	if st, _ := feeds.OpenStore(filepath.Join(fc.app.cfg.DataDir, feedStateName)); !st.Get(feedURL).LastSuccess.IsZero() {
		t.Error("after Remove, the feed's state is still stored")
	}
	if fc.ix.Len() != 2 {
		t.Errorf("after Remove, index holds %d articles, want them kept", fc.ix.Len())
	}
}

// TestFeedControlRefusesPrivateAddresses uses the fetcher `veille bot`
// builds for members' URLs: the loopback test server is out of its reach.
func TestFeedControlRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	site := feedSite(t)
	fc := newFeedControl(t, true)
	for _, u := range []string{site.URL + "/feed.xml", site.URL + "/hameconnage", "http://localhost:1/feed", "http://[::1]/feed"} {
		if _, err := fc.Add(t.Context(), testGuild, u, ""); !errors.Is(err, bot.ErrPrivateURL) {
			t.Errorf("Add(%s) = %v, want ErrPrivateURL", u, err)
		}
	}
	if list, _ := feedlist.Read(fc.app.userFeedsPath()); len(list) != 0 || fc.ix.Len() != 0 {
		t.Errorf("a private URL was followed or indexed: %+v, %d articles", list, fc.ix.Len())
	}
}

// TestRefreshFeedsIncludesUserFeeds checks that a refresh covers FEEDS and
// the feeds added with /feeds, and that what changed since is indexed.
func TestRefreshFeedsIncludesUserFeeds(t *testing.T) {
	t.Parallel()
	var grown atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		body := testFeed
		if grown.Load() {
			body = strings.Replace(testFeed, "<item>", `<item><title>Un second article</title><link>https://cyber.example/second</link>
<guid>second</guid><description>`+strings.Repeat("Une nouvelle campagne de rançongiciel frappe les collectivités. ", 8)+`</description></item><item>`, 1)
		}
		io.WriteString(w, body)
	}))
	defer srv.Close()
	fc := newFeedControl(t, false)
	if _, err := fc.Add(t.Context(), testGuild, srv.URL+"/user.xml", ""); err != nil {
		t.Fatal(err)
	}
	grown.Store(true)
	permissive := fc.fetcher
	if _, err := fc.Refresh(t.Context(), permissive); err != nil {
		t.Fatal(err)
	}
	if fc.ix.Len() != 2 {
		t.Errorf("after a refresh, index holds %d articles, want the user feed's new one too", fc.ix.Len())
	}
	st, _ := feeds.OpenStore(filepath.Join(fc.app.cfg.DataDir, feedStateName))
	if s := st.Get(srv.URL + "/user.xml"); s.LastAttempt.IsZero() {
		t.Errorf("user feed not refreshed: %+v", s)
	}
}

// TestBotFeedsCommandEndToEnd runs `veille bot` and asks it, as an admin,
// to follow a feed on the loopback interface: members' URLs may not reach
// it, and the refusal is polite.
func TestBotFeedsCommandEndToEnd(t *testing.T) {
	t.Parallel()
	site := feedSite(t)
	srv := discordtest.NewServer(t)
	dir := t.TempDir()
	env := map[string]string{"VEILLE_DATA_DIR": dir, "DISCORD_TOKEN": srv.Token(), "DISCORD_API_BASE": srv.URL}
	stop := runBot(t, srv, env)

	ix := srv.SendInteraction(t, fmt.Appendf(nil, `{"type": 2, "guild_id": "300000000000000001",
		"channel_id": "400000000000000001", "locale": "fr",
		"data": {"id": "500000000000000011", "name": "feeds", "type": 1, "options": [{"name": "add", "type": 1,
			"options": [{"name": "url", "type": 3, "value": %q}]}]},
		"member": {"user": {"id": "100000000000000001", "username": "camille", "discriminator": "0"}, "roles": [],
			"permissions": "32", "joined_at": "2024-05-02T09:10:11+00:00", "deaf": false, "mute": false}}`, site.URL+"/feed.xml"))
	msgs := ix.WaitReply(t, 10*time.Second)
	if len(msgs) != 1 || !msgs[0].Ephemeral() || !strings.Contains(msgs[0].Content, "elle mène à un réseau privé ou local") {
		t.Errorf("/flux ajouter on loopback: %+v, want one polite ephemeral refusal", msgs)
	}
	if _, err := os.Stat(filepath.Join(dir, feedlist.FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("user feeds file after a refusal: %v", err)
	}
	sources := srv.SendCommand(t, discordtest.Command{Name: "sources"}).WaitReply(t, 10*time.Second)
	if len(sources) != 1 || len(sources[0].Embeds) != 2 || sources[0].Embeds[1].Title != "Feeds (0)" {
		t.Errorf("/sources = %+v, want the stats and an empty feed list", sources)
	}
	if v := srv.Violations(); len(v) > 0 {
		t.Errorf("Discord limits violated: %+v", v)
	}
	stop()
}

// TestBotStreamsGeneratedAnswers runs `veille bot` with a language model
// that streams: /ask shows the text as it arrives, then the checked
// answer with its source.
func TestBotStreamsGeneratedAnswers(t *testing.T) {
	t.Parallel()
	model := llmtest.NewServer(t, llmtest.WithStreamDelay(20*time.Millisecond), llmtest.WithReplyFunc(func([]llmtest.Message) string {
		return "Un mineur britannique serait le cerveau du groupe Lapsus$, selon les sources citées par Bloomberg [1]. " +
			"Le groupe Lapsus$ aurait notamment piraté Microsoft, Samsung et Nvidia [1]."
	}))
	srv := discordtest.NewServer(t)
	env := map[string]string{"VEILLE_DATA_DIR": t.TempDir(), "DISCORD_TOKEN": srv.Token(), "DISCORD_API_BASE": srv.URL,
		"LLM_BASE_URL": model.URL(), "LLM_MODEL": "fake"}
	stop := runBot(t, srv, env)

	ix := srv.SendCommand(t, discordtest.Command{Name: "ask", Options: []discordtest.CommandOption{{Name: "question", Value: "Qui serait le cerveau du groupe Lapsus$ ?"}}})
	msgs := ix.Wait(t, 10*time.Second, func(ms []discordtest.Message) bool { return len(ms) > 0 && len(ms[len(ms)-1].CustomIDs()) > 0 })
	final := msgs[0]
	if len(final.Embeds) == 0 || !strings.Contains(final.Embeds[0].Description, "[1] [") || final.Edits < 2 {
		t.Errorf("answer = %+v (edited %d times), want a draft then the cited answer", final.Embeds, final.Edits)
	}
	streamed := false
	for _, r := range model.ChatRequests() {
		streamed = streamed || r.Stream
	}
	if !streamed {
		t.Error("the bot did not ask the model to stream")
	}
	if v := srv.Violations(); len(v) > 0 {
		t.Errorf("Discord limits violated: %+v", v)
	}
	stop()
}

// scopedIndex writes, in dir, an index holding one article of the
// operator's, one server A added and one server B added, all published an
// hour ago, each naming its own town.
func scopedIndex(t *testing.T, dir string) {
	t.Helper()
	cfg, err := loadConfig(func(k string) string { return map[string]string{"VEILLE_DATA_DIR": dir}[k] })
	if err != nil {
		t.Fatal(err)
	}
	a := &app{cfg: cfg, log: slog.New(slog.DiscardHandler), stderr: io.Discard, newEmbedder: newEmbedder, httpClient: httpClient()}
	opts, err := a.indexOptions()
	if err != nil {
		t.Fatal(err)
	}
	ix, err := rag.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(-time.Hour)
	art := func(id, town, source string, guilds ...string) article.Article {
		return article.Article{ID: id, Title: "Rançongiciel à " + town, URL: "https://news.example/" + id,
			Source: source, Lang: "fr", Published: now, Guilds: guilds,
			Text: "Un rançongiciel a chiffré les serveurs de la mairie de " + town + ". La mairie de " + town +
				" refuse de payer la rançon demandée par les pirates."}
	}
	arts := []article.Article{
		art("operator", "Quimper", "Ouest Cyber"),
		art("server-a", "Colmar", "Alsace Sécurité", "300000000000000001"),
		art("server-b", "Bayeux", "Normandie Numérique", "300000000000000002"),
	}
	if _, err := ix.Add(t.Context(), arts, nil); err != nil {
		t.Fatal(err)
	}
	if err := ix.Save(t.Context(), a.indexPath()); err != nil {
		t.Fatal(err)
	}
}

// TestBotKeepsServersApart runs `veille bot` in two servers over an index
// holding the operator's article and one article each server added: each
// server's /ask, /search, /latest, /sources and digest show its own and the
// operator's, never the other server's — unless SHARE_SERVER_SOURCES says so.
func TestBotKeepsServersApart(t *testing.T) {
	t.Parallel()
	// own and other are the towns of the server's article and of the
	// other server's; otherURL is the other server's article.
	type server struct{ guild, channel, own, other, otherURL, otherSource string }
	servers := []server{
		{"300000000000000001", "400000000000000001", "Colmar", "Bayeux", "https://news.example/server-b", "Normandie Numérique"},
		{"300000000000000002", "400000000000000002", "Bayeux", "Colmar", "https://news.example/server-a", "Alsace Sécurité"},
	}
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			t.Parallel()
			srv := discordtest.NewServer(t)
			dir := t.TempDir()
			scopedIndex(t, dir)
			env := map[string]string{"VEILLE_DATA_DIR": dir, "DISCORD_TOKEN": srv.Token(), "DISCORD_API_BASE": srv.URL,
				"SHARE_SERVER_SOURCES": fmt.Sprint(shared)}
			stop := runBot(t, srv, env)
			defer stop()

			for _, s := range servers {
				command := func(name string, opts ...discordtest.CommandOption) string {
					t.Helper()
					msgs := srv.SendCommand(t, discordtest.Command{Name: name, Options: opts, GuildID: s.guild,
						ChannelID: s.channel, Locale: "fr"}).WaitReply(t, 10*time.Second)
					var text string
					for _, m := range msgs {
						text += m.Text() + "\n"
					}
					return text
				}
				digest := func(sub, options string) string {
					t.Helper()
					msgs := srv.SendInteraction(t, fmt.Appendf(nil, `{"type": 2, "guild_id": %q, "channel_id": %q, "locale": "fr",
						"data": {"id": "500000000000000009", "name": "digest", "type": 1, "options": [{"name": %q, "type": 1, "options": [%s]}]},
						"member": {"user": {"id": "100000000000000001", "username": "camille", "discriminator": "0"}, "roles": [],
							"permissions": "32", "joined_at": "2024-05-02T09:10:11+00:00", "deaf": false, "mute": false}}`,
						s.guild, s.channel, sub, options)).WaitReply(t, 10*time.Second)
					var text string
					for _, m := range msgs {
						text += m.Text() + "\n"
					}
					return text
				}
				// Due in an hour: no catch-up digest is posted at once, and
				// the preview covers the last day.
				paris, _ := time.LoadLocation("Europe/Paris")
				at := time.Now().In(paris).Add(time.Hour).Format("15:04")
				digest("config", fmt.Sprintf(`{"name": "time", "type": 3, "value": %q}`, at))
				replies := map[string]string{
					// About the other server's town: answered from its
					// article only when shared.
					"/ask":    command("ask", discordtest.CommandOption{Name: "question", Value: "Que refuse de payer la mairie de " + s.other + " ?"}),
					"/search": command("search", discordtest.CommandOption{Name: "query", Value: "rançongiciel mairie"}),
					"/latest": command("latest"),
					"digest":  digest("preview", ""),
				}
				for _, m := range srv.Messages() {
					if m.Kind == discordtest.KindChannel && m.ChannelID == s.channel {
						replies["digest"] += m.Text() // a digest posted after all
					}
				}
				for what, text := range replies {
					if what != "/ask" && !strings.Contains(text, "Quimper") {
						t.Errorf("server %s: %s does not show the operator's article:\n%s", s.guild, what, text)
					}
					if what != "/ask" && !strings.Contains(text, s.own) {
						t.Errorf("server %s: %s does not show its own article:\n%s", s.guild, what, text)
					}
					if got := strings.Contains(text, s.otherURL); got != shared {
						t.Errorf("server %s: %s shows the other server's article: %v, want %v:\n%s", s.guild, what, got, shared, text)
					}
				}
				// An article of another server is not a source here either.
				sources := command("sources")
				if got := strings.Contains(sources, s.otherSource); got != shared {
					t.Errorf("server %s: /sources lists %q: %v, want %v:\n%s", s.guild, s.otherSource, got, shared, sources)
				}
			}
			if v := srv.Violations(); len(v) > 0 {
				t.Errorf("Discord limits violated: %+v", v)
			}
		})
	}
}

// TestFeedControlPerServer follows one feed from two servers, and a feed
// recorded before servers were: whose articles they are, what each
// server's /sources lists and may remove, and that a refresh and a
// rebuild (`ingest --reindex`) keep the owners.
func TestFeedControlPerServer(t *testing.T) {
	t.Parallel()
	const guildB = "300000000000000002"
	var grown atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		body := testFeed
		if r.URL.Path == "/legacy.xml" {
			body = strings.NewReplacer("Fortinet", "Cisco", "fortinet", "cisco").Replace(body)
		}
		if grown.Load() && r.URL.Path == "/a.xml" {
			body = strings.Replace(body, "<item>", `<item><title>Un second article</title><link>https://cyber.example/second</link>
<guid>second</guid><description>`+strings.Repeat("Une nouvelle campagne de rançongiciel frappe les collectivités. ", 8)+`</description></item><item>`, 1)
		}
		io.WriteString(w, body)
	}))
	defer srv.Close()
	fc := newFeedControl(t, false)
	ctx := t.Context()
	feedA, legacy := srv.URL+"/a.xml", srv.URL+"/legacy.xml"
	if _, err := fc.Add(ctx, testGuild, feedA, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := fc.Add(ctx, "", feedA, ""); err == nil {
		t.Error("Add without a server succeeded: its articles would be everyone's")
	}
	// A feed added before servers were recorded is every server's.
	list, _ := feedlist.Read(fc.app.userFeedsPath())
	if err := feedlist.Write(fc.app.userFeedsPath(), append(list, feedlist.Entry{URL: legacy})); err != nil {
		t.Fatal(err)
	}
	if _, err := fc.Add(ctx, guildB, legacy, ""); !errors.Is(err, bot.ErrFeedFollowed) {
		t.Errorf("Add(legacy feed) = %v, want ErrFeedFollowed", err)
	}

	sees := func(guild string) []string {
		t.Helper()
		arts, err := fc.ix.LatestIn(ctx, rag.GuildScope(guild), 50)
		if err != nil {
			t.Fatal(err)
		}
		var urls []string
		for _, a := range arts {
			urls = append(urls, strings.TrimPrefix(a.URL, "https://cyber.example/"))
		}
		slices.Sort(urls)
		return urls
	}
	health := func(guild string) (urls []string) {
		t.Helper()
		hs, err := fc.Health(ctx, guild)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hs {
			urls = append(urls, strings.TrimPrefix(h.URL, srv.URL))
		}
		return urls
	}
	if got := sees(guildB); len(got) != 0 {
		t.Errorf("server B sees %v before following anything", got)
	}
	if got := health(guildB); !slices.Equal(got, []string{"/legacy.xml"}) {
		t.Errorf("server B's feeds = %v, want the legacy one only", got)
	}
	if removed, err := fc.Remove(ctx, guildB, feedA); removed || err != nil {
		t.Errorf("server B removed server A's feed: %v, %v", removed, err)
	}

	// Server B follows the same feed: its article is both servers'.
	if _, err := fc.Add(ctx, guildB, feedA, ""); err != nil {
		t.Fatal(err)
	}
	first := sees(testGuild)
	if len(first) != 1 || !slices.Equal(sees(guildB), first) {
		t.Errorf("server A sees %v, server B %v; want the same one article", first, sees(guildB))
	}
	if got := health(testGuild); !slices.Equal(got, []string{"/a.xml", "/legacy.xml"}) {
		t.Errorf("server A's feeds = %v", got)
	}

	// A refresh: the legacy feed's article is everyone's, the new item
	// of the shared feed both servers'.
	grown.Store(true)
	if _, err := fc.Refresh(ctx, fc.fetcher); err != nil {
		t.Fatal(err)
	}
	wantA := sees(testGuild)
	if len(wantA) != 3 || !slices.Equal(sees(guildB), wantA) || len(sees("300000000000000009")) != 1 {
		t.Errorf("after refresh: A sees %v, B %v, a third server %v", wantA, sees(guildB), sees("300000000000000009"))
	}

	// Server B stops following it: server A still does, and B keeps what
	// it had.
	if removed, err := fc.Remove(ctx, guildB, feedA); !removed || err != nil {
		t.Errorf("Remove = %v, %v", removed, err)
	}
	if st, _ := feeds.OpenStore(filepath.Join(fc.app.cfg.DataDir, feedStateName)); st.Get(feedA).LastSuccess.IsZero() {
		t.Error("the feed's state went with server B, though server A follows it")
	}
	if got := health(guildB); !slices.Equal(got, []string{"/legacy.xml"}) {
		t.Errorf("server B's feeds after remove = %v", got)
	}

	// A rebuild keeps every article's servers.
	env := map[string]string{"VEILLE_DATA_DIR": fc.app.cfg.DataDir}
	if _, errs, code := veille(t, env, "ingest", "--reindex"); code != 0 {
		t.Fatalf("reindex: %s", errs)
	}
	guilds, err := rag.ReadGuilds(ctx, fc.app.indexPath())
	if err != nil {
		t.Fatal(err)
	}
	owned := 0
	for _, g := range guilds {
		if slices.Equal(g, []string{testGuild, guildB}) {
			owned++
		}
	}
	if owned != 2 || len(guilds) != 2 {
		t.Errorf("after reindex, owners %v; want the two articles of the shared feed both servers'", guilds)
	}
}

// testApp returns an app over data directory dir, writing its messages to
// stderr, with a writer-lock wait of lockWait and an index watch every
// watchEvery.
func testApp(t *testing.T, dir string, stderr io.Writer, lockWait, watchEvery time.Duration) *app {
	t.Helper()
	cfg, err := loadConfig(func(k string) string { return map[string]string{"VEILLE_DATA_DIR": dir}[k] })
	if err != nil {
		t.Fatal(err)
	}
	return &app{cfg: cfg, log: slog.New(slog.DiscardHandler), stdout: io.Discard, stderr: stderr,
		newEmbedder: newEmbedder, httpClient: httpClient(), lockWait: lockWait, watchEvery: watchEvery}
}

// TestIngestWaitsForAnotherWriter holds the data directory's writer lock
// while `veille ingest` runs: it waits and says so, then writes once the
// lock is free, or gives up with "data directory in use" after its wait.
func TestIngestWaitsForAnotherWriter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		lockWait time.Duration
		holdFor  time.Duration // 0: held throughout
		wantErr  error
	}{
		{"waits for the other writer", 10 * time.Second, 500 * time.Millisecond, nil},
		{"gives up after its wait", 400 * time.Millisecond, 0, rag.ErrDirInUse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			release, err := rag.LockDir(t.Context(), dir)
			if err != nil {
				t.Fatal(err)
			}
			if tt.holdFor > 0 {
				time.AfterFunc(tt.holdFor, func() { release() })
			} else {
				defer release()
			}
			var stderr bytes.Buffer
			a := testApp(t, dir, &stderr, tt.lockWait, defaultWatchEvery)
			start := time.Now()
			err = a.ingest(t.Context(), nil)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ingest: %v, want %v\n%s", err, tt.wantErr, stderr.String())
			}
			if !strings.Contains(stderr.String(), "waiting up to "+tt.lockWait.String()) {
				t.Errorf("stderr does not say it waits:\n%s", stderr.String())
			}
			if waited := time.Since(start); tt.holdFor > 0 && waited < tt.holdFor {
				t.Errorf("ingest done after %s, while the lock was held for %s", waited, tt.holdFor)
			}
			_, statErr := os.Stat(a.indexPath())
			if (statErr == nil) != (tt.wantErr == nil) {
				t.Errorf("index written: %v, want %v", statErr == nil, tt.wantErr == nil)
			}
			if tt.wantErr != nil {
				var msg bytes.Buffer
				if code := exitCode(err, &msg); code != 1 || !strings.Contains(msg.String(), "data directory in use") {
					t.Errorf("exit %d, %q; want 1 and the directory named in use", code, msg.String())
				}
			}
		})
	}
}

// TestBotReloadsAnIndexAnotherProcessWrote runs the bot's watch loop while
// another writer (`veille ingest`, here an index of its own) replaces the
// index file: the bot's index picks the new article up.
func TestBotReloadsAnIndexAnotherProcessWrote(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := testApp(t, dir, io.Discard, defaultLockWait, 20*time.Millisecond)
	seen := feedlist.ModTime(a.indexPath())
	ix, err := a.openIndex(t.Context()) // the bundled articles
	if err != nil {
		t.Fatal(err)
	}
	before := ix.Len()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.keepFresh(ctx, ix, a.feedControl(ix, nil), seen) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("keepFresh: %v", err)
		}
	}()

	// The other process: its own index over the same file, under the lock.
	other := testApp(t, dir, io.Discard, defaultLockWait, defaultWatchEvery)
	release, err := rag.LockDir(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := other.indexOptions()
	if err != nil {
		t.Fatal(err)
	}
	oix, err := rag.Load(t.Context(), other.indexPath(), opts)
	if err != nil {
		t.Fatal(err)
	}
	extra := article.Article{ID: "nouveau", Title: "Un rançongiciel frappe Quimperlé",
		Text: "Un rançongiciel a chiffré les serveurs de la mairie de Quimperlé pendant la nuit."}
	if _, err := oix.Add(t.Context(), []article.Article{extra}, nil); err != nil {
		t.Fatal(err)
	}
	if err := oix.Save(t.Context(), other.indexPath()); err != nil {
		t.Fatal(err)
	}
	release()

	deadline := time.Now().Add(10 * time.Second)
	for ix.Len() == before {
		if time.Now().After(deadline) {
			t.Fatalf("the bot's index still holds %d articles, not the one another process added", ix.Len())
		}
		time.Sleep(10 * time.Millisecond)
	}
	hits, err := ix.Search(t.Context(), "rançongiciel Quimperlé", rag.SearchOptions{K: 1})
	if err != nil || len(hits) == 0 || hits[0].ArticleID != "nouveau" {
		t.Errorf("search after reload: %+v, %v", hits, err)
	}
}
