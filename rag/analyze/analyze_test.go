package analyze

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestTerms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		lang string
		want []string
	}{
		{"empty", "", "", nil},
		{"punctuation only", " ,;: — « » ... ", "fr", nil},
		{"lower-cased and stemmed", "Les Pirates INFORMATIQUES", "fr", []string{"pirat", "informat"}},
		{"accents folded after stemming", "été élysée Ça où là-bas", "fr", []string{"elys", "bas"}},
		{"ligatures", "cœur Œuvre ægide Straße", "fr", []string{"coeur", "oeuvr", "aegid", "strass"}},
		{"elision straight apostrophe", "l'école d'équitation", "fr", []string{"ecol", "equit"}},
		{"elision typographic apostrophes", "l’école d‘équitation jʼai", "fr", []string{"ecol", "equit"}},
		{"long elisions", "jusqu'à lorsqu'il puisqu'elle quoiqu'on qu'importe", "fr", []string{"import"}},
		{"elision on each pronoun", "m'a t'a s'est n'est c'est", "fr", nil},
		{"aujourd'hui is a stop word", "aujourd'hui", "fr", nil},
		{"french stop words", "le la les de des du et est dans pour qui que quel", "fr", nil},
		{"english stop words", "the of and is was what which who", "en", nil},
		{"english stemming", "running attacks were launched", "en", []string{"run", "attack", "launch"}},
		{"english possessive", "Palo Alto's firewall", "en", []string{"palo", "alto", "firewal"}},
		{"cve kept whole", "CVE-2024-3400", "en", []string{"cve-2024-3400"}},
		{"dollar kept", "Lapsus$ a frappé", "fr", []string{"lapsus$", "frapp"}},
		{"digits inside", "Log4Shell Log4j APT28 covid19", "en", []string{"log4shell", "log4j", "apt28", "covid19"}},
		{"mixed case", "BlackCat iOS LockBit", "en", []string{"blackcat", "ios", "lockbit"}},
		{"attack technique", "T1059.001", "en", []string{"t1059.001"}},
		{"ip address", "from 10.0.0.1.", "en", []string{"10.0.0.1"}},
		{"version", "v1.2.3 released", "en", []string{"v1.2.3", "releas"}},
		{"underscore", "my_tool", "en", []string{"my_tool"}},
		{"numbers kept", "3 morts et 2,5 millions en 2019", "fr", []string{"3", "mort", "2,5", "million", "2019"}},
		{"one letter dropped", "x y z a", "en", nil},
		{"hyphenated words split", "Saint-Étienne", "fr", []string{"saint", "etien"}},
		{"inverted question", "a-t-il battu", "fr", []string{"battu"}},
		{"sentence end not an identifier", "fin. Alors", "fr", []string{"fin"}},
		{"decimal point only between digits", "Rome.Paris", "fr", []string{"rom", "paris"}},
		{"lang region ignored", "attacks", "en-US", []string{"attack"}},
		{"detects english", "What were the attacks of the group?", "", []string{"attack", "group"}},
		{"detects french", "Quelles ont été les attaques du groupe ?", "", []string{"attaqu", "group"}},
		{"unsure defaults to french", "attaques", "", []string{"attaqu"}},
		{"invalid utf-8 dropped", "caf\xe9 bar", "fr", []string{"caf", "bar"}},
		{"too long token dropped", strings.Repeat("a", maxTokenBytes+1) + " mot", "fr", []string{"mot"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Terms(tt.text, tt.lang)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Terms(%q, %q) (-want +got):\n%s", tt.text, tt.lang, diff)
			}
		})
	}
}

