package digest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// utc parses "2006-01-02 15:04" as UTC.
func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestNext(t *testing.T) {
	t.Parallel()
	paris, ny := mustLoc(t, "Europe/Paris"), mustLoc(t, "America/New_York")
	tests := []struct {
		name  string
		loc   *time.Location
		at    string
		after string // UTC
		want  string // UTC
	}{
		{"paris plain day", paris, "08:00", "2026-11-24 06:00", "2026-11-24 07:00"},
		{"paris at the instant moves to tomorrow", paris, "08:00", "2026-11-24 07:00", "2026-11-25 07:00"},
		{"paris utc date behind local date", paris, "08:00", "2026-11-24 23:30", "2026-11-25 07:00"},
		{"paris midnight crossing", paris, "00:00", "2026-11-24 22:30", "2026-11-24 23:00"},
		{"paris 23:59 rolls to next day", paris, "23:59", "2026-11-24 22:59", "2026-11-25 22:59"},
		{"paris spring day 08:00 in summer time", paris, "08:00", "2026-03-28 08:00", "2026-03-29 06:00"},
		{"paris spring gap 02:30 runs at 03:00 CEST", paris, "02:30", "2026-03-28 12:00", "2026-03-29 01:00"},
		{"paris after gap run, next day 02:30 CEST", paris, "02:30", "2026-03-29 01:00", "2026-03-30 00:30"},
		{"paris fall back 02:30 first occurrence", paris, "02:30", "2026-10-24 12:00", "2026-10-25 00:30"},
		{"paris fall back second occurrence skipped", paris, "02:30", "2026-10-25 00:30", "2026-10-26 01:30"},
		{"paris fall day 08:00 in winter time", paris, "08:00", "2026-10-24 06:00", "2026-10-25 07:00"},
		{"new york spring gap 02:30 runs at 03:00 EDT", ny, "02:30", "2026-03-07 12:00", "2026-03-08 07:00"},
		{"new york spring day 08:00 EDT", ny, "08:00", "2026-03-07 13:00", "2026-03-08 12:00"},
		{"new york fall back 01:30 first occurrence", ny, "01:30", "2026-10-31 12:00", "2026-11-01 05:30"},
		{"new york fall back second occurrence skipped", ny, "01:30", "2026-11-01 05:30", "2026-11-02 06:30"},
		{"new york fall day 02:30 is unambiguous", ny, "02:30", "2026-10-31 12:00", "2026-11-01 07:30"},
		{"new york midnight crossing", ny, "00:00", "2026-11-24 04:59", "2026-11-24 05:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Next(Settings{At: tt.at, Loc: tt.loc}, utc(t, tt.after))
			if want := utc(t, tt.want); !got.Equal(want) {
				t.Errorf("Next(%s, after %s) = %s (%s), want %s", tt.at, tt.after, got.UTC(), got.In(tt.loc), want)
			}
		})
	}
}

func TestDue(t *testing.T) {
	t.Parallel()
	paris, ny := mustLoc(t, "Europe/Paris"), mustLoc(t, "America/New_York")
	tests := []struct {
		name    string
		loc     *time.Location
		at      string
		lastRun string // UTC, "" = never
		now     string // UTC
		want    bool
	}{
		{"never run", paris, "08:00", "", "2026-11-24 10:00", true},
		{"restart right after a run", paris, "08:00", "2026-11-24 07:00", "2026-11-24 07:01", false},
		{"run late after the instant", paris, "08:00", "2026-11-24 09:30", "2026-11-24 20:00", false},
		{"before today's time", paris, "08:00", "2026-11-23 07:00", "2026-11-24 06:59", false},
		{"at today's time", paris, "08:00", "2026-11-23 07:00", "2026-11-24 07:00", true},
		{"three days down: one catch-up", paris, "08:00", "2026-11-20 07:00", "2026-11-23 15:00", true},
		{"after the catch-up: not again that day", paris, "08:00", "2026-11-23 15:00", "2026-11-23 22:00", false},
		{"after the catch-up: next morning", paris, "08:00", "2026-11-23 15:00", "2026-11-24 07:00", true},
		{"midnight schedule before midnight", paris, "00:00", "2026-11-23 23:00", "2026-11-24 22:59", false},
		{"midnight schedule at midnight", paris, "00:00", "2026-11-23 23:00", "2026-11-24 23:00", true},
		{"spring gap: before the jump", paris, "02:30", "2026-03-28 01:30", "2026-03-29 00:59", false},
		{"spring gap: at 03:00 CEST", paris, "02:30", "2026-03-28 01:30", "2026-03-29 01:00", true},
		{"fall back: second 02:30 not due", paris, "02:30", "2026-10-25 00:30", "2026-10-25 01:30", false},
		{"fall back: first 02:30 due", paris, "02:30", "2026-10-24 00:30", "2026-10-25 00:30", true},
		{"new york spring gap at 03:00 EDT", ny, "02:30", "2026-03-07 07:30", "2026-03-08 07:00", true},
		{"new york fall back second 01:30 not due", ny, "01:30", "2026-11-01 05:30", "2026-11-01 06:30", false},
		{"new york fall back first 01:30 due", ny, "01:30", "2026-10-31 05:30", "2026-11-01 05:30", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var last time.Time
			if tt.lastRun != "" {
				last = utc(t, tt.lastRun)
			}
			if got := Due(Settings{At: tt.at, Loc: tt.loc}, last, utc(t, tt.now)); got != tt.want {
				t.Errorf("Due(%s, last %q, now %s) = %v, want %v", tt.at, tt.lastRun, tt.now, got, tt.want)
			}
		})
	}
}

