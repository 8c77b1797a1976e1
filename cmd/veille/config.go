package main

import (
	"log/slog"
	"strings"
	"time"
	_ "time/tzdata" // digests use IANA zones even on hosts without zone files

	"github.com/veille/veille/bot"
)

// Config is everything Veille reads from the environment (and .env).
// Only this package reads it; packages below get plain values.
type Config struct {
	DataDir string

	DiscordToken   secret
	DiscordGuildID string
	DiscordAPIBase string

	LLMBaseURL string
	LLMAPIKey  secret
	LLMModel   string
	LLMTimeout time.Duration
	// LLMDeadline bounds a command line run's total time with the model,
	// retries included, before it answers extractively.
	LLMDeadline time.Duration

	EmbedProvider string // local, openai, ollama
	EmbedBaseURL  string
	EmbedModel    string
	EmbedAPIKey   secret
	EmbedDim      int // local embedder's dimension

	Feeds       []string
	FeedRefresh time.Duration
	// ShareSources lets every Discord server read what any server added
	// with /feeds add (SHARE_SERVER_SOURCES); off, each server sees the
	// operator's sources and its own additions only.
	ShareSources bool

	DigestChannelID string
	DigestTime      string // HH:MM
	DigestTZ        *time.Location

	LogLevel  slog.Level
	LogFormat string // text or json
}

// secret is a string that never prints.
type secret string

func (s secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// LogValue keeps secrets out of structured logs.
func (s secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// LogValue logs the configuration without its secrets.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("data_dir", c.DataDir),
		slog.Bool("discord_token_set", c.DiscordToken != ""),
		slog.String("llm_base_url", c.LLMBaseURL),
		slog.String("llm_model", c.LLMModel),
		slog.String("embed_provider", c.EmbedProvider),
		slog.String("embed_model", c.EmbedModel),
		slog.Int("feeds", len(c.Feeds)),
		slog.Bool("share_server_sources", c.ShareSources),
	)
}

// loadConfig reads the configuration through getenv and reports every
// problem at once.
func loadConfig(getenv func(string) string) (Config, error) {
	r := &envReader{getenv: getenv}
	c := Config{
		DataDir:         r.get("VEILLE_DATA_DIR"),
		DiscordToken:    secret(r.get("DISCORD_TOKEN")),
		DiscordGuildID:  r.get("DISCORD_GUILD_ID"),
		DiscordAPIBase:  r.get("DISCORD_API_BASE"),
		LLMBaseURL:      r.get("LLM_BASE_URL"),
		LLMAPIKey:       secret(r.get("LLM_API_KEY")),
		LLMModel:        r.get("LLM_MODEL"),
		EmbedProvider:   strings.ToLower(r.get("EMBED_PROVIDER")),
		EmbedBaseURL:    r.get("EMBED_BASE_URL"),
		EmbedModel:      r.get("EMBED_MODEL"),
		EmbedAPIKey:     secret(r.get("EMBED_API_KEY")),
		DigestChannelID: r.get("DIGEST_CHANNEL_ID"),
		DigestTime:      r.get("DIGEST_TIME"),
		LogFormat:       strings.ToLower(r.get("LOG_FORMAT")),
	}
	if c.DataDir == "" {
		c.DataDir = ".veille"
	}
	for _, u := range []struct{ name, val string }{
		{"DISCORD_API_BASE", c.DiscordAPIBase},
		{"LLM_BASE_URL", c.LLMBaseURL},
		{"EMBED_BASE_URL", c.EmbedBaseURL},
	} {
		if u.val != "" && !isHTTPURL(u.val) {
			r.bad(u.name, "%q is not an http(s) URL", u.val)
		}
	}
	if c.DiscordGuildID != "" && !bot.IsSnowflake(c.DiscordGuildID) {
		r.bad("DISCORD_GUILD_ID", "%q is not a Discord ID (digits)", c.DiscordGuildID)
	}
	if c.DigestChannelID != "" && !bot.IsSnowflake(c.DigestChannelID) {
		r.bad("DIGEST_CHANNEL_ID", "%q is not a Discord ID (digits)", c.DigestChannelID)
	}
	r.model(&c)
	r.embedder(&c)
	r.feeds(&c)
	r.digest(&c)
	r.logging(&c)
	if len(r.errs) > 0 {
		return Config{}, &configError{errs: r.errs}
	}
	return c, nil
}
