package scoring

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/riskgraph/riskgraph/gen"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
)

// Benchmarks run on gen.Large() (10k services, 200k APIs, ~1M nodes, ~3M
// edges, 455k findings) loaded once per binary into an in-memory memdb
// store; RISKGRAPH_BENCH_SMALL=1 uses gen.Small. Numbers and commands:
// BENCHMARKS.md (Scoring).
//
//	go test ./scoring -run '^$' -bench . -benchtime 20x -timeout 60m

var large struct {
	once     sync.Once
	s        *memdb.Store
	v        graph.View
	services []graph.ID // every 100th service, the blast radius starts
	warm     *Engine    // findings gathered and scored
	coldAll  time.Duration
	findings int
	csr      *csr
	err      error
}

func largeFixture(b *testing.B) {
	large.once.Do(func() {
		ctx := context.Background()
		cfg := gen.Large()
		if os.Getenv("RISKGRAPH_BENCH_SMALL") != "" {
			cfg = gen.Small
		}
		s, err := memdb.Open("", memdb.Options{})
		if err != nil {
			large.err = err
			return
		}
		if err := cfg.Each(50_000, func(bt graph.Batch) error { _, err := s.Apply(ctx, bt); return err }); err != nil {
			large.err = err
			return
		}
		large.s = s
		large.v, large.err = s.Read(ctx)
		if large.err != nil {
			return
		}
		e := New(large.v, DefaultProfile())
		i := 0
		large.err = e.eachNode(ctx, graph.NodeFilter{Kinds: []graph.Kind{graph.Service}}, func(n *graph.Node) error {
			if i%100 == 0 {
				large.services = append(large.services, n.ID)
			}
			i++
			return nil
		})
		if large.err != nil {
			return
		}
		start := time.Now()
		ss, err := e.ScoreAll(ctx)
		large.coldAll, large.findings, large.err = time.Since(start), len(ss), err
		large.warm = e
		large.csr, large.err = buildCSR(ctx, large.v, lateralKinds)
	})
	if large.err != nil {
		b.Fatal(large.err)
	}
	b.ResetTimer()
}

// csr is a plain compressed-sparse-row copy of the edges of some kinds
// (out direction): the floor a traversal can reach.
type csr struct {
	ids     map[graph.ID]uint32
	offsets []uint32
	targets []uint32
}

func buildCSR(ctx context.Context, v graph.View, kinds []graph.EdgeKind) (*csr, error) {
	c := &csr{ids: map[graph.ID]uint32{}}
	slot := func(id graph.ID) uint32 {
		if s, ok := c.ids[id]; ok {
			return s
		}
		s := uint32(len(c.ids))
		c.ids[id] = s
		return s
	}
	var from, to []uint32
	p := graph.Page{Limit: graph.MaxPageLimit}
	for {
		pg, err := v.Edges(ctx, graph.EdgeFilter{Kinds: kinds}, p)
		if err != nil {
			return nil, err
		}
		for _, e := range pg.Edges {
			from, to = append(from, slot(e.From)), append(to, slot(e.To))
		}
		if !pg.HasMore {
			break
		}
		p.After = pg.End
	}
	n := uint32(len(c.ids))
	c.offsets = make([]uint32, n+1)
	for _, f := range from {
		c.offsets[f+1]++
	}
	for i := uint32(1); i <= n; i++ {
		c.offsets[i] += c.offsets[i-1]
	}
	c.targets = make([]uint32, len(to))
	fill := slices.Clone(c.offsets[:n])
	for i, f := range from {
		c.targets[fill[f]] = to[i]
		fill[f]++
	}
	return c, nil
}

// bfs walks out from start up to maxDepth and returns the nodes visited.
func (c *csr) bfs(start graph.ID, maxDepth int, seen []uint64, queue []uint32, depth []uint8) int {
	clear(seen)
	s, ok := c.ids[start]
	if !ok {
		return 1
	}
	queue = append(queue[:0], s)
	depth = append(depth[:0], 0)
	seen[s/64] |= 1 << (s % 64)
	for head := 0; head < len(queue); head++ {
		u, d := queue[head], depth[head]
		if int(d) >= maxDepth {
			continue
		}
		for _, w := range c.targets[c.offsets[u]:c.offsets[u+1]] {
			if seen[w/64]&(1<<(w%64)) == 0 {
				seen[w/64] |= 1 << (w % 64)
				queue = append(queue, w)
				depth = append(depth, d+1)
			}
		}
	}
	return len(queue)
}

