package article

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Clean returns text without the chrome that scraping French and English news
// pages leaves behind, laid out as paragraphs separated by one blank line.
//
// It drops invalid UTF-8, control and zero-width characters, turns every
// other space (no-break spaces included) into a plain space, puts the text in
// NFC and then removes, conservatively (whole lines that match known chrome,
// never a sentence that merely mentions it):
//   - sponsor labels ("Contenu partenaire", "Contenu sponsorisé", "Publicité",
//     "Advertisement"…) on their own line, or glued to the start or the end of
//     a paragraph ("Contenu partenaireLe géant…");
//   - share, "read also", newsletter, follow-us and cookie-banner lines;
//   - comment forms: their lines anywhere, and everything from a comment
//     heading ("LAISSER UN COMMENTAIRE", "Leave a reply"…) to the end when the
//     heading sits in the last 60 % of the text.
//
// Clean is idempotent: Clean(Clean(s)) == Clean(s).
func Clean(text string) string {
	cur := layout(text)
	// Removing one piece of chrome can expose another (a label glued to a
	// label) or move a comment heading into the tail: repeat until nothing
	// changes. Every round that changes something shortens the text, so this
	// ends; the bound is a guard, not a limit reached in practice.
	for range 16 {
		next := layout(stripChrome(cur))
		if next == cur {
			break
		}
		cur = next
	}
	return cur
}

// layout normalises characters and whitespace: NFC, "\n" line ends, single
// spaces, trimmed lines, paragraphs separated by exactly one blank line.
func layout(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			// invalid byte: drop
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				continue
			}
			b.WriteByte('\n')
		case r == '\n', r == '\u2028', r == '\u2029', r == '\v', r == '\f', r == '\u0085':
			b.WriteByte('\n')
		case r == '\u200b', r == '\ufeff', r == '\u00ad', r == '\u2060', r == '\u180e':
			// zero-width space, BOM, soft hyphen, word joiner: invisible, drop
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		case unicode.IsControl(r):
			// drop
		default:
			b.WriteRune(r)
		}
	}
	s = norm.NFC.String(b.String())

	b.Reset()
	b.Grow(len(s))
	blank := false
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			blank = b.Len() > 0
			continue
		}
		if b.Len() > 0 {
			if blank {
				b.WriteString("\n\n")
			} else {
				b.WriteByte('\n')
			}
		}
		blank = false
		b.WriteString(line)
	}
	return b.String()
}

// stripChrome removes chrome lines from laid-out text.
func stripChrome(s string) string {
	lines := strings.Split(s, "\n")
	total := len(s)
	offset := 0
	out := make([]string, 0, len(lines))
	sponsored, related := false, false
	for i, line := range lines {
		start := offset
		offset += len(line) + 1
		if line == "" {
			sponsored = false
			out = append(out, line)
			continue
		}
		k := matchKey(line)
		if isCommentHeading(k) && start*10 >= total*4 {
			break // the comment section runs to the end
		}
		// The line right under a sponsor label is the sponsor's.
		if sponsored && utf8.RuneCountInString(line) <= sponsoredMaxLen {
			sponsored = false
			continue
		}
		// Under "Related Articles:", headlines (short, no final period)
		// until the first line of text.
		if related && isHeadline(line) {
			continue
		}
		related = false
		if isChromeLine(k) {
			// A label that is a paragraph with one line after it: that
			// line is the sponsor's ("Contenu partenaire\nSécurisez…").
			sponsored = isLabel(k) && (i == 0 || lines[i-1] == "") &&
				i+1 < len(lines) && (i+2 >= len(lines) || lines[i+2] == "")
			continue
		}
		if relatedHeadings[k] {
			related = true
			continue
		}
		out = append(out, stripGluedLabels(line))
	}
	return strings.Join(out, "\n")
}

// sponsoredMaxLen bounds the sponsored line dropped under a label: a longer
// one may be article text after a stray label.
const sponsoredMaxLen = 300

