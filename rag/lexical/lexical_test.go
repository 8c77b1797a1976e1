package lexical

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// approx compares scores up to rounding.
var approx = cmpopts.EquateApprox(0, 1e-12)

type doc struct {
	id    string
	terms string // space-separated
}

func build(t testing.TB, docs ...doc) *Index {
	t.Helper()
	ix := New(DefaultParams())
	for _, d := range docs {
		ix.Add(d.id, strings.Fields(d.terms))
	}
	return ix
}

// bm25 is the textbook term weight, for hand computations.
func bm25(n, df, tf, dl int, avgdl float64) float64 {
	const k1, b = 1.2, 0.75
	idf := math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
	return idf * float64(tf) * (k1 + 1) / (float64(tf) + k1*(1-b+b*float64(dl)/avgdl))
}

// tiny: N=3, lengths 2, 3, 1, avgdl 2.
var tiny = []doc{
	{"a", "cat sat"},
	{"b", "cat cat dog"},
	{"c", "bird"},
}

func TestSearchRanking(t *testing.T) {
	t.Parallel()
	ix := build(t, tiny...)
	tests := []struct {
		name  string
		query string
		k     int
		want  []Result
	}{
		{
			name:  "one term, tf and length",
			query: "cat",
			k:     10,
			// idf = ln(1 + 1.5/2.5) = ln 1.6; a: tf 1, dl 2; b: tf 2, dl 3.
			want: []Result{
				{"b", math.Log(1.6) * 2 * 2.2 / (2 + 1.2*(0.25+0.75*3.0/2))},
				{"a", math.Log(1.6) * 1 * 2.2 / (1 + 1.2*(0.25+0.75*2.0/2))},
			},
		},
		{
			name:  "two terms add up",
			query: "dog cat",
			k:     10,
			want: []Result{
				{"b", bm25(3, 2, 2, 3, 2) + bm25(3, 1, 1, 3, 2)},
				{"a", bm25(3, 2, 1, 2, 2)},
			},
		},
		{
			name:  "rare term beats common one",
			query: "bird cat",
			k:     1,
			// ln(1+2.5/1.5)·2.2/(1+1.2·(0.25+0.375)) ≈ 1.294 > b's ≈ 0.567.
			want: []Result{{"c", bm25(3, 1, 1, 1, 2)}},
		},
		{
			name:  "duplicate query terms count once",
			query: "cat cat cat",
			k:     10,
			want: []Result{
				{"b", bm25(3, 2, 2, 3, 2)},
				{"a", bm25(3, 2, 1, 2, 2)},
			},
		},
		{
			name:  "k larger than matches",
			query: "sat",
			k:     100,
			want:  []Result{{"a", bm25(3, 1, 1, 2, 2)}},
		},
		{name: "unknown term", query: "zebra", k: 10},
		{name: "empty query", query: "", k: 10},
		{name: "k zero", query: "cat", k: 0},
		{name: "k negative", query: "cat", k: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ix.Search(strings.Fields(tt.query), tt.k, nil)
			if diff := cmp.Diff(tt.want, got, approx); diff != "" {
				t.Errorf("Search(%q, %d) (-want +got):\n%s", tt.query, tt.k, diff)
			}
		})
	}
}

func TestSearchTiesByID(t *testing.T) {
	t.Parallel()
	ix := build(t, doc{"z", "x y"}, doc{"m", "x y"}, doc{"a", "x y"}, doc{"q", "w"})
	got := ix.Search([]string{"x"}, 2, nil)
	want := []string{"a", "m"}
	if diff := cmp.Diff(want, ids(got)); diff != "" {
		t.Errorf("tie order (-want +got):\n%s", diff)
	}
	if got[0].Score != got[1].Score {
		t.Errorf("tied scores differ: %v", got)
	}
}

