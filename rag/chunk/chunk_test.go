package chunk

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opt     Options
		wantErr bool
	}{
		{"default", DefaultOptions(), false},
		{"tokens", Options{Size: 100, Overlap: 10, Unit: Tokens}, false},
		{"no overlap", Options{Size: 1}, false},
		{"largest overlap", Options{Size: 10, Overlap: 9}, false},
		{"zero value", Options{}, true},
		{"negative size", Options{Size: -1}, true},
		{"negative overlap", Options{Size: 10, Overlap: -1}, true},
		{"overlap equals size", Options{Size: 10, Overlap: 10}, true},
		{"overlap above size", Options{Size: 10, Overlap: 11}, true},
		{"unknown unit", Options{Size: 10, Unit: Unit(7)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.opt.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("%+v.Validate() = %v, want error %t", tt.opt, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalidOptions) {
				t.Errorf("%+v.Validate() = %v, does not wrap ErrInvalidOptions", tt.opt, err)
			}
		})
	}
}

func TestUnitString(t *testing.T) {
	t.Parallel()
	for u, want := range map[Unit]string{Chars: "chars", Tokens: "tokens", Unit(9): "Unit(9)"} {
		if got := u.String(); got != want {
			t.Errorf("Unit(%d).String() = %q, want %q", int(u), got, want)
		}
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  Options
		want Options
	}{
		{"valid kept", Options{Size: 50, Overlap: 5, Unit: Tokens}, Options{Size: 50, Overlap: 5, Unit: Tokens}},
		{"zero value", Options{}, Options{Size: defaultCharsSize, Unit: Chars}},
		{"tokens default size", Options{Unit: Tokens}, Options{Size: defaultTokensSize, Unit: Tokens}},
		{"overlap too large", Options{Size: 10, Overlap: 10}, Options{Size: 10}},
		{"negative overlap", Options{Size: 10, Overlap: -3}, Options{Size: 10}},
		{"unknown unit", Options{Size: 10, Unit: -1}, Options{Size: 10, Unit: Chars}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.opt.normalize()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%+v.normalize() (-want +got):\n%s", tt.opt, diff)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("normalized options invalid: %v", err)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	const three = "Un deux. Trois quatre. Cinq six." // 8 + 1 + 13 + 1 + 9 runes
	tests := []struct {
		name string
		text string
		opt  Options
		want []string
	}{
		{"empty", "", DefaultOptions(), nil},
		{"whitespace", " \n\n\t\u00a0 ", DefaultOptions(), nil},
		{"tiny", "  Bonjour.\n", DefaultOptions(), []string{"Bonjour."}},
		{"one chunk", three, DefaultOptions(), []string{three}},
		{"exact fit", three, Options{Size: 32}, []string{three}},
		{"greedy packing", three, Options{Size: 25}, []string{"Un deux. Trois quatre.", "Cinq six."}},
		{"one sentence each", three, Options{Size: 13}, []string{"Un deux.", "Trois quatre.", "Cinq six."}},
		{"overlap one sentence", three, Options{Size: 25, Overlap: 14},
			[]string{"Un deux. Trois quatre.", "Trois quatre. Cinq six."}},
		{"overlap shorter than last sentence", three, Options{Size: 25, Overlap: 10},
			[]string{"Un deux. Trois quatre.", "Cinq six."}},
		{"overlap never repeats a whole chunk", three, Options{Size: 13, Overlap: 12},
			[]string{"Un deux.", "Trois quatre.", "Cinq six."}},
		{"overlap carried when it fits", "Aaaa. Bbbb. Cccccccc.", Options{Size: 16, Overlap: 10},
			[]string{"Aaaa. Bbbb.", "Bbbb. Cccccccc."}},
		{"overlap dropped when no room for new text", "Aaaa. Bbbb. Ccccccccccc.", Options{Size: 16, Overlap: 10},
			[]string{"Aaaa. Bbbb.", "Ccccccccccc."}},
		{"overlap of two sentences", "Aa. Bb. Cc. Dd. Ee.", Options{Size: 11, Overlap: 7},
			[]string{"Aa. Bb. Cc.", "Bb. Cc. Dd.", "Cc. Dd. Ee."}},
		{"paragraph break when over half full", "Aaaa bbbb cccc dd.\n\nEe.", Options{Size: 30},
			[]string{"Aaaa bbbb cccc dd.", "Ee."}},
		{"paragraph packed when under half full", "Aa.\n\nBb.", Options{Size: 30},
			[]string{"Aa.\n\nBb."}},
		{"single newline packs", "Aaaa bbbb cccc dd.\nEe.", Options{Size: 30},
			[]string{"Aaaa bbbb cccc dd.\nEe."}},
		{"heading moves to its paragraph", "Aa bb.\n\nTitre\n\nCccc dddd eeee ffff.", Options{Size: 30},
			[]string{"Aa bb.", "Titre\n\nCccc dddd eeee ffff."}},
		{"no overlap into a new section", "Aa bb. Cc dd.\n\nTitre\n\nEeee ffff gggg hhhh.", Options{Size: 30, Overlap: 10},
			[]string{"Aa bb. Cc dd.", "Titre\n\nEeee ffff gggg hhhh."}},
		{"overlap across a paragraph", "Aaaa bbbb cccc dddd. Ee.\n\nFfff gggg hhhh.", Options{Size: 40, Overlap: 10},
			[]string{"Aaaa bbbb cccc dddd. Ee.", "Ee.\n\nFfff gggg hhhh."}},
		{"heading alone stays", "Titre\n\nCccc dddd eeee ffff gggg hhhh iiii.", Options{Size: 30},
			[]string{"Titre", "Cccc dddd eeee ffff gggg hhhh", "iiii."}},
		{"long sentence cut at words", "Un deux trois quatre cinq six sept.", Options{Size: 10},
			[]string{"Un deux", "trois", "quatre", "cinq six", "sept."}},
		{"long sentence tail packs with next", "Un deux trois quatre cinq six sept. Fin.", Options{Size: 10},
			[]string{"Un deux", "trois", "quatre", "cinq six", "sept. Fin."}},
		{"no overlap from a cut sentence", "Aa. Un deux trois quatre cinq six sept.", Options{Size: 10, Overlap: 5},
			[]string{"Aa.", "Un deux", "trois", "quatre", "cinq six", "sept."}},
		{"huge word cut at runes", "abcdefghijklmnopqrstuvwxyz", Options{Size: 10},
			[]string{"abcdefghij", "klmnopqrst", "uvwxyz"}},
		{"huge word never mid-rune", "ééééé", Options{Size: 2}, []string{"éé", "éé", "é"}},
		{"huge word tail takes next word", "Voir abcdefghijkl mn op.", Options{Size: 5},
			[]string{"Voir", "abcde", "fghij", "kl mn", "op."}},
		{"tokens packing", three, Options{Size: 4, Unit: Tokens}, []string{"Un deux. Trois quatre.", "Cinq six."}},
		{"tokens overlap", three, Options{Size: 4, Overlap: 2, Unit: Tokens},
			[]string{"Un deux. Trois quatre.", "Trois quatre. Cinq six."}},
		{"tokens long sentence", "a b c d e.", Options{Size: 2, Unit: Tokens}, []string{"a b", "c d", "e."}},
		{"tokens ignore long words", strings.Repeat("x", 50) + " y.", Options{Size: 2, Unit: Tokens},
			[]string{strings.Repeat("x", 50) + " y."}},
		{"invalid options corrected", three, Options{Size: -5, Overlap: 99}, []string{three}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			chunks := Split(tt.text, tt.opt)
			checkChunks(t, tt.text, tt.opt.normalize(), chunks)
			var got []string
			for _, c := range chunks {
				got = append(got, c.Text)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Split(%q, %+v) (-want +got):\n%s", tt.text, tt.opt, diff)
			}
		})
	}
}

func TestSplitArticle(t *testing.T) {
	t.Parallel()
	text := readArticle(t)
	for _, opt := range []Options{
		DefaultOptions(),
		{Size: 700},
		{Size: 300, Overlap: 150},
		{Size: 80, Overlap: 40},
		{Size: 120, Overlap: 20, Unit: Tokens},
		{Size: 10, Overlap: 5, Unit: Tokens},
	} {
		t.Run(fmt.Sprintf("%v/%d/%d", opt.Unit, opt.Size, opt.Overlap), func(t *testing.T) {
			t.Parallel()
			chunks := Split(text, opt)
			checkChunks(t, text, opt, chunks)
			checkSentenceEnds(t, text, opt, chunks)
		})
	}
}

func TestSplitDefaultsOnArticle(t *testing.T) {
	t.Parallel()
	text := readArticle(t)
	chunks := Split(text, DefaultOptions())
	// The article is about 5 000 runes: at 700 runes a chunk, with overlap
	// and paragraph breaks, it should take between 8 and 14 chunks.
	if n := len(chunks); n < 8 || n > 14 {
		t.Errorf("Split(article, DefaultOptions()) gave %d chunks, want 8 to 14", n)
	}
	overlaps := 0
	for i := 1; i < len(chunks); i++ {
		if chunks[i].Start < chunks[i-1].End {
			overlaps++
		}
	}
	if overlaps == 0 {
		t.Errorf("no chunk overlaps its predecessor with DefaultOptions()")
	}
}

// checkSentenceEnds reports chunks that end inside a sentence no larger than
// opt.Size.
func checkSentenceEnds(t *testing.T, text string, opt Options, chunks []Chunk) {
	t.Helper()
	m := measure(opt.Unit)
	sentences := Sentences(text)
	ends := map[int]bool{}
	for _, s := range sentences {
		ends[s.End] = true
	}
	for i, c := range chunks {
		if ends[c.End] {
			continue
		}
		for _, s := range sentences {
			if s.Start < c.End && c.End < s.End && m(text[s.Start:s.End]) <= opt.Size {
				t.Errorf("chunk %d %q ends inside sentence %q", i, c.Text, text[s.Start:s.End])
			}
		}
	}
}

// checkChunks reports chunks that break Split's guarantees.
func checkChunks(t *testing.T, text string, opt Options, chunks []Chunk) {
	t.Helper()
	m := measure(opt.Unit)
	covered := 0
	valid := utf8.ValidString(text)
	for i, c := range chunks {
		if c.Start < 0 || c.End > len(text) || c.Start >= c.End {
			t.Fatalf("chunk %d [%d:%d] out of bounds (len %d)", i, c.Start, c.End, len(text))
		}
		if c.Text != text[c.Start:c.End] {
			t.Fatalf("chunk %d Text %q != text[%d:%d] %q", i, c.Text, c.Start, c.End, text[c.Start:c.End])
		}
		if i > 0 {
			p := chunks[i-1]
			if c.Start <= p.Start || c.End <= p.End {
				t.Fatalf("chunk %d [%d:%d] does not move past chunk %d [%d:%d]", i, c.Start, c.End, i-1, p.Start, p.End)
			}
			if c.Start < p.End && m(text[c.Start:p.End]) > opt.Overlap {
				t.Fatalf("chunk %d overlaps %q, more than %d", i, text[c.Start:p.End], opt.Overlap)
			}
		}
		if isSpaceAt(text, c.Start) || isSpaceBefore(text, c.End) {
			t.Fatalf("chunk %d %q starts or ends with whitespace", i, c.Text)
		}
		if covered < c.Start && !onlySpace(text[covered:c.Start]) {
			t.Fatalf("non-whitespace before chunk %d not covered: %q", i, text[covered:c.Start])
		}
		if size := m(c.Text); size > opt.Size {
			t.Fatalf("chunk %d %q has size %d > %d", i, c.Text, size, opt.Size)
		}
		if valid && !utf8.ValidString(c.Text) {
			t.Fatalf("chunk %d %q of valid text is invalid UTF-8", i, c.Text)
		}
		covered = max(covered, c.End)
	}
	if !onlySpace(text[covered:]) {
		t.Fatalf("non-whitespace after last chunk not covered: %q", text[covered:])
	}
}

func FuzzSplit(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, i*7%40, i%5, uint8(i%2))
	}
	f.Add("Un deux. Trois quatre. Cinq six.", 25, 14, uint8(0))
	f.Add("a b c d e.", 2, 1, uint8(1))
	f.Fuzz(func(t *testing.T, text string, size, overlap int, unit uint8) {
		opt := Options{Size: size % 1000, Overlap: overlap % 1000, Unit: Unit(unit % 3)}
		chunks := Split(text, opt)
		checkChunks(t, text, opt.normalize(), chunks)
		checkSentenceEnds(t, text, opt.normalize(), chunks)
	})
}

func BenchmarkSplit(b *testing.B) {
	article := readArticle(b)
	var big strings.Builder
	for big.Len() < 100_000 {
		big.WriteString(article)
		big.WriteString("\n\n")
	}
	for _, bc := range []struct {
		name string
		text string
		opt  Options
	}{
		{"article_5KB", article, DefaultOptions()},
		{"text_100KB", big.String(), DefaultOptions()},
		{"text_100KB_tokens", big.String(), Options{Size: 120, Overlap: 20, Unit: Tokens}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.text)))
			b.ReportAllocs()
			for b.Loop() {
				Split(bc.text, bc.opt)
			}
		})
	}
}

func BenchmarkSentences(b *testing.B) {
	article := readArticle(b)
	b.SetBytes(int64(len(article)))
	b.ReportAllocs()
	for b.Loop() {
		Sentences(article)
	}
}

func readArticle(tb testing.TB) string {
	tb.Helper()
	data, err := os.ReadFile("testdata/article_fr.txt")
	if err != nil {
		tb.Fatal(err)
	}
	return string(data)
}
