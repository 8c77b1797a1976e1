package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/veille/veille/rag/answer"
	"strconv"
	"strings"
	"time"

	"github.com/veille/veille/rag"
)

// queryFlags are the flags ask and search share.
type queryFlags struct {
	json   *bool
	k      *int
	source *string
	since  *string
}

func newQueryFlags(fs *flag.FlagSet, defK int) queryFlags {
	return queryFlags{
		json:   fs.Bool("json", false, "print JSON"),
		k:      fs.Int("k", defK, "number of articles"),
		source: fs.String("source", "", "only articles from this source"),
		since:  fs.String("since", "", "only articles published since: a duration (7d, 48h) or a date (2024-03-01)"),
	}
}

func (q queryFlags) options(now time.Time) (rag.SearchOptions, error) {
	if *q.k < 1 || *q.k > 50 {
		return rag.SearchOptions{}, usagef("-k must be between 1 and 50, not %d", *q.k)
	}
	opts := rag.SearchOptions{K: *q.k, Source: *q.source}
	if *q.since != "" {
		t, err := parseSince(now, *q.since)
		if err != nil {
			return opts, err
		}
		opts.Since = t
	}
	return opts, nil
}

// parseSince reads "7d", "48h", "2024-03-01" or an RFC 3339 time.
func parseSince(now time.Time, s string) (time.Time, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n > 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("--since %q: want a duration (7d, 48h) or a date (2024-03-01)", s)
}

// query is a parsed ask or search invocation, ready to run.
type query struct {
	text string
	opts rag.SearchOptions
	json bool
	eng  *answer.Engine
}

// parseQuery reads the flags and text that ask and search share, then opens
// the index (filling it with the bundled articles on first use).
func (a *app) parseQuery(ctx context.Context, name string, defK int, args []string) (query, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	qf := newQueryFlags(fs, defK)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return query{}, err
	}
	text, err := rag.CheckQuery(strings.Join(pos, " "))
	if err != nil {
		noun := "question"
		if name == "search" {
			noun = "query"
		}
		return query{}, fmt.Errorf("the %s is %w", noun, err)
	}
	opts, err := qf.options(time.Now())
	if err != nil {
		return query{}, err
	}
	ix, err := a.openIndex(ctx)
	if err != nil {
		return query{}, err
	}
	eng, err := a.newEngine(ix)
	if err != nil {
		return query{}, err
	}
	return query{text: text, opts: opts, json: *qf.json, eng: eng}, nil
}

func (a *app) ask(ctx context.Context, args []string) error {
	q, err := a.parseQuery(ctx, "ask", 3, args)
	if err != nil {
		return err
	}
	ans, err := q.eng.Ask(ctx, q.text, q.opts)
	if err != nil {
		return err
	}
	if q.json {
		return writeJSON(a.stdout, askJSON(ans))
	}
	writeAnswer(a.stdout, ans)
	return nil
}

func (a *app) search(ctx context.Context, args []string) error {
	q, err := a.parseQuery(ctx, "search", 5, args)
	if err != nil {
		return err
	}
	hits, err := q.eng.Search(ctx, q.text, q.opts)
	if err != nil {
		return err
	}
	if q.json {
		return writeJSON(a.stdout, searchJSON(q.text, hits))
	}
	writeHits(a.stdout, hits)
	return nil
}
