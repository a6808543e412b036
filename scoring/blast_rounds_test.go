package scoring

import (
	"context"
	"reflect"
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
	s, err := memdb.Open("", memdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := gen.Small.Each(10_000, func(b graph.Batch) error { _, err := s.Apply(ctx, b); return err }); err != nil {
		t.Fatal(err)
	}
	v, err := s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	inc, full := New(v, DefaultProfile()), New(v, DefaultProfile())
	var services []graph.ID
	if err := inc.eachNode(ctx, graph.NodeFilter{Kinds: []graph.Kind{graph.Service}}, func(n *graph.Node) error {
		services = append(services, n.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
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
