package embed

import (
	"bufio"
	"encoding/json"
	"fmt"
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
// questions and per question language, with the embedding rate of one
// goroutine. VEILLE_EVAL_GRID=full also sweeps the weights at every size.

var analyzeTerms = func(s string) []string { return analyze.Terms(s, "") }

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
			name                                           string
			word, bigram, ngram, caps, long, common, title float32
		}{
			{"word+bi.5+ngram1", 1, 0.5, 1, 0, 0, 0, 0},
			{"word+bi.5+ngram1.5", 1, 0.5, 1.5, 0, 0, 0, 0},
			{"word+bi.5+ngram2", 1, 0.5, 2, 0, 0, 0, 0},
			{"word+bi.5+ngram1.5 caps.5", 1, 0.5, 1.5, 0.5, 0, 0, 0},
			{"word+bi.5+ngram1.5 common.5", 1, 0.5, 1.5, 0, 0, 0.5, 0},
		} {
			wt := weights{word: c.word, bigram: c.bigram, ngram: c.ngram, minN: 3, maxN: 5, caps: c.caps, long: c.long, common: c.common, title: c.title}
			weightings = append(weightings, config{c.name, wt, wt})
		}
	}
	dims := []int{256, 512, 1024, 2048, 4096}

	t.Logf("| weights | dim | subset | n | R@1 | R@5 | R@10 | MRR@10 | passages/s |")
	for _, c := range weightings {
		for _, dim := range dims {
			if c.name != "default" && os.Getenv("VEILLE_EVAL_GRID") != "full" && dim != DefaultDim {
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
						analyzeTerms(q.Question), docs[gold].Title, docs[order[0]].Title)
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
