package main

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // digests use IANA zones even on hosts without zone files
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
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }

	c := Config{
		DataDir:         get("VEILLE_DATA_DIR"),
		DiscordToken:    secret(get("DISCORD_TOKEN")),
		DiscordGuildID:  get("DISCORD_GUILD_ID"),
		DiscordAPIBase:  get("DISCORD_API_BASE"),
		LLMBaseURL:      get("LLM_BASE_URL"),
		LLMAPIKey:       secret(get("LLM_API_KEY")),
		LLMModel:        get("LLM_MODEL"),
		EmbedProvider:   strings.ToLower(get("EMBED_PROVIDER")),
		EmbedBaseURL:    get("EMBED_BASE_URL"),
		EmbedModel:      get("EMBED_MODEL"),
		EmbedAPIKey:     secret(get("EMBED_API_KEY")),
		DigestChannelID: get("DIGEST_CHANNEL_ID"),
		DigestTime:      get("DIGEST_TIME"),
		LogFormat:       strings.ToLower(get("LOG_FORMAT")),
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
			bad(u.name, "%q is not an http(s) URL", u.val)
		}
	}
	if c.DiscordGuildID != "" && !isSnowflake(c.DiscordGuildID) {
		bad("DISCORD_GUILD_ID", "%q is not a Discord ID (digits)", c.DiscordGuildID)
	}
	if c.DigestChannelID != "" && !isSnowflake(c.DigestChannelID) {
		bad("DIGEST_CHANNEL_ID", "%q is not a Discord ID (digits)", c.DigestChannelID)
	}
	c.LLMTimeout = 60 * time.Second
	if v := get("LLM_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			bad("LLM_TIMEOUT", "%q is not a positive duration (e.g. 60s)", v)
		} else {
			c.LLMTimeout = d
		}
	}
	c.LLMDeadline = 30 * time.Second
	if v := get("LLM_DEADLINE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			bad("LLM_DEADLINE", "%q is not a positive duration (e.g. 30s)", v)
		} else {
			c.LLMDeadline = d
		}
	}
	if c.LLMBaseURL != "" && c.LLMModel == "" {
		bad("LLM_MODEL", "required when LLM_BASE_URL is set")
	}
	c.EmbedDim = 2048
	if v := get("EMBED_DIM"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 64 || n > 8192 || n&(n-1) != 0 {
			bad("EMBED_DIM", "%q is not a power of two between 64 and 8192", v)
		} else {
			c.EmbedDim = n
		}
	}
	switch c.EmbedProvider {
	case "":
		c.EmbedProvider = "local"
	case "local":
	case "openai", "ollama":
		if c.EmbedModel == "" {
			bad("EMBED_MODEL", "required when EMBED_PROVIDER=%s", c.EmbedProvider)
		}
		if c.EmbedProvider == "openai" && c.EmbedBaseURL == "" {
			c.EmbedBaseURL = "https://api.openai.com/v1"
		}
		if c.EmbedProvider == "ollama" && c.EmbedBaseURL == "" {
			c.EmbedBaseURL = "http://localhost:11434/v1"
		}
	default:
		bad("EMBED_PROVIDER", "%q is not one of local, openai, ollama", c.EmbedProvider)
	}
	for _, f := range strings.Split(get("FEEDS"), ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !isHTTPURL(f) {
			bad("FEEDS", "%q is not an http(s) URL", f)
			continue
		}
		c.Feeds = append(c.Feeds, f)
	}
	c.FeedRefresh = 30 * time.Minute
	if v := get("FEED_REFRESH"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			bad("FEED_REFRESH", "%q is not a duration of at least 1m (e.g. 30m)", v)
		} else {
			c.FeedRefresh = d
		}
	}
	switch v := strings.ToLower(get("SHARE_SERVER_SOURCES")); v {
	case "", "false", "0", "no", "off":
	case "true", "1", "yes", "on":
		c.ShareSources = true
	default:
		bad("SHARE_SERVER_SOURCES", "%q is not true or false", v)
	}
	if c.DigestTime == "" {
		c.DigestTime = "08:00"
	} else if _, err := time.Parse("15:04", c.DigestTime); err != nil {
		bad("DIGEST_TIME", "%q is not a time of day HH:MM", c.DigestTime)
	}
	tz := get("DIGEST_TZ")
	if tz == "" {
		tz = "Europe/Paris"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		bad("DIGEST_TZ", "%q is not an IANA time zone (e.g. Europe/Paris)", tz)
	}
	c.DigestTZ = loc
	switch v := strings.ToLower(get("LOG_LEVEL")); v {
	case "", "info":
		c.LogLevel = slog.LevelInfo
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		bad("LOG_LEVEL", "%q is not one of debug, info, warn, error", v)
	}
	switch c.LogFormat {
	case "":
		c.LogFormat = "text"
	case "text", "json":
	default:
		bad("LOG_FORMAT", "%q is not text or json", c.LogFormat)
	}
	if len(errs) > 0 {
		return Config{}, &configError{errs: errs}
	}
	return c, nil
}
