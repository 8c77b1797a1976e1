package rag

import (
	"testing"

	"github.com/veille/veille/rag/analyze"
)

func TestArticleTextAndTermWeight(t *testing.T) {
	t.Parallel()
	ix, _ := newTestIndex(t)
	a, ok := ix.ArticleText("nso")
	if !ok || a.ID != "nso" || a.Lang != "fr" || a.Hash == "" || a.Title != testArticles[1].Title {
		t.Fatalf("ArticleText(nso) = %+v, %v", a, ok)
	}
	if _, ok := ix.ArticleText("missing"); ok {
		t.Error("ArticleText(missing) found something")
	}
	rare := analyze.Terms("QuadraNet", "fr")[0]
	common := analyze.Terms("pirates", "fr")[0]
	dfRare, idfRare := ix.TermWeight(rare)
	dfCommon, idfCommon := ix.TermWeight(common)
	if dfRare == 0 || dfCommon == 0 || idfRare <= idfCommon && dfRare < dfCommon {
		t.Errorf("TermWeight: %s df %d idf %.2f, %s df %d idf %.2f", rare, dfRare, idfRare, common, dfCommon, idfCommon)
	}
	if df, _ := ix.TermWeight("zzzunknown"); df != 0 {
		t.Errorf("unknown term df = %d", df)
	}
}
