// Package chunk splits article text into passages for retrieval.
//
// Splitting is paragraph- then sentence-aware, with French and English
// sentence rules (see [Sentences]): a passage that ends mid-sentence embeds
// and cites badly, so sentences are only cut when one alone is larger than a
// chunk. Every chunk carries its byte offsets into the original text, so a
// citation can point back at the exact passage.
package chunk

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Unit says what [Options.Size] and [Options.Overlap] count.
type Unit int

const (
	// Chars counts runes (Unicode code points; an invalid byte counts one).
	Chars Unit = iota
	// Tokens counts whitespace-separated words, a cheap stand-in for model
	// tokens.
	Tokens
)

// String returns "chars" or "tokens".
func (u Unit) String() string {
	switch u {
	case Chars:
		return "chars"
	case Tokens:
		return "tokens"
	}
	return fmt.Sprintf("Unit(%d)", int(u))
}

// ErrInvalidOptions is wrapped by the errors [Options.Validate] returns.
var ErrInvalidOptions = errors.New("invalid chunk options")

// Options sizes the chunks [Split] makes.
type Options struct {
	// Size is the largest chunk, in Unit.
	Size int
	// Overlap is the most a chunk repeats of the end of the previous one,
	// in Unit, in whole sentences.
	Overlap int
	// Unit says what Size and Overlap count.
	Unit Unit
}

// Default sizes, per unit. 700 runes is four to six news sentences (French
// news sentences average 120–150 runes): enough context for a passage to
// answer a question and be cited on its own, small enough to stay on one
// topic for embedding and BM25, and about 150–200 model tokens, well inside
// the 256–512 token windows of small multilingual embedders. 120 words is
// the same passage counted in words (French averages about 5.8 runes per
// word with its space).
const (
	defaultCharsSize    = 700
	defaultCharsOverlap = 120
	defaultTokensSize   = 120
	defaultTokensOver   = 20
)

// DefaultOptions returns the options Veille uses for news articles: chunks
// of at most 700 runes (four to six sentences, about 150–200 model tokens,
// which fits small embedders' windows and reads well as a citation) that
// repeat up to 120 runes, about one short sentence, of the previous chunk so
// that a fact stated across a chunk boundary is still retrievable with its
// context.
func DefaultOptions() Options {
	return Options{Size: defaultCharsSize, Overlap: defaultCharsOverlap, Unit: Chars}
}

// Validate reports whether o is usable: a known Unit, Size > 0 and
// 0 <= Overlap < Size. Its errors wrap [ErrInvalidOptions].
func (o Options) Validate() error {
	var errs []error
	if o.Unit != Chars && o.Unit != Tokens {
		errs = append(errs, fmt.Errorf("unknown unit %d", int(o.Unit)))
	}
	if o.Size <= 0 {
		errs = append(errs, fmt.Errorf("size %d is not positive", o.Size))
	}
	if o.Overlap < 0 {
		errs = append(errs, fmt.Errorf("overlap %d is negative", o.Overlap))
	} else if o.Size > 0 && o.Overlap >= o.Size {
		errs = append(errs, fmt.Errorf("overlap %d is not less than size %d", o.Overlap, o.Size))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidOptions, errors.Join(errs...))
}

// normalize makes o valid, changing only what is wrong: an unknown unit
// becomes Chars, a non-positive size the unit's default, a bad overlap 0.
func (o Options) normalize() Options {
	if o.Unit != Chars && o.Unit != Tokens {
		o.Unit = Chars
	}
	if o.Size <= 0 {
		o.Size = defaultCharsSize
		if o.Unit == Tokens {
			o.Size = defaultTokensSize
		}
	}
	if o.Overlap < 0 || o.Overlap >= o.Size {
		o.Overlap = 0
	}
	return o
}

// Chunk is one passage of a text.
type Chunk struct {
	// Start and End are byte offsets into the text: Text == text[Start:End].
	Start, End int
	// Text is the passage itself; it never starts or ends with whitespace.
	Text string
}

