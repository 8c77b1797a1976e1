package article

import (
	"strings"
	"testing"
)

func TestDetectLang(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"french news", "Les entreprises technologiques Apple et Meta auraient transmis des données clients à des pirates informatiques.", "fr"},
		{"french elisions", "L’agence a indiqué qu’elle n’avait pas été informée de l’attaque.", "fr"},
		{"english news", "Attackers are exploiting a critical flaw in a popular VPN appliance, the vendor said on Wednesday.", "en"},
		{"english short", "The breach of the database", "en"},
		{"empty", "", ""},
		{"one word", "Pegasus", ""},
		{"names only", "Apple Meta Snap Microsoft Samsung Nvidia", ""},
		{"german", "Die Angreifer nutzen eine kritische Schwachstelle in einer beliebten VPN-Appliance aus, sagte der Hersteller am Mittwoch.", ""},
		{"half and half", "the of and le la les", ""},
		{"long french", strings.Repeat("Le logiciel espion a été installé sur les téléphones des cibles. ", 2000), "fr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := DetectLang(tt.in); got != tt.want {
				t.Errorf("DetectLang(%.60q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
