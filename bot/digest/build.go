package digest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/veille/veille/rag/chunk"
)

// DefaultMaxEntries is how many entries a digest lists before "and N more".
const DefaultMaxEntries = 10

// Item is an article as the digest sees it. Published is zero when the
// source gave no date; FirstSeen is when Veille ingested it.
type Item struct {
	ID, Title, URL, Source, Lang, Text string
	Published, FirstSeen               time.Time
}

// when is the instant that places it in a digest window: its publication,
// or when it was first seen for undated articles.
func (it Item) when() time.Time {
	if !it.Published.IsZero() {
		return it.Published
	}
	return it.FirstSeen
}

// Options tune Build. The zero value builds a French digest in
// Europe/Paris with the built-in similarity and extractive summaries.
type Options struct {
	// Lang is the digest's language: "fr" (default) or "en".
	Lang string
	// Loc is the channel's zone, for the header's date; nil means
	// Europe/Paris.
	Loc *time.Location
	// MaxEntries bounds the entries listed (default DefaultMaxEntries);
	// the rest are counted in Digest.More.
	MaxEntries int
	// Similar scores two articles in [0, 1]; at or above Threshold they are
	// one story. Nil uses Similarity. Threshold 0 means DefaultThreshold,
	// which was measured for Similarity: set it with any other measure
	// (an embedding cosine, say).
	Similar   func(a, b Item) float64
	Threshold float64
	// Keywords and Sources, when set, keep only the articles mentioning a
	// keyword (title or text) and coming from one of the sources, compared
	// case- and accent-insensitively.
	Keywords, Sources []string
	// Summarize writes an entry's summary (an LLM, say); nil, an error or
	// an empty result falls back to the extractive Summary.
	Summarize func(ctx context.Context, it Item) (string, error)
}

// Entry is one story of a digest: its leading article and the other
// articles about the same story.
type Entry struct {
	ID     string `json:"article_id"`
	Title  string `json:"title"`
	URL    string `json:"url"`
	Source string `json:"source"`
	// Date is the leading article's publication, in the digest's zone;
	// zero when unknown.
	Date    time.Time `json:"published,omitzero"`
	Summary string    `json:"summary"`
	Also    []Link    `json:"also,omitempty"`
}

// Link is another article about an entry's story.
type Link struct {
	ID     string `json:"article_id"`
	Title  string `json:"title"`
	URL    string `json:"url"`
	Source string `json:"source"`
}

// Digest is what a channel is told: a header, the stories (the one with
// the newest article first) and how many more were left out. Its JSON form
// is what `veille digest --json` prints.
type Digest struct {
	// Header names the day and the number of articles, in Lang:
	// "Veille du mardi 24 novembre 2026 — 7 articles".
	Header  string  `json:"header"`
	Entries []Entry `json:"entries"`
	// More counts the entries beyond Options.MaxEntries.
	More int `json:"more"`
	// Empty is true when nothing was published in the window.
	Empty bool `json:"empty"`
	// Lang is the language of the texts ("fr" or "en").
	Lang string `json:"lang"`
	// Covered lists the IDs of every article the digest accounts for,
	// including those behind More; the scheduler stores it.
	Covered []string `json:"covered,omitempty"`
}

// Build makes the digest of the items published (or first seen, for
// undated ones) in (since, now], newest story first, near-duplicates grouped.
func Build(ctx context.Context, items []Item, since, now time.Time, opts Options) Digest {
	lang := normLang(opts.Lang)
	loc := opts.Loc
	if loc == nil {
		loc = defaultLoc()
	}
	maxEntries := cmp.Or(opts.MaxEntries, DefaultMaxEntries)

	var kept []Item
	seen := map[string]bool{}
	for _, it := range items {
		key := cmp.Or(it.ID, it.URL, it.Title)
		if seen[key] {
			continue // the same article twice (from two chunks, say)
		}
		seen[key] = true
		w := it.when()
		if w.IsZero() || !w.After(since) || w.After(now) {
			continue
		}
		if len(opts.Keywords) > 0 && !hasKeyword(it.Title+"\n"+it.Text, opts.Keywords) {
			continue
		}
		if len(opts.Sources) > 0 && !fromSource(it, opts.Sources) {
			continue
		}
		kept = append(kept, it)
	}
	slices.SortStableFunc(kept, func(a, b Item) int {
		return cmp.Or(b.when().Compare(a.when()), cmp.Compare(a.Title, b.Title), cmp.Compare(a.ID, b.ID))
	})

	d := Digest{Lang: lang, Empty: len(kept) == 0, Entries: []Entry{}}
	d.Header = header(now.In(loc), len(kept), lang)
	for _, g := range group(kept, opts) {
		d.Covered = append(d.Covered, idsOf(g)...)
		if len(d.Entries) == maxEntries {
			d.More++
			continue
		}
		d.Entries = append(d.Entries, entry(ctx, g, loc, opts))
	}
	return d
}

// group clusters items (newest first) into stories: two articles whose
// similarity reaches the threshold tell the same story, and so do articles
// linked through a chain of such pairs (single-link), whatever their order.
// Stories come out in the order of their newest article; within one, the
// earliest dated article leads (the scoop the others rewrite).
func group(items []Item, opts Options) [][]Item {
	threshold := opts.Threshold
	if threshold == 0 {
		threshold = DefaultThreshold
	}
	if opts.Similar != nil {
		return clusterBy(items, func(i, j int) float64 { return opts.Similar(items[i], items[j]) }, threshold)
	}
	sigs := make([]map[string]struct{}, len(items))
	for i, it := range items {
		sigs[i] = signature(it)
	}
	return clusterBy(items, func(i, j int) float64 { return jaccard(sigs[i], sigs[j]) }, threshold)
}

