// Package bot is Veille's Discord face: the command table, the router that
// defers and edits interactions, the handlers, and Discord formatting limits.
// It is the only package that imports discordgo.
//
// Members ask with /ask, /search, /latest and /sources, or by mentioning
// the bot; a reply to an answer, or a message in the thread under it, is a
// follow-up that carries the earlier exchange. Every answer gets 👍/👎
// buttons whose votes are appended to a JSONL file. With a Pipeline that
// streams (AskStream), /ask shows the answer as it is written, then the
// checked answer with its sources. PostDigest and
// DigestPosted let the digest scheduler post through the same session;
// admins (Manage Server) post, preview and configure a channel's digest
// with /digest when Config.Digest is set, and add or remove the feeds
// Veille reads with /feeds when Config.Feeds is (their health shows in
// /sources).
//
// # Discord setup
//
// The application needs a bot user whose token is Config.Token, and the
// Message Content privileged intent enabled in the Developer Portal: the
// bot reads follow-up questions in threads under its answers and replies
// that do not mention it (mentions and direct messages carry their text
// without the intent, but Discord refuses the whole connection, close code
// 4014, when an intent asked for is not enabled). It is invited with the
// scopes bot and applications.commands and the permissions View Channels,
// Send Messages, Send Messages in Threads, Embed Links and Read Message
// History (274877991936). Commands are registered at start-up from the
// command table: on Config.GuildID at once during development, globally
// otherwise.
package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/veille/veille/rag"
)

// Answerer answers a question from the articles: /ask, mentions and
// follow-ups. One that can also stream the answer is a streamer.
type Answerer interface {
	Ask(ctx context.Context, question string, opts rag.SearchOptions) (rag.Answer, error)
}

// Library looks articles up without writing an answer: /search, /latest,
// /sources and the source autocomplete.
type Library interface {
	Search(ctx context.Context, query string, opts rag.SearchOptions) ([]rag.Hit, error)
	LatestIn(ctx context.Context, scope rag.Scope, n int) ([]rag.ArticleInfo, error)
	StatsIn(ctx context.Context, scope rag.Scope) (rag.Stats, error)
}

// Pipeline is what the bot needs from the RAG core (answer.Engine is one):
// an Answerer and a Library.
type Pipeline interface {
	Answerer
	Library
}

// Defaults for the zero values of Config.
const (
	DefaultUserRate        = 5 // questions per minute per user
	DefaultMaxConcurrent   = 4
	DefaultAnswerTimeout   = 90 * time.Second
	DefaultShutdownTimeout = 10 * time.Second
)

// The gateway intents the bot asks for. Message Content is privileged (it
// must be enabled in the developer portal): without it, messages in a
// thread under an answer that do not mention the bot arrive empty.
const intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages |
	discordgo.IntentsDirectMessages | discordgo.IntentsMessageContent

// Config is how the bot runs. Zero values mean defaults.
type Config struct {
	Token   string // bot token, with or without the "Bot " prefix
	GuildID string // register commands on this guild only (development); "" = globally
	// APIBase sends the REST API elsewhere, e.g. to a rate-limit proxy or a
	// fake: https://discord.com/api/v10/x goes to APIBase+"/api/v10/x".
	// "" means Discord itself.
	APIBase string
	// HTTPClient makes the REST calls; its transport should honour
	// HTTPS_PROXY (http.DefaultTransport does). nil means a default client.
	HTTPClient    *http.Client
	Logger        *slog.Logger
	UserRate      int           // questions per minute per user
	MaxConcurrent int           // answers computed at once
	AnswerTimeout time.Duration // per answer, pipeline included
	// ShutdownTimeout bounds how long Run waits for in-flight answers once
	// its context is done before cancelling them.
	ShutdownTimeout time.Duration
	FeedbackPath    string // JSONL file for 👍/👎 votes; "" hides the buttons
	// Digest, when set, serves the admin command /digest (now, preview,
	// config) over the daily digest; nil leaves the command out.
	Digest DigestControl
	// StreamInterval is the least time between two edits of an /ask
	// reply while a streaming Pipeline (one with AskStream) writes it;
	// default DefaultStreamInterval.
	StreamInterval time.Duration
	// Feeds, when set, serves the admin command /feeds (add, remove) and
	// adds the feeds' health to /sources; nil leaves both out.
	Feeds FeedControl
	// ShareSources lets every server read the articles of the feeds and
	// pages any server added. False keeps each server to the operator's
	// articles and its own additions (see rag.Scope).
	ShareSources bool
	Now          func() time.Time
}

// LogValue logs the configuration without the token.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("token_set", c.Token != ""),
		slog.String("guild_id", c.GuildID),
		slog.String("api_base", c.APIBase),
		slog.Int("user_rate", c.UserRate),
		slog.Int("max_concurrent", c.MaxConcurrent),
		slog.Duration("answer_timeout", c.AnswerTimeout),
		slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.String("feedback_path", c.FeedbackPath),
		slog.Bool("digest_command", c.Digest != nil),
		slog.Bool("feeds_command", c.Feeds != nil),
		slog.Duration("stream_interval", c.StreamInterval),
		slog.Bool("share_sources", c.ShareSources),
	)
}

