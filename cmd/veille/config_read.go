package main

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// envReader reads variables and collects every problem, so that start-up
// reports them all at once.
type envReader struct {
	getenv func(string) string
	errs   []error
}

func (r *envReader) get(name string) string { return strings.TrimSpace(r.getenv(name)) }

func (r *envReader) bad(name, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

// duration reads name as a duration of at least least, def when unset;
// example is shown when it is not one.
func (r *envReader) duration(name string, def, least time.Duration, example string) time.Duration {
	v := r.get(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < least {
		if least <= time.Nanosecond {
			r.bad(name, "%q is not a positive duration (e.g. %s)", v, example)
		} else {
			r.bad(name, "%q is not a duration of at least %s (e.g. %s)", v, shortDuration(least), example)
		}
		return def
	}
	return d
}

// shortDuration writes whole minutes as "1m" rather than "1m0s".
func shortDuration(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// model reads the chat model's settings.
func (r *envReader) model(c *Config) {
	c.LLMTimeout = r.duration("LLM_TIMEOUT", 60*time.Second, time.Nanosecond, "60s")
	c.LLMDeadline = r.duration("LLM_DEADLINE", 30*time.Second, time.Nanosecond, "30s")
	if c.LLMBaseURL != "" && c.LLMModel == "" {
		r.bad("LLM_MODEL", "required when LLM_BASE_URL is set")
	}
}

// embedder reads the embedder's settings.
func (r *envReader) embedder(c *Config) {
	c.EmbedDim = 2048
	if v := r.get("EMBED_DIM"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 64 || n > 8192 || n&(n-1) != 0 {
			r.bad("EMBED_DIM", "%q is not a power of two between 64 and 8192", v)
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
			r.bad("EMBED_MODEL", "required when EMBED_PROVIDER=%s", c.EmbedProvider)
		}
		if c.EmbedProvider == "openai" && c.EmbedBaseURL == "" {
			c.EmbedBaseURL = "https://api.openai.com/v1"
		}
		if c.EmbedProvider == "ollama" && c.EmbedBaseURL == "" {
			c.EmbedBaseURL = "http://localhost:11434/v1"
		}
	default:
		r.bad("EMBED_PROVIDER", "%q is not one of local, openai, ollama", c.EmbedProvider)
	}
}

// feeds reads the operator's feeds and how servers' additions are shared.
func (r *envReader) feeds(c *Config) {
	for _, f := range strings.Split(r.get("FEEDS"), ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !isHTTPURL(f) {
			r.bad("FEEDS", "%q is not an http(s) URL", f)
			continue
		}
		c.Feeds = append(c.Feeds, f)
	}
	c.FeedRefresh = r.duration("FEED_REFRESH", 30*time.Minute, time.Minute, "30m")
	switch v := strings.ToLower(r.get("SHARE_SERVER_SOURCES")); v {
	case "", "false", "0", "no", "off":
	case "true", "1", "yes", "on":
		c.ShareSources = true
	default:
		r.bad("SHARE_SERVER_SOURCES", "%q is not true or false", v)
	}
}

// digest reads when and where the daily digest is posted.
func (r *envReader) digest(c *Config) {
	if c.DigestTime == "" {
		c.DigestTime = "08:00"
	} else if _, err := time.Parse("15:04", c.DigestTime); err != nil {
		r.bad("DIGEST_TIME", "%q is not a time of day HH:MM", c.DigestTime)
	}
	tz := r.get("DIGEST_TZ")
	if tz == "" {
		tz = "Europe/Paris"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		r.bad("DIGEST_TZ", "%q is not an IANA time zone (e.g. Europe/Paris)", tz)
	}
	c.DigestTZ = loc
}

// logging reads the log level and format.
func (r *envReader) logging(c *Config) {
	switch v := strings.ToLower(r.get("LOG_LEVEL")); v {
	case "", "info":
		c.LogLevel = slog.LevelInfo
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		r.bad("LOG_LEVEL", "%q is not one of debug, info, warn, error", v)
	}
	switch c.LogFormat {
	case "":
		c.LogFormat = "text"
	case "text", "json":
	default:
		r.bad("LOG_FORMAT", "%q is not text or json", c.LogFormat)
	}
}
