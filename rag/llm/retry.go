package llm

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/veille/veille/rag/openai"
)

// ErrMalformedResponse reports a reply that is not the JSON an
// OpenAI-compatible server sends. It is retried like a server error. It is
// the transport's (openai.ErrMalformedResponse), named here for callers of
// this package.
var ErrMalformedResponse = openai.ErrMalformedResponse

// StatusError is a non-2xx reply from the server: the transport's
// openai.StatusError, named here for callers of this package.
type StatusError = openai.StatusError

// scanEvents reads a server-sent event stream and calls fn with each event's
// data. fn returns true to stop (the [DONE] event). A stream that ends before
// fn stops it yields io.ErrUnexpectedEOF.
func scanEvents(r io.Reader, fn func(data string) (bool, error)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var data []string
	dispatch := func() (bool, error) {
		if len(data) == 0 {
			return false, nil
		}
		d := strings.Join(data, "\n")
		data = data[:0]
		return fn(d)
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if done, err := dispatch(); done || err != nil {
				return err
			}
			continue
		}
		if v, ok := strings.CutPrefix(line, "data:"); ok {
			data = append(data, strings.TrimPrefix(v, " "))
		}
		// Comments (":"), "event:", "id:" and "retry:" lines carry nothing we use.
	}
	if err := sc.Err(); err != nil {
		return openai.Transient(fmt.Errorf("read stream: %w", err))
	}
	if done, err := dispatch(); done || err != nil {
		return err
	}
	return openai.Transient(fmt.Errorf("stream ended before [DONE]: %w", io.ErrUnexpectedEOF))
}
