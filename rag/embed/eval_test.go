package embed

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veille/veille/rag/analyze"
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

const evalDir = "../../../shared/eval"

type evalDoc struct {
	ID, Title, Text string
}

type evalQuestion struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Lang     string   `json:"lang"`
	Gold     []string `json:"gold_doc_ids"`
}

type evalPassage struct {
	doc  int
	text string
}

func loadJSONL[T any](t *testing.T, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
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

type evalScores struct {
	n                int
	r1, r5, r10, mrr float64
}

func (s evalScores) String() string {
	d := float64(s.n)
	return fmt.Sprintf("%3d | %.3f | %.3f | %.3f | %.3f", s.n, s.r1/d, s.r5/d, s.r10/d, s.mrr/d)
}

func TestEvalCurve(t *testing.T) {
	if os.Getenv("VEILLE_EVAL") != "1" {
		t.Skip("set VEILLE_EVAL=1 to run the retrieval eval")
	}
	corpusPath := filepath.Join(evalDir, "corpus.jsonl")
	questionsPath := filepath.Join(evalDir, "questions.jsonl")
	for _, p := range []string{corpusPath, questionsPath} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("eval data not found: %v", err)
		}
	}
	docs := loadJSONL[evalDoc](t, corpusPath)
	questions := loadJSONL[evalQuestion](t, questionsPath)
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
	df := map[string]int{}
	for _, d := range docs {
		seen := map[string]bool{}
		for _, term := range analyze.Terms(d.Title+"\n\n"+d.Text, "") {
			if !seen[term] {
				seen[term] = true
				df[term]++
			}
		}
	}
	n := float64(len(docs))
	q := defaultQueryWeights
	q.idf = func(term string) float32 {
		return float32(math.Log(1 + (n-float64(df[term])+0.5)/(float64(df[term])+0.5)))
	}
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
			scores := map[string]*evalScores{"all": {}, "fr": {}, "en": {}}
			best := make([]float32, len(docs))
			order := make([]int, len(docs))
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
				for i := range order {
					order[i] = i
				}
				slices.SortStableFunc(order, func(a, b int) int {
					switch {
					case best[a] > best[b]:
						return -1
					case best[a] < best[b]:
						return 1
					}
					return 0
				})
				gold := docIndex[q.Gold[0]]
				rank := slices.Index(order, gold) + 1
				if rank > 5 && os.Getenv("VEILLE_EVAL_MISSES") != "" {
					t.Logf("miss %s rank %d: %q %v\n\tgold %q\n\ttop  %q", q.ID, rank, q.Question,
						analyze.Terms(q.Question, ""), docs[gold].Title, docs[order[0]].Title)
				}
				for _, k := range []string{"all", q.Lang} {
					s := scores[k]
					s.n++
					if rank == 1 {
						s.r1++
					}
					if rank <= 5 {
						s.r5++
					}
					if rank <= 10 {
						s.r10++
						s.mrr += 1 / float64(rank)
					}
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
	if os.Getenv("VEILLE_EVAL") != "1" {
		t.Skip("set VEILLE_EVAL=1 to run the retrieval eval")
	}
	corpusPath := filepath.Join(evalDir, "corpus.jsonl")
	questionsPath := filepath.Join(evalDir, "questions.jsonl")
	for _, p := range []string{corpusPath, questionsPath} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("eval data not found: %v", err)
		}
	}
	docs := loadJSONL[evalDoc](t, corpusPath)
	questions := loadJSONL[evalQuestion](t, questionsPath)

	// BM25 over documents.
	tf := make([]map[string]int, len(docs))
	df := map[string]int{}
	lens := make([]float64, len(docs))
	var total float64
	var passages []evalPassage
	docIndex := map[string]int{}
	for i, d := range docs {
		docIndex[d.ID] = i
		tf[i] = map[string]int{}
		terms := analyze.Terms(d.Title+"\n\n"+d.Text, "")
		for _, term := range terms {
			if tf[i][term] == 0 {
				df[term]++
			}
			tf[i][term]++
		}
		lens[i] = float64(len(terms))
		total += lens[i]
		for _, p := range splitPassages(d.Text, 700) {
			passages = append(passages, evalPassage{doc: i, text: d.Title + "\n\n" + p})
		}
	}
	avg := total / float64(len(docs))
	n := float64(len(docs))

	idf := func(term string) float32 {
		return float32(math.Log(1 + (n-float64(df[term])+0.5)/(float64(df[term])+0.5)))
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
			evalFusion(t, name, docs, questions, passages, docIndex, tf, df, lens, avg, dim, withIDF, idf)
		}
	}
}

func evalFusion(t *testing.T, name string, docs []evalDoc, questions []evalQuestion, passages []evalPassage,
	docIndex map[string]int, tf []map[string]int, df map[string]int, lens []float64, avg float64,
	dim int, withIDF bool, idf func(string) float32) {
	t.Helper()
	n := float64(len(docs))
	l, err := NewLocal(dim)
	if err != nil {
		t.Fatal(err)
	}
	pv := make([][]float32, len(passages))
	for i, p := range passages {
		pv[i] = l.embed(p.text, &l.doc)
	}

	systems := []string{"bm25", "dense", "rrf(bm25, dense)", "rrf(bm25, 0.5 dense)", "rrf(bm25, 0.25 dense)"}
	scores := map[string]*evalScores{}
	for _, s := range systems {
		for _, k := range []string{"all", "fr", "en"} {
			scores[s+"/"+k] = &evalScores{}
		}
	}
	rankOf := func(score []float64) []int {
		order := make([]int, len(score))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int {
			switch {
			case score[a] > score[b]:
				return -1
			case score[a] < score[b]:
				return 1
			}
			return 0
		})
		return order
	}
	for _, q := range questions {
		lex := make([]float64, len(docs))
		for _, term := range analyze.Terms(q.Question, "") {
			idf := math.Log(1 + (n-float64(df[term])+0.5)/(float64(df[term])+0.5))
			for i := range docs {
				if f := float64(tf[i][term]); f > 0 {
					lex[i] += idf * f * 2.2 / (f + 1.2*(0.25+0.75*lens[i]/avg))
				}
			}
		}
		qv, _ := l.EmbedQuery(t.Context(), q.Question)
		if withIDF {
			qv, _ = l.EmbedQueryWeighted(t.Context(), q.Question, idf)
		}
		dense := make([]float64, len(docs))
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
		lexOrder, denseOrder := rankOf(lex), rankOf(dense)
		fuse := func(w float64) []int {
			fused := make([]float64, len(docs))
			for r, i := range lexOrder {
				fused[i] += 1 / float64(60+r+1)
			}
			for r, i := range denseOrder {
				fused[i] += w / float64(60+r+1)
			}
			return rankOf(fused)
		}
		gold := docIndex[q.Gold[0]]
		for s, order := range map[string][]int{
			"bm25": lexOrder, "dense": denseOrder, "rrf(bm25, dense)": fuse(1),
			"rrf(bm25, 0.5 dense)": fuse(0.5), "rrf(bm25, 0.25 dense)": fuse(0.25),
		} {
			rank := slices.Index(order, gold) + 1
			for _, k := range []string{"all", q.Lang} {
				sc := scores[s+"/"+k]
				sc.n++
				if rank == 1 {
					sc.r1++
				}
				if rank <= 5 {
					sc.r5++
				}
				if rank <= 10 {
					sc.r10++
					sc.mrr += 1 / float64(rank)
				}
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
