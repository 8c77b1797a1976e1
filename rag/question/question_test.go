package question

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAnalyzeType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		q    string
		want Type
	}{
		{"Qui serait le cerveau du groupe Lapsus$ ?", Who},
		{"qui dirige le groupe", Who},
		{"Quel éditeur a documenté la campagne ?", Who},
		{"Who found the bug in the mobile API?", Who},
		{"Which company was fined?", Who},
		{"Quand la mise à jour piégée a-t-elle été publiée ?", When},
		{"depuis quand la faille est exploitée", When},
		{"When did the heist happen?", When},
		{"until when do home users get updates?", When},
		{"Où est basé le logisticien ?", Where},
		{"ou se trouve la clinique ?", Where},
		{"Where was the leader arrested?", Where},
		{"In which city was the moderator arrested?", Where},
		{"Combien de patients ont été transférés ?", HowMany},
		{"how many customers were hit?", HowMany},
		{"How much did the company pay?", HowMany},
		{"Pourquoi la CNIL a-t-elle sanctionné l'entreprise ?", Why},
		{"Why were the hackers able to approve withdrawals?", Why},
		{"comment les pirates ont pu entrer dans le réseau ?", Why},
		{"Que faire si j'ai reçu un faux SMS ?", Advice},
		{"g reçu un sms bizarre, je fais quoi ?", Advice},
		{"Comment se protéger des arnaques au président ?", Advice},
		{"What should owners of old routers do?", Advice},
		{"how can crypto holders protect themselves?", Advice},
		{"Quelles versions sont corrigées ?", List},
		{"quels services de la mairie ont été coupés ?", List},
		{"Quelle CVE a été exploitée ?", Identifier},
		{"What are the CVE IDs of the flaws?", Identifier},
		{"c'est quoi le quishing ?", Describe},
		{"What is GLOWCAP?", Describe},
		// "ou" as "or" is not "où".
		{"le groupe a-t-il payé ou refusé ?", Describe},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			t.Parallel()
			if got := Analyze(tt.q).Type; got != tt.want {
				t.Errorf("Analyze(%q).Type = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestAnalyzeFocusAndNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		q         string
		lang      string
		focus     []string
		names     []string
		multi     bool
		wantTerms []string // some of the terms
	}{
		{"Quelle technique le kit Ombra2FA utilise ?", "fr", []string{"techniqu"}, []string{"Ombra2FA"}, false, []string{"kit", "ombra2fa"}},
		{"Which version of the Logisanté software was trojanized?", "en", []string{"version"}, []string{"Logisanté"}, false, []string{"softwar"}},
		{"Combien de salariés sont au chômage partiel ?", "fr", []string{"salar"}, nil, false, []string{"chomag"}},
		{"quel est le nom du RSSI de la polyclinique ?", "fr", []string{"nom"}, []string{"RSSI"}, false, []string{"polyclin"}},
		{"Pourquoi la CNIL a sanctionné Livrezo ?", "fr", nil, []string{"CNIL", "Livrezo"}, true, []string{"sanction"}},
		{"c'est quoi l'histoire de la fuite chez France Travail ?", "fr", nil, []string{"France Travail"}, false, []string{"fuit"}},
		{"que dit l'AI Act sur les deepfakes ?", "fr", nil, []string{"AI Act"}, false, nil},
		{"What are the CVE IDs of the Ivanti Connect Secure flaws?", "en", []string{"id"}, []string{"CVE ID", "Ivanti Connect Secure"}, false, nil},
		{"who found the bug in Arvelle Banque's API?", "en", nil, []string{"Arvelle Banque", "API"}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			t.Parallel()
			a := Analyze(tt.q)
			if a.Lang != tt.lang {
				t.Errorf("Lang = %q, want %q", a.Lang, tt.lang)
			}
			if diff := cmp.Diff(tt.focus, a.Focus); diff != "" {
				t.Errorf("Focus (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.names, a.Names); diff != "" {
				t.Errorf("Names (-want +got):\n%s", diff)
			}
			if a.Type.Multi() != tt.multi {
				t.Errorf("Type %v: Multi() = %v, want %v", a.Type, a.Type.Multi(), tt.multi)
			}
			for _, w := range tt.wantTerms {
				if !slices.Contains(a.Terms, w) {
					t.Errorf("Terms %v lack %q", a.Terms, w)
				}
			}
		})
	}
}

// FuzzAnalyze checks that any question is read without panicking, into a
// known type, with focus terms drawn from its own terms' analysis.
func FuzzAnalyze(f *testing.F) {
	for _, q := range []string{"Qui a revendiqué l'attaque ?", "which CVEs were fixed?", "où ?", "l'AI Act", "IDs's", "’", ""} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		a := Analyze(q)
		if a.Type.String() == "unknown" {
			t.Errorf("Analyze(%q).Type = %d", q, a.Type)
		}
		for _, n := range a.Names {
			if n == "" {
				t.Errorf("Analyze(%q): empty name in %q", q, a.Names)
			}
		}
	})
}

func BenchmarkAnalyze(b *testing.B) {
	for b.Loop() {
		Analyze("Quelles versions de PAN-OS corrigent la CVE-2026-0417 exploitée depuis avril ?")
	}
}
