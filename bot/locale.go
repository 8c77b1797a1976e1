package bot

import (
	"strings"
	"unicode"
)

// lang is the language of the bot's own words: English or French.
type lang int

const (
	english lang = iota
	french
)

// code returns the ISO 639-1 code of l.
func (l lang) code() string {
	if l == french {
		return "fr"
	}
	return "en"
}

// langOf maps a Discord locale ("fr", "en-US", …) to a lang: fr* is
// French, anything else English.
func langOf(locale string) lang {
	if strings.HasPrefix(strings.ToLower(locale), "fr") {
		return french
	}
	return english
}

var frenchWords = map[string]bool{
	"le": true, "la": true, "les": true, "un": true, "une": true, "des": true, "du": true, "de": true,
	"est": true, "et": true, "quel": true, "quelle": true, "quels": true, "quelles": true, "qui": true,
	"que": true, "quoi": true, "quand": true, "comment": true, "pourquoi": true, "où": true, "sur": true,
	"dans": true, "pour": true, "avec": true, "c'est": true, "qu'est-ce": true, "il": true, "elle": true,
	"ce": true, "cette": true, "ces": true, "au": true, "aux": true, "ont": true, "été": true,
}

var englishWords = map[string]bool{
	"the": true, "a": true, "an": true, "of": true, "is": true, "are": true, "and": true, "what": true,
	"which": true, "who": true, "when": true, "how": true, "why": true, "where": true, "on": true,
	"in": true, "for": true, "with": true, "was": true, "were": true, "did": true, "does": true,
	"about": true, "this": true, "that": true, "it": true, "has": true, "have": true,
}

// guessLang picks the language of a message's text, which unlike an
// interaction carries no locale: French when it has more French function
// words (or accents) than English ones.
func guessLang(text string) lang {
	fr, en := 0, 0
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && r != '\'' && r != '-'
	}) {
		if frenchWords[w] {
			fr++
		}
		if englishWords[w] {
			en++
		}
	}
	if strings.ContainsAny(text, "éèêàâùûçîôœÉÈÀÇ") {
		fr++
	}
	if fr > en {
		return french
	}
	return english
}

// text is one sentence of the bot's in both languages.
type text struct{ en, fr string }

func (l lang) pick(t text) string {
	if l == french {
		return t.fr
	}
	return t.en
}

