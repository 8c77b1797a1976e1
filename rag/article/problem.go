package article

import (
	"fmt"
)

// Problem is one input that could not be loaded: an unreadable, binary or
// malformed file, or a bad JSONL line. Loading goes on after a Problem, so
// callers get every problem of a run at once instead of the first one.
type Problem struct {
	// Path names the file as the caller gave it (or its path inside an fs.FS).
	Path string
	// Line is the 1-based line of a line-based format (JSONL), 0 otherwise.
	Line int
	// Err says what is wrong.
	Err error
}

// Error renders the problem as "path:line: cause" (or "path: cause"), the
// form editors and terminals know how to jump to.
func (p Problem) Error() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", p.Path, p.Line, p.Err)
	}
	return fmt.Sprintf("%s: %v", p.Path, p.Err)
}

// Unwrap returns the cause, so errors.Is(p, ErrEmpty) and friends work.
func (p Problem) Unwrap() error { return p.Err }
