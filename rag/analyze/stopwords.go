package analyze

import "strings"

// Stop words, in folded form (see Fold): words too common to tell one
// article from another. The French list is Snowball's plus the other
// function words and the question words a user types ("quel", "combien");
// the English one is Snowball's plus contractions' remains and question
// words.
const (
	frenchStopText = `
au aux avec ce ces dans de des du elle elles en et eux il ils je la le les
leur leurs lui ma mais me meme memes mes moi mon ne nos notre nous on ou par
pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre
vous ete etee etees etes etant etante etants etantes suis es est sommes sont
serai seras sera serons serez seront serais serait serions seriez seraient
etais etait etions etiez etaient fus fut fumes futes furent sois soit soyons
soyez soient fusse fusses fussions fussiez fussent ayant ayante ayantes
ayants eu eue eues eus ai as avons avez ont aurai auras aura aurons aurez
auront aurais aurait aurions auriez auraient avais avait avions aviez
avaient eut eumes eutes eurent aie aies ait ayons ayez aient eusse eusses
eussions eussiez eussent
ceci cela ca cet cette celui celle ceux celles ici quel quels quelle
quelles lequel laquelle lesquels lesquelles auquel auxquels auxquelles
duquel desquels desquelles dont quoi quand comment pourquoi combien lorsque
lorsqu puisque puisqu quoique quoiqu jusqu jusque sans sous vers chez contre
depuis entre malgre parmi pendant selon apres avant afin ainsi alors donc car
ni comme aussi tres plus moins tout tous toute toutes autre autres chaque
plusieurs certains certaines tel telle tels telles soi si sinon lors deja
encore aujourd hui etc cela voici voila leurs nul aucun aucune
`
	englishStopText = `
i me my myself we our ours ourselves you your yours yourself yourselves he
him his himself she her hers herself it its itself they them their theirs
themselves what which who whom whose this that these those am is are was were
be been being have has had having do does did doing an the and but if or
because as until while of at by for with about against between into through
during before after above below to from up down in out on off over under
again further then once here there when where why how all any both each few
more most other some such no nor not only own same so than too very can will
just don should now would could also ll re ve isn aren wasn weren doesn didn
hasn haven hadn won wouldn shouldn couldn shan mustn mightn needn may might
must shall upon within without yet whether
`
)

// elisions are the French words that lose their vowel before another word:
// "l'État", "qu'il", "jusqu'à".
var elisions = map[string]bool{
	"l": true, "d": true, "j": true, "m": true, "n": true, "s": true,
	"t": true, "c": true, "qu": true, "jusqu": true, "lorsqu": true,
	"puisqu": true, "quoiqu": true,
}

var (
	frenchStop  = wordSet(frenchStopText)
	englishStop = wordSet(englishStopText)
)

func wordSet(text string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(text) {
		m[w] = true
	}
	return m
}

// IsStopWord reports whether the folded word w is a stop word in lang
// ("fr" or "en"; any other value checks both lists).
func IsStopWord(w, lang string) bool {
	switch lang {
	case "fr":
		return frenchStop[w]
	case "en":
		return englishStop[w]
	}
	return frenchStop[w] || englishStop[w]
}
