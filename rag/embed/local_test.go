package embed

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

func newTestLocal(t testing.TB, dim int) *Local {
	t.Helper()
	l, err := NewLocal(dim)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func cosine(a, b []float32) float64 {
	var dot float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
	}
	return dot
}

func norm(v []float32) float64 {
	return math.Sqrt(cosine(v, v))
}

func TestNewLocalDimensions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dim int
		ok  bool
	}{
		{0, false}, {-64, false}, {32, false}, {64, true}, {100, false},
		{512, true}, {DefaultDim, true}, {8192, true}, {16384, false},
	}
	for _, tt := range tests {
		l, err := NewLocal(tt.dim)
		if (err == nil) != tt.ok {
			t.Errorf("NewLocal(%d) error = %v, want ok %v", tt.dim, err, tt.ok)
			continue
		}
		if err == nil && l.Identity().Dim != tt.dim {
			t.Errorf("NewLocal(%d).Identity().Dim = %d", tt.dim, l.Identity().Dim)
		}
	}
}

func TestIdentityString(t *testing.T) {
	t.Parallel()
	got := newTestLocal(t, 512).Identity().String()
	if want := "local/" + localModel + "/512"; got != want {
		t.Errorf("Identity().String() = %q, want %q", got, want)
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	text := "L’un des mineurs serait également le cerveau du groupe de pirates informatiques Lapsus$"
	a, b := newTestLocal(t, 512), newTestLocal(t, 512)
	for _, embed := range []struct {
		name string
		f    func(*Local) ([]float32, error)
	}{
		{"document", func(l *Local) ([]float32, error) { return l.EmbedDocument(t.Context(), text) }},
		{"query", func(l *Local) ([]float32, error) { return l.EmbedQuery(t.Context(), text) }},
	} {
		va, err := embed.f(a)
		if err != nil {
			t.Fatal(err)
		}
		vb, err := embed.f(b)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := embed.f(a) // through the pooled buffers this time
		for i := range va {
			if va[i] != vb[i] || va[i] != again[i] {
				t.Fatalf("%s: coordinate %d differs: %v, %v, %v", embed.name, i, va[i], vb[i], again[i])
			}
		}
	}
}

func TestUnitNorm(t *testing.T) {
	t.Parallel()
	l := newTestLocal(t, 256)
	for _, text := range []string{
		"", "   ", "le la les de", "?!…", "a", "Lapsus$", strings.Repeat("ransomware ", 1000),
		"Le ministre de l'Intérieur a comparé la carrière du leader de la France Insoumise.",
	} {
		for name, f := range map[string]func(context.Context, string) ([]float32, error){
			"document": l.EmbedDocument, "query": l.EmbedQuery,
		} {
			v, err := f(t.Context(), text)
			if err != nil {
				t.Fatal(err)
			}
			if len(v) != 256 {
				t.Fatalf("%s %q: length %d", name, text, len(v))
			}
			if n := norm(v); math.Abs(n-1) > 1e-5 {
				t.Errorf("%s %q: norm %v, want 1", name, text, n)
			}
		}
	}
}

func TestEmptyTextIsFirstAxis(t *testing.T) {
	t.Parallel()
	v, err := newTestLocal(t, 64).EmbedDocument(t.Context(), "le la les")
	if err != nil {
		t.Fatal(err)
	}
	if v[0] != 1 {
		t.Errorf("stop words only: v[0] = %v, want 1", v[0])
	}
}

func TestSimilarity(t *testing.T) {
	t.Parallel()
	l := newTestLocal(t, DefaultDim)
	ctx := t.Context()
	tests := []struct {
		name, query, near, far string
	}{
		{
			"french paraphrase with elisions and accents",
			"Quel groupe de pirates informatiques a piraté l'entreprise ?",
			"L’un des mineurs serait également le cerveau du groupe de pirates informatiques Lapsus$, qui a piraté plusieurs entreprises.",
			"Le championnat de France de football reprendra le mois prochain après la trêve hivernale.",
		},
		{
			"missing accents and typos",
			"ecole nationale d equitation",
			"L'École nationale d'équitation est installée à Saumur depuis 1972.",
			"La Banque centrale européenne a relevé ses taux d'intérêt.",
		},
		{
			"identifier",
			"CVE-2024-3400",
			"Palo Alto Networks a corrigé la vulnérabilité CVE-2024-3400 dans PAN-OS.",
			"Palo Alto Networks a corrigé la vulnérabilité CVE-2024-3401 dans PAN-OS.",
		},
		{
			"english",
			"Who attacked the Normans?",
			"The Normans were attacked by the Byzantine army in 1071.",
			"The river flows north through the valley into the lake.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, _ := l.EmbedQuery(ctx, tt.query)
			near, _ := l.EmbedDocument(ctx, tt.near)
			far, _ := l.EmbedDocument(ctx, tt.far)
			if cn, cf := cosine(q, near), cosine(q, far); cn <= cf {
				t.Errorf("cos(query, near) = %.3f ≤ cos(query, far) = %.3f", cn, cf)
			}
		})
	}
}

