package memdb

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/gen"
	"github.com/riskgraph/riskgraph/graph"
)

// Benchmarks run on the generated estate gen.Large() (about 1M nodes and
// 3M edges; RISKGRAPH_BENCH_SMALL=1 uses gen.Small for a quick look).
// Numbers and the command that produced them are in BENCHMARKS.md.
//
//	go test ./graph/memdb -run '^$' -bench . -benchtime 3x -timeout 60m

func benchEstate() []graph.Batch {
	cfg := gen.Large()
	if os.Getenv("RISKGRAPH_BENCH_SMALL") != "" {
		cfg = gen.Small
	}
	// 50,000-element batches: what a large discovery run hands over.
	bs, err := cfg.Generate(50_000)
	if err != nil {
		panic(err)
	}
	return bs
}

var fixture struct {
	once  sync.Once
	elems int
	dir   string // a closed store holding the estate
	err   error
}

func loadFixture(b *testing.B) {
	fixture.once.Do(func() {
		batches := benchEstate()
		for _, bt := range batches {
			fixture.elems += bt.Len()
		}
		dir, err := os.MkdirTemp("", "riskgraph-bench-")
		if err != nil {
			fixture.err = err
			return
		}
		fixture.dir = filepath.Join(dir, "store")
		s, err := Open(fixture.dir, Options{SnapshotEvery: -1})
		if err != nil {
			fixture.err = err
			return
		}
		for _, bt := range batches {
			if _, err := s.Apply(context.Background(), bt); err != nil {
				fixture.err = err
				return
			}
		}
		fixture.err = s.Close()
		runtime.GC()
	})
	if fixture.err != nil {
		b.Fatal(fixture.err)
	}
	b.ResetTimer()
}

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir) // never returns
	}
	code := m.Run()
	if fixture.dir != "" {
		os.RemoveAll(filepath.Dir(fixture.dir))
	}
	os.Exit(code)
}

// BenchmarkApply loads the whole estate, in 50,000-element batches, into a
// fresh durable store with the WAL fsynced per batch.
func BenchmarkApply(b *testing.B) {
	b.StopTimer()
	batches := benchEstate()
	elems := 0
	for _, bt := range batches {
		elems += bt.Len()
	}
	b.StartTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		s, err := Open(dir, Options{SnapshotEvery: -1})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		b.StartTimer()
		start := time.Now()
		for _, bt := range batches {
			if _, err := s.Apply(context.Background(), bt); err != nil {
				b.Fatal(err)
			}
		}
		total += time.Since(start)
		b.StopTimer()
		s.opt.SnapshotEvery = -1
		s.wal.close()
		s.wal = nil
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(elems*b.N)/total.Seconds(), "elements/s")
	b.ReportMetric(float64(elems), "elements")
}

// BenchmarkOpen recovers the estate from its data directory and reports the
// heap it occupies per element.
func BenchmarkOpen(b *testing.B) {
	loadFixture(b)
	var perElem float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		runtime.GC()
		var m0 runtime.MemStats
		runtime.ReadMemStats(&m0)
		b.StartTimer()
		s, err := Open(fixture.dir, Options{SnapshotEvery: -1})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.GC()
		var m1 runtime.MemStats
		runtime.ReadMemStats(&m1)
		perElem = float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / float64(fixture.elems)
		runtime.KeepAlive(s)
		s.wal.close()
		s.wal = nil // leave the fixture's files as they are
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(perElem, "bytes/element")
}

// walkFixture opens the fixture store for the traversal benchmarks.
func walkFixture(b *testing.B) (*Store, []graph.ID) {
	loadFixture(b)
	s, err := Open(fixture.dir, Options{SnapshotEvery: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.wal.close(); s.wal = nil; s.Close() })
	return s, []graph.ID{graph.InternetID}
}

// BenchmarkNeighbors is a full breadth-first walk from the Internet node
// over edges in both directions (every node connected to the estate)
// through View.Walk.
func BenchmarkNeighbors(b *testing.B) {
	s, from := walkFixture(b)
	v, _ := s.Read(context.Background())
	var visited, edges int
	runtime.GC()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		visited = 0
		if err := v.Walk(context.Background(), graph.Walk{From: from, Dir: graph.Both}, func(graph.Step) graph.Control {
			visited++
			return graph.Continue
		}); err != nil {
			b.Fatal(err)
		}
	}
	st := s.cur.Load()
	edges = 2 * int(st.edges.n) // each edge is seen from both ends
	b.ReportMetric(float64(visited), "nodes/walk")
	b.ReportMetric(float64(edges)*float64(b.N)/b.Elapsed().Seconds(), "edges/s")
}

// BenchmarkCSRBaseline is the same walk over a plain compressed-sparse-row
// copy of the same graph (both directions): the floor a traversal
// structure can reach.
func BenchmarkCSRBaseline(b *testing.B) {
	s, from := walkFixture(b)
	st := s.cur.Load()
	n := st.nodes.n
	offsets := make([]uint32, n+1)
	for i := uint32(0); i < n; i++ {
		offsets[i+1] = uint32(len(st.adj.at(i)))
	}
	for i := uint32(1); i <= n; i++ {
		offsets[i] += offsets[i-1]
	}
	targets := make([]uint32, offsets[n])
	fill := make([]uint32, n)
	copy(fill, offsets[:n])
	for i := uint32(0); i < n; i++ {
		for _, a := range st.adj.at(i) {
			targets[fill[i]] = a.other
			fill[i]++
		}
	}
	start := s.nodeIDs[from[0]]
	var visited int
	runtime.GC()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		seen := make([]uint64, (n+63)/64)
		queue := []uint32{start}
		seen[start/64] |= 1 << (start % 64)
		for head := 0; head < len(queue); head++ {
			u := queue[head]
			for _, w := range targets[offsets[u]:offsets[u+1]] {
				if seen[w/64]&(1<<(w%64)) == 0 {
					seen[w/64] |= 1 << (w % 64)
					queue = append(queue, w)
				}
			}
		}
		visited = len(queue)
	}
	b.ReportMetric(float64(visited), "nodes/walk")
	b.ReportMetric(float64(len(targets))*float64(b.N)/b.Elapsed().Seconds(), "edges/s")
}
