package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/google/go-cmp/cmp"

	"github.com/veille/veille/bot/digest"
	"github.com/veille/veille/rag"
)

// stubPipeline is a Pipeline of function fields that records its calls.
type stubPipeline struct {
	ask    func(q string, opts rag.SearchOptions) (rag.Answer, error)
	search func(q string, opts rag.SearchOptions) ([]rag.Hit, error)
	latest func(n int) ([]rag.ArticleInfo, error)
	stats  func() (rag.Stats, error)

	mu    sync.Mutex
	calls []string
}

var _ Pipeline = (*stubPipeline)(nil)

func (s *stubPipeline) record(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, fmt.Sprintf(format, args...))
}

func (s *stubPipeline) Ask(_ context.Context, q string, opts rag.SearchOptions) (rag.Answer, error) {
	s.record("Ask(%q, source=%q, since=%s, context=%q)", q, opts.Source, date(opts.Since), opts.Context)
	return s.ask(q, opts)
}

func (s *stubPipeline) Search(_ context.Context, q string, opts rag.SearchOptions) ([]rag.Hit, error) {
	s.record("Search(%q, source=%q, since=%s)", q, opts.Source, date(opts.Since))
	return s.search(q, opts)
}

func (s *stubPipeline) LatestIn(_ context.Context, _ rag.Scope, n int) ([]rag.ArticleInfo, error) {
	s.record("Latest(%d)", n)
	return s.latest(n)
}

func (s *stubPipeline) StatsIn(context.Context, rag.Scope) (rag.Stats, error) {
	s.record("Stats()")
	return s.stats()
}

func date(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format("2006-01-02")
}

var (
	testNow  = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	testDate = time.Date(2022, 3, 31, 8, 0, 0, 0, time.UTC)
)

// stubDigest is an in-memory DigestControl that records its calls with
// the pipeline's, so that handler goldens show them in order.
type stubDigest struct {
	p  *stubPipeline
	mu sync.Mutex
	// set holds the configured channels; defaultChannel gets a digest
	// without being configured, like DIGEST_CHANNEL_ID.
	set            map[string]digest.Settings
	defaultChannel string
}

var _ DigestControl = (*stubDigest)(nil)

func (s *stubDigest) defaults(ch string) digest.Settings {
	return digest.Settings{ChannelID: ch, At: "08:00", Lang: "fr"}
}

func (s *stubDigest) Settings(_ context.Context, ch string) (digest.Settings, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if set, ok := s.set[ch]; ok {
		return set, true
	}
	return s.defaults(ch), ch == s.defaultChannel
}

func (s *stubDigest) Preview(_ context.Context, ch string) (digest.Digest, error) {
	s.p.record("Digest.Preview(%s)", ch)
	return digest.Digest{Header: "Veille du mardi 24 novembre 2026 — 1 article", Lang: "fr", Entries: []digest.Entry{{
		ID: "lemagit-1", Title: "Log4Shell : les attaques s'intensifient", URL: "https://www.lemagit.fr/actualites/log4shell",
		Source: "LeMagIT", Date: testDate, Summary: "Les premières exploitations ont été vues le 9 décembre."}}}, nil
}

func (s *stubDigest) PostNow(_ context.Context, ch string) error {
	s.p.record("Digest.PostNow(%s)", ch)
	return nil
}

func (s *stubDigest) Configure(_ context.Context, set digest.Settings) error {
	zone := "-"
	if set.Loc != nil {
		zone = set.Loc.String()
	}
	s.p.record("Digest.Configure(%s, at=%s, tz=%s, lang=%s, keywords=%q, sources=%q, post_empty=%v)",
		set.ChannelID, set.At, zone, set.Lang, set.Keywords, set.Sources, set.PostEmpty)
	if err := set.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set[set.ChannelID] = set
	return nil
}

func (s *stubDigest) Unconfigure(_ context.Context, ch string) error {
	s.p.record("Digest.Unconfigure(%s)", ch)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.set, ch)
	return nil
}

// stubFeeds is a FeedControl that answers by URL and records its calls
// with the pipeline's.
type stubFeeds struct{ p *stubPipeline }

var _ FeedControl = (*stubFeeds)(nil)

