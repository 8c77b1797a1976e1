// Package question reads a question (French or English) the way the
// extractive answerer needs it: the kind of answer it expects (a person, a
// date, a number, a reason, advice, a list…) and which of its words name the
// thing asked for (the focus) rather than restate its context.
//
// It owns no index and no answer: rag/extract scores sentences with what it
// returns.
package question

import (
	"strings"
	"unicode"

	"github.com/veille/veille/rag/analyze"
)

// Type is the kind of answer a question expects.
type Type int

// The answer types. Describe is the default: a definition or description.
const (
	Describe   Type = iota
	Who             // a person, group, company or state
	When            // a date or a year
	Where           // a place
	HowMany         // a count or an amount, with its unit
	Why             // a cause or a reason
	Advice          // what to do
	List            // several items
	Identifier      // a CVE, an advisory or a version number
	Which           // a named thing: "quelle mairie", "which botnet", "par quelle appli"
)

var typeNames = [...]string{"describe", "who", "when", "where", "how-many", "why", "advice", "list", "identifier", "which"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown"
}

// Multi reports whether a full answer of this type usually takes several
// sentences: reasons, steps, items.
func (t Type) Multi() bool { return t == Why || t == Advice || t == List }

// Analysis is what a question asks for.
type Analysis struct {
	Text string
	Lang string // "fr" or "en"
	Type Type
	// Terms are the question's analysed terms (rag/analyze), in order,
	// without duplicates.
	Terms []string
	// Focus are the terms that name what is asked ("versions" in "quelles
	// versions sont touchées"): a sentence holding them is not merely
	// restating the question.
	Focus []string
	// Names are the words written with a capital (or all capitals) past the
	// first word: the entities the question is about.
	Names []string
}

// Analyze reads q.
func Analyze(q string) Analysis {
	lang := analyze.DetectLang(q)
	if lang == "" {
		lang = "fr"
	}
	a := Analysis{Text: q, Lang: lang}
	seen := map[string]bool{}
	for _, t := range analyze.Terms(q, lang) {
		if !seen[t] {
			seen[t] = true
			a.Terms = append(a.Terms, t)
		}
	}
	words := wordsOf(q)
	a.Type, a.Focus = classify(words, q, lang)
	a.Names = names(q)
	return a
}

// wordsOf returns q's words, folded, apostrophes and hyphens as spaces.
func wordsOf(q string) []string {
	f := analyze.Fold(q)
	return strings.FieldsFunc(f, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '$')
	})
}

// classify finds the answer type from the question words, and the focus
// noun that follows "quel", "which", "how many"…
func classify(w []string, raw, lang string) (Type, []string) {
	s := " " + strings.Join(w, " ") + " "
	has := func(phrases ...string) bool {
		for _, p := range phrases {
			if strings.Contains(s, " "+p+" ") {
				return true
			}
		}
		return false
	}
	focus := focusNoun(w, lang)
	var focusTerms []string
	if focus != "" {
		focusTerms = analyze.Terms(focus, lang)
	}
	switch {
	case has("cve", "cves", "identifiant", "identifier", "reference", "numero de cve", "advisory", "avis certfr", "certfr", "bulletin"):
		if !has("combien", "how many") {
			return Identifier, focusTerms
		}
	}
	switch {
	case has("pourquoi", "why", "pour quelle raison", "pour quelles raisons", "how come", "what caused", "quelle raison", "quelles raisons", "what reason", "what reasons", "a cause de quoi") ||
		has("comment", "how") && has("a pu", "ont pu", "a t il pu", "ont ils pu", "able to", "manage", "managed", "get past", "get in", "got in", "got past", "reussi", "reussir"):
		return Why, focusTerms
	case has("que faire", "quoi faire", "fais quoi", "faire quoi", "je fais", "dois je", "doit on", "dois faire", "faut il", "que doit", "que doivent", "que dois", "what should", "should i", "should we", "what to do", "what do i do", "what can i do", "how do i protect", "how to protect", "how can i", "how can we", "how should", "se proteger", "me proteger", "nous proteger", "proteger", "protect", "eviter", "avoid", "conseil", "conseils", "recommandation", "recommandations", "recommend", "recommended", "advice", "sans se faire avoir", "reagir", "react"):
		return Advice, focusTerms
	case has("combien", "how many", "how much", "quel montant", "quelle somme", "quel nombre", "what amount", "what number", "quel cout", "quel prix", "what was the cost", "how long", "how large", "how big", "quelle duree", "quel delai"):
		return HowMany, focusTerms
	case has("quand", "when", "depuis quand", "jusqu a quand", "until when", "since when", "quelle date", "what date", "quel jour", "what day", "quelle annee", "what year", "which year", "which day"):
		return When, focusTerms
	case has("where", "ou est", "ou se", "ou sont", "ou etait", "ou ont", "ou a", "d ou", "dans quelle ville", "quelle ville", "quel pays", "quels pays", "which city", "what city", "which country", "which countries", "what country", "quelle region", "localisee", "situee", "basee", "base", "based", "located") || hasWord(strings.ToLower(raw), "où"):
		return Where, focusTerms
	}
	switch {
	case has("qui", "who", "whom", "whose", "par qui", "a qui", "le nom du", "le nom de", "le nom des", "the name of", "nom du", "name of"):
		return Who, focusTerms
	case isClass(focus, whoNouns):
		return Who, focusTerms
	case isClass(focus, whenNouns):
		return When, focusTerms
	case isClass(focus, whereNouns):
		return Where, focusTerms
	case plural(w, focus):
		return List, focusTerms
	case isClass(focus, idNouns):
		return Identifier, focusTerms
	case focus != "" && !describeNouns[focus] && !isName(focus, raw):
		return Which, focusTerms
	}
	return Describe, focusTerms
}

