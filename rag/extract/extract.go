// Package extract picks the sentences of retrieved articles that answer a
// question: the extractive answer Veille gives without a language model.
//
// Every sentence of the best articles is described by a few features — how
// much of the question it holds, whether it holds an answer of the expected
// type outside the question's own words (a date for "quand", a number for
// "combien", a reason for "pourquoi"…), how much of the question the
// sentences just before it hold, whether retrieval ranked its passage — and
// scored by a linear model trained on questions with known answers
// (model.json; see TestTrainSelector in package rag). A sentence that only
// restates the question holds the question's words and nothing else, and
// scores low.
package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/veille/veille/rag/analyze"
	"github.com/veille/veille/rag/chunk"
	"github.com/veille/veille/rag/question"
)

// Doc is one retrieved article, best first.
type Doc struct {
	Title string
	Text  string
	Lang  string
	// Passages are the spans retrieval found best in this doc, best
	// first: a sentence inside one is more likely on topic.
	Passages [][2]int
	// Tokens are analyze.Tokens(Text, Lang) when the caller has them
	// already; nil: Candidates analyses Text.
	Tokens []analyze.Token
}

// Query is a question ready to score sentences with.
type Query struct {
	question.Analysis
	// Groups are the question's terms, each with the terms that count as
	// it (its translations, for a question in another language than the
	// articles'); Weights their idf.
	Groups  [][]string
	Weights []float64
}

// Candidate is one sentence of a doc with its features.
type Candidate struct {
	Doc, Idx   int // doc index, sentence number in the doc
	Start, End int // byte span in the doc's text
	Text       string
	Para       int  // paragraph number in its doc
	Heading    bool // a title line: never quoted
	// Cov is the idf share of the question's terms it holds, Evidence how
	// surely it holds an answer of the expected type outside them.
	Cov, Evidence float64
	X             [NumFeatures]float64
	// Marks are its words that are question terms, in order.
	Marks []Mark
}

// The features of a candidate, in X.
const (
	fCov         = iota // idf share of the question's terms in the sentence
	fCtx                // the same for the two sentences before it (same paragraph or heading)
	fEvidence           // an answer of the expected type outside the question's words
	fNovelty            // share of its terms the question does not have
	fFocus              // holds the question's focus noun
	fPassage            // in a retrieved passage (1 for the best, 1/2, 1/3)
	fDocCov             // idf share of the question's terms in the whole article
	fRank               // article rank / 2
	fNoCov              // holds no question term
	fRestate            // most of the question's terms and no answer of its type
	fEvidenceCov        // evidence × coverage
	fLead               // first sentence of the article
	fLength             // length, log-scaled
	fNextCov            // coverage of the sentence after (an answer often precedes its context)
	fPairs              // share of the question's adjacent term pairs found close together
	fMass               // idf mass of the question's terms it holds, absolute (/20, at most 1)
	fNames              // share of the question's names its article gives
	NumFeatures
)

// headingReach and headingEvidence: how many sentences under a heading
// that announces the answer's kind count as answers of it, and how surely.
const (
	headingReach    = 6
	headingEvidence = 0.8
)

// Candidates returns every sentence of docs with its features, in reading
// order (doc, then position).
func Candidates(q Query, docs []Doc) []Candidate {
	sc := newScorer(q)
	if sc.total == 0 || len(docs) == 0 {
		return nil
	}
	var all []Candidate
	for di, d := range docs {
		sents := sc.doc(di, d)
		markUnderHeadings(q.Type, sents)
		addContext(sents)
		all = append(all, sents...)
	}
	return all
}

// scorer holds what scoring a sentence needs of the question.
type scorer struct {
	q           Query
	total       float64 // the question's idf mass
	qset, focus map[string]bool
	group       map[string]int // term → its group in q.Groups
}

