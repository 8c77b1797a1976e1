// Package lexicon owns Veille's bilingual English↔French vocabulary of news
// and security words, shipped as data (en_fr.tsv) so that an English
// question can meet a French article offline: "ransomware attack on a
// hospital" becomes "rançongiciel attaque hôpital".
//
// The data file has one entry per line, "english<TAB>french1|french2|…",
// with # comments. The English side is a lower-case word or phrase of at
// most MaxPhraseWords words; inflected forms (stole, stolen, breaches) are
// headwords of their own because callers look up surface words. The
// reverse direction is built from the same lines.
//
// Lookups in both directions fold case and accents and treat a hyphen as a
// space, with the same folding as package analyze, so "North-Korean",
// "north korean" and "nord-coreen" all find their entries.
package lexicon

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/veille/veille/rag/analyze"
)

// MaxPhraseWords is the longest English headword, in words, and so the
// widest span Matches tries.
const MaxPhraseWords = 3

//go:embed en_fr.tsv
var data string

// Lexicon maps English words and phrases to their French equivalents and
// back. It is immutable once built and safe for concurrent use.
type Lexicon struct {
	fr        map[string][]string // English key → French renderings, file order
	en        map[string][]string // folded French key → English headwords
	headwords int
}

// defaultLexicon parses the embedded file once. A malformed line is
// dropped rather than failing at run time: TestData rejects any such line
// before it ships.
var defaultLexicon = sync.OnceValue(func() *Lexicon {
	l, _ := parse(strings.NewReader(data))
	return l
})

// Default returns the lexicon of the embedded en_fr.tsv, parsed on first
// use and shared by every caller.
func Default() *Lexicon { return defaultLexicon() }

// Parse reads a lexicon in the en_fr.tsv format. It returns the lexicon of
// the well-formed lines and, when some line is malformed or repeats an
// English headword (whose renderings are then merged), an error naming
// each such line.
func Parse(r io.Reader) (*Lexicon, error) { return parse(r) }

func parse(r io.Reader) (*Lexicon, error) {
	l := &Lexicon{fr: make(map[string][]string), en: make(map[string][]string)}
	seen := make(map[string]int) // English key → line of first definition
	var errs []error
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		english, french, err := parseLine(line)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", n, err))
			continue
		}
		k := key(english)
		if first, dup := seen[k]; dup {
			errs = append(errs, fmt.Errorf("line %d: headword %q already defined on line %d", n, english, first))
		} else {
			seen[k] = n
			l.headwords++
		}
		for _, f := range french {
			if !slices.Contains(l.fr[k], f) {
				l.fr[k] = append(l.fr[k], f)
			}
			fk := key(f)
			if !slices.Contains(l.en[fk], english) {
				l.en[fk] = append(l.en[fk], english)
			}
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("read lexicon: %w", err))
	}
	return l, errors.Join(errs...)
}

// parseLine splits one entry and checks its form.
func parseLine(line string) (english string, french []string, err error) {
	english, rest, ok := strings.Cut(line, "\t")
	if !ok {
		return "", nil, errors.New("no tab between English and French")
	}
	if strings.Contains(rest, "\t") {
		return "", nil, errors.New("more than one tab")
	}
	switch {
	case english == "":
		return "", nil, errors.New("empty English side")
	case english != strings.TrimSpace(english) || strings.Contains(english, "  "):
		return "", nil, fmt.Errorf("English %q has stray spaces", english)
	case english != strings.ToLower(english):
		return "", nil, fmt.Errorf("English %q is not lower case", english)
	case strings.Contains(english, "|"):
		return "", nil, fmt.Errorf("English %q contains |", english)
	case len(strings.Fields(key(english))) > MaxPhraseWords:
		return "", nil, fmt.Errorf("English %q is longer than %d words", english, MaxPhraseWords)
	case key(english) == "":
		return "", nil, fmt.Errorf("English %q has no word", english)
	}
	for f := range strings.SplitSeq(rest, "|") {
		switch {
		case f == "":
			return "", nil, fmt.Errorf("empty French rendering for %q", english)
		case f != strings.TrimSpace(f):
			return "", nil, fmt.Errorf("French %q for %q has stray spaces", f, english)
		case key(f) == "":
			return "", nil, fmt.Errorf("French %q for %q has no word", f, english)
		case slices.Contains(french, f):
			return "", nil, fmt.Errorf("French %q repeated for %q", f, english)
		}
		french = append(french, f)
	}
	return english, french, nil
}

// Len returns the number of English headwords.
func (l *Lexicon) Len() int { return l.headwords }

