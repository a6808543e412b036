package memdb

import (
	"runtime"
	"testing"
)

// BenchmarkAdjacencyBFS is the CSR baseline's loop run directly on the
// store's copy-on-write adjacency arrays: the cost of the structure itself,
// without building the Steps (ids, parents, edges) that Walk reports.
func BenchmarkAdjacencyBFS(b *testing.B) {
	s, from := walkFixture(b)
	st := s.cur.Load()
	start := s.nodeIDs[from[0]]
	n := st.nodes.n
	runtime.GC()
	b.ResetTimer()
	var visited int
	for i := 0; i < b.N; i++ {
		seen := make([]uint64, (n+63)/64)
		queue := []uint32{start}
		seen[start/64] |= 1 << (start % 64)
		for head := 0; head < len(queue); head++ {
			u := queue[head]
			for _, a := range st.adj.at(u) {
				w := a.other
				if seen[w/64]&(1<<(w%64)) == 0 {
					seen[w/64] |= 1 << (w % 64)
					queue = append(queue, w)
				}
			}
		}
		visited = len(queue)
	}
	b.ReportMetric(float64(visited), "nodes/walk")
}
