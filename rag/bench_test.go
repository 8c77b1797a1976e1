package rag

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veille/veille/rag/article"
)

// synthArticles generates n deterministic French-looking articles of about
// six chunks each, from a Zipf-distributed vocabulary.
func synthArticles(n int) []article.Article {
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

var (
	benchMu      sync.Mutex
	benchIndexes = map[int]*Index{}
	benchHeap    = map[int]uint64{} // heap each index took when built
)

// benchIndex builds (once per size) an index of about chunks chunks.
func benchIndex(b *testing.B, chunks int) *Index {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if ix := benchIndexes[chunks]; ix != nil {
		return ix
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ix, err := New(Options{Embedder: newFake(b)})
	if err != nil {
		b.Fatal(err)
	}
	arts := synthArticles(chunks / 6)
	if _, err := ix.Add(b.Context(), arts, nil); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d articles, %d chunks", ix.Len(), ix.Chunks())
	benchIndexes[chunks] = ix
	runtime.GC()
	runtime.ReadMemStats(&after)
	benchHeap[chunks] = after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc)
	return ix
}

// benchIndexHeap is the heap the index of benchIndex(chunks) took as it was
// built: the difference across the build, not the whole heap, which holds
// every index built before it in the same process.
func benchIndexHeap(chunks int) uint64 {
	benchMu.Lock()
	defer benchMu.Unlock()
	return benchHeap[chunks]
}

func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		for _, mode := range []string{"hybrid", "dense", "lexical", "chromem"} {
			b.Run(fmt.Sprintf("chunks=%d/%s", n, mode), func(b *testing.B) {
				ix := benchIndex(b, n)
				queries := []string{"attaque serveur rançon", "quelle entreprise a piraté les serveurs", "CVE-2024-3400 Lapsus$", "raquesé topi"}
				i := 0
				for b.Loop() {
					if _, err := ix.Search(b.Context(), queries[i%len(queries)], SearchOptions{K: 5, Retriever: mode}); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}

// BenchmarkAsk reports the extractive Ask's latency percentiles over varied
// questions, and the heap the index took when built (an index built in
// memory holds its vectors on the heap; a loaded one maps them: see
// BenchmarkLoad and BenchmarkServeMemory).
func BenchmarkAsk(b *testing.B) {
	questions := []string{
		"quelle entreprise a piraté les serveurs", "attaque rançon mairie", "CVE-2024-3400 correctif",
		"qui a revendiqué l'attaque ?", "raquesé topi cuge", "les données des clients ont-elles fuité ?",
	}
	for _, n := range benchSizes(10000, 100000) {
		b.Run(fmt.Sprintf("chunks=%d", n), func(b *testing.B) {
			ix := benchIndex(b, n)
			var lat []time.Duration
			i := 0
			for b.Loop() {
				start := time.Now()
				if _, err := ix.Ask(b.Context(), questions[i%len(questions)], SearchOptions{}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
				i++
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64(benchIndexHeap(n))/float64(ix.Chunks()), "heapB/chunk")
		})
	}
}

// BenchmarkIngest measures Add end to end (normalise, chunk, embed, store).
func BenchmarkIngest(b *testing.B) {
	arts := synthArticles(500)
	f := newFake(b)
	var chunks int
	for b.Loop() {
		ix, err := New(Options{Embedder: f})
		if err != nil {
			b.Fatal(err)
		}
		res, err := ix.Add(b.Context(), arts, nil)
		if err != nil {
			b.Fatal(err)
		}
		chunks = res.Chunks
	}
	b.ReportMetric(float64(chunks*b.N)/b.Elapsed().Seconds(), "chunks/s")
}

// BenchmarkLoad measures reading a saved index back, and the heap it takes.
func BenchmarkLoad(b *testing.B) {
	for _, n := range benchSizes(10000, 100000) {
		b.Run(fmt.Sprintf("chunks=%d", n), func(b *testing.B) {
			ix := benchIndex(b, n)
			path := filepath.Join(b.TempDir(), SnapshotName)
			if err := ix.Save(b.Context(), path); err != nil {
				b.Fatal(err)
			}
			var heap uint64
			for b.Loop() {
				// Collections and heap readings are not part of a load.
				b.StopTimer()
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				b.StartTimer()
				got, err := Load(b.Context(), path, Options{Embedder: ix.opts.Embedder})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&after)
				heap = after.HeapAlloc - before.HeapAlloc
				runtime.KeepAlive(got)
				b.StartTimer()
			}
			b.ReportMetric(float64(heap)/float64(ix.Chunks()), "heapB/chunk")
		})
	}
}

func BenchmarkSave(b *testing.B) {
	ix := benchIndex(b, 10000)
	path := filepath.Join(b.TempDir(), SnapshotName)
	for b.Loop() {
		if err := ix.Save(b.Context(), path); err != nil {
			b.Fatal(err)
		}
	}
}

// benchSizes adds a 300 000-chunk size when VEILLE_BENCH_LARGE is set: it
// takes minutes to build and ~4 GB of memory.
func benchSizes(sizes ...int) []int {
	if os.Getenv("VEILLE_BENCH_LARGE") != "" {
		sizes = append(sizes, 300000)
	}
	return sizes
}