func TestEmbedQueryWeighted(t *testing.T) {
	t.Parallel()
	l := newTestLocal(t, DefaultDim)
	ctx := t.Context()
	const query = "Quel album de Predator parle de musique ?"
	plain, _ := l.EmbedQuery(ctx, query)

	t.Run("nil idf is EmbedQuery", func(t *testing.T) {
		t.Parallel()
		got, err := l.EmbedQueryWeighted(ctx, query, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c := cosine(got, plain); c < 1-1e-6 {
			t.Errorf("cosine with EmbedQuery %v, want 1", c)
		}
	})
	t.Run("rare term outweighs common ones", func(t *testing.T) {
		t.Parallel()
		rare := "Predator (album)\n\nLe groupe a enregistré cet album en 1984."
		common := "La musique à la radio : un album de musique parle de musique."
		idf := func(term string) float32 {
			if term == "predator" {
				return 8
			}
			return 1
		}
		w, err := l.EmbedQueryWeighted(ctx, query, idf)
		if err != nil {
			t.Fatal(err)
		}
		dr, _ := l.EmbedDocument(ctx, rare)
		dc, _ := l.EmbedDocument(ctx, common)
		if cosine(plain, dr) >= cosine(plain, dc) {
			t.Fatal("the unweighted query already prefers the rare document: the case proves nothing")
		}
		if cr, cc := cosine(w, dr), cosine(w, dc); cr <= cc {
			t.Errorf("weighted query: cos(rare doc) %.3f ≤ cos(common doc) %.3f", cr, cc)
		}
	})
	t.Run("bad weights stay finite", func(t *testing.T) {
		t.Parallel()
		for name, v := range map[string]float32{
			"NaN": float32(math.NaN()), "+Inf": float32(math.Inf(1)), "-Inf": float32(math.Inf(-1)),
			"negative": -3, "zero": 0,
		} {
			got, err := l.EmbedQueryWeighted(ctx, query, func(string) float32 { return v })
			if err != nil {
				t.Fatal(err)
			}
			if n := norm(got); math.IsNaN(n) || math.Abs(n-1) > 1e-5 {
				t.Errorf("idf %s: norm %v, want 1", name, n)
			}
		}
	})
}

func TestCanceledContext(t *testing.T) {
	t.Parallel()
	l := newTestLocal(t, 64)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := l.EmbedDocument(ctx, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("EmbedDocument: error %v, want context.Canceled", err)
	}
	if _, err := l.EmbedQuery(ctx, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("EmbedQuery: error %v, want context.Canceled", err)
	}
	if _, err := l.EmbedQueryWeighted(ctx, "x", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("EmbedQueryWeighted: error %v, want context.Canceled", err)
	}
	if _, err := l.EmbedDocuments(ctx, []string{"a", "b"}); !errors.Is(err, context.Canceled) {
		t.Errorf("EmbedDocuments: error %v, want context.Canceled", err)
	}
}

func TestEmbedDocuments(t *testing.T) {
	t.Parallel()
	l := newTestLocal(t, 128)
	texts := []string{"Lapsus$ frappe encore", "", "CVE-2024-3400"}
	got, err := l.EmbedDocuments(t.Context(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range texts {
		want, _ := l.EmbedDocument(t.Context(), text)
		if cosine(got[i], want) < 1-1e-6 {
			t.Errorf("text %d: batch vector differs from EmbedDocument", i)
		}
	}
}

func TestConcurrent(t *testing.T) {
	t.Parallel()
	l := newTestLocal(t, 256)
	texts := []string{"Lapsus$ frappe encore", "The Normans", "CVE-2024-3400 exploitée", "Élysée"}
	want := make([][]float32, len(texts))
	for i, s := range texts {
		want[i], _ = l.EmbedDocument(t.Context(), s)
	}
	done := make(chan error)
	for g := range 4 {
		go func() {
			for n := range 50 {
				i := (g + n) % len(texts)
				v, _ := l.EmbedDocument(context.Background(), texts[i])
				for j := range v {
					if v[j] != want[i][j] {
						done <- errors.New("concurrent vector differs")
						return
					}
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func FuzzEmbed(f *testing.F) {
	for _, s := range []string{"", "Lapsus$", "caf\xe9 \u0301 ’’", "CVE-2024-3400 l'école", "ﬁ² ǅ İ ẞ"} {
		f.Add(s)
	}
	l := newTestLocal(f, 64)
	f.Fuzz(func(t *testing.T, text string) {
		for _, v := range [][]float32{
			must(l.EmbedDocument(context.Background(), text)),
			must(l.EmbedQuery(context.Background(), text)),
		} {
			for _, x := range v {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					t.Fatalf("non-finite coordinate in %v", v)
				}
			}
			if n := norm(v); math.Abs(n-1) > 1e-4 {
				t.Fatalf("norm %v", n)
			}
		}
	})
}

func must(v []float32, err error) []float32 {
	if err != nil {
		panic(err)
	}
	return v
}

// benchChunk is a 700-byte French chunk, the size the index embeds.
const benchChunk = `Le renoncement d'Abdelaziz Bouteflika à briguer un nouveau mandat à la tête de l'Algérie a entraîné son flot de réactions et causé quelques disputes, y compris en France. Jean-Luc Mélenchon s'est ainsi réjoui de la "mobilisation massive" du peuple algérien, qui a obtenu "un premier recul". L’un des mineurs serait également le cerveau du groupe de pirates informatiques Lapsus$, selon les enquêteurs britanniques qui suivent ses attaques contre Microsoft, Nvidia et Samsung depuis décembre. Palo Alto Networks a corrigé la vulnérabilité CVE-2024-3400 dans PAN-OS, exploitée par un acteur étatique selon Volexity. Le ministre a comparé la carrière du leader.`

func BenchmarkEmbedDocument(b *testing.B) {
	l := newTestLocal(b, DefaultDim)
	ctx := context.Background()
	b.SetBytes(int64(len(benchChunk)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.EmbedDocument(ctx, benchChunk); err != nil {
			b.Fatal(err)
		}
	}
}

// TestGolden pins a vector across processes, machines and Go versions: a
// hash with a random seed (hash/maphash) or any change to analysis or
// weights fails here. When the change is wanted, bump localModel so that
// indexes built before it are refused, then update the checksum.
func TestGolden(t *testing.T) {
	t.Parallel()
	v, err := newTestLocal(t, 64).EmbedDocument(t.Context(), "L’école a payé Lapsus$ pour CVE-2024-3400.")
	if err != nil {
		t.Fatal(err)
	}
	h := fnvOffset
	for _, x := range v {
		h ^= uint64(math.Float32bits(x))
		h *= fnvPrime
	}
	const want uint64 = 0xb33356184b3456e5
	if h != want {
		t.Errorf("vector checksum %#x, want %#x (model %s)", h, want, localModel)
	}
}
