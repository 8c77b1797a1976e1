package bot_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/veille/veille/bot"
	"github.com/veille/veille/bot/digest"
	"github.com/veille/veille/bot/discordtest"
	"github.com/veille/veille/rag"
)

// wait bounds every wait on the fake; generous because -race is slow.
const wait = 10 * time.Second

// fakePipeline is a Pipeline built from function fields; a nil field
// fails the test that reaches it.
type fakePipeline struct {
	t      testing.TB
	ask    func(ctx context.Context, q string, opts rag.SearchOptions) (rag.Answer, error)
	search func(ctx context.Context, q string, opts rag.SearchOptions) ([]rag.Hit, error)
	latest func(ctx context.Context, n int) ([]rag.ArticleInfo, error)
	stats  func(ctx context.Context) (rag.Stats, error)

	mu    sync.Mutex
	calls []call
}

// call is one recorded call to the pipeline.
type call struct {
	Method string
	Query  string
	Opts   rag.SearchOptions
}

var _ bot.Pipeline = (*fakePipeline)(nil)

func (f *fakePipeline) record(c call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

func (f *fakePipeline) Calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func (f *fakePipeline) Ask(ctx context.Context, q string, opts rag.SearchOptions) (rag.Answer, error) {
	f.record(call{"Ask", q, opts})
	if f.ask == nil {
		return rag.Answer{}, errors.New("fake: Ask not expected")
	}
	return f.ask(ctx, q, opts)
}

func (f *fakePipeline) Search(ctx context.Context, q string, opts rag.SearchOptions) ([]rag.Hit, error) {
	f.record(call{"Search", q, opts})
	if f.search == nil {
		return nil, errors.New("fake: Search not expected")
	}
	return f.search(ctx, q, opts)
}

func (f *fakePipeline) LatestIn(ctx context.Context, _ rag.Scope, n int) ([]rag.ArticleInfo, error) {
	f.record(call{Method: "Latest", Query: fmt.Sprint(n)})
	if f.latest == nil {
		return nil, errors.New("fake: Latest not expected")
	}
	return f.latest(ctx, n)
}

func (f *fakePipeline) StatsIn(ctx context.Context, _ rag.Scope) (rag.Stats, error) {
	f.record(call{Method: "Stats"})
	if f.stats == nil {
		return rag.Stats{Sources: map[string]int{"LeMagIT": 3, "The Record": 2}}, nil
	}
	return f.stats(ctx)
}

// lockedBuffer collects the bot's logs, shown when a test fails (t.Log
// cannot be used from goroutines that may outlive the test).
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// harness is a running bot connected to a fake Discord.
type harness struct {
	srv      *discordtest.Server
	pipeline *fakePipeline
	cfg      bot.Config
	logs     *lockedBuffer
	bot      *bot.Bot
	// stop cancels Run's context and returns what Run returned.
	stop func() error
}

// start runs a bot against a fake Discord until the test ends. The ack
// deadline is shortened to keep tests fast; edit adjusts the Config.
func start(t *testing.T, p *fakePipeline, ack time.Duration, edit func(*bot.Config)) *harness {
	t.Helper()
	return startPipeline(t, p, p, ack, edit)
}

// startPipeline is start with the bot over pl, which wraps p (e.g. to
// stream).
func startPipeline(t *testing.T, p *fakePipeline, pl bot.Pipeline, ack time.Duration, edit func(*bot.Config)) *harness {
	t.Helper()
	logs := &lockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("bot logs:\n%s", logs.String())
		}
	})
	if ack == 0 {
		ack = 2 * time.Second
	}
	srv := discordtest.NewServer(t, discordtest.WithAckDeadline(ack))
	p.t = t
	cfg := bot.Config{
		Token:           srv.Token(),
		APIBase:         srv.URL,
		Logger:          slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		AnswerTimeout:   5 * time.Second,
		ShutdownTimeout: time.Second,
		FeedbackPath:    filepath.Join(t.TempDir(), "feedback.jsonl"),
	}
	if edit != nil {
		edit(&cfg)
	}
	b, err := bot.New(cfg, pl)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(wait):
				runErr = errors.New("Run did not return after its context was cancelled")
			}
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
		for _, v := range srv.Violations() {
			t.Errorf("fake Discord violation: %v", v)
		}
	})
	srv.WaitReady(t, wait)
	srv.WaitRegistrations(t, wait)
	return &harness{srv: srv, pipeline: p, cfg: cfg, logs: logs, bot: b, stop: stop}
}

// waitLog waits for the bot to log a line containing s: it logs after
// replying, so a test can see the reply first.
func (h *harness) waitLog(t *testing.T, s string) {
	t.Helper()
	h.waitLogs(t, s, 1)
}

