package bot

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Autocomplete must answer within Discord's 3 seconds, with at most 25
// choices of at most 100 characters.
const (
	autocompleteTimeout = 2 * time.Second
	maxChoices          = 25
	maxChoiceName       = 100
)

// runAutocomplete suggests the indexed sources while the user types the
// source option, so that /ask and /search rarely meet an unknown source.
// Other options get no suggestion.
func (b *Bot) runAutocomplete(ctx context.Context, s *discordgo.Session, i *discordgo.Interaction) {
	data := i.ApplicationCommandData()
	var focused, typed string
	for _, o := range data.Options {
		if o.Focused {
			focused = o.Name
			typed, _ = o.Value.(string)
		}
	}
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	if focused == "source" {
		actx, cancel := context.WithTimeout(ctx, autocompleteTimeout)
		st, err := b.library.StatsIn(actx, b.Scope(i.GuildID))
		cancel()
		if err != nil {
			b.log.Warn("autocomplete sources", "interaction_id", i.ID, "err", err)
		}
		for _, name := range sourceChoices(st.Sources, typed) {
			choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: name, Value: name})
		}
	}
	if err := s.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices},
	}, discordgo.WithContext(ctx)); err != nil {
		b.log.Error("answer autocomplete", "interaction_id", i.ID, "err", err)
	}
}

// sourceChoices ranks sources matching typed: prefix matches first, then
// substring matches, each by article count then name.
func sourceChoices(sources map[string]int, typed string) []string {
	typed = strings.ToLower(strings.TrimSpace(typed))
	type cand struct {
		name   string
		prefix bool
	}
	var cands []cand
	for name := range sources {
		lower := strings.ToLower(name)
		if name == "" || runeLen(name) > maxChoiceName || !strings.Contains(lower, typed) {
			continue
		}
		cands = append(cands, cand{name, strings.HasPrefix(lower, typed)})
	}
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.prefix != b.prefix {
			return a.prefix
		}
		if sources[a.name] != sources[b.name] {
			return sources[a.name] > sources[b.name]
		}
		return a.name < b.name
	})
	out := make([]string, 0, min(len(cands), maxChoices))
	for _, c := range cands[:min(len(cands), maxChoices)] {
		out = append(out, c.name)
	}
	return out
}
