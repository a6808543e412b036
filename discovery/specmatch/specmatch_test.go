package specmatch

import (
	"context"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

func apiOp(method, path string) graph.Node {
	return graph.Node{Kind: graph.API, Name: method + " " + path,
		Props:   graph.Props{"method": method, "path": path, "protocol": "http"},
		Sources: []graph.Source{{Agent: "openapi", File: "f", Line: 3}}}
}

func service(c *discovery.Collector, env, name string, props graph.Props) graph.ID {
	id := graph.ServiceID(env, name)
	c.AddNode("compose", graph.Node{ID: id, Kind: graph.Service, Name: name, Env: env, Props: props})
	return id
}

func TestLink(t *testing.T) {
	cases := []struct {
		name  string
		spec  Spec
		setup func(c *discovery.Collector)
		want  []graph.ID // services that must expose GET /x
		why   string
	}{
		{"server host", Spec{File: "specs/a.yaml", Title: "Anything", Hosts: []string{"billing.prod.svc.cluster.local"}},
			func(c *discovery.Collector) { service(c, "prod", "billing", nil); service(c, "prod", "anything", nil) },
			[]graph.ID{graph.ServiceID("prod", "billing")}, "server URL host"},
		{"example hosts are ignored", Spec{File: "specs/orders.yaml", Title: "t", Hosts: []string{"api.example.com", "localhost"}},
			func(c *discovery.Collector) { service(c, "prod", "orders", nil); service(c, "prod", "api", nil) },
			[]graph.ID{graph.ServiceID("prod", "orders")}, "file name"},
		{"build context", Spec{File: "src/svc-a/docs/openapi.yaml", Title: "Public API"},
			func(c *discovery.Collector) { service(c, "dev", "frontend", graph.Props{"buildContext": "src/svc-a"}) },
			[]graph.ID{graph.ServiceID("dev", "frontend")}, "build context"},
		{"directory", Spec{File: "services/user/apispec/user.json", Title: "User API"},
			func(c *discovery.Collector) { service(c, "dev", "user", nil); service(c, "dev", "user-db", nil) },
			[]graph.ID{graph.ServiceID("dev", "user")}, "directory"},
		{"title in every environment", Spec{File: "openapi/x.yaml", Title: "Payments API"},
			func(c *discovery.Collector) {
				service(c, "prod", "payments", nil)
				service(c, "staging", "payments", nil)
			},
			[]graph.ID{graph.ServiceID("prod", "payments"), graph.ServiceID("staging", "payments")}, "title"},
		{"created", Spec{File: "docs/api/openapi.yaml", Title: "My Great API"},
			func(c *discovery.Collector) { service(c, "dev", "other", nil) },
			[]graph.ID{graph.ServiceID("dev", "my-great-api")}, "service created from the spec"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := discovery.NewCollector("dev")
			tc.setup(c)
			sp := tc.spec
			sp.Agent, sp.Kind = "openapi", "openapi"
			sp.Ops = []graph.Node{apiOp("GET", "/x")}
			sp.Add(c)
			if err := (Linker{}).Link(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			for _, n := range c.Nodes() {
				if IsProvisional(n) {
					t.Errorf("provisional node %s left", n.ID)
				}
			}
			apis := c.Nodes(graph.API)
			if len(apis) != len(tc.want) {
				t.Errorf("%d APIs, want %d", len(apis), len(tc.want))
			}
			for _, sid := range tc.want {
				api := graph.APIID(sid, "GET", "/x")
				if _, ok := c.Edge(graph.EdgeID(graph.Exposes, sid, api)); !ok {
					t.Errorf("%s does not expose GET /x", sid)
					continue
				}
				s, _ := c.Node(sid)
				found := false
				for _, src := range s.Sources {
					found = found || strings.Contains(src.Detail, tc.why)
				}
				if !found {
					t.Errorf("service evidence %v does not say %q", s.Sources, tc.why)
				}
				a, _ := c.Node(api)
				if a.Env != s.Env {
					t.Errorf("API env %q, want the service's %q", a.Env, s.Env)
				}
			}
		})
	}
}

// One spec in front of several services (crAPI's) is split by the first
// path segment; the rest goes by the spec's own name.
func TestSplitByPathPrefix(t *testing.T) {
	c := discovery.NewCollector("dev")
	id := service(c, "dev", "crapi-identity", nil)
	ws := service(c, "dev", "crapi-workshop", nil)
	sp := Spec{Agent: "openapi", Kind: "openapi", File: "openapi-spec/crapi-openapi-spec.json", Title: "OWASP crAPI API",
		Ops: []graph.Node{apiOp("POST", "/identity/api/auth/login"), apiOp("GET", "/workshop/api/shop/products"),
			apiOp("GET", "/api/v1/other"), apiOp("GET", "/{tenant}/x")}}
	sp.Add(c)
	if err := (Linker{}).Link(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		svc  graph.ID
		path string
	}{{id, "/identity/api/auth/login"}, {ws, "/workshop/api/shop/products"}} {
		if _, ok := c.Node(graph.APIID(w.svc, map[bool]string{true: "POST", false: "GET"}[strings.HasPrefix(w.path, "/identity")], w.path)); !ok {
			t.Errorf("%s not attached to %s", w.path, w.svc)
		}
	}
	// The spec's base path does not count as the first segment.
	based := apiOp("GET", "/gw/workshop/api/orders")
	based.Props["basePath"] = "/gw"
	sp2 := Spec{Agent: "openapi", Kind: "openapi", File: "gateway/openapi.yaml", Title: "Gateway API", Ops: []graph.Node{based}}
	sp2.Add(c)
	if err := (Linker{}).Link(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Node(graph.APIID(ws, "GET", "/gw/workshop/api/orders")); !ok {
		t.Error("/gw/workshop/api/orders (base path /gw) not attached to crapi-workshop")
	}
	created := graph.ServiceID("dev", "crapi-openapi-spec")
	for _, p := range []string{"/api/v1/other", "/{tenant}/x"} {
		if _, ok := c.Node(graph.APIID(created, "GET", p)); !ok {
			t.Errorf("%s should go to the service created from the spec", p)
		}
	}
}
