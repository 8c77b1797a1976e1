package feeds

import (
	"strings"
	"sync"
	"time"

	"github.com/veille/veille/rag/article"
)

// Prefixes of State.Seen keys.
const (
	guidKey = "guid:"
	urlKey  = "url:"
	hashKey = "hash:"
)

// seenIndex is what every feed of a refresh already yielded, shared by the
// feeds fetched at once so that an article in two feeds comes back once.
type seenIndex struct {
	mu     sync.Mutex
	items  map[string]string // feed URL + "\x00" + GUID → item fingerprint
	urls   map[string]string // canonical URL → content hash
	hashes map[string]bool   // content hashes
}

func newSeenIndex(states ...State) *seenIndex {
	x := &seenIndex{items: map[string]string{}, urls: map[string]string{}, hashes: map[string]bool{}}
	for _, st := range states {
		for k, v := range st.Seen {
			switch {
			case strings.HasPrefix(k, guidKey):
				x.items[st.URL+"\x00"+k[len(guidKey):]] = v.Hash
			case strings.HasPrefix(k, urlKey):
				x.urls[k[len(urlKey):]] = v.Hash
				x.hashes[v.Hash] = true
			case strings.HasPrefix(k, hashKey):
				x.hashes[k[len(hashKey):]] = true
			}
		}
	}
	return x
}

// unchanged reports whether the feed at feedURL already listed the item
// guid with the same fingerprint.
func (x *seenIndex) unchanged(feedURL, guid, fp string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	old, ok := x.items[feedURL+"\x00"+guid]
	return ok && old == fp
}

// remember records item guid of feed st.URL as seen, with no article.
func (x *seenIndex) remember(st *State, guid, fp string, now time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.items[st.URL+"\x00"+guid] = fp
	st.Seen[guidKey+guid] = Seen{Hash: fp, At: now}
}

// claim records item guid of feed st.URL, built into the normalised article
// a, in the index and in st.Seen, and reports whether a is new or changed: no
// article with its canonical URL and content, nor any article with its
// content, was seen before. An empty guid records the article only, so that
// the item is built again next time.
func (x *seenIndex) claim(st *State, guid, fp string, a article.Article, now time.Time) bool {
	h := article.ContentHash(a)
	x.mu.Lock()
	defer x.mu.Unlock()
	if guid != "" {
		x.items[st.URL+"\x00"+guid] = fp
		st.Seen[guidKey+guid] = Seen{Hash: fp, At: now}
	}
	if a.URL != "" {
		st.Seen[urlKey+a.URL] = Seen{Hash: h, At: now}
	} else {
		st.Seen[hashKey+h] = Seen{At: now}
	}
	if a.URL != "" && x.urls[a.URL] == h {
		return false
	}
	fresh := !x.hashes[h]
	if a.URL != "" {
		x.urls[a.URL] = h
	}
	x.hashes[h] = true
	return fresh
}
