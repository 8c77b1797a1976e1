package digest

import (
	"fmt"
	"time"
)

var (
	frenchDays   = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	frenchMonths = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
)

// LongDate formats t's calendar day with its weekday in lang ("fr" default,
// "en"): "mardi 1er décembre 2026", "Tuesday, December 1, 2026". Go's
// layouts only speak English, so French is spelt by hand.
func LongDate(t time.Time, lang string) string {
	if lang == "en" {
		return t.Format("Monday, January 2, 2006")
	}
	return frenchDays[t.Weekday()] + " " + Date(t, lang)
}

// Date formats t's calendar day in lang: "1er décembre 2026",
// "December 1, 2026".
func Date(t time.Time, lang string) string {
	if lang == "en" {
		return t.Format("January 2, 2006")
	}
	day := fmt.Sprint(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	return fmt.Sprintf("%s %s %d", day, frenchMonths[t.Month()-1], t.Year())
}
