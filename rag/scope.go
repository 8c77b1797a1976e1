package rag

import (
	"context"
	"slices"
)

// Scope is what one Discord server may read: the operator's articles
// (bundled, FEEDS, command-line ingests: no owner) and the articles its own
// members added with /feeds add. It keeps one server's additions out of
// another's answers, searches, /latest and digests.
//
// The zero Scope sees every article: the operator's view, the command
// line's, and the bot's when the operator shares every server's additions.
type Scope struct {
	limited bool
	guild   string
}

// GuildScope returns the scope of the Discord server guild. An empty guild
// (a direct message) sees the operator's articles only.
func GuildScope(guild string) Scope { return Scope{limited: true, guild: guild} }

// sees reports whether an article added by guilds (empty: the operator's)
// is in the scope.
func (s Scope) sees(guilds []string) bool {
	return !s.limited || len(guilds) == 0 || (s.guild != "" && slices.Contains(guilds, s.guild))
}

// mergeGuilds returns the owners of an article added by a and by b: the
// operator's (nil) when either is, so that an operator's ingest makes an
// article every server's; else both lists, sorted, without repeats.
func mergeGuilds(a, b []string) []string {
	if len(a) == 0 || len(b) == 0 {
		return nil
	}
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// ReadGuilds returns the owners of the articles stored in the index at
// path that a Discord server added (article ID → server IDs), whatever
// embedder built it. `veille ingest --reindex` puts them back on the
// articles ReadArticles returns, so that a rebuild keeps every server's
// additions to itself.
func ReadGuilds(ctx context.Context, path string) (map[string][]string, error) {
	arts, err := ReadArticles(ctx, path)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, a := range arts {
		if len(a.Guilds) > 0 {
			out[a.ID] = a.Guilds
		}
	}
	return out, nil
}
