package analyze

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stemSample is text in both languages with words that stem differently in
// each, stop words of one language that are words of the other, and words
// past the cache's length bound.
const stemSample = `Les attaquants ont chiffré les serveurs de la mairie ; l'hôpital a porté plainte.
The attackers encrypted the city's servers; the hospital filed a complaint.
Les pirates informatiques revendiquent l'attaque. Pirates claim attacks on hospitals.
anticonstitutionnellementextraordinairement internationalisations
été élysée Ça où là-bas cœur Œuvre ægide Straße running attacks were launched
pour four sur sure dans plus main chat pain coin`

// uncachedTokens is Tokens with every word stemmed afresh.
func uncachedTokens(text, lang string) []Token {
	var out []Token
	a := analyzer{text: text, lang: resolveLang(lang, text), emit: func(term string, start, end int) {
		out = append(out, Token{Term: term, Start: start, End: end})
	}}
	scan(text, a.token)
	return out
}

// stemCorpus is the sample, and the shared eval corpus's texts when it is
// there (../shared from the repository).
func stemCorpus(t *testing.T) []string {
	t.Helper()
	texts := strings.Split(stemSample, "\n")
	f, err := os.Open("../../../shared/eval/corpus.jsonl")
	if err != nil {
		t.Logf("eval corpus not read (%v): the sample only", err)
		return texts
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		var a struct{ Title, Text string }
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("eval corpus: %v", err)
		}
		texts = append(texts, a.Title+"\n"+a.Text)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("eval corpus: %v", err)
	}
	return texts
}

// TestStemCacheMatches checks that the cache changes nothing: every text, in
// each language, analyses to the same tokens with the cache (cold and warm,
// from several goroutines at once) as without it.
func TestStemCacheMatches(t *testing.T) {
	t.Parallel()
	texts := stemCorpus(t)
	langs := []string{"fr", "en", ""}
	sampleLines := strings.Count(stemSample, "\n") + 1
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i, text := range texts {
				if i >= sampleLines && i%4 != w {
					continue // the sample by all, the corpus split between them
				}
				lang := langs[(i+w)%len(langs)]
				want := uncachedTokens(text, lang)
				for pass := range 2 {
					if diff := cmp.Diff(want, Tokens(text, lang)); diff != "" {
						t.Errorf("text %d, lang %q, pass %d, goroutine %d: cached tokens differ (-uncached +cached):\n%s",
							i, lang, pass, w, diff)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestStemCacheBounded checks that a shard never holds more than its
// capacity: filling one language's cache with distinct words empties shards
// rather than growing them.
func TestStemCacheBounded(t *testing.T) {
	t.Parallel()
	c := newStemCache()
	a := analyzer{lang: "fr"}
	for i := range stemShards * stemShardCapacity * 2 {
		w := "mot" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + itoa(i)
		c.put(w, a.stem(w))
	}
	for i := range c.shards {
		if n := len(c.shards[i].m); n > stemShardCapacity {
			t.Fatalf("shard %d holds %d words, over its capacity %d", i, n, stemShardCapacity)
		}
	}
}

func itoa(i int) string {
	var b []byte
	for {
		b = append([]byte{byte('a' + i%10)}, b...)
		if i /= 10; i == 0 {
			return string(b)
		}
	}
}
