package bot

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/bwmarrin/discordgo"

	"github.com/veille/veille/rag"
)

// Request limits checked by the handlers (and announced to Discord, which
// checks them too, but a recorded or forged interaction may not).
const (
	maxQuestion = 1000
	maxSince    = 3650 // days
	maxLatest   = 20
	defLatest   = 5
)

// command pairs a slash command's definition with its handler. The router
// owns all Discord I/O; a handler only computes its reply.
type command struct {
	def    *discordgo.ApplicationCommand
	handle func(ctx context.Context, req request) (reply, error)
	// ephemeral makes the whole reply visible to the user only.
	ephemeral bool
	// admin commands need Manage Server: announced to Discord through
	// def.DefaultMemberPermissions and re-checked by the router.
	admin bool
}

// commandTable is every slash command the bot registers and serves.
// /digest is served only when Config.Digest is set, /feeds only when
// Config.Feeds is.
func (b *Bot) commandTable() []command {
	cmds := []command{
		{def: &discordgo.ApplicationCommand{
			Name: "ask", NameLocalizations: fr("demander"),
			Description:              "Ask a question about the indexed security news",
			DescriptionLocalizations: fr("Poser une question sur l'actualité cyber indexée"),
			Options: []*discordgo.ApplicationCommandOption{
				textOption("question", "question", "Your question, in French or English", "Votre question, en français ou en anglais", true),
				sourceOption(), sinceOption(),
			},
		}, handle: b.handleAsk},
		{def: &discordgo.ApplicationCommand{
			Name: "search", NameLocalizations: fr("chercher"),
			Description:              "Find the indexed articles about a subject",
			DescriptionLocalizations: fr("Trouver les articles indexés sur un sujet"),
			Options: []*discordgo.ApplicationCommandOption{
				textOption("query", "requête", "What to look for", "Ce qu'il faut chercher", true),
				sourceOption(), sinceOption(),
			},
		}, handle: b.handleSearch},
		{def: &discordgo.ApplicationCommand{
			Name: "latest", NameLocalizations: fr("derniers"),
			Description:              "The most recently published articles",
			DescriptionLocalizations: fr("Les articles publiés le plus récemment"),
			Options: []*discordgo.ApplicationCommandOption{{
				Type: discordgo.ApplicationCommandOptionInteger, Name: "count", NameLocalizations: map[discordgo.Locale]string{discordgo.French: "nombre"},
				Description: fmt.Sprintf("How many articles (default %d)", defLatest),
				DescriptionLocalizations: map[discordgo.Locale]string{
					discordgo.French: fmt.Sprintf("Combien d'articles (%d par défaut)", defLatest)},
				MinValue: ptr(1.0), MaxValue: maxLatest,
			}},
		}, handle: b.handleLatest},
		{def: &discordgo.ApplicationCommand{
			Name: "sources", NameLocalizations: fr("sources"),
			Description:              "What Veille has indexed: articles, sources, freshness",
			DescriptionLocalizations: fr("Ce que Veille a indexé : articles, sources, fraîcheur"),
		}, handle: b.handleSources, ephemeral: true},
	}
	if b.digest != nil {
		cmds = append(cmds, b.digestCommand())
	}
	if b.feeds != nil {
		cmds = append(cmds, b.feedsCommand())
	}
	return cmds
}

func ptr[T any](v T) *T { return &v }

func fr(s string) *map[discordgo.Locale]string {
	return &map[discordgo.Locale]string{discordgo.French: s}
}

func textOption(name, frName, desc, frDesc string, required bool) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{
		Type: discordgo.ApplicationCommandOptionString, Name: name,
		NameLocalizations: map[discordgo.Locale]string{discordgo.French: frName},
		Description:       desc, DescriptionLocalizations: map[discordgo.Locale]string{discordgo.French: frDesc},
		Required: required, MinLength: ptr(1), MaxLength: maxQuestion,
	}
}

func sourceOption() *discordgo.ApplicationCommandOption {
	o := textOption("source", "source", "Only articles from this source", "Seulement les articles de cette source", false)
	o.MaxLength = 100
	o.Autocomplete = true // suggestions from the index, see runAutocomplete
	return o
}

func sinceOption() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{
		Type: discordgo.ApplicationCommandOptionInteger, Name: "since",
		NameLocalizations:        map[discordgo.Locale]string{discordgo.French: "depuis"},
		Description:              "Only articles from the last N days",
		DescriptionLocalizations: map[discordgo.Locale]string{discordgo.French: "Seulement les articles des N derniers jours"},
		MinValue:                 ptr(1.0), MaxValue: maxSince,
	}
}