// waitLogs waits for n log lines containing s.
func (h *harness) waitLogs(t *testing.T, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for strings.Count(h.logs.String(), s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q", s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var published = time.Date(2022, 3, 31, 8, 0, 0, 0, time.UTC)

func citation(n int) rag.Citation {
	return rag.Citation{N: n, ArticleID: fmt.Sprintf("art-%d", n), Title: fmt.Sprintf("Article %d", n),
		URL: fmt.Sprintf("https://example.org/a/%d", n), Source: "LeMagIT", Published: published,
		Passage: "passage"}
}

func answerFor(q string) rag.Answer {
	return rag.Answer{Question: q, Grounded: true,
		Text:      "Log4Shell is a remote code execution flaw in Log4j [1]. It was exploited at scale [2].",
		Citations: []rag.Citation{citation(1), citation(2)}}
}

func TestRegistersLocalisedCommands(t *testing.T) {
	t.Parallel()
	h := start(t, &fakePipeline{}, 0, nil)
	regs := h.srv.Registrations()
	if len(regs) != 1 || regs[0].Method != "PUT" || regs[0].GuildID != "" {
		t.Fatalf("registrations = %+v, want one global bulk overwrite", regs)
	}
	var names []string
	for _, raw := range regs[0].Commands {
		var c struct {
			Name              string            `json:"name"`
			NameLocalizations map[string]string `json:"name_localizations"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		if c.NameLocalizations["fr"] == "" {
			t.Errorf("command %s has no French name", c.Name)
		}
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"ask", "search", "latest", "sources"}, names); diff != "" {
		t.Errorf("registered commands (-want +got):\n%s", diff)
	}
}

func TestRegistersOnGuild(t *testing.T) {
	t.Parallel()
	h := start(t, &fakePipeline{}, 0, func(c *bot.Config) { c.GuildID = "300000000000000042" })
	if regs := h.srv.Registrations(); regs[0].GuildID != "300000000000000042" {
		t.Errorf("registered on guild %q, want 300000000000000042", regs[0].GuildID)
	}
}

func TestAskDefersThenEditsWithCitedEmbed(t *testing.T) {
	t.Parallel()
	const ack = 300 * time.Millisecond
	p := &fakePipeline{ask: func(ctx context.Context, q string, _ rag.SearchOptions) (rag.Answer, error) {
		select { // slower than Discord's acknowledgement deadline
		case <-time.After(2 * ack):
		case <-ctx.Done():
			return rag.Answer{}, ctx.Err()
		}
		return answerFor(q), nil
	}}
	h := start(t, p, ack, nil)
	ix := h.srv.SendCommand(t, discordtest.Command{Name: "ask", Options: []discordtest.CommandOption{
		{Name: "question", Value: "What is Log4Shell?"}, {Name: "since", Value: 30}}})

	if cb := ix.WaitCallback(t, wait); cb.Type != discordtest.CallbackDeferredMessage || cb.Elapsed > ack {
		t.Errorf("callback = %+v, want a deferred message within %v", cb, ack)
	}
	msgs := ix.WaitReply(t, wait)
	if len(msgs) != 1 || msgs[0].Ephemeral() || len(msgs[0].Embeds) != 1 {
		t.Fatalf("reply = %+v, want one public message with one embed", msgs)
	}
	e := msgs[0].Embeds[0]
	if e.Title != "What is Log4Shell?" {
		t.Errorf("title = %q", e.Title)
	}
	for _, want := range []string{
		"remote code execution flaw in Log4j [1].",
		"[1] [Article 1](https://example.org/a/1) — LeMagIT, 2022-03-31",
		"[2] [Article 2](https://example.org/a/2) — LeMagIT, 2022-03-31",
	} {
		if !strings.Contains(e.Description, want) {
			t.Errorf("description lacks %q:\n%s", want, e.Description)
		}
	}
	if ids := msgs[0].CustomIDs(); len(ids) != 2 || !strings.HasPrefix(ids[0], "vote:up:") || !strings.HasPrefix(ids[1], "vote:down:") {
		t.Errorf("buttons = %v, want 👍/👎 votes", ids)
	}
	if !msgs[0].MentionsDisabled() {
		t.Error("allowed_mentions.parse is not empty")
	}
	calls := p.Calls()
	if len(calls) != 1 || calls[0].Query != "What is Log4Shell?" || calls[0].Opts.Since.IsZero() {
		t.Errorf("pipeline calls = %+v, want one Ask with a since date", calls)
	}
}

func TestSearchListsArticles(t *testing.T) {
	t.Parallel()
	p := &fakePipeline{search: func(_ context.Context, q string, opts rag.SearchOptions) ([]rag.Hit, error) {
		return []rag.Hit{
			{ArticleID: "a1", Title: "Log4j: the *aftermath*", URL: "https://example.org/log4j", Source: "LeMagIT", Published: published,
				Passages: []rag.Passage{{Text: "The flaw   was\nexploited within hours."}}},
			{ArticleID: "a2", Title: "CISA adds Log4j to KEV", URL: "https://example.org/kev", Source: "The Record"},
		}, nil
	}}
	h := start(t, p, 0, nil)
	ix := h.srv.SendCommand(t, discordtest.Command{Name: "search", Locale: "fr", Options: []discordtest.CommandOption{
		{Name: "query", Value: "log4j"}, {Name: "source", Value: "lemagit"}}})
	msgs := ix.WaitReply(t, wait)
	if len(msgs) != 1 || len(msgs[0].Embeds) != 1 {
		t.Fatalf("reply = %+v", msgs)
	}
	e := msgs[0].Embeds[0]
	if e.Title != "Résultats pour « log4j »" {
		t.Errorf("title = %q", e.Title)
	}
	want := "**1.** [Log4j: the \\*aftermath\\*](https://example.org/log4j) — LeMagIT, 2022-03-31\n> The flaw was exploited within hours.\n\n" +
		"**2.** [CISA adds Log4j to KEV](https://example.org/kev) — The Record"
	if diff := cmp.Diff(want, e.Description); diff != "" {
		t.Errorf("description (-want +got):\n%s", diff)
	}
	if calls := p.Calls(); len(calls) != 2 || calls[1].Opts.Source != "LeMagIT" {
		t.Errorf("calls = %+v, want Stats then Search with source LeMagIT", calls)
	}
}

func TestMentionIsAnsweredAsReply(t *testing.T) {
	t.Parallel()
	p := &fakePipeline{ask: func(_ context.Context, q string, _ rag.SearchOptions) (rag.Answer, error) { return answerFor(q), nil }}
	h := start(t, p, 0, nil)
	q := h.srv.SendMessage(t, discordtest.UserMessage{Content: "<@" + h.srv.ApplicationID() + "> what is Log4Shell?", MentionBot: true})
	replies := waitReplies(t, h.srv, q.ID)
	if len(replies[0].Embeds) == 0 || !strings.Contains(replies[0].Embeds[0].Description, "[1] [Article 1]") {
		t.Errorf("reply = %+v, want the answer embed", replies[0])
	}
	if calls := p.Calls(); len(calls) != 1 || calls[0].Query != "what is Log4Shell?" || calls[0].Opts.Context != "" {
		t.Errorf("calls = %+v, want the question without the mention and no context", calls)
	}
	// A message that neither mentions the bot nor follows an answer is ignored.
	h.srv.SendMessage(t, discordtest.UserMessage{Content: "hello everyone"})
	again := h.srv.SendMessage(t, discordtest.UserMessage{Content: "<@" + h.srv.ApplicationID() + "> and Meta?", MentionBot: true})
	waitReplies(t, h.srv, again.ID)
	if calls := p.Calls(); len(calls) != 2 {
		t.Errorf("calls = %+v, want the unaddressed message ignored", calls)
	}
}

// waitReplies waits for the bot's replies to message id.
func waitReplies(t *testing.T, srv *discordtest.Server, id string) []discordtest.Message {
	t.Helper()
	return srv.WaitReplies(t, wait, id)
}

func TestFollowUps(t *testing.T) {
	t.Parallel()
	p := &fakePipeline{ask: func(_ context.Context, q string, _ rag.SearchOptions) (rag.Answer, error) { return answerFor(q), nil }}
	h := start(t, p, 0, func(c *bot.Config) { c.UserRate = 100 })
	mention := "<@" + h.srv.ApplicationID() + "> "

	first := h.srv.SendMessage(t, discordtest.UserMessage{Content: mention + "Who exploited Log4Shell?", MentionBot: true})
	answer := waitReplies(t, h.srv, first.ID)[0]
	h.waitLogs(t, "mention answered", 1) // the bot remembers the answer once Discord has confirmed it

	// A reply to the answer, without mentioning the bot.
	reply := h.srv.SendMessage(t, discordtest.UserMessage{Content: "et Meta ?", ReplyTo: answer.ID})
	waitReplies(t, h.srv, reply.ID)

	// A message in the thread started from the answer.
	inThread := h.srv.SendMessage(t, discordtest.UserMessage{Content: "quand ?", ChannelID: discordtest.ThreadID(answer.ID)})
	waitReplies(t, h.srv, inThread.ID)

	// A follow-up of a slash-command answer, in the thread under it.
	ix := h.srv.SendCommand(t, discordtest.Command{Name: "ask", Options: []discordtest.CommandOption{{Name: "question", Value: "What is KEV?"}}})
	original := ix.WaitReply(t, wait)[0]
	h.waitLog(t, "command answered") // the bot remembers the answer once Discord has confirmed the edit
	underSlash := h.srv.SendMessage(t, discordtest.UserMessage{Content: "since when?", ChannelID: discordtest.ThreadID(original.ID)})
	waitReplies(t, h.srv, underSlash.ID)
	h.waitLogs(t, "mention answered", 4)

	// A slash command in the thread under an answer.
	inThreadIx := h.srv.SendCommand(t, discordtest.Command{Name: "ask", ChannelID: discordtest.ThreadID(original.ID),
		Options: []discordtest.CommandOption{{Name: "question", Value: "and in Europe?"}}})
	inThreadIx.WaitReply(t, wait)

	calls := p.Calls()
	if len(calls) != 6 {
		t.Fatalf("calls = %+v, want 6", calls)
	}
	// The reply and the thread both follow the first answer; the message
	// in the slash answer's thread follows it, and the slash command in that
	// thread follows the latest exchange there.
	for i, want := range map[int]string{1: "Who exploited Log4Shell?", 2: "Who exploited Log4Shell?", 4: "What is KEV?", 5: "since when?"} {
		if !strings.Contains(calls[i].Opts.Context, want) || !strings.Contains(calls[i].Opts.Context, "Log4j [1]") {
			t.Errorf("call %d (%q) context = %q, want the earlier question %q and its answer", i, calls[i].Query, calls[i].Opts.Context, want)
		}
	}
}

func TestFeedbackClickIsAppended(t *testing.T) {
	t.Parallel()
	p := &fakePipeline{ask: func(_ context.Context, q string, _ rag.SearchOptions) (rag.Answer, error) { return answerFor(q), nil }}
	h := start(t, p, 0, nil)
	ix := h.srv.SendCommand(t, discordtest.Command{Name: "ask", Options: []discordtest.CommandOption{{Name: "question", Value: "What is Log4Shell?"}}})
	answer := ix.WaitReply(t, wait)[0]

	click := h.srv.ClickButton(t, discordtest.Click{MessageID: answer.ID, CustomID: answer.CustomIDs()[1], UserID: "100000000000000077", Locale: "fr"})
	msgs := click.WaitReply(t, wait)
	if len(msgs) != 1 || !msgs[0].Ephemeral() || msgs[0].Content != "Merci pour votre retour !" {
		t.Errorf("acknowledgement = %+v, want an ephemeral thank-you", msgs)
	}

	f, err := os.Open(h.cfg.FeedbackPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var v map[string]any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, v)
	}
	if len(lines) != 1 {
		t.Fatalf("feedback lines = %v, want 1", lines)
	}
	got := lines[0]
	if got["vote"] != "down" || got["user_id"] != "100000000000000077" || got["question"] != "What is Log4Shell?" ||
		!strings.Contains(fmt.Sprint(got["answer"]), "Log4j [1]") || len(got["sources"].([]any)) != 2 || got["message_id"] != answer.ID {
		t.Errorf("feedback line = %v", got)
	}
}

// longText is n paragraphs of eight sentences citing [1] to [cites].
func longText(n, cites int) string {
	var paras []string
	for i := range n {
		var sentences []string
		for j := range 8 {
			sentences = append(sentences, fmt.Sprintf("Sentence %d.%d explains a detail of the attack chain at length [%d].", i, j, j%cites+1))
		}
		paras = append(paras, strings.Join(sentences, " "))
	}
	return strings.Join(paras, "\n\n")
}

// longCitations are n citations with long titles.
func longCitations(n int) []rag.Citation {
	var cites []rag.Citation
	for i := 1; i <= n; i++ {
		c := citation(i)
		c.Title = strings.Repeat("Very long title ", 20)
		cites = append(cites, c)
	}
	return cites
}

// shownText is the embeds' descriptions of msgs, checking that no split
// cut a marker or a link.
func shownText(t *testing.T, msgs []discordtest.Message) string {
	t.Helper()
	var all strings.Builder
	for _, m := range msgs {
		if m.Kind == discordtest.KindOriginal && m.Loading() {
			t.Errorf("original response left loading")
		}
		for _, e := range m.Embeds {
			all.WriteString(e.Description + "\n")
			if strings.Count(e.Description, "[") != strings.Count(e.Description, "]") {
				t.Errorf("unbalanced brackets in an embed: a marker or link was cut:\n%s", e.Description)
			}
		}
	}
	return all.String()
}

func TestLongAnswerIsSplitWithinLimits(t *testing.T) {
	t.Parallel()
	text := longText(12, 10)
	p := &fakePipeline{ask: func(_ context.Context, q string, _ rag.SearchOptions) (rag.Answer, error) {
		return rag.Answer{Question: q, Text: text, Grounded: true, Citations: longCitations(10)}, nil
	}}
	h := start(t, p, 0, nil)
	ix := h.srv.SendCommand(t, discordtest.Command{Name: "ask", Options: []discordtest.CommandOption{{Name: "question", Value: strings.Repeat("why ", 200)}}})
	msgs := ix.Wait(t, wait, func(ms []discordtest.Message) bool {
		return len(ms) > 0 && len(ms[len(ms)-1].CustomIDs()) > 0 // the buttons come last
	})
	if len(msgs) < 2 || len(msgs) > bot.MaxAnswerMessages {
		t.Errorf("got %d messages, want the answer split over 2 to %d", len(msgs), bot.MaxAnswerMessages)
	}
	all := shownText(t, msgs)
	for i := range 12 {
		for j := range 8 {
			if s := fmt.Sprintf("Sentence %d.%d explains", i, j); !strings.Contains(all, s) {
				t.Fatalf("%q lost in the split", s)
			}
		}
	}
	if n := strings.Count(all, "](https://example.org/a/"); n != 10 {
		t.Errorf("%d source links, want 10", n)
	}
	if strings.Contains(all, "truncated") {
		t.Errorf("an answer that fits was cut:\n%s", all)
	}
}

// TestRunawayAnswerIsCapped sends a runaway answer (about 130,000
// characters, which once took 47 messages) through /ask and a mention:
// each reply takes at most MaxAnswerMessages messages, says it was cut in
// the user's language, and keeps every source.
func TestRunawayAnswerIsCapped(t *testing.T) {
	t.Parallel()
	text := longText(2000, 30)
	p := &fakePipeline{ask: func(_ context.Context, q string, _ rag.SearchOptions) (rag.Answer, error) {
		return rag.Answer{Question: q, Text: text, Grounded: true, Citations: longCitations(30)}, nil
	}}
	h := start(t, p, 0, func(c *bot.Config) { c.UserRate = 100 })
	tests := []struct {
		name string
		send func(t *testing.T) []discordtest.Message
		note string
	}{
		{"ask_fr", func(t *testing.T) []discordtest.Message {
			ix := h.srv.SendCommand(t, discordtest.Command{Name: "ask", Locale: "fr",
				Options: []discordtest.CommandOption{{Name: "question", Value: "raconte tout"}}})
			ix.Wait(t, wait, func(ms []discordtest.Message) bool {
				return len(ms) > 0 && len(ms[len(ms)-1].CustomIDs()) > 0 // the buttons come last
			})
			h.waitLog(t, "command answered")
			return ix.Messages()
		}, "(réponse tronquée"},
		{"mention_en", func(t *testing.T) []discordtest.Message {
			before := len(h.srv.Messages())
			h.srv.SendMessage(t, discordtest.UserMessage{Content: "<@" + h.srv.ApplicationID() + "> tell me everything about the attack", MentionBot: true})
			h.waitLog(t, "mention answered")
			var sent []discordtest.Message
			for _, m := range h.srv.Messages()[before+1:] { // after the user's message
				if m.Author.ID == h.srv.ApplicationID() {
					sent = append(sent, m)
				}
			}
			return sent
		}, "(answer truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := tt.send(t)
			if len(msgs) == 0 || len(msgs) > bot.MaxAnswerMessages {
				t.Fatalf("got %d messages, want 1 to %d", len(msgs), bot.MaxAnswerMessages)
			}
			all := shownText(t, msgs)
			if !strings.Contains(all, "Sentence 0.0 explains") || strings.Count(all, tt.note) != 1 {
				t.Errorf("want the beginning of the answer and the note %q once:\n%s", tt.note, all)
			}
			if n := strings.Count(all, "](https://example.org/a/"); n != 30 {
				t.Errorf("%d source links, want 30", n)
			}
		})
	}
	h.waitLogs(t, "answer cut to the message cap", 2)
}

func TestPipelineErrorThenKeepsServing(t *testing.T) {
	t.Parallel()
	fail := true
	var mu sync.Mutex
	p := &fakePipeline{ask: func(_ context.Context, q string, _ rag.SearchOptions) (rag.Answer, error) {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			fail = false
			return rag.Answer{}, errors.New("llm: connection refused")
		}
		return answerFor(q), nil
	}}
	h := start(t, p, 0, nil)
	ix := h.srv.SendCommand(t, discordtest.Command{Name: "ask", Locale: "fr", Options: []discordtest.CommandOption{{Name: "question", Value: "Log4Shell ?"}}})
	msgs := ix.WaitReply(t, wait)
	var visible []discordtest.Message
	for _, m := range msgs {
		if !m.Deleted {
			visible = append(visible, m)
		}
	}
	if len(visible) != 1 || !visible[0].Ephemeral() || !strings.Contains(visible[0].Content, "Une erreur est survenue") {
		t.Errorf("messages = %+v, want one ephemeral French error", msgs)
	}
	if strings.Contains(visible[0].Content, "connection refused") {
		t.Errorf("error details leaked to the user: %q", visible[0].Content)
	}

	ix = h.srv.SendCommand(t, discordtest.Command{Name: "ask", Options: []discordtest.CommandOption{{Name: "question", Value: "Log4Shell?"}}})
	if msgs := ix.WaitReply(t, wait); len(msgs[0].Embeds) != 1 {
		t.Errorf("after an error, reply = %+v, want an answer", msgs)
	}
	h.waitLog(t, `level=ERROR msg="command failed"`)
	if n := strings.Count(h.logs.String(), "connection refused"); n != 1 {
		t.Errorf("error logged %d times, want once:\n%s", n, h.logs.String())
	}
}

func TestInvalidRequestsGetEphemeralMessages(t *testing.T) {
	t.Parallel()
	p := &fakePipeline{}
	h := start(t, p, 0, nil)
	tests := []struct {
		name    string
		command string
		locale  string
		options []discordtest.CommandOption
		want    string
	}{
		{"empty question", "ask", "en-US", []discordtest.CommandOption{{Name: "question", Value: "   "}}, "Please write a question"},
		{"empty question in French", "ask", "fr", []discordtest.CommandOption{{Name: "question", Value: ""}}, "Écrivez une question"},
		{"question too long", "ask", "en-GB", []discordtest.CommandOption{{Name: "question", Value: strings.Repeat("a", 1001)}}, "too long (1001 characters)"},
		{"unknown source", "ask", "fr", []discordtest.CommandOption{{Name: "question", Value: "q"}, {Name: "source", Value: "Nope"}}, "Je ne connais pas la source « Nope ». Sources connues : LeMagIT, The Record."},
		{"since zero", "search", "en-US", []discordtest.CommandOption{{Name: "query", Value: "q"}, {Name: "since", Value: 0}}, "positive number of days"},
		{"count too big", "latest", "en-US", []discordtest.CommandOption{{Name: "count", Value: 500}}, "between 1 and 20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := h.srv.SendCommand(t, discordtest.Command{Name: tt.command, Locale: tt.locale, Options: tt.options})
			var visible []discordtest.Message
			for _, m := range ix.WaitReply(t, wait) {
				if !m.Deleted {
					visible = append(visible, m)
				}
			}
			if len(visible) != 1 || !visible[0].Ephemeral() || !strings.Contains(visible[0].Content, tt.want) {
				t.Errorf("messages = %+v, want one ephemeral message containing %q", visible, tt.want)
			}
		})
	}
	for _, c := range p.Calls() {
		if c.Method != "Stats" {
			t.Errorf("pipeline called for an invalid request: %+v", c)
		}
	}
}

func TestNothingPings(t *testing.T) {
	t.Parallel()
	p := &fakePipeline{ask: func(_ context.Context, q string, _ rag.SearchOptions) (rag.Answer, error) {
		a := answerFor(q)
		a.Text = "@everyone patch now [1]. Ask <@123456789012345678> or <@&222222222222222222> @here [2]."
		a.Citations[0].Title = "@everyone: <@123456789012345678> was breached"
		return a, nil
	}}
	h := start(t, p, 0, nil)
	ix := h.srv.SendCommand(t, discordtest.Command{Name: "ask", Options: []discordtest.CommandOption{{Name: "question", Value: "@here who?"}}})
	ix.WaitReply(t, wait)
	q := h.srv.SendMessage(t, discordtest.UserMessage{Content: "<@" + h.srv.ApplicationID() + "> @everyone who?", MentionBot: true})
	waitReplies(t, h.srv, q.ID)
	for _, m := range h.srv.Messages() {
		if m.Kind == discordtest.KindUser {
			continue
		}
		if !m.MentionsDisabled() {
			t.Errorf("message %s: allowed_mentions = %+v, want parse empty", m.ID, m.AllowedMentions)
		}
		text := m.Text()
		for _, ping := range []string{"@everyone", "@here", "<@1", "<@&"} {
			if strings.Contains(text, ping) {
				t.Errorf("message %s contains a live %q:\n%s", m.ID, ping, text)
			}
		}
	}
}

func TestRateLimitPerUser(t *testing.T) {
	t.Parallel()
	p := &fakePipeline{ask: func(_ context.Context, q string, _ rag.SearchOptions) (rag.Answer, error) { return answerFor(q), nil }}
	h := start(t, p, 0, func(c *bot.Config) { c.UserRate = 1 })
	ask := func(user string) []discordtest.Message {
		ix := h.srv.SendCommand(t, discordtest.Command{Name: "ask", UserID: user, Options: []discordtest.CommandOption{{Name: "question", Value: "q?"}}})
		return ix.WaitReply(t, wait)
	}
	if msgs := ask("100000000000000001"); len(msgs[0].Embeds) != 1 {
		t.Fatalf("first question: %+v", msgs)
	}
	msgs := ask("100000000000000001")
	last := msgs[len(msgs)-1]
	if !last.Ephemeral() || !strings.Contains(last.Content, "Please wait") {
		t.Errorf("second question: %+v, want a polite ephemeral refusal", msgs)
	}
	if msgs := ask("100000000000000002"); len(msgs[0].Embeds) != 1 {
		t.Errorf("another user was limited too: %+v", msgs)
	}
}

func TestSourcesAndLatest(t *testing.T) {
	t.Parallel()
	p := &fakePipeline{
		latest: func(_ context.Context, n int) ([]rag.ArticleInfo, error) {
			return []rag.ArticleInfo{{ID: "a", Title: "Newest", URL: "https://example.org/n", Source: "CERT-FR", Published: published}}, nil
		},
		stats: func(context.Context) (rag.Stats, error) {
			return rag.Stats{Articles: 12, Chunks: 80, Sources: map[string]int{"CERT-FR": 7, "LeMagIT": 5},
				Newest: published, LastIngest: published.Add(time.Hour), Embedder: "local/hash-v1/256"}, nil
		},
	}
	h := start(t, p, 0, nil)
	ix := h.srv.SendCommand(t, discordtest.Command{Name: "latest", Options: []discordtest.CommandOption{{Name: "count", Value: 3}}})
	if msgs := ix.WaitReply(t, wait); !strings.Contains(msgs[0].Text(), "[Newest](https://example.org/n) — CERT-FR, 2022-03-31") {
		t.Errorf("latest = %+v", msgs)
	}
	ix = h.srv.SendCommand(t, discordtest.Command{Name: "sources", Locale: "fr"})
	msgs := ix.WaitReply(t, wait)
	if !msgs[0].Ephemeral() || !strings.Contains(msgs[0].Text(), "CERT-FR — 7") || !strings.Contains(msgs[0].Text(), "local/hash-v1/256") {
		t.Errorf("sources = %+v", msgs)
	}
	if calls := p.Calls(); calls[0].Query != "3" {
		t.Errorf("Latest called with %s, want 3", calls[0].Query)
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := bot.New(bot.Config{GuildID: "guild", APIBase: "ftp://x", UserRate: -1, MaxConcurrent: -2, AnswerTimeout: -time.Second}, nil)
	if err == nil {
		t.Fatal("New accepted a bad config")
	}
	for _, want := range []string{"token is empty", `guild ID "guild"`, `API base "ftp://x"`, "user rate -1", "max concurrent -2", "answer timeout -1s", "pipeline is nil"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestSourceAutocomplete(t *testing.T) {
	t.Parallel()
	p := &fakePipeline{stats: func(context.Context) (rag.Stats, error) {
		return rag.Stats{Sources: map[string]int{"LeMagIT": 3, "The Record": 9, "ZATAZ": 1, "Le Monde Informatique": 5}}, nil
	}}
	h := start(t, p, 0, nil)
	ix := h.srv.SendCommand(t, discordtest.Command{Name: "ask", Focused: "source", Options: []discordtest.CommandOption{
		{Name: "question", Value: "q"}, {Name: "source", Value: "le"}}})
	var names []string
	for _, c := range ix.Choices(t, wait) {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"Le Monde Informatique", "LeMagIT"}, names); diff != "" {
		t.Errorf("choices (-want +got):\n%s", diff)
	}
}

func TestShutdownFinishesAnswersInFlight(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	release := make(chan struct{})
	p := &fakePipeline{ask: func(ctx context.Context, q string, _ rag.SearchOptions) (rag.Answer, error) {
		close(started)
		<-release
		return answerFor(q), nil
	}}
	h := start(t, p, 0, func(c *bot.Config) { c.ShutdownTimeout = 5 * time.Second })
	ix := h.srv.SendCommand(t, discordtest.Command{Name: "ask", Options: []discordtest.CommandOption{{Name: "question", Value: "q?"}}})
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- h.stop() }()
	h.waitLog(t, "shutting down")
	close(release)
	if msgs := ix.WaitReply(t, wait); len(msgs[0].Embeds) != 1 {
		t.Errorf("answer in flight at shutdown: %+v, want it delivered", msgs)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Run = %v", err)
	}
	if h.srv.Connected() {
		t.Error("gateway still connected after Run returned")
	}
}

func TestShutdownCancelsSlowAnswers(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	p := &fakePipeline{ask: func(ctx context.Context, q string, _ rag.SearchOptions) (rag.Answer, error) {
		close(started)
		<-ctx.Done()
		return rag.Answer{}, ctx.Err()
	}}
	h := start(t, p, 0, func(c *bot.Config) { c.ShutdownTimeout = 200 * time.Millisecond; c.AnswerTimeout = time.Minute })
	h.srv.SendCommand(t, discordtest.Command{Name: "ask", Options: []discordtest.CommandOption{{Name: "question", Value: "q?"}}})
	<-started
	begin := time.Now()
	if err := h.stop(); err != nil {
		t.Errorf("Run = %v", err)
	}
	// discordgo's Close waits one second for Discord to close the socket.
	if d := time.Since(begin); d > 2*time.Second+500*time.Millisecond {
		t.Errorf("shutdown took %v with a 200ms shutdown timeout", d)
	}
}

func TestBusyWhenAllSlotsTaken(t *testing.T) {
	t.Parallel()
	started := make(chan struct{}, 2)
	release := make(chan struct{})
	p := &fakePipeline{ask: func(ctx context.Context, q string, _ rag.SearchOptions) (rag.Answer, error) {
		started <- struct{}{}
		<-release // holds the only slot past the second question's timeout
		return answerFor(q), nil
	}}
	h := start(t, p, 0, func(c *bot.Config) { c.MaxConcurrent = 1; c.AnswerTimeout = 300 * time.Millisecond })
	first := h.srv.SendCommand(t, discordtest.Command{Name: "ask", UserID: "100000000000000011", Options: []discordtest.CommandOption{{Name: "question", Value: "one?"}}})
	<-started
	second := h.srv.SendCommand(t, discordtest.Command{Name: "ask", UserID: "100000000000000012", Options: []discordtest.CommandOption{{Name: "question", Value: "two?"}}})
	msgs := second.WaitReply(t, wait)
	if last := msgs[len(msgs)-1]; !last.Ephemeral() || !strings.Contains(last.Content, "many questions") {
		t.Errorf("second question: %+v, want a busy message", msgs)
	}
	close(release)
	first.WaitReply(t, wait)
}

func TestNoFeedbackPathNoButtons(t *testing.T) {
	t.Parallel()
	p := &fakePipeline{ask: func(_ context.Context, q string, _ rag.SearchOptions) (rag.Answer, error) { return answerFor(q), nil }}
	h := start(t, p, 0, func(c *bot.Config) { c.FeedbackPath = "" })
	ix := h.srv.SendCommand(t, discordtest.Command{Name: "ask", Options: []discordtest.CommandOption{{Name: "question", Value: "q?"}}})
	if msgs := ix.WaitReply(t, wait); len(msgs[0].CustomIDs()) != 0 {
		t.Errorf("buttons without a feedback file: %v", msgs[0].CustomIDs())
	}
}

func TestDirectMessagesNeedNoMention(t *testing.T) {
	t.Parallel()
	p := &fakePipeline{ask: func(_ context.Context, q string, _ rag.SearchOptions) (rag.Answer, error) { return answerFor(q), nil }}
	h := start(t, p, 0, nil)
	dm := h.srv.SendMessage(t, discordtest.UserMessage{Content: "c'est quoi Log4Shell ?", GuildID: "-", ChannelID: "600000000000000001"})
	if replies := waitReplies(t, h.srv, dm.ID); len(replies[0].Embeds) != 1 {
		t.Errorf("DM reply = %+v", replies)
	}
	empty := h.srv.SendMessage(t, discordtest.UserMessage{Content: "<@" + h.srv.ApplicationID() + ">", MentionBot: true})
	if replies := waitReplies(t, h.srv, empty.ID); !strings.Contains(replies[0].Content, "Ask me a question after the mention") {
		t.Errorf("bare mention reply = %+v, want help", replies)
	}
}

func TestRecordedInteractionThroughDiscordgo(t *testing.T) {
	t.Parallel()
	p := &fakePipeline{ask: func(_ context.Context, q string, _ rag.SearchOptions) (rag.Answer, error) { return answerFor(q), nil }}
	h := start(t, p, 0, nil)
	payload, err := os.ReadFile(filepath.Join("testdata", "interactions", "ask_fr_source_since.json"))
	if err != nil {
		t.Fatal(err)
	}
	ix := h.srv.SendInteraction(t, payload)
	msgs := ix.WaitReply(t, wait)
	if len(msgs) != 1 || msgs[0].Embeds[0].Title != "Qui a exploité Log4Shell ?" || !strings.Contains(msgs[0].Text(), "Construit à partir des articles cités") {
		t.Errorf("reply = %+v", msgs)
	}
	calls := p.Calls()
	if len(calls) != 2 || calls[1].Opts.Source != "LeMagIT" || calls[1].Opts.Since.IsZero() {
		t.Errorf("calls = %+v", calls)
	}
}

func TestConfigLogValueHidesToken(t *testing.T) {
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "bot", bot.Config{Token: "secret-token", GuildID: "123456789"})
	if strings.Contains(buf.String(), "secret-token") || !strings.Contains(buf.String(), "token_set=true") {
		t.Errorf("logged %s", buf.String())
	}
}

func TestReconnectsAfterGatewayDrop(t *testing.T) {
	t.Parallel()
	p := &fakePipeline{ask: func(_ context.Context, q string, _ rag.SearchOptions) (rag.Answer, error) { return answerFor(q), nil }}
	h := start(t, p, 0, nil)
	h.srv.DropGateway()
	h.srv.WaitResumed(t, wait, 1)
	ix := h.srv.SendCommand(t, discordtest.Command{Name: "ask", Options: []discordtest.CommandOption{{Name: "question", Value: "still there?"}}})
	if msgs := ix.WaitReply(t, wait); len(msgs[0].Embeds) != 1 {
		t.Errorf("after a reconnect: %+v", msgs)
	}
	h.waitLog(t, "gateway disconnected")
	h.waitLog(t, "gateway session resumed")
}

func TestPostDigest(t *testing.T) {
	t.Parallel()
	b, err := bot.New(bot.Config{Token: "t"}, &fakePipeline{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.PostDigest(t.Context(), "400000000000000009", digest.Digest{}); !errors.Is(err, bot.ErrNotConnected) {
		t.Errorf("PostDigest before Run = %v, want ErrNotConnected", err)
	}

	h := start(t, &fakePipeline{}, 0, nil)
	h.waitLog(t, "connected")
	d := digest.Digest{Header: "Veille du mardi 24 novembre 2026 — 41 articles", Lang: "fr", More: 1}
	for i := range 40 {
		d.Entries = append(d.Entries, digest.Entry{Title: fmt.Sprintf("Story %d @everyone", i), URL: fmt.Sprintf("https://example.org/%d", i),
			Source: "LeMagIT", Date: published, Summary: strings.Repeat("A long summary sentence about the incident. ", 6),
			Also: []digest.Link{{Title: "Other", URL: "https://example.org/o", Source: "ZDNet"}}})
	}
	if err := h.bot.PostDigest(t.Context(), "400000000000000009", d); err != nil {
		t.Fatal(err)
	}
	posted, err := h.bot.DigestPosted(t.Context(), "400000000000000009", digest.Run{At: time.Now().Add(-time.Second)})
	if err != nil || !posted {
		t.Errorf("DigestPosted after posting = %v, %v; want true", posted, err)
	}
	if posted, err := h.bot.DigestPosted(t.Context(), "400000000000000008", digest.Run{At: time.Now().Add(-time.Second)}); err != nil || posted {
		t.Errorf("DigestPosted on another channel = %v, %v; want false", posted, err)
	}
	var text strings.Builder
	var n int
	for _, m := range h.srv.Messages() {
		if m.ChannelID == "400000000000000009" {
			n++
			text.WriteString(m.Text())
		}
	}
	if n < 2 {
		t.Errorf("%d messages, want the 40 stories split over several", n)
	}
	for _, want := range []string{"Veille du mardi 24 novembre 2026", "**40.** [Story 39 @\u200beveryone](https://example.org/39) — LeMagIT, 31 mars 2022",
		"↳ Voir aussi : [Other](https://example.org/o) (ZDNet)", "… et 1 autre sujet"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("digest lacks %q", want)
		}
	}
}

func TestRunExplainsGatewayRefusals(t *testing.T) {
	t.Parallel()
	closed := func(t *testing.T) string { // a port nothing listens on
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr
	}
	refusing := func(t *testing.T) string { // a REST proxy refusing the token
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"message": "401: Unauthorized", "code": 0}`)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	tests := []struct {
		name  string
		opts  []discordtest.Option
		token string
		base  func(t *testing.T) string // "" : the fake Discord
		want  []string
		not   []string
	}{
		{name: "bad token", token: "wrong", want: []string{"close 4004", "check DISCORD_TOKEN", "DISCORD_API_BASE"}},
		{name: "message content intent off", opts: []discordtest.Option{discordtest.WithoutPrivilegedIntents()},
			want: []string{"enable the Message Content intent"}},
		{name: "401 from the REST API", base: refusing, want: []string{"401", "check DISCORD_TOKEN", "DISCORD_API_BASE"}},
		{name: "API base not running", base: closed, want: []string{"/api/v", "connection refused", "check DISCORD_API_BASE"},
			not: []string{"discord.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := discordtest.NewServer(t, tt.opts...)
			token, base := tt.token, srv.URL
			if token == "" {
				token = srv.Token()
			}
			if tt.base != nil {
				base = tt.base(t)
			}
			b, err := bot.New(bot.Config{Token: token, APIBase: base}, &fakePipeline{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), wait)
			defer cancel()
			err = b.Run(ctx)
			t.Logf("Run = %v", err)
			if err == nil {
				t.Fatal("Run = nil, want an error")
			}
			if tt.base != nil {
				tt.want = append(tt.want, strings.TrimPrefix(base, "http://")) // names the host dialled
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Run = %v, want an error saying %q", err, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("Run = %v, names %q", err, n)
				}
			}
		})
	}
}

func TestMentionRateLimited(t *testing.T) {
	t.Parallel()
	p := &fakePipeline{ask: func(_ context.Context, q string, _ rag.SearchOptions) (rag.Answer, error) { return answerFor(q), nil }}
	h := start(t, p, 0, func(c *bot.Config) { c.UserRate = 1 })
	mention := "<@" + h.srv.ApplicationID() + "> "
	first := h.srv.SendMessage(t, discordtest.UserMessage{Content: mention + "qui a exploité Log4Shell ?", MentionBot: true})
	waitReplies(t, h.srv, first.ID)
	second := h.srv.SendMessage(t, discordtest.UserMessage{Content: mention + "et quand ?", MentionBot: true})
	reply := waitReplies(t, h.srv, second.ID)[0]
	if !strings.Contains(reply.Content, "Doucement") || !reply.MentionsDisabled() {
		t.Errorf("second mention: %+v, want a polite French refusal", reply)
	}
	if calls := p.Calls(); len(calls) != 1 {
		t.Errorf("pipeline called %d times, want once", len(calls))
	}
}
