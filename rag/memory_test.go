package rag

import (
	"bufio"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/veille/veille/rag/article"
	"github.com/veille/veille/rag/ragtest"
)

// synthEnv makes TestWriteSynthCorpus write a generated corpus, for timing
// `veille ingest` and `veille ask` as whole processes at a chosen size:
//
//	VEILLE_SYNTH_JSONL=/tmp/synth.jsonl VEILLE_SYNTH_ARTICLES=10000 go test -run '^TestWriteSynthCorpus$' ./rag
const synthEnv = "VEILLE_SYNTH_JSONL"

// TestWriteSynthCorpus writes synthArticles (about six chunks each) as JSONL.
func TestWriteSynthCorpus(t *testing.T) {
	path := os.Getenv(synthEnv)
	if path == "" {
		t.Skip("writes a corpus when " + synthEnv + " is set")
	}
	n, err := strconv.Atoi(os.Getenv("VEILLE_SYNTH_ARTICLES"))
	if err != nil || n <= 0 {
		t.Fatalf("VEILLE_SYNTH_ARTICLES=%q: want a number of articles", os.Getenv("VEILLE_SYNTH_ARTICLES"))
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, a := range ragtest.Synth(n) {
		if err := enc.Encode(synthLine(a)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func synthLine(a article.Article) map[string]string {
	return map[string]string{
		"id": a.ID, "title": a.Title, "source": a.Source, "lang": a.Lang, "text": a.Text,
		"date": a.Published.Format(time.RFC3339),
	}
}
