package answer

import (
	"github.com/veille/veille/rag"
	"github.com/veille/veille/rag/ragtest"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestAskCitesRetrievedPassages(t *testing.T) {
	t.Parallel()
	ix, _ := newTestIndex(t)
	ans, err := NewEngine(ix, nil, nil).Ask(t.Context(), "Qui serait le cerveau du groupe Lapsus$ ?", rag.SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !ans.Grounded {
		t.Fatalf("not grounded: %q", ans.Text)
	}
	if !strings.Contains(ans.Text, "cerveau du groupe de pirates informatiques Lapsus$") {
		t.Errorf("answer misses the key sentence: %q", ans.Text)
	}
	marks := regexp.MustCompile(`\[(\d+)\]`).FindAllStringSubmatch(ans.Text, -1)
	if len(marks) == 0 {
		t.Fatalf("no [n] markers in %q", ans.Text)
	}
	for _, m := range marks {
		n := m[1]
		found := false
		for _, c := range ans.Citations {
			if n == itoa(c.N) {
				found = true
			}
		}
		if !found {
			t.Errorf("marker [%s] matches no citation", n)
		}
	}
	if ans.Citations[0].ArticleID != "lapsus" || ans.Citations[0].URL != "https://example.com/apple-meta" {
		t.Errorf("first citation = %+v, want the Lapsus$ article with its canonical URL", ans.Citations[0])
	}
	for _, c := range ans.Citations {
		if !strings.Contains(testText(c.ArticleID), c.Passage) {
			t.Errorf("citation %d passage is not from article %s", c.N, c.ArticleID)
		}
	}
}

func TestAskSaysWhenArticlesDoNotCover(t *testing.T) {
	t.Parallel()
	ix, _ := newTestIndex(t)
	tests := []struct {
		question string
		want     string
	}{
		{"Quelle est la recette de la tarte Tatin ?", "ne permettent pas"},
		{"What is the best recipe for apple pie?", "do not answer"},
	}
	for _, tt := range tests {
		t.Run(tt.question, func(t *testing.T) {
			ans, err := NewEngine(ix, nil, nil).Ask(t.Context(), tt.question, rag.SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if ans.Grounded || len(ans.Citations) != 0 || !strings.Contains(ans.Text, tt.want) {
				t.Fatalf("answer = %+v, want ungrounded %q", ans, tt.want)
			}
		})
	}
}

func testText(id string) string {
	for _, a := range ragtest.Articles {
		if a.ID == id {
			return a.Text
		}
	}
	return ""
}

func itoa(n int) string { return strconv.Itoa(n) }
