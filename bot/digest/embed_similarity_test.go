package digest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/veille/veille/rag/embed"
)

// TestEmbeddingThresholdMeasurement measures grouping by the cosine of the
// built-in embedder's vectors of title + lead, the measure `veille bot` and
// `veille digest` plug in through Options.Similar, and pins the threshold
// they use (EmbeddingThreshold). Run with -v to see the table.
func TestEmbeddingThresholdMeasurement(t *testing.T) {
	t.Parallel()
	items, stories := loadItems(t, "seeds.jsonl", "batch.jsonl")
	var in []Item
	for _, it := range items {
		if w := it.when(); w.After(batchSince) && !w.After(batchNow) {
			in = append(in, it)
		}
	}
	emb, err := embed.NewLocal(embed.DefaultDim)
	if err != nil {
		t.Fatal(err)
	}
	vecs := make([][]float32, len(in))
	for i, it := range in {
		if vecs[i], err = emb.EmbedDocument(t.Context(), it.Title+"\n"+leadText(it.Text)); err != nil {
			t.Fatal(err)
		}
	}
	cos := func(i, j int) float64 {
		var s float64
		for k := range vecs[i] {
			s += float64(vecs[i][k]) * float64(vecs[j][k])
		}
		return s
	}
	var log strings.Builder
	fmt.Fprintf(&log, "%d articles, embedding cosine of title+lead, pairwise precision/recall:\n", len(in))
	for _, th := range []float64{0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.60} {
		p, r := pairScores(clusterBy(in, cos, th), stories)
		fmt.Fprintf(&log, "  %.2f: %.2f/%.2f\n", th, p, r)
	}
	maxNeg := 0.0
	for i := range in {
		for j := i + 1; j < len(in); j++ {
			if stories[in[i].ID] != stories[in[j].ID] {
				maxNeg = max(maxNeg, cos(i, j))
			}
		}
	}
	fmt.Fprintf(&log, "most similar unrelated pair: %.3f", maxNeg)
	t.Log(log.String())
	p, r := pairScores(clusterBy(in, cos, EmbeddingThreshold), stories)
	if p < 1 || r < 0.9 {
		t.Errorf("embedding grouping at %.2f: precision %.2f, recall %.2f", EmbeddingThreshold, p, r)
	}
}
