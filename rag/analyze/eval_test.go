package analyze

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestEvalBM25 checks the analysis on the retrieval eval with the BM25 of
// ../../../shared/eval/README.md (k1=1.2, b=0.75, Lucene idf, one document =
// title + text), so that its numbers compare with the README's baselines:
//
//	VEILLE_EVAL=1 go test ./rag/analyze -run TestEvalBM25 -v
func TestEvalBM25(t *testing.T) {
	if os.Getenv("VEILLE_EVAL") != "1" {
		t.Skip("set VEILLE_EVAL=1 to run the retrieval eval")
	}
	dir := "../../../shared/eval"
	type doc struct{ ID, Title, Text string }
	type question struct {
		Question string   `json:"question"`
		Lang     string   `json:"lang"`
		Gold     []string `json:"gold_doc_ids"`
	}
	docs := readJSONL[doc](t, filepath.Join(dir, "corpus.jsonl"))
	questions := readJSONL[question](t, filepath.Join(dir, "questions.jsonl"))

	confusion := map[string]int{}
	for _, q := range questions {
		confusion[q.Lang+"→"+DetectLang(q.Question)]++
	}
	t.Logf("question language → DetectLang: %v", confusion)

	for _, mode := range []struct {
		name string
		lang func(q string) string
	}{
		{"detected", func(string) string { return "" }},
	} {
		tf := make([]map[string]int, len(docs))
		df := map[string]int{}
		var total float64
		lens := make([]float64, len(docs))
		for i, d := range docs {
			tf[i] = map[string]int{}
			terms := Terms(d.Title+"\n\n"+d.Text, "")
			for _, term := range terms {
				if tf[i][term] == 0 {
					df[term]++
				}
				tf[i][term]++
			}
			lens[i] = float64(len(terms))
			total += lens[i]
		}
		avg := total / float64(len(docs))
		n := float64(len(docs))
		var r1, r5, r10, mrr float64
		scores := make([]float64, len(docs))
		order := make([]int, len(docs))
		for _, q := range questions {
			clear(scores)
			for _, term := range Terms(q.Question, mode.lang(q.Question)) {
				idf := math.Log(1 + (n-float64(df[term])+0.5)/(float64(df[term])+0.5))
				for i := range docs {
					f := float64(tf[i][term])
					if f > 0 {
						scores[i] += idf * f * 2.2 / (f + 1.2*(0.25+0.75*lens[i]/avg))
					}
				}
			}
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
			rank := slices.IndexFunc(order, func(i int) bool { return docs[i].ID == q.Gold[0] }) + 1
			if rank == 1 {
				r1++
			}
			if rank <= 5 {
				r5++
			}
			if rank <= 10 {
				r10++
				mrr += 1 / float64(rank)
			}
		}
		m := float64(len(questions))
		t.Logf("bm25+analyze (%s): R@1 %.3f R@5 %.3f R@10 %.3f MRR@10 %.3f",
			mode.name, r1/m, r5/m, r10/m, mrr/m)
	}
}

func readJSONL[T any](t *testing.T, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("eval data not found: %v", err)
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