// threadCPU is the CPU time of the calling OS thread
// (CLOCK_THREAD_CPUTIME_ID). The machine the numbers come from is shared, so wall
// time includes waiting for a core; with the goroutine locked to its
// thread, CPU time is the work itself (GC assists included, background GC
// workers not).
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// timed runs fn and returns its wall and thread CPU time.
func timed(fn func()) (wall, cpu time.Duration) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c0, w0 := threadCPU(), time.Now()
	fn()
	return time.Since(w0), threadCPU() - c0
}

func reportCPU(b *testing.B, cs []time.Duration) {
	sort.Slice(cs, func(i, j int) bool { return cs[i] < cs[j] })
	b.ReportMetric(float64(cs[len(cs)/2].Microseconds())/1000, "cpu-p50-ms")
}

func reportLatency(b *testing.B, ds []time.Duration) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkBlastRadius: BlastRadius at depth 6 from a service (100
// services in turn), the full answer: walk, lateral hops, categories,
// applications, teams, data classes and score.
func BenchmarkBlastRadius(b *testing.B) {
	largeFixture(b)
	ctx := context.Background()
	e := New(large.v, DefaultProfile())
	var ds, cs []time.Duration
	nodes := 0
	for i := 0; i < b.N; i++ {
		var br BlastRadius
		var err error
		w, c := timed(func() { br, err = e.BlastRadius(ctx, []graph.ID{large.services[i%len(large.services)]}, 6) })
		ds, cs = append(ds, w), append(cs, c)
		if err != nil {
			b.Fatal(err)
		}
		nodes += len(br.Reached)
	}
	reportLatency(b, ds)
	reportCPU(b, cs)
	b.ReportMetric(float64(nodes)/float64(b.N), "nodes/op")
}

// BenchmarkBlastRadiusSpread is the traversal inside BlastRadius alone:
// the walk over the radius index and the lateral rounds (shared secrets,
// writable shared stores), depth 6, same starts, without building the
// answer. It visits more nodes than the CSR baseline: the lateral hops.
func BenchmarkBlastRadiusSpread(b *testing.B) {
	largeFixture(b)
	ctx := context.Background()
	e := New(large.v, DefaultProfile())
	if _, err := e.exposure(ctx); err != nil {
		b.Fatal(err)
	}
	// Building the index (once per engine, after the exposure index).
	var r *radiusIndex
	var err error
	_, buildCPU := timed(func() { r, err = e.radius(ctx) })
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(buildCPU.Milliseconds()), "index-cpu-ms")
	b.ReportMetric(float64(len(r.ids)), "index-nodes")
	b.ReportMetric(float64(r.size())/(1<<20), "index-MiB")
	var ds, cs []time.Duration
	nodes := 0
	for i := 0; i < b.N; i++ {
		seed := r.slot[large.services[i%len(large.services)]]
		w, c := timed(func() { err = r.spread(ctx, []int32{seed}, 6) })
		ds, cs = append(ds, w), append(cs, c)
		if err != nil {
			b.Fatal(err)
		}
		nodes += len(r.hits)
	}
	reportLatency(b, ds)
	reportCPU(b, cs)
	b.ReportMetric(float64(nodes)/float64(b.N), "nodes/op")
}

// BenchmarkBlastRadiusWalk is the traversal inside BlastRadius alone: one
// View.Walk over the lateral edge kinds, depth 6, same starts.
func BenchmarkBlastRadiusWalk(b *testing.B) {
	largeFixture(b)
	ctx := context.Background()
	var ds, cs []time.Duration
	nodes := 0
	for i := 0; i < b.N; i++ {
		var err error
		w, c := timed(func() {
			err = large.v.Walk(ctx, graph.Walk{From: []graph.ID{large.services[i%len(large.services)]}, Dir: graph.Out, Kinds: lateralKinds, MaxDepth: 6},
				func(graph.Step) graph.Control { nodes++; return graph.Continue })
		})
		ds, cs = append(ds, w), append(cs, c)
		if err != nil {
			b.Fatal(err)
		}
	}
	reportLatency(b, ds)
	reportCPU(b, cs)
	b.ReportMetric(float64(nodes)/float64(b.N), "nodes/op")
}

// BenchmarkCSRBaseline (issue 8's name) is the same walk over a CSR copy of the lateral
// edges: the baseline, visiting the same nodes.
func BenchmarkCSRBaseline(b *testing.B) {
	largeFixture(b)
	c := large.csr
	n := len(c.ids)
	seen := make([]uint64, (n+63)/64)
	var queue []uint32
	var depth []uint8
	var ds, cs []time.Duration
	nodes := 0
	for i := 0; i < b.N; i++ {
		w, cp := timed(func() { nodes += c.bfs(large.services[i%len(large.services)], 6, seen, queue, depth) })
		ds, cs = append(ds, w), append(cs, cp)
	}
	reportLatency(b, ds)
	reportCPU(b, cs)
	b.ReportMetric(float64(nodes)/float64(b.N), "nodes/op")
}

