package when

import (
	"strconv"
	"strings"
	"time"
)

// date is a calendar date as written, possibly without a day or a year.
type date struct {
	y          int
	m          time.Month
	d          int
	hasY, hasM bool
	hasD       bool
	// strict: a month without a year is the last one before the current
	// month ("mars dernier", "last March"), not the current one.
	strict bool
}

// date reads a date at word i: "2020", "mars 2021", "3 mars", "3rd of March
// 2024", "03/03/2024", "2024-03-03", and with monthDay also "March 3".
// Numeric dates are day first, as in French and British usage.
func (p *parser) date(i int, monthDay bool) (int, date, bool) {
	w := p.word(i)
	if d, ok := numeric(w); ok {
		return i + 1, d, true
	}
	if y, ok := year(w); ok {
		return i + 1, date{y: y, hasY: true}, true
	}
	var d date
	var e int
	if n, ok := day(w); ok {
		k, _ := p.seq(i+1, "of?")
		m, ok := months[p.word(k)]
		if !ok {
			return 0, date{}, false
		}
		d, e = date{m: m, d: n, hasM: true, hasD: true}, k+1
	} else if m, ok := months[w]; ok {
		d, e = date{m: m, hasM: true}, i+1
		if n, ok := day(p.word(e)); ok && monthDay {
			d.d, d.hasD = n, true
			e++
		}
	} else {
		return 0, date{}, false
	}
	if w := p.word(e); len(w) == 4 && digits(w) {
		// "le 14 août 1859" is no recent 14 August: out of range, no date.
		y, ok := year(w)
		if !ok {
			return 0, date{}, false
		}
		d.y, d.hasY = y, true
		e++
	}
	if !d.valid() {
		return 0, date{}, false
	}
	return e, d, true
}

// numeric reads "03/03/2024", "3/3/24", "03/2024" and "2024-03-03".
func numeric(w string) (date, bool) {
	var parts []string
	var d date
	switch {
	case strings.Count(w, "/") == 2:
		parts = strings.Split(w, "/")
	case strings.Count(w, "/") == 1:
		mm, yy, _ := strings.Cut(w, "/")
		parts = []string{"", mm, yy}
	case strings.Count(w, "-") == 2:
		p := strings.Split(w, "-")
		if len(p[0]) != 4 {
			return date{}, false
		}
		parts = []string{p[2], p[1], p[0]}
	default:
		return date{}, false
	}
	y, ok := year(parts[2])
	if !ok && len(parts[2]) == 2 && digits(parts[2]) {
		n, _ := strconv.Atoi(parts[2])
		y, ok = 2000+n, 2000+n <= maxYear
	}
	if !ok || len(parts[1]) > 2 || !digits(parts[1]) {
		return date{}, false
	}
	m, _ := strconv.Atoi(parts[1])
	if m < 1 || m > 12 {
		return date{}, false
	}
	d = date{y: y, m: time.Month(m), hasY: true, hasM: true}
	if parts[0] != "" {
		if len(parts[0]) > 2 || !digits(parts[0]) {
			return date{}, false
		}
		n, _ := strconv.Atoi(parts[0])
		d.d, d.hasD = n, true
	}
	return d, d.valid()
}

// valid reports whether the day exists (29 February in some leap year when
// no year is given).
func (d date) valid() bool {
	if !d.hasD {
		return true
	}
	y := d.y
	if !d.hasY {
		y = 2000
	}
	return d.d >= 1 && time.Date(y, d.m, d.d, 0, 0, 0, 0, time.UTC).Day() == d.d
}

// resolve turns a date into the range it names, choosing the most recent
// year not in the future when none is written.
func (p *parser) resolve(d date) Range {
	loc := p.loc
	switch {
	case !d.hasM:
		s := time.Date(d.y, 1, 1, 0, 0, 0, 0, loc)
		return Range{Since: s, Until: s.AddDate(1, 0, 0), Absolute: true}
	case !d.hasD:
		y := d.y
		if !d.hasY {
			y = p.today.Year()
			if d.m > p.today.Month() || d.strict && d.m == p.today.Month() {
				y--
			}
		}
		s := time.Date(y, d.m, 1, 0, 0, 0, 0, loc)
		return Range{Since: s, Until: s.AddDate(0, 1, 0), Absolute: d.hasY}
	}
	y := d.y
	if !d.hasY {
		// Back to the last year where the day exists and is not ahead.
		y = p.today.Year()
		for range 8 {
			s := time.Date(y, d.m, d.d, 0, 0, 0, 0, loc)
			if s.Day() == d.d && !s.After(p.today) {
				break
			}
			y--
		}
	}
	s := time.Date(y, d.m, d.d, 0, 0, 0, 0, loc)
	return Range{Since: s, Until: s.AddDate(0, 0, 1), Absolute: d.hasY}
}
