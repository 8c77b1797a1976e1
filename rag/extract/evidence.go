package extract

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/veille/veille/rag/analyze"
	"github.com/veille/veille/rag/question"
)

// evidence returns how surely a sentence holds an answer of type t outside
// the question's own words (0 none … 1 sure): the question's words are blanked
// out first, so "le 3 juin" counts for a "quand" question only when the
// question did not already say "3 juin".
//
// focus holds the question's focus terms: for a "which X" question the
// surest answer is a name right by X ("la commune de Roncelles", "le botnet
// Kestrel").
func evidence(t question.Type, focus map[string]bool, text string, toks []analyze.Token, qset map[string]bool) float64 {
	b := []byte(text)
	for _, tk := range toks {
		if qset[tk.Term] {
			for i := tk.Start; i < tk.End; i++ {
				b[i] = ' '
			}
		}
	}
	masked := string(b)
	low := " " + strings.ToLower(masked) + " "
	switch t {
	case question.When:
		return best(match(dayMonthRE, masked, 1), match(monthYearRE, masked, 0.8), match(yearRE, masked, 0.6),
			match(weekdayRE, masked, 0.5), match(slashDateRE, masked, 0.9))
	case question.HowMany:
		return best(match(amountRE, masked, 1), match(numberRE, masked, 0.7), markers(low, numberWords, 0.6))
	case question.Who:
		return best(match(fullNameRE, masked, 1), match(nameRE, masked, 0.6), match(acronymRE, masked, 0.4))
	case question.Where:
		return best(match(placeRE, masked, 1), markers(low, placeWords, 0.5))
	case question.Which:
		return best(namedFocus(text, toks, focus, qset), 0.6*best(match(fullNameRE, masked, 1), match(nameRE, masked, 1), match(cveRE, masked, 1)))
	case question.Identifier:
		return best(match(cveRE, masked, 1), match(versionRE, masked, 0.9))
	case question.Why:
		return best(markers(low, reasonStrong, 1), markers(low, reasonWeak, 0.5))
	case question.Advice:
		return best(match(bulletVerbRE, masked, 1), markers(low, adviceStrong, 1), match(imperativeRE, masked, 0.8), markers(low, adviceWeak, 0.5))
	case question.List:
		return best(match(bulletRE, masked, 1), match(colonListRE, masked, 1), match(enumRE, masked, 0.9), match(commasRE, masked, 0.3), markers(low, listWords, 0.5))
	}
	return best(markers(low, definition, 0.6), match(colonRE, masked, 0.3))
}