// relatedHeadings open a block of links to other articles (matchKey form).
var relatedHeadings = map[string]bool{
	"related articles": true, "related stories": true, "related": true, "more on this": true,
	"read next": true, "articles lies": true, "articles similaires": true, "sur le meme sujet": true,
	"a lire aussi": true, "lire aussi": true, "a lire egalement": true, "dans la meme rubrique": true,
}

// isHeadline reports a line that reads as a link to another article: short,
// not ending a sentence.
func isHeadline(line string) bool {
	if utf8.RuneCountInString(line) > 160 {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(strings.TrimSpace(line))
	return last != '.' && last != ':' && last != ';'
}

func isLabel(k string) bool {
	for _, l := range labels {
		if k == l {
			return true
		}
	}
	return false
}

// matchKey folds a line for matching: lower case, accents and typographic
// apostrophes folded, surrounding punctuation and spaces trimmed.
func matchKey(line string) string {
	if len(line) > 300 {
		return "" // chrome is short; long lines are text
	}
	k := strings.ToLower(foldAccents(line))
	k = apostrophes.Replace(k)
	return strings.TrimFunc(k, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("!:.…*-–—|>•·»«\"()[]", r)
	})
}

var apostrophes = strings.NewReplacer("’", "'", "‘", "'", "ʼ", "'", "´", "'", "`", "'")

// labels are sponsor markers (in matchKey form) dropped when alone on a line.
var labels = []string{
	"contenu sponsorise", "contenu partenaire", "publi-redactionnel", "publireportage",
	"sponsored content", "partner content", "advertisement", "publicite", "sponsorise",
	"sponsored", "annonce",
}

// gluedLabels may be glued to the next sentence; only distinctive labels, so
// that "Annonces" or "Publicités" starting a real sentence are left alone.
var gluedLabels = []string{
	"Contenu partenaire", "Contenu sponsorisé", "CONTENU PARTENAIRE", "CONTENU SPONSORISÉ",
	"Publicité", "PUBLICITÉ", "Sponsored content", "Advertisement", "ADVERTISEMENT",
}

// chromeLines are whole lines (in matchKey form) that are never article text.
var chromeLines = map[string]bool{
	"partager": true, "partage": true, "share": true, "tweet": true, "tweeter": true,
	"imprimer": true, "print": true, "e-mail": true, "email": true, "facebook": true,
	"twitter": true, "linkedin": true, "whatsapp": true, "pinterest": true, "reddit": true,
	"copier le lien": true, "copy link": true, "partager l'article": true, "partager cet article": true,
	"share this article": true, "share this": true, "envoyer par e-mail": true,
	"accept cookies": true, "accept all": true, "accept all cookies": true, "accepter": true,
	"tout accepter": true, "accepter les cookies": true, "refuser": true, "tout refuser": true,
	"continuer sans accepter": true, "parametrer les cookies": true, "gerer les cookies": true,
	"cookie settings": true, "manage cookies": true, "j'accepte": true,
	// comment-form fields, wherever they are
	"s'il vous plait tapez votre commentaire": true, "s'il vous plait entrez votre nom ici": true,
	"s'il vous plait entrez votre adresse email ici": true, "vous avez entre une adresse e-mail incorrecte": true,
	"veuillez entrer votre adresse email ici": true, "please enter your comment": true,
	"please enter your name here": true, "you have entered an incorrect email address": true,
	"please enter your email address here": true,
}

// chromePrefixes start lines that are chrome when short: share buttons,
// "read also" links, newsletter and follow-us calls, cookie banners.
var chromePrefixes = []string{
	"partager sur ", "partager via ", "share on ", "share via ", "lire aussi", "a lire aussi",
	"lire egalement", "a lire egalement", "voir aussi", "read also", "read more", "lire la suite",
	"see also", "related:", "abonnez-vous", "inscrivez-vous a notre newsletter",
	"inscrivez-vous a la newsletter", "recevez notre newsletter", "recevez gratuitement notre newsletter",
	"subscribe to our newsletter", "sign up for our newsletter", "sign up to our newsletter",
	"s'abonner a la newsletter", "je m'abonne", "suivez-nous sur", "follow us on",
	"nous utilisons des cookies", "ce site utilise des cookies", "ce site web utilise des cookies",
	"we use cookies", "this site uses cookies", "this website uses cookies",
	"en poursuivant votre navigation", "by continuing to browse",
}

