package openai

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"error":{"message":"model 'x' not found","type":"invalid_request_error"}}`: "model 'x' not found",
		`{"error":"model \"x\" not found, try pulling it first"}`:                    `model "x" not found, try pulling it first`,
		`<html>502 Bad Gateway</html>`:                                               `<html>502 Bad Gateway</html>`,
		`{"detail":"Not Found"}`:                                                     `{"detail":"Not Found"}`,
	} {
		if got := errorMessage([]byte(in)); got != want {
			t.Errorf("errorMessage(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestNewStatusError(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
	const key = "sk-SECRET"
	tests := []struct {
		name       string
		body       string
		retryAfter string
		wantBody   string
		wantWait   time.Duration
	}{
		{name: "JSON message", body: `{"error":{"message":"slow  down"}}`, retryAfter: "2", wantBody: "slow down", wantWait: 2 * time.Second},
		{name: "fraction", body: "busy", retryAfter: "0.5", wantBody: "busy", wantWait: 500 * time.Millisecond},
		{name: "date", body: "", retryAfter: "Thu, 05 Mar 2026 10:00:07 GMT", wantWait: 7 * time.Second},
		{name: "past date", body: "", retryAfter: "Thu, 05 Mar 2026 09:00:00 GMT", wantWait: 0},
		{name: "capped", body: "", retryAfter: "Fri, 06 Mar 2026 10:00:00 GMT", wantWait: MaxRetryAfter},
		{name: "junk", body: "", retryAfter: "soon", wantWait: 0},
		{name: "key echoed", body: `{"error":"bad key ` + key + `"}`, wantBody: "bad key [redacted]"},
		{name: "long body cut", body: strings.Repeat("é", 400), wantBody: strings.Repeat("é", maxErrorBody) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := &http.Response{
				StatusCode: http.StatusTooManyRequests,
				Header:     http.Header{"Retry-After": {tt.retryAfter}},
				Body:       http.NoBody,
			}
			if tt.body != "" {
				resp.Body = readCloser{strings.NewReader(tt.body)}
			}
			se := newStatusError("api.example", resp, key, now)
			if se.Body != tt.wantBody || se.RetryAfter != tt.wantWait {
				t.Errorf("newStatusError = body %q, wait %v; want %q, %v", se.Body, se.RetryAfter, tt.wantBody, tt.wantWait)
			}
		})
	}
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

func TestDefaultBackoff(t *testing.T) {
	t.Parallel()
	prev := time.Duration(0)
	for attempt := 1; attempt <= 12; attempt++ {
		d := DefaultBackoff(attempt)
		if d < backoffBase/2 || d > backoffCap {
			t.Errorf("DefaultBackoff(%d) = %v, outside [%v, %v]", attempt, d, backoffBase/2, backoffCap)
		}
		if attempt <= 4 && d < prev/2 {
			t.Errorf("DefaultBackoff(%d) = %v, shrank from %v", attempt, d, prev)
		}
		prev = d
	}
}
