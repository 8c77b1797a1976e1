package bot

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/veille/veille/rag"
	"github.com/veille/veille/rag/chunk"
)

// Discord's limits on one message, counted in characters (code points).
// Everything the bot sends is cut to fit here, so the router never sees a
// 400 from Discord for a long answer.
const (
	maxContent          = 2000
	maxEmbedTitle       = 256
	maxEmbedDescription = 4096
	maxFieldName        = 256
	maxFieldValue       = 1024
	maxFields           = 25
	maxFooter           = 2048
	maxEmbedTotal       = 6000 // titles, descriptions, fields, footers of all embeds of a message
	maxEmbeds           = 10
)

// maxPassage bounds the excerpt shown under a search result.
const maxPassage = 300

// embedColour is Veille's accent colour.
const embedColour = 0x1F6FEB

// message is one Discord message's worth of output.
type message struct {
	Content    string                       `json:"content,omitempty"`
	Embeds     []*discordgo.MessageEmbed    `json:"embeds,omitempty"`
	Components []discordgo.MessageComponent `json:"components,omitempty"`
}

// runeLen counts characters as Discord does.
func runeLen(s string) int { return utf8.RuneCountInString(s) }

// truncate cuts s to at most n characters, at a word boundary, ending
// with "…" when cut.
func truncate(s string, n int) string { return chunk.Clip(s, n) }

// oneLine collapses all whitespace, newlines included, to single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// mentionPattern rewrites what Discord would turn into a ping.
var mentionPattern = strings.NewReplacer(
	"@everyone", "@\u200beveryone",
	"@here", "@\u200bhere",
	"<@", "<@\u200b",
)

// neutralize breaks @everyone, @here and <@…> mentions with a zero-width
// space. AllowedMentions is empty on every message; this is the second
// layer, so that article text cannot even look like a ping.
func neutralize(s string) string { return mentionPattern.Replace(s) }

var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, `*`, `\*`, `_`, `\_`, "~", `\~`, "`", "\\`", `|`, `\|`,
	`[`, `\[`, `]`, `\]`, `(`, `\(`, `)`, `\)`, `<`, `\<`, `>`, `\>`, `#`, `\#`,
)

// escapeMarkdown makes s render literally, e.g. inside a link's text.
func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }

// linkURL returns u fit for a markdown link target, or "" if it is not an
// absolute http(s) URL.
func linkURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	s := p.String()
	s = strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E").Replace(s)
	if runeLen(s) > 1000 {
		return ""
	}
	return s
}

// link renders [title](url), or the escaped title alone without a URL.
func link(title, u string) string {
	title = escapeMarkdown(neutralize(truncate(oneLine(title), 200)))
	if title == "" {
		title = "…"
	}
	if l := linkURL(u); l != "" {
		return "[" + title + "](" + l + ")"
	}
	return title
}

// byline renders "Source, 2022-03-31", either part optional.
func byline(source string, published time.Time) string {
	var parts []string
	if s := oneLine(source); s != "" {
		parts = append(parts, escapeMarkdown(neutralize(truncate(s, 100))))
	}
	if !published.IsZero() {
		parts = append(parts, published.UTC().Format("2006-01-02"))
	}
	return strings.Join(parts, ", ")
}

// sourceLine renders one numbered source: "[n] [Title](url) — Source, 2022-03-31".
func sourceLine(n int, title, u, source string, published time.Time) string {
	line := link(title, u)
	if n > 0 {
		line = fmt.Sprintf("[%d] %s", n, line)
	}
	if b := byline(source, published); b != "" {
		line += " — " + b
	}
	return line
}

// block is a unit of embed text and the separator put before it.
type block struct {
	text string
	sep  string
}

// MaxAnswerMessages caps the Discord messages one answer takes. A runaway
// generation once filled 47 messages in 18 s: past the cap the answer's
// text is cut at a clean point, with a short note, and its sources are
// kept.
const MaxAnswerMessages = 3

