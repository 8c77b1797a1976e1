package digest

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// storedSettings is Settings as the state file keeps it: the zone by name.
type storedSettings struct {
	At        string   `json:"at"`
	Guild     string   `json:"guild_id,omitempty"`
	Zone      string   `json:"tz,omitempty"`
	Lang      string   `json:"lang,omitempty"`
	PostEmpty bool     `json:"post_empty,omitempty"`
	Keywords  []string `json:"keywords,omitempty"`
	Sources   []string `json:"sources,omitempty"`
}

// Configure durably stores a channel's settings (/digest config); they
// override the defaults passed to Channels. It validates s first.
func (s *Store) Configure(set Settings) error {
	if err := set.Validate(); err != nil {
		return err
	}
	ss := &storedSettings{
		At: set.At, Guild: set.GuildID, Zone: set.loc().String(), Lang: set.Lang, PostEmpty: set.PostEmpty,
		Keywords: slices.Clone(set.Keywords), Sources: slices.Clone(set.Sources),
	}
	return s.update(set.ChannelID, true, func(c *channelState) { c.Settings = ss })
}

// Unconfigure removes a channel's stored settings: it falls back to the
// defaults, or gets no digest when it has none.
func (s *Store) Unconfigure(channel string) error {
	return s.update(channel, true, func(c *channelState) { c.Settings = nil })
}

// Channels returns the digest channels: the stored settings, plus the
// defaults (from the environment, say) of channels that stored none,
// sorted by channel ID. Stored settings whose zone cannot be loaded are
// reported in the error and left out; the others are still returned.
func (s *Store) Channels(defaults ...Settings) ([]Settings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Settings
	var bad []string
	for id, c := range s.st.Channels {
		if c.Settings == nil {
			continue
		}
		loc, err := time.LoadLocation(cmp.Or(c.Settings.Zone, "Europe/Paris"))
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", id, err))
			continue
		}
		out = append(out, Settings{
			ChannelID: id, GuildID: c.Settings.Guild, At: c.Settings.At, Loc: loc, Lang: c.Settings.Lang, PostEmpty: c.Settings.PostEmpty,
			Keywords: slices.Clone(c.Settings.Keywords), Sources: slices.Clone(c.Settings.Sources),
		})
	}
	for _, d := range defaults {
		if c := s.st.Channels[d.ChannelID]; d.ChannelID != "" && (c == nil || c.Settings == nil) &&
			!slices.ContainsFunc(out, func(o Settings) bool { return o.ChannelID == d.ChannelID }) {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b Settings) int { return cmp.Compare(a.ChannelID, b.ChannelID) })
	if len(bad) > 0 {
		slices.Sort(bad)
		return out, fmt.Errorf("stored digest settings with unknown zones: %v", bad)
	}
	return out, nil
}
