package llm

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/veille/veille/rag/llm/llmtest"
)

func TestBudget(t *testing.T) {
	t.Parallel()
	hang := llmtest.Fault{Delay: time.Minute}
	tests := []struct {
		name   string
		faults []llmtest.Fault
		budget time.Duration
		calls  int // Chat calls made in a row
		// want
		wantErr    error // errors.Is the last call's error; nil: success
		wantStatus int   // a StatusError with this status, when non-zero
		wantWaits  []time.Duration
		wantReqs   int
		within     time.Duration // all calls together
	}{
		{name: "hung model ends at the deadline", faults: []llmtest.Fault{hang, hang, hang},
			budget: 300 * time.Millisecond, calls: 1, wantErr: ErrBudgetSpent, wantReqs: 1, within: 3 * time.Second},
		{name: "a later call fails at once", faults: []llmtest.Fault{hang, hang, hang},
			budget: 300 * time.Millisecond, calls: 2, wantErr: ErrBudgetSpent, wantReqs: 1, within: 3 * time.Second},
		{name: "Retry-After beyond the deadline is not waited for", faults: []llmtest.Fault{{Status: 429, RetryAfter: "30"}},
			budget: 2 * time.Second, calls: 1, wantStatus: 429, wantReqs: 1, within: time.Second},
		{name: "Retry-After within the deadline is", faults: []llmtest.Fault{{Status: 429, RetryAfter: "1"}},
			budget: 10 * time.Second, calls: 1, wantWaits: []time.Duration{time.Second}, wantReqs: 2, within: 5 * time.Second},
		{name: "no budget", faults: []llmtest.Fault{{Status: 503}},
			budget: 0, calls: 1, wantWaits: []time.Duration{time.Millisecond}, wantReqs: 2, within: 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := llmtest.NewServer(t)
			for _, f := range tt.faults {
				srv.Inject(1, f)
			}
			c, w := newClient(t, srv.URL(), func(cfg *Config) { cfg.Timeout = 5 * time.Second })
			b := NewBudget(c, tt.budget)
			start := time.Now()
			var err error
			for range tt.calls {
				_, err = b.Chat(t.Context(), hello)
			}
			if elapsed := time.Since(start); elapsed > tt.within {
				t.Errorf("took %v, want under %v", elapsed, tt.within)
			}
			var se *StatusError
			switch {
			case tt.wantStatus != 0:
				if !errors.As(err, &se) || se.Status != tt.wantStatus {
					t.Errorf("err = %v, want status %d", err, tt.wantStatus)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("err = %v, want %v", err, tt.wantErr)
				}
			case err != nil:
				t.Errorf("err = %v, want success", err)
			}
			if t.Context().Err() != nil {
				t.Error("the caller's context ended with the budget")
			}
			if diff := cmp.Diff(tt.wantWaits, w.get()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if n := len(srv.ChatRequests()); n != tt.wantReqs {
				t.Errorf("%d requests, want %d", n, tt.wantReqs)
			}
		})
	}
}