// French returns the French renderings of an English word or phrase, most
// common first, or nil when the lexicon has none. Case, accents, hyphens
// and surrounding punctuation do not matter, and a possessive ("company's")
// falls back to its noun. The slice is the caller's to keep.
func (l *Lexicon) French(english string) []string {
	k := key(english)
	if fr, ok := l.fr[k]; ok {
		return slices.Clone(fr)
	}
	if base, ok := stripPossessive(k); ok {
		return slices.Clone(l.fr[base])
	}
	return nil
}

// English returns the English headwords that list french among their
// renderings, in file order, or nil. The lookup folds case and accents
// ("securite" finds "sécurité") and drops a French elision ("l'entreprise"
// finds "entreprise"). The slice is the caller's to keep.
func (l *Lexicon) English(french string) []string {
	k := key(french)
	if en, ok := l.en[k]; ok {
		return slices.Clone(en)
	}
	if base, ok := stripElision(k); ok {
		return slices.Clone(l.en[base])
	}
	return nil
}

// Match is a span of tokens that the lexicon translates.
type Match struct {
	Start, End int      // tokens[Start:End] matched
	English    string   // the headword matched, as a lookup key
	French     []string // its renderings, most common first
}

// Matches walks tokens left to right and, at each position, takes the
// longest English headword of at most MaxPhraseWords tokens that starts
// there ("phone number" before "phone"); a token that starts no headword is
// skipped. Tokens are words as the caller split them; each is looked up the
// way French looks up its argument.
func (l *Lexicon) Matches(tokens []string) []Match {
	keys := make([]string, len(tokens))
	for i, t := range tokens {
		keys[i] = key(t)
	}
	var out []Match
	var buf []byte
	for i := 0; i < len(keys); {
		n := min(MaxPhraseWords, len(keys)-i)
		for ; n >= 1; n-- {
			if slices.Contains(keys[i:i+n], "") {
				continue // punctuation breaks a phrase
			}
			buf = buf[:0]
			for j := i; j < i+n; j++ {
				if j > i {
					buf = append(buf, ' ')
				}
				buf = append(buf, keys[j]...)
			}
			if fr, ok := l.fr[string(buf)]; ok { // no allocation for the lookup
				out = append(out, Match{Start: i, End: i + n, English: string(buf), French: slices.Clone(fr)})
				break
			}
			if n == 1 {
				if base, poss := stripPossessive(keys[i]); poss {
					if fr, ok := l.fr[base]; ok {
						out = append(out, Match{Start: i, End: i + 1, English: base, French: slices.Clone(fr)})
						break
					}
				}
			}
		}
		i += max(n, 1)
	}
	return out
}

// Translate returns the French renderings of every headword Matches finds
// in tokens, in order, each rendering once. It is the query-expansion
// form: an English question's tokens in, French words to search for out.
func (l *Lexicon) Translate(tokens []string) []string {
	var out []string
	for _, m := range l.Matches(tokens) {
		for _, f := range m.French {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// key is the lookup form of a word or phrase: folded like analyze.Fold,
// surrounding punctuation trimmed, hyphens and runs of spaces turned into
// one space.
func key(s string) string {
	if isPlainKey(s) {
		return s
	}
	s = analyze.Fold(s)
	s = strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
	})
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '-'
	}), " ")
}

// isPlainKey reports whether s is already a key: lower-case ASCII letters
// and digits, single inner spaces or apostrophes. Most lookups are, and
// skip the allocations of key.
func isPlainKey(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case (c == ' ' || c == '\'') && i > 0 && i < len(s)-1 && s[i-1] != ' ' && s[i-1] != '\'':
		default:
			return false
		}
	}
	return true
}

// stripPossessive turns "company's" and "hackers'" into their noun.
func stripPossessive(k string) (string, bool) {
	if b, ok := strings.CutSuffix(k, "'s"); ok && b != "" {
		return b, true
	}
	if b, ok := strings.CutSuffix(k, "s'"); ok && b != "" {
		return b + "s", true
	}
	return "", false
}

// stripElision drops a leading French elision from a key: the words that
// lose their vowel before another word (l'attaque, d'un, qu'il, jusqu'à).
func stripElision(k string) (string, bool) {
	for _, e := range [...]string{"l'", "d'", "j'", "m'", "n'", "s'", "t'", "c'", "qu'", "jusqu'", "lorsqu'", "puisqu'"} {
		if b, ok := strings.CutPrefix(k, e); ok && b != "" {
			return b, true
		}
	}
	return "", false
}