func best(v ...float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

func match(re *regexp.Regexp, s string, w float64) float64 {
	if re.MatchString(s) {
		return w
	}
	return 0
}

// markers returns w when low (lower-cased, padded with spaces) holds one of
// the phrases.
func markers(low string, phrases []string, w float64) float64 {
	for _, p := range phrases {
		if strings.Contains(low, p) {
			return w
		}
	}
	return 0
}

const (
	monthsFR = `janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre`
	monthsEN = `January|February|March|April|May|June|July|August|September|October|November|December|Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.`
)

var (
	dayMonthRE   = regexp.MustCompile(`\b\d{1,2}(er)?\s+(` + monthsFR + `)\b|\b(` + monthsEN + `)\s+\d{1,2}\b|\b\d{1,2}\s+(` + monthsEN + `)\b`)
	monthYearRE  = regexp.MustCompile(`\b(` + monthsFR + `|` + monthsEN + `)\s+(de\s+|d')?(19|20)\d\d\b|\b(mi-|fin |début |debut |early |late |mid-)(` + monthsFR + `|` + monthsEN + `)`)
	yearRE       = regexp.MustCompile(`\b(19|20)\d\d\b`)
	weekdayRE    = regexp.MustCompile(`(?i)\b(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b`)
	slashDateRE  = regexp.MustCompile(`\b\d{1,2}/\d{1,2}(/\d{2,4})?\b`)
	amountRE     = regexp.MustCompile(`(?i)\d[\d\s  .,]*\s*(%|€|\$|euros?|dollars?|millions?|milliards?|billions?|salariés|employés|personnes|clients|victimes|comptes|jours|heures|semaines|mois|ans|days|hours|weeks|months|years|people|customers|users|victims|accounts|employees|workers|pharmacies|sites|serveurs|servers|machines|postes|agents|adhérents|patients)(\P{L}|$)|[€$]\s?\d`)
	numberRE     = regexp.MustCompile(`\b\d+([  .,]\d+)*\b`)
	fullNameRE   = regexp.MustCompile(`\b\p{Lu}[\p{Ll}'-]+(-\p{Lu}[\p{Ll}]+)?\s+(\p{Lu}[\p{Ll}'-]+|\p{Lu}{2,})\b`)
	nameRE       = regexp.MustCompile(`[\p{Ll},;:]\s+\p{Lu}[\p{L}\d$-]{2,}`)
	acronymRE    = regexp.MustCompile(`\b\p{Lu}{3,}\b`)
	placeRE      = regexp.MustCompile(`(^|\s)(à|au|aux|en|dans|près de|pres de|in|at|near|from|of)\s+(la\s+|le\s+|l'|the\s+)?\p{Lu}[\p{L}-]+`)
	cveRE        = regexp.MustCompile(`(?i)\b(CVE-\d{4}-\d{3,}|CERTFR-\d{4}-[A-Z]{2,4}-\d+|KB\d{5,})\b`)
	versionRE    = regexp.MustCompile(`\b\d+\.\d+(\.\d+)*(-h\d+|[a-z]\d*)?\b`)
	bulletRE     = regexp.MustCompile(`^\s*[-•*–]\s+\S`)
	bulletVerbRE = regexp.MustCompile(`(?i)^\s*[-•*–]\s+(ne\s+(jamais|pas)\s+)?\p{L}+(er|ir|re|ez)\b|^\s*[-•*–]\s+(do|don't|never|use|enable|check|change|reset|update|install|avoid|report|contact|call|block|turn|replace|verify|monitor|revoke|review|keep|make|set)\b`)
	imperativeRE = regexp.MustCompile(`^\s*(Ne\s+)?\p{Lu}\p{Ll}+ez\b|^\s*(Do not|Don't|Never|Use|Enable|Check|Change|Reset|Update|Install|Avoid|Report|Contact|Call|Block|Verify|Revoke|Review|Keep|Make sure)\b`)
	colonListRE  = regexp.MustCompile(`:\s*[^,]+,[^,]+`)
	commasRE     = regexp.MustCompile(`,[^,]+,[^,]+`)
	enumRE       = regexp.MustCompile(`\S[^,]*,[^,]+\s(et|and|ou|or)\s+\S`)
	colonRE      = regexp.MustCompile(`\S\s?:\s+\S`)
)

var (
	numberWords = []string{" deux ", " trois ", " quatre ", " cinq ", " six ", " sept ", " huit ", " neuf ", " dix ", " douze ", " quinze ", " vingt", " trente ", " quarante ", " cinquante ", " cent ", " mille ", " million", " milliard", " dizaine", " centaine", " quarantaine", " vingtaine", " trentaine",
		" two ", " three ", " four ", " five ", " six ", " seven ", " eight ", " nine ", " ten ", " twelve ", " dozen", " hundred", " thousand", " million", " billion"}
	placeWords   = []string{" siège ", " siege ", " basé", " basee ", " installé", " headquartered", " based in ", " located ", "ville de ", " commune de ", "city of "}
	reasonStrong = []string{" car ", " parce qu", " en raison ", " à cause ", " a cause ", " faute d", " grâce à", " grace a", " puisque ", " c'est pourquoi", " reproche", " manquement", " because ", " due to ", " as a result", " thanks to ", " owing to ", " motif", " raison ", " raisons ", " s'explique", " explique ", " explains ", " reason", " caused by ", " provoqué", " en cause", " origine ", " afin de ", " pour que ", " so that ", " in order to ", " allowed ", " enabled ", " permis ", " permettant ", " a permis", " ont permis", " représailles", " en réponse à", " en reponse a", " pour protester", " pour dénoncer", " pour denoncer", " motivé", " motive ", " retaliation", " in response to", " to protest", " motivated"}
	reasonWeak   = []string{" via ", " coïncide", " coincide", " dans la foulée", " in the wake of", " ce qui ", " sans ", " after ", " après avoir ", " through ", " since ", " without ", " by ", " lacked ", " insuffisant", " obsolète", " faible", " weak", " non ", " aucun", " pas de ", " not ", " no "}
	adviceStrong = []string{" il faut ", " faut ", " doivent ", " doit ", " devez ", " devraient ", " recommand", " conseill", " invite ", " invités ", " appelle à", " appellent à", " préconis", " ne jamais ", " il est conseillé", " should ", " must ", " recommend", " advis", " urge", " make sure ", " advice", " tips", " réflexe", " bonnes pratiques", " il convient", " mieux vaut", " prudence", " warned ", " warn ", " warns ", " urged ", " urges ", " advised ", " not to ", " prefer ", " privilégier ", " privilegier ", " appelle ", " incite "}
	adviceWeak   = []string{" ne pas ", " never ", " avoid ", " vérifier ", " verifier ", " activer ", " changer ", " signaler ", " porter plainte", " opposition", " contacter ", " check ", " enable ", " report ", " contact ", " update ", " mettre à jour", " installer ", " désactiver ", " disable ", " révoquer ", " revoke "}
	listWords    = []string{" notamment ", " dont ", " including ", " such as ", " ainsi que ", " as well as ", " parmi ", " among "}
	definition   = []string{" est un ", " est une ", " désigne ", " designe ", " consiste ", " permet ", " sert à ", " sert a ", " is a ", " is an ", " refers to ", " allows ", " used to ", " c'est-à-dire ", " qui consiste "}
)

// namedFocus returns 1 when a focus term of the question is followed, within
// three words, by a capitalised word or an identifier the question does not
// have: "la commune de Roncelles", "le botnet Kestrel", "l'application
// WhatsApp".
func namedFocus(text string, toks []analyze.Token, focus, qset map[string]bool) float64 {
	for i, tk := range toks {
		if !focus[tk.Term] {
			continue
		}
		for _, nx := range toks[i+1 : min(len(toks), i+4)] {
			w := text[nx.Start:nx.End]
			r, _ := utf8.DecodeRuneInString(w)
			if !qset[nx.Term] && (unicode.IsUpper(r) || strings.IndexFunc(w, unicode.IsDigit) >= 0) {
				return 1
			}
		}
	}
	return 0
}

// enumStart starts a sentence that continues an enumeration of reasons, steps
// or items: "Deuxième manquement :", "Enfin,", "Second,".
var enumStart = regexp.MustCompile(`^(?i)(premier|première|deuxième|second|seconde|troisième|quatrième|d'abord|d’abord|ensuite|enfin|puis|autre|en outre|de plus|par ailleurs|first|secondly|third|finally|another|in addition|moreover)\b`)

// headingCues are words of a section heading that announce the answer to a
// question of a type: the sentences under « Pourquoi ça marche » are
// reasons, those under « Les bons réflexes » advice.
var headingCues = map[question.Type][]string{
	question.Why:    {"pourquoi", "why", "raison", "cause", "explication", "origine", "comment ", "how "},
	question.Advice: {"reflexe", "conseil", "que faire", "comment se proteger", "se proteger", "recommandation", "precaution", "bonnes pratiques", "what to do", "how to protect", "tips", "advice", "recommendation", "protect"},
	question.List:   {"liste", "list", "versions", "produits", "systemes affectes", "affected", "concerne"},
}

// announces reports whether heading, folded, announces answers of type t.
func announces(t question.Type, heading string) bool {
	h := " " + analyze.Fold(heading) + " "
	for _, c := range headingCues[t] {
		if strings.Contains(h, c) {
			return true
		}
	}
	return false
}