// Split cuts text into chunks of at most opt.Size units, in order.
//
// Sentences (see [Sentences]) are packed greedily. A chunk ends before a
// paragraph break (a blank line) when it is already more than half full, so
// that passages follow the article's own structure, and a heading (a
// one-line paragraph without final punctuation) goes with the paragraph it
// titles rather than end a chunk. A sentence larger than
// Size is cut at word boundaries (at rune boundaries if a single word is
// larger than Size); that is the only way a chunk ends mid-sentence.
//
// Each chunk but the first starts with the last whole sentences of the
// previous chunk that total at most opt.Overlap units and still leave room
// for new text; when the last sentence alone is longer than Overlap there is
// no overlap rather than a cut sentence. No overlap runs into a chunk that
// starts with a heading: the previous section is not its context.
//
// Every non-whitespace byte of text is in at least one chunk; whitespace-only
// text gives none. Split does not fail: invalid options (see
// [Options.Validate]) are corrected, an unknown unit to Chars, a size that
// is not positive to the unit's default, an overlap out of range to 0.
func Split(text string, opt Options) []Chunk {
	opt = opt.normalize()
	m := measure(opt.Unit)
	segs := segments(text, opt, m)
	if len(segs) == 0 {
		return nil
	}
	// gaps[i] is the size of the whitespace between segs[i-1] and segs[i].
	gaps := make([]int, len(segs))
	for i := 1; i < len(segs); i++ {
		gaps[i] = m(text[segs[i-1].end:segs[i].start])
	}

	var chunks []Chunk
	for i, must := 0, 0; i < len(segs); {
		// Pack segs[i..j]; segs up to must are new text and always go in.
		j, total := i, segs[i].size
		for j+1 < len(segs) {
			add := gaps[j+1] + segs[j+1].size
			if j+1 > must && (total+add > opt.Size || segs[j+1].para && 2*total > opt.Size) {
				break
			}
			total += add
			j++
		}
		// A heading ending a chunk belongs with the paragraph it titles.
		if j+1 < len(segs) && j > i && j > must && heading(text, segs, j) {
			j--
		}
		start, end := segs[i].start, segs[j].end
		chunks = append(chunks, Chunk{Start: start, End: end, Text: text[start:end]})
		if j+1 == len(segs) {
			break
		}
		// Carry whole trailing sentences of this chunk, other than its
		// first, into the next one while they fit in Overlap and leave room
		// for the next new segment; none into a new section.
		next := j + 1
		k, carried := next, 0
		room := opt.Size - gaps[next] - segs[next].size
		for k-1 > i && !segs[k-1].piece && !heading(text, segs, next) {
			add := segs[k-1].size
			if k < next {
				add += gaps[k]
			}
			if carried+add > opt.Overlap || carried+add > room {
				break
			}
			carried += add
			k--
		}
		i, must = k, next
	}
	return chunks
}

// heading reports whether segs[j] looks like a heading: a paragraph of its
// own, of one line without final punctuation, followed by another paragraph.
func heading(text string, segs []segment, j int) bool {
	s := segs[j]
	if !s.para || s.piece || j+1 >= len(segs) || !segs[j+1].para {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(text[s.start:s.end])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// segment is a sentence, or a piece of one too large for a chunk.
type segment struct {
	start, end int
	size       int  // in the options' unit
	para       bool // a paragraph break precedes it
	piece      bool // part of a sentence larger than a chunk
}

// segments returns the sentences of text, with those larger than opt.Size
// cut into pieces no larger than it.
func segments(text string, opt Options, m func(string) int) []segment {
	var segs []segment
	scan(text, func(start, end int, para bool) {
		size := m(text[start:end])
		if size <= opt.Size {
			segs = append(segs, segment{start: start, end: end, size: size, para: para})
			return
		}
		n := len(segs)
		segs = cutSentence(segs, text, start, end, opt, m)
		segs[n].para = para
	})
	return segs
}

// cutSentence appends to segs the pieces of the sentence text[start:end],
// each at most opt.Size units, cut between words, or between runes inside a
// word larger than opt.Size.
func cutSentence(segs []segment, text string, start, end int, opt Options, m func(string) int) []segment {
	add := func(s, e int) {
		segs = append(segs, segment{start: s, end: e, size: m(text[s:e]), piece: true})
	}
	ps, pe, size := -1, -1, 0 // the piece being built: text[ps:pe], size units
	for i := start; i < end; {
		// The next word, text[ws:we].
		ws := skipSpace(text, i, end)
		we := ws
		for we < end {
			r, w := utf8.DecodeRuneInString(text[we:end])
			if unicode.IsSpace(r) {
				break
			}
			we += w
		}
		i = we
		if ws == we {
			break
		}
		wsize := m(text[ws:we])
		if ps >= 0 {
			if grow := m(text[pe:ws]) + wsize; size+grow <= opt.Size {
				pe, size = we, size+grow
				continue
			}
			add(ps, pe)
			ps = -1
		}
		// Cut a word larger than a chunk (only possible in runes) into
		// pieces of opt.Size runes; its tail starts the next piece.
		for wsize > opt.Size {
			cut, n := ws, 0
			for n < opt.Size {
				_, w := utf8.DecodeRuneInString(text[cut:we])
				cut += w
				n++
			}
			add(ws, cut)
			ws, wsize = cut, wsize-opt.Size
		}
		ps, pe, size = ws, we, wsize
	}
	if ps >= 0 {
		add(ps, pe)
	}
	return segs
}

// measure returns the function that sizes a string in unit u.
func measure(u Unit) func(string) int {
	if u == Tokens {
		return countWords
	}
	return utf8.RuneCountInString
}

// countWords counts the whitespace-separated words of s.
func countWords(s string) int {
	n, inWord := 0, false
	for _, r := range s {
		if r < utf8.RuneSelf && r > ' ' {
			if !inWord { // fast path: printable ASCII
				inWord = true
				n++
			}
		} else if unicode.IsSpace(r) {
			inWord = false
		} else if !inWord {
			inWord = true
			n++
		}
	}
	return n
}