// Bot answers Discord interactions and mentions with a Pipeline.
type Bot struct {
	token           string
	guildID         string
	apiBase         *url.URL // nil: Discord itself
	client          *http.Client
	log             *slog.Logger
	answerer        Answerer
	library         Library
	answerTimeout   time.Duration
	shutdownTimeout time.Duration
	now             func() time.Time
	newID           func() string
	limiter         *userLimiter
	slots           semaphore
	feedback        *feedbackLog  // nil without FeedbackPath
	digest          DigestControl // nil without Config.Digest: no /digest
	feeds           FeedControl   // nil without Config.Feeds: no /feeds
	streamInterval  time.Duration
	shareSources    bool
	after           func(time.Duration) <-chan time.Time // time.After; a seam for tests
	memory          memory
	table           []command          // registered in this order
	commands        map[string]command // table by name
	running         atomic.Bool
	// session is the connected session while Run serves, for PostDigest.
	session atomic.Pointer[discordgo.Session]
}

// New checks cfg, reporting every problem at once, and returns a Bot ready to Run.
func New(cfg Config, p Pipeline) (*Bot, error) {
	var problems []error
	token := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(cfg.Token), "Bot "))
	if token == "" {
		problems = append(problems, errors.New("token is empty"))
	}
	if cfg.GuildID != "" && !IsSnowflake(cfg.GuildID) {
		problems = append(problems, fmt.Errorf("guild ID %q is not a Discord ID", cfg.GuildID))
	}
	var base *url.URL
	if cfg.APIBase != "" {
		u, err := url.Parse(cfg.APIBase)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			problems = append(problems, fmt.Errorf("API base %q is not an http(s) URL", cfg.APIBase))
		} else {
			base = u
		}
	}
	if cfg.UserRate < 0 {
		problems = append(problems, fmt.Errorf("user rate %d is negative", cfg.UserRate))
	}
	if cfg.MaxConcurrent < 0 {
		problems = append(problems, fmt.Errorf("max concurrent %d is negative", cfg.MaxConcurrent))
	}
	if cfg.AnswerTimeout < 0 {
		problems = append(problems, fmt.Errorf("answer timeout %v is negative", cfg.AnswerTimeout))
	}
	if cfg.StreamInterval < 0 {
		problems = append(problems, fmt.Errorf("stream interval %v is negative", cfg.StreamInterval))
	}
	if cfg.ShutdownTimeout < 0 {
		problems = append(problems, fmt.Errorf("shutdown timeout %v is negative", cfg.ShutdownTimeout))
	}
	if p == nil {
		problems = append(problems, errors.New("pipeline is nil"))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("bot config: %w", errors.Join(problems...))
	}

	b := &Bot{
		token:           token,
		guildID:         cfg.GuildID,
		apiBase:         base,
		client:          redirect(cfg.HTTPClient, base),
		log:             cfg.Logger,
		answerer:        p,
		library:         p,
		shareSources:    cfg.ShareSources,
		answerTimeout:   orDefault(cfg.AnswerTimeout, DefaultAnswerTimeout),
		shutdownTimeout: orDefault(cfg.ShutdownTimeout, DefaultShutdownTimeout),
		now:             cfg.Now,
		newID:           randomID,
		digest:          cfg.Digest,
		feeds:           cfg.Feeds,
		streamInterval:  orDefault(cfg.StreamInterval, DefaultStreamInterval),
		after:           time.After,
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	b.limiter = newUserLimiter(orDefault(cfg.UserRate, DefaultUserRate), b.now)
	b.slots = make(semaphore, orDefault(cfg.MaxConcurrent, DefaultMaxConcurrent))
	if cfg.FeedbackPath != "" {
		b.feedback = &feedbackLog{path: cfg.FeedbackPath}
	}
	b.table = b.commandTable()
	b.commands = map[string]command{}
	for _, c := range b.table {
		b.commands[c.def.Name] = c
	}
	return b, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// IsSnowflake reports whether s reads as a Discord ID (5 to 20 digits).
func IsSnowflake(s string) bool {
	if len(s) < 5 || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// randomID returns a short random answer ID for button custom IDs.
func randomID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Run connects to Discord, registers the commands (globally, or on
// Config.GuildID) with the application ID from READY, and serves until ctx
// is done. It then stops taking commands, waits up to ShutdownTimeout for
// in-flight answers before cancelling them, and closes the session.
// Reconnects are left to discordgo and logged. Run may be called once.
func (b *Bot) Run(ctx context.Context) error {
	if !b.running.CompareAndSwap(false, true) {
		return errors.New("bot: Run called twice")
	}
	s, err := discordgo.New("Bot " + b.token)
	if err != nil {
		return fmt.Errorf("create discord session: %w", err)
	}
	s.Client = b.client
	s.Identify.Intents = intents
	s.ShouldReconnectOnError = true

	// Work outlives ctx by up to ShutdownTimeout so that answers in
	// progress can still be delivered during shutdown.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	var inflight gate

	ready := make(chan *discordgo.Ready, 1)
	s.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) {
		select {
		case ready <- r:
		default:
		}
	})
	s.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
		if inflight.enter() {
			defer inflight.leave()
			b.onInteraction(work, s, ic.Interaction)
		}
	})
	s.AddHandler(func(s *discordgo.Session, m *discordgo.MessageCreate) {
		if inflight.enter() {
			defer inflight.leave()
			b.onMessage(work, s, m.Message)
		}
	})
	var closing atomic.Bool // set once we close the session ourselves
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Disconnect) {
		if !closing.Load() {
			b.log.Warn("gateway disconnected; discordgo reconnects")
		}
	})
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Resumed) {
		b.log.Info("gateway session resumed")
	})

	if err := s.Open(); err != nil {
		return fmt.Errorf("open discord gateway: %w%s", dialled(err, b.apiBase), b.hint(err))
	}
	err = b.serve(ctx, s, ready)

	// Whatever ended serving, shut down in order: no new commands, let
	// answers in flight finish (then cancel them), close the session.
	b.log.Info("shutting down", "err", err)
	inflight.shut()
	done := make(chan struct{})
	go func() {
		inflight.wait()
		close(done)
	}()
	timer := time.NewTimer(b.shutdownTimeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		b.log.Warn("cancelling answers still in progress", "timeout_ms", b.shutdownTimeout.Milliseconds())
		cancelWork()
		<-done
	}
	closing.Store(true)
	if cerr := s.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close discord session: %w", cerr))
	}
	return err
}

