package otel

import (
	"context"
	"slices"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
)

// Two runs over different windows add up: counts are totals, the error
// rate is recomputed from them, tables are unioned, and first/last seen
// span both windows.
func TestCountsAddUpAcrossRuns(t *testing.T) {
	ctx := context.Background()
	st, err := memdb.Open("", memdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	apply := func(run graph.RunID, paths ...string) {
		t.Helper()
		rep, _ := runFiles(t, Options{Run: run}, paths...)
		v, err := st.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		err = Accumulate(ctx, ViewLookup(v), &rep.Batch)
		v.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Apply(ctx, rep.Batch); err != nil {
			t.Fatal(err)
		}
	}
	apply("r1", shopJSON, shopJSONL)
	apply("r2", shopJSONL)
	v, err := st.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	edge := func(k graph.EdgeKind, from, to graph.ID) graph.Edge {
		t.Helper()
		e, err := v.Edge(ctx, graph.EdgeID(k, from, to))
		if err != nil {
			t.Fatalf("%s %s → %s: %v", k, from, to, err)
		}
		return e
	}
	// Seen in both runs: 2 calls, 2 errors.
	if e := edge(graph.Calls, frontend, inventory); e.Props.Int(PropCalls) != 2 || e.Props.Int(PropErrors) != 2 || e.Props.Float(PropErrorRate) != 1 {
		t.Errorf("frontend → inventory %v", e.Props)
	}
	if e := edge(graph.Reads, inventory, graph.DataStoreID("prod", "mongo")); e.Props.Int(PropCalls) != 2 || !slices.Equal(e.Props.Strings(PropTables), []string{"items"}) {
		t.Errorf("inventory → mongo %v", e.Props)
	}
	// Seen in the first run only: unchanged, and not removed (no sweep).
	if e := edge(graph.Calls, checkout, payment); e.Props.Int(PropCalls) != 1 || e.Props.Int(PropErrors) != 1 {
		t.Errorf("checkout → payment %v", e.Props)
	}
	// The error rate follows the totals: EXPOSES GET /product/{id} had no
	// error twice.
	if e := edge(graph.Exposes, frontend, graph.APIID(frontend, "GET", "/product/{id}")); e.Props.Int(PropCalls) != 2 || e.Props.Float(PropErrorRate) != 0 {
		t.Errorf("EXPOSES %v", e.Props)
	}
}

func TestAccumulateUnionsTables(t *testing.T) {
	b := graph.Batch{Edges: []graph.Edge{{ID: "reads:x", Kind: graph.Reads, Props: graph.Props{PropCalls: int64(3), PropErrors: int64(1), PropTables: []string{"b", "c"}}}}}
	stored := func(ctx context.Context, e graph.Edge) (graph.Edge, error) {
		return graph.Edge{Props: graph.Props{PropCalls: int64(7), PropErrors: int64(0), PropTables: []string{"a", "b"}, "via": "env"}}, nil
	}
	if err := Accumulate(context.Background(), stored, &b); err != nil {
		t.Fatal(err)
	}
	p := b.Edges[0].Props
	if p.Int(PropCalls) != 10 || p.Int(PropErrors) != 1 || p.Float(PropErrorRate) != 0.1 || !slices.Equal(p.Strings(PropTables), []string{"a", "b", "c"}) {
		t.Errorf("%v", p)
	}
	if _, ok := p["via"]; ok {
		t.Error("another agent's property was copied into the batch (it would survive that agent's changes)")
	}
}
