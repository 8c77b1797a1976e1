// Package answer writes the answer to a question from what rag retrieves:
// with a language model when one is configured (its citations checked),
// extractively otherwise — the sentences of the best articles that hold what
// the question asks for, chosen by rag/extract — and extractively again
// whenever the model fails. It decides whether the articles cover the
// question at all, reads the time expression of a question as a date filter,
// and carries English questions over French articles through rag/lexicon.
package answer

import (
	"context"
	"fmt"
	"github.com/veille/veille/rag"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"github.com/veille/veille/rag/analyze"
	"github.com/veille/veille/rag/chunk"
	"github.com/veille/veille/rag/llm"
	"github.com/veille/veille/rag/when"
)

// Chatter is the chat model the Engine writes answers with: an
// OpenAI-compatible client, or a fake in tests.
type Chatter interface {
	Chat(ctx context.Context, msgs []llm.Message) (string, error)
	ChatStream(ctx context.Context, msgs []llm.Message, onDelta func(string)) (string, error)
}

// Engine answers questions over an rag.Index: with a chat model when one is
// configured, extractively otherwise, and extractively again whenever the
// model fails or cites nothing it was given.
type Engine struct {
	ix *rag.Index
	// analyses keeps the recent articles' analysis (shared by copies).
	analyses *analysisCache
	chat     Chatter // nil: extractive only
	log      *slog.Logger
	maxCtx   int // passages given to the model
	// loc is where "hier" or "this month" in a question are reckoned.
	loc *time.Location
	now func() time.Time
}

// NewEngine returns an Engine over ix; chat may be nil. It reads time
// expressions in questions in UTC until told otherwise by WithLocation.
func NewEngine(ix *rag.Index, chat Chatter, log *slog.Logger) *Engine {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{
		ix: ix, analyses: &analysisCache{}, chat: chat, log: log.With("component", "answer"), maxCtx: 6,
		loc: time.UTC, now: time.Now,
	}
}

// WithLocation returns a copy of the engine that reads "aujourd'hui", "this
// week" or "en mars" in questions as days, weeks and months of loc (the
// readers' time zone); nil means UTC.
func (e *Engine) WithLocation(loc *time.Location) *Engine {
	if loc == nil {
		loc = time.UTC
	}
	c := *e
	c.loc = loc
	return &c
}

// Index returns the index the engine reads.
func (e *Engine) Index() *rag.Index { return e.ix }

// Search is rag.Index.Search, with a time expression in the question ("en 2020",
// "last week") read as a date filter unless opts has one, and the question
// rewritten first when a model can (another language than the articles', or a
// follow-up).
func (e *Engine) Search(ctx context.Context, query string, opts rag.SearchOptions) ([]rag.Hit, error) {
	q, err := rag.CheckQuery(query)
	if err != nil {
		return nil, err
	}
	retrieval, _ := e.retrieval(ctx, q, &opts)
	return e.ix.Search(ctx, retrieval, opts)
}

// Latest is rag.Index.Latest.
func (e *Engine) Latest(ctx context.Context, n int) ([]rag.ArticleInfo, error) {
	return e.ix.Latest(ctx, n)
}

// Stats is rag.Index.Stats.
func (e *Engine) Stats(ctx context.Context) (rag.Stats, error) { return e.ix.Stats(ctx) }

// Ask answers question, reading a time expression in it as Search does.
// onDelta, when non-nil, receives the model's text as
// it streams (unchecked; the returned rag.Answer is the checked one).
func (e *Engine) Ask(ctx context.Context, question string, opts rag.SearchOptions) (rag.Answer, error) {
	return e.AskStream(ctx, question, opts, nil)
}

