package llm

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrNoCitations reports a generated answer left with no valid citation;
// callers then fall back to the extractive answer rather than show an
// unsourced claim.
var ErrNoCitations = errors.New("answer cites no given passage")

// Checked is a generated answer after CheckCitations.
type Checked struct {
	// Text is the answer with citations renumbered 1..len(Cited) in order of
	// first use, each written as [n] (a group such as [1, 2] becomes [1][2]).
	Text string
	// Cited maps the new numbers to the original passage numbers:
	// [i+1] in Text cites passage Cited[i].
	Cited []int
	// Dropped counts the sentences removed because none of their citations
	// named a given passage that shares a substantive word with them.
	Dropped int
}

// Err is ErrNoCitations when the checked answer cites nothing, else nil.
func (c Checked) Err() error {
	if len(c.Cited) == 0 {
		return ErrNoCitations
	}
	return nil
}

// CheckCitations keeps only the citations of answer that can be trusted:
//
//   - a marker naming no given passage ([7] with three passages) is removed;
//     markers may be written [1], [1][2], [1, 2], [1; 2] or [1-3];
//   - a sentence keeps only the citations of passages sharing at least one
//     substantive word with it (four letters or more, not a stop word,
//     compared on accent- and case-folded five-letter prefixes so that
//     "millions"/"million" or "attaque"/"attack" match); a sentence left
//     with none is dropped, as is one whose only markers were invalid;
//   - a sentence without any marker, or too short to judge, is kept as is;
//   - the remaining citations are renumbered in order of first use.
//
// The check is deliberately lenient: it catches citations of the wrong
// passage and invented numbers, not subtle misreadings.
func CheckCitations(answer string, passages []Passage) Checked {
	keys := make(map[int]map[string]bool, len(passages))
	for _, p := range passages {
		k := keys[p.N]
		if k == nil {
			k = map[string]bool{}
			keys[p.N] = k
		}
		for _, w := range substantive(p.Title + " " + p.Text) {
			k[w] = true
		}
	}

	var (
		out   strings.Builder
		res   Checked
		newOf = map[int]int{} // original passage number → new number
	)
	for _, seg := range splitSentences(answer) {
		body, space := trimRightSpace(seg)
		clusters := findClusters(body)
		if len(clusters) == 0 {
			out.WriteString(seg)
			continue
		}
		// Which given passages does the sentence cite, and which support it?
		words := substantive(citationRE.ReplaceAllString(body, " "))
		support := map[int]bool{}
		anyValid := false
		for _, cl := range clusters {
			for _, n := range cl.nums {
				if _, ok := keys[n]; !ok {
					continue
				}
				anyValid = true
				support[n] = len(words) == 0 || sharesAny(words, keys[n])
			}
		}
		kept := false
		for _, ok := range support {
			kept = kept || ok
		}
		if !anyValid || !kept {
			res.Dropped++
			if strings.Contains(space, "\n") {
				// Keep the line or paragraph break the sentence ended.
				trimTrailingBlanks(&out)
				out.WriteString(space)
			}
			continue
		}
		// Rewrite the markers with the new numbers.
		var sb strings.Builder
		last := 0
		for _, cl := range clusters {
			var b strings.Builder
			seen := map[int]bool{}
			for _, n := range cl.nums {
				if !support[n] || seen[n] {
					continue
				}
				seen[n] = true
				nn, ok := newOf[n]
				if !ok {
					res.Cited = append(res.Cited, n)
					nn = len(res.Cited)
					newOf[n] = nn
				}
				b.WriteString("[" + strconv.Itoa(nn) + "]")
			}
			prefix := body[last:cl.start]
			if b.Len() == 0 {
				// Removing the marker: take the space before it too.
				prefix = strings.TrimRight(prefix, " \t")
			}
			sb.WriteString(prefix)
			sb.WriteString(b.String())
			last = cl.end
		}
		sb.WriteString(body[last:])
		sentence := sb.String()
		if !strings.HasPrefix(body, " ") && !strings.HasPrefix(body, "\t") {
			// A removed marker opened the sentence: no stray indent.
			sentence = strings.TrimLeft(sentence, " \t")
		}
		out.WriteString(sentence)
		out.WriteString(space)
	}
	res.Text = tidy(out.String())
	return res
}

// citationRE matches one bracketed citation marker: [1], [1, 2], [1-3]…
var citationRE = regexp.MustCompile(`\[\s*\d{1,4}(?:\s*[,;\-–—]\s*\d{1,4})*\s*\]`)

// cluster is a run of adjacent markers ("[1][2]" or "[1, 2]") with the
// passage numbers they name, in order.
type cluster struct {
	start, end int
	nums       []int
}

func findClusters(s string) []cluster {
	var out []cluster
	for _, loc := range citationRE.FindAllStringIndex(s, -1) {
		nums := parseMarker(s[loc[0]:loc[1]])
		if n := len(out); n > 0 && strings.Trim(s[out[n-1].end:loc[0]], " \t") == "" {
			out[n-1].end = loc[1]
			out[n-1].nums = append(out[n-1].nums, nums...)
			continue
		}
		out = append(out, cluster{start: loc[0], end: loc[1], nums: nums})
	}
	return out
}

