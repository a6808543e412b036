package neo4j

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/storetest"
)

// Tests against a live Neo4j run when RISKGRAPH_TEST_NEO4J_URI is set, for
// example after `docker compose up -d neo4j`:
//
//	RISKGRAPH_TEST_NEO4J_URI=bolt://localhost:7687 RISKGRAPH_TEST_NEO4J_USER=neo4j \
//	RISKGRAPH_TEST_NEO4J_PASSWORD=$(cat deploy/neo4j-password) go test ./graph/neo4j/
//
// They delete everything riskgraph stored in that database.
const (
	envTestURI      = "RISKGRAPH_TEST_NEO4J_URI"
	envTestUser     = "RISKGRAPH_TEST_NEO4J_USER"
	envTestPassword = "RISKGRAPH_TEST_NEO4J_PASSWORD"
	envTestDatabase = "RISKGRAPH_TEST_NEO4J_DATABASE"
)

// openLive opens an emptied store on the live server, or skips. CI has no
// Neo4j server either, so this skips there too rather than failing.
func openLive(t *testing.T) *Store {
	t.Helper()
	uri := os.Getenv(envTestURI)
	if uri == "" {
		t.Skip("no live Neo4j: " + envTestURI + " is not set (CI has none either; see graph/neo4j/README.md to run against docker compose)")
	}
	user := os.Getenv(envTestUser)
	if user == "" {
		user = "neo4j"
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	s, err := Open(ctx, Config{URI: uri, User: user, Password: os.Getenv(envTestPassword), Database: os.Getenv(envTestDatabase)})
	if err != nil {
		t.Fatalf("open %s: %v", uri, err)
	}
	if err := s.wipe(ctx); err != nil {
		s.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestLiveSmoke is a short end-to-end pass over a live server: apply,
// read back exactly, walk, page, sweep.
func TestLiveSmoke(t *testing.T) {
	s := openLive(t)
	ctx := t.Context()
	gw := graph.Node{ID: graph.GatewayID("prod", "edge"), Kind: graph.Gateway, Name: "edge", Env: "prod"}
	a, b := svc("checkout"), svc("payments")
	a.Props = graph.Props{"replicas": int64(3), "m": graph.Props{"x": 1.0}, "tags": []string{}}
	db := graph.Node{ID: graph.DataStoreID("prod", "orders-db"), Kind: graph.DataStore, Name: "orders-db", DataClasses: []graph.DataClass{graph.PII}}
	batch := graph.Batch{Scope: scopeK8s, Run: "r1", Nodes: []graph.Node{gw, a, b, db}, Edges: []graph.Edge{
		graph.NewEdge(graph.RoutesTo, gw.ID, a.ID), graph.NewEdge(graph.Calls, a.ID, b.ID), graph.NewEdge(graph.Writes, b.ID, db.ID)}}
	res, err := s.Apply(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if res != (graph.Result{NodesCreated: 4, EdgesCreated: 3}) {
		t.Fatalf("%+v", res)
	}
	v, err := s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	n, err := v.Node(ctx, a.ID)
	if err != nil || n.Props.Int("replicas") != 3 || n.Props["m"].(graph.Props)["x"] != 1.0 {
		t.Fatalf("%+v %v", n, err)
	}
	var depths []int
	err = v.Walk(ctx, graph.Walk{From: []graph.ID{gw.ID}, Dir: graph.Out}, func(st graph.Step) graph.Control {
		depths = append(depths, st.Depth)
		return graph.Continue
	})
	if err != nil || len(depths) != 4 || depths[3] != 3 {
		t.Fatalf("walk %v %v", depths, err)
	}
	page, err := v.Nodes(ctx, graph.NodeFilter{DataClasses: []graph.DataClass{graph.PII}}, graph.Page{})
	if err != nil || page.Total != 1 || page.Nodes[0].ID != db.ID {
		t.Fatalf("%+v %v", page, err)
	}
	if _, err := s.Apply(ctx, graph.Batch{Scope: scopeK8s, Run: "r2", Nodes: []graph.Node{gw, a}, Edges: batch.Edges[:1]}); err != nil {
		t.Fatal(err)
	}
	removed, err := s.Sweep(ctx, scopeK8s, "r2")
	if err != nil || removed != 4 { // payments, orders-db, CALLS, WRITES
		t.Fatalf("sweep removed %d: %v", removed, err)
	}
	if _, err := s.Sweep(ctx, scopeK8s, "never"); !errors.Is(err, graph.ErrUnknownRun) {
		t.Fatalf("unknown run: %v", err)
	}
}

// TestContract runs the shared store contract against a live Neo4j.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) graph.Store { return openLive(t) })
}
