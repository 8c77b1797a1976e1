package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/veille/veille/bot/digest"
	"github.com/veille/veille/rag"
)

// digestStateName is the digest schedule and state file in the data directory.
const digestStateName = "digest.json"

// digest prints what the daily digest would post now.
func (a *app) digest(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("digest", flag.ContinueOnError)
	since := fs.Duration("since", 0, "cover articles of this last period (default: since the last digest posted, else 24h)")
	asJSON := fs.Bool("json", false, "print JSON")
	lang := fs.String("lang", "fr", "language of the header: fr or en")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("usage: veille digest [--since DURATION] [--json] [--lang fr|en]")
	}
	if *since < 0 {
		return usagef("--since must be positive")
	}
	if *lang != "fr" && *lang != "en" {
		return usagef("--lang must be fr or en")
	}
	ix, err := a.openIndex(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	from := now.Add(-24 * time.Hour)
	if *since > 0 {
		from = now.Add(-*since)
	} else if a.cfg.DigestChannelID != "" {
		// Read-only: the command line never records a run.
		if st, err := digest.OpenStore(filepath.Join(a.cfg.DataDir, digestStateName)); err == nil {
			if last := st.Last(a.cfg.DigestChannelID); !last.At.IsZero() {
				from = last.At
			}
		}
	}
	items, err := digestItems(ctx, ix, from)
	if err != nil {
		return err
	}
	d := digest.Build(ctx, items, from, now, digest.Options{Lang: *lang, Loc: a.cfg.DigestTZ})
	if *asJSON {
		return writeJSON(a.stdout, d)
	}
	fmt.Fprintln(a.stdout, d.Text())
	return nil
}

// digestItems adapts indexed articles to the digest's input.
func digestItems(ctx context.Context, ix *rag.Index, since time.Time) ([]digest.Item, error) {
	docs, err := ix.Since(ctx, since)
	if err != nil {
		return nil, err
	}
	items := make([]digest.Item, len(docs))
	for i, d := range docs {
		items[i] = digest.Item{
			ID: d.ID, Title: d.Title, URL: d.URL, Source: d.Source, Lang: d.Lang, Text: d.Text,
			Published: d.Published, FirstSeen: d.FirstSeen,
		}
	}
	return items, nil
}