// The bot's words. Format verbs are the same in both languages.
var (
	txtSources            = text{"Sources", "Sources"}
	txtClosest            = text{"Closest articles", "Articles les plus proches"}
	txtAnswerFooter       = text{"Built from the cited articles: check them before relying on it.", "Construit à partir des articles cités : vérifiez-les avant de vous y fier."}
	txtUngroundedFooter   = text{"No indexed article answers this directly.", "Aucun article indexé n'y répond directement."}
	txtSearchTitle        = text{"Results for “%s”", "Résultats pour « %s »"}
	txtNoResults          = text{"No indexed article matches “%s”.", "Aucun article indexé ne correspond à « %s »."}
	txtEmptyIndex         = text{"Nothing is indexed yet.", "Rien n'est encore indexé."}
	txtLatestTitle        = text{"Latest articles", "Derniers articles"}
	txtMoreSources        = text{"… and %d more", "… et %d autres"}
	txtStatsTitle         = text{"What Veille has indexed", "Ce que Veille a indexé"}
	txtArticles           = text{"Articles", "Articles"}
	txtChunks             = text{"Passages", "Passages"}
	txtNewest             = text{"Newest article", "Article le plus récent"}
	txtLastRefresh        = text{"Last refresh", "Dernière mise à jour"}
	txtEmbedder           = text{"Embedder", "Modèle d'embedding"}
	txtSourcesCount       = text{"Sources (%d)", "Sources (%d)"}
	txtSeeAlso            = text{"See also: ", "Voir aussi : "}
	txtDigestEmpty        = text{"Nothing new was published.", "Rien de nouveau n'a été publié."}
	txtDigestPreview      = text{"Preview of the next digest (only you can see it; nothing was posted):", "Aperçu du prochain résumé (visible de vous seul ; rien n'a été publié) :"}
	txtDigestPosted       = text{"Digest posted in this channel.", "Résumé publié dans ce salon."}
	txtDigestSaved        = text{"Digest settings saved.", "Réglages du résumé enregistrés."}
	txtDigestOff          = text{"This channel's daily digest is off.", "Le résumé quotidien de ce salon est désactivé."}
	txtDigestNotSet       = text{"This channel gets no daily digest; set one with /digest config time:08:00.", "Ce salon ne reçoit pas de résumé quotidien ; activez-le avec /résumé réglages heure:08:00."}
	txtDigestSettings     = text{"Daily digest at %s (%s), in %s.\nKeywords: %s. Sources: %s. Posted when nothing is new: %s.", "Résumé quotidien à %s (%s), en %s.\nMots-clés : %s. Sources : %s. Publié quand rien n'est nouveau : %s."}
	txtDigestNext         = text{"Next digest: <t:%d:F>.", "Prochain résumé : <t:%d:F>."}
	txtAllKeywords        = text{"all", "tous"}
	txtAllSources         = text{"all", "toutes"}
	txtFrench             = text{"French", "français"}
	txtEnglish            = text{"English", "anglais"}
	txtYes                = text{"yes", "oui"}
	txtNo                 = text{"no", "non"}
	txtDigestDefaultStays = text{"Custom settings removed, but this channel is the bot's default digest channel (DIGEST_CHANNEL_ID): it keeps the default digest until that is changed.",
		"Réglages personnalisés supprimés, mais ce salon est le salon de résumé par défaut du bot (DIGEST_CHANNEL_ID) : il garde le résumé par défaut tant que ce réglage n'est pas changé."}

	txtEmptyQuestion     = text{"Please write a question: this one is empty.", "Écrivez une question : celle-ci est vide."}
	txtLongQuestion      = text{"Your question is too long (%d characters); please keep it under %d.", "Votre question est trop longue (%d caractères) ; %d au maximum, s'il vous plaît."}
	txtUnknownSource     = text{"I don't know the source “%s”. Known sources: %s.", "Je ne connais pas la source « %s ». Sources connues : %s."}
	txtBadSince          = text{"“since” must be a positive number of days.", "« depuis » doit être un nombre de jours positif."}
	txtBadCount          = text{"“count” must be between 1 and %d.", "« nombre » doit être compris entre 1 et %d."}
	txtRateLimited       = text{"You're asking quickly! Please wait %d s before the next question.", "Doucement ! Attendez %d s avant la prochaine question."}
	txtBusy              = text{"I'm answering many questions right now; please try again in a moment.", "Je réponds déjà à beaucoup de questions ; réessayez dans un instant."}
	txtTimeout           = text{"That took too long; please try again, or narrow the question.", "La réponse a pris trop de temps ; réessayez, ou précisez la question."}
	txtFailed            = text{"Something went wrong while answering; please try again later.", "Une erreur est survenue pendant la réponse ; réessayez plus tard."}
	txtThanks            = text{"Thanks for your feedback!", "Merci pour votre retour !"}
	txtFeedbackFailed    = text{"Sorry, I couldn't record your vote.", "Désolé, je n'ai pas pu enregistrer votre vote."}
	txtMentionHelp       = text{"Ask me a question after the mention, e.g. “@Veille what is Log4Shell?”", "Posez-moi une question après la mention, par exemple « @Veille c'est quoi Log4Shell ? »"}
	txtAdminOnly         = text{"This command needs the Manage Server permission.", "Cette commande demande la permission « Gérer le serveur »."}
	txtBadDigestTime     = text{"“%s” is not a time of day: use HH:MM, e.g. 08:00 or 17:30.", "« %s » n'est pas une heure : utilisez HH:MM, par exemple 08:00 ou 17:30."}
	txtBadZone           = text{"I don't know the time zone “%s”: use an IANA name such as Europe/Paris or America/New_York.", "Je ne connais pas le fuseau horaire « %s » : utilisez un nom IANA comme Europe/Paris ou America/New_York."}
	txtBadDigestLang     = text{"The language must be fr or en.", "La langue doit être fr ou en."}
	txtBadFilter         = text{"Give between 1 and %d comma-separated terms, or - to remove the filter.", "Donnez entre 1 et %d termes séparés par des virgules, ou - pour retirer le filtre."}
	txtDigestOffAlone    = text{"“off” turns the digest off: use it without other options.", "« désactiver » arrête le résumé : utilisez-le sans autre option."}
	txtBadDigestSettings = text{"These digest settings are not valid: %s", "Ces réglages du résumé ne sont pas valides : %s"}
	txtUnknownCommand    = text{"I don't know this command (yet).", "Je ne connais pas (encore) cette commande."}

	txtFeedAdded         = text{"Feed added: **%s** %s. Indexed now: %s. It is refreshed with the other feeds from now on.", "Flux ajouté : **%s** %s. Indexé maintenant : %s. Il est désormais actualisé avec les autres flux."}
	txtPageAdded         = text{"This is an article page, not a feed: **%s** %s was indexed once (%s) and will not be followed.", "C'est une page d'article, pas un flux : **%s** %s a été indexée une fois (%s) et ne sera pas suivie."}
	txtNoNewArticle      = text{"no new article", "aucun nouvel article"}
	txtOneNewArticle     = text{"1 new article", "1 nouvel article"}
	txtNewArticles       = text{"%d new articles", "%d nouveaux articles"}
	txtUpdatedArticles   = text{", %d updated", ", %d mis à jour"}
	txtFeedRemoved       = text{"Feed %s removed: it is no longer refreshed. The articles it brought stay indexed.", "Flux %s retiré : il n'est plus actualisé. Les articles qu'il a apportés restent indexés."}
	txtNotUserFeed       = text{"%s is not a feed added with /feeds add. Feeds added so far: %s", "%s n'est pas un flux ajouté avec /flux ajouter. Flux ajoutés jusqu'ici : %s"}
	txtBadFeedURL        = text{"“%s” is not a web address: give a full http(s) URL, e.g. https://www.cert.ssi.gouv.fr/feed/.", "« %s » n'est pas une adresse web : donnez une URL http(s) complète, par exemple https://www.cert.ssi.gouv.fr/feed/."}
	txtPrivateURL        = text{"I can't read this address: it leads to a private or local network, which members' sources may not reach.", "Je ne peux pas lire cette adresse : elle mène à un réseau privé ou local, que les sources des membres ne peuvent pas atteindre."}
	txtFeedFollowed      = text{"This feed is already followed.", "Ce flux est déjà suivi."}
	txtOperatorFeed      = text{"This feed is part of the bot's configuration (FEEDS): only its operator can remove it.", "Ce flux fait partie de la configuration du bot (FEEDS) : seul son opérateur peut le retirer."}
	txtSuggestFeeds      = text{"This page is not a feed, but it links to these feeds; add one of them with /feeds add:", "Cette page n'est pas un flux, mais elle renvoie à ces flux ; ajoutez-en un avec /flux ajouter :"}
	txtUnreadableSource  = text{"I couldn't read this address as a feed or an article page: `%s`", "Je n'ai pas pu lire cette adresse comme un flux ou une page d'article : `%s`"}
	txtUnreadableBecause = text{"I couldn't read this address as a feed or an article page: %s.", "Je n'ai pas pu lire cette adresse comme un flux ou une page d'article : %s."}
	txtHostNotFound      = text{"its host name does not exist (check the spelling)", "son nom d'hôte n'existe pas (vérifiez l'orthographe)"}
	txtHostUnresolved    = text{"its host name could not be looked up; try again later", "son nom d'hôte n'a pas pu être résolu ; réessayez plus tard"}
	txtHostTooSlow       = text{"the site took too long to answer", "le site a mis trop de temps à répondre"}
	txtHostUnreachable   = text{"the site could not be reached", "le site est injoignable"}
	txtBadCertificate    = text{"its HTTPS certificate is not valid", "son certificat HTTPS n'est pas valide"}
	txtFeedsTitle        = text{"Feeds (%d)", "Flux (%d)"}
	txtMoreFeeds         = text{"… and %d more", "… et %d autres"}
	txtNoFeeds           = text{"No feed is refreshed.", "Aucun flux n'est actualisé."}
	txtUserAdded         = text{"(added with /feeds)", "(ajouté avec /flux)"}
	txtNever             = text{"never", "jamais"}
	txtNotFetchedYet     = text{"not fetched yet", "pas encore lu"}
	txtFeedOK            = text{"last read %s", "lu %s"}
	txtFeedFailing       = text{"%d failures in a row, last success %s", "%d échecs de suite, dernier succès %s"}
	txtNextAttempt       = text{", next try <t:%d:R>", ", prochain essai <t:%d:R>"}
	txtAnswerCut         = text{"… (answer truncated: too long for Discord)", "… (réponse tronquée : trop longue pour Discord)"}
	txtWriting           = text{"Writing the answer… its sources follow once it is checked.", "Rédaction de la réponse… les sources suivront après vérification."}
)