// answerMessages renders an answer: the question as title, the text with
// its [n] markers, then the numbered sources as links, in at most
// MaxAnswerMessages messages. dropped counts the characters of the text
// left out to fit (0 when it all fits).
func answerMessages(a rag.Answer, l lang) (msgs []message, dropped int) {
	text := strings.TrimSpace(a.Text)
	if msgs = renderAnswer(a, text, "", len(a.Citations), l); len(msgs) <= MaxAnswerMessages {
		return msgs, 0
	}
	note := l.pick(txtAnswerCut)
	r := []rune(text)
	inside := protectedSpans(r)
	prefix := func(n int) string {
		if n >= len(r) {
			return text
		}
		return strings.TrimRightFunc(string(r[:bestCut(r, 0, n, inside)]), unicode.IsSpace)
	}
	fits := func(n int) bool {
		return len(renderAnswer(a, prefix(n), note, len(a.Citations), l)) <= MaxAnswerMessages
	}
	if fits(0) {
		// No more text than the capped messages hold can fit: searching
		// below that bound keeps a runaway answer's cut fast.
		kept := prefix(largest(min(len(r)-1, MaxAnswerMessages*maxEmbedTotal), fits))
		return renderAnswer(a, kept, note, len(a.Citations), l), len(r) - runeLen(kept)
	}
	// The sources alone overflow (hundreds of long titles): keep the first
	// ones that fit, and no text.
	n := largest(len(a.Citations), func(n int) bool {
		return len(renderAnswer(a, "", note, n, l)) <= MaxAnswerMessages
	})
	return renderAnswer(a, "", note, n, l), len(r)
}

// largest returns the largest n in [0, hi] for which fits holds, assuming
// fits(0) does and fits is monotonic.
func largest(hi int, fits func(int) bool) int {
	lo := 0
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// renderAnswer lays out an answer with text as its text, followed by note
// when not empty, and its first citations sources.
func renderAnswer(a rag.Answer, text, note string, citations int, l lang) []message {
	var blocks []block
	for _, p := range paragraphs(text) {
		// Links in the text can only come from a model: the sources below
		// are the only links an answer shows.
		p = strings.ReplaceAll(p, "](", `]\(`)
		blocks = append(blocks, block{text: neutralize(p), sep: "\n\n"})
	}
	if note != "" {
		blocks = append(blocks, block{text: "_" + note + "_", sep: "\n\n"})
	}
	// How the answer was made: a date filter read from the question, the
	// language of the sources, the model's absence.
	if a.Filter != nil {
		blocks = append(blocks, block{text: "_" + escapeMarkdown(a.Filter.Describe(l.code())) + "_", sep: "\n\n"})
	}
	if a.Note != "" {
		blocks = append(blocks, block{text: "_" + escapeMarkdown(neutralize(a.Note)) + "_", sep: "\n\n"})
	}
	if citations > 0 {
		blocks = append(blocks, block{text: "**" + l.pick(txtSources) + "**", sep: "\n\n"})
		for _, c := range a.Citations[:citations] {
			blocks = append(blocks, block{text: sourceLine(c.N, c.Title, c.URL, c.Source, c.Published), sep: "\n"})
		}
	}
	if !a.Grounded && len(a.Closest) > 0 {
		blocks = append(blocks, block{text: "**" + l.pick(txtClosest) + "**", sep: "\n\n"})
		for _, h := range a.Closest {
			blocks = append(blocks, block{text: "• " + sourceLine(0, h.Title, h.URL, h.Source, h.Published), sep: "\n"})
		}
	}
	footer := l.pick(txtAnswerFooter)
	if !a.Grounded {
		footer = l.pick(txtUngroundedFooter)
	}
	return pack(neutralize(oneLine(a.Question)), blocks, footer)
}

// searchMessages renders search hits, one row per article with its best passage.
func searchMessages(query string, hits []rag.Hit, l lang) []message {
	title := fmt.Sprintf(l.pick(txtSearchTitle), neutralize(oneLine(query)))
	if len(hits) == 0 {
		return []message{{Content: truncate(fmt.Sprintf(l.pick(txtNoResults), neutralize(oneLine(query))), maxContent)}}
	}
	var blocks []block
	for i, h := range hits {
		row := fmt.Sprintf("**%d.** %s", i+1, sourceLine(0, h.Title, h.URL, h.Source, h.Published))
		if len(h.Passages) > 0 {
			row += "\n> " + escapeMarkdown(neutralize(truncate(oneLine(h.Passages[0].Text), maxPassage)))
		}
		blocks = append(blocks, block{text: row, sep: "\n\n"})
	}
	return pack(title, blocks, "")
}

// latestMessages renders the most recent articles, newest first as given.
func latestMessages(arts []rag.ArticleInfo, l lang) []message {
	if len(arts) == 0 {
		return []message{{Content: l.pick(txtEmptyIndex)}}
	}
	var blocks []block
	for _, a := range arts {
		blocks = append(blocks, block{text: "• " + sourceLine(0, a.Title, a.URL, a.Source, a.Published), sep: "\n"})
	}
	return pack(l.pick(txtLatestTitle), blocks, "")
}

// statsMessages renders what the index holds as one embed of fields.
func statsMessages(st rag.Stats, l lang) []message {
	date := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return fmt.Sprintf("%s (<t:%d:R>)", t.UTC().Format("2006-01-02"), t.Unix())
	}
	names := make([]string, 0, len(st.Sources))
	for name := range st.Sources {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		if st.Sources[names[i]] != st.Sources[names[j]] {
			return st.Sources[names[i]] > st.Sources[names[j]]
		}
		return names[i] < names[j]
	})
	lines := make([]string, len(names))
	for i, name := range names {
		lines[i] = fmt.Sprintf("%s — %d", escapeMarkdown(neutralize(truncate(oneLine(name), 100))), st.Sources[name])
	}
	sources := strings.Join(fitLines(lines, maxFieldValue, func(left int) string {
		return fmt.Sprintf(l.pick(txtMoreSources), left)
	}), "\n")
	if sources == "" {
		sources = "—"
	}
	embedder := neutralize(truncate(oneLine(st.Embedder), maxFieldValue))
	if embedder == "" {
		embedder = "—"
	}
	e := &discordgo.MessageEmbed{
		Title: l.pick(txtStatsTitle),
		Color: embedColour,
		Fields: []*discordgo.MessageEmbedField{
			{Name: l.pick(txtArticles), Value: fmt.Sprint(st.Articles), Inline: true},
			{Name: l.pick(txtChunks), Value: fmt.Sprint(st.Chunks), Inline: true},
			{Name: l.pick(txtNewest), Value: date(st.Newest), Inline: true},
			{Name: l.pick(txtLastRefresh), Value: date(st.LastIngest), Inline: true},
			{Name: l.pick(txtEmbedder), Value: embedder, Inline: true},
			{Name: fmt.Sprintf(l.pick(txtSourcesCount), len(names)), Value: sources},
		},
	}
	return []message{{Embeds: []*discordgo.MessageEmbed{e}}}
}

