package when

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// now is Wednesday 18 March 2026, 23:30 UTC: already Thursday 19 March in
// Paris, still Wednesday evening in New York, so the two disagree on today.
var now = time.Date(2026, 3, 18, 23, 30, 0, 0, time.UTC)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s: %v", name, err)
	}
	return loc
}

func TestParse(t *testing.T) {
	t.Parallel()
	paris := mustLoad(t, "Europe/Paris")
	ny := mustLoad(t, "America/New_York")
	day := func(loc *time.Location) func(y int, m time.Month, d int) time.Time {
		return func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, loc) }
	}
	p, n := day(paris), day(ny)
	span := func(a, b time.Time) Range { return Range{Since: a, Until: b} }
	since := func(a time.Time) Range { return Range{Since: a} }
	until := func(b time.Time) Range { return Range{Until: b} }

	tests := []struct {
		name string
		loc  *time.Location
		expr string // put in "Lapsus$ <expr> ?", which must come back as "Lapsus$ ?"
		want Range
	}{
		// French, Paris: today is Thursday 19 March 2026, the week began on 16 March.
		{"aujourd'hui", paris, "aujourd'hui", span(p(2026, 3, 19), p(2026, 3, 20))},
		{"aujourd’hui typographic apostrophe", paris, "aujourd’hui", span(p(2026, 3, 19), p(2026, 3, 20))},
		{"AUJOURD'HUI upper case", paris, "AUJOURD'HUI", span(p(2026, 3, 19), p(2026, 3, 20))},
		{"hier", paris, "hier", span(p(2026, 3, 18), p(2026, 3, 19))},
		{"avant-hier", paris, "avant-hier", span(p(2026, 3, 17), p(2026, 3, 18))},
		{"avant hier without hyphen", paris, "avant hier", span(p(2026, 3, 17), p(2026, 3, 18))},
		{"cette semaine", paris, "cette semaine", span(p(2026, 3, 16), p(2026, 3, 23))},
		{"la semaine dernière", paris, "la semaine dernière", span(p(2026, 3, 9), p(2026, 3, 16))},
		{"la semaine passée", paris, "la semaine passée", span(p(2026, 3, 9), p(2026, 3, 16))},
		{"semaine derniere without accent", paris, "semaine derniere", span(p(2026, 3, 9), p(2026, 3, 16))},
		{"ce mois-ci crosses DST", paris, "ce mois-ci", span(p(2026, 3, 1), p(2026, 4, 1))},
		{"ce mois", paris, "ce mois", span(p(2026, 3, 1), p(2026, 4, 1))},
		{"le mois dernier", paris, "le mois dernier", span(p(2026, 2, 1), p(2026, 3, 1))},
		{"le mois passé", paris, "le mois passé", span(p(2026, 2, 1), p(2026, 3, 1))},
		{"cette année", paris, "cette année", span(p(2026, 1, 1), p(2027, 1, 1))},
		{"l'année dernière", paris, "l'année dernière", span(p(2025, 1, 1), p(2026, 1, 1))},
		{"l’année passée", paris, "l’année passée", span(p(2025, 1, 1), p(2026, 1, 1))},
		{"l'an dernier", paris, "l'an dernier", span(p(2025, 1, 1), p(2026, 1, 1))},
		{"en 2020", paris, "en 2020", span(p(2020, 1, 1), p(2021, 1, 1))},
		{"pendant 2020", paris, "pendant 2020", span(p(2020, 1, 1), p(2021, 1, 1))},
		{"en mars 2021", paris, "en mars 2021", span(p(2021, 3, 1), p(2021, 4, 1))},
		{"EN FÉVRIER upper case accent", paris, "EN FÉVRIER", span(p(2026, 2, 1), p(2026, 3, 1))},
		{"en mars is this March", paris, "en mars", span(p(2026, 3, 1), p(2026, 4, 1))},
		{"en mai is last May", paris, "en mai", span(p(2025, 5, 1), p(2025, 6, 1))},
		{"en mars dernier is last year's", paris, "en mars dernier", span(p(2025, 3, 1), p(2025, 4, 1))},
		{"en août 2023", paris, "en août 2023", span(p(2023, 8, 1), p(2023, 9, 1))},
		{"au mois de mars 2021", paris, "au mois de mars 2021", span(p(2021, 3, 1), p(2021, 4, 1))},
		{"depuis mars", paris, "depuis mars", since(p(2026, 3, 1))},
		{"depuis 2019", paris, "depuis 2019", since(p(2019, 1, 1))},
		{"depuis le 3 mars", paris, "depuis le 3 mars", since(p(2026, 3, 3))},
		{"depuis le 1er avril is last year's", paris, "depuis le 1er avril", since(p(2025, 4, 1))},
		{"depuis le 3 mars 2024", paris, "depuis le 3 mars 2024", since(p(2024, 3, 3))},
		{"depuis le 03/03/2024", paris, "depuis le 03/03/2024", since(p(2024, 3, 3))},
		{"depuis le 3/4/24 day first", paris, "depuis le 3/4/24", since(p(2024, 4, 3))},
		{"depuis le 2024-03-03", paris, "depuis le 2024-03-03", since(p(2024, 3, 3))},
		{"à partir de 2019", paris, "à partir de 2019", since(p(2019, 1, 1))},
		{"depuis une semaine", paris, "depuis une semaine", since(p(2026, 3, 12))},
		{"depuis 3 jours", paris, "depuis 3 jours", since(p(2026, 3, 16))},
		{"depuis deux mois", paris, "depuis deux mois", since(p(2026, 1, 19))},
		{"depuis un an", paris, "depuis un an", since(p(2025, 3, 19))},
		{"depuis hier", paris, "depuis hier", since(p(2026, 3, 18))},
		{"depuis la semaine dernière", paris, "depuis la semaine dernière", since(p(2026, 3, 9))},
		{"depuis 24h", paris, "depuis 24h", since(now.Add(-24 * time.Hour))},
		{"ces 7 derniers jours", paris, "ces 7 derniers jours", since(p(2026, 3, 12))},
		{"les sept derniers jours", paris, "les sept derniers jours", since(p(2026, 3, 12))},
		{"les dernières 24 heures", paris, "les dernières 24 heures", since(now.Add(-24 * time.Hour))},
		{"les 24 dernières heures", paris, "les 24 dernières heures", since(now.Add(-24 * time.Hour))},
		{"au cours des trois derniers mois", paris, "au cours des trois derniers mois", since(p(2025, 12, 19))},
		{"la dernière semaine", paris, "la dernière semaine", since(p(2026, 3, 12))},
		{"avant 2020", paris, "avant 2020", until(p(2020, 1, 1))},
		{"avant le 3 mars 2024", paris, "avant le 3 mars 2024", until(p(2024, 3, 3))},
		{"après 2020", paris, "après 2020", since(p(2021, 1, 1))},
		{"jusqu'en 2019", paris, "jusqu'en 2019", until(p(2020, 1, 1))},
		{"entre 2019 et 2021", paris, "entre 2019 et 2021", span(p(2019, 1, 1), p(2022, 1, 1))},
		{"entre 2021 et 2019 reversed", paris, "entre 2021 et 2019", span(p(2019, 1, 1), p(2022, 1, 1))},
		{"entre mars et mai 2021 shares the year", paris, "entre mars et mai 2021", span(p(2021, 3, 1), p(2021, 6, 1))},
		{"du 3 mars au 10 avril 2024", paris, "du 3 mars au 10 avril 2024", span(p(2024, 3, 3), p(2024, 4, 11))},
		{"de 2019 à 2021", paris, "de 2019 à 2021", span(p(2019, 1, 1), p(2022, 1, 1))},
		{"le 3 mars", paris, "le 3 mars", span(p(2026, 3, 3), p(2026, 3, 4))},
		{"le 29 février is the last leap day", paris, "le 29 février", span(p(2024, 2, 29), p(2024, 3, 1))},
		{"3 mars 2024 without le", paris, "3 mars 2024", span(p(2024, 3, 3), p(2024, 3, 4))},
		{"ISO date alone", paris, "2024-03-03", span(p(2024, 3, 3), p(2024, 3, 4))},

		// English, Paris.
		{"today", paris, "today", span(p(2026, 3, 19), p(2026, 3, 20))},
		{"yesterday", paris, "yesterday", span(p(2026, 3, 18), p(2026, 3, 19))},
		{"the day before yesterday", paris, "the day before yesterday", span(p(2026, 3, 17), p(2026, 3, 18))},
		{"this week", paris, "this week", span(p(2026, 3, 16), p(2026, 3, 23))},
		{"last week", paris, "last week", span(p(2026, 3, 9), p(2026, 3, 16))},
		{"this month", paris, "this month", span(p(2026, 3, 1), p(2026, 4, 1))},
		{"last month", paris, "last month", span(p(2026, 2, 1), p(2026, 3, 1))},
		{"this year", paris, "this year", span(p(2026, 1, 1), p(2027, 1, 1))},
		{"last year", paris, "last year", span(p(2025, 1, 1), p(2026, 1, 1))},
		{"in 2020", paris, "in 2020", span(p(2020, 1, 1), p(2021, 1, 1))},
		{"during 2020", paris, "during 2020", span(p(2020, 1, 1), p(2021, 1, 1))},
		{"in March 2021", paris, "in March 2021", span(p(2021, 3, 1), p(2021, 4, 1))},
		{"in May is last May", paris, "in May", span(p(2025, 5, 1), p(2025, 6, 1))},
		{"last March is last year's", paris, "last March", span(p(2025, 3, 1), p(2025, 4, 1))},
		{"since March", paris, "since March", since(p(2026, 3, 1))},
		{"since 2019", paris, "since 2019", since(p(2019, 1, 1))},
		{"since March 3", paris, "since March 3", since(p(2026, 3, 3))},
		{"since the 3rd of March 2024", paris, "since the 3rd of March 2024", since(p(2024, 3, 3))},
		{"since last week", paris, "since last week", since(p(2026, 3, 9))},
		{"since yesterday", paris, "since yesterday", since(p(2026, 3, 18))},
		{"in the last 3 days", paris, "in the last 3 days", since(p(2026, 3, 16))},
		{"in the past two weeks", paris, "in the past two weeks", since(p(2026, 3, 5))},
		{"over the past week", paris, "over the past week", since(p(2026, 3, 12))},
		{"past month", paris, "past month", since(p(2026, 2, 19))},
		{"the last 24 hours", paris, "the last 24 hours", since(now.Add(-24 * time.Hour))},
		{"last 24h", paris, "last 24h", since(now.Add(-24 * time.Hour))},
		{"before 2020", paris, "before 2020", until(p(2020, 1, 1))},
		{"after March 2021", paris, "after March 2021", since(p(2021, 4, 1))},
		{"until 2019", paris, "until 2019", until(p(2020, 1, 1))},
		{"between 2019 and 2021", paris, "between 2019 and 2021", span(p(2019, 1, 1), p(2022, 1, 1))},
		{"from 2019 to 2021", paris, "from 2019 to 2021", span(p(2019, 1, 1), p(2022, 1, 1))},
		{"on March 3, 2024", paris, "on March 3, 2024", span(p(2024, 3, 3), p(2024, 3, 4))},

		// New York: still Wednesday 18 March, 19:30.
		{"today in New York", ny, "today", span(n(2026, 3, 18), n(2026, 3, 19))},
		{"hier in New York", ny, "hier", span(n(2026, 3, 17), n(2026, 3, 18))},
		{"this week in New York", ny, "this week", span(n(2026, 3, 16), n(2026, 3, 23))},
		{"last month in New York", ny, "last month", span(n(2026, 2, 1), n(2026, 3, 1))},
		{"since 2019 in New York", ny, "since 2019", since(n(2019, 1, 1))},
		{"in the last 3 days in New York", ny, "in the last 3 days", since(n(2026, 3, 15))},
		{"les dernières 24 heures in New York", ny, "les dernières 24 heures", since(now.Add(-24 * time.Hour))},
		{"nil location is UTC", nil, "today", span(time.Date(2026, 3, 18, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 19, 0, 0, 0, 0, time.UTC))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := "Lapsus$ " + tt.expr + " ?"
			got, rest, ok := Parse(q, now, tt.loc)
			if !ok {
				t.Fatalf("Parse(%q) found nothing", q)
			}
			got.Absolute = false // TestParseAbsolute
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) range (-want +got):\n%s", q, diff)
			}
			if rest != "Lapsus$ ?" {
				t.Errorf("Parse(%q) rest = %q, want %q", q, rest, "Lapsus$ ?")
			}
		})
	}
}

