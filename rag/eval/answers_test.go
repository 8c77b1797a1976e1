package eval

import (
	"math"
	"testing"
)

func TestScoreAnswer(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	q := Question{ID: "q", Answers: []string{"NoxLocker"}, Gold: []string{"d2", "d3"}, ExpectGrounded: &yes,
		Must: [][]string{{"NoxLocker"}, {"500 000 euros", "500 000 €"}}}
	tests := []struct {
		name string
		q    Question
		a    Answered
		m    Match
		want AnswerResult
	}{
		{"complete, accents and case folded, citation markers removed", q,
			Answered{Text: "Le groupe NOXLOCKER [1] réclame 500 000 Euros [2].", Grounded: true, Cited: []string{"d9", "d3"}}, Substring,
			AnswerResult{ID: "q", Hit: true, Complete: true, GoldCited: true, GroundedMatch: true}},
		{"hit but a must group missing", q,
			Answered{Text: "Revendiqué par NoxLocker.", Grounded: true, Cited: []string{"d9"}}, Substring,
			AnswerResult{ID: "q", Hit: true, GroundedMatch: true}},
		{"not covered rightly refused", Question{ID: "n", ExpectGrounded: &no},
			Answered{Text: "Les articles indexés ne permettent pas de répondre."}, Substring,
			AnswerResult{ID: "n", GroundedMatch: true}},
		{"words: a string inside a word is no hit", Question{ID: "w", Answers: []string{"Nantes"}},
			Answered{Text: "Les soignantes ont été évacuées.", Grounded: true}, Words,
			AnswerResult{ID: "w", GroundedMatch: true}},
		{"substring: it is", Question{ID: "w", Answers: []string{"Nantes"}},
			Answered{Text: "Les soignantes ont été évacuées.", Grounded: true}, Substring,
			AnswerResult{ID: "w", Hit: true, Complete: true, GroundedMatch: true}},
		{"words: punctuation squeezed", Question{ID: "p", Answers: []string{"Thierry Vallin"}},
			Answered{Text: "le maire, Thierry  Vallin, a dit", Grounded: true}, Words,
			AnswerResult{ID: "p", Hit: true, Complete: true, GroundedMatch: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ScoreAnswer(tt.q, tt.a, tt.m); got != tt.want {
				t.Errorf("ScoreAnswer = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestScoreAnswersSplitsByLangAndKind(t *testing.T) {
	t.Parallel()
	no := false
	qs := []Question{
		{ID: "a", Lang: "fr", Kind: "who", Answers: []string{"X"}, Gold: []string{"d1"}},
		{ID: "b", Lang: "en", Kind: "who", Answers: []string{"Y"}, Gold: []string{"d2"}},
		{ID: "c", Lang: "en", Kind: "not-covered", ExpectGrounded: &no},
	}
	answers := map[string]Answered{
		"a": {Text: "X [1]", Grounded: true, Cited: []string{"d1"}},
		"b": {Text: "Z [1]", Grounded: true, Cited: []string{"d1"}},
		"c": {Text: "no", Grounded: true},
	}
	rep := ScoreAnswers(qs, answers, MatchFor(qs))
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if rep.Questions != 3 || rep.Answerable != 2 || !near(rep.Hit, 0.5) || !near(rep.GoldCited, 0.5) ||
		!near(rep.GroundedMatch, 2.0/3) || rep.NotCovered != 1 || rep.Refused != 0 {
		t.Errorf("overall %+v", rep.AnswerMetrics)
	}
	if m := rep.ByLang["fr"]; m.Questions != 1 || m.Hit != 1 {
		t.Errorf("fr %+v", m)
	}
	if m := rep.ByKind["who"]; m.Questions != 2 || !near(m.Hit, 0.5) {
		t.Errorf("who %+v", m)
	}
	if m := rep.ByKind["not-covered"]; m.Answerable != 0 || m.GroundedMatch != 0 {
		t.Errorf("not-covered %+v", m)
	}
	if !near(rep.MeanLen, float64(len("X [1]")+len("Z [1]")+len("no"))/3) {
		t.Errorf("mean length %v", rep.MeanLen)
	}
}
