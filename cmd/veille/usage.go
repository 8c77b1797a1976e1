package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
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

// usageError is a mistake in how veille was called: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
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
