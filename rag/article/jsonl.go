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

// ReadJSONL reads a corpus of one JSON article per line,
// {"id","title","url","date","source","lang","text"}, and returns the
// normalised articles (see Normalize). A line's id is kept as the article ID;
// text and one of id or url are required; date is RFC 3339, YYYY-MM-DD,
// YYYY-MM or null. A line that breaks these rules becomes a Problem naming
// name and the line, and reading goes on. Blank lines are skipped; lines may
// be several megabytes long. The error is for a failing reader or a cancelled
// ctx; the articles read so far are returned with it.
func ReadJSONL(ctx context.Context, r io.Reader, name string) ([]Article, []Problem, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		arts     []Article
		problems []Problem
	)
	for n := 1; ; n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return arts, problems, fmt.Errorf("read %s: %w", name, err)
			}
		}
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			a, perr := parseJSONLine(line, n)
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
			return arts, problems, fmt.Errorf("read %s: %w", name, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return arts, problems, fmt.Errorf("read %s: %w", name, err)
	}
	return arts, problems, nil
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
		return nil, fmt.Errorf("not JSON: %w", err)
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
