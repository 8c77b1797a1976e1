// Package when reads the time expression of a French or English question
// ("hier", "en mars 2021", "depuis une semaine", "since last week",
// "between 2019 and 2021") as a date range, so that retrieval can filter on
// published time and search with the rest of the question.
//
// It reads only what it can read without guessing: a bare number is never a
// year, a year needs a preposition before it ("en 2020", "since 2019") and
// must lie in 1990–2100, and a month name is a month only after a
// preposition or a day ("en mars", "le 3 mars"), so "CVE-2020-1234",
// "Windows 2000" or "la planète Mars" are left alone.
package when

import (
	"strings"
	"time"
)

// Range is a half-open interval [Since, Until); a zero bound is open.
type Range struct {
	Since, Until time.Time
	// Absolute is true when the expression writes its year ("en 2020",
	// "March 2021", "entre 2019 et 2021"): it names the time of an event
	// rather than a span relative to today ("hier", "last week").
	Absolute bool
}

// Parse finds the time expression in q, relative to now in loc, and returns
// the range, the question with the expression removed (for retrieval), and
// whether one was found. The leftmost expression wins; at one place the
// longest reading wins. Weeks start on Monday; days, months and years are
// those of loc (UTC when nil). A month or day without a year is the most
// recent one not in the future; rolling windows ("les 7 derniers jours",
// "in the past two weeks") start at midnight that many days, weeks, months
// or years ago, or that many hours before now. When nothing is found, rest
// is q.
func Parse(q string, now time.Time, loc *time.Location) (r Range, rest string, ok bool) {
	if loc == nil {
		loc = time.UTC
	}
	p := parser{toks: tokenize(q), now: now.In(loc), loc: loc}
	n := p.now
	p.today = time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	for i := range p.toks {
		if j, r, ok := p.at(i); ok {
			return r, cut(q, p.toks[i].start, p.toks[j-1].end), true
		}
	}
	return Range{}, strings.ToValidUTF8(q, "\uFFFD"), false
}

// cut removes q[start:end] and tidies the spaces and commas it leaves.
func cut(q string, start, end int) string {
	s := strings.Join(strings.Fields(q[:start]+" "+q[end:]), " ")
	s = strings.ReplaceAll(s, ", ,", ",")
	s = strings.Trim(s, " ,;")
	return strings.ToValidUTF8(s, "\uFFFD")
}

type parser struct {
	toks  []token
	now   time.Time // in loc
	today time.Time // midnight today in loc
	loc   *time.Location
}

// rules are the readings tried at each word; each returns the index after
// the last word it used.
var rules = []func(p *parser, i int) (int, Range, bool){
	(*parser).relative,
	(*parser).rolling,
	(*parser).since,
	(*parser).in,
	(*parser).on,
	(*parser).bounded,
	(*parser).between,
}

// at returns the longest reading starting at word i.
func (p *parser) at(i int) (end int, r Range, ok bool) {
	for _, rule := range rules {
		if j, rr, found := rule(p, i); found && j > end {
			end, r, ok = j, rr, true
		}
	}
	return end, r, ok
}

// seq matches pattern from word i and returns the index after it. Each slot
// lists alternatives separated by "|"; a slot ending in "?" is optional.
func (p *parser) seq(i int, pattern ...string) (int, bool) {
	for _, slot := range pattern {
		slot, opt := strings.CutSuffix(slot, "?")
		if i < len(p.toks) && oneOf(slot, p.toks[i].norm) {
			i++
			continue
		}
		if !opt {
			return 0, false
		}
	}
	return i, true
}

func oneOf(alts, w string) bool {
	for alts != "" {
		var a string
		a, alts, _ = strings.Cut(alts, "|")
		if a == w {
			return true
		}
	}
	return false
}

func (p *parser) word(i int) string {
	if i < len(p.toks) {
		return p.toks[i].norm
	}
	return ""
}

