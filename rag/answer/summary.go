package answer

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/veille/veille/rag/chunk"
	"github.com/veille/veille/rag/llm"
)

// ErrNoModel reports that the engine has no language model to write with.
var ErrNoModel = errors.New("no language model configured")

// HasModel reports whether the engine writes with a language model.
func (e *Engine) HasModel() bool { return e.chat != nil }

// Summarize writes a one- or two-sentence summary of an article with the
// language model, under the same rules as answers: every sentence must cite
// the article and share substance with it, or the summary is refused (the
// caller then falls back to an extractive one). The [1] markers are removed
// from the returned text: a digest entry links to its article already.
func (e *Engine) Summarize(ctx context.Context, title, text, lang string) (string, error) {
	if e.chat == nil {
		return "", ErrNoModel
	}
	name := "French"
	if lang == "en" {
		name = "English"
	}
	ps := []llm.Passage{{N: 1, Title: title, Text: chunk.Clip(text, 6000+1)}}
	out, err := e.chat.Chat(ctx, llm.SummaryPrompt(name, ps[0]))
	if err != nil {
		return "", fmt.Errorf("summarize %q: %w", title, err)
	}
	checked := llm.CheckCitations(out, ps)
	if err := checked.Err(); err != nil {
		return "", fmt.Errorf("summarize %q: %w", title, err)
	}
	s := strings.TrimSpace(citeMarker.ReplaceAllString(checked.Text, ""))
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, " .", ".")
	if s == "" {
		return "", fmt.Errorf("summarize %q: %w", title, llm.ErrNoCitations)
	}
	return chunk.Clip(s, 300+1), nil
}

var citeMarker = regexp.MustCompile(`\s*\[\d+\]`)
