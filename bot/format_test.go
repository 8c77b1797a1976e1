package bot

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/bwmarrin/discordgo"
	"github.com/google/go-cmp/cmp"

	"github.com/veille/veille/bot/digest"
	"github.com/veille/veille/rag"
)

// checkLimits fails the test if msgs break any of Discord's limits.
func checkLimits(t *testing.T, msgs []message) {
	t.Helper()
	if len(msgs) == 0 {
		t.Error("no messages")
	}
	for i, m := range msgs {
		if n := runeLen(m.Content); n > maxContent {
			t.Errorf("message %d: content has %d characters", i, n)
		}
		if m.Content == "" && len(m.Embeds) == 0 {
			t.Errorf("message %d is empty", i)
		}
		if len(m.Embeds) > maxEmbeds {
			t.Errorf("message %d: %d embeds", i, len(m.Embeds))
		}
		total := 0
		for j, e := range m.Embeds {
			total += embedSize(e)
			if runeLen(e.Title) > maxEmbedTitle || runeLen(e.Description) > maxEmbedDescription || len(e.Fields) > maxFields {
				t.Errorf("message %d embed %d over a limit: title %d, description %d, fields %d",
					i, j, runeLen(e.Title), runeLen(e.Description), len(e.Fields))
			}
			if e.Footer != nil && runeLen(e.Footer.Text) > maxFooter {
				t.Errorf("message %d embed %d: footer too long", i, j)
			}
			for _, f := range e.Fields {
				if runeLen(f.Name) > maxFieldName || runeLen(f.Value) > maxFieldValue || f.Name == "" || f.Value == "" {
					t.Errorf("message %d embed %d: bad field %q", i, j, f.Name)
				}
			}
		}
		if total > maxEmbedTotal {
			t.Errorf("message %d: embeds total %d characters", i, total)
		}
	}
}

func cite(n int, title, url, source string) rag.Citation {
	return rag.Citation{N: n, ArticleID: fmt.Sprint("art-", n), Title: title, URL: url, Source: source, Published: testDate}
}

// longAnswer is an English answer of n paragraphs of ten cited sentences
// (about 900 characters each) with ten sources.
func longAnswer(n int) rag.Answer {
	var paras []string
	for i := range n {
		var s []string
		for j := range 10 {
			s = append(s, fmt.Sprintf("Paragraph %d sentence %d describes how the intrusion progressed through the network [%d].", i, j, j+1))
		}
		paras = append(paras, strings.Join(s, " "))
	}
	a := rag.Answer{Question: "Explain the whole attack", Grounded: true, Text: strings.Join(paras, "\n\n")}
	for n := 1; n <= 10; n++ {
		a.Citations = append(a.Citations, cite(n, fmt.Sprintf("Report part %d", n), fmt.Sprintf("https://example.org/r/%d", n), "CERT-FR"))
	}
	return a
}

