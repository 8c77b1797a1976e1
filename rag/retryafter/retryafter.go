// Package retryafter reads the HTTP Retry-After header, the one rule shared
// by the chat and embeddings transport (rag/openai) and the feed fetcher
// (rag/feeds). How long a caller is willing to wait is its own business: the
// cap is left to it.
package retryafter

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Parse reads a Retry-After value, delay-seconds or an HTTP date, as the
// delay it asks for from now. Seconds may have a fraction (some servers send
// "0.5") but must be finite and not negative; a date in the past asks for no
// delay. ok is false when v is empty or neither form. A delay too long for a
// time.Duration is the longest one.
func Parse(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil || isRange(err) {
		if math.IsNaN(secs) || (math.IsInf(secs, 0) && err == nil) || secs < 0 {
			return 0, false
		}
		ns := secs * float64(time.Second)
		if ns >= math.MaxInt64 {
			return math.MaxInt64, true
		}
		return time.Duration(ns), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// isRange reports a number too large for a float64 ("1e400"), which
// ParseFloat returns as ±Inf with this error: it is still a number of seconds.
func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}
