package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/veille/veille/bot/digest"
)

// DigestRunner builds and posts a channel's digest on demand: /digest now
// and /digest preview.
type DigestRunner interface {
	// Preview builds the digest the channel would get now, posting nothing.
	Preview(ctx context.Context, channelID string) (digest.Digest, error)
	// PostNow posts the channel's digest at once (through PostDigest) and
	// records it as the channel's last.
	PostNow(ctx context.Context, channelID string) error
}

// DigestConfig keeps each channel's digest settings: /digest config.
type DigestConfig interface {
	// Settings returns the channel's digest settings and whether the
	// channel gets a digest; when it does not, they are the defaults a
	// first /digest config starts from.
	Settings(ctx context.Context, channelID string) (digest.Settings, bool)
	// Configure stores a channel's settings; they apply without a restart.
	Configure(ctx context.Context, s digest.Settings) error
	// Unconfigure removes the channel's stored settings.
	Unconfigure(ctx context.Context, channelID string) error
}

// DigestControl is what /digest needs from the daily digest; cmd/veille
// implements it over the digest state file and scheduler. Every method
// works on one channel, the one the command was run in.
type DigestControl interface {
	DigestRunner
	DigestConfig
}

// Limits of the /digest config options.
const (
	maxZoneLen    = 64
	maxFilterLen  = 500 // keywords or sources, comma-separated
	maxFilterTerm = 20  // terms in one list
)

// clearFilter, as the keywords or sources option, removes the filter.
const clearFilter = "-"

// digestCommand is /digest: admins only (Manage Server), in servers only,
// and answered to the admin alone.
func (b *Bot) digestCommand() command {
	return command{def: &discordgo.ApplicationCommand{
		Name: "digest", NameLocalizations: fr("résumé"),
		Description:              "Post, preview or set up this channel's daily digest",
		DescriptionLocalizations: fr("Publier, prévisualiser ou régler le résumé quotidien de ce salon"),
		DefaultMemberPermissions: ptr(int64(discordgo.PermissionManageGuild)),
		Contexts:                 &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild},
		Options: []*discordgo.ApplicationCommandOption{
			subcommand("now", "maintenant", "Post the digest to this channel now", "Publier le résumé dans ce salon maintenant"),
			subcommand("preview", "aperçu", "Show the next digest, to you only", "Afficher le prochain résumé, à vous seul"),
			subcommand("config", "réglages", "Show or change this channel's digest settings", "Afficher ou modifier les réglages du résumé de ce salon",
				&discordgo.ApplicationCommandOption{
					Type: discordgo.ApplicationCommandOptionString, Name: "time",
					NameLocalizations:        map[discordgo.Locale]string{discordgo.French: "heure"},
					Description:              "Local time of day to post, HH:MM (24-hour)",
					DescriptionLocalizations: map[discordgo.Locale]string{discordgo.French: "Heure locale de publication, HH:MM (sur 24 h)"},
					MinLength:                ptr(4), MaxLength: 5,
				},
				&discordgo.ApplicationCommandOption{
					Type: discordgo.ApplicationCommandOptionString, Name: "timezone",
					NameLocalizations:        map[discordgo.Locale]string{discordgo.French: "fuseau"},
					Description:              "IANA time zone, e.g. Europe/Paris",
					DescriptionLocalizations: map[discordgo.Locale]string{discordgo.French: "Fuseau horaire IANA, par exemple Europe/Paris"},
					MinLength:                ptr(1), MaxLength: maxZoneLen,
				},
				&discordgo.ApplicationCommandOption{
					Type: discordgo.ApplicationCommandOptionString, Name: "language",
					NameLocalizations:        map[discordgo.Locale]string{discordgo.French: "langue"},
					Description:              "Language of the digest",
					DescriptionLocalizations: map[discordgo.Locale]string{discordgo.French: "Langue du résumé"},
					Choices: []*discordgo.ApplicationCommandOptionChoice{
						{Name: "French", NameLocalizations: map[discordgo.Locale]string{discordgo.French: "Français"}, Value: "fr"},
						{Name: "English", NameLocalizations: map[discordgo.Locale]string{discordgo.French: "Anglais"}, Value: "en"},
					},
				},
				filterOption("keywords", "mots-clés", "Only articles with one of these comma-separated words; - for all",
					"Seulement les articles avec l'un de ces mots (séparés par des virgules) ; - pour tous"),
				filterOption("sources", "sources", "Only articles from these comma-separated sources; - for all",
					"Seulement les articles de ces sources (séparées par des virgules) ; - pour toutes"),
				&discordgo.ApplicationCommandOption{
					Type: discordgo.ApplicationCommandOptionBoolean, Name: "post_empty",
					NameLocalizations:        map[discordgo.Locale]string{discordgo.French: "publier_si_vide"},
					Description:              "Post a short line when nothing is new (default: stay silent)",
					DescriptionLocalizations: map[discordgo.Locale]string{discordgo.French: "Publier une ligne quand rien n'est nouveau (par défaut : rien)"},
				},
				&discordgo.ApplicationCommandOption{
					Type: discordgo.ApplicationCommandOptionBoolean, Name: "off",
					NameLocalizations:        map[discordgo.Locale]string{discordgo.French: "désactiver"},
					Description:              "Stop this channel's digest",
					DescriptionLocalizations: map[discordgo.Locale]string{discordgo.French: "Arrêter le résumé de ce salon"},
				},
			),
		},
	}, handle: b.handleDigest, ephemeral: true, admin: true}
}