// request is what a handler knows of the interaction that called it.
type request struct {
	userID, guildID, channelID string
	lang                       lang
	permissions                int64
	// subcommand is the subcommand invoked ("" for a plain command); its
	// options are in options.
	subcommand string
	options    map[string]any // option name → JSON value
	// draft shows interim messages in the deferred response while the
	// handler works; nil where there is none (mentions, tests).
	draft *drafter
}

// newRequest reads the invoker and options of a slash command.
func newRequest(i *discordgo.Interaction) request {
	r := request{guildID: i.GuildID, channelID: i.ChannelID, lang: langOf(string(i.Locale)), options: map[string]any{}}
	switch {
	case i.Member != nil && i.Member.User != nil:
		r.userID = i.Member.User.ID
		r.permissions = i.Member.Permissions
	case i.User != nil:
		r.userID = i.User.ID
	}
	if i.Type == discordgo.InteractionApplicationCommand {
		opts := i.ApplicationCommandData().Options
		if len(opts) == 1 && opts[0].Type == discordgo.ApplicationCommandOptionSubCommand {
			r.subcommand, opts = opts[0].Name, opts[0].Options
		}
		for _, o := range opts {
			r.options[o.Name] = o.Value
		}
	}
	return r
}

// admin reports whether the member may run admin commands.
func (r request) admin() bool {
	return r.permissions&(discordgo.PermissionManageGuild|discordgo.PermissionAdministrator) != 0
}

func (r request) text(name string) string {
	s, _ := r.options[name].(string)
	return s
}

// boolean returns a boolean option; ok is false when absent.
func (r request) boolean(name string) (v, ok bool) {
	v, ok = r.options[name].(bool)
	return v, ok
}

// integer returns an integer option; ok is false when absent, err set when
// present but not an integer.
func (r request) integer(name string) (n int, ok bool, err error) {
	v, present := r.options[name]
	if !present || v == nil {
		return 0, false, nil
	}
	f, isNum := v.(float64)
	if !isNum || f != math.Trunc(f) || math.Abs(f) > 1e9 {
		return 0, true, fmt.Errorf("option %s: %v is not an integer", name, v)
	}
	return int(f), true, nil
}

// question validates a question or query typed by a user.
func question(field, q string) (string, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return "", invalid(field, txtEmptyQuestion)
	}
	if n := runeLen(q); n > maxQuestion {
		return "", invalid(field, txtLongQuestion, n, maxQuestion)
	}
	return q, nil
}

// searchOptions validates the source and since options.
func (b *Bot) searchOptions(ctx context.Context, req request) (rag.SearchOptions, error) {
	opts := rag.SearchOptions{Scope: b.Scope(req.guildID)}
	days, ok, err := req.integer("since")
	if err != nil || (ok && (days < 1 || days > maxSince)) {
		return opts, invalid("since", txtBadSince)
	}
	if ok {
		opts.Since = b.now().AddDate(0, 0, -days)
	}
	if src := strings.TrimSpace(req.text("source")); src != "" {
		opts.Source, err = b.knownSource(ctx, opts.Scope, src)
		if err != nil {
			return opts, err
		}
	}
	return opts, nil
}

// knownSource returns the indexed source named name (case-insensitively),
// or a validation error listing the known ones; another server's are not.
func (b *Bot) knownSource(ctx context.Context, scope rag.Scope, name string) (string, error) {
	st, err := b.library.StatsIn(ctx, scope)
	if err != nil {
		return "", fmt.Errorf("list sources: %w", err)
	}
	known := make([]string, 0, len(st.Sources))
	for s := range st.Sources {
		if strings.EqualFold(s, name) {
			return s, nil
		}
		if strings.TrimSpace(s) != "" { // articles without a source
			known = append(known, s)
		}
	}
	sort.Strings(known)
	list := strings.Join(known, ", ")
	if list == "" {
		list = "—"
	}
	return "", invalid("source", txtUnknownSource, neutralize(truncate(oneLine(name), 100)), truncate(list, 1500))
}

