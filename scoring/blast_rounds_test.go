package scoring

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/riskgraph/riskgraph/gen"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
)

// TestLateralRoundsIncremental: looking only at what each round added
// gives the same radius, node for node and depth for depth, as looking at
// the whole radius every round, for every service of a generated estate
// (shared stores with many readers, secrets mounted across services).
func TestLateralRoundsIncremental(t *testing.T) {
	ctx := context.Background()
	v, services := smallEstate(t)
	inc, full := New(v, DefaultProfile()), New(v, DefaultProfile())
	lateralHops := 0
	for i, id := range services {
		if testing.Short() && i%10 != 0 {
			continue
		}
		for _, depth := range []int{3, 0} {
			a, err := inc.BlastRadius(ctx, []graph.ID{id}, depth)
			if err != nil {
				t.Fatal(err)
			}
			lateralFromScratch = true
			b, err := full.BlastRadius(ctx, []graph.ID{id}, depth)
			lateralFromScratch = false
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("%s depth %d: incremental rounds reach %d nodes, from scratch %d", id, depth, len(a.Reached), len(b.Reached))
			}
			for _, r := range a.Reached {
				if r.Lateral != "" {
					lateralHops++
				}
			}
		}
	}
	if lateralHops == 0 {
		t.Fatal("no radius took a lateral hop: the comparison proves nothing on this estate")
	}
	t.Logf("%d services, %d lateral hops compared", len(services), lateralHops)
}

// TestBlastRadiusIndexMatchesWalk: the radius index gives the answer the
// store's own traversal gives (View.Walk, edge listings, node lookups), for
// every service of a generated estate at depths 3 and unbounded, and for a
// start set of several services. Parents and edge kinds of walked nodes may
// differ (several parents are equally near; which one a BFS meets first
// depends on adjacency order); everything else must be equal.
func TestBlastRadiusIndexMatchesWalk(t *testing.T) {
	ctx := context.Background()
	v, services := smallEstate(t)
	idx, walk := New(v, DefaultProfile()), New(v, DefaultProfile())
	starts := [][]graph.ID{services[:7]}
	for _, id := range services {
		starts = append(starts, []graph.ID{id})
	}
	// A start that is in no lateral edge at all: a package.
	pkgs, err := v.Nodes(ctx, graph.NodeFilter{Kinds: []graph.Kind{graph.Package}}, graph.Page{Limit: 1})
	if err != nil || len(pkgs.Nodes) == 0 {
		t.Fatalf("no package in the estate: %v", err)
	}
	starts = append(starts, []graph.ID{pkgs.Nodes[0].ID, services[0]})
	strip := func(br BlastRadius) BlastRadius {
		br.Reached = slices.Clone(br.Reached)
		for i := range br.Reached {
			if br.Reached[i].Lateral == "" {
				br.Reached[i].Parent, br.Reached[i].Via = "", ""
			}
		}
		return br
	}
	nodes := 0
	for i, from := range starts {
		if testing.Short() && i%10 != 0 {
			continue
		}
		for _, depth := range []int{3, 0} {
			a, err := idx.BlastRadius(ctx, from, depth)
			if err != nil {
				t.Fatal(err)
			}
			walk.mu.Lock()
			b, err := walk.blastByWalk(ctx, sortIDs(slices.Clone(from)), depth)
			walk.mu.Unlock()
			if err != nil {
				t.Fatal(err)
			}
			if a, b := strip(a), strip(b); !reflect.DeepEqual(a, b) {
				for j := range min(len(a.Reached), len(b.Reached)) {
					if a.Reached[j] != b.Reached[j] {
						t.Errorf("first difference at %d: index %+v, walk %+v", j, a.Reached[j], b.Reached[j])
						break
					}
				}
				t.Fatalf("%v depth %d: index reaches %d nodes (score %v), walk %d (score %v)", from, depth, len(a.Reached), a.Score, len(b.Reached), b.Score)
			}
			nodes += len(a.Reached)
		}
	}
	t.Logf("%d radii, %d nodes compared", 2*len(starts), nodes)
}

// smallEstate loads gen.Small into an in-memory store and returns a view
// of it (closed with the test) and its services.
func smallEstate(t *testing.T) (graph.View, []graph.ID) {
	t.Helper()
	ctx := context.Background()
	s, err := memdb.Open("", memdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := gen.Small.Each(10_000, func(b graph.Batch) error { _, err := s.Apply(ctx, b); return err }); err != nil {
		t.Fatal(err)
	}
	v, err := s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	var services []graph.ID
	if err := New(v, DefaultProfile()).eachNode(ctx, graph.NodeFilter{Kinds: []graph.Kind{graph.Service}}, func(n *graph.Node) error {
		services = append(services, n.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return v, services
}
