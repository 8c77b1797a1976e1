package feeds

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/veille/veille/rag/atomicfile"
)

// maxSeen bounds State.Seen; the entries the feed stopped listing longest ago
// go first. Feeds list tens of items, so this keeps months of history.
const maxSeen = 2000

// State is what Veille remembers of one feed between refreshes.
type State struct {
	// URL is the feed URL as configured.
	URL string `json:"url"`
	// ETag and LastModified are the validators of the last 200 response,
	// sent back for a conditional GET.
	ETag         string `json:"etag,omitzero"`
	LastModified string `json:"last_modified,omitzero"`
	// LastSuccess and LastAttempt are the times of the last successful and
	// of the last fetch.
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	// LastError is the error of the last fetch, empty after a success.
	LastError string `json:"last_error,omitzero"`
	// Failures counts the failed fetches since the last success.
	Failures int `json:"failures,omitzero"`
	// NextAttempt is when a failing feed may be fetched again; zero when due.
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// Seen records what this feed already yielded, keyed "guid:<guid>" (the
	// item's fingerprint: an unchanged item is skipped without fetching its
	// page), "url:<canonical URL>" and, for articles without a URL,
	// "hash:<content hash>" (the article's content hash).
	Seen map[string]Seen `json:"seen,omitzero"`
}

// Seen is one entry of State.Seen.
type Seen struct {
	// Hash is the item fingerprint or the article content hash.
	Hash string `json:"hash,omitzero"`
	// At is the last time the feed listed it; the oldest entries are dropped
	// first when State.Seen is full.
	At time.Time `json:"at"`
}

// Due reports whether the feed may be fetched at now: it has not failed, or
// its back-off has elapsed.
func (s State) Due(now time.Time) bool {
	return s.NextAttempt.IsZero() || !now.Before(s.NextAttempt)
}

// clone returns s with its own Seen map.
func (s State) clone() State {
	s.Seen = maps.Clone(s.Seen)
	return s
}

// succeed records a successful fetch at now.
func (s *State) succeed(now time.Time) {
	s.LastSuccess = now
	s.LastError = ""
	s.Failures = 0
	s.NextAttempt = time.Time{}
}

// fail records a failed fetch at now and schedules the next attempt after
// min(2^Failures × base, 24 h), or after the server's Retry-After when longer.
func (s *State) fail(err error, now time.Time, base time.Duration) {
	s.Failures++
	s.LastError = err.Error()
	wait := backoff(s.Failures, base)
	var se *StatusError
	if errors.As(err, &se) {
		wait = max(wait, se.RetryAfter)
	}
	s.NextAttempt = now.Add(wait)
}

// backoff returns min(2^n × base, 24 h).
func backoff(n int, base time.Duration) time.Duration {
	d := base
	for range n {
		if d >= maxBackoff/2 {
			return maxBackoff
		}
		d *= 2
	}
	return min(d, maxBackoff)
}

// prune keeps the maxSeen most recent entries of s.Seen.
func (s *State) prune() {
	if len(s.Seen) <= maxSeen {
		return
	}
	keys := slices.Collect(maps.Keys(s.Seen))
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(s.Seen[b].At.Compare(s.Seen[a].At), cmp.Compare(a, b))
	})
	for _, k := range keys[maxSeen:] {
		delete(s.Seen, k)
	}
}

// Store keeps the states of all feeds in one JSON file. It is safe for
// concurrent use by one process; Save replaces the file atomically, so a
// reader or a crash never sees half a file. Two processes that refresh and
// save one file at once would lose each other's updates: hold the data
// directory's writer lock from Refresh to Save.
type Store struct {
	path string

	mu    sync.Mutex
	feeds map[string]State

	// write is atomicfile.Write; a seam for crash-safety tests.
	write func(path string, data []byte, perm fs.FileMode) error
}

// storeFile is the on-disk form of a Store.
type storeFile struct {
	Version int     `json:"version"`
	Feeds   []State `json:"feeds"`
}

// OpenStore loads the states saved at path; a missing file is an empty store.
func OpenStore(path string) (*Store, error) {
	s := &Store{path: path, feeds: make(map[string]State), write: atomicfile.Write}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open feed store: %w", err)
	}
	var file storeFile
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("read feed store %s: %w", path, err)
	}
	if file.Version != 1 {
		return nil, fmt.Errorf("read feed store %s: unknown version %d", path, file.Version)
	}
	for _, st := range file.Feeds {
		s.feeds[st.URL] = st
	}
	return s, nil
}

// Get returns the state of the feed at url; an unknown feed has only its URL.
func (s *Store) Get(url string) State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.feeds[url]
	if !ok {
		return State{URL: url}
	}
	return st.clone()
}

// Put records st as the state of the feed at st.URL.
func (s *Store) Put(st State) {
	st = st.clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.feeds[st.URL] = st
}

// Delete forgets the feed at url.
func (s *Store) Delete(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.feeds, url)
}

// All returns the states of all feeds, sorted by URL.
func (s *Store) All() []State {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]State, 0, len(s.feeds))
	for _, st := range s.feeds {
		out = append(out, st.clone())
	}
	slices.SortFunc(out, func(a, b State) int { return cmp.Compare(a.URL, b.URL) })
	return out
}

// Save writes the store to its file through atomicfile: a temporary file in
// the same directory, synced, then renamed over the old one, so a failed or
// interrupted save leaves the previous file whole.
func (s *Store) Save() error {
	file := storeFile{Version: 1, Feeds: s.All()}
	data, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return fmt.Errorf("save feed store: %w", err)
	}
	// Owner-only, as the file has always been written (os.CreateTemp's mode).
	if err := s.write(s.path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("save feed store %s: %w", s.path, err)
	}
	return nil
}
