package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSeedQuestionsInFrenchAndEnglish asks the bundled seeds what a new user
// asks, in French and in English: each answer must quote the fact and cite
// the article, and an English answer must say that it quotes French sources.
func TestSeedQuestionsInFrenchAndEnglish(t *testing.T) {
	t.Parallel()
	env := map[string]string{"VEILLE_DATA_DIR": t.TempDir()}
	if _, errs, code := veille(t, env, "ingest"); code != 0 {
		t.Fatalf("ingest: exit %d: %s", code, errs)
	}
	tests := []struct {
		q       string
		want    string // in the answer
		article string // cited
		note    string // in the note
	}{
		{"Quelles données Apple et Meta ont-elles transmises ?", "adresses IP", "seed-lapsus-apple-meta", ""},
		{"Which data did Apple and Meta hand over?", "adresses IP", "seed-lapsus-apple-meta", "French sources"},
		{"Qui d'autre a reçu de fausses demandes ?", "Snapchat", "seed-lapsus-apple-meta", ""},
		{"Who else received fake requests?", "Snapchat", "seed-lapsus-apple-meta", "French sources"},
		{"Quel hébergeur américain NSO a-t-il utilisé ?", "QuadraNet", "seed-nso-pegasus-whatsapp", ""},
		{"Which US hosting provider did NSO use?", "QuadraNet", "seed-nso-pegasus-whatsapp", "French sources"},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			out, errs, code := veille(t, env, "ask", "--json", tt.q)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var got askOut
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			if !got.Grounded || !strings.Contains(got.Answer, tt.want) {
				t.Errorf("answer %q (grounded %v), want one holding %q", got.Answer, got.Grounded, tt.want)
			}
			if len(got.Citations) == 0 || got.Citations[0].ArticleID != tt.article {
				t.Errorf("citations %+v, want %s first", got.Citations, tt.article)
			}
			if tt.note != "" && !strings.Contains(got.Note, tt.note) || tt.note == "" && got.Note != "" {
				t.Errorf("note %q, want %q", got.Note, tt.note)
			}
			if strings.Contains(got.Answer, "Contenu partenaire") || strings.Contains(got.Answer, "COMMENTAIRE") {
				t.Errorf("answer quotes page chrome: %q", got.Answer)
			}
		})
	}
}

// TestSeedQuestionNamesTheRightArticle: an English question naming Lapsus$
// is answered from the article that names it, not from the other seed.
func TestSeedQuestionNamesTheRightArticle(t *testing.T) {
	t.Parallel()
	env := map[string]string{"VEILLE_DATA_DIR": t.TempDir()}
	out, errs, code := veille(t, env, "ask", "--json", "Who is said to be the mastermind of Lapsus$?")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got askOut
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if !strings.Contains(got.Answer, "cerveau du groupe de pirates informatiques Lapsus$") {
		t.Errorf("answer %q, want the sentence on Lapsus$'s mastermind", got.Answer)
	}
}