// AskStream is Ask with the model's raw text streamed to onDelta.
func (e *Engine) AskStream(ctx context.Context, question string, opts rag.SearchOptions, onDelta func(string)) (rag.Answer, error) {
	q, err := rag.CheckQuery(question)
	if err != nil {
		return rag.Answer{}, err
	}
	retrieval, eventYear := e.retrieval(ctx, q, &opts)
	ans, err := e.answer(ctx, q, retrieval, opts, onDelta)
	// A question that names the year of an event ("maire de Shanghai en
	// 2010") may be answered by an undated reference article when no
	// article dated in the range answers it; the filter line says so.
	// Relative times ("hier", "last week") are about the news of those
	// days: undated articles never answer them.
	if err == nil && !ans.Grounded && eventYear {
		wide := opts
		wide.Undated = true
		var more rag.Answer
		if more, err = e.answer(ctx, q, retrieval, wide, onDelta); err == nil && more.Grounded {
			ans, opts = more, wide
		}
	}
	ans.Filter = opts.Filter()
	return ans, err
}

// answer grounds q and writes the answer: with the model when there is one,
// extractively otherwise or when the model fails.
func (e *Engine) answer(ctx context.Context, q, retrieval string, opts rag.SearchOptions, onDelta func(string)) (rag.Answer, error) {
	ans, hits, ok, err := e.ground(ctx, q, retrieval, opts)
	if err != nil || !ok {
		return ans, err
	}
	if e.chat == nil {
		return e.extractAnswer(ctx, q, retrieval, hits), nil
	}
	gen, err := e.generate(ctx, q, hits, onDelta)
	if err == nil {
		return gen, nil
	}
	// Fall back to the extractive answer, with its sources, never to an
	// unsourced claim.
	e.log.Warn("generated answer unusable, answering extractively", "err", err)
	ext := e.extractAnswer(ctx, q, retrieval, hits)
	ext.Note = joinNotes(fallbackNote(analyze.DetectLang(q)), ext.Note)
	return ext, nil
}

// generate asks the model, then keeps only citations of given passages.
func (e *Engine) generate(ctx context.Context, q string, hits []rag.Hit, onDelta func(string)) (rag.Answer, error) {
	var given []rag.Passage
	var ps []llm.Passage
	for _, h := range hits {
		for _, p := range h.Passages {
			if len(given) == e.maxCtx {
				break
			}
			given = append(given, p)
			date := ""
			if !p.Published.IsZero() {
				date = p.Published.UTC().Format("2006-01-02")
			}
			ps = append(ps, llm.Passage{N: len(given), Title: p.Title, Source: p.Source, Date: date, Text: p.Text})
		}
	}
	msgs := llm.Prompt(q, ps)
	start := time.Now()
	var text string
	var err error
	if onDelta != nil {
		text, err = e.chat.ChatStream(ctx, msgs, onDelta)
	} else {
		text, err = e.chat.Chat(ctx, msgs)
	}
	if err != nil {
		return rag.Answer{}, fmt.Errorf("generate: %w", err)
	}
	e.log.Debug("answer generated", "elapsed_ms", time.Since(start).Milliseconds(), "passages", len(ps))
	checked := llm.CheckCitations(text, ps)
	if err := checked.Err(); err != nil {
		return rag.Answer{}, fmt.Errorf("generate: %w", err)
	}
	ans := rag.Answer{Question: q, Text: checked.Text, Grounded: true, Generated: true}
	for i, orig := range checked.Cited {
		if orig < 1 || orig > len(given) {
			return rag.Answer{}, fmt.Errorf("generate: citation %d names no passage", orig)
		}
		p := given[orig-1]
		ans.Citations = append(ans.Citations, rag.Citation{
			N: i + 1, ArticleID: p.ArticleID, Title: p.Title, URL: p.URL,
			Source: p.Source, Published: p.Published, Passage: p.Text,
		})
	}
	return ans, nil
}