// Calendar periods named relative to today.
type period int

const (
	today period = iota
	yesterday
	dayBeforeYesterday
	thisWeek
	lastWeek
	thisMonth
	lastMonth
	thisYear
	lastYear
)

var periods = []struct {
	pattern []string
	period  period
}{
	{[]string{"aujourd", "hui"}, today},
	{[]string{"aujourdhui|today|tonight"}, today},
	{[]string{"ce|cette", "matin|apres-midi|soir"}, today},
	{[]string{"this", "morning|afternoon|evening"}, today},
	{[]string{"hier|yesterday"}, yesterday},
	{[]string{"avant-hier"}, dayBeforeYesterday},
	{[]string{"avant", "hier"}, dayBeforeYesterday},
	{[]string{"the?", "day", "before", "yesterday"}, dayBeforeYesterday},
	{[]string{"cette", "semaine|semaine-ci"}, thisWeek},
	{[]string{"this", "week"}, thisWeek},
	{[]string{"la?", "semaine", "derniere|passee"}, lastWeek},
	{[]string{"last", "week"}, lastWeek},
	{[]string{"ce", "mois|mois-ci"}, thisMonth},
	{[]string{"this", "month"}, thisMonth},
	{[]string{"le?", "mois", "dernier|passe"}, lastMonth},
	{[]string{"last", "month"}, lastMonth},
	{[]string{"cette", "annee|annee-ci"}, thisYear},
	{[]string{"this", "year"}, thisYear},
	{[]string{"l?", "annee", "derniere|passee"}, lastYear},
	{[]string{"l?", "an", "dernier|passe"}, lastYear},
	{[]string{"last", "year"}, lastYear},
}

// relative reads a calendar period named relative to today: "hier",
// "la semaine dernière", "this month".
func (p *parser) relative(i int) (int, Range, bool) {
	best, found := 0, false
	var per period
	for _, c := range periods {
		if j, ok := p.seq(i, c.pattern...); ok && j > best {
			best, per, found = j, c.period, true
		}
	}
	if !found {
		return 0, Range{}, false
	}
	return best, p.period(per), true
}

func (p *parser) period(per period) Range {
	d := p.today
	monday := d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	month := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, p.loc)
	year := time.Date(d.Year(), 1, 1, 0, 0, 0, 0, p.loc)
	switch per {
	case yesterday:
		return Range{Since: d.AddDate(0, 0, -1), Until: d}
	case dayBeforeYesterday:
		return Range{Since: d.AddDate(0, 0, -2), Until: d.AddDate(0, 0, -1)}
	case thisWeek:
		return Range{Since: monday, Until: monday.AddDate(0, 0, 7)}
	case lastWeek:
		return Range{Since: monday.AddDate(0, 0, -7), Until: monday}
	case thisMonth:
		return Range{Since: month, Until: month.AddDate(0, 1, 0)}
	case lastMonth:
		return Range{Since: month.AddDate(0, -1, 0), Until: month}
	case thisYear:
		return Range{Since: year, Until: year.AddDate(1, 0, 0)}
	case lastYear:
		return Range{Since: year.AddDate(-1, 0, 0), Until: year}
	}
	return Range{Since: d, Until: d.AddDate(0, 0, 1)}
}

// countUnit reads "3 jours", "deux mois", "24 heures" or "24h" at word i.
func (p *parser) countUnit(i int) (int, int, unit, bool) {
	w := p.word(i)
	if h, ok := strings.CutSuffix(w, "h"); ok && digits(h) {
		if n, ok := count(h); ok {
			return i + 1, n, hours, true
		}
	}
	n, ok := count(w)
	if !ok {
		return 0, 0, 0, false
	}
	u, ok := units[p.word(i+1)]
	if !ok {
		return 0, 0, 0, false
	}
	return i + 2, n, u, true
}

