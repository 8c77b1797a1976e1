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

// commands lists each command's synopsis and what it does: the usage text
// and each command's --help are made from it.
var commands = []struct{ name, synopsis, about string }{
	{"ingest", "ingest [--feed URL|FILE]... [--reindex] [PATH|URL ...]", `index files, folders (.md, .txt, .html, .jsonl);
no argument: the bundled articles; URL: a web page
--feed URL|FILE (repeatable) an RSS/Atom/JSON feed, or an OPML list,
  by URL or as a local file
--reindex rebuilds the index with the configured embedder`},
	{"ask", "ask [--json] [-k N] [--source S] [--since D] QUESTION", "answer with numbered, cited sources"},
	{"search", "search [--json] [-k N] [--source S] [--since D] QUERY", "matching articles, one row per article, best first"},
	{"digest", "digest [--since D] [--json] [--lang fr|en]", "what the daily digest would post now (--since 30d, 48h or 2024-03-01)"},
	{"eval", "eval --corpus FILE --questions FILE [-k N] [--retriever hybrid|dense|lexical] [--predictions FILE] [--json]", "retrieval quality: Recall@1/5/10 and MRR@10"},
	{"bot", "bot", "run the Discord bot (needs DISCORD_TOKEN); refreshes FEEDS"},
	{"version", "version", "print the version"},
}

// usageText is what veille --help prints.
var usageText = func() string {
	var b strings.Builder
	b.WriteString("Veille answers questions from news articles, citing them.\n\nUsage:\n  veille [--data-dir DIR] <command> [flags] [args]\n\nCommands:\n")
	for _, c := range commands {
		b.WriteString("  " + c.synopsis + "\n")
		for _, line := range strings.Split(c.about, "\n") {
			b.WriteString("        " + line + "\n")
		}
	}
	b.WriteString("\nThe data directory defaults to $VEILLE_DATA_DIR, else ./.veille.\n" +
		"Configuration comes from the environment and a .env file (see .env.example).\n")
	return b.String()
}()

// helpText is a command's --help: its synopsis, what it does, its flags.
func helpText(fs *flag.FlagSet) string {
	var b strings.Builder
	for _, c := range commands {
		if c.name == fs.Name() {
			b.WriteString("usage: veille [--data-dir DIR] " + c.synopsis + "\n\n" + c.about + "\n")
		}
	}
	var flags strings.Builder
	fs.SetOutput(&flags)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	if flags.Len() > 0 {
		b.WriteString("\nFlags:\n" + flags.String())
	}
	return b.String()
}

// helpRequest is a command's --help: printed to stdout, exit code 0.
type helpRequest struct{ text string }

func (h *helpRequest) Error() string { return h.text }

// wantsHelp reports whether a command's arguments ask for its help.
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// globalFlags are the flags veille takes before the command.
var globalFlags = []string{"data-dir"}

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
	return rag.Options{Embedder: emb}, nil
}

// parseFlags parses flags wherever they appear among the arguments, so that
// both `ask --json "q"` and `ask "q" --json` work.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &helpRequest{text: helpText(fs)}
			}
			for _, g := range globalFlags {
				if strings.Contains(err.Error(), "not defined: -"+g) {
					return nil, usagef("%s: %v (--%s is a global flag: put it before the command, as in veille --%s DIR %s …)",
						fs.Name(), err, g, g, fs.Name())
				}
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
