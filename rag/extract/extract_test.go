package extract

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/veille/veille/rag/analyze"
	"github.com/veille/veille/rag/question"
)

// query builds a Query the way package rag does, each term its own group of
// weight 1, with the French words given for it (as rag/lexicon would).
func query(q string, french map[string][]string) Query {
	a := question.Analyze(q)
	out := Query{Analysis: a}
	for _, t := range a.Terms {
		g := []string{t}
		for _, w := range french[t] {
			g = append(g, analyze.Terms(w, "fr")...)
		}
		out.Groups = append(out.Groups, g)
		out.Weights = append(out.Weights, 1)
	}
	return out
}

func seedDoc(t testing.TB, name string) Doc {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	return Doc{Text: string(b), Lang: "fr"}
}

// TestSelectAnswersNotRestates pins sentence choice on the seed articles: the
// sentence that answers wins over the one that restates the question.
func TestSelectAnswersNotRestates(t *testing.T) {
	t.Parallel()
	lapsus, nso := seedDoc(t, "seed-lapsus-apple-meta"), seedDoc(t, "seed-nso-pegasus-whatsapp")
	tests := []struct {
		name     string
		q        string
		extra    map[string][]string // translations, as rag's lexicon gives them
		docs     []Doc
		want     string // the answer, in the best-scored sentence
		restates string // a sentence that holds the question's words, not its answer
	}{
		{
			name:     "which data",
			q:        "Quelles données clients Apple et Meta ont-elles transmises ?",
			docs:     []Doc{lapsus, nso},
			want:     "adresses IP",
			restates: "auraient transmis des données clients à des pirates",
		},
		{
			name:     "who else",
			q:        "Qui d'autre a reçu une fausse demande des pirates ?",
			docs:     []Doc{lapsus, nso},
			want:     "Snapchat",
			restates: "Cela se serait produit lors d’une fausse demande",
		},
		{
			name: "hosting provider",
			q:    "Quel hébergeur américain NSO a-t-il utilisé ?",
			docs: []Doc{nso, lapsus},
			want: "QuadraNet",
		},
		{
			name:  "english over french",
			q:     "Which US hosting provider did NSO use?",
			extra: map[string][]string{"us": {"américain", "états-unis"}, "host": {"hébergeur", "hébergement"}, "provid": {"fournisseur"}, "use": {"utiliser", "utilisé"}},
			docs:  []Doc{nso, lapsus},
			want:  "QuadraNet",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := query(tt.q, tt.extra)
			cands := Candidates(q, tt.docs)
			m := Default()
			best, restate := -1, -1
			for i := range cands {
				if cands[i].Heading {
					continue
				}
				if best < 0 || m.Score(&cands[i]) > m.Score(&cands[best]) {
					best = i
				}
				if tt.restates != "" && strings.Contains(cands[i].Text, tt.restates) {
					restate = i
				}
			}
			if best < 0 || !strings.Contains(cands[best].Text, tt.want) {
				t.Fatalf("best sentence for %q:\n%v\nwant one holding %q", tt.q, cands[best].Text, tt.want)
			}
			if tt.restates != "" {
				if restate < 0 {
					t.Fatalf("no candidate holds %q", tt.restates)
				}
				if m.Score(&cands[restate]) >= m.Score(&cands[best]) {
					t.Errorf("restating sentence scores %.2f ≥ answer %.2f", m.Score(&cands[restate]), m.Score(&cands[best]))
				}
			}
			picks := Select(q, tt.docs)
			if !slices.ContainsFunc(picks, func(p Pick) bool { return strings.Contains(p.Text, tt.want) }) {
				t.Errorf("Select(%q) = %v, want a sentence holding %q", tt.q, picks, tt.want)
			}
		})
	}
}

