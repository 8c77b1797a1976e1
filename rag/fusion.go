package rag

// ranked is one retriever's candidate chunk, best first in its list.
type ranked struct {
	id    string
	score float64
}

// scored is a candidate chunk with what each retriever thought of it.
type scored struct {
	id    string
	dense float64 // cosine similarity; 0 when not retrieved densely
	lex   float64 // BM25; 0 when not retrieved lexically
	fused float64
}

// fusion merges the vector and BM25 rankings of one query.
type fusion struct {
	// method is "rrf" (reciprocal rank fusion) or "blend" (a convex
	// combination of max-normalised scores).
	method string
	// denseWeight in [0, 1] is the vector ranking's share; BM25 gets the rest.
	denseWeight float64
	// k is the RRF constant.
	k float64
	// docWeight is the share of a BM25 ranking of whole articles.
	docWeight float64
}

// defaultFusion was chosen on ../shared/eval; see BENCHMARKS.md.
var defaultFusion = fusion{method: "rrf", denseWeight: 0.5, k: 60, docWeight: 0.7}

// fuse merges the chunk rankings of both retrievers and, when given, a BM25
// ranking of whole articles: an article's rank is added to every candidate
// chunk of it (and brings in the first chunk of an article no chunk-level
// retriever found), since a question's words are often spread over several
// chunks of the right article (+0.014 MRR@10 on the eval set).
func (f fusion) fuse(dense, lex, articles []ranked) map[string]*scored {
	out := make(map[string]*scored, len(dense)+len(lex))
	wd, wl := f.denseWeight, 1-f.denseWeight
	if len(dense) == 0 || len(lex) == 0 {
		wd, wl = 1, 1 // one retriever alone keeps its own order
	}
	f.add(out, dense, wd, func(s *scored, v float64) { s.dense = v })
	f.add(out, lex, wl, func(s *scored, v float64) { s.lex = v })

	bonus := make(map[string]float64, len(articles))
	for i, r := range articles {
		bonus[r.id] = f.docWeight / (f.k + float64(i+1))
	}
	has := map[string]bool{}
	for id, s := range out {
		a := articleOf(id)
		s.fused += bonus[a]
		has[a] = true
	}
	for a, b := range bonus {
		if !has[a] {
			out[chunkID(a, 0)] = &scored{id: chunkID(a, 0), fused: b}
		}
	}
	return out
}

// add scores one retriever's list into out with weight w, recording its raw
// score with set.
func (f fusion) add(out map[string]*scored, list []ranked, w float64, set func(*scored, float64)) {
	var top float64
	for _, r := range list {
		top = max(top, r.score)
	}
	for i, r := range list {
		s := out[r.id]
		if s == nil {
			s = &scored{id: r.id}
			out[r.id] = s
		}
		set(s, r.score)
		switch f.method {
		case "blend":
			if top > 0 {
				s.fused += w * r.score / top
			}
		default:
			s.fused += w / (f.k + float64(i+1))
		}
	}
}
