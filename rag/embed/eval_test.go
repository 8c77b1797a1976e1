package embed

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veille/veille/rag/analyze"
	"github.com/veille/veille/rag/eval/evaltest"
)

// The retrieval eval of the built-in embedder alone, used to choose its
// dimension and weights:
//
//	VEILLE_EVAL=1 go test ./rag/embed -run TestEvalCurve -v -timeout 30m
//
// It reads ../../../shared/eval (corpus.jsonl, questions.jsonl), splits each
// document into passages (paragraphs merged up to about 700 characters, the
// title in front of each), embeds passages and questions, ranks documents by
// their best passage's cosine and prints Recall@1/5/10 and MRR@10 for all
// questions and per question language, plain and with queries weighted by
// the corpus's idf (EmbedQueryWeighted), with the embedding rate of one
// goroutine (a rate shared with whatever else runs on the machine: take
// BenchmarkEmbedDocument for speed). VEILLE_EVAL_GRID=1 adds a sweep of the
// weights at DefaultDim, VEILLE_EVAL_GRID=full at every dimension;
// VEILLE_EVAL_MISSES=1 logs the questions whose gold document ranks past 5.
// Do not use the corpus's source, url or lang fields here: in real use every
// document is news.

type evalPassage struct {
	doc  int
	text string
}

