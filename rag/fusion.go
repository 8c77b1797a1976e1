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

func (f fusion) fuse(dense, lex []ranked) map[string]*scored {
	if f.method == "" {
		f = defaultFusion
	}
	out := make(map[string]*scored, len(dense)+len(lex))
	get := func(id string) *scored {
		s := out[id]
		if s == nil {
			s = &scored{id: id}
			out[id] = s
		}
		return s
	}
	wd, wl := f.denseWeight, 1-f.denseWeight
	if len(dense) == 0 || len(lex) == 0 {
		wd, wl = 1, 1 // one retriever alone keeps its own order
	}
	var maxD, maxL float64
	for _, r := range dense {
		maxD = max(maxD, r.score)
	}
	for _, r := range lex {
		maxL = max(maxL, r.score)
	}
	for i, r := range dense {
		s := get(r.id)
		s.dense = r.score
		switch f.method {
		case "blend":
			if maxD > 0 {
				s.fused += wd * r.score / maxD
			}
		default:
			s.fused += wd / (f.k + float64(i+1))
		}
	}
	for i, r := range lex {
		s := get(r.id)
		s.lex = r.score
		switch f.method {
		case "blend":
			if maxL > 0 {
				s.fused += wl * r.score / maxL
			}
		default:
			s.fused += wl / (f.k + float64(i+1))
		}
	}
	return out
}
