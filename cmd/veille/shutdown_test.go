package main

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestRunInOrder stops the bot's components in order — scheduler, Discord
// session, index writer — whatever stopped them, and moves on past one
// that does not stop in time.
func TestRunInOrder(t *testing.T) {
	t.Parallel()
	boom := errors.New("session closed")
	tests := []struct {
		name      string
		cancel    bool   // the process is told to stop
		fail      string // this component returns boom at once
		stuck     string // this component ignores its ctx
		wantOrder []string
		wantErr   error
	}{
		{"signal", true, "", "", []string{"scheduler", "session", "refresh"}, nil},
		{"a component fails", false, "session", "", []string{"session", "scheduler", "refresh"}, boom},
		{"a stuck component is left behind", true, "", "scheduler", []string{"session", "refresh"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var order []string
			release := make(chan struct{})
			defer close(release)
			comp := func(name string) component {
				return component{name: name, run: func(ctx context.Context) error {
					switch name {
					case tt.fail:
						mu.Lock()
						order = append(order, name)
						mu.Unlock()
						return boom
					case tt.stuck:
						<-release
						return nil
					}
					<-ctx.Done()
					mu.Lock()
					order = append(order, name)
					mu.Unlock()
					return nil
				}}
			}
			ctx, cancel := context.WithCancel(t.Context())
			if tt.cancel {
				cancel()
			} else {
				defer cancel()
			}
			err := runInOrder(ctx, 50*time.Millisecond, slog.New(slog.DiscardHandler),
				comp("scheduler"), comp("session"), comp("refresh"))
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("runInOrder = %v, want %v", err, tt.wantErr)
			}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(order, tt.wantOrder) {
				t.Errorf("stopped %v, want %v", order, tt.wantOrder)
			}
		})
	}
}