// retrieval returns the text to retrieve q with: q without its time
// expression, which becomes opts' date filter unless the caller set one, and
// with the model's rewrite on a further line when there is one. eventYear
// reports a filter read from an expression that writes its year ("en mars
// 2024"): the time of an event, which an undated reference article may
// describe as well as the news of the day.
func (e *Engine) retrieval(ctx context.Context, q string, opts *rag.SearchOptions) (text string, eventYear bool) {
	text = q
	if opts.Since.IsZero() && opts.Until.IsZero() {
		if r, rest, ok := when.Parse(q, e.now(), e.loc); ok {
			opts.Since, opts.Until, opts.FromQuestion, eventYear = r.Since, r.Until, true, r.Absolute
			// News reports follow events: an attack "en mars 2024" may be
			// reported in April. A past month or year lets a month more
			// of articles in.
			if !r.Until.IsZero() && r.Until.Sub(r.Since) >= 28*24*time.Hour && !r.Until.After(e.now()) {
				opts.Until = r.Until.AddDate(0, 0, reportLag)
			}
			e.log.Debug("time filter from the question", "since", r.Since, "until", r.Until)
			// "Quoi de neuf hier ?" leaves nothing to search with but
			// the question itself.
			if strings.IndexFunc(rest, isWordRune) >= 0 {
				text = rest
			}
		}
	}
	// The rewrite sees the whole question; only its first line, q, is
	// replaced.
	return text + strings.TrimPrefix(e.rewrite(ctx, q, opts), q), eventYear
}

// reportLag is how long after a past month or year named in a question its
// events are still looked for in the news.
const reportLag = 31

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// rewritePrompt turns a follow-up or foreign-language question into a
// standalone search query in the articles' language.
const rewritePrompt = `Rewrite the user's question as one standalone search query for a news archive written in %s.
Use the earlier conversation only to resolve references such as "and Meta?" or "when?".
Translate it to %s if needed and add two or three key terms (names, synonyms). Reply with the query only, on one line.`

// rewrite returns the text to retrieve with. Without a model, or when the
// question is in the articles' language and not a follow-up, it is q itself.
// The original question always stays part of it.
func (e *Engine) rewrite(ctx context.Context, q string, opts *rag.SearchOptions) string {
	if e.chat == nil {
		return q
	}
	lang := analyze.DetectLang(q)
	main := e.ix.MainLang()
	if opts.Context == "" && (lang == "" || main == "" || lang == main) {
		return q
	}
	name := map[string]string{"fr": "French", "en": "English"}[main]
	if name == "" {
		name = "the articles' language"
	}
	user := q
	if opts.Context != "" {
		user = "Earlier conversation:\n" + opts.Context + "\n\nQuestion: " + q
	}
	out, err := e.chat.Chat(ctx, []llm.Message{
		{Role: "system", Content: fmt.Sprintf(rewritePrompt, name, name)},
		{Role: "user", Content: user},
	})
	out = strings.TrimSpace(strings.SplitN(out, "\n", 2)[0])
	if err != nil || out == "" {
		e.log.Debug("question rewrite skipped", "err", err)
		return q
	}
	// The rewrite replaces the conversation context for retrieval.
	opts.Context = ""
	return q + "\n" + chunk.Clip(out, rag.MaxQueryLen/2+1)
}

func fallbackNote(lang string) string {
	if lang == "en" {
		return "The language model was unavailable; this answer is extracted from the articles."
	}
	return "Le modèle de langage n’a pas pu répondre ; cette réponse est extraite des articles."
}

// LatestIn returns the n most recent articles the scope sees (by published
// time, else first seen); Latest's counterpart for the bot.
func (e *Engine) LatestIn(ctx context.Context, scope rag.Scope, n int) ([]rag.ArticleInfo, error) {
	return e.ix.LatestIn(ctx, scope, n)
}

// StatsIn is rag.Index.StatsIn.
func (e *Engine) StatsIn(ctx context.Context, scope rag.Scope) (rag.Stats, error) {
	return e.ix.StatsIn(ctx, scope)
}
