package lexicon

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestData parses the shipped file strictly: a malformed line, an empty
// side or a repeated headword fails here rather than being dropped
// silently by Default.
func TestData(t *testing.T) {
	t.Parallel()
	l, err := Parse(strings.NewReader(data))
	if err != nil {
		t.Fatalf("en_fr.tsv:\n%v", err)
	}
	if got, min := l.Len(), 3000; got < min {
		t.Errorf("Len() = %d headwords, want at least %d", got, min)
	}
	if got, want := Default().Len(), l.Len(); got != want {
		t.Errorf("Default().Len() = %d, want %d", got, want)
	}
	for k, fr := range l.fr {
		if len(fr) == 0 {
			t.Errorf("headword %q has no French", k)
		}
		for _, f := range fr {
			if f != strings.ToLower(f) {
				t.Errorf("headword %q: French %q is not lower case", k, f)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantErr string // substring of the error; "" for none
		wantLen int
	}{
		{"comments and blank lines", "# c\n\n  \nhack\tpiratage\n", "", 1},
		{"windows line ends", "hack\tpiratage\r\nleak\tfuite\r\n", "", 2},
		{"no tab", "hack piratage\n", "line 1: no tab", 0},
		{"two tabs", "hack\tpiratage\tx\n", "line 1: more than one tab", 0},
		{"empty English", "\tpiratage\n", "empty English", 0},
		{"empty French", "hack\t\n", "empty French", 0},
		{"empty alternative", "hack\tpiratage||attaque\n", "empty French", 0},
		{"trailing bar", "hack\tpiratage|\n", "empty French", 0},
		{"upper case English", "Hack\tpiratage\n", "not lower case", 0},
		{"stray space", "hack \tpiratage\n", "stray spaces", 0},
		{"French stray space", "hack\tpiratage | attaque\n", "stray spaces", 0},
		{"too long", "one two three four\tx\n", "longer than 3 words", 0},
		{"hyphen counts as a space", "man-in-the-middle\tx\n", "longer than 3 words", 0},
		{"repeated rendering", "hack\tpiratage|piratage\n", "repeated", 0},
		{"punctuation only", "?\tx\n", "no word", 0},
		{"duplicate headword", "hack\tpiratage\nleak\tfuite\nhack\tattaque\n", "line 3: headword \"hack\" already defined on line 1", 2},
		{"duplicate after folding", "e-mail\tcourriel\ne mail\tmail\n", "already defined", 1},
		{"good lines kept around a bad one", "hack\tpiratage\nbad\nleak\tfuite\n", "line 2", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := Parse(strings.NewReader(tt.in))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Parse: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Parse error = %v, want one containing %q", err, tt.wantErr)
			}
			if got := l.Len(); got != tt.wantLen {
				t.Errorf("Len() = %d, want %d", got, tt.wantLen)
			}
		})
	}
}

func TestDuplicateMerged(t *testing.T) {
	t.Parallel()
	l, _ := Parse(strings.NewReader("hack\tpiratage\nhack\tattaque|piratage\n"))
	if diff := cmp.Diff([]string{"piratage", "attaque"}, l.French("hack")); diff != "" {
		t.Errorf("French(hack) (-want +got):\n%s", diff)
	}
}

func TestFrench(t *testing.T) {
	t.Parallel()
	l := Default()
	tests := []struct {
		english string
		want    string // one rendering that must be listed
	}{
		{"breach", "fuite"},
		{"breach", "violation"},
		{"ransomware", "rançongiciel"},
		{"takedown", "démantèlement"},
		{"fine", "amende"},
		{"flaw", "faille"},
		{"vulnerability", "vulnérabilité"},
		{"patch", "correctif"},
		{"hacker", "pirate"},
		{"attacker", "assaillant"},
		{"phishing", "hameçonnage"},
		{"malware", "logiciel malveillant"},
		{"arrested", "interpellé"},
		{"claimed", "revendiqué"},
		{"stolen", "dérobé"},
		{"stole", "volé"},
		{"ransom", "rançon"},
		{"company", "entreprise"},
		{"town", "commune"},
		{"mayor", "maire"},
		{"hospital", "hôpital"},
		{"prosecutor", "parquet"},
		{"investigation", "enquête"},
		{"employees", "salariés"},
		{"phone number", "numéro de téléphone"},
		{"password", "mot de passe"},
		{"deadline", "échéance"},
		{"compliance", "conformité"},
		{"billion", "milliard"},
		{"year", "année"},
		{"wednesday", "mercredi"},
		{"december", "décembre"},
		{"yesterday", "hier"},
		{"how many", "combien"},
		{"where", "où"},
		{"advise", "recommander"},
		{"encrypt", "chiffrer"},
		{"disrupt", "perturber"},
		{"germany", "allemagne"},
		{"north korean", "nord-coréen"},
		{"paid", "payé"},
		{"affected", "touché"},
		// Lookups fold case, accents, hyphens and spacing.
		{"Ransomware", "rançongiciel"},
		{"  PHISHING ", "hameçonnage"},
		{"North-Korean", "nord-coréen"},
		{"phone   number", "numéro de téléphone"},
		{"breach?", "fuite"},
		{"company's", "entreprise"},
		{"hackers'", "pirates"},
	}
	for _, tt := range tests {
		t.Run(tt.english+"→"+tt.want, func(t *testing.T) {
			t.Parallel()
			got := l.French(tt.english)
			if !slices.Contains(got, tt.want) {
				t.Errorf("French(%q) = %q, want it to list %q", tt.english, got, tt.want)
			}
		})
	}
}

