package digest

import (
	"fmt"
	"testing"
	"time"
	"unicode/utf8"
)

// BenchmarkBuild builds a day of 300 articles: grouping is quadratic.
func BenchmarkBuild(b *testing.B) {
	items, _ := loadItems(b, "seeds.jsonl", "batch.jsonl")
	var day []Item
	for i := 0; len(day) < 300; i++ {
		it := items[i%len(items)]
		it.ID = fmt.Sprintf("%s-%d", it.ID, i)
		it.Title = fmt.Sprintf("%s %d", it.Title, i/len(items))
		it.Published = batchNow.Add(-time.Duration(i) * 4 * time.Minute)
		day = append(day, it)
	}
	for b.Loop() {
		Build(b.Context(), day, batchSince, batchNow, Options{})
	}
}

func FuzzSummary(f *testing.F) {
	f.Add("M. Martin a dit « c'est fini. » Puis il est parti.")
	f.Add("Contenu partenaire\n\nPar Jean\n\nUne phrase. Deux phrases !")
	f.Add("…. ! ? «»")
	f.Fuzz(func(t *testing.T, text string) {
		got := Summary(text)
		if n := utf8.RuneCountInString(got); n > MaxSummary {
			t.Errorf("summary of %d runes", n)
		}
		if utf8.ValidString(text) && !utf8.ValidString(got) {
			t.Errorf("invalid UTF-8 from valid input: %q", got)
		}
	})
}
