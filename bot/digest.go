package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/veille/veille/bot/digest"
)

// ErrNotConnected reports a post attempted while Run is not connected
// (before READY, or after shutdown); a scheduler retries later.
var ErrNotConnected = errors.New("bot is not connected to Discord")

// PostDigest posts d to a channel, as embeds split within Discord's
// limits. It is a digest.Poster: it works while Run is connected and
// returns ErrNotConnected otherwise. When a long digest needs several
// messages and one fails, the earlier ones stay posted.
func (b *Bot) PostDigest(ctx context.Context, channelID string, d digest.Digest) error {
	s := b.session.Load()
	if s == nil {
		return ErrNotConnected
	}
	msgs := digestMessages(d)
	for n, m := range msgs {
		m = nonNil(m)
		_, err := s.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{
			Content: m.Content, Embeds: m.Embeds, Components: m.Components, AllowedMentions: noMentions(),
		}, discordgo.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("post digest message %d of %d to channel %s: %w", n+1, len(msgs), channelID, err)
		}
	}
	b.log.Info("digest posted", "channel_id", channelID, "entries", len(d.Entries), "messages", len(msgs))
	return nil
}

var _ digest.Poster = (*Bot)(nil).PostDigest

// digestMark is the colour the bot gives every embed of a digest, and
// only those: it is how DigestPosted tells a digest from an answer posted
// in the same channel. Discord keeps no field of a message that a bot can
// set without it showing, so the mark is a colour meant for this; markDigest
// sets it and isDigest reads it, and nothing else may use it (a test
// checks the other renderers).
const digestMark = 0x2EA043

// markDigest marks every embed of msgs as a digest's.
func markDigest(msgs []message) {
	for _, m := range msgs {
		for _, e := range m.Embeds {
			e.Color = digestMark
		}
	}
}

// isDigest reports whether m, read back from a channel, carries the
// digest mark.
func isDigest(m *discordgo.Message) bool {
	return len(m.Embeds) > 0 && m.Embeds[0] != nil && m.Embeds[0].Color == digestMark
}

// clockSkew tolerates Discord's clock being behind ours.
const clockSkew = time.Minute

// DigestPosted reports whether the bot posted a digest to the channel
// since the interrupted run began, by reading the channel's last 50
// messages. It is a digest.SchedulerConfig.Posted; it returns
// ErrNotConnected while Run is not connected.
func (b *Bot) DigestPosted(ctx context.Context, channelID string, pending digest.Run) (bool, error) {
	s := b.session.Load()
	if s == nil {
		return false, ErrNotConnected
	}
	msgs, err := s.ChannelMessages(channelID, 50, "", "", "", discordgo.WithContext(ctx))
	if err != nil {
		return false, fmt.Errorf("read recent messages of channel %s: %w", channelID, err)
	}
	self := selfID(s)
	for _, m := range msgs {
		if m.Author != nil && m.Author.ID == self && !m.Timestamp.Before(pending.At.Add(-clockSkew)) && isDigest(m) {
			return true, nil
		}
	}
	return false, nil
}

// digestMessages renders a digest: its header as title, one block per
// story (linked title, source and date, summary, other articles), and the
// "and N more" footer.
func digestMessages(d digest.Digest) []message {
	l := langOf(d.Lang)
	var blocks []block
	for i, e := range d.Entries {
		var row strings.Builder
		fmt.Fprintf(&row, "**%d.** %s", i+1, link(e.Title, e.URL))
		var meta []string
		if src := oneLine(e.Source); src != "" {
			meta = append(meta, escapeMarkdown(neutralize(truncate(src, 100))))
		}
		if !e.Date.IsZero() {
			meta = append(meta, digest.Date(e.Date, d.Lang))
		}
		if len(meta) > 0 {
			row.WriteString(" — " + strings.Join(meta, ", "))
		}
		if sum := strings.TrimSpace(e.Summary); sum != "" {
			row.WriteString("\n" + escapeMarkdown(neutralize(sum)))
		}
		if len(e.Also) > 0 {
			links := make([]string, len(e.Also))
			for k, a := range e.Also {
				links[k] = link(a.Title, a.URL)
				if src := oneLine(a.Source); src != "" {
					links[k] += " (" + escapeMarkdown(neutralize(truncate(src, 100))) + ")"
				}
			}
			row.WriteString("\n↳ " + l.pick(txtSeeAlso) + strings.Join(links, " · "))
		}
		blocks = append(blocks, block{text: row.String(), sep: "\n\n"})
	}
	if d.Empty || len(blocks) == 0 {
		blocks = append(blocks, block{text: l.pick(txtDigestEmpty)})
	}
	msgs := pack(neutralize(oneLine(d.Header)), blocks, neutralize(d.Footer()))
	markDigest(msgs)
	return msgs
}
