package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/veille/veille/rag/answer"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/veille/veille/rag"
	"github.com/veille/veille/rag/embed"
	"github.com/veille/veille/rag/llm"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

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
	// lockWait bounds a writer's wait for another writer (defaultLockWait).
	lockWait time.Duration
	// watchEvery is how often the bot looks for an index another process
	// wrote, and for feeds due (defaultWatchEvery).
	watchEvery time.Duration
}

// defaultWatchEvery is app.watchEvery outside tests.
const defaultWatchEvery = time.Minute

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
		if !wantsHelp(rest[1:]) {
			return err
		}
		cfg, _ = loadConfig(func(string) string { return "" }) // help needs no configuration
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	a := &app{
		cfg: cfg, stdin: stdin, stdout: stdout, stderr: stderr,
		log:         newLogger(cfg, stderr),
		newEmbedder: newEmbedder,
		httpClient:  httpClient(),
		lockWait:    defaultLockWait,
		watchEvery:  defaultWatchEvery,
	}
	err = a.command(ctx, rest[0], rest[1:])
	var h *helpRequest
	if errors.As(err, &h) {
		fmt.Fprint(stdout, h.text)
		return nil
	}
	return err
}

// command runs one command.
func (a *app) command(ctx context.Context, cmd string, cmdArgs []string) error {
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
		fmt.Fprintln(a.stdout, "veille", version)
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
func (a *app) newEngine(ix *rag.Index) (*answer.Engine, error) {
	return a.engine(ix, a.cfg.LLMDeadline)
}

// engine wires the answerer with a model time budget; 0 leaves the model
// unbounded but for each attempt's LLM_TIMEOUT (the bot bounds each answer
// with its own timeout).
func (a *app) engine(ix *rag.Index, budget time.Duration) (*answer.Engine, error) {
	if a.cfg.LLMBaseURL == "" {
		return answer.NewEngine(ix, nil, a.log).WithLocation(a.cfg.DigestTZ), nil
	}
	c, err := llm.New(llm.Config{
		BaseURL: a.cfg.LLMBaseURL, APIKey: string(a.cfg.LLMAPIKey), Model: a.cfg.LLMModel,
		HTTPClient: httpClient(), Timeout: a.cfg.LLMTimeout,
	})
	if err != nil {
		return nil, fmt.Errorf("language model: %w", err)
	}
	if budget <= 0 {
		return answer.NewEngine(ix, c, a.log).WithLocation(a.cfg.DigestTZ), nil
	}
	return answer.NewEngine(ix, llm.NewBudget(c, budget), a.log).WithLocation(a.cfg.DigestTZ), nil
}

func (a *app) indexPath() string { return filepath.Join(a.cfg.DataDir, rag.SnapshotName) }

func (a *app) indexOptions() (rag.Options, error) {
	emb, err := a.newEmbedder(a.cfg)
	if err != nil {
		return rag.Options{}, err
	}
	return rag.Options{Embedder: emb}, nil
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