func TestParseNothing(t *testing.T) {
	t.Parallel()
	for _, q := range []string{
		"",
		"Qu'est-ce que Lapsus$ ?",
		"La CVE-2020-1234 est-elle exploitée ?",
		"Qui utilise encore Windows 2000 Server ?",
		"Qu'a fait Lapsus$ 2020 ?",
		"La mission vers Mars a-t-elle décollé ?",
		"Les images de Mars prises par Perseverance",
		"Que s'est-il passé en 1850 ?",
		"Le chantier s'est fait en 12 jours",
		"Who is the last person to leave?",
		"de 3 à 5 morts",
		"depuis le 31 février",
		"Combien d'attaques en 2020-2021 ?",
		"What did the 2000 employees say?",
		"May I ask about Pegasus?",
		"Où Napoléon III se tient-il le 14 août 1859 ?",
		"Que raconte le film Les derniers jours de Pompéi ?",
		"Qui a été arrêté le dernier jour du procès ?",
		"La grève a duré pendant 3 jours",
	} {
		t.Run(q, func(t *testing.T) {
			t.Parallel()
			r, rest, ok := Parse(q, now, time.UTC)
			if ok || rest != q || r != (Range{}) {
				t.Errorf("Parse(%q) = %+v, %q, %v; want nothing", q, r, rest, ok)
			}
		})
	}
}