// clusterBy groups items by single-link clustering: the connected
// components of the graph of pairs at or above threshold, in the order of
// their first item.
func clusterBy(items []Item, sim func(i, j int) float64, threshold float64) [][]Item {
	parent := make([]int, len(items))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i := range items {
		for j := i + 1; j < len(items); j++ {
			if find(i) != find(j) && sim(i, j) >= threshold {
				parent[find(j)] = find(i)
			}
		}
	}
	index := map[int]int{}
	var out [][]Item
	for i, it := range items {
		r := find(i)
		k, ok := index[r]
		if !ok {
			k = len(out)
			index[r] = k
			out = append(out, nil)
		}
		out[k] = append(out[k], it)
	}
	for _, g := range out {
		// Earliest first: it leads. Undated articles go last.
		slices.SortStableFunc(g, func(a, b Item) int {
			if a.Published.IsZero() != b.Published.IsZero() {
				if a.Published.IsZero() {
					return 1
				}
				return -1
			}
			return a.when().Compare(b.when())
		})
	}
	return out
}

// entry renders a story.
func entry(ctx context.Context, g []Item, loc *time.Location, opts Options) Entry {
	lead := g[0]
	e := Entry{ID: lead.ID, Title: lead.Title, URL: lead.URL, Source: lead.Source}
	if !lead.Published.IsZero() {
		e.Date = lead.Published.In(loc)
	}
	if opts.Summarize != nil {
		if s, err := opts.Summarize(ctx, lead); err == nil && strings.TrimSpace(s) != "" {
			e.Summary = chunk.Clip(strings.TrimSpace(s), MaxSummary)
		}
	}
	if e.Summary == "" {
		e.Summary = Summary(lead.Text)
	}
	for _, it := range g[1:] {
		e.Also = append(e.Also, Link{ID: it.ID, Title: it.Title, URL: it.URL, Source: it.Source})
	}
	return e
}

func idsOf(g []Item) []string {
	ids := make([]string, 0, len(g))
	for _, it := range g {
		ids = append(ids, cmp.Or(it.ID, it.URL))
	}
	return ids
}

// header names the digest's day and size in lang.
func header(day time.Time, n int, lang string) string {
	if lang == "en" {
		switch n {
		case 0:
			return "Veille digest for " + LongDate(day, lang) + " — nothing new"
		case 1:
			return "Veille digest for " + LongDate(day, lang) + " — 1 article"
		}
		return fmt.Sprintf("Veille digest for %s — %d articles", LongDate(day, lang), n)
	}
	switch n {
	case 0:
		return "Veille du " + LongDate(day, lang) + " — rien de nouveau"
	case 1:
		return "Veille du " + LongDate(day, lang) + " — 1 article"
	}
	return fmt.Sprintf("Veille du %s — %d articles", LongDate(day, lang), n)
}

// Footer is the "and N more" line with its /search hint, empty when
// nothing was left out.
func (d Digest) Footer() string {
	switch {
	case d.More == 0:
		return ""
	case d.Lang == "en" && d.More == 1:
		return "…and 1 more story: use /search to find it."
	case d.Lang == "en":
		return fmt.Sprintf("…and %d more stories: use /search to find them.", d.More)
	case d.More == 1:
		return "… et 1 autre sujet : utilisez /search pour le retrouver."
	}
	return fmt.Sprintf("… et %d autres sujets : utilisez /search pour les retrouver.", d.More)
}

// Text renders the digest as Markdown for a terminal or a file: the header
// in bold, numbered entries with linked titles, and the footer.
func (d Digest) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**\n", d.Header)
	also := "Voir aussi : "
	if d.Lang == "en" {
		also = "See also: "
	}
	for i, e := range d.Entries {
		fmt.Fprintf(&b, "\n%d. %s", i+1, mdLink(e.Title, e.URL))
		var meta []string
		if e.Source != "" {
			meta = append(meta, e.Source)
		}
		if !e.Date.IsZero() {
			meta = append(meta, Date(e.Date, d.Lang))
		}
		if len(meta) > 0 {
			fmt.Fprintf(&b, " — %s", strings.Join(meta, ", "))
		}
		b.WriteString("\n")
		if e.Summary != "" {
			fmt.Fprintf(&b, "   %s\n", e.Summary)
		}
		if len(e.Also) > 0 {
			links := make([]string, len(e.Also))
			for k, l := range e.Also {
				links[k] = mdLink(l.Title, l.URL)
				if l.Source != "" {
					links[k] += " (" + l.Source + ")"
				}
			}
			fmt.Fprintf(&b, "   %s%s\n", also, strings.Join(links, " · "))
		}
	}
	if f := d.Footer(); f != "" {
		fmt.Fprintf(&b, "\n%s\n", f)
	}
	return b.String()
}

// mdLink renders [title](url), escaping the brackets a title may hold; the
// bare title when there is no URL.
func mdLink(title, url string) string {
	title = strings.NewReplacer("[", `\[`, "]", `\]`).Replace(strings.TrimSpace(title))
	if url == "" {
		return title
	}
	return "[" + title + "](<" + url + ">)"
}

// normLang returns "en" for English and "fr" for anything else.
func normLang(lang string) string {
	if strings.EqualFold(strings.TrimSpace(lang), "en") {
		return "en"
	}
	return "fr"
}

// defaultLoc is Europe/Paris, embedded by time/tzdata; UTC if even that
// fails.
func defaultLoc() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return time.UTC
	}
	return loc
}