func (s *stubFeeds) Add(_ context.Context, _, u, by string) (SourceAdded, error) {
	s.p.record("Feeds.Add(%s, by=%s)", u, by)
	switch u {
	case "https://www.cert.ssi.gouv.fr/feed/":
		return SourceAdded{URL: u, Title: "CERT-FR – Alertes *et* avis", Added: 12, Updated: 1}, nil
	case "https://www.lemagit.fr/actualites/log4shell":
		return SourceAdded{URL: u, Title: "Log4Shell : les attaques s'intensifient", Page: true, Added: 1}, nil
	case "http://localhost:8080/feed", "https://rebind.example.net/feed":
		return SourceAdded{}, fmt.Errorf("%w: dial 127.0.0.1:8080", ErrPrivateURL)
	case "https://www.zataz.com/":
		return SourceAdded{}, &FeedSuggestionError{URL: u, Feeds: []string{"https://www.zataz.com/feed/", "https://www.zataz.com/comments/feed/"}}
	case "https://therecord.media/missing":
		return SourceAdded{}, &UnreadableSourceError{URL: u, Err: errors.New("feed https://therecord.media/missing: http status 404 Not Found")}
	case "https://example.org/rss":
		return SourceAdded{}, ErrFeedFollowed
	case "https://exemple-introuvable.fr/rss": // as Go reports a name that does not resolve
		return SourceAdded{}, &UnreadableSourceError{URL: u, Err: fmt.Errorf("feed %s: %w", u, &url.Error{Op: "Get", URL: u,
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "exemple-introuvable.fr",
				Server: "127.0.0.53:53", IsNotFound: true}}})}
	}
	return SourceAdded{}, errors.New("stub: unexpected URL")
}

func (s *stubFeeds) Remove(_ context.Context, _, u string) (bool, error) {
	s.p.record("Feeds.Remove(%s)", u)
	switch u {
	case "https://www.cert.ssi.gouv.fr/feed/":
		return true, nil
	case "https://example.org/rss":
		return false, ErrOperatorFeed
	}
	return false, nil
}

func (s *stubFeeds) Health(context.Context, string) ([]FeedHealth, error) {
	s.p.record("Feeds.Health()")
	return []FeedHealth{
		{URL: "https://example.org/rss", LastSuccess: testNow.Add(-20 * time.Minute)},
		{URL: "http://intranet.local/veille.xml", Failures: 4, LastSuccess: testNow.Add(-50 * time.Hour),
			LastError: "feed http://intranet.local/veille.xml: http status 503 Service Unavailable", NextAttempt: testNow.Add(80 * time.Minute)},
		{URL: "https://www.cert.ssi.gouv.fr/feed/", UserAdded: true, LastSuccess: testNow.Add(-5 * time.Minute)},
		{URL: "https://www.zataz.com/feed/", UserAdded: true},
	}, nil
}

// newTestBot returns a Bot with a fixed clock and predictable answer IDs,
// serving /digest over a stubDigest whose default channel is
// 400000000000000009 and /feeds over a stubFeeds.
func newTestBot(t *testing.T, p *stubPipeline) *Bot {
	t.Helper()
	dig := &stubDigest{p: p, set: map[string]digest.Settings{}, defaultChannel: "400000000000000009"}
	b, err := New(Config{Token: "token", FeedbackPath: filepath.Join(t.TempDir(), "votes.jsonl"),
		Now: func() time.Time { return testNow }, Digest: dig, Feeds: &stubFeeds{p: p}}, p)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	b.newID = func() string { n++; return fmt.Sprintf("ans%d", n) }
	return b
}

