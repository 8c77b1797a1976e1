package vecindex

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sparse returns an L2-normalised vector of dim dimensions with nnz random
// non-zero Gaussian components, like the hashed embedder's.
func sparse(r *rand.Rand, dim, nnz int) []float32 {
	v := make([]float32, dim)
	js := make([]int, nnz)
	for i := range js {
		js[i] = r.IntN(dim)
		v[js[i]] = float32(r.NormFloat64())
	}
	js = slices.Compact(slices.Sorted(slices.Values(js)))
	var norm float64
	for _, j := range js {
		norm += float64(v[j]) * float64(v[j])
	}
	if norm == 0 {
		return v
	}
	inv := float32(1 / math.Sqrt(norm))
	for _, j := range js {
		v[j] *= inv
	}
	return v
}

// dot is the float32 dot product of q and v; it skips q's zeros, which
// leaves the sum unchanged and the brute force 20 times faster.
func dot(q, v []float32) float32 {
	var s float32
	for j, x := range q {
		if x != 0 {
			s += x * v[j]
		}
	}
	return s
}

// bruteForce ranks every vector by exact dot product with q.
func bruteForce(vecs map[string][]float32, q []float32, k int, keep func(string) bool) []Result {
	var all []Result
	for id, v := range vecs {
		if keep != nil && !keep(id) {
			continue
		}
		all = append(all, Result{ID: id, Score: dot(q, v)})
	}
	slices.SortFunc(all, func(a, b Result) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
	return all[:min(k, len(all))]
}

func ids(rs []Result) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// fill adds n random sparse rows to ix and returns them by ID.
func fill(t testing.TB, ix *Index, r *rand.Rand, n, dim, nnz int) map[string][]float32 {
	t.Helper()
	vecs := make(map[string][]float32, n)
	for i := range n {
		id := fmt.Sprintf("row%05d", i)
		vecs[id] = sparse(r, dim, nnz)
		if err := ix.Add(id, vecs[id]); err != nil {
			t.Fatal(err)
		}
	}
	return vecs
}

func TestSearchMatchesBruteForce(t *testing.T) {
	t.Parallel()
	const dim, rows, k, queries = 2048, 5000, 10, 30
	r := rand.New(rand.NewPCG(1, 2))
	ix := New(dim)
	vecs := fill(t, ix, r, rows, dim, 300)
	exact := func(id string) []float32 { return vecs[id] }
	qs := make([][]float32, queries)
	for i := range qs {
		qs[i] = sparse(r, dim, 100)
	}

	t.Run("exact rescoring gives the brute-force top k", func(t *testing.T) {
		t.Parallel()
		for i, q := range qs {
			want := bruteForce(vecs, q, k, nil)
			got := ix.Search(q, k, nil, exact)
			if diff := cmp.Diff(ids(want), ids(got)); diff != "" {
				t.Errorf("query %d: IDs (-want +got):\n%s", i, diff)
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-5)); diff != "" {
				t.Errorf("query %d: results (-want +got):\n%s", i, diff)
			}
		}
	})
	t.Run("approximate recall@10 is at least 0.95", func(t *testing.T) {
		t.Parallel()
		hits := 0
		for _, q := range qs {
			want := map[string]bool{}
			for _, id := range ids(bruteForce(vecs, q, k, nil)) {
				want[id] = true
			}
			got := ix.Search(q, k, nil, nil)
			for _, r := range got {
				if want[r.ID] {
					hits++
				}
			}
			for i := 1; i < len(got); i++ {
				if better(got[i], got[i-1]) {
					t.Errorf("results out of order at %d: %v", i, got)
				}
			}
		}
		if recall := float64(hits) / (k * queries); recall < 0.95 {
			t.Errorf("recall@10 = %.3f, want ≥ 0.95", recall)
		}
	})
	t.Run("keep filters before ranking", func(t *testing.T) {
		t.Parallel()
		// Keeping one row in seven means the kept top k lie far below the
		// unfiltered top candidates.
		keep := func(id string) bool {
			var n int
			fmt.Sscanf(id, "row%d", &n)
			return n%7 == 3
		}
		for i, q := range qs[:10] {
			want := bruteForce(vecs, q, k, keep)
			got := ix.Search(q, k, keep, exact)
			if diff := cmp.Diff(ids(want), ids(got)); diff != "" {
				t.Errorf("query %d: IDs (-want +got):\n%s", i, diff)
			}
		}
	})
}