// parseMarker lists the numbers of one marker, expanding short ranges.
func parseMarker(m string) []int {
	m = strings.Trim(m, "[] \t")
	var nums []int
	for _, part := range strings.FieldsFunc(m, func(r rune) bool { return r == ',' || r == ';' }) {
		lo, hi, isRange := strings.Cut(strings.NewReplacer("–", "-", "—", "-").Replace(part), "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			continue
		}
		if !isRange {
			nums = append(nums, a)
			continue
		}
		b, err := strconv.Atoi(strings.TrimSpace(hi))
		if err != nil {
			nums = append(nums, a)
			continue
		}
		if b < a || b-a > 20 {
			nums = append(nums, a, b) // not a plausible range: two numbers
			continue
		}
		for n := a; n <= b; n++ {
			nums = append(nums, n)
		}
	}
	return nums
}

// splitSentences cuts s into sentences, each carrying its trailing white
// space, so that joining them gives s back. A sentence ends at ".", "!",
// "?" or "…" followed by white space (markers right after the punctuation,
// as in "… ended. [2] Then", stay with it), and at every line break.
func splitSentences(s string) []string {
	var out []string
	start, i := 0, 0
	cut := func(j int) { // end the sentence at j, taking the white space after it
		for j < len(s) {
			r, w := utf8.DecodeRuneInString(s[j:])
			if !unicode.IsSpace(r) {
				break
			}
			j += w
		}
		out = append(out, s[start:j])
		start, i = j, j
	}
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\n':
			cut(i)
			continue
		case strings.ContainsRune(".!?…", r):
			j := i + w
			for j < len(s) {
				r2, w2 := utf8.DecodeRuneInString(s[j:])
				if !strings.ContainsRune(".!?…\"'»)”’*", r2) {
					break
				}
				j += w2
			}
			// Markers after the punctuation belong to this sentence.
			for {
				k := j
				for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
					k++
				}
				loc := citationRE.FindStringIndex(s[k:])
				if loc == nil || loc[0] != 0 {
					break
				}
				j = k + loc[1]
			}
			if j == len(s) {
				i = j
				continue
			}
			if r2, _ := utf8.DecodeRuneInString(s[j:]); unicode.IsSpace(r2) {
				cut(j)
				continue
			}
			i = j
			continue
		}
		i += w
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func trimRightSpace(s string) (body, space string) {
	body = strings.TrimRightFunc(s, unicode.IsSpace)
	return body, s[len(body):]
}

func trimTrailingBlanks(b *strings.Builder) {
	s := b.String()
	t := strings.TrimRight(s, " \t")
	if len(t) != len(s) {
		b.Reset()
		b.WriteString(t)
	}
}

var (
	spaceBeforePunct = regexp.MustCompile(`[ \t]+([.,;:!?])`)
	manyBreaks       = regexp.MustCompile(`\n{3,}`)
	trailingBlanks   = regexp.MustCompile(`[ \t]+\n`)
)

// tidy repairs the spacing that removed markers and sentences leave behind.
func tidy(s string) string {
	s = spaceBeforePunct.ReplaceAllStringFunc(s, func(m string) string {
		// Keep French spacing before high punctuation ("quoi ?").
		if p := m[len(m)-1]; p == ';' || p == ':' || p == '!' || p == '?' {
			return m
		}
		return strings.TrimLeft(m, " \t")
	})
	s = trailingBlanks.ReplaceAllString(s, "\n")
	s = manyBreaks.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s)
}

// substantive lists the comparison keys of the substantive words of s:
// folded words of four letters or more that are not stop words, and numbers
// of two digits or more, cut to their first five letters.
func substantive(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(fold(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		n := utf8.RuneCountInString(w)
		digits := strings.IndexFunc(w, func(r rune) bool { return !unicode.IsDigit(r) }) < 0
		switch {
		case digits && n >= 2:
		case !digits && n >= 4 && !stopWords[w]:
		default:
			continue
		}
		if n > 5 {
			w = string([]rune(w)[:5])
		}
		out = append(out, w)
	}
	return out
}

func sharesAny(words []string, keys map[string]bool) bool {
	for _, w := range words {
		if keys[w] {
			return true
		}
	}
	return false
}

// fold lower-cases s and strips the accents of Latin letters.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(s) {
		if f, ok := foldTable[r]; ok {
			b.WriteString(f)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

var foldTable = func() map[rune]string {
	m := map[rune]string{'œ': "oe", 'æ': "ae", 'ß': "ss"}
	for base, accented := range map[string]string{
		"a": "àáâãäåā", "c": "çćč", "e": "èéêëēėę", "i": "ìíîïī", "n": "ñń",
		"o": "òóôõöøō", "u": "ùúûüū", "y": "ýÿ", "s": "śš", "z": "źżž",
	} {
		for _, r := range accented {
			m[r] = base
		}
	}
	return m
}()

// stopWords are folded English and French words of four letters or more
// that carry no subject matter, plus words any cited answer uses.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		about above after again against also although among another because been before
		being below between both could does doing down during each either every from
		further have having here however into itself just like many more most much must
		never only other over same should since some such than that their theirs them
		then there these they this those through under until upon very were what when
		where which while whom whose will with within without would your yours said says
		according passage passages article articles source sources text question answer
		aussi autre autres avait avant avec avoir apres ainsi alors cela celle celles
		celui cette ceux chez comme comment dans depuis deja donc dont elle elles encore
		entre etaient etait etre fait faire leur leurs lors mais meme moins notre nous
		peut plus pour quand quel quelle quelles quels sans selon sera seront sont sous
		tous tout toute toutes tres vers votre vous texte reponse
	`) {
		m[w] = true
	}
	return m
}()
