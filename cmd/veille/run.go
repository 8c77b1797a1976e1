package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/veille/veille/rag"
	"github.com/veille/veille/rag/embed"
	"github.com/veille/veille/rag/llm"
)

const usageText = `Veille answers questions from news articles, citing them.

Usage:
  veille [--data-dir DIR] <command> [flags] [args]

Commands:
  ingest [PATH|URL ...]   index files, folders (.md, .txt, .html, .jsonl);
                          no argument: the bundled articles; URL: a web page
                          --feed URL|FILE.opml (repeatable) RSS/Atom/JSON feeds
                          --reindex rebuilds the index with the configured embedder
  ask    [--json] [-k N] [--source S] [--since D] QUESTION
                          answer with numbered, cited sources
  search [--json] [-k N] [--source S] [--since D] QUERY
                          matching articles, one row per article, best first
  digest [--since DURATION] [--json] [--lang fr|en]
                          what the daily digest would post now
  eval   --corpus FILE --questions FILE [-k N] [--predictions FILE] [--json]
                          retrieval quality: Recall@1/5/10 and MRR@10
  bot                     run the Discord bot (needs DISCORD_TOKEN); refreshes FEEDS
  version                 print the version

The data directory defaults to $VEILLE_DATA_DIR, else ./.veille.
Configuration comes from the environment and a .env file (see .env.example).
`

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// usageError is a mistake in how veille was called: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// app is what every command gets: configuration, logger and streams.
type app struct {
	cfg    Config
	log    *slog.Logger
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// newEmbedder builds the configured embedder; tests may replace it.
	newEmbedder func(Config) (rag.Embedder, error)
	// httpClient makes every outbound request; it honours HTTPS_PROXY.
	httpClient *http.Client
}

// run is the whole program but for process setup: testable end to end.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	global := flag.NewFlagSet("veille", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	dataDir := global.String("data-dir", "", "data directory (default $VEILLE_DATA_DIR or ./.veille)")
	help := global.Bool("help", false, "show help")
	global.BoolVar(help, "h", false, "show help")
	if err := global.Parse(args); err != nil {
		return usagef("%v\n\n%s", err, usageText)
	}
	rest := global.Args()
	if *help || len(rest) == 0 || rest[0] == "help" {
		fmt.Fprint(stdout, usageText)
		if len(rest) == 0 && !*help {
			return usagef("no command given")
		}
		return nil
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	a := &app{
		cfg: cfg, stdin: stdin, stdout: stdout, stderr: stderr,
		log:         newLogger(cfg, stderr),
		newEmbedder: newEmbedder,
		httpClient:  httpClient(),
	}
	cmd, cmdArgs := rest[0], rest[1:]
	switch cmd {
	case "ingest":
		return a.ingest(ctx, cmdArgs)
	case "ask":
		return a.ask(ctx, cmdArgs)
	case "search":
		return a.search(ctx, cmdArgs)
	case "eval":
		return a.eval(ctx, cmdArgs)
	case "digest":
		return a.digest(ctx, cmdArgs)
	case "bot":
		return a.serve(ctx, cmdArgs)
	case "version":
		fmt.Fprintln(stdout, "veille", version)
		return nil
	default:
		return usagef("unknown command %q\n\n%s", cmd, usageText)
	}
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// newEmbedder builds the embedder the configuration names.
func newEmbedder(cfg Config) (rag.Embedder, error) {
	switch cfg.EmbedProvider {
	case "local":
		return embed.NewLocal(cfg.EmbedDim)
	case "openai", "ollama":
		return embed.NewOpenAI(embed.OpenAIConfig{
			Provider: cfg.EmbedProvider, BaseURL: cfg.EmbedBaseURL,
			APIKey: string(cfg.EmbedAPIKey), Model: cfg.EmbedModel,
			HTTPClient: httpClient(),
		})
	default:
		return nil, fmt.Errorf("embedder %q is not one of local, openai, ollama", cfg.EmbedProvider)
	}
}

// httpClient is for every outbound call: the default transport honours
// HTTPS_PROXY, HTTP_PROXY and NO_PROXY.
func httpClient() *http.Client {
	return &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
}

// newEngine wires the answerer of a command line run: a chat model when
// LLM_BASE_URL is set, given LLM_DEADLINE in all (retries included) before
// the engine answers extractively.
func (a *app) newEngine(ix *rag.Index) (*rag.Engine, error) {
	return a.engine(ix, a.cfg.LLMDeadline)
}

// engine wires the answerer with a model time budget; 0 leaves the model
// unbounded but for each attempt's LLM_TIMEOUT (the bot bounds each answer
// with its own timeout).
func (a *app) engine(ix *rag.Index, budget time.Duration) (*rag.Engine, error) {
	if a.cfg.LLMBaseURL == "" {
		return rag.NewEngine(ix, nil, a.log).WithLocation(a.cfg.DigestTZ), nil
	}
	c, err := llm.New(llm.Config{
		BaseURL: a.cfg.LLMBaseURL, APIKey: string(a.cfg.LLMAPIKey), Model: a.cfg.LLMModel,
		HTTPClient: httpClient(), Timeout: a.cfg.LLMTimeout,
	})
	if err != nil {
		return nil, fmt.Errorf("language model: %w", err)
	}
	if budget <= 0 {
		return rag.NewEngine(ix, c, a.log).WithLocation(a.cfg.DigestTZ), nil
	}
	return rag.NewEngine(ix, llm.NewBudget(c, budget), a.log).WithLocation(a.cfg.DigestTZ), nil
}

func (a *app) indexPath() string { return filepath.Join(a.cfg.DataDir, rag.SnapshotName) }

func (a *app) indexOptions() (rag.Options, error) {
	emb, err := a.newEmbedder(a.cfg)
	if err != nil {
		return rag.Options{}, err
	}
	return rag.Options{Embedder: emb, Logger: a.log}, nil
}

// parseFlags parses flags wherever they appear among the arguments, so that
// both `ask --json "q"` and `ask "q" --json` work.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				var b strings.Builder
				fs.SetOutput(&b)
				fs.PrintDefaults()
				return nil, usagef("usage of %s:\n%s", fs.Name(), b.String())
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// exitCode maps an error to the process exit code, printing it once.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "veille: %v\n", err)
	var ue *usageError
	var ce *configError
	var tl *rag.QueryTooLongError
	var us *rag.UnknownSourceError
	switch {
	case errors.As(err, &ue), errors.As(err, &ce), errors.As(err, &tl), errors.As(err, &us),
		errors.Is(err, rag.ErrEmptyQuery):
		return 2
	default:
		return 1
	}
}
