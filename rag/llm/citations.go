package llm

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/veille/veille/rag/analyze"
	"github.com/veille/veille/rag/chunk"
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
//   - a marker naming no given passage ([7] with three passages) is removed,
//     and so is any bracket holding digits but no letters that is not a
//     well-formed marker ([-1], [0], [1-100000000]) or holding nothing ([]);
//     markers may be written [1], [1][2], [1, 2], [1; 2] or [1-3]; brackets
//     with words ([sic]) or an elision ([…]) are text;
//   - each clause of a sentence is checked on its own (see splitClauses): a
//     clause keeps only the citations of passages sharing at least one
//     substantive word with it (four letters or more, not a stop word,
//     compared on accent- and case-folded five-letter prefixes so that
//     "millions"/"million" or "attaque"/"attack" match), and is dropped when
//     left with none, or when its only markers were invalid;
//   - a clause without a marker borrows those of the next clause that has
//     some (else the previous one): it is dropped with that clause, or when
//     it shares no substantive word with the passages that clause cites;
//   - a sentence without any marker, or a clause too short to judge, is kept
//     as is;
//   - the remaining citations are renumbered in order of first use.
//
// The check is deliberately lenient: it catches citations of the wrong
// passage, invented numbers and claims that ride on another's citation,
// not subtle misreadings.
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
		if len(findClusters(body)) == 0 {
			out.WriteString(seg)
			continue
		}
		clauses := judgeClauses(splitClauses(body), keys)
		var kept []clause
		for _, c := range clauses {
			if c.keep {
				kept = append(kept, c)
			} else {
				res.Dropped++
			}
		}
		if len(kept) == 0 {
			if strings.Contains(space, "\n") {
				// Keep the line or paragraph break the sentence ended.
				trimTrailingBlanks(&out)
				out.WriteString(space)
			}
			continue
		}
		var sb strings.Builder
		for _, c := range kept {
			sb.WriteString(renumber(c, newOf, &res.Cited))
		}
		sentence := sb.String()
		if !strings.HasPrefix(body, " ") && !strings.HasPrefix(body, "\t") {
			// A removed marker opened the sentence: no stray indent.
			sentence = strings.TrimLeft(sentence, " \t")
		}
		if kept[0].text != clauses[0].text {
			sentence = openSentence(sentence)
		}
		if last := clauses[len(clauses)-1]; kept[len(kept)-1].text != last.text {
			sentence = strings.TrimRightFunc(sentence, func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == ';' || r == ':' })
			sentence += terminal(bracketRE.ReplaceAllString(last.text, ""))
		}
		out.WriteString(sentence)
		out.WriteString(space)
	}
	res.Text = tidy(scrubMarkers(out.String(), len(res.Cited)))
	return res
}

// scrubMarkers removes the markers other than [1]..[n] that removing
// others formed, as "[00[70000]]" leaves "[00]"; each pass shortens s.
func scrubMarkers(s string, n int) string {
	for {
		locs := markerLocs(s)
		var b strings.Builder
		last := 0
		for _, loc := range locs {
			m := s[loc[0]:loc[1]]
			if k, err := strconv.Atoi(m[1 : len(m)-1]); err == nil && k >= 1 && k <= n && m == "["+strconv.Itoa(k)+"]" {
				continue
			}
			b.WriteString(s[last:loc[0]])
			last = loc[1]
		}
		if last == 0 {
			return s
		}
		b.WriteString(s[last:])
		s = b.String()
	}
}

// clause is one claim of a sentence and what the check made of it.
type clause struct {
	text     string
	clusters []cluster
	words    []string
	support  map[int]bool // given passage cited → shares a word with the clause
	keep     bool
}

// judgeClauses decides which clauses of one sentence stay; see
// CheckCitations.
func judgeClauses(texts []string, keys map[int]map[string]bool) []clause {
	cs := make([]clause, len(texts))
	for i, t := range texts {
		c := clause{text: t, clusters: findClusters(t), support: map[int]bool{}}
		c.words = substantive(bracketRE.ReplaceAllString(t, " "))
		for _, cl := range c.clusters {
			for _, n := range cl.nums {
				if _, ok := keys[n]; ok {
					c.support[n] = len(c.words) == 0 || sharesAny(c.words, keys[n])
				}
			}
		}
		for _, ok := range c.support {
			c.keep = c.keep || ok
		}
		cs[i] = c
	}
	for i := range cs {
		if len(cs[i].clusters) > 0 {
			continue
		}
		ref := -1
		for j := i + 1; j < len(cs) && ref < 0; j++ {
			if len(cs[j].clusters) > 0 {
				ref = j
			}
		}
		for j := i - 1; j >= 0 && ref < 0; j-- {
			if len(cs[j].clusters) > 0 {
				ref = j
			}
		}
		if ref < 0 || !cs[ref].keep {
			continue // dropped with the clause whose citations it borrows
		}
		if len(cs[i].words) == 0 {
			cs[i].keep = true
			continue
		}
		for n, ok := range cs[ref].support {
			if ok && sharesAny(cs[i].words, keys[n]) {
				cs[i].keep = true
			}
		}
	}
	return cs
}