func subcommand(name, frName, desc, frDesc string, opts ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{
		Type: discordgo.ApplicationCommandOptionSubCommand, Name: name,
		NameLocalizations: map[discordgo.Locale]string{discordgo.French: frName},
		Description:       desc, DescriptionLocalizations: map[discordgo.Locale]string{discordgo.French: frDesc},
		Options: opts,
	}
}

func filterOption(name, frName, desc, frDesc string) *discordgo.ApplicationCommandOption {
	o := textOption(name, frName, desc, frDesc, false)
	o.MaxLength = maxFilterLen
	return o
}

func (b *Bot) handleDigest(ctx context.Context, req request) (reply, error) {
	switch req.subcommand {
	case "now":
		if err := b.digest.PostNow(ctx, req.channelID); err != nil {
			return reply{}, fmt.Errorf("post digest now to channel %s: %w", req.channelID, err)
		}
		return reply{messages: []message{{Content: req.lang.pick(txtDigestPosted)}}}, nil
	case "preview":
		d, err := b.digest.Preview(ctx, req.channelID)
		if err != nil {
			return reply{}, fmt.Errorf("preview digest of channel %s: %w", req.channelID, err)
		}
		msgs := digestMessages(d)
		msgs[0].Content = req.lang.pick(txtDigestPreview)
		return reply{messages: msgs}, nil
	case "config":
		return b.configureDigest(ctx, b.digest, req)
	}
	return reply{}, fmt.Errorf("/digest %q: %w", req.subcommand, errUnknownCommand)
}

// configureDigest applies /digest config: off removes the channel's
// settings, other options change them (starting from the current ones),
// none shows them.
func (b *Bot) configureDigest(ctx context.Context, dc DigestConfig, req request) (reply, error) {
	ch := req.channelID
	if off, _ := req.boolean("off"); off {
		if len(req.options) > 1 {
			return reply{}, invalid("off", txtDigestOffAlone)
		}
		if err := dc.Unconfigure(ctx, ch); err != nil {
			return reply{}, fmt.Errorf("remove digest settings of channel %s: %w", ch, err)
		}
		msg := req.lang.pick(txtDigestOff)
		if set, still := dc.Settings(ctx, ch); still {
			// The channel is the default one from the bot's environment.
			msg = req.lang.pick(txtDigestDefaultStays) + "\n" + b.describeDigest(set, req.lang)
		}
		return reply{messages: []message{{Content: msg}}}, nil
	}
	delete(req.options, "off") // off:false changes nothing
	set, active := dc.Settings(ctx, ch)
	if len(req.options) == 0 {
		msg := req.lang.pick(txtDigestNotSet)
		if active {
			msg = b.describeDigest(set, req.lang)
		}
		return reply{messages: []message{{Content: msg}}}, nil
	}
	set.ChannelID, set.GuildID = ch, req.guildID
	set.Keywords, set.Sources = slices.Clone(set.Keywords), slices.Clone(set.Sources)
	if err := b.digestOptions(ctx, req, &set); err != nil {
		return reply{}, err
	}
	if err := dc.Configure(ctx, set); errors.Is(err, digest.ErrInvalidSettings) {
		return reply{}, invalid("settings", txtBadDigestSettings, neutralize(truncate(oneLine(err.Error()), 300)))
	} else if err != nil {
		return reply{}, fmt.Errorf("store digest settings of channel %s: %w", ch, err)
	}
	return reply{messages: []message{{Content: req.lang.pick(txtDigestSaved) + "\n" + b.describeDigest(set, req.lang)}}}, nil
}