// indexFixture is what the stub pipeline knows.
func indexFixture() *stubPipeline {
	return &stubPipeline{
		ask: func(q string, opts rag.SearchOptions) (rag.Answer, error) {
			return rag.Answer{Question: q, Grounded: true,
				Text: "Des groupes liés à des États ont exploité Log4Shell dès décembre 2021 [1].\n\nLa CISA l'a ajoutée au catalogue KEV [2].",
				Citations: []rag.Citation{
					{N: 1, ArticleID: "lemagit-1", Title: "Log4Shell : les attaques *s'intensifient*", URL: "https://www.lemagit.fr/actualites/log4shell", Source: "LeMagIT", Published: testDate},
					{N: 2, ArticleID: "record-7", Title: "CISA adds Log4j [CVE-2021-44228] to KEV", URL: "https://therecord.media/cisa-kev-log4j", Source: "The Record"},
				}}, nil
		},
		search: func(q string, opts rag.SearchOptions) ([]rag.Hit, error) {
			return []rag.Hit{{ArticleID: "lemagit-1", Title: "Log4Shell : les attaques s'intensifient", URL: "https://www.lemagit.fr/actualites/log4shell",
				Source: "LeMagIT", Published: testDate, Score: 0.8, Passages: []rag.Passage{{Text: "Les premières exploitations\nont été vues le 9 décembre."}}}}, nil
		},
		latest: func(n int) ([]rag.ArticleInfo, error) {
			return []rag.ArticleInfo{
				{ID: "a", Title: "Patch Tuesday de novembre", URL: "https://example.org/pt", Source: "CERT-FR", Published: testNow.AddDate(0, 0, -1)},
				{ID: "b", Title: "Untitled?", URL: "javascript:alert(1)", Source: ""},
			}[:min(n, 2)], nil
		},
		stats: func() (rag.Stats, error) {
			return rag.Stats{Articles: 42, Chunks: 311, Sources: map[string]int{"LeMagIT": 20, "The Record": 15, "CERT-FR": 7},
				Newest: testDate, LastIngest: testNow.Add(-time.Hour), Embedder: "local/hashing-v1/512"}, nil
		},
	}
}

// handlerResult is what a golden file records of one handled interaction.
type handlerResult struct {
	Calls       []string  `json:"calls"`
	Messages    []message `json:"messages,omitempty"`
	Ephemeral   bool      `json:"ephemeral,omitempty"`
	Error       string    `json:"error,omitempty"`
	UserMessage string    `json:"user_message,omitempty"`
}

// TestHandlers replays interaction payloads from testdata/interactions
// through the command table and compares the replies with goldens.
func TestHandlers(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "interactions", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no interactions: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var i discordgo.Interaction
			if err := json.Unmarshal(raw, &i); err != nil {
				t.Fatal(err)
			}
			p := indexFixture()
			b := newTestBot(t, p)
			req := newRequest(&i)
			cmd, known := b.commands[i.ApplicationCommandData().Name]
			rep, err := b.runHandler(t.Context(), cmd, known, req)
			got := handlerResult{Calls: p.calls, Messages: rep.messages, Ephemeral: rep.ephemeral || cmd.ephemeral}
			if err != nil {
				got.Error = err.Error()
				got.UserMessage, _ = explain(err, req.lang)
			}
			golden(t, filepath.Join("handlers", name+".golden.json"), got)
		})
	}
}

var commandName = regexp.MustCompile(`^[-_\p{L}\p{N}]{1,32}$`)

// TestCommandTable checks that every registered definition has a handler
// and every handler a definition, and that names and descriptions are
// valid for Discord and localised in French.
func TestCommandTable(t *testing.T) {
	b := newTestBot(t, indexFixture())
	table := b.table
	if len(b.commands) != len(table) {
		t.Errorf("%d commands served for %d defined: duplicate names?", len(b.commands), len(table))
	}
	checkName := func(what, name string, loc map[discordgo.Locale]string, desc string, dloc map[discordgo.Locale]string) {
		t.Helper()
		for _, n := range []string{name, loc[discordgo.French]} {
			if !commandName.MatchString(n) || strings.ToLower(n) != n {
				t.Errorf("%s: name %q is not a valid lower-case command name", what, n)
			}
		}
		for _, d := range []string{desc, dloc[discordgo.French]} {
			if n := runeLen(d); n < 1 || n > 100 {
				t.Errorf("%s: description %q has %d characters, want 1–100", what, d, n)
			}
		}
	}
	for _, c := range table {
		if c.handle == nil {
			t.Errorf("command %s has no handler", c.def.Name)
		}
		if served, ok := b.commands[c.def.Name]; !ok || served.def != c.def {
			t.Errorf("command %s is defined but not served", c.def.Name)
		}
		if c.admin != (c.def.DefaultMemberPermissions != nil) {
			t.Errorf("command %s: admin flag and default_member_permissions disagree", c.def.Name)
		}
		var loc, dloc map[discordgo.Locale]string
		if c.def.NameLocalizations != nil {
			loc = *c.def.NameLocalizations
		}
		if c.def.DescriptionLocalizations != nil {
			dloc = *c.def.DescriptionLocalizations
		}
		checkName("/"+c.def.Name, c.def.Name, loc, c.def.Description, dloc)
		var checkOptions func(path string, opts []*discordgo.ApplicationCommandOption)
		checkOptions = func(path string, opts []*discordgo.ApplicationCommandOption) {
			if len(opts) > 25 {
				t.Errorf("%s: %d options, Discord allows 25", path, len(opts))
			}
			for _, o := range opts {
				checkName(path+" "+o.Name, o.Name, o.NameLocalizations, o.Description, o.DescriptionLocalizations)
				for _, ch := range o.Choices {
					if ch.NameLocalizations[discordgo.French] == "" {
						t.Errorf("%s %s: choice %q has no French name", path, o.Name, ch.Name)
					}
				}
				checkOptions(path+" "+o.Name, o.Options)
			}
		}
		checkOptions("/"+c.def.Name, c.def.Options)
	}
	for name, c := range b.commands {
		if c.def.Name != name {
			t.Errorf("handler %s serves definition %s", name, c.def.Name)
		}
	}
}

