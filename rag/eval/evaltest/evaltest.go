// Package evaltest loads the shared retrieval benchmark (../shared/eval
// beside the checkout, never in a user's clone) for the eval tests of
// rag's packages, and holds the ranking arithmetic they share: the order
// of documents by score, BM25 over whole documents as the benchmark's
// README computes it, and Recall@1/5/10 with MRR@10.
//
// It imports only the standard library, so that the internal tests of
// rag/analyze, which rag/eval imports, can use it.
package evaltest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Dir is the shared retrieval benchmark seen from a package directory two
// levels under the module root (rag/analyze, rag/embed, rag/lexical).
const Dir = "../../../shared/eval"

// Doc is one line of corpus.jsonl, with the fields the evals may use: in
// real use every document is news, so source, url and lang are left out.
type Doc struct {
	ID, Title, Text string
}

// Question is one line of questions.jsonl.
type Question struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Lang     string   `json:"lang"`
	Gold     []string `json:"gold_doc_ids"`
}

// Load reads the corpus and the questions of the benchmark at dir. It
// skips t unless VEILLE_EVAL=1 and the benchmark is there; a malformed
// line fails t.
func Load(t testing.TB, dir string) ([]Doc, []Question) {
	t.Helper()
	if os.Getenv("VEILLE_EVAL") != "1" {
		t.Skip("set VEILLE_EVAL=1 to run the retrieval eval")
	}
	corpus, questions := filepath.Join(dir, "corpus.jsonl"), filepath.Join(dir, "questions.jsonl")
	for _, p := range []string{corpus, questions} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("eval data not found: %v", err)
		}
	}
	return readJSONL[Doc](t, corpus), readJSONL[Question](t, questions)
}

func readJSONL[T any](t testing.TB, path string) []T {
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
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// Order returns the indexes of scores from the highest score to the
// lowest; ties keep index order.
func Order[S ~float32 | ~float64](scores []S) []int {
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case scores[a] > scores[b]:
			return -1
		case scores[a] < scores[b]:
			return 1
		}
		return 0
	})
	return order
}

// BM25 scores whole documents as the benchmark's README does: k1 = 1.2,
// b = 0.75, Lucene's idf.
type BM25 struct {
	tf   []map[string]int
	df   map[string]int
	lens []float64
	avg  float64
}

// NewBM25 indexes documents given as their terms.
func NewBM25(docs [][]string) *BM25 {
	m := &BM25{tf: make([]map[string]int, len(docs)), df: map[string]int{}, lens: make([]float64, len(docs))}
	var total float64
	for i, terms := range docs {
		m.tf[i] = map[string]int{}
		for _, term := range terms {
			if m.tf[i][term] == 0 {
				m.df[term]++
			}
			m.tf[i][term]++
		}
		m.lens[i] = float64(len(terms))
		total += m.lens[i]
	}
	m.avg = total / float64(len(docs))
	return m
}

// IDF is term's inverse document frequency.
func (m *BM25) IDF(term string) float64 {
	n, df := float64(len(m.tf)), float64(m.df[term])
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// Scores returns every document's score for a query given as its terms.
func (m *BM25) Scores(query []string) []float64 {
	scores := make([]float64, len(m.tf))
	for _, term := range query {
		idf := m.IDF(term)
		for i := range m.tf {
			if f := float64(m.tf[i][term]); f > 0 {
				scores[i] += idf * f * 2.2 / (f + 1.2*(0.25+0.75*m.lens[i]/m.avg))
			}
		}
	}
	return scores
}

// Scores sums Recall@1/5/10 and MRR@10 over questions.
type Scores struct {
	N                int
	R1, R5, R10, MRR float64
}

// Add counts one question whose gold document ranked rank (from 1; 0 when
// it was not ranked).
func (s *Scores) Add(rank int) {
	s.N++
	if rank < 1 {
		return
	}
	if rank == 1 {
		s.R1++
	}
	if rank <= 5 {
		s.R5++
	}
	if rank <= 10 {
		s.R10++
		s.MRR += 1 / float64(rank)
	}
}

// String is a Markdown table's cells: n, R@1, R@5, R@10, MRR@10.
func (s Scores) String() string {
	d := float64(s.N)
	return fmt.Sprintf("%3d | %.3f | %.3f | %.3f | %.3f", s.N, s.R1/d, s.R5/d, s.R10/d, s.MRR/d)
}
