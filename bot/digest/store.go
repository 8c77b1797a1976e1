package digest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/veille/veille/rag/atomicfile"
)

// Run is one digest run of a channel: when it was built and the IDs of the
// articles it covered.
type Run struct {
	At      time.Time `json:"at"`
	Covered []string  `json:"covered,omitempty"`
}

// channelState is what the state file keeps per channel.
type channelState struct {
	Last Run `json:"last"`
	// Pending is set, before posting, to the run being posted and cleared
	// once the post is recorded or has failed: found at start-up, it means
	// the process died while posting.
	Pending *Run `json:"pending,omitempty"`
	// Settings are the channel's settings when an admin set them.
	Settings *storedSettings `json:"settings,omitempty"`
}

type stateFile struct {
	Version  int                      `json:"version"`
	Channels map[string]*channelState `json:"channels"`
}

// Store keeps each channel's digest state in a JSON file, rewritten whole
// and crash-safely (temporary file, fsync, rename, fsync of the directory)
// on every change. It is safe for concurrent use within one process; one
// process (the bot) should write a given file.
type Store struct {
	path string
	mu   sync.Mutex
	st   stateFile
}

// OpenStore opens the state file at path, creating an empty state when the
// file does not exist yet (the file itself is written on the first change).
func OpenStore(path string) (*Store, error) {
	s := &Store{path: path, st: stateFile{Version: 1, Channels: map[string]*channelState{}}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open digest state: %w", err)
	}
	if err := json.Unmarshal(b, &s.st); err != nil {
		return nil, fmt.Errorf("read digest state %s: %w", path, err)
	}
	if s.st.Channels == nil {
		s.st.Channels = map[string]*channelState{}
	}
	return s, nil
}

// Last returns the channel's last completed run; its At is zero when the
// channel never had a digest.
func (s *Store) Last(channel string) Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.st.Channels[channel]; c != nil {
		return cloneRun(c.Last)
	}
	return Run{}
}

// Pending returns the run that was being posted when the process stopped,
// if any.
func (s *Store) Pending(channel string) (Run, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.st.Channels[channel]; c != nil && c.Pending != nil {
		return cloneRun(*c.Pending), true
	}
	return Run{}, false
}

// Begin durably marks run as being posted to channel. Call it before
// posting; Record or Abort clears it. When the mark cannot be written it is
// not kept, and the caller must not post.
func (s *Store) Begin(channel string, run Run) error {
	return s.update(channel, true, func(c *channelState) {
		r := cloneRun(run)
		c.Pending = &r
	})
}

// Record durably stores run as the channel's last completed run and clears
// its pending mark. The in-memory state changes even when writing fails, so
// that this process does not post the same run again.
func (s *Store) Record(channel string, run Run) error {
	return s.update(channel, false, func(c *channelState) {
		c.Last = cloneRun(run)
		c.Pending = nil
	})
}

// Abort clears the channel's pending mark: the post did not happen.
func (s *Store) Abort(channel string) error {
	return s.update(channel, false, func(c *channelState) { c.Pending = nil })
}

// update applies f to the channel's state and writes the file. When the
// write fails, revert undoes the change in memory too.
func (s *Store) update(channel string, revert bool, f func(*channelState)) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.Channels[channel]
	if c == nil {
		c = &channelState{}
		s.st.Channels[channel] = c
	}
	old := *c
	defer func() {
		if err != nil && revert {
			*c = old
		}
	}()
	f(c)
	b, err := json.MarshalIndent(s.st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode digest state: %w", err)
	}
	// Replaced atomically: a crash leaves the old state or the new one,
	// never a torn one. Owner-only, as it has always been written.
	if err := atomicfile.Write(s.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write digest state %s: %w", s.path, err)
	}
	return nil
}

func cloneRun(r Run) Run {
	r.Covered = slices.Clone(r.Covered)
	return r
}