// renumber writes c with its supported citations under their new numbers,
// numbering passages cited for the first time after those in cited.
func renumber(c clause, newOf map[int]int, cited *[]int) string {
	var sb strings.Builder
	last := 0
	for _, cl := range c.clusters {
		var b strings.Builder
		seen := map[int]bool{}
		for _, n := range cl.nums {
			if !c.support[n] || seen[n] {
				continue
			}
			seen[n] = true
			nn, ok := newOf[n]
			if !ok {
				*cited = append(*cited, n)
				nn = len(*cited)
				newOf[n] = nn
			}
			b.WriteString("[" + strconv.Itoa(nn) + "]")
		}
		prefix := c.text[last:cl.start]
		if b.Len() == 0 {
			// Removing the marker: take the space before it too.
			prefix = strings.TrimRight(prefix, " \t")
		}
		sb.WriteString(prefix)
		sb.WriteString(b.String())
		last = cl.end
	}
	sb.WriteString(c.text[last:])
	return sb.String()
}

// openSentence makes what was a later clause start a sentence: without the
// separator and conjunction that tied it to the dropped clause before it,
// and with a capital.
func openSentence(s string) string {
	lead := len(s) - len(strings.TrimLeft(s, " \t"))
	rest := strings.TrimLeft(s[lead:], " \t,;:")
	if w, after, ok := strings.Cut(rest, " "); ok && conjunctions[strings.ToLower(w)] {
		rest = strings.TrimLeft(after, " \t")
	}
	r, n := utf8.DecodeRuneInString(rest)
	return s[:lead] + string(unicode.ToUpper(r)) + rest[n:]
}

// terminalRE is the punctuation that ends a sentence, with closing quotes.
var terminalRE = regexp.MustCompile(`[.!?…][.!?…"'»)”’*]*\s*$`)

// terminal is the end punctuation of s, if any.
func terminal(s string) string {
	return strings.TrimSpace(terminalRE.FindString(strings.TrimSpace(s)))
}

