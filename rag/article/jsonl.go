package article

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// jsonlRecord is one corpus line. Date is a pointer so null and absent are
// both "unknown".
type jsonlRecord struct {
	ID     string  `json:"id"`
	Title  string  `json:"title"`
	URL    string  `json:"url"`
	Date   *string `json:"date"`
	Source string  `json:"source"`
	Lang   string  `json:"lang"`
	Text   *string `json:"text"`
}

// maxNotJSON is how many lines that are not JSON a file gets a Problem each
// for; the rest are counted in one more.
const maxNotJSON = 10

// ReadJSONL reads a corpus of one JSON article per line,
// {"id","title","url","date","source","lang","text"}, and returns the
// normalised articles (see Normalize). A line's id is kept as the article ID;
// text and one of id or url are required; date is RFC 3339, YYYY-MM-DD,
// YYYY-MM or null. A line that breaks these rules becomes a Problem naming
// name and the line, and reading goes on; so does a line whose article ID an
// earlier line has (ErrDuplicateID, naming both lines: the first one is
// kept). Blank lines are skipped; a line may be up to MaxLineBytes long, and
// a longer one is skipped (ErrLineTooLong) without being held in memory. A
// file that is mostly not JSON (a binary file named .jsonl) gets one Problem
// with a count rather than one per line. The error is for a failing reader or
// a cancelled ctx; the articles read so far are returned with it.
func ReadJSONL(ctx context.Context, r io.Reader, name string) ([]Article, []Problem, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		arts     []Article
		problems []Problem
		buf      []byte
		nonBlank int
		seen     = map[string]int{} // article ID → line
	)
	for n := 1; ; n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return arts, problems, fmt.Errorf("read %s: %w", name, err)
			}
		}
		line, size, err := readLine(br, buf[:0], MaxLineBytes)
		buf = line
		switch {
		case size > MaxLineBytes:
			nonBlank++
			problems = append(problems, Problem{Path: name, Line: n,
				Err: fmt.Errorf("%w: %d bytes, over the %d MiB cap", ErrLineTooLong, size, MaxLineBytes>>20)})
		case size > 0:
			a, perr := parseJSONLine(line, n)
			if a != nil || perr != nil {
				nonBlank++
			}
			if a != nil {
				if first, dup := seen[a.ID]; dup {
					perr = fmt.Errorf("%w %q: line %d has it too and is kept", ErrDuplicateID, a.ID, first)
				} else {
					seen[a.ID] = n
				}
			}
			switch {
			case perr != nil:
				problems = append(problems, Problem{Path: name, Line: n, Err: perr})
			case a != nil:
				arts = append(arts, *a)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return arts, summarizeNotJSON(problems, name, nonBlank), fmt.Errorf("read %s: %w", name, err)
		}
	}
	problems = summarizeNotJSON(problems, name, nonBlank)
	if err := ctx.Err(); err != nil {
		return arts, problems, fmt.Errorf("read %s: %w", name, err)
	}
	return arts, problems, nil
}

// readLine reads one line into buf, keeping at most limit bytes of it: size
// is the line's whole length, and when it is over limit, line is partial.
func readLine(br *bufio.Reader, buf []byte, limit int) (line []byte, size int, err error) {
	for {
		frag, err := br.ReadSlice('\n')
		size += len(frag)
		if size <= limit {
			buf = append(buf, frag...)
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return buf, size, err
		}
	}
}

// summarizeNotJSON keeps the first maxNotJSON problems of lines that are not
// JSON and counts the others in one more; when most of the file's lines are
// not JSON, it is not a JSONL file at all, and one problem says so.
func summarizeNotJSON(problems []Problem, name string, nonBlank int) []Problem {
	bad, first := 0, 0
	for _, p := range problems {
		if errors.Is(p.Err, ErrNotJSON) {
			if bad == 0 {
				first = p.Line
			}
			bad++
		}
	}
	if bad <= maxNotJSON {
		return problems
	}
	mostly := 2*bad > nonBlank
	out := make([]Problem, 0, maxNotJSON+1)
	if mostly {
		out = append(out, Problem{Path: name, Err: fmt.Errorf("%w: %d of %d lines are not JSON (the first is line %d); is it a JSONL file?",
			ErrNotJSON, bad, nonBlank, first)})
	}
	kept := 0
	for _, p := range problems {
		if errors.Is(p.Err, ErrNotJSON) {
			if mostly || kept == maxNotJSON {
				continue
			}
			kept++
		}
		out = append(out, p)
	}
	if !mostly {
		out = append(out, Problem{Path: name, Err: fmt.Errorf("%w: %d more lines", ErrNotJSON, bad-maxNotJSON)})
	}
	return out
}

// parseJSONLine returns nil, nil for a blank line.
func parseJSONLine(line []byte, n int) (*Article, error) {
	line = bytes.TrimSpace(line)
	if n == 1 {
		line = bytes.TrimPrefix(line, []byte("\ufeff"))
	}
	if len(line) == 0 {
		return nil, nil
	}
	var rec jsonlRecord
	if err := json.Unmarshal(line, &rec); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotJSON, err)
	}
	if rec.Text == nil || strings.TrimSpace(*rec.Text) == "" {
		return nil, errors.New(`no "text"`)
	}
	if strings.TrimSpace(rec.ID) == "" && strings.TrimSpace(rec.URL) == "" {
		return nil, errors.New(`neither "id" nor "url"`)
	}
	var date string
	if rec.Date != nil {
		date = *rec.Date
	}
	published, err := parseDate(date)
	if err != nil {
		return nil, err
	}
	a, err := Normalize(Article{
		ID: rec.ID, Title: rec.Title, URL: rec.URL, Source: rec.Source,
		Published: published, Lang: rec.Lang, Text: *rec.Text,
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}