func TestAnswerMessages(t *testing.T) {
	tests := []struct {
		name   string
		answer rag.Answer
		lang   lang
	}{
		{"grounded_en", rag.Answer{Question: "What is Log4Shell?", Grounded: true,
			Text:      "Log4Shell is a flaw in Log4j [1]. It was widely exploited [1, 2].",
			Citations: []rag.Citation{cite(1, "Log4j flaw", "https://example.org/1", "The Record"), cite(2, "Exploitation", "https://example.org/2", "")}}, english},
		{"grounded_fr", rag.Answer{Question: "Qui a exploité Log4Shell ?", Grounded: true,
			Text:      "Des groupes étatiques [1].",
			Citations: []rag.Citation{cite(1, "Log4Shell : les attaques", "https://www.lemagit.fr/a", "LeMagIT")}}, french},
		{"ungrounded_closest", rag.Answer{Question: "Who won the match?", Grounded: false,
			Text:    "No indexed article answers this.",
			Closest: []rag.Hit{{Title: "Sports site breached", URL: "https://example.org/s", Source: "ZDNet", Published: testDate}}}, english},
		{"hostile_text", rag.Answer{Question: "@everyone <@123456789012345678> ?", Grounded: true,
			Text: "Ping @here and <@&987654321098765432> [1]. See [my site](https://evil.example) [1].",
			Citations: []rag.Citation{cite(1, "Title with [brackets] (parens) *stars* _under_ `code` | pipes <@42>",
				"https://example.org/wiki/Foo_(bar) baz", "Src*")}}, english},
		{"bad_url_no_title", rag.Answer{Question: "q", Grounded: true, Text: "t [1].",
			Citations: []rag.Citation{cite(1, "", "javascript:alert(1)", "")}}, english},
		{"filter_and_note_en", rag.Answer{Question: "Who hacked Microsoft in 2022?", Grounded: true,
			Text:      "Le groupe Lapsus$ a piraté Microsoft [1].",
			Note:      "This answer quotes French sources.",
			Filter:    &rag.DateFilter{Since: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2023, 2, 1, 0, 0, 0, 0, time.UTC), FromQuestion: true},
			Citations: []rag.Citation{cite(1, "Lapsus$", "https://example.org/l", "Data News")}}, english},
		{"long_split", longAnswer(10), english},
		{"long_capped", longAnswer(40), english},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, _ := answerMessages(tt.answer, tt.lang)
			checkLimits(t, msgs)
			golden(t, filepath.Join("format", "answer_"+tt.name+".golden.json"), msgs)
		})
	}
}

func TestLongAnswerKeepsEverything(t *testing.T) {
	a := longAnswer(10)
	msgs, dropped := answerMessages(a, english)
	if len(msgs) < 2 || dropped != 0 {
		t.Fatalf("%d messages, %d characters dropped, want a split that keeps everything", len(msgs), dropped)
	}
	var got []string
	for _, m := range msgs {
		for _, e := range m.Embeds {
			got = append(got, strings.Fields(e.Description)...)
		}
	}
	want := strings.Fields(a.Text)
	// The text comes first, then the sources.
	if diff := cmp.Diff(want, got[:len(want)]); diff != "" {
		t.Errorf("words lost or reordered by the split (-want +got):\n%s", diff)
	}
}

// frenchAnswer is a French answer of n paragraphs of ten cited sentences.
func frenchAnswer(n int) rag.Answer {
	var paras []string
	for i := range n {
		var s []string
		for j := range 10 {
			s = append(s, fmt.Sprintf("Le paragraphe %d, phrase %d, décrit comment l'intrusion a progressé dans le réseau [%d].", i, j, j%3+1))
		}
		paras = append(paras, strings.Join(s, " "))
	}
	a := rag.Answer{Question: "Que s'est-il passé ?", Grounded: true, Text: strings.Join(paras, "\n\n")}
	for n := 1; n <= 3; n++ {
		a.Citations = append(a.Citations, cite(n, fmt.Sprintf("Rapport, partie %d", n), fmt.Sprintf("https://example.fr/r/%d", n), "CERT-FR"))
	}
	return a
}

