package exposure_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/exposure"
	"github.com/riskgraph/riskgraph/discovery/k8s"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/testdata/demo"
)

// specs stands in for the OpenAPI agent: it adds the demo's prod APIs and
// EXPOSES edges, as the spec matcher does in PhaseMatch.
type specs struct{ b graph.Batch }

func (specs) Name() string { return "specs" }
func (specs) Phase() int   { return discovery.PhaseMatch }
func (s specs) Link(ctx context.Context, c *discovery.Collector) error {
	prod := map[graph.ID]bool{}
	for _, n := range s.b.Nodes {
		if n.Kind == graph.API && n.Env == "prod" {
			c.AddNode("specs", n)
			prod[n.ID] = true
		}
	}
	for _, e := range s.b.Edges {
		if e.Kind == graph.Exposes && prod[e.To] {
			c.AddEdge("specs", e)
		}
	}
	return nil
}

func moduleRoot(t *testing.T) string {
	d, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if p := filepath.Dir(d); p != d {
			d = p
			continue
		}
		t.Fatal("no go.mod above the test directory")
	}
}

// TestDemoAPIRoutes: with the demo's APIs in place, the gateways' routes
// reach exactly the APIs the demo batch says they reach.
func TestDemoAPIRoutes(t *testing.T) {
	t.Chdir(moduleRoot(t))
	want := demo.Batch()
	rep, err := discovery.Run(context.Background(), []string{"testdata/demo/k8s/prod"}, discovery.Options{
		Env: "prod", Agents: []discovery.Agent{k8s.Agent{}},
		Linkers: []discovery.Linker{k8s.Resolver{}, specs{want}, exposure.Linker{}},
	})
	if err != nil || len(rep.Errors) > 0 {
		t.Fatal(err, rep.Errors)
	}
	kind := map[graph.ID]graph.Kind{}
	env := map[graph.ID]string{}
	for _, n := range want.Nodes {
		kind[n.ID], env[n.ID] = n.Kind, n.Env
	}
	toAPI := func(b graph.Batch) map[graph.ID]graph.Edge {
		out := map[graph.ID]graph.Edge{}
		for _, e := range b.Edges {
			if e.Kind == graph.RoutesTo && kind[e.To] == graph.API && env[e.To] == "prod" {
				out[e.ID] = e
			}
		}
		return out
	}
	got, exp := toAPI(rep.Batch), toAPI(want)
	if len(exp) == 0 {
		t.Fatal("the demo batch has no routes to APIs")
	}
	for id, e := range exp {
		g, ok := got[id]
		if !ok {
			t.Errorf("missing ROUTES_TO %s -> %s", e.From, e.To)
			continue
		}
		if g.Props.String("pathPrefix") != e.Props.String("pathPrefix") {
			t.Errorf("%s: pathPrefix %q, want %q", id, g.Props.String("pathPrefix"), e.Props.String("pathPrefix"))
		}
	}
	for id, e := range got {
		if _, ok := exp[id]; !ok {
			t.Errorf("extra ROUTES_TO %s -> %s", e.From, e.To)
		}
	}
	t.Logf("%d routes to APIs, %d expected", len(got), len(exp))
}

func TestUnder(t *testing.T) {
	for _, c := range []struct {
		path, prefix string
		want         bool
	}{
		{"/v1/checkout", "/v1/checkout", true},
		{"/v1/checkout/quote", "/v1/checkout", true},
		{"/v1/checkouts", "/v1/checkout", false},
		{"/identity/api/auth/login", "/identity/", true},
		{"/anything", "/", true},
		{"/community", "/community/", true},
	} {
		if got := exposure.Under(c.path, c.prefix); got != c.want {
			t.Errorf("Under(%q, %q) = %v", c.path, c.prefix, got)
		}
	}
}