// An expression that writes its year names when an event happened; one
// relative to today names a span of recent news.
func TestParseAbsolute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		q    string
		want bool
	}{
		{"Qui était le maire de Shanghai en 2010 ?", true},
		{"Quelle entreprise la CNIL a-t-elle sanctionnée en mars 2024 ?", true},
		{"Which botnet was taken down in April 2025?", true},
		{"Qui a piraté Nvidia le 3 mars 2022 ?", true},
		{"Qu'est-ce qui a été piraté entre janvier et juin 2026 ?", true},
		{"Qui a piraté Nvidia depuis 2019 ?", true},
		{"Qui a piraté Nvidia avant 2021 ?", true},
		{"Quelle société a été chiffrée hier ?", false},
		{"What was hacked last week?", false},
		{"Qui a été sanctionné en mars ?", false},
		{"Qui a été piraté le 3 mars ?", false},
		{"Quoi de neuf depuis 3 jours ?", false},
		{"Qu'est-ce qui a été piraté entre janvier et juin ?", false},
	}
	for _, tt := range tests {
		r, _, ok := Parse(tt.q, now, time.UTC)
		if !ok || r.Absolute != tt.want {
			t.Errorf("Parse(%q) = %+v, %v; want Absolute %v", tt.q, r, ok, tt.want)
		}
	}
}