func newScorer(q Query) *scorer {
	sc := &scorer{q: q, qset: map[string]bool{}, focus: map[string]bool{}, group: map[string]int{}}
	for _, w := range q.Weights {
		sc.total += w
	}
	for gi, g := range q.Groups {
		for _, t := range g {
			sc.qset[t] = true
			if _, ok := sc.group[t]; !ok {
				sc.group[t] = gi
			}
		}
	}
	for _, f := range q.Focus {
		sc.focus[f] = true
	}
	return sc
}

// doc returns the sentences of the di-th doc with their own features (not
// yet those that depend on their neighbours).
func (sc *scorer) doc(di int, d Doc) []Candidate {
	// The text is analysed once; each sentence takes its tokens.
	docToks := d.Tokens
	if docToks == nil {
		docToks = analyze.Tokens(d.Text, d.Lang)
	}
	dterms := termSet(d.Title, d.Lang)
	for _, t := range docToks {
		dterms[t.Term] = true
	}
	docCov := coverage(sc.q, dterms, sc.total)
	docNames := namesIn(sc.q.Names, d)
	var out []Candidate
	next := 0
	for _, c := range split(di, d) {
		sc.sentence(&c, d, sentenceTokens(docToks, &next, c.Start, c.End))
		c.X[fDocCov] = docCov
		c.X[fRank] = float64(di) / 2
		c.X[fNames] = docNames
		out = append(out, c)
	}
	return out
}

// sentence fills the features c has on its own.
func (sc *scorer) sentence(c *Candidate, d Doc, toks []analyze.Token) {
	q := sc.q
	have := map[string]bool{}
	novel, hasFocus := 0, false
	for _, t := range toks {
		have[t.Term] = true
		if !sc.qset[t.Term] {
			novel++
		} else {
			c.Marks = append(c.Marks, Mark{Start: t.Start, End: t.End, Group: sc.group[t.Term]})
		}
		hasFocus = hasFocus || sc.focus[t.Term]
	}
	c.Cov = coverage(q, have, sc.total)
	c.Evidence = evidence(q.Type, sc.focus, c.Text, toks, sc.qset)
	x := &c.X
	x[fCov] = c.Cov
	x[fEvidence] = c.Evidence
	if len(toks) > 0 {
		x[fNovelty] = float64(novel) / float64(len(toks))
	}
	x[fFocus] = b2f(hasFocus)
	for pi, p := range d.Passages {
		if p[0] <= c.Start && c.End <= p[1] {
			x[fPassage] = 1 / float64(pi+1)
			break
		}
	}
	x[fNoCov] = b2f(c.Cov == 0)
	x[fRestate] = b2f(c.Cov > 0.6 && c.Evidence == 0 && x[fNovelty] < 0.5)
	x[fEvidenceCov] = c.Evidence * c.Cov
	x[fLead] = b2f(c.Idx == 0 || c.Idx == 1 && c.Para == 0)
	x[fLength] = min(1, float64(utf8.RuneCountInString(c.Text))/300)
	x[fPairs] = pairs(q.Terms, toks)
	x[fMass] = min(1, c.Cov*sc.total/20)
}

// markUnderHeadings gives the first sentences under a heading that announces
// answers of type t ("Pourquoi ça marche", "Les bons réflexes") evidence of
// that type.
func markUnderHeadings(t question.Type, sents []Candidate) {
	under := -1
	for i := range sents {
		if sents[i].Heading {
			under = -1
			if announces(t, sents[i].Text) {
				under = i
			}
			continue
		}
		if under >= 0 && i-under <= headingReach && sents[i].Evidence < headingEvidence {
			sents[i].Evidence = headingEvidence
			sents[i].X[fEvidence] = headingEvidence
			sents[i].X[fEvidenceCov] = headingEvidence * sents[i].Cov
		}
	}
}