// serve waits for READY, registers the commands and serves until ctx is
// done; it returns nil when ctx ends it.
func (b *Bot) serve(ctx context.Context, s *discordgo.Session, ready <-chan *discordgo.Ready) error {
	var r *discordgo.Ready
	select {
	case r = <-ready:
	case <-ctx.Done():
		return nil
	}
	appID := ""
	if r.Application != nil {
		appID = r.Application.ID
	}
	if appID == "" && r.User != nil {
		appID = r.User.ID
	}
	defs := make([]*discordgo.ApplicationCommand, 0, len(b.table))
	for _, c := range b.table {
		defs = append(defs, c.def)
	}
	if _, err := s.ApplicationCommandBulkOverwrite(appID, b.guildID, defs, discordgo.WithContext(ctx)); err != nil {
		if ctx.Err() != nil { // shut down while registering
			return nil
		}
		return fmt.Errorf("register %d commands for application %s: %w%s", len(defs), appID, dialled(err, b.apiBase), b.hint(err))
	}
	b.log.Info("connected", "application_id", appID, "guild_id", b.guildID, "commands", len(defs))
	b.session.Store(s)
	defer b.session.Store(nil)
	<-ctx.Done()
	return nil
}

// hint explains the failures a misconfigured bot meets when connecting: a
// token refused (401 from the REST API, gateway close code 4004), an intent
// not enabled (close 4014), an API base that cannot be reached. discordgo
// returns the websocket library's error, which only its text identifies
// without importing that library here.
func (b *Bot) hint(err error) string {
	via := ""
	if b.apiBase != nil {
		via = fmt.Sprintf("; requests go to DISCORD_API_BASE %s", b.apiBase.Redacted())
	}
	var rest *discordgo.RESTError
	var ue *url.Error
	msg := err.Error()
	switch {
	case strings.Contains(msg, "close 4004"),
		errors.As(err, &rest) && rest.Response != nil && rest.Response.StatusCode == http.StatusUnauthorized:
		return " (the bot token was refused: check DISCORD_TOKEN" + via + ")"
	case strings.Contains(msg, "close 4014"):
		return " (enable the Message Content intent for the bot in the Discord Developer Portal, Bot tab)"
	case errors.As(err, &ue) && b.apiBase != nil:
		return fmt.Sprintf(" (check DISCORD_API_BASE %s: is that server running?)", b.apiBase.Redacted())
	}
	return ""
}

// gate counts event handlers in flight and refuses new ones once shut.
type gate struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

func (g *gate) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.wg.Add(1)
	return true
}

func (g *gate) leave() { g.wg.Done() }

func (g *gate) shut() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

func (g *gate) wait() { g.wg.Wait() }

// Scope is what a request from guild (empty: a direct message) may read:
// the operator's articles and the server's own additions, or everything
// when the operator shares every server's additions. The digest of a
// channel of guild reads the same.
func (b *Bot) Scope(guild string) rag.Scope {
	if b.shareSources {
		return rag.Scope{}
	}
	return rag.GuildScope(guild)
}
