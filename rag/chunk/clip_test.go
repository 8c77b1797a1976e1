package chunk

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"fits", "Il pleut.", 9, "Il pleut."},
		{"empty", "", 0, ""},
		{"nothing fits", "Il pleut.", 0, ""},
		{"only the ellipsis fits", "Il pleut.", 1, "…"},
		{"french at a word", "Le ministère a confirmé la fuite de données", 30, "Le ministère a confirmé la…"},
		{"english at a word", "The ministry confirmed the data leak", 20, "The ministry…"},
		{"runes not bytes", "Éléphant élégant à l’été", 12, "Éléphant…"},
		{"punctuation before the cut dropped", "Paris, Lyon, Marseille et Lille", 18, "Paris, Lyon…"},
		{"french spacing dropped", "Il a dit : oui, puis non", 12, "Il a dit…"},
		{"other whitespace is a boundary", "Une ligne\nune autre ligne", 14, "Une ligne…"},
		{"one long word is cut inside", "Anticonstitutionnellement parlant", 10, "Anticonst…"},
		{"no space in the second half", "Un mot interminablement long", 12, "Un mot inte…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Clip(tt.in, tt.n)
			if got != tt.want {
				t.Errorf("Clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > max(tt.n, 0) {
				t.Errorf("Clip(%q, %d) has %d runes", tt.in, tt.n, n)
			}
		})
	}
}

func FuzzClip(f *testing.F) {
	f.Add("Le ministère a confirmé la fuite de données, selon l’AFP.", 20)
	f.Add("The ministry confirmed the leak", 5)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if !utf8.ValidString(s) || n > 1<<16 {
			t.Skip()
		}
		got := Clip(s, n)
		if utf8.RuneCountInString(s) <= n {
			if got != s {
				t.Fatalf("Clip(%q, %d) = %q, want s unchanged", s, n, got)
			}
			return
		}
		if c := utf8.RuneCountInString(got); c > max(n, 0) {
			t.Fatalf("Clip(%q, %d) = %q: %d runes", s, n, got, c)
		}
		if n > 0 && (!strings.HasSuffix(got, Ellipsis) || !strings.HasPrefix(s, strings.TrimSuffix(got, Ellipsis))) {
			t.Fatalf("Clip(%q, %d) = %q: not a prefix of s and an ellipsis", s, n, got)
		}
	})
}
