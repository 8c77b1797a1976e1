package bot

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxLimiters bounds the per-user limiter map; beyond it, users whose
// bucket has refilled are forgotten (they would start full anyway).
const maxLimiters = 10000

// userLimiter allows each user a few questions a minute.
type userLimiter struct {
	mu    sync.Mutex
	every rate.Limit
	burst int
	now   func() time.Time
	users map[string]*rate.Limiter
}

func newUserLimiter(perMinute int, now func() time.Time) *userLimiter {
	return &userLimiter{
		every: rate.Every(time.Minute / time.Duration(perMinute)),
		burst: perMinute,
		now:   now,
		users: map[string]*rate.Limiter{},
	}
}

// allow takes one token from user's bucket, or says how long to wait.
func (u *userLimiter) allow(user string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	now := u.now()
	l, ok := u.users[user]
	if !ok {
		if len(u.users) >= maxLimiters {
			for id, old := range u.users {
				if old.TokensAt(now) >= float64(u.burst) {
					delete(u.users, id)
				}
			}
		}
		l = rate.NewLimiter(u.every, u.burst)
		u.users[user] = l
	}
	r := l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return &rateLimitError{retry: d}
	}
	return nil
}

// semaphore caps the answers computed at once.
type semaphore chan struct{}

// acquire waits for a slot until ctx is done; release frees it.
func (s semaphore) acquire(ctx context.Context) (release func(), err error) {
	select {
	case s <- struct{}{}:
		return func() { <-s }, nil
	case <-ctx.Done():
		return nil, errBusy
	}
}
