package feedlist

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/veille/veille/rag/atomicfile"
)

// FileName is the list of feeds added with /feeds in the data directory.
// Their refresh state lives in feeds.json with every other feed's; this
// list is what marks them as users' (untrusted) feeds.
const FileName = "user_feeds.json"

// Entry is one feed added with /feeds add, in one server: a feed two
// servers follow is listed twice.
type Entry struct {
	URL string `json:"url"`
	// Guild is the server it was added in, whose articles its items
	// become. Empty for a feed added before servers were recorded: its
	// articles are the operator's, seen everywhere, as they were then.
	Guild   string    `json:"guild_id,omitzero"`
	AddedBy string    `json:"added_by,omitzero"` // Discord user ID
	AddedAt time.Time `json:"added_at"`
}

// Sees reports whether server guild follows the feed (a feed recorded
// without a server belongs to every server).
func (f Entry) Sees(guild string) bool { return f.Guild == "" || f.Guild == guild }

// Group is user-added feeds followed by the same servers.
type Group struct {
	Guilds []string // sorted; nil: the operator's (a feed without a server)
	URLs   []string
}

// Groups groups the user-added feeds that operator (FEEDS) does not hold
// by the servers following them, so that each feed's articles are owned by
// exactly those servers.
func Groups(list []Entry, operator []string) []Group {
	owners := map[string][]string{}
	legacy := map[string]bool{}
	var order []string
	for _, f := range list {
		if slices.Contains(operator, f.URL) {
			continue
		}
		if _, seen := owners[f.URL]; !seen && !legacy[f.URL] {
			order = append(order, f.URL)
		}
		if f.Guild == "" {
			legacy[f.URL] = true
			continue
		}
		owners[f.URL] = append(owners[f.URL], f.Guild)
	}
	var groups []Group
	at := map[string]int{}
	for _, u := range order {
		var g []string
		if !legacy[u] {
			g = slices.Clone(owners[u])
			slices.Sort(g)
			g = slices.Compact(g)
		}
		key := strings.Join(g, ",")
		i, ok := at[key]
		if !ok {
			i = len(groups)
			at[key] = i
			groups = append(groups, Group{Guilds: g})
		}
		groups[i].URLs = append(groups[i].URLs, u)
	}
	return groups
}

// file is the on-disk form of the list.
type file struct {
	Version int     `json:"version"`
	Feeds   []Entry `json:"feeds"`
}

// Read reads the list at path; a missing file is none.
func Read(path string) ([]Entry, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read user feeds: %w", err)
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("read user feeds %s: %w", path, err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("read user feeds %s: unknown version %d", path, f.Version)
	}
	return f.Feeds, nil
}

// Write replaces the list at path through atomicfile, so a reader or a
// crash sees the old list or the new one, never half of one. Callers hold
// the writer lock.
func Write(path string, list []Entry) error {
	data, err := json.MarshalIndent(file{Version: 1, Feeds: list}, "", "  ")
	if err != nil {
		return fmt.Errorf("write user feeds: %w", err)
	}
	// Owner-only, as the file has always been written (os.CreateTemp's mode).
	if err := atomicfile.Write(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("write user feeds: %w", err)
	}
	return nil
}
