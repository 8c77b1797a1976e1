package lexical

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// evalDir is the shared retrieval benchmark (see its README), outside the
// repository: the test skips without it.
const evalDir = "../../../shared/eval"

// TestEvalBaseline reproduces the eval README's plain "bm25" baseline, to
// check the index against an independent implementation on real data. Run
// it with VEILLE_EVAL=1.
func TestEvalBaseline(t *testing.T) {
	if os.Getenv("VEILLE_EVAL") != "1" {
		t.Skip("set VEILLE_EVAL=1 to run the retrieval eval")
	}
	if _, err := os.Stat(evalDir); err != nil {
		t.Skipf("no eval set: %v", err)
	}
	type article struct{ ID, Title, Text string }
	type question struct {
		ID, Question, Lang string
		Gold               []string `json:"gold_doc_ids"`
	}
	docs := readJSONL[article](t, filepath.Join(evalDir, "corpus.jsonl"))
	qs := readJSONL[question](t, filepath.Join(evalDir, "questions.jsonl"))

	ix := New(DefaultParams())
	for _, d := range docs {
		ix.Add(d.ID, baselineTokens(d.Title+"\n"+d.Text))
	}

	// The README's table for bm25.
	readme := map[string][4]float64{
		"all": {0.836, 0.920, 0.944, 0.872},
		"en":  {0.950, 0.975, 1.000, 0.957},
		"fr":  {0.814, 0.910, 0.933, 0.856},
	}
	sums := map[string]*[4]float64{"all": {}, "en": {}, "fr": {}}
	counts := map[string]int{}
	for _, q := range qs {
		rank := 0
		for i, r := range ix.Search(baselineTokens(q.Question), 10, nil) {
			if r.ID == q.Gold[0] {
				rank = i + 1
				break
			}
		}
		for _, subset := range []string{"all", q.Lang} {
			s := sums[subset]
			counts[subset]++
			for j, k := range []int{1, 5, 10} {
				if rank > 0 && rank <= k {
					s[j]++
				}
			}
			if rank > 0 {
				s[3] += 1 / float64(rank)
			}
		}
	}
	t.Logf("%-6s %4s  %-25s  %-25s  %-25s  %-25s", "subset", "n", "Recall@1 (README)", "Recall@5", "Recall@10", "MRR@10")
	for _, subset := range []string{"all", "en", "fr"} {
		line := fmt.Sprintf("%-6s %4d", subset, counts[subset])
		for j := range 4 {
			got := sums[subset][j] / float64(counts[subset])
			want := readme[subset][j]
			line += fmt.Sprintf("  %.3f (%.3f, %+.3f)      ", got, want, got-want)
			// Our stop-word list is not the README's: allow a little.
			if subset == "all" && math.Abs(got-want) > 0.02 {
				t.Errorf("%s metric %d = %.3f, README %.3f", subset, j, got, want)
			}
		}
		t.Log(line)
	}
}

func readJSONL[T any](t *testing.T, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// baselineTokens is the README baseline's tokenizer: lower-case, fold
// accents, keep runs of [a-z0-9], drop French stop words.
func baselineTokens(text string) []string {
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
		} else if f, ok := folds[r]; ok {
			b.WriteString(f)
		} else {
			b.WriteByte(' ')
		}
	}
	tokens := strings.FieldsFunc(b.String(), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9')
	})
	out := tokens[:0]
	for _, tok := range tokens {
		if !frenchStop[tok] {
			out = append(out, tok)
		}
	}
	return out
}

// folds maps lower-case letters to what NFKD without combining marks gives.
var folds = func() map[rune]string {
	m := map[rune]string{'œ': "oe", 'ß': "ss", '²': "2", '³': "3", '¹': "1", 'º': "o", 'ª': "a", 'ᵉ': "e", 'ⅱ': "ii"}
	for _, group := range []string{
		"aàáâãäåāăąǎạấầằ", "cçćĉċč", "dď", "eèéêëēĕėęěệ", "gĝğġģ", "hĥ", "iìíîïĩīĭįǐ",
		"jĵ", "kķ", "lĺļľ", "nñńņňṇ", "oòóôõöōŏőốơ", "rŕŗř", "sśŝşšș", "tţťț",
		"uùúûüũūŭůűųưǔ", "wŵ", "yýÿŷ", "zźżž",
	} {
		base, _ := utf8.DecodeRuneInString(group)
		for _, r := range group {
			m[r] = string(base)
		}
	}
	return m
}()

// frenchStop is NLTK's French stop-word list, accents folded.
var frenchStop = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`au aux avec ce ces dans de des du elle en et eux il ils je la le les
		leur lui ma mais me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son
		sur ta te tes toi ton tu un une vos votre vous c d j l a m n s t y ete etee etees etes etant
		etante etants etantes suis es est sommes serai seras sera serons serez seront serais serait
		serions seriez seraient etais etait etions etiez etaient fus fut fumes futes furent sois soit
		soyons soyez soient fusse fusses fussions fussiez fussent ayant ayante ayantes ayants eu eue
		eues eus ai as avons avez ont aurai auras aura aurons aurez auront aurais aurait aurions auriez
		auraient avais avait avions aviez avaient eut eumes eutes eurent aie aies ait ayons ayez aient
		eusse eusses eut eussions eussiez eussent`) {
		m[w] = true
	}
	return m
}()