var blankLines = regexp.MustCompile(`\n\s*\n`)

// paragraphs splits text on blank lines, dropping empty ones.
func paragraphs(text string) []string {
	var out []string
	for _, p := range blankLines.Split(strings.TrimSpace(text), -1) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// pack lays blocks out into embeds of at most maxEmbedDescription
// characters, splitting an oversized block with splitText, and the embeds
// into messages within maxEmbeds and maxEmbedTotal. The first embed carries
// the title, the last the footer.
func pack(title string, blocks []block, footer string) []message {
	title = truncate(title, maxEmbedTitle)
	footer = truncate(footer, maxFooter)
	var descs []string
	cur := ""
	for _, b := range blocks {
		pieces := []string{b.text}
		if runeLen(b.text) > maxEmbedDescription {
			pieces = splitText(b.text, maxEmbedDescription)
		}
		for i, p := range pieces {
			sep := b.sep
			if i > 0 {
				sep = " "
			}
			switch {
			case cur == "":
				cur = p
			case runeLen(cur)+runeLen(sep)+runeLen(p) <= maxEmbedDescription:
				cur += sep + p
			default:
				descs = append(descs, cur)
				cur = p
			}
		}
	}
	if cur != "" || len(descs) == 0 {
		descs = append(descs, cur)
	}

	embeds := make([]*discordgo.MessageEmbed, len(descs))
	for i, d := range descs {
		embeds[i] = &discordgo.MessageEmbed{Description: d, Color: embedColour}
	}
	embeds[0].Title = title
	if footer != "" {
		embeds[len(embeds)-1].Footer = &discordgo.MessageEmbedFooter{Text: footer}
	}

	var msgs []message
	var m message
	total := 0
	for _, e := range embeds {
		size := embedSize(e)
		if len(m.Embeds) > 0 && (len(m.Embeds) == maxEmbeds || total+size > maxEmbedTotal) {
			msgs = append(msgs, m)
			m, total = message{}, 0
		}
		m.Embeds = append(m.Embeds, e)
		total += size
	}
	return append(msgs, m)
}

// embedSize counts an embed's characters toward the 6000 per message.
func embedSize(e *discordgo.MessageEmbed) int {
	n := runeLen(e.Title) + runeLen(e.Description)
	if e.Footer != nil {
		n += runeLen(e.Footer.Text)
	}
	if e.Author != nil {
		n += runeLen(e.Author.Name)
	}
	for _, f := range e.Fields {
		n += runeLen(f.Name) + runeLen(f.Value)
	}
	return n
}

// protected matches spans a split must not cut: markdown links and
// citation markers such as [3] or [1, 2].
var protected = regexp.MustCompile(`\[[^\[\]\n]*\]\([^()\s]*\)|\[\d+(?:\s*[,;–-]\s*\d+)*\]`)

// splitText cuts s into pieces of at most limit characters, preferring
// paragraph breaks, then line breaks, then sentence ends, then spaces,
// and never cutting inside a markdown link or a [n] marker (unless one is
// itself longer than limit). Whitespace at the cuts is dropped.
func splitText(s string, limit int) []string {
	r := []rune(strings.TrimSpace(s))
	inside := protectedSpans(r)
	var out []string
	start := 0
	for len(r)-start > limit {
		cut := bestCut(r, start, limit, inside)
		if piece := strings.TrimRightFunc(string(r[start:cut]), unicode.IsSpace); piece != "" {
			out = append(out, piece)
		}
		start = cut
		for start < len(r) && unicode.IsSpace(r[start]) {
			start++
		}
	}
	if start < len(r) {
		out = append(out, string(r[start:]))
	}
	return out
}

// protectedSpans returns, for each position i of r (a cut before r[i]),
// the start of the protected span such a cut would split, or -1.
func protectedSpans(r []rune) []int {
	inside := make([]int, len(r)+1)
	for i := range inside {
		inside[i] = -1
	}
	str := string(r)
	at, runes := 0, 0 // byte offset in str and its rune count, advanced match by match
	for _, m := range protected.FindAllStringIndex(str, -1) {
		from := runes + utf8.RuneCountInString(str[at:m[0]])
		to := from + utf8.RuneCountInString(str[m[0]:m[1]])
		at, runes = m[1], to
		for i := from + 1; i < to; i++ {
			inside[i] = from
		}
	}
	return inside
}

// bestCut picks where to cut r after start so that r[start:cut] has at
// most limit runes: the last paragraph break, else line break, else
// sentence end, else space in the window's last two thirds; else a hard
// cut, moved before a protected span it would split.
func bestCut(r []rune, start, limit int, inside []int) int {
	end := start + limit
	rules := []func(i int) bool{
		func(i int) bool { return r[i] == '\n' && r[i-1] == '\n' },
		func(i int) bool { return r[i] == '\n' },
		func(i int) bool { return unicode.IsSpace(r[i]) && strings.ContainsRune(".!?…;:", r[i-1]) },
		func(i int) bool { return unicode.IsSpace(r[i]) },
	}
	for _, rule := range rules {
		for i := end; i > start+limit/3 && i > start; i-- {
			if i < len(r) && inside[i] < 0 && rule(i) {
				return i
			}
		}
	}
	if s := inside[end]; s > start {
		return s
	}
	return end
}

// fitLines returns the first lines that fit in limit runes joined by
// newlines, followed, when some are left out, by more(how many).
func fitLines(lines []string, limit int, more func(left int) string) []string {
	var out []string
	used := 0
	for i, line := range lines {
		m := more(len(lines) - i)
		if used+runeLen(line)+1+runeLen(m) > limit {
			return append(out, m)
		}
		out = append(out, line)
		used += runeLen(line) + 1
	}
	return out
}
