package rag

// What answering reads of the index besides search results: the stored
// text of an article, and how common a term is. The answer package quotes
// sentences from the first and weighs the question's words with the second.

// ArticleText is a stored article's text and what identifies its version.
type ArticleText struct {
	ID, Hash    string // Hash changes when the text does
	Title, Text string
	Lang        string
}

// ArticleText returns the stored text of the article id.
func (ix *Index) ArticleText(id string) (ArticleText, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	a := ix.man.Articles[id]
	if a == nil {
		return ArticleText{}, false
	}
	return ArticleText{ID: a.ID, Hash: a.Hash, Title: a.Title, Text: a.Text, Lang: a.Lang}, true
}

// TermWeight returns how many chunks hold the analysed term t and its BM25
// idf.
func (ix *Index) TermWeight(t string) (df int, idf float64) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.lex.DF(t), ix.lex.IDF(t)
}