// digestOptions validates the options of /digest config into set.
func (b *Bot) digestOptions(ctx context.Context, req request, set *digest.Settings) error {
	if at, ok := req.options["time"]; ok {
		s, _ := at.(string)
		t, err := time.Parse("15:04", strings.TrimSpace(s))
		if err != nil {
			return invalid("time", txtBadDigestTime, neutralize(truncate(oneLine(s), 10)))
		}
		set.At = t.Format("15:04")
	}
	if z, ok := req.options["timezone"]; ok {
		s, _ := z.(string)
		loc, err := zone(s)
		if err != nil {
			return err
		}
		set.Loc = loc
	}
	if l, ok := req.options["language"]; ok {
		s, _ := l.(string)
		s = strings.ToLower(strings.TrimSpace(s))
		if s != "fr" && s != "en" {
			return invalid("language", txtBadDigestLang)
		}
		set.Lang = s
	}
	if v, ok := req.boolean("post_empty"); ok {
		set.PostEmpty = v
	}
	if _, ok := req.options["keywords"]; ok {
		kw, err := filterTerms("keywords", req.text("keywords"))
		if err != nil {
			return err
		}
		set.Keywords = kw
	}
	if _, ok := req.options["sources"]; ok {
		srcs, err := filterTerms("sources", req.text("sources"))
		if err != nil {
			return err
		}
		for i, s := range srcs {
			if srcs[i], err = b.knownSource(ctx, b.Scope(req.guildID), s); err != nil {
				return err
			}
		}
		slices.Sort(srcs)
		set.Sources = slices.Compact(srcs)
	}
	return nil
}

// zone loads an IANA time zone named by a user.
func zone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	bad := invalid("timezone", txtBadZone, neutralize(truncate(oneLine(name), maxZoneLen)))
	// "" and "Local" are valid for LoadLocation but name no zone.
	if name == "" || name == "Local" || runeLen(name) > maxZoneLen {
		return nil, bad
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, bad
	}
	return loc, nil
}

// filterTerms splits a comma-separated list; "-" means no filter.
func filterTerms(field, list string) ([]string, error) {
	if strings.TrimSpace(list) == clearFilter {
		return nil, nil
	}
	var terms []string
	for t := range strings.SplitSeq(list, ",") {
		if t = oneLine(t); t != "" && !slices.Contains(terms, t) {
			terms = append(terms, t)
		}
	}
	if len(terms) == 0 || len(terms) > maxFilterTerm || runeLen(list) > maxFilterLen {
		return nil, invalid(field, txtBadFilter, maxFilterTerm)
	}
	return terms, nil
}

// describeDigest says when and how the channel's digest is posted, with
// the next time as a Discord timestamp (shown in each reader's own zone).
func (b *Bot) describeDigest(set digest.Settings, l lang) string {
	zone := "Europe/Paris"
	if set.Loc != nil {
		zone = set.Loc.String()
	}
	language := l.pick(txtFrench)
	if set.Lang == "en" {
		language = l.pick(txtEnglish)
	}
	list := func(terms []string, all text) string {
		if len(terms) == 0 {
			return l.pick(all)
		}
		return escapeMarkdown(neutralize(truncate(strings.Join(terms, ", "), 600)))
	}
	yesNo := l.pick(txtNo)
	if set.PostEmpty {
		yesNo = l.pick(txtYes)
	}
	s := fmt.Sprintf(l.pick(txtDigestSettings), set.At, zone, language, list(set.Keywords, txtAllKeywords), list(set.Sources, txtAllSources), yesNo)
	if next := digest.Next(set, b.now()); !next.IsZero() {
		s += "\n" + fmt.Sprintf(l.pick(txtDigestNext), next.Unix())
	}
	return s
}