// BenchmarkAttackPaths: the top 10 attack paths to PII or PCI stores, on an
// engine whose findings are gathered (the first call, which also fills the
// edge cache, is reported as first-ms).
func BenchmarkAttackPaths(b *testing.B) {
	largeFixture(b)
	ctx := context.Background()
	e := large.warm
	q := PathQuery{To: []graph.DataClass{graph.PII, graph.PCI}, Limit: 10}
	var ds, cs []time.Duration
	paths := 0
	for i := 0; i < b.N; i++ {
		var ps []AttackPath
		var err error
		w, c := timed(func() { ps, err = e.AttackPaths(ctx, q) })
		ds, cs = append(ds, w), append(cs, c)
		if err != nil {
			b.Fatal(err)
		}
		paths += len(ps)
	}
	b.ReportMetric(float64(ds[0].Microseconds())/1000, "first-ms")
	reportLatency(b, ds)
	reportCPU(b, cs)
	b.ReportMetric(float64(paths)/float64(b.N), "paths/op")
}

// BenchmarkRescoreAll rescores every finding from gathered facts (what a
// profile change costs), ranked, with RiskOfNode's index rebuilt. The cold
// ScoreAll of the fixture (exposure, every finding's facts, impact) is
// reported as cold-s.
func BenchmarkRescoreAll(b *testing.B) {
	largeFixture(b)
	ctx := context.Background()
	e := large.warm
	var cs []time.Duration
	for i := 0; i < b.N; i++ {
		var err error
		_, c := timed(func() { _, err = e.Rescore(ctx) })
		cs = append(cs, c)
		if err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cs)
	per := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(large.findings), "findings")
	b.ReportMetric(per*100_000/float64(large.findings)*1000, "ms/100k-findings")
	b.ReportMetric(large.coldAll.Seconds(), "cold-s")
}

// BenchmarkIncrementalRescore applies a 1,000-element batch (500 new
// findings on services and their FOUND_ON edges) and times Update, which
// rescores just those findings.
func BenchmarkIncrementalRescore(b *testing.B) {
	largeFixture(b)
	ctx := context.Background()
	e := New(large.v, DefaultProfile())
	if _, err := e.ScoreAll(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var ds, cs []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		bt := graph.Batch{Scope: graph.Scope{Source: "bench", Key: "incr"}, Run: graph.RunID("r" + strconv.Itoa(i))}
		for j := 0; j < 500; j++ {
			fp := fmt.Sprintf("bench-%d-%d", i, j)
			id := graph.FindingID(fp)
			bt.Nodes = append(bt.Nodes, graph.Node{ID: id, Kind: graph.Finding, Name: "bench finding " + fp, Env: "prod",
				Props: graph.Props{"tool": "bench", "rule": "r" + strconv.Itoa(j%40), "severity": "high", "fingerprint": fp, "vulnerability": "CVE-2099-" + strconv.Itoa(100000+j)}})
			bt.Edges = append(bt.Edges, graph.NewEdge(graph.FoundOn, id, large.services[(i*500+j)%len(large.services)]))
		}
		if _, err := large.s.Apply(ctx, bt); err != nil {
			b.Fatal(err)
		}
		v, err := large.s.Read(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		var ne *Engine
		var changed []Score
		w, c := timed(func() { ne, changed, err = e.Update(ctx, v, bt) })
		ds, cs = append(ds, w), append(cs, c)
		if err != nil {
			b.Fatal(err)
		}
		if len(changed) != 500 {
			b.Fatalf("rescored %d, want 500", len(changed))
		}
		e = ne
	}
	reportLatency(b, ds)
	reportCPU(b, cs)
}

// size estimates the index's memory in bytes (ids share the store's
// strings; a map entry is counted at 48 bytes with its overhead).
func (r *radiusIndex) size() int {
	n := len(r.ids)
	b := n*16 + n*48 + n + 4*n + 2*8*len(r.seen)
	for _, a := range []*adjacency{&r.out, &r.writers, &r.readers, &r.owners, &r.secrets, &r.members} {
		b += 4*len(a.off) + 5*len(a.to)
	}
	return b + 48*(len(r.names)+len(r.classes))
}
