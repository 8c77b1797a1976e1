package vecindex

// topK keeps the best m results seen, as a binary heap whose root is the
// worst of them, so a result that would not make the cut is rejected with
// one comparison.
type topK struct {
	m     int
	items []Result
}

// admits reports whether r would enter the heap.
func (h *topK) admits(r Result) bool {
	return len(h.items) < h.m || better(r, h.items[0])
}

// push adds r, evicting the worst result when the heap is full; the caller
// has checked admits.
func (h *topK) push(r Result) {
	if len(h.items) < h.m {
		h.items = append(h.items, r)
		// Sift up.
		i := len(h.items) - 1
		for i > 0 {
			p := (i - 1) / 2
			if !better(h.items[p], h.items[i]) {
				break
			}
			h.items[p], h.items[i] = h.items[i], h.items[p]
			i = p
		}
		return
	}
	h.items[0] = r
	// Sift down.
	i, n := 0, len(h.items)
	for {
		w := i
		if l := 2*i + 1; l < n && better(h.items[w], h.items[l]) {
			w = l
		}
		if r := 2*i + 2; r < n && better(h.items[w], h.items[r]) {
			w = r
		}
		if w == i {
			return
		}
		h.items[i], h.items[w] = h.items[w], h.items[i]
		i = w
	}
}