// conjunctions are the French and English words that open a coordinated
// clause: after a comma or a citation marker they start a new claim.
var conjunctions = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		et mais ou donc or ni car puis tandis alors cependant pourtant toutefois néanmoins
		and but nor so yet while whereas although though however then`) {
		m[w] = true
	}
	return m
}()

// splitClauses cuts a sentence into the clauses CheckCitations judges
// apart, so that joining them gives the sentence back. A citation marker
// closes the claim it supports, and a claim also ends at a semicolon; so a
// new clause starts
//
//   - at "; " (outside a marker);
//   - at ", " followed by a coordinating conjunction ("…, et …", "…, but …");
//   - after a marker followed by a conjunction ("… [1] et …", "… [1] and …");
//   - after a marker followed by a capital, where the full stop is missing
//     ("… [1] Les cheminots …").
//
// Each cut is made before the separator, which then opens the next clause.
func splitClauses(s string) []string {
	clusters := findClusters(s)
	inMarker := func(i int) bool {
		for _, c := range clusters {
			if i >= c.start && i < c.end {
				return true
			}
		}
		return false
	}
	afterMarker := func(i int) bool {
		for _, c := range clusters {
			if c.end == i {
				return true
			}
		}
		return false
	}
	// conjAt reports whether s[i:] opens with a conjunction word.
	conjAt := func(i int) bool {
		end := i
		for end < len(s) {
			r, w := utf8.DecodeRuneInString(s[end:])
			if !unicode.IsLetter(r) {
				break
			}
			end += w
		}
		if end == i || end == len(s) {
			return false
		}
		r, _ := utf8.DecodeRuneInString(s[end:])
		return (unicode.IsSpace(r) || r == ',') && conjunctions[strings.ToLower(s[i:end])]
	}
	var cuts []int
	for i := 0; i < len(s); i++ {
		if inMarker(i) {
			continue
		}
		switch {
		case s[i] == ';' && i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '\t'):
			cut := i
			for cut > 0 && (s[cut-1] == ' ' || s[cut-1] == '\t') {
				cut-- // French spacing before ";"
			}
			cuts = append(cuts, cut)
		case s[i] == ',' && i+1 < len(s) && s[i+1] == ' ' && conjAt(skipBlanks(s, i+1)):
			cuts = append(cuts, i)
		case (s[i] == ' ' || s[i] == '\t') && afterMarker(i):
			j := skipBlanks(s, i)
			if j == len(s) {
				continue
			}
			if r, _ := utf8.DecodeRuneInString(s[j:]); unicode.IsUpper(r) || conjAt(j) {
				cuts = append(cuts, i)
			}
		}
	}
	var out []string
	last := 0
	for _, c := range cuts {
		if c > last {
			out = append(out, s[last:c])
			last = c
		}
	}
	return append(out, s[last:])
}

func skipBlanks(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// bracketRE matches a bracket holding no letters: a citation marker, valid
// or not, or an elision such as […], which findClusters leaves as text.
var bracketRE = regexp.MustCompile(`\[[^\[\]\p{L}\n]*\]`)

// markerLocs lists the brackets of s that are citation markers, well formed
// or not: those holding a digit and no letter, and empty ones.
func markerLocs(s string) [][]int {
	var out [][]int
	for _, loc := range bracketRE.FindAllStringIndex(s, -1) {
		if isMarker(s[loc[0]:loc[1]]) {
			out = append(out, loc)
		}
	}
	return out
}

// isMarker tells a citation marker from other letterless brackets ([…]).
func isMarker(bracket string) bool {
	inner := bracket[1 : len(bracket)-1]
	return strings.TrimSpace(inner) == "" || strings.IndexFunc(inner, unicode.IsDigit) >= 0
}

// markerEnd is the end of the marker s starts with, or -1.
func markerEnd(s string) int {
	if !strings.HasPrefix(s, "[") {
		return -1
	}
	loc := bracketRE.FindStringIndex(s)
	if loc == nil || loc[0] != 0 || !isMarker(s[:loc[1]]) {
		return -1
	}
	return loc[1]
}

// cluster is a run of adjacent markers ("[1][2]" or "[1, 2]") with the
// passage numbers they name, in order; an invalid marker names none.
type cluster struct {
	start, end int
	nums       []int
}

func findClusters(s string) []cluster {
	var out []cluster
	for _, loc := range markerLocs(s) {
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

var (
	markerNumber = regexp.MustCompile(`^\d{1,4}$`)
	markerRange  = regexp.MustCompile(`^(\d{1,4})\s*[-–—]\s*(\d{1,4})$`)
)

// parseMarker lists the numbers of one marker, expanding short ranges. A
// part that is not a number of at most four digits or a range of two
// ([-1], [1-100000000], [1.5]) names nothing.
func parseMarker(m string) []int {
	m = strings.TrimSuffix(strings.TrimPrefix(m, "["), "]")
	var nums []int
	for _, part := range strings.FieldsFunc(m, func(r rune) bool { return r == ',' || r == ';' }) {
		part = strings.TrimSpace(part)
		if markerNumber.MatchString(part) {
			a, _ := strconv.Atoi(part)
			nums = append(nums, a)
			continue
		}
		r := markerRange.FindStringSubmatch(part)
		if r == nil {
			continue
		}
		a, _ := strconv.Atoi(r[1])
		b, _ := strconv.Atoi(r[2])
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
// space, so that joining them gives s back. Sentences are those of
// chunk.Sentences (the one sentence rule), except that markers opening a
// sentence ("… ended. [2] Then") belong to the sentence before it.
func splitSentences(s string) []string {
	var starts []int
	for i, sp := range chunk.Sentences(s) {
		start := sp.Start
		if i == 0 {
			start = 0
		} else if len(starts) > 0 {
			// Markers at the head of this sentence go with the last one.
			j := start
			for {
				end := markerEnd(s[j:])
				if end < 0 {
					break
				}
				j = skipSpaces(s, j+end)
			}
			if j == sp.End {
				continue // only markers: all of it goes before
			}
			start = j
		}
		starts = append(starts, start)
	}
	if len(starts) == 0 {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	out := make([]string, len(starts))
	for i, st := range starts {
		end := len(s)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		out[i] = s[st:end]
	}
	return out
}

// skipSpaces returns the index of the first byte at or after i that is not a
// space or a tab.
func skipSpaces(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
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
	for _, w := range strings.FieldsFunc(analyze.Fold(s), func(r rune) bool {
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
