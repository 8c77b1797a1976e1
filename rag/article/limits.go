package article

import "errors"

// The caps on input size, the same for every format, so that one hostile or
// broken input (a 200 MB "text" field, a binary file named .jsonl) cannot
// take the memory of a whole ingest. An article over a cap is skipped and
// named in a Problem, never truncated: half an article would answer as if it
// were whole.
const (
	// MaxTextBytes caps an article's text, before cleaning. A long news
	// article is under 100 KB; 4 MiB makes about 7,000 chunks.
	MaxTextBytes = 4 << 20
	// MaxLineBytes caps one JSONL line: room for a text at MaxTextBytes
	// with JSON escapes. A longer line is skipped without being held in
	// memory whole.
	MaxLineBytes = 2 * MaxTextBytes
	// MaxFileBytes caps a single-article file (.md, .txt, .html); JSONL
	// files are streamed a line at a time instead.
	MaxFileBytes = 32 << 20
)

var (
	// ErrTooLarge reports a single-article file above MaxFileBytes.
	ErrTooLarge = errors.New("file too large")
	// ErrTextTooLarge reports an article whose text is above MaxTextBytes.
	ErrTextTooLarge = errors.New("article text too large")
	// ErrLineTooLong reports a JSONL line above MaxLineBytes.
	ErrLineTooLong = errors.New("line too long")
	// ErrNotJSON reports a JSONL line that is not a JSON object.
	ErrNotJSON = errors.New("not JSON")
	// ErrDuplicateID reports an article whose ID an earlier one of the same
	// input already has; the later one is skipped.
	ErrDuplicateID = errors.New("duplicate id")
)
