package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veille/veille/bot"
	"github.com/veille/veille/bot/discordtest"
	"github.com/veille/veille/rag"
)

// streamingPipeline is a fakePipeline that also streams (AskStream).
type streamingPipeline struct {
	*fakePipeline
	askStream func(ctx context.Context, q string, opts rag.SearchOptions, onDelta func(string)) (rag.Answer, error)
}

func (s *streamingPipeline) AskStream(ctx context.Context, q string, opts rag.SearchOptions, onDelta func(string)) (rag.Answer, error) {
	s.record(call{"AskStream", q, opts})
	return s.askStream(ctx, q, opts, onDelta)
}

var _ interface {
	AskStream(ctx context.Context, question string, opts rag.SearchOptions, onDelta func(string)) (rag.Answer, error)
} = (*streamingPipeline)(nil)

// startStreaming runs a bot over p with an /ask stream interval of interval.
func startStreaming(t *testing.T, p *streamingPipeline, interval time.Duration) *harness {
	t.Helper()
	return startPipeline(t, p.fakePipeline, p, 0, func(c *bot.Config) { c.StreamInterval = interval })
}

func TestAskStreamsDraftsThenTheCheckedAnswer(t *testing.T) {
	t.Parallel()
	const interval = 100 * time.Millisecond
	tests := []struct {
		name   string
		deltas int
		pause  time.Duration
	}{
		{"streamed", 20, 25 * time.Millisecond},
		{"burst", 200, 0},
		{"no model: nothing streamed", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var took atomic.Int64 // nanoseconds spent streaming
			p := &streamingPipeline{fakePipeline: &fakePipeline{}}
			p.askStream = func(ctx context.Context, q string, _ rag.SearchOptions, onDelta func(string)) (rag.Answer, error) {
				begin := time.Now()
				for i := range tt.deltas {
					// Raw model text: a marker that only the draft may show,
					// an unchecked citation and a would-be ping.
					onDelta(fmt.Sprintf("RAW-%d draft sentence [7] @everyone. ", i))
					if tt.pause > 0 {
						time.Sleep(tt.pause)
					}
				}
				took.Store(int64(time.Since(begin)))
				return answerFor(q), nil
			}
			h := startStreaming(t, p, interval)
			ix := h.srv.SendCommand(t, discordtest.Command{Name: "ask", Options: []discordtest.CommandOption{{Name: "question", Value: "What is Log4Shell?"}}})
			var drafts []string
			msgs := ix.Wait(t, wait, func(ms []discordtest.Message) bool {
				if len(ms) == 0 || len(ms[0].Embeds) == 0 {
					return false
				}
				e := ms[0].Embeds[0]
				if e.Footer != nil && strings.HasPrefix(e.Footer.Text, "Writing the answer") {
					if len(drafts) == 0 || drafts[len(drafts)-1] != e.Description {
						drafts = append(drafts, e.Description)
					}
				}
				return len(ms[0].CustomIDs()) > 0 // the checked answer, with its buttons
			})
			h.waitLog(t, "command answered")

			final := msgs[0]
			if len(msgs) != 1 || len(final.Embeds) != 1 {
				t.Fatalf("reply = %+v, want one message", msgs)
			}
			desc := final.Embeds[0].Description
			if !strings.Contains(desc, "remote code execution flaw in Log4j [1].") || !strings.Contains(desc, "[1] [Article 1](https://example.org/a/1)") ||
				strings.Contains(desc, "RAW-") || final.Embeds[0].Footer.Text != "Built from the cited articles: check them before relying on it." {
				t.Errorf("final message is not the checked answer:\n%s", desc)
			}
			// Edits: the drafts, then the answer; at most one draft per
			// interval, the first at once.
			// A burst may end before the first draft is shown.
			elapsed := time.Duration(took.Load())
			streamed := tt.deltas > 0 && tt.pause > 0
			drafted := final.Edits - 1
			if most := int(elapsed/interval) + 1; drafted > most || (streamed && drafted < 2) || (tt.deltas == 0 && drafted != 0) {
				t.Errorf("%d drafts in %v with one allowed per %v (final message edited %d times)", drafted, elapsed, interval, final.Edits)
			}
			if streamed && len(drafts) == 0 {
				t.Error("no draft was seen before the answer")
			}
			for _, d := range drafts {
				if strings.Contains(d, "[7]") || strings.Contains(d, "@everyone") || !strings.HasSuffix(d, "▌") {
					t.Errorf("draft shows an unchecked citation or a live ping, or lacks its cursor:\n%s", d)
				}
			}
			if calls := p.Calls(); len(calls) != 1 || calls[0].Method != "AskStream" {
				t.Errorf("calls = %+v, want one AskStream", calls)
			}
			// Discord's limits and mentions are checked by the fake: see start's cleanup.
		})
	}
}

// TestAskStreamFailureRemovesTheDraft checks that when the pipeline fails
// after streaming, no unchecked text stays visible.
func TestAskStreamFailureRemovesTheDraft(t *testing.T) {
	t.Parallel()
	p := &streamingPipeline{fakePipeline: &fakePipeline{}}
	p.askStream = func(ctx context.Context, q string, _ rag.SearchOptions, onDelta func(string)) (rag.Answer, error) {
		onDelta("Half an answer")
		time.Sleep(50 * time.Millisecond)
		return rag.Answer{}, errors.New("index closed")
	}
	h := startStreaming(t, p, 10*time.Millisecond)
	ix := h.srv.SendCommand(t, discordtest.Command{Name: "ask", Options: []discordtest.CommandOption{{Name: "question", Value: "q?"}}})
	h.waitLog(t, "command failed")
	for _, m := range ix.Messages() {
		if !m.Deleted && strings.Contains(m.Text(), "Half an answer") {
			t.Errorf("draft left visible after a failure: %+v", m)
		}
	}
}