// commentHeadings open a comment section (in matchKey form).
var commentHeadings = map[string]bool{
	"laisser un commentaire": true, "laissez un commentaire": true, "laisser une reponse": true,
	"ajouter un commentaire": true, "poster un commentaire": true, "publier un commentaire": true,
	"commentaires": true, "leave a reply": true, "leave a comment": true, "add a comment": true,
	"post a comment": true, "comments": true, "repondre": true, "annuler la reponse": true,
	"vous devez etre connecte pour publier un commentaire": true,
	"votre adresse e-mail ne sera pas publiee":             true, "votre adresse email ne sera pas publiee": true,
	"your email address will not be published": true,
}

func isCommentHeading(k string) bool {
	if commentHeadings[k] || strings.HasPrefix(k, "s'il vous plait tapez votre commentaire") {
		return true
	}
	// "3 commentaires", "12 comments"
	if n := strings.IndexByte(k, ' '); n > 0 && isDigits(k[:n]) {
		rest := k[n+1:]
		return rest == "commentaires" || rest == "commentaire" || rest == "comments" || rest == "comment"
	}
	return false
}

func isChromeLine(k string) bool {
	if k == "" {
		return false
	}
	if chromeLines[k] || commentHeadings[k] {
		return true
	}
	for _, l := range labels {
		if k == l {
			return true
		}
	}
	if utf8.RuneCountInString(k) > 200 {
		return false
	}
	for _, p := range chromePrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// stripGluedLabels removes a sponsor label glued to the start of a line
// ("Contenu partenaireLe géant…") or to its end ("…un juge.Contenu
// partenaire"). A label followed by a lower-case letter or preceded by one is
// part of a sentence and stays. Labels glued to labels all go.
func stripGluedLabels(line string) string {
	for {
		next := stripGluedLabel(line)
		if next == line {
			return line
		}
		line = next
	}
}

func stripGluedLabel(line string) string {
	for _, l := range gluedLabels {
		if rest, ok := strings.CutPrefix(line, l); ok {
			r, _ := utf8.DecodeRuneInString(rest)
			if unicode.IsUpper(r) || r == '«' || r == '"' || r == '“' {
				return rest
			}
			if strings.HasPrefix(l, "Contenu") || strings.HasPrefix(l, "CONTENU") || strings.HasPrefix(l, "Sponsored") {
				if t := strings.TrimLeft(rest, " :|-–—"); t != rest {
					if r, _ := utf8.DecodeRuneInString(t); unicode.IsUpper(r) {
						return t
					}
				}
			}
		}
		if head, ok := strings.CutSuffix(line, l); ok {
			t := strings.TrimRight(head, " ")
			r, _ := utf8.DecodeLastRuneInString(t)
			if strings.ContainsRune(".!?»\"”)", r) {
				return t
			}
		}
	}
	return line
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// foldAccents replaces the accented Latin letters of French (and a few
// neighbours) with their base letter; other runes are kept.
func foldAccents(s string) string {
	ascii := true
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	return accentFolder.Replace(s)
}

var accentFolder = strings.NewReplacer(
	"à", "a", "â", "a", "ä", "a", "á", "a", "ç", "c", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"î", "i", "ï", "i", "í", "i", "ô", "o", "ö", "o", "ó", "o", "ù", "u", "û", "u", "ü", "u", "ú", "u",
	"ÿ", "y", "ñ", "n", "œ", "oe", "æ", "ae",
	"À", "A", "Â", "A", "Ä", "A", "Á", "A", "Ç", "C", "É", "E", "È", "E", "Ê", "E", "Ë", "E",
	"Î", "I", "Ï", "I", "Í", "I", "Ô", "O", "Ö", "O", "Ó", "O", "Ù", "U", "Û", "U", "Ü", "U", "Ú", "U",
	"Ÿ", "Y", "Ñ", "N", "Œ", "OE", "Æ", "AE",
)
