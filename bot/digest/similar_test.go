package digest

import (
	"math"
	"testing"
)

// TestByEmbedding pins the rule cmd/veille relies on: the cosine where it
// has one, at EmbeddingThreshold; else Similarity rescaled, so that a pair
// falls on the same side of the threshold as Similarity puts it of
// DefaultThreshold.
func TestByEmbedding(t *testing.T) {
	t.Parallel()
	a := Item{ID: "a", Title: "Une faille critique dans les pare-feu Fortinet", Text: "Fortinet corrige une faille critique exploitée dans ses pare-feu."}
	b := Item{ID: "b", Title: "Fortinet : une faille critique des pare-feu exploitée", Text: "Une faille critique des pare-feu Fortinet est exploitée, Fortinet publie un correctif."}
	c := Item{ID: "c", Title: "La mairie de Quimperlé frappée par un rançongiciel", Text: "Les serveurs de la mairie ont été chiffrés pendant la nuit."}
	tests := []struct {
		name   string
		cosine func(a, b Item) (float64, bool)
		x, y   Item
		want   float64
	}{
		{"the cosine when there is one", func(Item, Item) (float64, bool) { return 0.7, true }, a, c, 0.7},
		{"Similarity rescaled without", func(Item, Item) (float64, bool) { return 0, false }, a, b,
			Similarity(a, b) * EmbeddingThreshold / DefaultThreshold},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := Options{MaxEntries: 3}.ByEmbedding(tt.cosine)
			if opts.Threshold != EmbeddingThreshold || opts.MaxEntries != 3 {
				t.Errorf("options %+v: want Threshold %v and the rest kept", opts, EmbeddingThreshold)
			}
			if got := opts.Similar(tt.x, tt.y); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("Similar = %v, want %v", got, tt.want)
			}
		})
	}
	// The fallback keeps Similarity's verdict on both pairs.
	opts := Options{}.ByEmbedding(func(Item, Item) (float64, bool) { return 0, false })
	for _, p := range [][2]Item{{a, b}, {a, c}} {
		if same, want := opts.Similar(p[0], p[1]) >= EmbeddingThreshold, Similarity(p[0], p[1]) >= DefaultThreshold; same != want {
			t.Errorf("%s/%s: one story %v by the fallback, %v by Similarity", p[0].ID, p[1].ID, same, want)
		}
	}
}