func TestAnswerMessageCap(t *testing.T) {
	t.Parallel()
	ungrounded := longAnswer(200)
	ungrounded.Grounded, ungrounded.Citations = false, nil
	ungrounded.Closest = []rag.Hit{{Title: "Closest one", URL: "https://example.org/c1"}, {Title: "Closest two", URL: "https://example.org/c2"}}
	manySources := longAnswer(5)
	manySources.Citations = nil
	for n := 1; n <= 200; n++ {
		manySources.Citations = append(manySources.Citations, cite(n, strings.Repeat("Long title ", 30), fmt.Sprintf("https://example.org/%d/%s", n, strings.Repeat("x", 300)), "Source"))
	}
	tests := []struct {
		name      string
		answer    rag.Answer
		lang      lang
		note      string
		wantLinks []string // every one must be shown
		wantText  bool     // the cut keeps a good share of the text
	}{
		{"runaway_en", longAnswer(300), english, "(answer truncated", []string{"https://example.org/r/1)", "https://example.org/r/10)"}, true},
		{"runaway_fr", frenchAnswer(300), french, "(réponse tronquée", []string{"https://example.fr/r/1)", "https://example.fr/r/3)"}, true},
		{"just_over_en", longAnswer(18), english, "(answer truncated", []string{"https://example.org/r/10)"}, true},
		{"ungrounded_closest_en", ungrounded, english, "(answer truncated", []string{"https://example.org/c1)", "https://example.org/c2)"}, true},
		{"sources_overflow_fr", manySources, french, "(réponse tronquée", []string{"https://example.org/1/"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			msgs, dropped := answerMessages(tt.answer, tt.lang)
			checkLimits(t, msgs)
			if len(msgs) > MaxAnswerMessages {
				t.Errorf("%d messages, want at most %d", len(msgs), MaxAnswerMessages)
			}
			var all strings.Builder
			for _, m := range msgs {
				for _, e := range m.Embeds {
					all.WriteString(e.Description + "\n")
				}
			}
			shown := all.String()
			if strings.Count(shown, tt.note) != 1 {
				t.Errorf("want the note %q once in:\n%s", tt.note, shown)
			}
			for _, l := range tt.wantLinks {
				if !strings.Contains(shown, l) {
					t.Errorf("source link %q lost", l)
				}
			}
			// What is shown of the text is its beginning, cut between words.
			words := strings.Fields(tt.answer.Text)
			got := strings.Fields(shown)
			kept := 0
			for kept < len(words) && kept < len(got) && got[kept] == words[kept] {
				kept++
			}
			if kept == len(words) || dropped <= 0 {
				t.Errorf("kept %d of %d words, dropped %d characters: want a cut", kept, len(words), dropped)
			}
			if keptChars := runeLen(strings.Join(words[:kept], " ")); tt.wantText && keptChars < 2*maxEmbedDescription {
				t.Errorf("kept only %d characters of text, want most of %d messages", keptChars, MaxAnswerMessages)
			}
			if kept < len(got) && !strings.HasPrefix(got[kept], "_…") {
				t.Errorf("after the kept text comes %q, want the note", got[kept])
			}
		})
	}
}

func TestSearchMessages(t *testing.T) {
	long := strings.Repeat("Le rançongiciel chiffre les serveurs et exfiltre les données. ", 20)
	hits := []rag.Hit{
		{Title: "LockBit revendique l'attaque", URL: "https://example.org/lockbit", Source: "LeMagIT", Published: testDate,
			Passages: []rag.Passage{{Text: long}}},
		{Title: "No passage", URL: "https://example.org/np", Source: "CERT-FR"},
	}
	t.Run("hits_fr", func(t *testing.T) {
		msgs := searchMessages("lockbit", hits, french)
		checkLimits(t, msgs)
		golden(t, filepath.Join("format", "search_hits_fr.golden.json"), msgs)
	})
	t.Run("none_en", func(t *testing.T) {
		msgs := searchMessages("@everyone nothing", nil, english)
		checkLimits(t, msgs)
		golden(t, filepath.Join("format", "search_none_en.golden.json"), msgs)
	})
}

func TestStatsMessages(t *testing.T) {
	sources := map[string]int{}
	for i := range 120 {
		sources[fmt.Sprintf("Source number %03d with a long name", i)] = i % 7
	}
	st := rag.Stats{Articles: 1000, Chunks: 9000, Sources: sources, Newest: testDate, LastIngest: testNow, Embedder: "openai/text-embedding-3-small/1536"}
	msgs := statsMessages(st, english)
	checkLimits(t, msgs)
	golden(t, filepath.Join("format", "stats_many_sources_en.golden.json"), msgs)
	msgs = statsMessages(rag.Stats{}, french)
	checkLimits(t, msgs)
	golden(t, filepath.Join("format", "stats_empty_fr.golden.json"), msgs)
}