func TestSearch(t *testing.T) {
	t.Parallel()
	const dim = 4
	type op struct {
		add    string // ID to add with vec, or
		remove string // ID to remove
		vec    []float32
	}
	tests := []struct {
		name    string
		ops     []op
		q       []float32
		k       int
		keep    func(string) bool
		want    []string
		wantLen int
	}{
		{
			name: "empty index",
			q:    []float32{1, 0, 0, 0}, k: 3,
		},
		{
			name: "zero query",
			ops:  []op{{add: "a", vec: []float32{1, 0, 0, 0}}},
			q:    []float32{0, 0, 0, 0}, k: 3, wantLen: 1,
		},
		{
			name: "wrong query length",
			ops:  []op{{add: "a", vec: []float32{1, 0, 0, 0}}},
			q:    []float32{1, 0}, k: 3, wantLen: 1,
		},
		{
			name: "k zero",
			ops:  []op{{add: "a", vec: []float32{1, 0, 0, 0}}},
			q:    []float32{1, 0, 0, 0}, k: 0, wantLen: 1,
		},
		{
			name: "k over Len returns every row, best first",
			ops: []op{
				{add: "a", vec: []float32{0.6, 0.8, 0, 0}},
				{add: "b", vec: []float32{1, 0, 0, 0}},
				{add: "c", vec: []float32{-1, 0, 0, 0}},
			},
			q: []float32{1, 0, 0, 0}, k: 10,
			want: []string{"b", "a", "c"}, wantLen: 3,
		},
		{
			name: "ties by ID",
			ops: []op{
				{add: "z", vec: []float32{1, 0, 0, 0}},
				{add: "m", vec: []float32{1, 0, 0, 0}},
				{add: "a", vec: []float32{0, 1, 0, 0}},
			},
			q: []float32{1, 0, 0, 0}, k: 3,
			want: []string{"m", "z", "a"}, wantLen: 3,
		},
		{
			name: "Add replaces an existing ID",
			ops: []op{
				{add: "a", vec: []float32{1, 0, 0, 0}},
				{add: "b", vec: []float32{0.5, 0, 0, 0}},
				{add: "a", vec: []float32{0, 0, 1, 0}},
			},
			q: []float32{1, 0, 0, 0}, k: 3,
			want: []string{"b", "a"}, wantLen: 2,
		},
		{
			name: "Remove drops the row",
			ops: []op{
				{add: "a", vec: []float32{1, 0, 0, 0}},
				{add: "b", vec: []float32{0.5, 0, 0, 0}},
				{remove: "a"},
				{remove: "absent"},
			},
			q: []float32{1, 0, 0, 0}, k: 3,
			want: []string{"b"}, wantLen: 1,
		},
		{
			name: "a removed slot is reused by the next Add",
			ops: []op{
				{add: "a", vec: []float32{1, 0, 0, 0}},
				{add: "b", vec: []float32{0, 1, 0, 0}},
				{remove: "a"},
				{add: "c", vec: []float32{0, 0, 0.5, 0}},
			},
			q: []float32{1, 1, 1, 0}, k: 3,
			want: []string{"b", "c"}, wantLen: 2,
		},
		{
			name: "keep applies before ranking",
			ops: []op{
				{add: "a", vec: []float32{1, 0, 0, 0}},
				{add: "b", vec: []float32{0.9, 0, 0, 0}},
				{add: "c", vec: []float32{0.8, 0, 0, 0}},
			},
			q: []float32{1, 0, 0, 0}, k: 1,
			keep: func(id string) bool { return id != "a" },
			want: []string{"b"}, wantLen: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ix := New(dim)
			vecs := map[string][]float32{}
			for _, o := range tt.ops {
				if o.remove != "" {
					ix.Remove(o.remove)
					delete(vecs, o.remove)
					continue
				}
				if err := ix.Add(o.add, o.vec); err != nil {
					t.Fatal(err)
				}
				vecs[o.add] = o.vec
			}
			if got := ix.Len(); got != tt.wantLen {
				t.Errorf("Len() = %d, want %d", got, tt.wantLen)
			}
			exact := func(id string) []float32 { return vecs[id] }
			for _, ex := range []func(string) []float32{nil, exact} {
				got := ids(ix.Search(tt.q, tt.k, tt.keep, ex))
				if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("Search(exact %t) IDs (-want +got):\n%s", ex != nil, diff)
				}
			}
		})
	}
}

