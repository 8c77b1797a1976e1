package chunk

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// sentenceTexts returns the text of each span.
func sentenceTexts(text string, spans []Span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, text[s.Start:s.End])
	}
	return out
}

func TestSentences(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"empty", "", nil},
		{"whitespace", " \n\t\u00a0\u202f\n ", nil},
		{"no punctuation", "Un titre sans point", []string{"Un titre sans point"}},
		{"trimmed", "  Une phrase.  ", []string{"Une phrase."}},
		{"two sentences", "Il pleut. Il fait froid.", []string{"Il pleut.", "Il fait froid."}},
		{"english", "It rains. It is cold! Is it? Yes.", []string{"It rains.", "It is cold!", "Is it?", "Yes."}},
		{"lowercase after period", "Il pleut. et alors", []string{"Il pleut. et alors"}},
		{"digit starts next", "Il est né en 1990. 2020 a été dure.", []string{"Il est né en 1990.", "2020 a été dure."}},
		{"french spacing question", "Vraiment ? Oui !", []string{"Vraiment ?", "Oui !"}},
		{"french spacing nbsp", "Vraiment\u00a0? Oui\u202f! Non.", []string{"Vraiment\u00a0?", "Oui\u202f!", "Non."}},
		{"colon and semicolon do not end", "Il a dit : oui ; puis non. Fin.", []string{"Il a dit : oui ; puis non.", "Fin."}},
		{"guillemets closing", "Il a dit : « Je pars. » Puis il est parti.", []string{"Il a dit : « Je pars. »", "Puis il est parti."}},
		{"guillemets nbsp", "Il a dit\u00a0: «\u00a0Je pars.\u00a0» Puis rien.", []string{"Il a dit\u00a0: «\u00a0Je pars.\u00a0»", "Puis rien."}},
		{"guillemets narrow nbsp", "«\u202fQuoi\u202f?\u202f» Rien.", []string{"«\u202fQuoi\u202f?\u202f»", "Rien."}},
		{"guillemets ellipsis", "Il hésite : « Peut-être... » Puis il part.", []string{"Il hésite : « Peut-être... »", "Puis il part."}},
		{"question in guillemets then lowercase", "« Vraiment ? » demande-t-il. Oui.", []string{"« Vraiment ? » demande-t-il.", "Oui."}},
		{"next opens guillemets", "C'est fini. « Non », dit-il.", []string{"C'est fini.", "« Non », dit-il."}},
		{"english quotes closing", `He said "Stop." Then he left.`, []string{`He said "Stop."`, "Then he left."}},
		{"curly quotes", "She said “yes.” Then “no.”", []string{"She said “yes.”", "Then “no.”"}},
		{"next opens straight quote", `It ended. "Why?" he asked.`, []string{"It ended.", `"Why?" he asked.`}},
		{"parenthesis closing", "Voir plus bas (page suivante.) Ensuite.", []string{"Voir plus bas (page suivante.)", "Ensuite."}},
		{"next opens parenthesis", "Il est parti. (Photo AFP)", []string{"Il est parti.", "(Photo AFP)"}},
		{"exclamation question run", "Quoi ?! Encore ?", []string{"Quoi ?!", "Encore ?"}},
		{"three dots then uppercase", "Il attend... Rien ne vient.", []string{"Il attend...", "Rien ne vient."}},
		{"three dots then lowercase", "Il attend... et rien ne vient.", []string{"Il attend... et rien ne vient."}},
		{"ellipsis char then uppercase", "Il attend… Rien.", []string{"Il attend…", "Rien."}},
		{"ellipsis char then lowercase", "Il attend… puis part.", []string{"Il attend… puis part."}},
		{"M.", "M. Dupont est arrivé. Il parle.", []string{"M. Dupont est arrivé.", "Il parle."}},
		{"MM.", "MM. Dupont et Durand sont là.", []string{"MM. Dupont et Durand sont là."}},
		{"Mme", "Mme. Martin et Mme Durand. Fin.", []string{"Mme. Martin et Mme Durand.", "Fin."}},
		{"Dr. french", "Le Dr. Martin opère. Bien.", []string{"Le Dr. Martin opère.", "Bien."}},
		{"p. ex.", "Des fruits, p. ex. Pommes et poires.", []string{"Des fruits, p. ex. Pommes et poires."}},
		{"etc. then lowercase", "Des pommes, des poires, etc. et des prunes.", []string{"Des pommes, des poires, etc. et des prunes."}},
		{"etc. then uppercase", "Des pommes, des poires, etc. Puis du pain.", []string{"Des pommes, des poires, etc.", "Puis du pain."}},
		{"cf.", "Voir la note (cf. Annexe 2). Fin.", []string{"Voir la note (cf. Annexe 2).", "Fin."}},
		{"av. J.-C.", "En 52 av. J.-C. César gagne.", []string{"En 52 av. J.-C. César gagne."}},
		{"n°", "La loi n° 2020-1 est votée. Bien.", []string{"La loi n° 2020-1 est votée.", "Bien."}},
		{"art.", "Selon l'art. 12 du code. Bien.", []string{"Selon l'art. 12 du code.", "Bien."}},
		{"l'art. at end", "C'est de l'art. Ensuite on mange.", []string{"C'est de l'art.", "Ensuite on mange."}},
		{"vol.", "Lire le vol. 3 de la série. Bien.", []string{"Lire le vol. 3 de la série.", "Bien."}},
		{"St.", "Il vit à St. Louis. Bien.", []string{"Il vit à St. Louis.", "Bien."}},
		{"Mr.", "Mr. Smith arrived. He spoke.", []string{"Mr. Smith arrived.", "He spoke."}},
		{"Mrs.", "Mrs. Smith arrived.", []string{"Mrs. Smith arrived."}},
		{"Dr. english", "Dr. Who is here. Run.", []string{"Dr. Who is here.", "Run."}},
		{"e.g.", "Some fruit, e.g. Apples, are red.", []string{"Some fruit, e.g. Apples, are red."}},
		{"i.e.", "One colour, i.e. Red, is used.", []string{"One colour, i.e. Red, is used."}},
		{"vs.", "France vs. Belgium ended 2-1. Good.", []string{"France vs. Belgium ended 2-1.", "Good."}},
		{"U.S.", "The U.S. Army said so. Fine.", []string{"The U.S. Army said so.", "Fine."}},
		{"Inc.", "Apple Inc. Reported profits. Fine.", []string{"Apple Inc. Reported profits.", "Fine."}},
		{"No.", "He is ranked No. 1 in the world. Fine.", []string{"He is ranked No. 1 in the world.", "Fine."}},
		{"No as a word", "He said No. Then he left.", []string{"He said No.", "Then he left."}},
		{"initials", "J. R. R. Tolkien wrote it. Fine.", []string{"J. R. R. Tolkien wrote it.", "Fine."}},
		{"single capital", "Le plan B. Il a échoué.", []string{"Le plan B. Il a échoué."}},
		{"decimal point", "Pi vaut 3.14 environ. Bien.", []string{"Pi vaut 3.14 environ.", "Bien."}},
		{"decimal comma", "Il a pris 2,5 kilos. Bien.", []string{"Il a pris 2,5 kilos.", "Bien."}},
		{"thousands", "Il y a 1.000.000 de gens. Bien.", []string{"Il y a 1.000.000 de gens.", "Bien."}},
		{"number at end", "Le score est de 3. Puis 4.", []string{"Le score est de 3.", "Puis 4."}},
		{"version", "Go v1.2.3 est sorti. Bien.", []string{"Go v1.2.3 est sorti.", "Bien."}},
		{"domain", "Lu sur datanews.levif.be hier. Bien.", []string{"Lu sur datanews.levif.be hier.", "Bien."}},
		{"url", "Voir https://example.com/a.html?x=1. Ensuite.", []string{"Voir https://example.com/a.html?x=1.", "Ensuite."}},
		{"domain at end", "Voir example.com. Ensuite.", []string{"Voir example.com.", "Ensuite."}},
		{"elision curly", "L’homme qu’il voit. L’État agit.", []string{"L’homme qu’il voit.", "L’État agit."}},
		{"elision straight", "L'homme qu'il voit. L'État agit.", []string{"L'homme qu'il voit.", "L'État agit."}},
		{"accented capital", "Il part. À demain. État.", []string{"Il part.", "À demain.", "État."}},
		{"newline soft break", "Titre sans point\nPremière phrase. Deuxième.", []string{"Titre sans point", "Première phrase.", "Deuxième."}},
		{"crlf", "Ligne un\r\nLigne deux\r\n\r\nLigne trois", []string{"Ligne un", "Ligne deux", "Ligne trois"}},
		{"paragraphs", "Un. Deux.\n\n  Trois.\n", []string{"Un.", "Deux.", "Trois."}},
		{"list marker", "1. Introduction\n2. Méthode", []string{"1. Introduction", "2. Méthode"}},
		{"mid sentence number", "Le score final fut 2. Ensuite.", []string{"Le score final fut 2.", "Ensuite."}},
		{"uncased script", "Fin. 東京は大きい。", []string{"Fin.", "東京は大きい。"}},
		{"dialogue dash", "Il est parti. — Pourquoi ? — Je ne sais pas.", []string{"Il est parti.", "— Pourquoi ?", "— Je ne sais pas."}},
		{"dash then lowercase", "Il hésite... — et repart.", []string{"Il hésite... — et repart."}},
		{"dash at end", "Il hésite. —", []string{"Il hésite.", "—"}},
		{"exclamation in quotes then lowercase", "“Stop!” she said. Fine.", []string{"“Stop!” she said.", "Fine."}},
		{"a.m. abbreviation", "It opens at 9 a.m. tomorrow. Fine.", []string{"It opens at 9 a.m. tomorrow.", "Fine."}},
		{"D.C.", "In Washington, D.C. Officials met.", []string{"In Washington, D.C. Officials met."}},
		{"email at end", "Écrire à contact@example.com. Merci.", []string{"Écrire à contact@example.com.", "Merci."}},
		{"bracketed ellipsis", "Il a dit que […] le projet avance. Bien.", []string{"Il a dit que […] le projet avance.", "Bien."}},
		{"dots only", "...", []string{"..."}},
		{"period after space", "Bizarre . Oui.", []string{"Bizarre .", "Oui."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := sentenceTexts(tt.text, Sentences(tt.text))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Sentences(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestSentencesParagraphs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want []bool
	}{
		{"single newline", "Un.\nDeux.", []bool{true, false}},
		{"blank line", "Un.\n\nDeux. Trois.", []bool{true, true, false}},
		{"blank line with spaces", "Un.\n \t\nDeux.", []bool{true, true}},
		{"crlf blank line", "Un.\r\n\r\nDeux.", []bool{true, true}},
		{"crlf single", "Un.\r\nDeux.", []bool{true, false}},
		{"paragraph separator", "Un.\u2029Deux.", []bool{true, true}},
		{"leading blank lines", "\n\n\nUn.", []bool{true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []bool
			scan(tt.text, func(_, _ int, para bool) { got = append(got, para) })
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("paragraph flags for %q (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

// checkSpans reports spans that are out of order, out of bounds, not
// trimmed, or that leave a non-whitespace byte uncovered.
func checkSpans(t *testing.T, text string, spans []Span) {
	t.Helper()
	prev := 0
	covered := 0 // bytes before this offset are checked
	for i, s := range spans {
		if s.Start < prev || s.End <= s.Start || s.End > len(text) {
			t.Fatalf("span %d %v out of order or bounds (prev end %d, len %d)", i, s, prev, len(text))
		}
		if !onlySpace(text[covered:s.Start]) {
			t.Fatalf("non-whitespace before span %d %v not covered: %q", i, s, text[covered:s.Start])
		}
		if isSpaceAt(text, s.Start) || isSpaceBefore(text, s.End) {
			t.Fatalf("span %d %q not trimmed", i, text[s.Start:s.End])
		}
		prev, covered = s.End, s.End
	}
	if !onlySpace(text[covered:]) {
		t.Fatalf("non-whitespace after last span not covered: %q", text[covered:])
	}
}

// onlySpace reports whether s holds only whitespace runes; invalid bytes
// are not whitespace.
func onlySpace(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

func isSpaceAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsSpace(r)
}

func isSpaceBefore(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsSpace(r)
}

func FuzzSentences(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		spans := Sentences(text)
		checkSpans(t, text, spans)
		if utf8.ValidString(text) {
			for _, s := range spans {
				if !utf8.ValidString(text[s.Start:s.End]) {
					t.Fatalf("span %v of valid text is invalid UTF-8", s)
				}
			}
		}
	})
}

var fuzzSeeds = []string{
	"",
	" ",
	"Il pleut. Il fait froid.",
	"M. Dupont a dit : « Je pars. » Puis il est parti.",
	"Vraiment\u00a0? Oui\u202f!\n\nNon...",
	"J. R. R. Tolkien, e.g. U.S. Inc. No. 5, v1.2.3, example.com. Fin.",
	"L’homme qu’il voit… et puis ?» (Rien.) \"Oui.\"",
	"1. Un\r\n2. Deux\u2029Trois",
	strings.Repeat("mot ", 50) + strings.Repeat("x", 300),
	"\xff\xfe. \xe2\x80 A. \xc3",
}