// addContext sets the features a sentence takes from its neighbours in the
// same paragraph (or the heading over it): the coverage of the two before
// and of the one after.
func addContext(sents []Candidate) {
	for i := range sents {
		for k, w := range []float64{1, 0.6} {
			j := i - 1 - k
			if j < 0 {
				break
			}
			if sents[j].Para == sents[i].Para || sents[j].Heading {
				sents[i].X[fCtx] = max(sents[i].X[fCtx], w*sents[j].Cov)
			}
		}
		if i+1 < len(sents) && sents[i+1].Para == sents[i].Para {
			sents[i].X[fNextCov] = sents[i+1].Cov
		}
	}
}

// sentenceTokens returns the tokens of docToks within [start, end), with
// offsets made relative to start; *next is where to resume, sentences being
// visited in order.
func sentenceTokens(docToks []analyze.Token, next *int, start, end int) []analyze.Token {
	for *next < len(docToks) && docToks[*next].Start < start {
		*next++
	}
	var out []analyze.Token
	for *next < len(docToks) && docToks[*next].End <= end {
		t := docToks[*next]
		t.Start -= start
		t.End -= start
		out = append(out, t)
		*next++
	}
	return out
}

// split returns the sentences of a doc with their paragraph numbers.
func split(di int, d Doc) []Candidate {
	var out []Candidate
	para, prevEnd := 0, 0
	for i, sp := range chunk.Sentences(d.Text) {
		gap := d.Text[prevEnd:sp.Start]
		if i > 0 && (strings.Count(gap, "\n") >= 2 || strings.ContainsRune(gap, '\u2029')) {
			para++
		}
		prevEnd = sp.End
		raw := d.Text[sp.Start:sp.End]
		text := strings.TrimSpace(raw)
		if text == "" {
			continue
		}
		// The span is the trimmed text's, so that Text == d.Text[Start:End].
		sp.Start += len(raw) - len(strings.TrimLeftFunc(raw, unicode.IsSpace))
		sp.End = sp.Start + len(text)
		out = append(out, Candidate{
			Doc: di, Idx: len(out), Start: sp.Start, End: sp.End, Text: text, Para: para,
			Heading: isHeading(text),
		})
	}
	return out
}

// isHeading reports a title line: short, without final punctuation, not a
// list item.
func isHeading(s string) bool {
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "•") || strings.HasPrefix(s, "*") {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(s)
	if strings.ContainsRune(".!?…»\":;)", last) {
		return false
	}
	return utf8.RuneCountInString(s) < 90
}

func coverage(q Query, have map[string]bool, total float64) float64 {
	var got float64
	for i, g := range q.Groups {
		for _, t := range g {
			if have[t] {
				got += q.Weights[i]
				break
			}
		}
	}
	return got / total
}

func termSet(text, lang string) map[string]bool {
	m := map[string]bool{}
	for _, t := range analyze.Terms(text, lang) {
		m[t] = true
	}
	return m
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// pairs returns the share of the question's adjacent term pairs that occur
// within three terms of each other, in either order, in toks.
func pairs(terms []string, toks []analyze.Token) float64 {
	if len(terms) < 2 {
		return 0
	}
	pos := map[string][]int{}
	for i, t := range toks {
		pos[t.Term] = append(pos[t.Term], i)
	}
	found := 0
	for i := 0; i+1 < len(terms); i++ {
		near := false
		for _, a := range pos[terms[i]] {
			for _, b := range pos[terms[i+1]] {
				if a != b && abs(a-b) <= 3 {
					near = true
				}
			}
		}
		if near {
			found++
		}
	}
	return float64(found) / float64(len(terms)-1)
}

// namesIn returns the share of names found in d's title and text (folded,
// words compared whole); 1 when there are none.
func namesIn(names []string, d Doc) float64 {
	if len(names) == 0 {
		return 1
	}
	text := " " + analyze.PlainWords(d.Title+" "+d.Text) + " "
	found := 0
	for _, n := range names {
		if strings.Contains(text, " "+analyze.PlainWords(n)+" ") {
			found++
		}
	}
	return float64(found) / float64(len(names))
}