// ago is the start of a rolling window of n units ending now.
func (p *parser) ago(n int, u unit) time.Time {
	switch u {
	case hours:
		return p.now.Add(-time.Duration(n) * time.Hour)
	case weeks:
		return p.today.AddDate(0, 0, -7*n)
	case monthsUnit:
		return p.today.AddDate(0, -n, 0)
	case years:
		return p.today.AddDate(-n, 0, 0)
	}
	return p.today.AddDate(0, 0, -n)
}

const lastFR = "dernier|derniere|derniers|dernieres"

// rolling reads a window ending now: "ces 7 derniers jours", "les dernières
// 24 heures", "in the last 3 days", "over the past two weeks".
func (p *parser) rolling(i int) (int, Range, bool) {
	// French: [au cours|dans|sur|pendant|durant|depuis] [ces|les|des|la|cette]
	// then "N derniers jours", "derniers N jours" or "dernière semaine".
	j := i
	if k, ok := p.seq(j, "au", "cours"); ok {
		j = k
	} else if k, ok := p.seq(j, "dans|sur|pendant|durant|depuis"); ok {
		j = k
	}
	j, _ = p.seq(j, "ces|les|des|la|cette?")
	if n, ok := count(p.word(j)); ok {
		// "les 24 dernières heures": the count, then dernier, then the unit.
		if k, ok := p.seq(j+1, lastFR); ok {
			if u, ok := units[p.word(k)]; ok {
				return k + 1, Range{Since: p.ago(n, u)}, true
			}
		}
	}
	if k, ok := p.seq(j, lastFR); ok {
		if e, n, u, ok := p.countUnit(k); ok {
			return e, Range{Since: p.ago(n, u)}, true
		}
		// "la dernière semaine" is one week; without a count, the plural
		// ("les derniers jours de Pompéi") and a bare "dernier jour" are
		// not windows.
		if u, ok := units[p.word(k)]; ok && k > i+1 && oneOf("dernier|derniere", p.word(k-1)) {
			return k + 1, Range{Since: p.ago(1, u)}, true
		}
	}
	// English: [in|over|during|within|for] [the] last|past [N] unit. Without
	// "the" or a count, "last week" is the calendar week (see periods).
	j, _ = p.seq(i, "in|over|during|within|for?")
	the := false
	if k, ok := p.seq(j, "the"); ok {
		j, the = k, true
	}
	k, ok := p.seq(j, "last|past")
	if !ok {
		return 0, Range{}, false
	}
	if e, n, u, ok := p.countUnit(k); ok {
		return e, Range{Since: p.ago(n, u)}, true
	}
	if u, ok := units[p.word(k)]; ok && (the || p.word(k-1) == "past") {
		return k + 1, Range{Since: p.ago(1, u)}, true
	}
	return 0, Range{}, false
}

// since reads "depuis …" and "since …": a window, a period or a date.
func (p *parser) since(i int) (int, Range, bool) {
	j, ok := p.seq(i, "depuis|since")
	if !ok {
		j, ok = p.seq(i, "a", "partir", "de|du|d")
	}
	if !ok {
		return 0, Range{}, false
	}
	best, r, found := 0, Range{}, false
	if e, n, u, ok := p.countUnit(j); ok {
		best, r, found = e, Range{Since: p.ago(n, u)}, true
	}
	if e, rr, ok := p.relative(j); ok && e > best {
		best, r, found = e, Range{Since: rr.Since}, true
	}
	k, _ := p.seq(j, "le|the?")
	if e, d, ok := p.date(k, true); ok && e > best {
		best, r, found = e, Range{Since: p.resolve(d).Since, Absolute: d.hasY}, true
	}
	return best, r, found
}

