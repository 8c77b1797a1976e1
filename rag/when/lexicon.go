package when

import (
	"strconv"
	"strings"
	"time"
)

// months maps folded French and English month names, and the abbreviations
// that cannot be mistaken for another word, to their month.
var months = map[string]time.Month{
	"janvier": 1, "janv": 1, "january": 1, "jan": 1,
	"fevrier": 2, "fevr": 2, "february": 2, "feb": 2,
	"mars": 3, "march": 3,
	"avril": 4, "avr": 4, "april": 4, "apr": 4,
	"mai": 5, "may": 5,
	"juin": 6, "june": 6, "jun": 6,
	"juillet": 7, "juil": 7, "july": 7, "jul": 7,
	"aout": 8, "august": 8, "aug": 8,
	"septembre": 9, "september": 9, "sept": 9, "sep": 9,
	"octobre": 10, "october": 10, "oct": 10,
	"novembre": 11, "november": 11, "nov": 11,
	"decembre": 12, "december": 12, "dec": 12,
}

// numbers are the counts written as words.
var numbers = map[string]int{
	"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5,
	"six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "douze": 12,
	"quinze": 15, "vingt": 20, "trente": 30,
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
	"seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12,
	"fifteen": 15, "twenty": 20, "thirty": 30,
}

// unit is a span of time a rolling window counts in.
type unit int

const (
	hours unit = iota + 1
	days
	weeks
	monthsUnit
	years
)

var units = map[string]unit{
	"heure": hours, "heures": hours, "h": hours, "hour": hours, "hours": hours,
	"jour": days, "jours": days, "day": days, "days": days,
	"semaine": weeks, "semaines": weeks, "week": weeks, "weeks": weeks,
	"mois": monthsUnit, "month": monthsUnit, "months": monthsUnit,
	"an": years, "ans": years, "annee": years, "annees": years, "year": years, "years": years,
}

// Bounds on what counts as a year or a count, so that "Windows 2000" or a
// CVE number is not read as a date and no arithmetic overflows.
const (
	minYear  = 1990
	maxYear  = 2100
	maxCount = 1000
)

// year reads a four-digit year in [minYear, maxYear].
func year(s string) (int, bool) {
	if len(s) != 4 || !digits(s) {
		return 0, false
	}
	y, _ := strconv.Atoi(s)
	return y, y >= minYear && y <= maxYear
}

// day reads a day of the month: "3", "03", "1er", "3rd", "21st".
func day(s string) (int, bool) {
	for _, suf := range []string{"er", "st", "nd", "rd", "th", "e"} {
		if t, ok := strings.CutSuffix(s, suf); ok && t != "" {
			s = t
			break
		}
	}
	if len(s) > 2 || !digits(s) {
		return 0, false
	}
	d, _ := strconv.Atoi(s)
	return d, d >= 1 && d <= 31
}

// count reads a count in digits or words.
func count(s string) (int, bool) {
	if n, ok := numbers[s]; ok {
		return n, true
	}
	if len(s) > 4 || !digits(s) {
		return 0, false
	}
	n, _ := strconv.Atoi(s)
	return n, n >= 1 && n <= maxCount
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
