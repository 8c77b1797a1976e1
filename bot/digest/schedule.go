package digest

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInvalidSettings is wrapped by every error Settings.Validate returns.
var ErrInvalidSettings = errors.New("invalid digest settings")

// Settings is one channel's digest configuration.
type Settings struct {
	// ChannelID is the Discord channel (a snowflake).
	ChannelID string
	// GuildID is the server the channel is in, recorded by /digest config:
	// the digest covers that server's additions with the operator's
	// articles. "" (DIGEST_CHANNEL_ID until configured there, settings
	// stored before servers were recorded): the operator's articles only.
	GuildID string
	// At is the local time of day to post, "HH:MM" (24-hour).
	At string
	// Loc is the channel's zone; nil means Europe/Paris.
	Loc *time.Location
	// Lang is "fr" (default) or "en".
	Lang string
	// PostEmpty posts a short "nothing new" digest instead of staying
	// silent when nothing was published.
	PostEmpty bool
	// Keywords and Sources filter the articles (see Options).
	Keywords, Sources []string
}

// Validate reports every problem with s at once, wrapping
// ErrInvalidSettings.
func (s Settings) Validate() error {
	var errs []error
	if s.ChannelID == "" {
		errs = append(errs, errors.New("channel ID is empty"))
	} else if strings.Trim(s.ChannelID, "0123456789") != "" {
		errs = append(errs, fmt.Errorf("channel ID %q is not a Discord snowflake", s.ChannelID))
	}
	if _, _, err := parseAt(s.At); err != nil {
		errs = append(errs, err)
	}
	if l := strings.TrimSpace(s.Lang); l != "" && !strings.EqualFold(l, "fr") && !strings.EqualFold(l, "en") {
		errs = append(errs, fmt.Errorf("language %q is not fr or en", s.Lang))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidSettings, errors.Join(errs...))
}

// parseAt parses a time of day "HH:MM" (24-hour, "8:05" accepted).
func parseAt(at string) (hour, minute int, err error) {
	t, err := time.Parse("15:04", strings.TrimSpace(at))
	if err != nil {
		return 0, 0, fmt.Errorf("time of day %q is not HH:MM", at)
	}
	return t.Hour(), t.Minute(), nil
}

func (s Settings) loc() *time.Location {
	if s.Loc != nil {
		return s.Loc
	}
	return defaultLoc()
}

// Next returns the first scheduled instant strictly after `after`: the
// settings' HH:MM on some local day in Loc. When HH:MM does not exist that
// day (a spring-forward gap) the run is at the first instant after the gap;
// when it happens twice (a fall-back hour) only the first occurrence counts.
// So there is exactly one scheduled instant per local day. Next returns the
// zero time when s.At is malformed.
func Next(s Settings, after time.Time) time.Time {
	h, m, err := parseAt(s.At)
	if err != nil {
		return time.Time{}
	}
	loc := s.loc()
	y, mo, d := after.In(loc).Date()
	for i := -1; i <= 3; i++ {
		if t := scheduled(y, mo, d+i, h, m, loc); t.After(after) {
			return t
		}
	}
	return time.Time{} // unreachable for real zones
}

// Prev returns the latest scheduled instant at or before now (see Next),
// the zero time when s.At is malformed.
func Prev(s Settings, now time.Time) time.Time {
	h, m, err := parseAt(s.At)
	if err != nil {
		return time.Time{}
	}
	loc := s.loc()
	y, mo, d := now.In(loc).Date()
	for i := 1; i >= -3; i-- {
		if t := scheduled(y, mo, d+i, h, m, loc); !t.After(now) {
			return t
		}
	}
	return time.Time{}
}

// Due reports whether a digest should be posted at now, given the last
// successful run (zero: never): whether the latest scheduled instant at or
// before now came after lastRun. However many days a bot was down, one
// catch-up is due, not one per missed day; a run recorded at or after the
// scheduled instant makes the day done.
func Due(s Settings, lastRun, now time.Time) bool {
	p := Prev(s, now)
	return !p.IsZero() && p.After(lastRun)
}

// scheduled returns the instant of h:m on the local day (y, mo, d) in loc
// (d may overflow; it is normalised): the first occurrence when the wall
// time repeats, the end of the gap when it does not exist.
func scheduled(y int, mo time.Month, d, h, m int, loc *time.Location) time.Time {
	naive := time.Date(y, mo, d, h, m, 0, 0, time.UTC)
	want := naive
	// The offsets in force the day before and the day after cover every
	// reading of the wall time on a transition day.
	var best time.Time
	for _, probe := range []time.Duration{-36 * time.Hour, 0, 36 * time.Hour} {
		_, off := naive.Add(probe).In(loc).Zone()
		t := naive.Add(-time.Duration(off) * time.Second)
		if wall(t, loc).Equal(want) && (best.IsZero() || t.Before(best)) {
			best = t
		}
	}
	if !best.IsZero() {
		return best
	}
	// A gap: read the wall time with the offset before it, which lands
	// past the gap in the new zone; that zone starts at the gap's end.
	_, off := naive.Add(-36 * time.Hour).In(loc).Zone()
	t := naive.Add(-time.Duration(off) * time.Second)
	if start, _ := t.In(loc).ZoneBounds(); !start.IsZero() && !wall(start, loc).Before(want) && start.Before(t) {
		return start
	}
	return t
}

// wall returns t's wall-clock reading in loc as a UTC time, so that wall
// times compare.
func wall(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}