func TestSlotReuse(t *testing.T) {
	t.Parallel()
	ix := New(2)
	for i := range 100 {
		if err := ix.Add(fmt.Sprint(i), []float32{1, float32(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		ix.Remove(fmt.Sprint(i))
	}
	for i := range 50 {
		if err := ix.Add(fmt.Sprint("new", i), []float32{0, 1}); err != nil {
			t.Fatal(err)
		}
	}
	if ix.n != 100 {
		t.Errorf("slots used = %d, want 100 (freed slots reused)", ix.n)
	}
	if got := ix.Len(); got != 100 {
		t.Errorf("Len() = %d, want 100", got)
	}
}

func TestAddWrongDimension(t *testing.T) {
	t.Parallel()
	ix := New(3)
	err := ix.Add("a", []float32{1, 2})
	if !errors.Is(err, ErrDimension) {
		t.Errorf("Add() error = %v, want ErrDimension", err)
	}
	if ix.Len() != 0 {
		t.Errorf("Len() = %d after a rejected Add, want 0", ix.Len())
	}
}

func TestConcurrentReadersAndWriter(t *testing.T) {
	t.Parallel()
	const dim = 256
	r := rand.New(rand.NewPCG(3, 4))
	ix := New(dim)
	vecs := fill(t, ix, r, 500, dim, 40)
	qs := make([][]float32, 20)
	for i := range qs {
		qs[i] = sparse(r, dim, 20)
	}
	// The writer's vectors are made up front: rand.Rand is not safe for
	// concurrent use.
	news := make([][]float32, 300)
	for i := range news {
		news[i] = sparse(r, dim, 40)
	}
	var exactMu sync.Mutex
	exact := func(id string) []float32 {
		exactMu.Lock()
		defer exactMu.Unlock()
		return vecs[id]
	}

	var wg sync.WaitGroup
	wg.Go(func() {
		for i, v := range news {
			id := fmt.Sprintf("row%05d", i*7%800)
			exactMu.Lock()
			if i%3 == 0 {
				delete(vecs, id)
			} else {
				vecs[id] = v
			}
			exactMu.Unlock()
			if i%3 == 0 {
				ix.Remove(id)
			} else if err := ix.Add(id, v); err != nil {
				t.Error(err)
			}
		}
	})
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				q := qs[(g+i)%len(qs)]
				var ex func(string) []float32
				if i%2 == 0 {
					ex = exact
				}
				got := ix.Search(q, 10, nil, ex)
				if len(got) > 10 {
					t.Errorf("Search returned %d results, want ≤ 10", len(got))
				}
				_ = ix.Len()
			}
		})
	}
	wg.Wait()
}

func FuzzIndex(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1, 2, 0, 3})
	f.Add([]byte{0, 0, 255, 127, 128, 0, 0, 0, 0, 1, 0, 2, 0, 9, 9})
	f.Fuzz(func(t *testing.T, ops []byte) {
		const dim = 4
		ix := New(dim)
		model := map[string][]float32{}
		exact := func(id string) []float32 { return model[id] }
		for len(ops) >= 2 {
			op, id := ops[0]%4, fmt.Sprint(ops[1]%8)
			ops = ops[2:]
			v := make([]float32, dim)
			for j := 0; j < dim && len(ops) > 0; j++ {
				v[j] = float32(int8(ops[0])) / 16
				ops = ops[1:]
			}
			switch op {
			case 0, 1:
				if err := ix.Add(id, v); err != nil {
					t.Fatal(err)
				}
				model[id] = v
			case 2:
				ix.Remove(id)
				delete(model, id)
			case 3:
				k := int(v[0]) % 10
				for _, ex := range []func(string) []float32{nil, exact} {
					got := ix.Search(v, k, nil, ex)
					if len(got) > max(k, 0) || len(got) > len(model) {
						t.Fatalf("Search(k=%d) returned %d results over %d rows", k, len(got), len(model))
					}
				}
			}
			if ix.Len() != len(model) {
				t.Fatalf("Len() = %d, want %d", ix.Len(), len(model))
			}
		}
	})
}

func TestParallelMatchesSerial(t *testing.T) {
	t.Parallel()
	const dim = 16
	r := rand.New(rand.NewPCG(5, 6))
	ix := New(dim)
	fill(t, ix, r, parallelRows+5000, dim, 4)
	for i := range 20 {
		q := sparse(r, dim, 3)
		ix.workers = 2
		split := ix.Search(q, 10, nil, nil)
		ix.workers = 1
		serial := ix.Search(q, 10, nil, nil)
		if diff := cmp.Diff(serial, split); diff != "" {
			t.Errorf("query %d: (-serial +split):\n%s", i, diff)
		}
	}
}
