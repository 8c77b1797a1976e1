package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/veille/veille/rag"
)

// validationError is a request the bot refuses before asking the
// pipeline: an empty or over-long question, an unknown source, a bad
// number of days. Its message is written for the user.
type validationError struct {
	field string
	msg   text
	args  []any
}

func (e *validationError) Error() string {
	return "invalid " + e.field + ": " + fmt.Sprintf(e.msg.en, e.args...)
}

func invalid(field string, msg text, args ...any) error {
	return &validationError{field: field, msg: msg, args: args}
}

// rateLimitError is a user asking faster than Config.UserRate allows.
type rateLimitError struct{ retry time.Duration }

func (e *rateLimitError) Error() string { return fmt.Sprintf("rate limited for %v", e.retry) }

// errBusy reports that MaxConcurrent answers were in progress for the
// whole time the request could wait.
var errBusy = errors.New("too many answers in progress")

// errAdminOnly reports an admin command run by a member without Manage Server.
var errAdminOnly = errors.New("command needs the Manage Server permission")

// errUnknownCommand reports a command with no entry in the table (e.g. one
// registered by an older version of the bot).
var errUnknownCommand = errors.New("unknown command")

// explain turns err into one short sentence for the user and the level
// of the log line it deserves: Info for the user's mistakes and limits,
// Warn for timeouts, Error for failures.
func explain(err error, l lang) (string, slog.Level) {
	var ve *validationError
	var rl *rateLimitError
	var long *rag.QueryTooLongError
	var unknown *rag.UnknownSourceError
	if msg, ok := explainFeedError(err, l); ok {
		return msg, slog.LevelInfo
	}
	switch {
	case errors.As(err, &ve):
		return fmt.Sprintf(l.pick(ve.msg), ve.args...), slog.LevelInfo
	// The pipeline validates too; its verdicts read like the bot's own.
	case errors.Is(err, rag.ErrEmptyQuery):
		return l.pick(txtEmptyQuestion), slog.LevelInfo
	case errors.As(err, &long):
		return fmt.Sprintf(l.pick(txtLongQuestion), long.Len, rag.MaxQueryLen), slog.LevelInfo
	case errors.As(err, &unknown):
		known := strings.Join(unknown.Known, ", ")
		if known == "" {
			known = "—"
		}
		return fmt.Sprintf(l.pick(txtUnknownSource), neutralize(truncate(oneLine(unknown.Source), 100)), truncate(known, 1500)), slog.LevelInfo
	case errors.As(err, &rl):
		return fmt.Sprintf(l.pick(txtRateLimited), int(math.Ceil(rl.retry.Seconds()))), slog.LevelInfo
	case errors.Is(err, errBusy):
		return l.pick(txtBusy), slog.LevelWarn
	case errors.Is(err, errAdminOnly):
		return l.pick(txtAdminOnly), slog.LevelInfo
	case errors.Is(err, errUnknownCommand):
		return l.pick(txtUnknownCommand), slog.LevelWarn
	case errors.Is(err, context.DeadlineExceeded):
		return l.pick(txtTimeout), slog.LevelWarn
	default:
		return l.pick(txtFailed), slog.LevelError
	}
}