func (b *Bot) handleAsk(ctx context.Context, req request) (reply, error) {
	q, err := question("question", req.text("question"))
	if err != nil {
		return reply{}, err
	}
	opts, err := b.searchOptions(ctx, req)
	if err != nil {
		return reply{}, err
	}
	if prev := b.memory.message(req.channelID); prev != nil {
		// Asked in the thread under an earlier answer: a follow-up.
		opts.Context = prev.context()
	}
	return b.ask(ctx, req.userID, q, opts, req.lang, req.draft)
}

func (b *Bot) handleSearch(ctx context.Context, req request) (reply, error) {
	q, err := question("query", req.text("query"))
	if err != nil {
		return reply{}, err
	}
	opts, err := b.searchOptions(ctx, req)
	if err != nil {
		return reply{}, err
	}
	release, err := b.admit(ctx, req.userID)
	if err != nil {
		return reply{}, err
	}
	defer release()
	hits, err := b.library.Search(ctx, q, opts)
	if err != nil {
		return reply{}, fmt.Errorf("search %q: %w", truncate(q, 80), err)
	}
	return reply{messages: searchMessages(q, hits, req.lang)}, nil
}

func (b *Bot) handleLatest(ctx context.Context, req request) (reply, error) {
	n, ok, err := req.integer("count")
	if err != nil || (ok && (n < 1 || n > maxLatest)) {
		return reply{}, invalid("count", txtBadCount, maxLatest)
	}
	if !ok {
		n = defLatest
	}
	arts, err := b.library.LatestIn(ctx, b.Scope(req.guildID), n)
	if err != nil {
		return reply{}, fmt.Errorf("latest %d articles: %w", n, err)
	}
	return reply{messages: latestMessages(arts, req.lang)}, nil
}

func (b *Bot) handleSources(ctx context.Context, req request) (reply, error) {
	st, err := b.library.StatsIn(ctx, b.Scope(req.guildID))
	if err != nil {
		return reply{}, fmt.Errorf("index stats: %w", err)
	}
	msgs := statsMessages(st, req.lang)
	if b.feeds != nil {
		hs, err := b.feeds.Health(ctx, req.guildID)
		if err != nil {
			return reply{}, fmt.Errorf("feed health: %w", err)
		}
		m := &msgs[0]
		used := 0
		for _, e := range m.Embeds {
			used += embedSize(e)
		}
		m.Embeds = append(m.Embeds, feedHealthEmbed(hs, req.admin(), req.lang, maxEmbedTotal-used))
	}
	return reply{messages: msgs}, nil
}

// admit applies the user's rate limit, then waits for a free answer slot.
func (b *Bot) admit(ctx context.Context, userID string) (release func(), err error) {
	if err := b.limiter.allow(userID); err != nil {
		return nil, err
	}
	return b.slots.acquire(ctx)
}

// ask answers a question through the pipeline and renders it with the
// feedback buttons under its last message, remembering it for follow-ups
// and votes. With a draft and a streaming pipeline, the text is shown as
// it is written; the reply is still the checked answer.
func (b *Bot) ask(ctx context.Context, userID, q string, opts rag.SearchOptions, l lang, draft *drafter) (reply, error) {
	release, err := b.admit(ctx, userID)
	if err != nil {
		return reply{}, err
	}
	defer release()
	var a rag.Answer
	if sp, ok := b.answerer.(streamer); ok && draft != nil {
		var mu sync.Mutex
		var streamed strings.Builder
		render := func() message {
			mu.Lock()
			defer mu.Unlock()
			return draftMessage(q, streamed.String(), l)
		}
		a, err = sp.AskStream(ctx, q, opts, func(delta string) {
			mu.Lock()
			streamed.WriteString(delta)
			mu.Unlock()
			draft.show(ctx, render)
		})
	} else {
		a, err = b.answerer.Ask(ctx, q, opts)
	}
	if err != nil {
		return reply{}, fmt.Errorf("ask %q: %w", truncate(q, 80), err)
	}
	if strings.TrimSpace(a.Question) == "" {
		a.Question = q
	}
	rec := &answerRecord{ID: b.newID(), Question: q, Answer: a.Text, Sources: a.Citations}
	b.memory.remember(rec)
	msgs, dropped := answerMessages(a, l)
	if dropped > 0 {
		b.log.Warn("answer cut to the message cap", "user_id", userID, "answer_id", rec.ID,
			"max_messages", MaxAnswerMessages, "text_chars", runeLen(a.Text), "dropped_chars", dropped)
	}
	if b.feedback != nil {
		msgs[len(msgs)-1].Components = feedbackButtons(rec.ID)
	}
	return reply{messages: msgs, answer: rec}, nil
}
