package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/veille/veille/rag"
)

// selfID is the bot user's ID, known from READY.
func selfID(s *discordgo.Session) string {
	if s.State == nil {
		return ""
	}
	s.State.RLock()
	defer s.State.RUnlock()
	if s.State.User == nil {
		return ""
	}
	return s.State.User.ID
}

// onMessage answers messages addressed to the bot: a mention, a direct
// message, a reply to one of its answers, or a message in the thread
// started from one. The last two are follow-ups: the earlier question and
// answer go to the pipeline as SearchOptions.Context.
func (b *Bot) onMessage(ctx context.Context, s *discordgo.Session, m *discordgo.Message) {
	if m.Author == nil || m.Author.Bot {
		return
	}
	botID := selfID(s)
	if botID == "" || m.Author.ID == botID {
		return
	}
	q, prev, ok := b.classify(m, botID)
	if !ok {
		return
	}
	start := time.Now()
	l := guessLang(q)
	log := b.log.With("user_id", m.Author.ID, "guild_id", m.GuildID, "channel_id", m.ChannelID,
		"message_id", m.ID, "follow_up", prev != nil)

	rep, err := b.answerMessage(ctx, s, m, q, prev, l)
	if err == nil {
		err = b.sendReplies(ctx, s, m, rep)
	}
	if err != nil {
		msg, level := explain(err, l)
		_, sendErr := s.ChannelMessageSendComplex(m.ChannelID, &discordgo.MessageSend{
			Content: msg, Reference: softReference(m), AllowedMentions: noMentions(),
			Embeds: []*discordgo.MessageEmbed{}, Components: []discordgo.MessageComponent{},
		}, discordgo.WithContext(ctx))
		attrs := []any{"err", err, "elapsed_ms", time.Since(start).Milliseconds()}
		if sendErr != nil {
			level = slog.LevelError
			attrs = append(attrs, "reply_err", sendErr)
		}
		log.Log(ctx, level, "mention failed", attrs...)
		return
	}
	log.Info("mention answered", "elapsed_ms", time.Since(start).Milliseconds(), "messages", len(rep.messages))
}

// classify decides whether m is for the bot, returning the question
// (mention stripped) and, for a follow-up, the earlier answer.
func (b *Bot) classify(m *discordgo.Message, botID string) (q string, prev *answerRecord, ok bool) {
	mentioned := false
	for _, u := range m.Mentions {
		if u != nil && u.ID == botID {
			mentioned = true
		}
	}
	if ref := m.MessageReference; ref != nil && ref.MessageID != "" {
		prev = b.memory.message(ref.MessageID)
		if prev == nil && m.ReferencedMessage != nil && m.ReferencedMessage.Author != nil &&
			m.ReferencedMessage.Author.ID == botID {
			prev = recordFromMessage(m.ReferencedMessage) // an answer from before a restart
		}
	}
	if prev == nil {
		prev = b.memory.message(m.ChannelID) // a thread started from an answer
	}
	if !mentioned && prev == nil && m.GuildID != "" {
		return "", nil, false
	}
	q = strings.NewReplacer("<@"+botID+">", " ", "<@!"+botID+">", " ").Replace(m.Content)
	return strings.TrimSpace(q), prev, true
}

// recordFromMessage rebuilds what it can of an answer from its embed.
func recordFromMessage(m *discordgo.Message) *answerRecord {
	if len(m.Embeds) == 0 || m.Embeds[0] == nil {
		return nil
	}
	return &answerRecord{Question: m.Embeds[0].Title, Answer: m.Embeds[0].Description}
}

func (b *Bot) answerMessage(ctx context.Context, s *discordgo.Session, m *discordgo.Message, q string, prev *answerRecord, l lang) (reply, error) {
	if q == "" {
		return reply{}, invalid("question", txtMentionHelp)
	}
	q, err := question("question", q)
	if err != nil {
		return reply{}, err
	}
	opts := rag.SearchOptions{Scope: b.Scope(m.GuildID)}
	if prev != nil {
		opts.Context = prev.context()
	}
	ctx, cancel := context.WithTimeout(ctx, b.answerTimeout)
	defer cancel()
	if err := s.ChannelTyping(m.ChannelID, discordgo.WithContext(ctx)); err != nil {
		b.log.Debug("typing indicator", "channel_id", m.ChannelID, "err", err)
	}
	return b.ask(ctx, m.Author.ID, q, opts, l, nil)
}

// softReference replies to m without failing if it was deleted meanwhile.
func softReference(m *discordgo.Message) *discordgo.MessageReference {
	return &discordgo.MessageReference{MessageID: m.ID, ChannelID: m.ChannelID, GuildID: m.GuildID, FailIfNotExists: ptr(false)}
}

// sendReplies posts the reply's messages, the first as a reply to m, and
// remembers them (and the thread they are in) for follow-ups.
func (b *Bot) sendReplies(ctx context.Context, s *discordgo.Session, m *discordgo.Message, rep reply) error {
	for n, msg := range rep.messages {
		msg = nonNil(msg)
		send := &discordgo.MessageSend{Content: msg.Content, Embeds: msg.Embeds, Components: msg.Components,
			AllowedMentions: noMentions()}
		if n == 0 {
			send.Reference = softReference(m)
		}
		sent, err := s.ChannelMessageSendComplex(m.ChannelID, send, discordgo.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("send reply %d of %d: %w", n+1, len(rep.messages), err)
		}
		if rep.answer != nil {
			b.memory.link(sent.ID, rep.answer)
		}
	}
	if rep.answer != nil && b.memory.message(m.ChannelID) != nil {
		// In a thread under an answer, the next question follows this one.
		b.memory.link(m.ChannelID, rep.answer)
	}
	return nil
}
