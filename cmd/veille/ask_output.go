package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/veille/veille/rag"
	"github.com/veille/veille/rag/analyze"
)

// JSON shapes: the command-line contract in DESIGN.md.
type citationOut struct {
	N         int     `json:"n"`
	ArticleID string  `json:"article_id"`
	Title     string  `json:"title"`
	URL       string  `json:"url"`
	Published *string `json:"published"`
	Source    string  `json:"source"`
	Passage   string  `json:"passage"`
}

type askOut struct {
	Question  string        `json:"question"`
	Answer    string        `json:"answer"`
	Grounded  bool          `json:"grounded"`
	Citations []citationOut `json:"citations"`
	Closest   []resultOut   `json:"closest,omitempty"`
	Generated bool          `json:"generated"`
	Note      string        `json:"note,omitempty"`
	Filter    *filterOut    `json:"filter,omitempty"`
}

// filterOut is the date filter an answer was made under.
type filterOut struct {
	Since        *string `json:"since"`
	Until        *string `json:"until"`
	FromQuestion bool    `json:"from_question"`
	// Undated is true when undated articles were let through: no article
	// dated in the range answered a question naming an event's year.
	Undated bool `json:"undated"`
}

type resultOut struct {
	ArticleID string  `json:"article_id"`
	Title     string  `json:"title"`
	URL       string  `json:"url"`
	Published *string `json:"published"`
	Source    string  `json:"source"`
	Score     float64 `json:"score"`
	Passage   string  `json:"passage"`
}

type searchOut struct {
	Query   string      `json:"query"`
	Results []resultOut `json:"results"`
}

func askJSON(ans rag.Answer) askOut {
	out := askOut{
		Question: ans.Question, Answer: ans.Text, Grounded: ans.Grounded,
		Citations: []citationOut{}, Generated: ans.Generated, Note: ans.Note,
	}
	for _, c := range ans.Citations {
		out.Citations = append(out.Citations, citationOut{
			N: c.N, ArticleID: c.ArticleID, Title: c.Title, URL: c.URL,
			Published: dateOut(c.Published), Source: c.Source, Passage: c.Passage,
		})
	}
	for _, h := range ans.Closest {
		out.Closest = append(out.Closest, hitOut(h))
	}
	if f := ans.Filter; f != nil {
		out.Filter = &filterOut{Since: dayOut(f.Since), Until: dayOut(f.Until), FromQuestion: f.FromQuestion, Undated: f.Undated}
	}
	return out
}

func searchJSON(q string, hits []rag.Hit) searchOut {
	out := searchOut{Query: q, Results: []resultOut{}}
	for _, h := range hits {
		out.Results = append(out.Results, hitOut(h))
	}
	return out
}

func hitOut(h rag.Hit) resultOut {
	r := resultOut{
		ArticleID: h.ArticleID, Title: h.Title, URL: h.URL,
		Published: dateOut(h.Published), Source: h.Source, Score: h.Score,
	}
	if len(h.Passages) > 0 {
		r.Passage = h.Passages[0].Text
	}
	return r
}

// dateOut renders a date-only time as YYYY-MM-DD, another as RFC 3339, and
// an unknown one as null.
func dateOut(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := formatDate(t)
	return &s
}

// dayOut renders a filter bound, a midnight in the readers' zone, as
// YYYY-MM-DD; an open bound as null.
func dayOut(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.Format("2006-01-02")
	return &s
}

func formatDate(t time.Time) string {
	u := t.UTC()
	if u.Hour() == 0 && u.Minute() == 0 && u.Second() == 0 {
		return u.Format("2006-01-02")
	}
	return t.Format(time.RFC3339)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeAnswer(w io.Writer, ans rag.Answer) {
	fmt.Fprintln(w, ans.Text)
	if ans.Filter != nil {
		fmt.Fprintf(w, "\n%s\n", ans.Filter.Describe(analyze.DetectLang(ans.Question)))
	}
	if ans.Note != "" {
		fmt.Fprintf(w, "\n(%s)\n", ans.Note)
	}
	if len(ans.Citations) > 0 {
		fmt.Fprintln(w, "\nSources:")
		for _, c := range ans.Citations {
			fmt.Fprintf(w, "  [%d] %s\n", c.N, describe(c.Title, c.Source, c.Published))
			if c.URL != "" {
				fmt.Fprintf(w, "      %s\n", c.URL)
			}
		}
	}
	if len(ans.Closest) > 0 {
		fmt.Fprintln(w, "\nClosest articles:")
		for _, h := range ans.Closest {
			fmt.Fprintf(w, "  - %s\n", describe(h.Title, h.Source, h.Published))
			if h.URL != "" {
				fmt.Fprintf(w, "    %s\n", h.URL)
			}
		}
	}
}

func writeHits(w io.Writer, hits []rag.Hit) {
	if len(hits) == 0 {
		fmt.Fprintln(w, "No matching articles.")
		return
	}
	for i, h := range hits {
		fmt.Fprintf(w, "%d. %s\n", i+1, describe(h.Title, h.Source, h.Published))
		if h.URL != "" {
			fmt.Fprintf(w, "   %s\n", h.URL)
		}
		if len(h.Passages) > 0 {
			fmt.Fprintf(w, "   %s\n", snippet(h.Passages[0].Text, 200))
		}
	}
}

func describe(title, source string, published time.Time) string {
	parts := []string{title}
	var meta []string
	if source != "" {
		meta = append(meta, source)
	}
	if !published.IsZero() {
		meta = append(meta, formatDate(published))
	}
	if len(meta) > 0 {
		parts = append(parts, strings.Join(meta, ", "))
	}
	return strings.Join(parts, " — ")
}

func snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}