// in reads "en 2020", "in March 2021", "en mars dernier", "last March".
func (p *parser) in(i int) (int, Range, bool) {
	strict := false
	j, ok := p.seq(i, "en|in|pendant|durant|during")
	if k, ok2 := p.seq(i, "au", "mois", "de|d"); ok2 {
		j, ok = k, true
	} else if k, ok2 := p.seq(i, "in", "the", "month", "of"); ok2 {
		j, ok = k, true
	} else if k, ok2 := p.seq(i, "in?", "last"); ok2 && monthOnly(p.word(k)) {
		j, ok, strict = k, true, true
	}
	if !ok {
		return 0, Range{}, false
	}
	if e, r, ok := p.relative(j); ok && !strict {
		return e, r, true
	}
	e, d, ok := p.date(j, false)
	if !ok {
		return 0, Range{}, false
	}
	if d.hasM && !d.hasD && !d.hasY {
		if k, ok := p.seq(e, lastFR+"|passe"); ok {
			e, strict = k, true
		}
		d.strict = strict
	}
	if strict && (!d.hasM || d.hasY || d.hasD) {
		return 0, Range{}, false
	}
	return e, p.resolve(d), true
}

func monthOnly(w string) bool {
	_, ok := months[w]
	return ok
}

// on reads a day: "le 3 mars", "on March 3", "3 mars 2024", "03/03/2024".
func (p *parser) on(i int) (int, Range, bool) {
	j, ok := p.seq(i, "le|on")
	if ok {
		j, _ = p.seq(j, "the?")
	} else {
		j = i
	}
	e, d, found := p.date(j, true)
	if !found || !d.hasD || (!ok && !d.hasY) {
		return 0, Range{}, false
	}
	return e, p.resolve(d), true
}

// bounded reads "avant 2020", "after March 2021", "jusqu'en 2019".
func (p *parser) bounded(i int) (int, Range, bool) {
	var kind int
	j, ok := p.seq(i, "avant|before")
	if !ok {
		if j, ok = p.seq(i, "apres|after"); ok {
			kind = 1
		} else if j, ok = p.seq(i, "jusqu", "en|a|au|le"); ok {
			kind = 2
		} else if j, ok = p.seq(i, "until|till|through"); ok {
			kind = 2
		}
	}
	if !ok {
		return 0, Range{}, false
	}
	j, _ = p.seq(j, "le|the?")
	e, d, ok := p.date(j, true)
	if !ok {
		return 0, Range{}, false
	}
	r := p.resolve(d)
	switch kind {
	case 1:
		return e, Range{Since: r.Until, Absolute: r.Absolute}, true
	case 2:
		return e, Range{Until: r.Until, Absolute: r.Absolute}, true
	}
	return e, Range{Until: r.Since, Absolute: r.Absolute}, true
}

// between reads "entre 2019 et 2021", "between March and May 2021",
// "du 3 mars au 10 avril", "from 2019 to 2021".
func (p *parser) between(i int) (int, Range, bool) {
	j, ok := p.seq(i, "entre|between")
	and := "et|and"
	if !ok {
		j, ok = p.seq(i, "de|du|from")
		and = "a|au|to|until|till"
	}
	if !ok {
		return 0, Range{}, false
	}
	j, _ = p.seq(j, "le|the?")
	e, from, ok := p.date(j, true)
	if !ok {
		return 0, Range{}, false
	}
	e, ok = p.seq(e, and)
	if !ok {
		return 0, Range{}, false
	}
	e, _ = p.seq(e, "le|the?")
	e, to, ok := p.date(e, true)
	if !ok {
		return 0, Range{}, false
	}
	if !from.hasY && to.hasY {
		from.y, from.hasY = to.y, true
		if !from.valid() {
			return 0, Range{}, false
		}
	}
	a, b := p.resolve(from), p.resolve(to)
	r := Range{Since: a.Since, Until: b.Until, Absolute: a.Absolute && b.Absolute}
	if b.Since.Before(r.Since) {
		r.Since = b.Since
	}
	if a.Until.After(r.Until) {
		r.Until = a.Until
	}
	return e, r, true
}