func TestExplain(t *testing.T) {
	tests := []struct {
		err  error
		lang lang
		want string
	}{
		{invalid("question", txtLongQuestion, 1200, 1000), french, "Votre question est trop longue (1200 caractères) ; 1000 au maximum, s'il vous plaît."},
		{&rateLimitError{retry: 1500 * time.Millisecond}, english, "You're asking quickly! Please wait 2 s before the next question."},
		{fmt.Errorf("ask: %w", context.DeadlineExceeded), english, "That took too long; please try again, or narrow the question."},
		{fmt.Errorf("search: %w", &rag.UnknownSourceError{Source: "X", Known: []string{"A", "B"}}), english, "I don't know the source “X”. Known sources: A, B."},
		{fmt.Errorf("ask: %w", rag.ErrEmptyQuery), french, "Écrivez une question : celle-ci est vide."},
		{errBusy, english, "I'm answering many questions right now; please try again in a moment."},
		{errors.New("secret internal detail"), english, "Something went wrong while answering; please try again later."},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			if got, _ := explain(tt.err, tt.lang); got != tt.want {
				t.Errorf("explain = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestGuessLang(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want lang
	}{
		{"qui a exploité Log4Shell ?", french},
		{"et Meta ?", french},
		{"quand ?", french},
		{"c'est quoi le ransomware LockBit", french},
		{"what is Log4Shell?", english},
		{"who exploited it and when", english},
		{"CVE-2021-44228", english},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := guessLang(tt.text); got != tt.want {
				t.Errorf("guessLang(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

func TestAdminCommandsAreRecheckedServerSide(t *testing.T) {
	b := newTestBot(t, indexFixture())
	called := false
	admin := command{admin: true, handle: func(context.Context, request) (reply, error) {
		called = true
		return reply{messages: []message{{Content: "ok"}}}, nil
	}}
	if _, err := b.runHandler(t.Context(), admin, true, request{permissions: discordgo.PermissionSendMessages}); !errors.Is(err, errAdminOnly) || called {
		t.Errorf("member without Manage Server: err = %v, called = %v", err, called)
	}
	if _, err := b.runHandler(t.Context(), admin, true, request{permissions: discordgo.PermissionManageGuild}); err != nil || !called {
		t.Errorf("member with Manage Server: err = %v, called = %v", err, called)
	}
}

func TestSourceChoices(t *testing.T) {
	sources := map[string]int{"LeMagIT": 3, "The Record": 9, "ZATAZ": 1, "Le Monde Informatique": 5, "BleepingComputer": 20}
	tests := []struct {
		typed string
		want  []string
	}{
		{"", []string{"BleepingComputer", "The Record", "Le Monde Informatique", "LeMagIT", "ZATAZ"}},
		{"le", []string{"Le Monde Informatique", "LeMagIT", "BleepingComputer"}},
		{"RECORD", []string{"The Record"}},
		{"nothing", []string{}},
	}
	for _, tt := range tests {
		t.Run("typed "+tt.typed, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, sourceChoices(sources, tt.typed)); diff != "" {
				t.Errorf("sourceChoices(%q) (-want +got):\n%s", tt.typed, diff)
			}
		})
	}
}
