package llm

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrBudgetSpent is the cause of a call ended by a Budget's deadline.
var ErrBudgetSpent = errors.New("time allowed for the model is spent")

// chatter is what a Budget bounds: a Client, or another Budget.
type chatter interface {
	Chat(ctx context.Context, msgs []Message) (string, error)
	ChatStream(ctx context.Context, msgs []Message, onDelta func(text string)) (string, error)
}

// Budget bounds the total time a series of calls (a command line answer:
// rewrite, then generation) spends with the model, retries and waits
// included: one deadline, set when the first call starts. A call still
// running at the deadline ends with ErrBudgetSpent, and later calls fail
// at once, so the caller answers without the model instead of waiting for
// every attempt's timeout. The deadline is on the calls' own context only:
// the caller's, which it retrieves and falls back with, is left alone.
//
// A Budget is for one bounded task; a long-running service bounds each
// request through its context instead. It is safe for concurrent use.
type Budget struct {
	chat chatter
	d    time.Duration
	now  func() time.Time

	mu    sync.Mutex
	until time.Time // zero until the first call
}

// NewBudget returns c with d for all its calls together; d <= 0 means no
// bound.
func NewBudget(c *Client, d time.Duration) *Budget {
	return &Budget{chat: c, d: d, now: time.Now}
}

// Chat is Client.Chat within the budget.
func (b *Budget) Chat(ctx context.Context, msgs []Message) (string, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	return b.chat.Chat(ctx, msgs)
}

// ChatStream is Client.ChatStream within the budget.
func (b *Budget) ChatStream(ctx context.Context, msgs []Message, onDelta func(text string)) (string, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	return b.chat.ChatStream(ctx, msgs, onDelta)
}

// bound derives the context of one call, ending at the budget's deadline.
func (b *Budget) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if b.d <= 0 {
		return context.WithCancel(ctx)
	}
	b.mu.Lock()
	if b.until.IsZero() {
		b.until = b.now().Add(b.d)
	}
	until := b.until
	b.mu.Unlock()
	return context.WithDeadlineCause(ctx, until, ErrBudgetSpent)
}
