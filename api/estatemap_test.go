package api_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/api"
	"github.com/riskgraph/riskgraph/graph"
)

type mapNode struct {
	ID             string   `json:"id"`
	Kind           string   `json:"kind"`
	Name           string   `json:"name"`
	Env            *string  `json:"env"`
	DataClasses    []string `json:"dataClasses"`
	InternetFacing bool     `json:"internetFacing"`
	Applications   []string `json:"applications"`
	Service        *string  `json:"service"`
	Method         *string  `json:"method"`
	Path           *string  `json:"path"`
}

type mapEdge struct{ ID, Kind, From, To string }

const estateMapQuery = `{ estateMap { nodes { id kind name env dataClasses internetFacing applications service method path }
  edges { id kind from to } } }`

var (
	mapKinds     = []string{"Internet", "Gateway", "Service", "API", "DataStore", "ThirdParty"}
	mapEdgeKinds = []string{"ROUTES_TO", "EXPOSES", "CALLS", "READS", "WRITES"}
)

// pagedIDs reads a connection page by page, 7 at a time, as a client
// without estateMap would.
func pagedIDs(e *env, field, filter string, vars map[string]any) []string {
	e.t.Helper()
	var out []string
	var after *string
	for {
		var got map[string]struct {
			PageInfo struct {
				HasNextPage bool    `json:"hasNextPage"`
				EndCursor   *string `json:"endCursor"`
			} `json:"pageInfo"`
			Nodes []idNode `json:"nodes"`
		}
		v := map[string]any{"after": after}
		for k, x := range vars {
			v[k] = x
		}
		e.ok(`query($k: [`+map[string]string{"nodes": "NodeKind", "relationships": "EdgeKind"}[field]+`!], $after: String) { c: `+field+`(filter: `+filter+`, first: 7, after: $after) {
			pageInfo { hasNextPage endCursor } nodes { id } } }`, v, &got)
		c := got["c"]
		for _, n := range c.Nodes {
			out = append(out, n.ID)
		}
		if !c.PageInfo.HasNextPage {
			slices.Sort(out)
			return out
		}
		after = c.PageInfo.EndCursor
	}
}

// TestEstateMapEqualsPagedQueries: the one-response map holds exactly the
// nodes and edges the paged nodes and relationships queries list, with the
// internet exposure the internetFacing filter selects.
func TestEstateMapEqualsPagedQueries(t *testing.T) {
	e := newEnv(t, api.Limits{})
	var got struct {
		EstateMap struct {
			Nodes []mapNode `json:"nodes"`
			Edges []mapEdge `json:"edges"`
		} `json:"estateMap"`
	}
	e.ok(estateMapQuery, nil, &got)
	m := got.EstateMap
	nodeIDs := ids(m.Nodes, func(n mapNode) string { return n.ID })
	want := pagedIDs(e, "nodes", "{kinds: $k}", map[string]any{"k": mapKinds})
	if len(want) < 100 || !slices.Equal(nodeIDs, want) {
		t.Fatalf("estateMap has %d nodes, the paged nodes query %d", len(nodeIDs), len(want))
	}
	in := map[string]bool{}
	for _, id := range want {
		in[id] = true
	}
	// Paged relationships of the map kinds, between map nodes.
	var wantEdges []string
	for _, k := range mapEdgeKinds {
		for _, id := range pagedIDs(e, "relationships", "{kinds: $k}", map[string]any{"k": []string{k}}) {
			wantEdges = append(wantEdges, id)
		}
	}
	slices.Sort(wantEdges)
	edgeIDs := ids(m.Edges, func(x mapEdge) string { return x.ID })
	if len(wantEdges) < 100 || !slices.Equal(edgeIDs, wantEdges) {
		t.Fatalf("estateMap has %d edges, the paged relationships query %d", len(edgeIDs), len(wantEdges))
	}
	for _, x := range m.Edges {
		if !in[x.From] || !in[x.To] || !slices.Contains(mapEdgeKinds, x.Kind) {
			t.Errorf("edge %s %s→%s is not between map nodes", x.Kind, x.From, x.To)
		}
	}
	// internetFacing: the filter's set, and the independent reading of the
	// demo batch.
	facing := pagedIDs(e, "nodes", "{kinds: $k, internetFacing: true}", map[string]any{"k": mapKinds})
	public := indexOf(e.batch).publicSet()
	var mapFacing []string
	for _, n := range m.Nodes {
		if n.InternetFacing {
			mapFacing = append(mapFacing, n.ID)
		}
		if n.InternetFacing != public[graph.ID(n.ID)] {
			t.Errorf("%s: internetFacing %v, reachable over ROUTES_TO %v", n.ID, n.InternetFacing, public[graph.ID(n.ID)])
		}
		if n.Kind == "API" && (n.Service == nil || n.Method == nil || n.Path == nil) {
			t.Errorf("API %s lacks its service, method or path", n.ID)
		}
	}
	slices.Sort(mapFacing)
	if len(facing) == 0 || !slices.Equal(mapFacing, facing) {
		t.Errorf("estateMap marks %d nodes internet-facing, the filter selects %d", len(mapFacing), len(facing))
	}
	// applications: the same membership as the application filter.
	for _, app := range []string{"payments", "storefront"} {
		var svc struct {
			Services struct{ Nodes []idNode } `json:"services"`
		}
		e.ok(`query($a: String) { services(filter: {application: $a}, first: 1000) { nodes { id } } }`, map[string]any{"a": app}, &svc)
		var inApp []string
		for _, n := range m.Nodes {
			if n.Kind == "Service" && slices.Contains(n.Applications, app) {
				inApp = append(inApp, n.ID)
			}
		}
		wantApp := ids(svc.Services.Nodes, func(n idNode) string { return n.ID })
		if len(wantApp) == 0 || !slices.Equal(inApp, wantApp) {
			t.Errorf("application %s: estateMap has %d services in it, the filter %d", app, len(inApp), len(wantApp))
		}
	}
}

