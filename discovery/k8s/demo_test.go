package k8s_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/k8s"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/testdata/demo"
)

// moduleRoot walks up from the package directory to go.mod.
func moduleRoot(t testing.TB) string {
	d, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		p := filepath.Dir(d)
		if p == d {
			t.Fatal("no go.mod above the test directory")
		}
		d = p
	}
}

func discoverDemo(t *testing.T) *discovery.Report {
	t.Helper()
	root := moduleRoot(t)
	t.Chdir(root)
	rep, err := discovery.Run(context.Background(), []string{"testdata/demo/k8s/prod"}, discovery.Options{
		Env: "prod", Agents: []discovery.Agent{k8s.Agent{}}, Linkers: []discovery.Linker{k8s.Resolver{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) > 0 {
		t.Fatalf("errors: %v", rep.Errors)
	}
	return rep
}

type pr struct{ tp, fp, fn int }

func (p pr) precision() float64 { return float64(p.tp) / float64(max(1, p.tp+p.fp)) }
func (p pr) recall() float64    { return float64(p.tp) / float64(max(1, p.tp+p.fn)) }

func compareIDs(got, want []graph.ID) (p pr, missing, extra []graph.ID) {
	for _, w := range want {
		if slices.Contains(got, w) {
			p.tp++
		} else {
			p.fn++
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			p.fp++
			extra = append(extra, g)
		}
	}
	return
}

// TestDemoEstate discovers the demo estate's Kubernetes artifacts and
// compares the ids with the demo batch, which was written from the same
// description the artifacts were rendered from.
func TestDemoEstate(t *testing.T) {
	rep := discoverDemo(t)
	want := demo.Batch()
	got := rep.Batch
	prodNode := func(n graph.Node) bool { return n.Env == "prod" || n.Env == "" }
	nodeIDs := func(b graph.Batch, k graph.Kind) []graph.ID {
		var out []graph.ID
		for _, n := range b.Nodes {
			if n.Kind == k && prodNode(n) {
				out = append(out, n.ID)
			}
		}
		return out
	}
	kinds := map[graph.ID]graph.Kind{}
	for _, n := range want.Nodes {
		kinds[n.ID] = n.Kind
	}
	for _, n := range got.Nodes {
		kinds[n.ID] = n.Kind
	}
	isProd := map[graph.ID]bool{graph.InternetID: true}
	for _, n := range want.Nodes {
		isProd[n.ID] = n.Env != "staging"
	}
	for _, n := range got.Nodes {
		isProd[n.ID] = true
	}
	edgeIDs := func(b graph.Batch, k graph.EdgeKind, toKinds ...graph.Kind) []graph.ID {
		var out []graph.ID
		for _, e := range b.Edges {
			if e.Kind == k && isProd[e.From] && isProd[e.To] && (len(toKinds) == 0 || slices.Contains(toKinds, kinds[e.To])) {
				out = append(out, e.ID)
			}
		}
		return out
	}
	// READS and WRITES compared as "touches": which mode the demo gives a
	// connection is not in the manifests (see the rule on storeEdges).
	touches := func(b graph.Batch) []graph.ID {
		var out []graph.ID
		for _, e := range b.Edges {
			if (e.Kind == graph.Reads || e.Kind == graph.Writes) && isProd[e.From] {
				id := graph.EdgeID(graph.Reads, e.From, e.To)
				if !slices.Contains(out, id) {
					out = append(out, id)
				}
			}
		}
		return out
	}
	checks := []struct {
		name      string
		got, want []graph.ID
		minP      float64
		minR      float64
	}{
		{"services", nodeIDs(got, graph.Service), nodeIDs(want, graph.Service), 1, 1},
		{"gateways", nodeIDs(got, graph.Gateway), nodeIDs(want, graph.Gateway), 1, 1},
		{"data stores", nodeIDs(got, graph.DataStore), nodeIDs(want, graph.DataStore), 1, 1},
		{"third parties", nodeIDs(got, graph.ThirdParty), nodeIDs(want, graph.ThirdParty), 1, 1},
		{"identities", nodeIDs(got, graph.Identity), nodeIDs(want, graph.Identity), 1, 1},
		{"ROUTES_TO (not to APIs)", edgeIDs(got, graph.RoutesTo, graph.Gateway, graph.Service), edgeIDs(want, graph.RoutesTo, graph.Gateway, graph.Service), 1, 1},
		{"CALLS", edgeIDs(got, graph.Calls), edgeIDs(want, graph.Calls), 1, 1},
		{"READS/WRITES", touches(got), touches(want), 1, 1},
		{"RUNS_AS", edgeIDs(got, graph.RunsAs), edgeIDs(want, graph.RunsAs), 1, 1},
		{"CAN_ACCESS to roles", edgeIDs(got, graph.CanAccess, graph.Identity), edgeIDs(want, graph.CanAccess, graph.Identity), 1, 1},
	}
	for _, c := range checks {
		p, missing, extra := compareIDs(c.got, c.want)
		t.Logf("%-24s precision %.2f recall %.2f (%d found, %d expected)", c.name, p.precision(), p.recall(), len(c.got), len(c.want))
		if p.precision() < c.minP || p.recall() < c.minR {
			t.Errorf("%s: missing %v, extra %v", c.name, names(missing, want, got), names(extra, want, got))
		}
	}
}

// names makes ids readable in failures.
func names(ids []graph.ID, bs ...graph.Batch) []string {
	label := map[graph.ID]string{}
	for _, b := range bs {
		for _, n := range b.Nodes {
			label[n.ID] = string(n.Kind) + ":" + n.Name
		}
	}
	for _, b := range bs {
		for _, e := range b.Edges {
			label[e.ID] = string(e.Kind) + " " + label[e.From] + " -> " + label[e.To]
		}
	}
	var out []string
	for _, id := range ids {
		if l, ok := label[id]; ok {
			out = append(out, l)
		} else {
			out = append(out, string(id))
		}
	}
	return out
}
