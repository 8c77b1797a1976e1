// Package ragtest holds what the tests of rag and of the packages above it
// share: an embedder that can be made to fail, three small news articles
// (two of the seeds, in short, and an English advisory) and a generated
// corpus of any size for benchmarks. It is imported by tests only.
package ragtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/veille/veille/rag/article"
	"github.com/veille/veille/rag/embed"
)

// Embedder is the built-in local embedder, optionally failing (Fail) or
// posing as another embedder (ID).
type Embedder struct {
	Inner *embed.Local
	ID    embed.Identity
	Fail  error // returned by EmbedDocument when set
}

// NewEmbedder returns the local embedder at its default dimension.
func NewEmbedder(t testing.TB) *Embedder {
	t.Helper()
	l, err := embed.NewLocal(embed.DefaultDim)
	if err != nil {
		t.Fatal(err)
	}
	return &Embedder{Inner: l, ID: l.Identity()}
}

// EmbedDocument embeds s, or fails with Fail.
func (f *Embedder) EmbedDocument(ctx context.Context, s string) ([]float32, error) {
	if f.Fail != nil {
		return nil, f.Fail
	}
	return f.Inner.EmbedDocument(ctx, s)
}

// EmbedQuery embeds a query.
func (f *Embedder) EmbedQuery(ctx context.Context, s string) ([]float32, error) {
	return f.Inner.EmbedQuery(ctx, s)
}

// EmbedQueryWeighted embeds a query with its terms weighted by idf.
func (f *Embedder) EmbedQueryWeighted(ctx context.Context, s string, idf func(string) float32) ([]float32, error) {
	return f.Inner.EmbedQueryWeighted(ctx, s, idf)
}

// Identity is ID.
func (f *Embedder) Identity() embed.Identity { return f.ID }

// Articles are three small articles: Apple/Meta and Lapsus$ (2022-03-31), NSO
// and QuadraNet (2020-04-01), and Log4Shell in English (2021-12-10).
var Articles = []article.Article{
	{
		ID: "lapsus", Title: "Apple et Meta auraient transmis des données clients à des pirates informatiques",
		URL: "https://example.com/apple-meta?utm_source=x", Source: "Data News", Lang: "fr",
		Published: time.Date(2022, 3, 31, 0, 0, 0, 0, time.UTC),
		Text: "Les entreprises technologiques Apple et Meta auraient transmis des données clients à des pirates se faisant passer pour des policiers.\n\n" +
			"L’un des mineurs serait également le cerveau du groupe de pirates informatiques Lapsus$, qui a notamment piraté Microsoft, Samsung et Nvidia.\n\n" +
			"La police londonienne a récemment arrêté sept personnes dans le cadre d’une enquête sur Lapsus$.",
	},
	{
		ID: "nso", Title: "Facebook accuse NSO Group d’avoir utilisé des serveurs américains",
		Source: "Inconnu", Lang: "fr", Published: time.Date(2020, 4, 1, 0, 0, 0, 0, time.UTC),
		Text: "Facebook a accusé la société de surveillance israélienne NSO Group d’utiliser des serveurs basés aux États-Unis pour espionner des utilisateurs de WhatsApp.\n\n" +
			"Le logiciel espion Pegasus a été dirigé vers des appareils grâce à un serveur géré par QuadraNet, un hébergeur basé à Los Angeles.",
	},
	{
		ID: "log4j", Title: "Log4Shell: patch CVE-2021-44228 now", Source: "Example Security", Lang: "en",
		Published: time.Date(2021, 12, 10, 0, 0, 0, 0, time.UTC),
		Text:      "A critical flaw, CVE-2021-44228, known as Log4Shell, affects the Apache Log4j library. Administrators should update to version 2.17.1 at once.",
	},
}

// Synth generates n deterministic French-looking articles of about
// six chunks each, from a Zipf-distributed vocabulary.
func Synth(n int) []article.Article {
	r := rand.New(rand.NewPCG(42, 7))
	vocab := make([]string, 30000)
	syll := []string{"ra", "to", "mi", "que", "sé", "cu", "ri", "té", "pi", "ra", "ge", "lo", "gi", "el", "ser", "veur", "at", "ta", "que", "ran", "çon"}
	for i := range vocab {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(syll[r.IntN(len(syll))])
		}
		vocab[i] = b.String()
	}
	z := rand.NewZipf(r, 1.1, 2, uint64(len(vocab)-1))
	arts := make([]article.Article, n)
	for i := range arts {
		var b strings.Builder
		for p := range 4 {
			if p > 0 {
				b.WriteString("\n\n")
			}
			for s := range 6 {
				if s > 0 {
					b.WriteByte(' ')
				}
				w := vocab[z.Uint64()]
				b.WriteString(strings.ToUpper(w[:1]) + w[1:])
				for range 14 {
					b.WriteByte(' ')
					b.WriteString(vocab[z.Uint64()])
				}
				b.WriteByte('.')
			}
		}
		arts[i] = article.Article{
			ID: fmt.Sprintf("a%06d", i), Title: vocab[z.Uint64()] + " " + vocab[z.Uint64()],
			Source: fmt.Sprintf("source%d", i%7), Lang: "fr", Text: b.String(),
			Published: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour),
		}
	}
	return arts
}

// Two Discord servers and the operator each added one article about a
// ransomware attack; every article answers the same query.
const (
	// GuildA and GuildB are the two servers of ScopedArticles.
	GuildA = "300000000000000001"
	GuildB = "300000000000000002"
)

// ScopedArticles returns three articles about a ransomware attack, one the
// operator's and one of each server.
func ScopedArticles() []article.Article {
	day := func(d int) time.Time { return time.Date(2026, 3, d, 8, 0, 0, 0, time.UTC) }
	return []article.Article{
		{ID: "operator", Title: "Rançongiciel dans une mairie", Source: "Operator News", Lang: "fr", Published: day(10),
			Text: "Un rançongiciel a chiffré les serveurs d’une mairie bretonne. La mairie refuse de payer la rançon."},
		{ID: "a-only", Title: "Rançongiciel dans un hôpital", Source: "Server A Feed", Lang: "fr", Published: day(11),
			Text:   "Un rançongiciel a chiffré les serveurs d’un hôpital alsacien. L’hôpital refuse de payer la rançon.",
			Guilds: []string{GuildA}},
		{ID: "b-only", Title: "Rançongiciel dans une université", Source: "Server B Feed", Lang: "fr", Published: day(12),
			Text:   "Un rançongiciel a chiffré les serveurs d’une université normande. L’université refuse de payer la rançon.",
			Guilds: []string{GuildB}},
	}
}
