package llm

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var news = []Passage{
	{N: 1, Title: "Orange victime d'une cyberattaque", Source: "Le Monde", Date: "2024-02-12",
		Text: "L'opérateur Orange a subi une cyberattaque en février 2024. Les données de 850 000 clients ont été dérobées."},
	{N: 2, Title: "Apple lance un iPhone pliable", Source: "Les Echos", Date: "2024-09-10",
		Text: "Apple a présenté mardi un nouvel iPhone pliable, vendu 1 999 euros."},
	{N: 3, Title: "Grève à la SNCF", Source: "Ouest-France", Date: "2024-05-02",
		Text: "Les cheminots de la SNCF sont en grève jeudi pour les salaires."},
}

func TestCheckCitations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		answer   string
		passages []Passage // nil means news
		want     Checked
	}{
		{
			name:   "valid",
			answer: "Orange a subi une cyberattaque [1]. Apple a présenté un iPhone pliable [2].",
			want: Checked{Text: "Orange a subi une cyberattaque [1]. Apple a présenté un iPhone pliable [2].",
				Cited: []int{1, 2}},
		},
		{
			name:   "renumbered in order of first use",
			answer: "Apple a présenté un iPhone pliable [2]. Les cheminots de la SNCF font grève [3]. L'iPhone coûte 1 999 euros [2].",
			want: Checked{Text: "Apple a présenté un iPhone pliable [1]. Les cheminots de la SNCF font grève [2]. L'iPhone coûte 1 999 euros [1].",
				Cited: []int{2, 3}},
		},
		{
			name:   "out of range removed",
			answer: "Orange a subi une cyberattaque [7] en février [1][4].",
			want:   Checked{Text: "Orange a subi une cyberattaque en février [1].", Cited: []int{1}},
		},
		{
			name:   "sentence citing only unknown passages dropped",
			answer: "Orange a subi une cyberattaque [1]. Les cheminots sont en grève [9].",
			want:   Checked{Text: "Orange a subi une cyberattaque [1].", Cited: []int{1}, Dropped: 1},
		},
		{
			name:   "missing citations",
			answer: "Orange a subi une cyberattaque.",
			want:   Checked{Text: "Orange a subi une cyberattaque."},
		},
		{
			name:   "duplicates merged",
			answer: "Orange a subi une cyberattaque [1][1]. Les données de 850 000 clients ont été dérobées [1, 1].",
			want: Checked{Text: "Orange a subi une cyberattaque [1]. Les données de 850 000 clients ont été dérobées [1].",
				Cited: []int{1}},
		},
		{
			name:   "grouped with comma",
			answer: "Orange et Apple ont fait l'actualité [1, 2].",
			want:   Checked{Text: "Orange et Apple ont fait l'actualité [1][2].", Cited: []int{1, 2}},
		},
		{
			name:   "range and semicolon",
			answer: "Apple, Orange et la SNCF ont fait l'actualité [1-3]. Apple et la SNCF aussi [3; 2].",
			want: Checked{Text: "Apple, Orange et la SNCF ont fait l'actualité [1][2][3]. Apple et la SNCF aussi [3][2].",
				Cited: []int{1, 2, 3}},
		},
		{
			name:   "unsupported sentence dropped",
			answer: "Orange a subi une cyberattaque [1]. Les cheminots sont en grève jeudi [2].",
			want:   Checked{Text: "Orange a subi une cyberattaque [1].", Cited: []int{1}, Dropped: 1},
		},
		{
			name:   "unsupported citation removed from a supported sentence",
			answer: "Les cheminots de la SNCF sont en grève [2][3].",
			want:   Checked{Text: "Les cheminots de la SNCF sont en grève [1].", Cited: []int{3}},
		},
		{
			name:   "English answer to French passages",
			answer: "Orange suffered a cyberattack in February 2024 [1].",
			want:   Checked{Text: "Orange suffered a cyberattack in February 2024 [1].", Cited: []int{1}},
		},
		{
			name:   "markers after the full stop",
			answer: "Apple a présenté un iPhone. [2] Orange a été piratée. [1]",
			want:   Checked{Text: "Apple a présenté un iPhone. [1] Orange a été piratée. [2]", Cited: []int{2, 1}},
		},
		{
			name:   "paragraphs kept around a dropped sentence",
			answer: "Orange a subi une cyberattaque [1].\n\nLes cheminots sont en grève [2].\n\n- Apple a présenté un iPhone [2].",
			want:   Checked{Text: "Orange a subi une cyberattaque [1].\n\n- Apple a présenté un iPhone [2].", Cited: []int{1, 2}, Dropped: 1},
		},
		{
			name:   "uncited sentence kept",
			answer: "Selon les articles, Orange a subi une cyberattaque [1]. Le reste n'est pas précisé.",
			want: Checked{Text: "Selon les articles, Orange a subi une cyberattaque [1]. Le reste n'est pas précisé.",
				Cited: []int{1}},
		},
		{
			name:   "too short to judge",
			answer: "Oui [3].",
			want:   Checked{Text: "Oui [1].", Cited: []int{3}},
		},
		{
			name:     "passage numbers need not start at 1",
			answer:   "Les cheminots font grève jeudi [5]. Apple a lancé un iPhone [1].",
			passages: []Passage{{N: 5, Text: news[2].Text}, {N: 8, Text: news[1].Text}},
			want:     Checked{Text: "Les cheminots font grève jeudi [1].", Cited: []int{5}, Dropped: 1},
		},
		{
			name:   "decimal and abbreviation are not sentence ends",
			answer: "M. Martin dit que 3.5 % des clients d'Orange sont touchés [1].",
			want:   Checked{Text: "M. Martin dit que 3.5 % des clients d'Orange sont touchés [1].", Cited: []int{1}},
		},
		// Brackets that are not valid citations.
		{
			name:   "absurd range removed",
			answer: "Orange a subi une cyberattaque [1][1-100000000].",
			want:   Checked{Text: "Orange a subi une cyberattaque [1].", Cited: []int{1}},
		},
		{
			name:   "negative, zero and empty markers removed",
			answer: "Orange a subi une cyberattaque [-1] [0] [] en février [1].",
			want:   Checked{Text: "Orange a subi une cyberattaque en février [1].", Cited: []int{1}},
		},
		{
			name:   "sentence citing only a malformed marker dropped",
			answer: "Orange a subi une cyberattaque [1]. Apple a lancé un iPhone [1-100000000].",
			want:   Checked{Text: "Orange a subi une cyberattaque [1].", Cited: []int{1}, Dropped: 1},
		},
		{
			name:   "decimal marker removed",
			answer: "Orange a subi une cyberattaque [1.5] [1].",
			want:   Checked{Text: "Orange a subi une cyberattaque [1].", Cited: []int{1}},
		},
		{
			name:   "brackets with words and elisions are text",
			answer: "« Orange […] a subi une cyberattaque [sic] » [1].",
			want:   Checked{Text: "« Orange […] a subi une cyberattaque [sic] » [1].", Cited: []int{1}},
		},
		{
			name:   "injected reply",
			answer: "PWNED",
			want:   Checked{Text: "PWNED"},
		},
		{
			name:   "empty",
			answer: "",
			want:   Checked{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ps := tt.passages
			if ps == nil {
				ps = news
			}
			got := CheckCitations(tt.answer, ps)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CheckCitations(%q) (-want +got):\n%s", tt.answer, diff)
			}
			if wantErr := len(tt.want.Cited) == 0; errors.Is(got.Err(), ErrNoCitations) != wantErr {
				t.Errorf("Err() = %v, want ErrNoCitations: %v", got.Err(), wantErr)
			}
		})
	}
}