// splitPassages splits text into paragraphs and merges neighbours up to
// about size bytes; a paragraph much longer than size is cut at sentence
// ends.
func splitPassages(text string, size int) []string {
	var paras []string
	for p := range strings.SplitSeq(text, "\n") {
		p = strings.TrimSpace(p)
		for len(p) > 2*size {
			cut := strings.Index(p[size:], ". ")
			if cut < 0 {
				break
			}
			paras = append(paras, p[:size+cut+1])
			p = strings.TrimSpace(p[size+cut+1:])
		}
		if p != "" {
			paras = append(paras, p)
		}
	}
	var out []string
	cur := ""
	for _, p := range paras {
		if cur != "" && len(cur)+1+len(p) > size {
			out = append(out, cur)
			cur = ""
		}
		if cur != "" {
			cur += "\n"
		}
		cur += p
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

func TestEvalCurve(t *testing.T) {
	docs, questions := evaltest.Load(t, evaltest.Dir)
	docIndex := map[string]int{}
	var passages []evalPassage
	var bytes int
	for i, d := range docs {
		docIndex[d.ID] = i
		for _, p := range splitPassages(d.Text, 700) {
			text := d.Title + "\n\n" + p
			passages = append(passages, evalPassage{doc: i, text: text})
			bytes += len(text)
		}
	}
	t.Logf("%d documents, %d passages (mean %d bytes), %d questions",
		len(docs), len(passages), bytes/len(passages), len(questions))

	type config struct {
		name       string
		doc, query weights
	}
	weightings := []config{
		{"default", defaultDocWeights, defaultQueryWeights},
	}
	if os.Getenv("VEILLE_EVAL_GRID") != "" {
		for _, c := range []struct {
			name                string
			word, bigram, ngram float32
			minN, maxN          int
		}{
			{"word", 1, 0, 0, 0, 0},
			{"word+bigram.5", 1, 0.5, 0, 0, 0},
			{"word+ngram1", 1, 0, 1, 3, 5},
			{"word+bigram.5+ngram.5", 1, 0.5, 0.5, 3, 5},
			{"word+bigram.5+ngram2", 1, 0.5, 2, 3, 5},
			{"word+bigram.5+ngram1 n3-4", 1, 0.5, 1, 3, 4},
			{"word+bigram.5+ngram1 n4-5", 1, 0.5, 1, 4, 5},
			{"word+bigram.5+ngram1 n3-6", 1, 0.5, 1, 3, 6},
		} {
			wt := weights{word: c.word, bigram: c.bigram, ngram: c.ngram, minN: c.minN, maxN: c.maxN}
			weightings = append(weightings, config{c.name, wt, wt})
		}
		q := defaultQueryWeights
		q.ngram = 0
		weightings = append(weightings, config{"default, query without n-grams", defaultDocWeights, q})
	}
	// Queries weighted by this corpus's idf, as an index passes it to
	// EmbedQueryWeighted.
	bm25 := evaltest.NewBM25(docTerms(docs))
	q := defaultQueryWeights
	q.idf = func(term string) float32 { return float32(bm25.IDF(term)) }
	const withIDF = "default, queries weighted by idf"
	weightings = append(weightings, config{withIDF, defaultDocWeights, q})
	dims := []int{256, 512, 1024, 2048, 4096, 8192}

	t.Logf("| weights | dim | subset | n | R@1 | R@5 | R@10 | MRR@10 | passages/s |")
	for _, c := range weightings {
		for _, dim := range dims {
			if c.name != "default" && c.name != withIDF && os.Getenv("VEILLE_EVAL_GRID") != "full" && dim != DefaultDim {
				continue
			}
			l, err := newLocal(dim, c.doc, c.query)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			pv := make([][]float32, len(passages))
			for i, p := range passages {
				pv[i] = l.embed(p.text, &l.doc)
			}
			rate := float64(len(passages)) / time.Since(start).Seconds()
			scores := map[string]*evaltest.Scores{"all": {}, "fr": {}, "en": {}}
			best := make([]float32, len(docs))
			for _, q := range questions {
				qv := l.embed(q.Question, &l.query)
				for i := range best {
					best[i] = -2
				}
				for i, p := range passages {
					var dot float32
					for j, x := range pv[i] {
						dot += x * qv[j]
					}
					best[p.doc] = max(best[p.doc], dot)
				}
				order := evaltest.Order(best)
				gold := docIndex[q.Gold[0]]
				rank := slices.Index(order, gold) + 1
				if rank > 5 && os.Getenv("VEILLE_EVAL_MISSES") != "" {
					t.Logf("miss %s rank %d: %q %v\n\tgold %q\n\ttop  %q", q.ID, rank, q.Question,
						analyze.Terms(q.Question, ""), docs[gold].Title, docs[order[0]].Title)
				}
				for _, k := range []string{"all", q.Lang} {
					scores[k].Add(rank)
				}
			}
			for _, k := range []string{"all", "fr", "en"} {
				t.Logf("| %s | %d | %s | %s | %.0f |", c.name, dim, k, scores[k], rate)
			}
		}
	}
}

// TestEvalFusion tells whether the dense ranking adds to a lexical one: it
// prints BM25 over whole documents (the README's settings, on
// analyze.Terms), the dense ranking of TestEvalCurve at DefaultDim, plain
// and with idf-weighted queries, and each fused with BM25 by reciprocal rank
// (k = 60, the dense ranking at weight 1, 0.5 or 0.25). VEILLE_EVAL_GRID=1
// repeats it at 1024, 2048 and 4096 dimensions.
//
//	VEILLE_EVAL=1 go test ./rag/embed -run TestEvalFusion -v
func TestEvalFusion(t *testing.T) {
	docs, questions := evaltest.Load(t, evaltest.Dir)

	bm25 := evaltest.NewBM25(docTerms(docs))
	var passages []evalPassage
	docIndex := map[string]int{}
	for i, d := range docs {
		docIndex[d.ID] = i
		for _, p := range splitPassages(d.Text, 700) {
			passages = append(passages, evalPassage{doc: i, text: d.Title + "\n\n" + p})
		}
	}
	dims := []int{DefaultDim}
	if os.Getenv("VEILLE_EVAL_GRID") != "" {
		dims = []int{1024, 2048, 4096}
	}
	for _, dim := range dims {
		for _, withIDF := range []bool{false, true} {
			name := fmt.Sprintf("dim %d", dim)
			if withIDF {
				name += ", queries weighted by idf"
			}
			evalFusion(t, name, questions, passages, docIndex, bm25, dim, withIDF)
		}
	}
}

// docTerms is each document's title and text as analyze.Terms.
func docTerms(docs []evaltest.Doc) [][]string {
	terms := make([][]string, len(docs))
	for i, d := range docs {
		terms[i] = analyze.Terms(d.Title+"\n\n"+d.Text, "")
	}
	return terms
}

func evalFusion(t *testing.T, name string, questions []evaltest.Question, passages []evalPassage,
	docIndex map[string]int, bm25 *evaltest.BM25, dim int, withIDF bool) {
	t.Helper()
	idf := func(term string) float32 { return float32(bm25.IDF(term)) }
	l, err := NewLocal(dim)
	if err != nil {
		t.Fatal(err)
	}
	pv := make([][]float32, len(passages))
	for i, p := range passages {
		pv[i] = l.embed(p.text, &l.doc)
	}

	systems := []string{"bm25", "dense", "rrf(bm25, dense)", "rrf(bm25, 0.5 dense)", "rrf(bm25, 0.25 dense)"}
	scores := map[string]*evaltest.Scores{}
	for _, s := range systems {
		for _, k := range []string{"all", "fr", "en"} {
			scores[s+"/"+k] = &evaltest.Scores{}
		}
	}
	for _, q := range questions {
		lex := bm25.Scores(analyze.Terms(q.Question, ""))
		qv, _ := l.EmbedQuery(t.Context(), q.Question)
		if withIDF {
			qv, _ = l.EmbedQueryWeighted(t.Context(), q.Question, idf)
		}
		dense := make([]float64, len(lex))
		for i := range dense {
			dense[i] = -2
		}
		for i, p := range passages {
			var dot float32
			for j, x := range pv[i] {
				dot += x * qv[j]
			}
			dense[p.doc] = max(dense[p.doc], float64(dot))
		}
		lexOrder, denseOrder := evaltest.Order(lex), evaltest.Order(dense)
		fuse := func(w float64) []int {
			fused := make([]float64, len(lex))
			for r, i := range lexOrder {
				fused[i] += 1 / float64(60+r+1)
			}
			for r, i := range denseOrder {
				fused[i] += w / float64(60+r+1)
			}
			return evaltest.Order(fused)
		}
		gold := docIndex[q.Gold[0]]
		for s, order := range map[string][]int{
			"bm25": lexOrder, "dense": denseOrder, "rrf(bm25, dense)": fuse(1),
			"rrf(bm25, 0.5 dense)": fuse(0.5), "rrf(bm25, 0.25 dense)": fuse(0.25),
		} {
			rank := slices.Index(order, gold) + 1
			for _, k := range []string{"all", q.Lang} {
				scores[s+"/"+k].Add(rank)
			}
		}
	}
	t.Logf("| %s: system | subset | n | R@1 | R@5 | R@10 | MRR@10 |", name)
	for _, s := range systems {
		for _, k := range []string{"all", "fr", "en"} {
			t.Logf("| %s | %s | %s |", s, k, scores[s+"/"+k])
		}
	}
}
