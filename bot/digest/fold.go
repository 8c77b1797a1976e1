package digest

import (
	"net/url"
	"strings"
	"unicode"

	"github.com/veille/veille/rag/analyze"
)

// words splits folded text into its words: runs of letters and digits.
// Elided articles ("l'agence", "d'avoir") lose their one-letter prefix.
func words(folded string) []string {
	return strings.FieldsFunc(folded, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// contentWords returns the folded words of s that are not stop words and
// longer than one letter.
func contentWords(s string) []string {
	ws := words(analyze.Fold(s))
	out := ws[:0]
	for _, w := range ws {
		if len(w) < 2 || stopWords[w] {
			continue
		}
		out = append(out, w)
	}
	return out
}

// stopWords holds folded French and English function words: too common to
// tell one story from another.
var stopWords = func() map[string]bool {
	const list = `au aux avec ce ces dans de des du elle elles en et eux il ils je la le les
leur leurs lui ma mais me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui
sa se ses son sur ta te tes toi ton tu un une vos votre vous ete est sont etait ont ai as
avons avez avait aura auraient aurait ceci cela ca cet cette celui celle ceux celles ici
dont quoi quand comment sans sous vers chez contre depuis entre selon apres avant afin ainsi
alors donc car ni comme aussi tres plus moins tout tous toute toutes autre autres chaque
plusieurs si deja encore hui aujourd fait faire ete selon
a an the and but if or as of at by for with about to from in on off over under into is are
was were be been being have has had it its this that these those they their them he she his
her we our you your not no can will would could should said says than then there which who
what when where how all any more most new also after before up out`
	m := make(map[string]bool)
	for _, w := range strings.Fields(list) {
		m[w] = true
	}
	return m
}()

// hasKeyword reports whether text holds one of the keywords at the start
// of a word ("rancongiciel" finds "Rançongiciels", "ia" does not find
// "via"), case- and accent-insensitively; a keyword may be several words.
func hasKeyword(text string, keywords []string) bool {
	hay := " " + strings.Join(words(analyze.Fold(text)), " ")
	for _, k := range keywords {
		if kw := strings.Join(words(analyze.Fold(k)), " "); kw != "" && strings.Contains(hay, " "+kw) {
			return true
		}
	}
	return false
}

// fromSource reports whether it comes from one of the sources: its source
// name equal to one, or its URL's host containing one ("lemagit.fr"), case-
// and accent-insensitively.
func fromSource(it Item, sources []string) bool {
	name := strings.Join(words(analyze.Fold(it.Source)), " ")
	host := ""
	if u, err := url.Parse(it.URL); err == nil {
		host = strings.ToLower(u.Hostname())
	}
	for _, s := range sources {
		want := strings.Join(words(analyze.Fold(s)), " ")
		if want == "" {
			continue
		}
		if want == name || strings.ReplaceAll(want, " ", "") == strings.ReplaceAll(name, " ", "") {
			return true
		}
		if host != "" && strings.Contains(s, ".") && strings.Contains(host, strings.ToLower(strings.TrimSpace(s))) {
			return true
		}
	}
	return false
}