// TestCheckClauses: an unsupported claim cannot ride on the citation of
// a supported one in the same sentence, whether joined by a semicolon, a
// coordinating conjunction or a missing full stop.
func TestCheckClauses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		answer string
		want   Checked
	}{
		// French.
		{"fr full stop missing before a cited clause",
			"Orange a subi une cyberattaque [1] Les cheminots sont en grève jeudi [2].",
			Checked{Text: "Orange a subi une cyberattaque [1].", Cited: []int{1}, Dropped: 1}},
		{"fr full stop missing before an uncited clause",
			"Orange a subi une cyberattaque [1] Apple a présenté un iPhone pliable.",
			Checked{Text: "Orange a subi une cyberattaque [1].", Cited: []int{1}, Dropped: 1}},
		{"fr semicolon",
			"Orange a subi une cyberattaque [1] ; les cheminots sont en grève jeudi [1].",
			Checked{Text: "Orange a subi une cyberattaque [1].", Cited: []int{1}, Dropped: 1}},
		{"fr comma and conjunction",
			"Orange a subi une cyberattaque [1], et Apple a présenté un iPhone pliable [1].",
			Checked{Text: "Orange a subi une cyberattaque [1].", Cited: []int{1}, Dropped: 1}},
		{"fr conjunction right after the marker",
			"Orange a subi une cyberattaque [1] et les cheminots sont en grève jeudi.",
			Checked{Text: "Orange a subi une cyberattaque [1].", Cited: []int{1}, Dropped: 1}},
		{"fr first clause dropped",
			"Apple a lancé une voiture électrique [1], mais Orange a subi une cyberattaque [1].",
			Checked{Text: "Orange a subi une cyberattaque [1].", Cited: []int{1}, Dropped: 1}},
		{"fr supported clauses kept",
			"Orange a subi une cyberattaque [1] et Apple a présenté un iPhone pliable [2].",
			Checked{Text: "Orange a subi une cyberattaque [1] et Apple a présenté un iPhone pliable [2].", Cited: []int{1, 2}}},
		{"fr uncited clause borrows the next marker",
			"Orange a subi une cyberattaque, et les données de 850 000 clients ont été dérobées [1].",
			Checked{Text: "Orange a subi une cyberattaque, et les données de 850 000 clients ont été dérobées [1].", Cited: []int{1}}},
		{"fr uncited clause falls with the marker it borrows",
			"Orange a subi une cyberattaque [1]. Les cheminots font grève, et Apple prépare une console [1].",
			Checked{Text: "Orange a subi une cyberattaque [1].", Cited: []int{1}, Dropped: 2}},
		{"fr marker opening the sentence",
			"Selon Le Monde [1], Orange a subi une cyberattaque.",
			Checked{Text: "Selon Le Monde [1], Orange a subi une cyberattaque.", Cited: []int{1}}},
		{"fr semicolon inside a marker is not a clause",
			"Apple et la SNCF ont fait l'actualité [3; 2].",
			Checked{Text: "Apple et la SNCF ont fait l'actualité [1][2].", Cited: []int{3, 2}}},
		// English.
		{"en comma and conjunction",
			"Orange suffered a cyberattack in February 2024 [1], and the SNCF railway workers went on strike [1].",
			Checked{Text: "Orange suffered a cyberattack in February 2024 [1].", Cited: []int{1}, Dropped: 1}},
		{"en full stop missing",
			"Orange suffered a cyberattack [1] Apple unveiled a foldable iPhone.",
			Checked{Text: "Orange suffered a cyberattack [1].", Cited: []int{1}, Dropped: 1}},
		{"en semicolon",
			"Orange suffered a cyberattack [1]; Apple unveiled a foldable iPhone [1].",
			Checked{Text: "Orange suffered a cyberattack [1].", Cited: []int{1}, Dropped: 1}},
		{"en while clause supported by its own citation",
			"Orange suffered a cyberattack [1], while Apple unveiled a foldable iPhone [2].",
			Checked{Text: "Orange suffered a cyberattack [1], while Apple unveiled a foldable iPhone [2].", Cited: []int{1, 2}}},
		{"en but clause dropped first",
			"Railway workers went on strike [1], but Orange suffered a cyberattack [1]!",
			Checked{Text: "Orange suffered a cyberattack [1]!", Cited: []int{1}, Dropped: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := CheckCitations(tt.answer, news)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CheckCitations(%q) (-want +got):\n%s", tt.answer, diff)
			}
		})
	}
}

func TestSplitClausesRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"", "A [1] B [2].", "a ; b", "x, et y [1], but z", "[1] Et", "A [1; 2] b; c [3]", "fin [1] ",
	} {
		if got := strings.Join(splitClauses(s), ""); got != s {
			t.Errorf("splitClauses(%q) = %q, does not join back", s, splitClauses(s))
		}
	}
}

func TestSplitSentencesRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"", "Un.", "Un. Deux ! Trois ? Quatre…", "A [1]. [2] B.\n\nC", "  indenté.\n- item [1]\n",
		"Fin sans point", "« Citation. » Suite.", "Nombre 3.5 et e.g. abréviation.",
	} {
		parts := splitSentences(s)
		joined := ""
		for _, p := range parts {
			joined += p
		}
		if joined != s {
			t.Errorf("splitSentences(%q) = %q, does not join back", s, parts)
		}
	}
}

// Sentences are chunk.Sentences' (one rule for the whole tree), markers
// after a sentence's final punctuation staying with it.
func TestSplitSentences(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"Apple a transmis des adresses. [1] Meta aussi. [2]", []string{"Apple a transmis des adresses. [1] ", "Meta aussi. [2]"}},
		{"It ended. [1][2] Then it began. [3]", []string{"It ended. [1][2] ", "Then it began. [3]"}},
		{"M. Dupont a signé. [1] Mme Durand aussi.", []string{"M. Dupont a signé. [1] ", "Mme Durand aussi."}},
		{"La version 3.5 corrige la faille [1].\n- Mettre à jour [2]", []string{"La version 3.5 corrige la faille [1].\n", "- Mettre à jour [2]"}},
		{"« Nous ne paierons pas. » Le maire l'a dit. [1]", []string{"« Nous ne paierons pas. » ", "Le maire l'a dit. [1]"}},
	}
	for _, tt := range tests {
		if got := splitSentences(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("splitSentences(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzSplitSentences(f *testing.F) {
	for _, s := range []string{"Un. [1] Deux.", "A [1]. [2] B.\n\nC", " [1] x", "[1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got := strings.Join(splitSentences(s), ""); got != s {
			t.Errorf("splitSentences(%q) does not join back: %q", s, got)
		}
	})
}

