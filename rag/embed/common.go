package embed

import (
	"strings"

	"github.com/veille/veille/rag/analyze"
)

// Local has no corpus statistics (idf) to tell a telling word from a
// commonplace one, so it carries a prior instead: the content words that
// top general French and English frequency lists, plus the verbs of
// reporting that fill news copy. They still count, at commonWeight, but a
// passage no longer wins on "année" and "premier" alone. The lists are
// written from general knowledge of word frequencies, not learnt from the
// eval set.
const (
	commonFrench = `
faire dire pouvoir aller voir savoir vouloir venir devoir prendre trouver donner
falloir parler mettre passer croire rester tenir sembler laisser penser arriver
porter connaître demander paraître entendre montrer rendre commencer appeler
suivre vivre comprendre attendre sortir devenir permettre ouvrir recevoir jouer
perdre répondre écrire lire utiliser créer obtenir continuer indiquer expliquer
déclarer affirmer annoncer estimer préciser ajouter rappeler souligner assurer
confirmer selon
an ans année années jour jours temps fois homme hommes femme femmes monde vie
chose choses part partie parties pays heure heures moment place point cas fait
mois semaine semaines enfant enfants personne personnes gens ville nom travail
question exemple état groupe début fin face compte raison façon côté effet
sorte mot ordre nombre ensemble suite rapport cours lieu forme niveau mesure
moyen manière histoire problème prix système situation besoin million millions
milliard milliards euro euros dollar dollars pour cent france français
française président gouvernement politique ministre projet plan période
siècle date type genre titre premier première premiers dernier dernière
derniers grand grande grands grandes petit petite nouveau nouvelle nouveaux
bon bonne seul seule long longue général générale possible important
importante jeune haut haute fort forte public publique national nationale
international internationale social sociale plein certain propre simple vrai
différent différents prochain ancien ancienne principal principale gros
meilleur actuel actuelle toujours jamais beaucoup trop peu mieux maintenant
ensuite enfin puis surtout notamment également environ près loin seulement
vraiment désormais déjà encore deux trois quatre cinq six sept huit neuf dix
cent mille lundi mardi mercredi jeudi vendredi samedi dimanche janvier
février mars avril mai juin juillet août septembre octobre novembre décembre
`
	commonEnglish = `
make say go see know want come take find give think tell become leave feel put
bring begin keep hold write stand hear let mean set meet run pay sit speak lie
lead read grow lose fall send build understand use called known named include
including year years day days time times man men woman women world life thing
things part place case fact week weeks month months child children person
people city name work number group state way end side kind order form level
first last new old great little good big long high large small early late
young important public national international social general major main
different many much several often always never also however later well two
three four five six seven eight nine ten hundred thousand million first second
monday tuesday wednesday thursday friday saturday sunday january february march
april may june july august september october november december
`
)

// commonWeight is the weight of a common word relative to another.
const commonWeight = 0.35

// commonTerms holds the analysed terms of the common words, so that the
// prior follows any change of stemmer. Read-only after init.
var commonTerms = func() map[string]bool {
	m := map[string]bool{}
	for _, list := range []struct{ text, lang string }{{commonFrench, "fr"}, {commonEnglish, "en"}} {
		for _, w := range strings.Fields(list.text) {
			for _, t := range analyze.Terms(w, list.lang) {
				m[t] = true
			}
		}
	}
	return m
}()