// TestTermsSeed checks whole sentences like those of the bundled articles.
func TestTermsSeed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want []string
	}{
		{
			"lapsus",
			"L’un des mineurs serait également le cerveau du groupe de pirates informatiques Lapsus$",
			[]string{"mineur", "egal", "cerveau", "group", "pirat", "informat", "lapsus$"},
		},
		{
			"question with elisions",
			"Où est située l'école nationale d'équitation ?",
			[]string{"situ", "ecol", "national", "equit"},
		},
		{
			"palo alto",
			"Palo Alto Networks warns that CVE-2024-3400 in PAN-OS is exploited by UTA0218.",
			[]string{"palo", "alto", "network", "warn", "cve-2024-3400", "pan", "os", "exploit", "uta0218"},
		},
		{
			"log4shell",
			"La faille Log4Shell (CVE-2021-44228) touche la bibliothèque Log4j d’Apache.",
			[]string{"faill", "log4shell", "cve-2021-44228", "touch", "bibliothequ", "log4j", "apach"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Terms(tt.text, "")); diff != "" {
				t.Errorf("Terms(%q) (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestTokensSpans(t *testing.T) {
	t.Parallel()
	text := "L’État a payé Lapsus$ à l'aube."
	want := []Token{
		{Term: "etat", Start: 4, End: 9},
		{Term: "pai", Start: 12, End: 17},
		{Term: "lapsus$", Start: 18, End: 25},
		{Term: "aub", Start: 31, End: 35},
	}
	got := Tokens(text, "fr")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Tokens(%q) (-want +got):\n%s", text, diff)
	}
	for _, tok := range got {
		t.Logf("%q → %q", text[tok.Start:tok.End], tok.Term)
	}
}

func TestTermsMatchTokens(t *testing.T) {
	t.Parallel()
	text := "Le groupe APT28, lié au GRU, a exploité CVE-2023-23397 d'Outlook."
	terms := Terms(text, "")
	toks := Tokens(text, "")
	if len(terms) != len(toks) {
		t.Fatalf("Terms gave %d terms, Tokens %d", len(terms), len(toks))
	}
	for i := range terms {
		if terms[i] != toks[i].Term {
			t.Errorf("term %d: Terms %q, Tokens %q", i, terms[i], toks[i].Term)
		}
	}
}

func TestFold(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"abc", "abc"},
		{"ÉLYSÉE", "elysee"},
		{"œuvre Æ ß", "oeuvre ae ss"},
		{"naïve façade", "naive facade"},
		{"l’aube ‘x’ ʼy", "l'aube 'x' 'y"},
		{"ﬁn²", "fin2"},
		{"Ødegaard Łódź", "odegaard lodz"},
		{"e\u0301te\u0301", "ete"},
		{"bad\xffbyte", "badbyte"},
		// French and English news text, as the digest's topic filters, its
		// chrome detection and the citation checker fold it.
		{"Rançongiciels : l’ANSSI alerte", "rancongiciels : l'anssi alerte"},
		{"Mis à jour le 3 déc. — Élisabeth Borne", "mis a jour le 3 dec. — elisabeth borne"},
		{"Image\u00a0: AFP", "image : afp"},
		{"Crédit\u202f: Reuters…", "credit : reuters..."},
		{"Cœur, sœur, Noël, où, Zürich", "coeur, soeur, noel, ou, zurich"},
		{"Ransomware hits café’s POS – again", "ransomware hits cafe's pos - again"},
		{"Straße, Øresund, Đoković, Þór", "strasse, oresund, dokovic, thor"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := Fold(tt.in); got != tt.want {
				t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDetectLang(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, text, want string }{
		{"empty", "", ""},
		{"identifier", "CVE-2024-3400", ""},
		{"french question", "Où est située l'école nationale d'équitation ?", "fr"},
		{"french no stop word but accents", "Pénurie sévère", "fr"},
		{"english question", "What is the name of the group that attacked Uber?", "en"},
		{"french article", "Le ministre de l'Intérieur a comparé la carrière du leader de la France Insoumise.", "fr"},
		{"english article", "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy.", "en"},
		{"lone ambiguous word", "Paris", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := DetectLang(tt.text); got != tt.want {
				t.Errorf("DetectLang(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestStopListSizes(t *testing.T) {
	t.Parallel()
	if n := len(frenchStop); n < 150 {
		t.Errorf("French stop list has %d words, want at least 150", n)
	}
	if n := len(englishStop); n < 120 {
		t.Errorf("English stop list has %d words, want at least 120", n)
	}
	for w := range frenchStop {
		if Fold(w) != w {
			t.Errorf("French stop word %q is not folded", w)
		}
	}
}

func FuzzTokens(f *testing.F) {
	for _, s := range []string{
		"L’un des mineurs serait également le cerveau du groupe Lapsus$",
		"CVE-2024-3400 T1059.001 10.0.0.1 v1.2.3 a-t-il jusqu'à",
		"caf\xe9 \u0301 ’’ '' -- __ $$ 1,2,3 ..",
		"ﬁ² ǅ İ ẞ",
	} {
		f.Add(s, "")
		f.Add(s, "en")
	}
	f.Fuzz(func(t *testing.T, text, lang string) {
		toks := Tokens(text, lang)
		for _, tok := range toks {
			if tok.Start < 0 || tok.End > len(text) || tok.Start >= tok.End {
				t.Fatalf("span [%d,%d) out of bounds of %d bytes", tok.Start, tok.End, len(text))
			}
			if tok.Term == "" || !utf8.ValidString(tok.Term) {
				t.Fatalf("bad term %q", tok.Term)
			}
		}
		if terms := Terms(text, lang); len(terms) != len(toks) {
			t.Fatalf("Terms gave %d terms, Tokens %d", len(terms), len(toks))
		}
	})
}

const benchText = `Le ministre de l'Intérieur a comparé la carrière du leader de la France Insoumise à celle du président algérien, qui a fait savoir qu'il renonçait à un éventuel cinquième mandat. Le renoncement d'Abdelaziz Bouteflika à briguer un nouveau mandat à la tête de l'Algérie a entraîné son flot de réactions et causé quelques disputes, y compris en France. L’un des mineurs serait également le cerveau du groupe de pirates informatiques Lapsus$, selon des chercheurs qui ont suivi CVE-2024-3400 et Log4Shell depuis 2021.`

func BenchmarkTerms(b *testing.B) {
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		Terms(benchText, "")
	}
}
