package retryafter_test

import (
	"math"
	"testing"
	"time"

	"github.com/veille/veille/rag/retryafter"
)

func TestParse(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		in     string
		want   time.Duration
		wantOK bool
	}{
		{name: "empty", in: "", want: 0, wantOK: false},
		{name: "blank", in: "  ", want: 0, wantOK: false},
		{name: "seconds", in: "2", want: 2 * time.Second, wantOK: true},
		{name: "seconds with spaces", in: " 120 ", want: 2 * time.Minute, wantOK: true},
		{name: "zero", in: "0", want: 0, wantOK: true},
		{name: "fraction", in: "0.5", want: 500 * time.Millisecond, wantOK: true},
		{name: "negative", in: "-4", want: 0, wantOK: false},
		{name: "NaN", in: "NaN", want: 0, wantOK: false},
		{name: "Inf", in: "Inf", want: 0, wantOK: false},
		{name: "minus Inf", in: "-Inf", want: 0, wantOK: false},
		{name: "too long for a Duration", in: "1e300", want: math.MaxInt64, wantOK: true},
		{name: "too large for a float", in: "1e400", want: math.MaxInt64, wantOK: true},
		{name: "junk", in: "junk", want: 0, wantOK: false},
		{name: "date ahead", in: "Thu, 05 Mar 2026 10:00:07 GMT", want: 7 * time.Second, wantOK: true},
		{name: "date now", in: "Thu, 05 Mar 2026 10:00:00 GMT", want: 0, wantOK: true},
		{name: "date past", in: "Thu, 05 Mar 2026 09:00:00 GMT", want: 0, wantOK: true},
		{name: "date a day ahead", in: "Fri, 06 Mar 2026 10:00:00 GMT", want: 24 * time.Hour, wantOK: true},
		{name: "RFC 850 date", in: "Thursday, 05-Mar-26 10:00:30 GMT", want: 30 * time.Second, wantOK: true},
		{name: "ANSI C date", in: "Thu Mar  5 10:01:00 2026", want: time.Minute, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := retryafter.Parse(tt.in, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Parse(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"2", "0.5", "-1", "NaN", "1e400", "Thu, 05 Mar 2026 10:00:07 GMT"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := retryafter.Parse(v, now)
		if d < 0 {
			t.Errorf("Parse(%q) = %v, a negative delay", v, d)
		}
		if !ok && d != 0 {
			t.Errorf("Parse(%q) = %v, false; want zero when not ok", v, d)
		}
	})
}