func TestSearchOrderIndependent(t *testing.T) {
	t.Parallel()
	ix := build(t, tiny...)
	a := ix.Search([]string{"cat", "dog", "sat"}, 10, nil)
	b := ix.Search([]string{"sat", "dog", "cat", "dog"}, 10, nil)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("query order changed results bit for bit (-a +b):\n%s", diff)
	}
}

func TestSearchKeep(t *testing.T) {
	t.Parallel()
	ix := build(t,
		doc{"best", "apple apple apple"},
		doc{"second", "apple apple pear"},
		doc{"third", "apple pear pear plum"},
		doc{"other", "kiwi"},
	)
	tests := []struct {
		name  string
		k     int
		keep  func(string) bool
		want  []string
		calls int // at most
	}{
		{"nil keeps all", 2, nil, []string{"best", "second"}, 0},
		{"filtered best takes no slot", 2, func(id string) bool { return id != "best" }, []string{"second", "third"}, 3},
		{"reject all", 3, func(string) bool { return false }, nil, 3},
		{"k larger than kept", 10, func(id string) bool { return id == "third" }, []string{"third"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			calls := 0
			keep := tt.keep
			if keep != nil {
				keep = func(id string) bool { calls++; return tt.keep(id) }
			}
			got := ix.Search([]string{"apple"}, tt.k, keep)
			if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if calls > tt.calls {
				t.Errorf("keep called %d times, want at most %d", calls, tt.calls)
			}
		})
	}
}

