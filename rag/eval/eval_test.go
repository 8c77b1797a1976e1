package eval

import (
	"math"
	"strings"
	"testing"
)

func TestScore(t *testing.T) {
	t.Parallel()
	qs := []Question{
		{ID: "q1", Lang: "fr", Gold: []string{"d1"}},
		{ID: "q2", Lang: "fr", Gold: []string{"d2"}},
		{ID: "q3", Lang: "en", Gold: []string{"d3"}},
		{ID: "q4", Lang: "en", Gold: []string{"d4"}},
	}
	preds := []Prediction{
		{ID: "q1", Ranked: []string{"d1", "x"}},                               // rank 1
		{ID: "q2", Ranked: []string{"x", "x", "y", "d2"}},                     // rank 3 after dedupe
		{ID: "q3", Ranked: []string{"a", "b", "c", "d", "e", "f", "g", "d3"}}, // rank 8
		// q4 missing: a miss
	}
	rep := Score(qs, preds)
	tests := []struct {
		name      string
		got, want float64
	}{
		{"recall@1", rep.Recall1, 0.25},
		{"recall@5", rep.Recall5, 0.5},
		{"recall@10", rep.Recall10, 0.75},
		{"mrr@10", rep.MRR10, (1 + 1.0/3 + 1.0/8) / 4},
		{"fr recall@5", rep.ByLang["fr"].Recall5, 1},
		{"en recall@10", rep.ByLang["en"].Recall10, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if math.Abs(tt.got-tt.want) > 1e-9 {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
	if rep.Questions != 4 {
		t.Errorf("questions = %d, want 4", rep.Questions)
	}
}

func TestReadQuestions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr string
	}{
		{"two lines", `{"id":"a","question":"x?","gold_doc_ids":["d"]}` + "\n\n" + `{"id":"b","question":"y?"}`, 2, ""},
		{"not json", `{"id":"a","question":"x?"}` + "\n{oops\n", 0, "q.jsonl:2"},
		{"no question", `{"id":"a"}`, 0, "q.jsonl:1"},
		{"empty", "", 0, "no questions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			qs, err := ReadQuestions(strings.NewReader(tt.in), "q.jsonl")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(qs) != tt.want {
				t.Fatalf("got %d questions, err %v; want %d", len(qs), err, tt.want)
			}
		})
	}
}
