package evaltest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		scores []float64
		want   []int
	}{
		{name: "descending", scores: []float64{1, 3, 2}, want: []int{1, 2, 0}},
		{name: "ties keep index order", scores: []float64{2, 5, 2, 5}, want: []int{1, 3, 0, 2}},
		{name: "empty", scores: nil, want: []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Order(tt.scores)); diff != "" {
				t.Errorf("Order(%v) (-want +got):\n%s", tt.scores, diff)
			}
		})
	}
}

func TestScores(t *testing.T) {
	t.Parallel()
	var s Scores
	for _, rank := range []int{1, 2, 6, 11, 0} {
		s.Add(rank)
	}
	want := Scores{N: 5, R1: 1, R5: 2, R10: 3, MRR: 1 + 0.5 + 1.0/6}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("Scores (-want +got):\n%s", diff)
	}
	if got, want := s.String(), "  5 | 0.200 | 0.400 | 0.600 | 0.333"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestBM25(t *testing.T) {
	t.Parallel()
	m := NewBM25([][]string{{"orange", "cyberattaque"}, {"sncf", "greve", "greve"}, {"apple"}})
	order := Order(m.Scores([]string{"greve"}))
	if order[0] != 1 {
		t.Errorf("Order(Scores(greve)) = %v, want document 1 first", order)
	}
	if m.IDF("absent") <= m.IDF("greve") {
		t.Errorf("IDF(absent) %.3f <= IDF(greve) %.3f: a rarer term must weigh more", m.IDF("absent"), m.IDF("greve"))
	}
}