func TestDigestMessages(t *testing.T) {
	tests := map[string]digest.Digest{
		"fr": {Header: "Veille du mardi 24 novembre 2026 — 3 articles", Lang: "fr", More: 2, Entries: []digest.Entry{
			{Title: "LockBit *revendique* [encore]", URL: "https://example.org/lb", Source: "LeMagIT", Date: testDate,
				Summary: "Le groupe affirme avoir chiffré les serveurs.",
				Also:    []digest.Link{{Title: "Même sujet", URL: "https://example.org/m", Source: "ZATAZ"}, {Title: "Sans lien"}}},
			{Title: "Sans date ni source", URL: "https://example.org/nd"},
		}},
		"empty_en": {Header: "Veille for Tuesday, November 24, 2026 — nothing new", Lang: "en", Empty: true},
	}
	for name, d := range tests {
		t.Run(name, func(t *testing.T) {
			msgs := digestMessages(d)
			checkLimits(t, msgs)
			golden(t, filepath.Join("format", "digest_"+name+".golden.json"), msgs)
		})
	}
}

func TestSplitText(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		limit int
		want  []string
	}{
		{"fits", "Short text [1].", 50, []string{"Short text [1]."}},
		{"paragraph first", "First paragraph here.\n\nSecond one, longer than the rest.", 40,
			[]string{"First paragraph here.", "Second one, longer than the rest."}},
		{"sentence before space", "One sentence is here [1]. Another follows it now", 35,
			[]string{"One sentence is here [1].", "Another follows it now"}},
		{"not inside a marker", "aaaa bbbb cccc [12, 13] dddd", 20, []string{"aaaa bbbb cccc", "[12, 13] dddd"}},
		{"not inside a link", "see [the long title](https://x.org/a) now", 36, []string{"see", "[the long title](https://x.org/a)", "now"}},
		{"hard cut in a long word", strings.Repeat("x", 25), 10, []string{"xxxxxxxxxx", "xxxxxxxxxx", "xxxxx"}},
		{"runes not bytes", strings.Repeat("é", 12), 5, []string{"ééééé", "ééééé", "éé"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitText(tt.text, tt.limit)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("splitText (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNeutralize(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"everyone", "@everyone", "@\u200beveryone"},
		{"here", "hi @here!", "hi @\u200bhere!"},
		{"users and roles", "<@123> <@!456> <@&789>", "<@\u200b123> <@\u200b!456> <@\u200b&789>"},
		{"e-mail untouched", "mail me at a@example.org", "mail me at a@example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := neutralize(tt.in); got != tt.want {
				t.Errorf("neutralize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLink(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, title, url, want string }{
		{"plain", "Plain", "https://example.org/a", "[Plain](https://example.org/a)"},
		{"markdown in title, parens in URL", "A [b] *c*", "https://example.org/x_(y)", `[A \[b\] \*c\*](https://example.org/x_%28y%29)`},
		{"not http", "No link", "ftp://example.org", "No link"},
		{"nothing", "", "", "…"},
		{"multi-line title", "Multi\nline   title", "http://example.org", "[Multi line title](http://example.org)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := link(tt.title, tt.url); got != tt.want {
				t.Errorf("link(%q, %q) = %q, want %q", tt.title, tt.url, got, tt.want)
			}
		})
	}
}

var markerOrLink = regexp.MustCompile(`\[[^\[\]\n]*\]\([^()\s]*\)|\[\d+(?:\s*[,;–-]\s*\d+)*\]`)

func FuzzSplitText(f *testing.F) {
	f.Add("A sentence [1]. Another one [2, 3].\n\nA [link](https://x.org/y) here.", 20)
	f.Add(strings.Repeat("word ", 100), 7)
	f.Add("ééé [12] ééé", 4)
	f.Fuzz(func(t *testing.T, text string, limit int) {
		if limit < 1 || limit > 5000 || !utf8Valid(text) {
			t.Skip()
		}
		pieces := splitText(text, limit)
		for _, p := range pieces {
			if runeLen(p) > limit {
				t.Fatalf("piece of %d characters > %d: %q", runeLen(p), limit, p)
			}
			if p == "" {
				t.Fatalf("empty piece in %q", pieces)
			}
		}
		squash := func(s string) string { return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), "") }
		if squash(strings.Join(pieces, "")) != squash(text) {
			t.Fatalf("text changed by the split: %q → %q", text, pieces)
		}
		// A marker or link short enough to fit is never cut.
		for _, m := range markerOrLink.FindAllString(text, -1) {
			if runeLen(m) > limit || strings.ContainsFunc(m, unicode.IsSpace) && strings.Contains(m, "](") {
				continue
			}
			found := false
			for _, p := range pieces {
				if strings.Contains(p, m) {
					found = true
				}
			}
			if !found && !strings.ContainsFunc(m, unicode.IsSpace) {
				t.Fatalf("%q cut by the split: %q", m, pieces)
			}
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func BenchmarkSplitText(b *testing.B) {
	text := longAnswer(30).Text
	for b.Loop() {
		splitText(text, maxEmbedDescription)
	}
}

func BenchmarkAnswerMessages(b *testing.B) {
	a := longAnswer(10)
	for b.Loop() {
		answerMessages(a, english)
	}
}

// BenchmarkAnswerMessagesCapped is a runaway answer (about 270,000
// characters) cut to MaxAnswerMessages.
func BenchmarkAnswerMessagesCapped(b *testing.B) {
	a := longAnswer(300)
	for b.Loop() {
		answerMessages(a, english)
	}
}

// TestDigestMark checks that every embed of a digest carries the digest
// mark and that nothing else the bot posts does, so that DigestPosted
// cannot take an answer for a digest, nor miss a digest.
func TestDigestMark(t *testing.T) {
	t.Parallel()
	d := digest.Digest{Header: "Veille du mardi 24 novembre 2026", Lang: "fr", More: 3,
		Entries: []digest.Entry{{Title: "LockBit", URL: "https://example.org/lb", Summary: strings.Repeat("Résumé long. ", 400)}}}
	asMessage := func(m message) *discordgo.Message { return &discordgo.Message{Content: m.Content, Embeds: m.Embeds} }
	tests := []struct {
		name   string
		msgs   []message
		digest bool
	}{
		{name: "digest", msgs: digestMessages(d), digest: true},
		{name: "empty digest", msgs: digestMessages(digest.Digest{Header: "Veille", Lang: "en", Empty: true}), digest: true},
		{name: "answer", msgs: renderAnswer(longAnswer(3), longAnswer(3).Text, "", 10, english)},
		{name: "search", msgs: searchMessages("lockbit", []rag.Hit{{Title: "LockBit", URL: "https://example.org/lb"}}, french)},
		{name: "latest", msgs: latestMessages([]rag.ArticleInfo{{Title: "LockBit", URL: "https://example.org/lb"}}, french)},
		{name: "stats", msgs: statsMessages(rag.Stats{Articles: 1}, english)},
		{name: "draft", msgs: []message{draftMessage("Quoi de neuf ?", "Le groupe", french)}},
		{name: "feeds", msgs: []message{{Embeds: []*discordgo.MessageEmbed{feedHealthEmbed(nil, true, french, maxEmbedDescription)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for i, m := range tt.msgs {
				if got := isDigest(asMessage(m)); got != tt.digest {
					t.Errorf("isDigest(message %d) = %v, want %v", i, got, tt.digest)
				}
				for j, e := range m.Embeds {
					if got := e.Color == digestMark; got != tt.digest {
						t.Errorf("message %d embed %d: colour %#x, digest mark %v, want %v", i, j, e.Color, got, tt.digest)
					}
				}
			}
		})
	}
}
