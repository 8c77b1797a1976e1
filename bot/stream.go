package bot

import (
	"context"
	"github.com/veille/veille/rag/answer"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/bwmarrin/discordgo"

	"github.com/veille/veille/rag"
)

// DefaultStreamInterval is the least time between two edits of a streamed
// answer: Discord allows about five edits of an interaction response every
// five seconds.
const DefaultStreamInterval = time.Second

// streamer is a Pipeline that can also stream a generated answer's text as
// the model writes it (answer.Engine does when a model is configured). The
// streamed text is unchecked: only the returned Answer, whose citations are
// checked, is ever shown as the answer.
type streamer interface {
	AskStream(ctx context.Context, question string, opts rag.SearchOptions, onDelta func(string)) (rag.Answer, error)
}

// answer.Engine streams; a change of AskStream's signature would silently turn
// streaming off (the type assertion in ask would fail), so it is checked
// here, next to the interface.
var _ streamer = (*answer.Engine)(nil)

// draftTimeout bounds one draft edit.
const draftTimeout = 5 * time.Second

// maxDraft bounds the text of a draft: its tail is shown once it is longer.
const maxDraft = 3000

// drafter edits a deferred interaction response with interim messages
// while a handler works: the first at once, then at most one per interval,
// always the latest. Once stop returns it never edits again, so the
// router's final edit is the last one.
type drafter struct {
	edit     func(ctx context.Context, m message) error
	interval time.Duration
	after    func(time.Duration) <-chan time.Time
	log      *slog.Logger

	mu      sync.Mutex
	render  func() message // the latest draft, rendered when shown
	dirty   bool           // render changed since the last edit
	started bool
	stopped bool
	edits   int
	wake    chan struct{} // capacity 1
	quit    chan struct{}
	done    chan struct{}
}

func newDrafter(edit func(ctx context.Context, m message) error, interval time.Duration,
	after func(time.Duration) <-chan time.Time, log *slog.Logger) *drafter {
	return &drafter{edit: edit, interval: interval, after: after, log: log,
		wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
}

// show makes render the next draft; the first call starts the goroutine
// that edits. A nil drafter shows nothing.
func (d *drafter) show(ctx context.Context, render func() message) {
	if d == nil {
		return
	}
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return
	}
	d.render, d.dirty = render, true
	if !d.started {
		d.started = true
		go d.run(ctx)
	}
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// run edits the response with the latest draft whenever there is one,
// waiting interval after each edit. A failed edit ends drafting: the
// router's final edit reports the real state.
func (d *drafter) run(ctx context.Context) {
	defer close(d.done)
	for {
		select {
		case <-d.wake:
		case <-d.quit:
			return
		case <-ctx.Done():
			return
		}
		d.mu.Lock()
		render, dirty := d.render, d.dirty
		d.dirty = false
		d.mu.Unlock()
		if !dirty {
			continue
		}
		// The handler's ctx ends when it returns, but an edit already sent
		// must finish before stop returns: the final edit then lands last.
		editCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), draftTimeout)
		err := d.edit(editCtx, render())
		cancel()
		if err != nil {
			d.log.Warn("draft not shown; waiting for the final answer", "err", err)
			return
		}
		d.mu.Lock()
		d.edits++
		d.mu.Unlock()
		select {
		case <-d.after(d.interval):
		case <-d.quit:
			return
		case <-ctx.Done():
			return
		}
	}
}

// stop ends drafting, waiting for an edit in flight; it returns how many
// drafts were shown. A nil drafter showed none.
func (d *drafter) stop() int {
	if d == nil {
		return 0
	}
	d.mu.Lock()
	started := d.started && !d.stopped
	d.stopped = true
	d.mu.Unlock()
	if started {
		close(d.quit)
		<-d.done
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.edits
}

// citationMarker matches [n] markers and their leading space.
var citationMarker = regexp.MustCompile(`\s?\[\d+(?:\s*[,;–-]\s*\d+)*\]`)

// draftMessage renders an answer being written: the question as title,
// the text so far without its (not yet checked) citation markers, a
// cursor, and a footer saying the sources follow. It always fits one
// message.
func draftMessage(question, text string, l lang) message {
	text = citationMarker.ReplaceAllString(text, "")
	text = strings.Join(paragraphs(text), "\n\n")
	text = neutralize(strings.ReplaceAll(text, "](", `]\(`))
	if r := []rune(text); len(r) > maxDraft {
		tail := string(r[len(r)-maxDraft:])
		if i := strings.IndexFunc(tail, unicode.IsSpace); i >= 0 && i < 100 {
			tail = tail[i:]
		}
		text = "…" + strings.TrimLeftFunc(tail, unicode.IsSpace)
	}
	e := &discordgo.MessageEmbed{
		Title:       truncate(neutralize(oneLine(question)), maxEmbedTitle),
		Description: text + " ▌",
		Color:       embedColour,
		Footer:      &discordgo.MessageEmbedFooter{Text: l.pick(txtWriting)},
	}
	return message{Embeds: []*discordgo.MessageEmbed{e}}
}