func TestFrenchMissing(t *testing.T) {
	t.Parallel()
	l := Default()
	for _, s := range []string{"", "   ", "?!", "xyzzyplugh", "the"} {
		if got := l.French(s); got != nil {
			t.Errorf("French(%q) = %q, want nil", s, got)
		}
	}
}

func TestFrenchIsACopy(t *testing.T) {
	t.Parallel()
	l, err := Parse(strings.NewReader("leak\tfuite\n"))
	if err != nil {
		t.Fatal(err)
	}
	l.French("leak")[0] = "changed"
	if got := l.French("leak"); got[0] != "fuite" {
		t.Errorf("after changing a returned slice, French(leak) = %q", got)
	}
}

func TestEnglish(t *testing.T) {
	t.Parallel()
	l := Default()
	tests := []struct {
		french string
		want   string // one headword that must be listed
	}{
		{"rançongiciel", "ransomware"},
		{"fuite", "leak"},
		{"fuite", "breach"},
		{"démantèlement", "takedown"},
		{"amende", "fine"},
		{"procureur", "prosecutor"},
		{"mot de passe", "password"},
		{"allemagne", "germany"},
		{"interpellé", "arrested"},
		// Accent- and case-insensitive, elisions dropped.
		{"rancongiciel", "ransomware"},
		{"Hôpital", "hospital"},
		{"HOPITAL", "hospital"},
		{"securite", "security"},
		{"nord coreen", "north korean"},
		{"l'entreprise", "company"},
		{"l’enquête", "investigation"},
		{"d'hameçonnage", "phishing"},
	}
	for _, tt := range tests {
		t.Run(tt.french+"→"+tt.want, func(t *testing.T) {
			t.Parallel()
			got := l.English(tt.french)
			if !slices.Contains(got, tt.want) {
				t.Errorf("English(%q) = %q, want it to list %q", tt.french, got, tt.want)
			}
		})
	}
	if got := l.English("zzzz"); got != nil {
		t.Errorf("English(zzzz) = %q, want nil", got)
	}
}

func TestMatches(t *testing.T) {
	t.Parallel()
	l, err := Parse(strings.NewReader(strings.Join([]string{
		"phone\ttéléphone",
		"phone number\tnuméro de téléphone",
		"number\tnuméro",
		"denial of service\tdéni de service",
		"service\tservice",
		"north korean\tnord-coréen",
		"hackers\tpirates",
		"stole\tvolé",
	}, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		tokens []string
		want   []Match
	}{
		{"empty", nil, nil},
		{"nothing known", []string{"the", "cat"}, nil},
		{"longest first", []string{"phone", "number"}, []Match{
			{0, 2, "phone number", []string{"numéro de téléphone"}},
		}},
		{"three words", []string{"a", "Denial", "of", "Service"}, []Match{
			{1, 4, "denial of service", []string{"déni de service"}},
		}},
		{"falls back to shorter", []string{"phone", "service"}, []Match{
			{0, 1, "phone", []string{"téléphone"}},
			{1, 2, "service", []string{"service"}},
		}},
		{"punctuation breaks a phrase", []string{"phone", ",", "number"}, []Match{
			{0, 1, "phone", []string{"téléphone"}},
			{2, 3, "number", []string{"numéro"}},
		}},
		{"hyphenated token", []string{"North-Korean", "hackers", "stole"}, []Match{
			{0, 1, "north korean", []string{"nord-coréen"}},
			{1, 2, "hackers", []string{"pirates"}},
			{2, 3, "stole", []string{"volé"}},
		}},
		{"split phrase", []string{"north", "korean", "hackers'"}, []Match{
			{0, 2, "north korean", []string{"nord-coréen"}},
			{2, 3, "hackers", []string{"pirates"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, l.Matches(tt.tokens)); diff != "" {
				t.Errorf("Matches(%q) (-want +got):\n%s", tt.tokens, diff)
			}
		})
	}
}

func TestTranslate(t *testing.T) {
	t.Parallel()
	l := Default()
	tests := []struct {
		question string
		want     []string // renderings that must all be present
	}{
		{"Which hospital was hit by ransomware?", []string{"hôpital", "rançongiciel", "touché"}},
		{"How many customers had their phone number leaked", []string{"combien", "clients", "numéro de téléphone", "divulgué"}},
		{"When were the North Korean hackers arrested", []string{"quand", "nord-coréen", "pirates", "interpellé"}},
		{"What fine did the regulator impose on the company", []string{"amende", "régulateur", "imposer", "entreprise"}},
		{"Who claimed the DDoS attack on the town hall", []string{"qui", "revendiqué", "attaque ddos", "mairie"}},
	}
	for _, tt := range tests {
		t.Run(tt.question, func(t *testing.T) {
			t.Parallel()
			got := l.Translate(strings.FieldsFunc(tt.question, func(r rune) bool { return r == ' ' || r == '?' }))
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("Translate(%q) = %q, want it to contain %q", tt.question, got, w)
				}
			}
			seen := map[string]bool{}
			for _, f := range got {
				if seen[f] {
					t.Errorf("Translate(%q) repeats %q", tt.question, f)
				}
				seen[f] = true
			}
		})
	}
}

func BenchmarkFrench(b *testing.B) {
	l := Default()
	words := []string{"ransomware", "Hospital", "phone number", "north-korean", "xyzzy"}
	b.ReportAllocs()
	for b.Loop() {
		for _, w := range words {
			l.French(w)
		}
	}
}

func BenchmarkTranslate(b *testing.B) {
	l := Default()
	tokens := strings.Fields("how many customers of the French hospital had their phone number leaked after the ransomware attack")
	b.ReportAllocs()
	for b.Loop() {
		l.Translate(tokens)
	}
}