// TestInternetFacingFieldEqualsFilter: the per-node internetFacing field
// agrees with the internetFacing filter on every demo node that has it.
func TestInternetFacingFieldEqualsFilter(t *testing.T) {
	e := newEnv(t, api.Limits{})
	var got struct {
		Nodes struct {
			Nodes []struct {
				ID             string `json:"id"`
				InternetFacing *bool  `json:"internetFacing"`
			} `json:"nodes"`
		} `json:"nodes"`
	}
	e.ok(`{ nodes(filter: {kinds: [Service, API, Gateway]}, first: 1000) { nodes { id
		... on Service { internetFacing } ... on API { internetFacing } ... on Gateway { internetFacing } } } }`, nil, &got)
	facing := map[string]bool{}
	for _, id := range pagedIDs(e, "nodes", "{kinds: $k, internetFacing: true}", map[string]any{"k": []string{"Service", "API", "Gateway"}}) {
		facing[id] = true
	}
	if len(got.Nodes.Nodes) < 100 || len(facing) == 0 {
		t.Fatalf("%d nodes, %d facing: the demo is not loaded", len(got.Nodes.Nodes), len(facing))
	}
	for _, n := range got.Nodes.Nodes {
		if n.InternetFacing == nil || *n.InternetFacing != facing[n.ID] {
			t.Errorf("%s: internetFacing field %v, filter %v", n.ID, n.InternetFacing, facing[n.ID])
		}
	}
}

// TestEstateMapRisks: the risks are the services' and APIs' own risk fields.
func TestEstateMapRisks(t *testing.T) {
	e := newEnv(t, api.Limits{})
	var got struct {
		EstateMap struct {
			Risks []struct {
				ID   string  `json:"id"`
				Risk float64 `json:"risk"`
			} `json:"risks"`
		} `json:"estateMap"`
		Services struct {
			Nodes []struct {
				ID   string   `json:"id"`
				Risk *float64 `json:"risk"`
			} `json:"nodes"`
		} `json:"services"`
	}
	e.ok(`{ estateMap { risks { id risk } } services(first: 1000) { nodes { id risk } } }`, nil, &got)
	risk := map[string]float64{}
	for _, r := range got.EstateMap.Risks {
		risk[r.ID] = r.Risk
	}
	scored := 0
	for _, s := range got.Services.Nodes {
		if s.Risk == nil {
			if _, ok := risk[s.ID]; ok {
				t.Errorf("%s: no risk, estateMap says %v", s.ID, risk[s.ID])
			}
			continue
		}
		scored++
		if risk[s.ID] != *s.Risk {
			t.Errorf("%s: risk %v, estateMap says %v", s.ID, *s.Risk, risk[s.ID])
		}
	}
	if scored == 0 {
		t.Error("no demo service scores: the comparison tests nothing")
	}
}

// TestEstateMapBounded: the map is behind the same auth as every query and
// refused, with a pointer to paging, above the element limit, which follows
// the page size by default.
func TestEstateMapBounded(t *testing.T) {
	e := newEnv(t, api.Limits{})
	if r := e.query("", estateMapQuery, nil); r.status != 401 {
		t.Errorf("estateMap without a token: HTTP %d, want 401", r.status)
	}
	if r := e.query("wrong-token-0123456789abcdef", estateMapQuery, nil); r.status != 401 {
		t.Errorf("estateMap with a wrong token: HTTP %d, want 401", r.status)
	}
	for name, lim := range map[string]api.Limits{
		"explicit limit": {MaxMapElements: 50},
		"page size 1":    {MaxPageSize: 1}, // 100 elements, the demo map has more
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, lim)
			r := e.query(readTok, estateMapQuery, nil)
			if r.code() != "LIMIT_EXCEEDED" || !strings.Contains(r.Errors[0].Message, "page through nodes and relationships") {
				t.Fatalf("over the limit: %+v, want LIMIT_EXCEEDED telling to page", r.Errors)
			}
			if len(r.Data) > 0 && string(r.Data["estateMap"]) != "null" {
				t.Errorf("over the limit, data was returned: %.200s", r.Data["estateMap"])
			}
		})
	}
	// One map per request: aliases cannot multiply it past the limits.
	r := e.query(readTok, `{ a: estateMap { nodes { id } } b: estateMap { nodes { id } } }`, nil)
	if r.code() != "LIMIT_EXCEEDED" || len(r.Data) > 0 && string(r.Data["a"]) != "null" {
		t.Errorf("two maps in one request: %+v, want LIMIT_EXCEEDED", r.Errors)
	}
	if r := e.query(readTok, `{ stats { nodes } estateMap { nodes { id } } }`, nil); len(r.Errors) > 0 {
		t.Errorf("one map with the counts: %+v", r.Errors)
	}
	// Within the limit, a narrower map is answered. (The bound counts every
	// stored node and edge of the asked kinds, before reading them.)
	e = newEnv(t, api.Limits{MaxMapElements: 80})
	var got struct {
		EstateMap struct{ Nodes []mapNode } `json:"estateMap"`
	}
	e.ok(`{ estateMap(kinds: [Internet, Gateway], edgeKinds: [ROUTES_TO]) { nodes { id kind } } }`, nil, &got)
	if len(got.EstateMap.Nodes) == 0 {
		t.Error("a small map within the limit is empty")
	}
	for _, n := range got.EstateMap.Nodes {
		if n.Kind != "Internet" && n.Kind != "Gateway" {
			t.Errorf("kinds [Internet, Gateway] returned a %s", n.Kind)
		}
	}
}
