package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/veille/veille/rag/answer"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/veille/veille/bot/digest"
	"github.com/veille/veille/rag"
	"github.com/veille/veille/rag/embed"
	"github.com/veille/veille/rag/lexicon"
)

// digestStateName is the digest schedule and state file in the data directory.
const digestStateName = "digest.json"

// digest prints what the daily digest would post now.
func (a *app) digest(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("digest", flag.ContinueOnError)
	since := fs.String("since", "", "cover articles since: a duration (30d, 48h) or a date (2024-03-01) (default: since the last digest posted, else 24h)")
	asJSON := fs.Bool("json", false, "print JSON")
	lang := fs.String("lang", "fr", "language of the header: fr or en")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("usage: veille digest [--since D] [--json] [--lang fr|en]")
	}
	now := time.Now()
	var from time.Time
	if *since != "" {
		if from, err = parseSince(now, *since); err != nil {
			return err
		}
	}
	if *lang != "fr" && *lang != "en" {
		return usagef("--lang must be fr or en")
	}
	ix, err := a.openIndex(ctx)
	if err != nil {
		return err
	}
	if from.IsZero() {
		from = now.Add(-24 * time.Hour)
	}
	if *since == "" && a.cfg.DigestChannelID != "" {
		// Read-only: the command line never records a run.
		if st, err := digest.OpenStore(filepath.Join(a.cfg.DataDir, digestStateName)); err == nil {
			if last := st.Last(a.cfg.DigestChannelID); !last.At.IsZero() {
				from = last.At
			}
		}
	}
	items, err := digestItems(ctx, ix, rag.Scope{}, from)
	if err != nil {
		return err
	}
	eng, err := a.newEngine(ix)
	if err != nil {
		return err
	}
	opts := digestOptions(eng, newSimilarity(a.log))
	opts.Lang, opts.Loc = *lang, a.cfg.DigestTZ
	d := digest.Build(ctx, items, from, now, opts)
	if *asJSON {
		return writeJSON(a.stdout, d)
	}
	fmt.Fprintln(a.stdout, d.Text())
	return nil
}

// digestItems adapts the indexed articles scope sees to the digest's input.
func digestItems(ctx context.Context, ix *rag.Index, scope rag.Scope, since time.Time) ([]digest.Item, error) {
	docs, err := ix.SinceIn(ctx, scope, since)
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

// digestOptions groups near-duplicate stories by the cosine of the built-in
// embedder's vectors of title + lead (threshold measured in bot/digest),
// falling back to the digest's own word measure when the embedder fails,
// and summarises with the language model when one is configured (the digest
// falls back to extractive summaries when it fails or cites nothing).
func digestOptions(eng *answer.Engine, cosine func(a, b digest.Item) (float64, bool)) digest.Options {
	var opts digest.Options
	if cosine != nil {
		opts = opts.ByEmbedding(cosine)
	}
	if eng != nil && eng.HasModel() {
		opts.Summarize = func(ctx context.Context, it digest.Item) (string, error) {
			return eng.Summarize(ctx, it.Title, it.Text, it.Lang)
		}
	}
	return opts
}

// storyText is what a story is compared by: title and lead, and for an
// article in English their words in French (rag/lexicon), so that a French
// advisory and an English report of the same flaw meet.
func storyText(it digest.Item) string {
	text := it.Title + "\n" + digest.LeadText(it.Text)
	if it.Lang != "en" {
		return text
	}
	words := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '\'' })
	return text + "\n" + strings.Join(lexicon.Default().Translate(words), " ")
}

// newSimilarity returns a cosine similarity over built-in embeddings, with a
// bounded cache so that comparing n articles embeds each once; false when
// one of the two could not be embedded (bot/digest then falls back).
func newSimilarity(log *slog.Logger) func(a, b digest.Item) (float64, bool) {
	emb, err := embed.NewLocal(embed.DefaultDim)
	if err != nil {
		log.Warn("digest grouping falls back to word overlap", "err", err)
		return nil
	}
	var mu sync.Mutex
	cache := map[string][]float32{}
	vec := func(it digest.Item) []float32 {
		mu.Lock()
		defer mu.Unlock()
		key := it.ID + "\x00" + it.Title
		if v, ok := cache[key]; ok {
			return v
		}
		if len(cache) > 10000 {
			clear(cache)
		}
		v, err := emb.EmbedDocument(context.Background(), storyText(it))
		if err != nil {
			return nil
		}
		cache[key] = v
		return v
	}
	return func(a, b digest.Item) (float64, bool) {
		va, vb := vec(a), vec(b)
		if va == nil || vb == nil {
			return 0, false
		}
		var s float64
		for i := range va {
			s += float64(va[i]) * float64(vb[i])
		}
		return s, true
	}
}