func TestParseWeekStartsOnMonday(t *testing.T) {
	t.Parallel()
	paris := mustLoad(t, "Europe/Paris")
	monday := time.Date(2026, 3, 16, 0, 0, 0, 0, paris)
	for _, now := range []time.Time{
		monday,
		time.Date(2026, 3, 18, 12, 0, 0, 0, paris),
		time.Date(2026, 3, 22, 23, 59, 0, 0, paris), // Sunday
	} {
		t.Run(now.Weekday().String(), func(t *testing.T) {
			t.Parallel()
			for q, want := range map[string]Range{
				"cette semaine": {Since: monday, Until: monday.AddDate(0, 0, 7)},
				"last week":     {Since: monday.AddDate(0, 0, -7), Until: monday},
			} {
				got, _, _ := Parse(q, now, paris)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Parse(%q) at %s (-want +got):\n%s", q, now, diff)
				}
			}
		})
	}
}

func TestParseRest(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, q, rest string }{
		{"keeps the original spelling", "Qu’a révélé l’enquête sur Pegasus en 2021 ?", "Qu’a révélé l’enquête sur Pegasus ?"},
		{"leading expression and comma", "Depuis 2019, qui a piraté Nvidia ?", "qui a piraté Nvidia ?"},
		{"expression between commas", "Lapsus$, en 2022, a piraté qui ?", "Lapsus$, a piraté qui ?"},
		{"only the leftmost expression", "What happened in 2020 and in 2021?", "What happened and in 2021?"},
		{"nothing left", "hier", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, rest, ok := Parse(tt.q, now, time.UTC)
			if !ok || rest != tt.rest {
				t.Errorf("Parse(%q) rest = %q, %v; want %q", tt.q, rest, ok, tt.rest)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"Qu'est-ce que Lapsus$ a fait en 2022 ?", "depuis le 03/03/2024", "entre 2021 et 2019",
		"in the past two weeks", "les dernières 24 heures", "aujourd’hui", "CVE-2020-1234",
		"du 31 mars au 29 février 2100", "depuis 1000 ans", "since the 31st of feb",
		"\xff en 2020 \xfe", "2100-12-31", "9999/99/99",
	} {
		f.Add(s)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.UTC
	}
	f.Fuzz(func(t *testing.T, q string) {
		for _, loc := range []*time.Location{paris, time.UTC} {
			r, rest, ok := Parse(q, now, loc)
			if !ok && r != (Range{}) {
				t.Fatalf("Parse(%q) = %+v without a match", q, r)
			}
			if !r.Since.IsZero() && !r.Until.IsZero() && r.Until.Before(r.Since) {
				t.Fatalf("Parse(%q) = %+v: Until before Since", q, r)
			}
			if !utf8.ValidString(rest) {
				t.Fatalf("Parse(%q) rest %q is not UTF-8", q, rest)
			}
			if ok && len(rest) > len(strings.ToValidUTF8(q, "\uFFFD")) {
				t.Fatalf("Parse(%q) rest %q is longer than the question", q, rest)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	qs := []string{
		"Qu'est-ce que Lapsus$ a fait en 2022 ?",
		"Quelles fuites de données ces 7 derniers jours chez les opérateurs ?",
		"What did NSO Group sell to governments between 2019 and 2021?",
		"Qui a été arrêté pour le piratage de Microsoft, Samsung et Nvidia ?",
	}
	for b.Loop() {
		for _, q := range qs {
			Parse(q, now, time.UTC)
		}
	}
}
