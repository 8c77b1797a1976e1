package article

// Duplicate is an article Dedupe dropped, with the ID of the article it
// duplicates and why.
type Duplicate struct {
	// Article is the dropped article.
	Article Article
	// Of is the ID of the kept article it duplicates.
	Of string
	// Reason is "same id", "same url" or "same content".
	Reason string
}

// Dedupe keeps the first of the articles that share an ID, a canonical URL or
// a content hash (see ContentHash) and reports the others, in input order.
func Dedupe(arts []Article) (kept []Article, dropped []Duplicate) {
	byID := make(map[string]string, len(arts))
	byURL := make(map[string]string, len(arts))
	byHash := make(map[string]string, len(arts))
	for _, a := range arts {
		u := a.URL
		if u != "" {
			if c, err := CanonicalURL(u); err == nil {
				u = c
			}
		}
		h := ContentHash(a)
		if of, ok := byID[a.ID]; ok && a.ID != "" {
			dropped = append(dropped, Duplicate{Article: a, Of: of, Reason: "same id"})
			continue
		}
		if of, ok := byURL[u]; ok && u != "" {
			dropped = append(dropped, Duplicate{Article: a, Of: of, Reason: "same url"})
			continue
		}
		if of, ok := byHash[h]; ok {
			dropped = append(dropped, Duplicate{Article: a, Of: of, Reason: "same content"})
			continue
		}
		kept = append(kept, a)
		if a.ID != "" {
			byID[a.ID] = a.ID
		}
		if u != "" {
			byURL[u] = a.ID
		}
		byHash[h] = a.ID
	}
	return kept, dropped
}