func TestEvidence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ      question.Type
		q, s     string
		positive bool
	}{
		{question.When, "quand la mairie a-t-elle été attaquée ?", "Les agents sont arrivés lundi 13 mai vers 7 heures.", true},
		// The question's own date is no answer.
		{question.When, "que s'est-il passé le 13 mai ?", "Le 13 mai, la mairie a été attaquée.", false},
		{question.HowMany, "combien de salariés au chômage partiel ?", "Quelque 600 salariés ont été placés au chômage partiel.", true},
		{question.HowMany, "combien de salariés au chômage partiel ?", "Les salariés ont été placés au chômage partiel.", false},
		{question.Who, "qui dirige le groupe ?", "Le groupe est dirigé par Jean-Baptiste Roux depuis 2019.", true},
		{question.Where, "où est basé l'hébergeur ?", "L'hébergeur, installé à Roubaix, a absorbé l'attaque.", true},
		{question.Identifier, "quelle CVE ?", "La faille, suivie sous la référence CVE-2024-3400, est critique.", true},
		{question.Why, "pourquoi la CNIL a sanctionné la société ?", "La CNIL lui reproche une conservation excessive des données.", true},
		{question.Advice, "que faire ?", "- ne jamais cliquer sur le lien contenu dans le message ;", true},
		{question.Advice, "what should I do?", "Customers should check their bank statements.", true},
		{question.List, "quelles données ?", "Les données comprenaient des adresses, des numéros de téléphone et des adresses IP.", true},
		{question.Why, "pourquoi ?", "La mairie a été attaquée lundi.", false},
		{question.Which, "quelle commune a été attaquée ?", "La commune de Roncelles a été paralysée.", true},
		{question.Which, "quelle commune a été attaquée ?", "La commune a été paralysée.", false},
		{question.Which, "which botnet was taken down?", "Police dismantled the botnet Kestrel.", true},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			t.Parallel()
			qset := map[string]bool{}
			for _, term := range analyze.Terms(tt.q, "") {
				qset[term] = true
			}
			focus := map[string]bool{}
			for _, f := range question.Analyze(tt.q).Focus {
				focus[f] = true
			}
			got := evidence(tt.typ, focus, tt.s, analyze.Tokens(tt.s, ""), qset)
			if (got > 0) != tt.positive {
				t.Errorf("evidence(%v, %q) = %.2f, want positive %v", tt.typ, tt.s, got, tt.positive)
			}
		})
	}
}

// TestDefaultModel checks the shipped model.json: it parses, has finite
// weights, and rewards what an answer is made of.
func TestDefaultModel(t *testing.T) {
	t.Parallel()
	m, err := ParseModel(modelJSON)
	if err != nil {
		t.Fatal(err)
	}
	if m.Weights[fCov] <= 0 || m.Weights[fEvidence] <= 0 {
		t.Errorf("weights %v: coverage and answer evidence must count for a sentence", m.Weights)
	}
	if m.Second <= 0 || m.Second >= 1 {
		t.Errorf("second = %v, want in (0, 1)", m.Second)
	}
	// Another article's sentence must score closer to the best than a
	// second sentence of the same article.
	if m.CrossDoc <= m.Second || m.CrossDoc > 1 {
		t.Errorf("cross_doc = %v, want in (second, 1]", m.CrossDoc)
	}
	if _, err := ParseModel([]byte(`{"weights":[1,"x"]}`)); err == nil {
		t.Error("ParseModel accepted a malformed model")
	}
}

// TestTrainLearnsLabels checks that Train moves weight onto the feature that
// marks the positives.
func TestTrainLearnsLabels(t *testing.T) {
	t.Parallel()
	var qs [][]Candidate
	var labels [][]bool
	for range 20 {
		cs := make([]Candidate, 4)
		l := make([]bool, 4)
		for i := range cs {
			cs[i].X[fCov] = 0.5
		}
		cs[2].X[fNextCov] = 1
		l[2] = true
		qs, labels = append(qs, cs), append(labels, l)
	}
	before := Loss(&Model{}, qs, labels)
	m := Train(qs, labels, nil, 200, 0.5, 0)
	if m.Weights[fNextCov] <= 0 {
		t.Errorf("weight of the marking feature = %v, want > 0", m.Weights[fNextCov])
	}
	if after := Loss(&m, qs, labels); after >= before {
		t.Errorf("loss %v → %v, want lower", before, after)
	}
}

// BenchmarkSelect is the extractive answer's own cost: every sentence of
// three articles scored and the answer chosen.
func BenchmarkSelect(b *testing.B) {
	d1, d2 := seedDoc(b, "seed-lapsus-apple-meta"), seedDoc(b, "seed-nso-pegasus-whatsapp")
	q := query("Quelles données Apple et Meta ont-elles transmises ?", nil)
	docs := []Doc{d1, d2, d1}
	for b.Loop() {
		Select(q, docs)
	}
}
