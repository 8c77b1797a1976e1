package digest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/veille/veille/rag/chunk"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// fixture is an Item plus the story it tells (the ground truth of
// grouping), as stored in testdata/*.jsonl.
type fixture struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	URL       string    `json:"url"`
	Source    string    `json:"source"`
	Lang      string    `json:"lang"`
	Text      string    `json:"text"`
	Published time.Time `json:"published"`
	FirstSeen time.Time `json:"first_seen"`
	Story     string    `json:"story"`
}

// loadItems reads the fixtures; stories maps each ID to its story.
func loadItems(t testing.TB, files ...string) (items []Item, stories map[string]string) {
	t.Helper()
	stories = map[string]string{}
	for _, name := range files {
		f, err := os.Open(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var fx fixture
			if err := json.Unmarshal(sc.Bytes(), &fx); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			items = append(items, Item{ID: fx.ID, Title: fx.Title, URL: fx.URL, Source: fx.Source, Lang: fx.Lang,
				Text: fx.Text, Published: fx.Published, FirstSeen: fx.FirstSeen})
			stories[fx.ID] = fx.Story
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return items, stories
}

// The batch's window: the digest of 2026-11-24 08:00 in Paris.
var (
	batchSince = time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	batchNow   = time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)
)

// pairScores returns the precision and recall of a grouping over all
// pairs of items: a pair is positive when both tell the same story.
func pairScores(groups [][]Item, stories map[string]string) (precision, recall float64) {
	groupOf := map[string]int{}
	var ids []string
	for g, members := range groups {
		for _, it := range members {
			groupOf[it.ID] = g
			ids = append(ids, it.ID)
		}
	}
	var tp, fp, fn int
	for i := range ids {
		for j := i + 1; j < len(ids); j++ {
			same := stories[ids[i]] == stories[ids[j]]
			grouped := groupOf[ids[i]] == groupOf[ids[j]]
			switch {
			case same && grouped:
				tp++
			case grouped:
				fp++
			case same:
				fn++
			}
		}
	}
	precision, recall = 1, 1
	if tp+fp > 0 {
		precision = float64(tp) / float64(tp+fp)
	}
	if tp+fn > 0 {
		recall = float64(tp) / float64(tp+fn)
	}
	return precision, recall
}

// TestThresholdMeasurement measures grouping on the generated batch (six
// stories rewritten two or three ways by different sources, one of them in
// English, plus unrelated articles chosen to share words with them) for
// three measures and a range of thresholds, logs the table, and checks
// that DefaultThreshold keeps the precision and recall it was chosen for.
// Run with -v to see the table.
func TestThresholdMeasurement(t *testing.T) {
	t.Parallel()
	items, stories := loadItems(t, "seeds.jsonl", "batch.jsonl")
	var in []Item
	for _, it := range items {
		if w := it.when(); w.After(batchSince) && !w.After(batchNow) {
			in = append(in, it)
		}
	}
	measures := []struct {
		name string
		sig  func(Item) map[string]struct{}
	}{
		{"stems (default)", signature},
		{"words", func(it Item) map[string]struct{} {
			set := map[string]struct{}{}
			for _, w := range contentWords(it.Title + "\n" + leadText(it.Text)) {
				set[w] = struct{}{}
			}
			return set
		}},
		{"3-shingles", shingles},
	}
	var log strings.Builder
	fmt.Fprintf(&log, "%d articles, pairwise precision/recall of grouping:\n%-16s", len(in), "threshold")
	thresholds := []float64{0.10, 0.15, 0.18, 0.20, 0.25, 0.30, 0.40, 0.50}
	for _, th := range thresholds {
		fmt.Fprintf(&log, "   %.2f    ", th)
	}
	for _, m := range measures {
		fmt.Fprintf(&log, "\n%-16s", m.name)
		for _, th := range thresholds {
			sigs := make([]map[string]struct{}, len(in))
			for i, it := range in {
				sigs[i] = m.sig(it)
			}
			groups := clusterBy(in, func(i, j int) float64 { return jaccard(sigs[i], sigs[j]) }, th)
			p, r := pairScores(groups, stories)
			fmt.Fprintf(&log, " %.2f/%.2f ", p, r)
		}
	}
	// The gap the threshold must fall in: the most similar pair of
	// different stories, and per story the weakest link that still joins it.
	maxNeg, maxNegPair := 0.0, ""
	for i := range in {
		for j := i + 1; j < len(in); j++ {
			if s := Similarity(in[i], in[j]); stories[in[i].ID] != stories[in[j].ID] && s > maxNeg {
				maxNeg, maxNegPair = s, in[i].ID+" ~ "+in[j].ID
			}
		}
	}
	fmt.Fprintf(&log, "\nmost similar unrelated pair (stems): %.3f (%s)", maxNeg, maxNegPair)
	t.Log(log.String())

	groups := group(append([]Item(nil), in...), Options{})
	p, r := pairScores(groups, stories)
	t.Logf("default (stems, %.2f): precision %.2f, recall %.2f", DefaultThreshold, p, r)
	if p < 1 || r < 1 {
		t.Errorf("default grouping: precision %.2f, recall %.2f; want 1 and 1", p, r)
	}
}

func TestBuildGolden(t *testing.T) {
	t.Parallel()
	items, _ := loadItems(t, "seeds.jsonl", "batch.jsonl")
	paris, ny := mustLoc(t, "Europe/Paris"), mustLoc(t, "America/New_York")
	tests := []struct {
		name       string
		since, now time.Time
		opts       Options
	}{
		{"batch_fr", batchSince, batchNow, Options{Loc: paris}},
		{"batch_en_new_york_max5", batchSince, batchNow, Options{Lang: "en", Loc: ny, MaxEntries: 5}},
		{"keywords_accents", batchSince, batchNow, Options{Loc: paris, Keywords: []string{"RANCONGICIEL", "ransomware"}}},
		{"sources", batchSince, batchNow, Options{Loc: paris, Sources: []string{"lemagit", "Le Monde"}}},
		{"nothing_new_fr", batchNow.Add(2 * time.Hour), batchNow.Add(26 * time.Hour), Options{Loc: paris}},
		{"nothing_new_en", batchNow.Add(2 * time.Hour), batchNow.Add(26 * time.Hour), Options{Lang: "en", Loc: paris}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := Build(t.Context(), items, tt.since, tt.now, tt.opts)
			js, err := json.MarshalIndent(d, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got := d.Text() + "\n----- JSON -----\n" + string(js) + "\n"
			path := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("Build %s (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func TestBuildWindowAndOrder(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	now := since.Add(24 * time.Hour)
	items := []Item{
		{ID: "at-since", Title: "Exactement au début", Text: "x", Published: since},
		{ID: "at-now", Title: "Exactement à la fin", Text: "y", Published: now},
		{ID: "undated-in", Title: "Sans date mais vu hier", Text: "z", FirstSeen: since.Add(time.Hour)},
		{ID: "undated-old", Title: "Sans date vu avant", Text: "w", FirstSeen: since.Add(-time.Hour)},
		{ID: "dated-old-seen-new", Title: "Ancien article découvert tard", Text: "v", Published: since.Add(-48 * time.Hour), FirstSeen: since.Add(2 * time.Hour)},
		{ID: "nodate", Title: "Aucune date", Text: "u"},
		{ID: "middle", Title: "Au milieu", Text: "t", Published: since.Add(12 * time.Hour)},
	}
	d := Build(t.Context(), items, since, now, Options{})
	var got []string
	for _, e := range d.Entries {
		got = append(got, e.ID)
	}
	if diff := cmp.Diff([]string{"at-now", "middle", "undated-in"}, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if d.Empty {
		t.Error("Empty with three articles")
	}
}

func TestBuildSummarize(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)
	item := Item{ID: "a", Title: "T", Text: "Première phrase assez longue pour compter. Deuxième phrase.", Published: now.Add(-time.Hour)}
	tests := []struct {
		name      string
		summarize func(context.Context, Item) (string, error)
		want      string
	}{
		{"extractive by default", nil, "Première phrase assez longue pour compter."},
		{"generated", func(context.Context, Item) (string, error) { return " Résumé généré [1]. ", nil }, "Résumé généré [1]."},
		{"generator error falls back", func(context.Context, Item) (string, error) { return "", errors.New("llm down") }, "Première phrase assez longue pour compter."},
		{"empty generation falls back", func(context.Context, Item) (string, error) { return "  ", nil }, "Première phrase assez longue pour compter."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := Build(t.Context(), []Item{item}, now.Add(-24*time.Hour), now, Options{Summarize: tt.summarize})
			if got := d.Entries[0].Summary; got != tt.want {
				t.Errorf("summary %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Une phrase très longue qui ne s'arrête jamais vraiment ", 10)
	tests := []struct {
		name, text, want string
	}{
		{"chrome skipped",
			"Contenu partenaire\n\nPhoto : AFP\n\nPar Jean Dupont\n\nLe ministère a confirmé la fuite de données touchant trois millions de clients. Les données bancaires ne seraient pas concernées.",
			"Le ministère a confirmé la fuite de données touchant trois millions de clients. Les données bancaires ne seraient pas concernées."},
		{"overlong sentence loses to one that fits",
			"Facebook accuse NSO Group d'espionner des utilisateurs de WhatsApp depuis des serveurs américains. " +
				"Dans un dossier déposé jeudi devant le tribunal fédéral d'Oakland, les avocats de Facebook affirment que NSO Group a utilisé " +
				"des serveurs américains loués à un hébergeur de Los Angeles pour diriger le logiciel espion Pegasus vers les téléphones " +
				"de centaines d'utilisateurs de WhatsApp, dont des journalistes, des avocats et des militants des droits de l'homme.",
			"Facebook accuse NSO Group d'espionner des utilisateurs de WhatsApp depuis des serveurs américains."},
		{"truncated at a word", long, chunk.Clip(strings.Join(strings.Fields(long), " "), MaxSummary)},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Summary(tt.text)
			if n := len([]rune(got)); n > MaxSummary {
				t.Errorf("summary of %d characters", n)
			}
			if got != tt.want {
				t.Errorf("Summary = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, lang string
		t          time.Time
		long, date string
	}{
		{"fr", "fr", time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC), "mardi 24 novembre 2026", "24 novembre 2026"},
		{"fr first of month", "fr", time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), "mardi 1er décembre 2026", "1er décembre 2026"},
		{"fr august", "", time.Date(2026, 8, 15, 8, 0, 0, 0, time.UTC), "samedi 15 août 2026", "15 août 2026"},
		{"en", "en", time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC), "Tuesday, November 24, 2026", "November 24, 2026"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := LongDate(tt.t, tt.lang); got != tt.long {
				t.Errorf("LongDate = %q, want %q", got, tt.long)
			}
			if got := Date(tt.t, tt.lang); got != tt.date {
				t.Errorf("Date = %q, want %q", got, tt.date)
			}
		})
	}
}

func TestHeaderZone(t *testing.T) {
	t.Parallel()
	// 23:30 UTC on the 24th is already the 25th in Paris.
	now := time.Date(2026, 11, 24, 23, 30, 0, 0, time.UTC)
	items := []Item{{ID: "a", Title: "A", Text: "a", Published: now.Add(-time.Hour)}}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"fr paris", Options{Loc: mustLoc(t, "Europe/Paris")}, "Veille du mercredi 25 novembre 2026 — 1 article"},
		{"en new york", Options{Lang: "en", Loc: mustLoc(t, "America/New_York")}, "Veille digest for Tuesday, November 24, 2026 — 1 article"},
		{"default zone is paris", Options{}, "Veille du mercredi 25 novembre 2026 — 1 article"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Build(t.Context(), items, now.Add(-24*time.Hour), now, tt.opts).Header; got != tt.want {
				t.Errorf("Header = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSentences(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"plain", "Une phrase. Une autre ! Et une question ? Fin.", []string{"Une phrase.", "Une autre !", "Et une question ?", "Fin."}},
		{"abbreviation and initials", "M. Martin et J. Dupont ont parlé. Ensuite Mme Durand.", []string{"M. Martin et J. Dupont ont parlé.", "Ensuite Mme Durand."}},
		{"decimal and lower case", "La version 3.5 corrige la faille. elle reste. Voilà.", []string{"La version 3.5 corrige la faille. elle reste.", "Voilà."}},
		{"closing quote", "Il a dit « c'est fini. » Puis il est parti.", []string{"Il a dit « c'est fini. »", "Puis il est parti."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, sentences(tt.in)); diff != "" {
				t.Errorf("sentences (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFilters(t *testing.T) {
	t.Parallel()
	it := Item{Title: "Rançongiciels : l'Élysée visé", Text: "Une attaque via un prestataire.", Source: "Le Monde Informatique", URL: "https://www.lemondeinformatique.fr/a"}
	tests := []struct {
		name              string
		keywords, sources []string
		want              bool
	}{
		{"keyword folded", []string{"RANCONGICIEL"}, nil, true},
		{"keyword accents", []string{"elysee"}, nil, true},
		{"keyword is a word start", []string{"ia"}, nil, false},
		{"several words", []string{"attaque via"}, nil, true},
		{"no keyword", []string{"phishing"}, nil, false},
		{"source name", nil, []string{"le monde informatique"}, true},
		{"source name is exact", nil, []string{"Le Monde"}, false},
		{"source host", nil, []string{"lemondeinformatique.fr"}, true},
		{"both must match", []string{"elysee"}, []string{"LeMagIT"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)
			it := it
			it.Published = now.Add(-time.Hour)
			d := Build(t.Context(), []Item{it}, now.Add(-24*time.Hour), now, Options{Keywords: tt.keywords, Sources: tt.sources})
			if got := !d.Empty; got != tt.want {
				t.Errorf("kept = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSummaryOfBatch checks every fixture's summary: short enough, and
// never scraping chrome (partner banners, credits, bylines, dates).
func TestSummaryOfBatch(t *testing.T) {
	t.Parallel()
	items, _ := loadItems(t, "seeds.jsonl", "batch.jsonl")
	for _, it := range items {
		t.Run(it.ID, func(t *testing.T) {
			t.Parallel()
			got := Summary(it.Text)
			if n := len([]rune(got)); n == 0 || n > MaxSummary {
				t.Errorf("summary of %d characters: %q", n, got)
			}
			if isChrome(got) {
				t.Errorf("summary is chrome: %q", got)
			}
			for _, chrome := range []string{"Contenu partenaire", "Photo", "Par Louis", "Mis à jour"} {
				if strings.Contains(got, chrome) {
					t.Errorf("summary holds %q: %q", chrome, got)
				}
			}
		})
	}
}

// shingles returns the set of word 3-shingles of the title and lead; for
// the measurement that compared it with word sets.
func shingles(it Item) map[string]struct{} {
	ws := contentWords(it.Title + "\n" + leadText(it.Text))
	if len(ws) > leadWords {
		ws = ws[:leadWords]
	}
	set := make(map[string]struct{})
	for i := 0; i+3 <= len(ws); i++ {
		set[strings.Join(ws[i:i+3], " ")] = struct{}{}
	}
	return set
}