// focusNoun returns the noun an interrogative determiner bears on: "quelle
// technique", "combien de salariés", "which version", "how many pharmacies".
// French puts adjectives after the noun, so it is the first word; English
// puts them before, so it is the last word before the verb ("which US
// hosting provider did…" → provider).
func focusNoun(w []string, lang string) string {
	for i, x := range w {
		switch x {
		case "quel", "quelle", "quels", "quelles", "which", "what", "lequel", "laquelle", "lesquels", "lesquelles":
		case "combien", "many", "much":
			if i+1 < len(w) && (w[i+1] == "de" || w[i+1] == "d") {
				i++
			}
		default:
			continue
		}
		var phrase []string
		for j := i + 1; j < len(w) && len(phrase) < 4; j++ {
			if verbs[w[j]] {
				if len(phrase) > 0 {
					break
				}
				continue // "what are the CVE IDs"
			}
			if !filler[w[j]] {
				phrase = append(phrase, w[j])
				if lang != "en" {
					break
				}
			}
		}
		if len(phrase) > 0 {
			return phrase[len(phrase)-1]
		}
	}
	return ""
}

// verbs (and prepositions) end an English noun phrase after "which" or
// "how many".
var verbs = wordSet("did does do was were is are has have had can could will would should got get gets been be of for in on at by from with to")

// filler words between an interrogative and its noun.
var filler = map[string]bool{
	"de": true, "d": true, "des": true, "les": true, "la": true, "le": true, "l": true, "un": true, "une": true,
	"the": true, "a": true, "an": true, "kind": true, "type": true, "sort": true, "of": true, "sont": true,
	"est": true, "genre": true,
}

func isClass(w string, class map[string]bool) bool { return w != "" && class[w] }

var (
	whoNouns = wordSet("groupe groupes gang gangs collectif entreprise entreprises societe societes editeur editeurs auteur auteurs " +
		"pays etat etats acteur acteurs organisation organisations personne personnes president directeur dirigeant chercheur chercheurs " +
		"group groups company companies firm vendor state states actor actors organization organisation person people researcher researchers " +
		"hacker hackers pirate pirates operateur operator agence agency autorite authority provider providers hebergeur hebergeurs fournisseur fournisseurs prestataire prestataires host hoster " +
		"maire ministre chef leader responsable service gouvernement government")
	whenNouns  = wordSet("date jour annee mois heure moment periode day year month time period deadline echeance")
	whereNouns = wordSet("ville villes region regions lieu lieux endroit city cities place places region town commune communes departement")
	// describeNouns after "quel" ask for a description, not a name.
	describeNouns = wordSet("est sont difference role impact consequence consequences effet effets risque risques " +
		"but objectif interet principe histoire situation bilan mesure mesures solution solutions " +
		"is are difference role impact effect effects risk risks goal purpose point story status")
	idNouns = wordSet("cve version versions numero reference identifiant correctif patch build")
)

// plural reports a "quels/quelles/which" question whose focus is plural.
func plural(w []string, focus string) bool {
	if focus == "" {
		return false
	}
	for _, x := range w {
		if x == "quels" || x == "quelles" || x == "lesquels" || x == "lesquelles" {
			return true
		}
	}
	return (strings.HasSuffix(focus, "s") && !strings.HasSuffix(focus, "ss")) || focus == "data" || focus == "donnees"
}

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// names returns the names q is about: runs of capitalised words past its
// first word ("France Travail", "Okta") and words in capitals anywhere
// (RSSI, CNIL), without elisions ("l'AI" → AI), possessives ("Banque's")
// or the plural of an acronym ("IDs" → ID).
func names(q string) []string {
	var out, run []string
	flush := func() {
		if len(run) > 0 {
			out = append(out, strings.Join(run, " "))
			run = nil
		}
	}
	for i, field := range strings.Fields(q) {
		w := strings.Trim(field, "?!.,;:«»\"()[]'’")
		if j := strings.IndexAny(w, "'’"); j >= 0 && j <= 2 {
			w = w[j+len(string([]rune(w[j:])[0])):] // l'AI, d'Ivanti
		}
		possessive := strings.HasSuffix(w, "'s") || strings.HasSuffix(w, "’s")
		w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "’s")
		r := []rune(w)
		if len(r) == 0 {
			flush()
			continue
		}
		if len(r) >= 3 && r[len(r)-1] == 's' && strings.ToUpper(string(r[:len(r)-1])) == string(r[:len(r)-1]) {
			w = string(r[:len(r)-1]) // IDs, CVEs
			r = r[:len(r)-1]
		}
		upper := unicode.IsUpper(r[0])
		allCaps := len(r) >= 2 && strings.ToUpper(w) == w && strings.ToLower(w) != w
		if (upper && i > 0) || allCaps {
			run = append(run, w)
		} else {
			flush()
		}
		if possessive || strings.ContainsAny(field[len(field)-1:], ",;:?!.") {
			flush() // punctuation or a possessive ends a name
		}
	}
	flush()
	return out
}

// isName reports whether the folded word w is one of the names of the
// question raw: "What is GLOWCAP?" asks about GLOWCAP, it does not name a
// class of things.
func isName(w, raw string) bool {
	for _, n := range names(raw) {
		for _, x := range strings.Fields(n) {
			if analyze.Fold(x) == w {
				return true
			}
		}
	}
	return false
}

// hasWord reports whether w occurs in s as a whole word.
func hasWord(s, w string) bool {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if f == w {
			return true
		}
	}
	return false
}
