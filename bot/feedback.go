package bot

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Votes carried by the feedback buttons.
const (
	voteUp   = "up"
	voteDown = "down"
)

// votePrefix starts the custom ID of a feedback button: "vote:up:<answer id>".
const votePrefix = "vote:"

// feedbackButtons is the 👍/👎 row under an answer.
func feedbackButtons(answerID string) []discordgo.MessageComponent {
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Style: discordgo.SecondaryButton, Emoji: &discordgo.ComponentEmoji{Name: "👍"},
			CustomID: votePrefix + voteUp + ":" + answerID},
		discordgo.Button{Style: discordgo.SecondaryButton, Emoji: &discordgo.ComponentEmoji{Name: "👎"},
			CustomID: votePrefix + voteDown + ":" + answerID},
	}}}
}

// parseVote reads a feedback button's custom ID.
func parseVote(customID string) (vote, answerID string, ok bool) {
	rest, found := strings.CutPrefix(customID, votePrefix)
	if !found {
		return "", "", false
	}
	vote, answerID, found = strings.Cut(rest, ":")
	if !found || (vote != voteUp && vote != voteDown) || answerID == "" {
		return "", "", false
	}
	return vote, answerID, true
}

// vote is one line of the feedback JSONL file.
type vote struct {
	Time      time.Time    `json:"time"`
	UserID    string       `json:"user_id"`
	GuildID   string       `json:"guild_id,omitempty"`
	ChannelID string       `json:"channel_id,omitempty"`
	MessageID string       `json:"message_id,omitempty"`
	AnswerID  string       `json:"answer_id"`
	Vote      string       `json:"vote"`
	Question  string       `json:"question,omitempty"`
	Answer    string       `json:"answer,omitempty"`
	Sources   []voteSource `json:"sources,omitempty"`
	Known     bool         `json:"known"` // false when the answer was forgotten (restart)
}

// voteSource is a cited source as stored with a vote.
type voteSource struct {
	N         int    `json:"n"`
	ArticleID string `json:"article_id,omitempty"`
	Title     string `json:"title,omitempty"`
	URL       string `json:"url,omitempty"`
	Source    string `json:"source,omitempty"`
}

// feedbackLog appends votes to a JSONL file, one line per write with
// O_APPEND, so that concurrent writers never interleave within a line.
type feedbackLog struct {
	mu   sync.Mutex
	path string
}

func (f *feedbackLog) append(v vote) error {
	line, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode vote: %w", err)
	}
	line = append(line, '\n')
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
		return fmt.Errorf("append vote to %s: %w", f.path, err)
	}
	fh, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("append vote to %s: %w", f.path, err)
	}
	_, err = fh.Write(line)
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("append vote to %s: %w", f.path, err)
	}
	return nil
}