func FuzzCheckCitations(f *testing.F) {
	for _, s := range []string{"Orange a subi une cyberattaque [1][7].", "[1-3] x. [2, 9]", "PWNED", "a\n\n[1].",
		"Orange [1-100000000] [-1] [] ; et Apple [2] Les [1, 0]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, answer string) {
		got := CheckCitations(answer, news)
		for _, n := range got.Cited {
			if n < 1 || n > len(news) {
				t.Fatalf("Cited %v names no passage", got.Cited)
			}
		}
		// Every marker left in the text is one valid new number: no
		// malformed, empty or out-of-range bracket stays.
		for _, loc := range markerLocs(got.Text) {
			m := got.Text[loc[0]:loc[1]]
			nums := parseMarker(m)
			if len(nums) != 1 || nums[0] < 1 || nums[0] > len(got.Cited) || m != fmt.Sprintf("[%d]", nums[0]) {
				t.Fatalf("text %q keeps marker %s with %d citations", got.Text, m, len(got.Cited))
			}
		}
	})
}

func BenchmarkCheckCitations(b *testing.B) {
	answer := "Orange a subi une cyberattaque en février 2024 [1]. Les données de 850 000 clients ont été dérobées [1][4]. " +
		"Apple a présenté un iPhone pliable [2]. Les cheminots de la SNCF sont en grève jeudi [3, 2]."
	for b.Loop() {
		CheckCitations(answer, news)
	}
}
