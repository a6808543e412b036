package memdb

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// shop is a small estate: Internet → lb → checkout → payments → cards DB.
func shop(run graph.RunID) graph.Batch {
	lb := graph.GatewayID("prod", "public-lb")
	checkout := graph.ServiceID("prod", "checkout")
	payments := graph.ServiceID("prod", "payments")
	cards := graph.DataStoreID("prod", "cards")
	pay := graph.APIID(payments, "POST", "/v1/charges")
	return graph.Batch{
		Scope: graph.Scope{Source: "k8s", Key: "prod"}, Run: run, ObservedAt: t0,
		Nodes: []graph.Node{
			{ID: graph.InternetID, Kind: graph.Internet, Name: "Internet"},
			{ID: lb, Kind: graph.Gateway, Name: "public-lb", Env: "prod", Props: graph.Props{"public": true}},
			{ID: checkout, Kind: graph.Service, Name: "checkout", Env: "prod", Props: graph.Props{"replicas": 3}},
			{ID: payments, Kind: graph.Service, Name: "payments", Env: "prod", Sources: []graph.Source{{Agent: "k8s", File: "pay.yaml", Line: 4}}},
			{ID: pay, Kind: graph.API, Name: "POST /v1/charges", DataClasses: []graph.DataClass{graph.PCI}, Props: graph.Props{"authenticated": false, "nested": graph.Props{"a": []int64{1, 2}}}},
			{ID: cards, Kind: graph.DataStore, Name: "cards", DataClasses: []graph.DataClass{graph.PCI, graph.PII}},
		},
		Edges: []graph.Edge{
			graph.NewEdge(graph.RoutesTo, graph.InternetID, lb),
			graph.NewEdge(graph.RoutesTo, lb, checkout),
			graph.NewEdge(graph.Calls, checkout, payments),
			graph.NewEdge(graph.Exposes, payments, pay),
			graph.NewEdge(graph.Writes, payments, cards),
		},
	}
}

func dump(t *testing.T, s graph.Store) ([]graph.Node, []graph.Edge) {
	t.Helper()
	ctx := context.Background()
	v, err := s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	np, err := v.Nodes(ctx, graph.NodeFilter{}, graph.Page{Limit: graph.MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	ep, err := v.Edges(ctx, graph.EdgeFilter{}, graph.Page{Limit: graph.MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	return np.Nodes, ep.Edges
}

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Apply(ctx, shop("r1"))
	if err != nil {
		t.Fatal(err)
	}
	if res.NodesCreated != 6 || res.EdgesCreated != 5 {
		t.Fatalf("result %+v", res)
	}
	res, err = s.Apply(ctx, shop("r1"))
	if err != nil || res.NodesUpdated != 6 || res.NodesCreated != 0 {
		t.Fatalf("second apply %+v %v", res, err)
	}
	v, _ := s.Read(ctx)
	var reached []graph.ID
	err = v.Walk(ctx, graph.Walk{From: []graph.ID{graph.InternetID}, Dir: graph.Out}, func(st graph.Step) graph.Control {
		reached = append(reached, st.Node)
		return graph.Continue
	})
	if err != nil || len(reached) != 6 {
		t.Fatalf("walk reached %d: %v", len(reached), err)
	}
	n1, e1 := dump(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	n2, e2 := dump(t, s2)
	if len(n1) != len(n2) || len(e1) != len(e2) {
		t.Fatalf("reopen: %d/%d nodes %d/%d edges", len(n1), len(n2), len(e1), len(e2))
	}
	pay, err := (&view{st: s2.cur.Load(), edges: s2.edgeIDs}).Node(ctx, graph.APIID(graph.ServiceID("prod", "payments"), "POST", "/v1/charges"))
	if err != nil {
		t.Fatal(err)
	}
	if got := pay.Props["nested"].(graph.Props)["a"].([]int64); len(got) != 2 {
		t.Fatalf("nested props: %#v", pay.Props)
	}
	bad := shop("r2")
	bad.Edges = append(bad.Edges, graph.NewEdge(graph.Calls, graph.ServiceID("prod", "checkout"), graph.ServiceID("prod", "ghost")))
	if _, err := s2.Apply(ctx, bad); !errors.Is(err, graph.ErrInvalid) {
		t.Fatalf("dangling: %v", err)
	} else {
		t.Log(err)
	}
	if _, err := s2.Sweep(ctx, bad.Scope, "r2"); !errors.Is(err, graph.ErrRunFailed) {
		t.Fatalf("sweep after failure: %v", err)
	}
}