func TestAddReplaces(t *testing.T) {
	t.Parallel()
	ix := build(t, tiny...)
	ix.Add("b", []string{"bird", "bird"})
	if got := ix.Len(); got != 3 {
		t.Fatalf("Len = %d, want 3", got)
	}
	// Now N=3, lengths 2, 1, 2 (avgdl 5/3); cat only in a, bird in b and c.
	avg := 5.0 / 3
	tests := []struct {
		query string
		want  []Result
	}{
		{"cat", []Result{{"a", bm25(3, 1, 1, 2, avg)}}},
		{"dog", nil},
		{"bird", []Result{{"b", bm25(3, 2, 2, 2, avg)}, {"c", bm25(3, 2, 1, 1, avg)}}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := ix.Search([]string{tt.query}, 10, nil)
			if diff := cmp.Diff(tt.want, got, approx); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRemove(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		remove []string
		query  string
		want   []Result
		len    int
	}{
		{
			name:   "updates idf and avgdl",
			remove: []string{"c"},
			query:  "cat",
			// N=2, lengths 2 and 3, avgdl 2.5, df(cat)=2.
			want: []Result{{"b", bm25(2, 2, 2, 3, 2.5)}, {"a", bm25(2, 2, 1, 2, 2.5)}},
			len:  2,
		},
		{
			name:   "removed document not found",
			remove: []string{"b"},
			query:  "cat dog",
			// N=2, lengths 2 and 1, avgdl 1.5, df(cat)=1.
			want: []Result{{"a", bm25(2, 1, 1, 2, 1.5)}},
			len:  2,
		},
		{name: "absent id is a no-op", remove: []string{"nope"}, query: "bird", want: []Result{{"c", bm25(3, 1, 1, 1, 2)}}, len: 3},
		{name: "twice", remove: []string{"a", "a"}, query: "sat", len: 2},
		{name: "all", remove: []string{"a", "b", "c"}, query: "cat", len: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ix := build(t, tiny...)
			for _, id := range tt.remove {
				ix.Remove(id)
			}
			if got := ix.Len(); got != tt.len {
				t.Errorf("Len = %d, want %d", got, tt.len)
			}
			got := ix.Search(strings.Fields(tt.query), 10, nil)
			if diff := cmp.Diff(tt.want, got, approx); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestIDF(t *testing.T) {
	t.Parallel()
	ix := build(t, tiny...)
	tests := []struct {
		term string
		df   int
	}{{"cat", 2}, {"bird", 1}, {"zebra", 0}}
	for _, tt := range tests {
		t.Run(tt.term, func(t *testing.T) {
			want := math.Log(1 + (3-float64(tt.df)+0.5)/(float64(tt.df)+0.5))
			if got := ix.IDF(tt.term); math.Abs(got-want) > 1e-12 {
				t.Errorf("IDF = %v, want %v", got, want)
			}
			if got := ix.DF(tt.term); got != tt.df {
				t.Errorf("DF = %d, want %d", got, tt.df)
			}
		})
	}
	ix.Remove("b")
	if got, want := ix.DF("cat"), 1; got != want {
		t.Errorf("after Remove: DF(cat) = %d, want %d", got, want)
	}
}

func TestNewParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Params
		want Params
	}{
		{"default", DefaultParams(), Params{1.2, 0.75}},
		{"custom", Params{2, 0}, Params{2, 0}},
		{"negative k1", Params{-1, 0.5}, Params{1.2, 0.5}},
		{"b above one", Params{1, 1.5}, Params{1, 0.75}},
		{"nan", Params{math.NaN(), math.NaN()}, Params{1.2, 0.75}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := New(tt.in).Params(); got != tt.want {
				t.Errorf("New(%v).Params() = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestLargeTermFrequency(t *testing.T) {
	t.Parallel()
	long := slices.Repeat([]string{"echo"}, 300)
	ix := New(DefaultParams())
	ix.Add("long", append(long, "x"))
	ix.Add("short", []string{"echo", "y"})
	ix.Add("pad", []string{"z"})
	avg := (301.0 + 2 + 1) / 3
	want := []Result{{"long", bm25(3, 2, 300, 301, avg)}, {"short", bm25(3, 2, 1, 2, avg)}}
	check := func(t *testing.T, ix *Index) {
		t.Helper()
		if diff := cmp.Diff(want, ix.Search([]string{"echo"}, 10, nil), approx); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
	check(t, ix)
	check(t, roundTrip(t, ix))
	// Compaction renumbers ordinals: the exact frequency must follow.
	ix.Add("first", []string{"q"})
	ix.Remove("first")
	ix.Remove("pad")
	avg = (301.0 + 2) / 2
	want = []Result{{"long", bm25(2, 2, 300, 301, avg)}, {"short", bm25(2, 2, 1, 2, avg)}}
	if ix.deadDocs != 0 {
		t.Fatalf("no compaction: %d dead documents", ix.deadDocs)
	}
	check(t, ix)
	check(t, roundTrip(t, ix))
}

// reference is a brute-force BM25 over a map, to check the index against.
type reference map[string][]string

func (r reference) search(query []string, k int) []Result {
	var total int
	for _, terms := range r {
		total += len(terms)
	}
	avg := float64(total) / float64(len(r))
	q := slices.Compact(slices.Sorted(slices.Values(query)))
	df := map[string]int{}
	for _, terms := range r {
		for _, t := range slices.Compact(slices.Sorted(slices.Values(terms))) {
			df[t]++
		}
	}
	var res []Result
	for id, terms := range r {
		var s float64
		for _, qt := range q {
			if tf := count(terms, qt); tf > 0 {
				s += bm25(len(r), df[qt], tf, len(terms), avg)
			}
		}
		if s > 0 {
			res = append(res, Result{id, s})
		}
	}
	slices.SortFunc(res, func(a, b Result) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return res[:min(k, len(res))]
}

func count(terms []string, t string) int {
	n := 0
	for _, x := range terms {
		if x == t {
			n++
		}
	}
	return n
}

// TestAgainstReference drives random adds, replacements and removals
// (enough to trigger compactions) and compares every search with brute force.
func TestAgainstReference(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := make([]string, 40)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%d", i)
	}
	zipf := rand.NewZipf(rng, 1.2, 1, uint64(len(vocab)-1))
	randomTerms := func(n int) []string {
		terms := make([]string, n)
		for i := range terms {
			terms[i] = vocab[zipf.Uint64()]
		}
		return terms
	}
	ix := New(DefaultParams())
	ref := reference{}
	for step := range 2000 {
		id := fmt.Sprintf("d%03d", rng.IntN(120))
		switch op := rng.IntN(10); {
		case op < 6:
			terms := randomTerms(rng.IntN(12))
			ix.Add(id, terms)
			ref[id] = terms
		default:
			ix.Remove(id)
			delete(ref, id)
		}
		if ix.Len() != len(ref) {
			t.Fatalf("step %d: Len = %d, want %d", step, ix.Len(), len(ref))
		}
		if len(ref) == 0 {
			continue
		}
		q := randomTerms(1 + rng.IntN(4))
		k := 1 + rng.IntN(8)
		checkRanking(t, ref, q, k, ix.Search(q, k, nil))
		if step%250 == 0 {
			checkRanking(t, ref, q, k, roundTrip(t, ix).Search(q, k, nil))
		}
	}
}

// checkRanking compares got with the reference, allowing documents whose
// scores differ by rounding only to swap places.
func checkRanking(t *testing.T, ref reference, q []string, k int, got []Result) {
	t.Helper()
	all := ref.search(q, len(ref))
	want := all[:min(k, len(all))]
	scoreOf := map[string]float64{}
	for _, r := range all {
		scoreOf[r.ID] = r.Score
	}
	near := cmpopts.EquateApprox(0, 1e-9)
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty(), near, cmpopts.IgnoreFields(Result{}, "ID")); diff != "" {
		t.Fatalf("Search(%q, %d) scores (-want +got):\n%s", q, k, diff)
	}
	seen := map[string]bool{}
	for _, r := range got {
		if seen[r.ID] || !cmp.Equal(scoreOf[r.ID], r.Score, near) {
			t.Fatalf("Search(%q, %d) = %v, want %v", q, k, got, want)
		}
		seen[r.ID] = true
	}
}

// TestConcurrent is for the race detector: searches while one writer works.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	ix := build(t, tiny...)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 300 {
				ix.Search([]string{"cat", "bird", fmt.Sprint(i % 7)}, 3, nil)
				ix.IDF("cat")
				_ = g
			}
		})
	}
	for i := range 300 {
		id := fmt.Sprint(i % 20)
		ix.Add(id, []string{"cat", fmt.Sprint(i % 7)})
		if i%3 == 0 {
			ix.Remove(fmt.Sprint((i + 5) % 20))
		}
	}
	wg.Wait()
}

func ids(rs []Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// TestRemoveCompaction checks that one Remove leaves a tombstone rather than
// rewriting the index, and that tombstones are swept once they add up.
func TestRemoveCompaction(t *testing.T) {
	t.Parallel()
	ix := New(DefaultParams())
	for i := range 1000 {
		ix.Add(fmt.Sprint(i), []string{"common", fmt.Sprint("t", i%50), fmt.Sprint("u", i)})
	}
	ix.Remove("7")
	if ix.deadDocs != 1 || len(ix.docID) != 1000 {
		t.Fatalf("after one Remove: %d tombstones, %d ordinals; want 1 and 1000", ix.deadDocs, len(ix.docID))
	}
	for i := range 300 {
		ix.Remove(fmt.Sprint(i))
	}
	if ix.deadDocs > 250 || len(ix.docID) > 950 {
		t.Errorf("after 300 Removes: %d tombstones, %d ordinals; want a compaction", ix.deadDocs, len(ix.docID))
	}
	if got, want := ix.DF("common"), 700; got != want {
		t.Errorf("DF(common) = %d, want %d", got, want)
	}
	if got := ix.DF("u5"); got != 0 {
		t.Errorf("DF(u5) = %d, want 0", got)
	}
	if n := len(ix.terms); n >= 1+50+1000 {
		t.Errorf("%d terms: compaction kept the terms of removed documents", n)
	}
}