// TestDueOncePerLocalDay polls every five minutes across both DST changes
// of both zones, recording a run whenever one is due, and checks that each
// local day gets exactly one run, within a poll of its scheduled instant.
func TestDueOncePerLocalDay(t *testing.T) {
	t.Parallel()
	for _, zone := range []string{"Europe/Paris", "America/New_York"} {
		for _, at := range []string{"00:00", "01:30", "02:00", "02:30", "03:00", "08:00", "23:59"} {
			for _, start := range []string{"2026-03-05 12:00", "2026-03-26 12:00", "2026-10-22 12:00", "2026-10-29 12:00"} {
				t.Run(zone+"/"+at+"/"+start[:10], func(t *testing.T) {
					t.Parallel()
					loc := mustLoc(t, zone)
					s := Settings{At: at, Loc: loc}
					begin := utc(t, start)
					last := begin // as if the day before was done
					runs := map[string]int{}
					for now := begin; now.Before(begin.Add(6 * 24 * time.Hour)); now = now.Add(5 * time.Minute) {
						if !Due(s, last, now) {
							continue
						}
						day := Prev(s, now).In(loc).Format(time.DateOnly)
						if lag := now.Sub(Prev(s, now)); lag >= 5*time.Minute {
							t.Errorf("run at %s, %s after its time", now.In(loc), lag)
						}
						runs[day]++
						last = now
					}
					if len(runs) < 5 {
						t.Errorf("%d days with a run in 6 days: %v", len(runs), runs)
					}
					for day, n := range runs {
						if n != 1 {
							t.Errorf("%s: %d runs, want 1", day, n)
						}
					}
				})
			}
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		s       Settings
		wantErr bool
	}{
		{"ok", Settings{ChannelID: "123456789012345678", At: "08:00"}, false},
		{"ok english single-digit hour", Settings{ChannelID: "1", At: "8:05", Lang: "en"}, false},
		{"no channel", Settings{At: "08:00"}, true},
		{"channel not a snowflake", Settings{ChannelID: "#general", At: "08:00"}, true},
		{"bad time", Settings{ChannelID: "1", At: "25:00"}, true},
		{"empty time", Settings{ChannelID: "1"}, true},
		{"bad language", Settings{ChannelID: "1", At: "08:00", Lang: "de"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.s.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalidSettings) {
				t.Errorf("Validate() = %v, does not wrap ErrInvalidSettings", err)
			}
		})
	}
}

// TestDueWholeYear polls a year every 30 minutes in zones with unusual
// transitions (Santiago changes at midnight, Lord Howe by 30 minutes):
// the days with a run are exactly those Next enumerates, each gets one run,
// within a poll of its time.
func TestDueWholeYear(t *testing.T) {
	t.Parallel()
	for _, zone := range []string{"Europe/Paris", "America/New_York", "America/Santiago", "Australia/Lord_Howe"} {
		for _, at := range []string{"00:00", "02:00", "23:45"} {
			t.Run(zone+"/"+at, func(t *testing.T) {
				t.Parallel()
				loc := mustLoc(t, zone)
				s := Settings{At: at, Loc: loc}
				begin := time.Date(2026, 1, 1, 12, 0, 0, 0, loc)
				end := time.Date(2027, 1, 1, 0, 0, 0, 0, loc)
				last := begin
				runs := map[string]int{}
				for now := begin; now.Before(end); now = now.Add(30 * time.Minute) {
					if !Due(s, last, now) {
						continue
					}
					p := Prev(s, now)
					if lag := now.Sub(p); lag >= 30*time.Minute {
						t.Errorf("run at %s, %s after its time", now.In(loc), lag)
					}
					runs[p.In(loc).Format(time.DateOnly)]++
					last = now
				}
				want := map[string]int{}
				for at := Next(s, begin); at.Before(end.Add(-30 * time.Minute)); at = Next(s, at) {
					want[at.In(loc).Format(time.DateOnly)]++
				}
				if len(want) < 364 {
					t.Errorf("Next enumerates %d days in 2026", len(want))
				}
				if diff := cmp.Diff(want, runs); diff != "" {
					t.Errorf("runs per day (-want +got):\n%s", diff)
				}
			})
		}
	}
}
