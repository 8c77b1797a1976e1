package analyze

import (
	"hash/maphash"
	"strings"
	"sync"
)

// The stem cache remembers what word made of a plain word: its term, or that
// it was dropped. Snowball stemming was two thirds of an ingest's CPU (each
// word is analysed for the chunk BM25, the article BM25 and the embedder, and
// news vocabulary repeats), and the result depends on the word and the
// language only, so a cache cannot change any output: TestStemCacheMatches
// compares cached and uncached analysis over a corpus.
//
// It is package state, against the house rule, because it is a memo of a pure
// function: no caller can observe it except by speed, and tests running in
// parallel share it safely. It is bounded: each shard is emptied when full.
const (
	stemShards        = 64
	stemShardCapacity = 2048 // words per shard and language: 128 Ki words each
	maxCachedWord     = 32   // longer words are rare; stem them each time
)

type stemEntry struct {
	term string
	keep bool // false: a stop word or a one-letter word
}

type stemShard struct {
	mu sync.RWMutex
	m  map[string]stemEntry
}

type stemCache struct {
	seed   maphash.Seed
	shards [stemShards]stemShard
}

// stems holds one cache per language word stems in ("fr", "en").
var stems = [2]*stemCache{newStemCache(), newStemCache()}

func newStemCache() *stemCache {
	return &stemCache{seed: maphash.MakeSeed()}
}

func stemCacheFor(lang string) *stemCache {
	if lang == "en" {
		return stems[1]
	}
	return stems[0]
}

func (c *stemCache) shard(word string) *stemShard {
	return &c.shards[maphash.String(c.seed, word)%stemShards]
}

// get returns the cached entry of word, if any.
func (c *stemCache) get(word string) (stemEntry, bool) {
	if len(word) > maxCachedWord {
		return stemEntry{}, false
	}
	s := c.shard(word)
	s.mu.RLock()
	e, ok := s.m[word]
	s.mu.RUnlock()
	return e, ok
}

// put records the entry of word. The key is cloned: word is a substring of a
// text the cache must not keep alive.
func (c *stemCache) put(word string, e stemEntry) {
	if len(word) > maxCachedWord {
		return
	}
	s := c.shard(word)
	s.mu.Lock()
	if s.m == nil || len(s.m) >= stemShardCapacity {
		// Not sized ahead: a one-shot command (a cold ask) analyses a few
		// thousand words, and 128 presized maps cost it 13 MiB.
		s.m = make(map[string]stemEntry)
	}
	s.m[strings.Clone(word)] = e
	s.mu.Unlock()
}
