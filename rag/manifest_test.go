package rag

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/veille/veille/rag/embed"
)

func testManifest() *manifest {
	m := newManifest(embed.Identity{Name: "local", Model: "hash-v1", Dim: 2048})
	m.Updated = time.Date(2026, 12, 2, 10, 0, 0, 5, time.UTC)
	paris := time.FixedZone("CET", 3600)
	m.put(&storedArticle{ID: "a", Title: "Titre é", URL: "https://x.fr/a", Source: "X", Lang: "fr",
		Published: time.Date(2025, 3, 1, 8, 30, 0, 0, paris), FirstSeen: m.Updated, Hash: "h1", Chunks: 3,
		Text: "Un texte.\n\nDeux.", Guilds: []string{"1", "22"}})
	m.put(&storedArticle{ID: "b", Hash: "h2", Chunks: 1, Text: "court"})
	return m
}

// TestManifestRoundTrip: the manifest encoding gives back every field,
// times with their offset included.
func TestManifestRoundTrip(t *testing.T) {
	t.Parallel()
	m := testManifest()
	var buf bytes.Buffer
	if err := m.encode(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := decodeManifest(bytes.Clone(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	opt := cmp.AllowUnexported(manifest{}, storedArticle{})
	if diff := cmp.Diff(m, got, opt); diff != "" {
		t.Errorf("decoded manifest (-want +got):\n%s", diff)
	}
}

// TestManifestDecodeRefusesCuts: a manifest cut anywhere, or followed by
// a byte, is an error, never a shorter manifest.
func TestManifestDecodeRefusesCuts(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := testManifest().encode(&buf); err != nil {
		t.Fatal(err)
	}
	enc := buf.Bytes()
	for cut := range len(enc) {
		if _, err := decodeManifest(bytes.Clone(enc[:cut])); err == nil {
			t.Fatalf("cut at %d of %d: decoded", cut, len(enc))
		}
	}
	if _, err := decodeManifest(append(bytes.Clone(enc), 0)); err == nil {
		t.Fatal("a byte after the manifest: decoded")
	}
}

// FuzzDecodeManifest: whatever the bytes, decoding returns an error or a
// manifest that survives its own round trip unchanged (every field it
// holds is one the encoding can say). Damage is the section checksums'
// to catch; this checks that no input makes the decoder panic or hold
// something it would save differently.
func FuzzDecodeManifest(f *testing.F) {
	var buf bytes.Buffer
	if err := testManifest().encode(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, enc []byte) {
		m, err := decodeManifest(bytes.Clone(enc))
		if err != nil {
			return
		}
		var again bytes.Buffer
		if err := m.encode(&again); err != nil {
			t.Fatal(err)
		}
		back, err := decodeManifest(again.Bytes())
		if err != nil {
			t.Fatalf("a decoded manifest's encoding does not decode: %v", err)
		}
		// The lookup maps are left out: they are rebuilt from the articles,
		// and a manifest no writer makes (two articles with one hash) can
		// rebuild them in another order.
		if diff := cmp.Diff(m, back, cmpopts.IgnoreUnexported(manifest{}, storedArticle{})); diff != "" {
			t.Fatalf("round trip of a decoded manifest (-first +second):\n%s", diff)
		}
	})
}
