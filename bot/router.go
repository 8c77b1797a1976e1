package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/bwmarrin/discordgo"
)

// reply is what a handler returns: the first message becomes the
// interaction's response, the others follow-ups.
type reply struct {
	messages  []message
	ephemeral bool
	// answer, when set, is remembered under the IDs of the messages sent,
	// so that replies and threads under them are follow-ups.
	answer *answerRecord
}

// noMentions is the allowed_mentions of every message the bot sends:
// nothing may ping, not even the user replied to.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// nonNil makes sure slices go out as [] rather than null.
func nonNil(m message) message {
	if m.Embeds == nil {
		m.Embeds = []*discordgo.MessageEmbed{}
	}
	if m.Components == nil {
		m.Components = []discordgo.MessageComponent{}
	}
	return m
}

// onInteraction routes an interaction to the command or component router.
func (b *Bot) onInteraction(ctx context.Context, s *discordgo.Session, i *discordgo.Interaction) {
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		b.runCommand(ctx, s, i)
	case discordgo.InteractionMessageComponent:
		b.runComponent(ctx, s, i)
	case discordgo.InteractionApplicationCommandAutocomplete:
		b.runAutocomplete(ctx, s, i)
	}
}

// runCommand is the one place slash commands meet Discord: it defers at
// once (so Discord never shows "The application did not respond"), runs
// the handler under AnswerTimeout, edits the response with the reply, and
// turns an error into one short ephemeral message and one log line.
func (b *Bot) runCommand(ctx context.Context, s *discordgo.Session, i *discordgo.Interaction) {
	start := time.Now()
	name := i.ApplicationCommandData().Name
	req := newRequest(i)
	cmd, known := b.commands[name]
	ephemeral := !known || cmd.ephemeral
	log := b.log.With("command", name, "user_id", req.userID, "guild_id", req.guildID, "interaction_id", i.ID)

	var flags discordgo.MessageFlags
	if ephemeral {
		flags = discordgo.MessageFlagsEphemeral
	}
	if err := s.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: flags},
	}, discordgo.WithContext(ctx)); err != nil {
		log.Error("defer interaction", "err", err, "elapsed_ms", time.Since(start).Milliseconds())
		return
	}

	req.draft = newDrafter(func(ctx context.Context, m message) error {
		m = nonNil(m)
		_, err := s.InteractionResponseEdit(i, &discordgo.WebhookEdit{
			Content: &m.Content, Embeds: &m.Embeds, Components: &m.Components,
			AllowedMentions: noMentions(),
		}, discordgo.WithContext(ctx))
		return err
	}, b.streamInterval, b.after, log)
	rep, err := b.runHandler(ctx, cmd, known, req)
	// No draft may land after the reply; a failure deletes the drafts with
	// the response (see fail), so no unchecked text stays visible.
	if drafts := req.draft.stop(); drafts > 0 {
		log = log.With("drafts", drafts)
	}
	edited := false
	if err == nil {
		rep.ephemeral = rep.ephemeral || ephemeral
		edited, err = b.deliver(ctx, s, i, rep)
	}
	if err != nil {
		b.fail(ctx, s, i, ephemeral, edited, req.lang, log.With("elapsed_ms", time.Since(start).Milliseconds()), err)
		return
	}
	log.Info("command answered", "elapsed_ms", time.Since(start).Milliseconds(), "messages", len(rep.messages))
}

// runHandler checks what the router owns — the command exists, the member
// may run it — and runs the handler under AnswerTimeout.
func (b *Bot) runHandler(ctx context.Context, cmd command, known bool, req request) (reply, error) {
	if !known {
		return reply{}, errUnknownCommand
	}
	if cmd.admin && !req.admin() {
		return reply{}, errAdminOnly
	}
	ctx, cancel := context.WithTimeout(ctx, b.answerTimeout)
	defer cancel()
	rep, err := cmd.handle(ctx, req)
	if err == nil && len(rep.messages) == 0 {
		err = errors.New("handler returned no message")
	}
	return rep, err
}

// deliver edits the deferred response with the first message and sends
// the others as follow-ups; edited reports whether the response shows the
// reply (so that a later failure must not delete it).
func (b *Bot) deliver(ctx context.Context, s *discordgo.Session, i *discordgo.Interaction, rep reply) (edited bool, err error) {
	for n, m := range rep.messages {
		m = nonNil(m)
		var sent *discordgo.Message
		if n == 0 {
			sent, err = s.InteractionResponseEdit(i, &discordgo.WebhookEdit{
				Content: &m.Content, Embeds: &m.Embeds, Components: &m.Components,
				AllowedMentions: noMentions(),
			}, discordgo.WithContext(ctx))
			if err != nil {
				return false, fmt.Errorf("edit interaction response: %w", err)
			}
			edited = true
		} else {
			var flags discordgo.MessageFlags
			if rep.ephemeral {
				flags = discordgo.MessageFlagsEphemeral
			}
			sent, err = s.FollowupMessageCreate(i, true, &discordgo.WebhookParams{
				Content: m.Content, Embeds: m.Embeds, Components: m.Components,
				AllowedMentions: noMentions(), Flags: flags,
			}, discordgo.WithContext(ctx))
			if err != nil {
				return true, fmt.Errorf("send follow-up %d of %d: %w", n+1, len(rep.messages), err)
			}
		}
		if rep.answer != nil && sent != nil {
			b.memory.link(sent.ID, rep.answer)
		}
	}
	if rep.answer != nil && b.memory.message(i.ChannelID) != nil {
		// In a thread under an answer, the next question follows this one.
		b.memory.link(i.ChannelID, rep.answer)
	}
	return edited, nil
}

// fail tells the user, in their language and only to them, that the
// command failed, and logs one line. A public deferred response still
// "thinking" is deleted first: Discord would otherwise turn the first
// follow-up into that (public) response.
func (b *Bot) fail(ctx context.Context, s *discordgo.Session, i *discordgo.Interaction, ephemeral, edited bool, l lang, log *slog.Logger, err error) {
	msg, level := explain(err, l)
	var sendErr error
	if ephemeral && !edited {
		_, sendErr = s.InteractionResponseEdit(i, &discordgo.WebhookEdit{
			Content: &msg, Embeds: &[]*discordgo.MessageEmbed{}, Components: &[]discordgo.MessageComponent{},
			AllowedMentions: noMentions(),
		}, discordgo.WithContext(ctx))
	} else {
		if !edited {
			sendErr = s.InteractionResponseDelete(i, discordgo.WithContext(ctx))
		}
		_, ferr := s.FollowupMessageCreate(i, true, &discordgo.WebhookParams{
			Content: msg, Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions(),
			Components: []discordgo.MessageComponent{},
		}, discordgo.WithContext(ctx))
		sendErr = errors.Join(sendErr, ferr)
	}
	attrs := []any{"err", err}
	if sendErr != nil {
		level = slog.LevelError
		attrs = append(attrs, "reply_err", sendErr)
	}
	log.Log(ctx, level, "command failed", attrs...)
}

// runComponent handles button clicks: the 👍/👎 feedback under answers.
// It acknowledges at once with an ephemeral deferred response, appends
// the vote, and edits in a thank-you.
func (b *Bot) runComponent(ctx context.Context, s *discordgo.Session, i *discordgo.Interaction) {
	start := time.Now()
	customID := i.MessageComponentData().CustomID
	req := newRequest(i)
	log := b.log.With("custom_id", customID, "user_id", req.userID, "guild_id", req.guildID, "interaction_id", i.ID)
	v, answerID, ok := parseVote(customID)
	if !ok || b.feedback == nil {
		// Not ours (or feedback turned off since): acknowledge silently.
		err := s.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate},
			discordgo.WithContext(ctx))
		log.Warn("unknown component", "err", err)
		return
	}
	if err := s.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
	}, discordgo.WithContext(ctx)); err != nil {
		log.Error("defer vote", "err", err)
		return
	}
	rec := b.memory.answer(answerID)
	entry := vote{Time: b.now().UTC(), UserID: req.userID, GuildID: req.guildID, ChannelID: req.channelID,
		AnswerID: answerID, Vote: v, Known: rec != nil}
	if i.Message != nil {
		entry.MessageID = i.Message.ID
	}
	if rec != nil {
		entry.Question, entry.Answer = rec.Question, rec.Answer
		for _, c := range rec.Sources {
			entry.Sources = append(entry.Sources, voteSource{N: c.N, ArticleID: c.ArticleID, Title: c.Title, URL: c.URL, Source: c.Source})
		}
	}
	err := b.feedback.append(entry)
	msg := req.lang.pick(txtThanks)
	if err != nil {
		msg = req.lang.pick(txtFeedbackFailed)
	}
	_, sendErr := s.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &msg, AllowedMentions: noMentions()},
		discordgo.WithContext(ctx))
	level := slog.LevelInfo
	if err = errors.Join(err, sendErr); err != nil {
		level = slog.LevelError
	}
	log.Log(ctx, level, "vote recorded", "vote", v, "answer_id", answerID, "known", rec != nil,
		"elapsed_ms", time.Since(start).Milliseconds(), "err", err)
}
