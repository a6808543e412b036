package neo4j

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"

	"github.com/riskgraph/riskgraph/graph"
)

// wire returns v as the driver hands it back after a Bolt round trip: lists
// arrive as []any, maps as map[string]any, integers as int64, DATETIME as a
// time.Time in the zone the server sent (here the named zone "UTC", loaded
// as the driver does with time.LoadLocation). It also rejects values the
// driver's packer would not send as Cypher values.
func wire(t testing.TB, v any) any {
	switch x := v.(type) {
	case nil, string, bool, int64, float64:
		return x
	case time.Time:
		name, _ := x.Zone()
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatalf("zone %q of %v cannot be sent by name: %v", name, x, err)
		}
		return x.In(loc)
	case []string:
		return toAny(x)
	case []int64:
		return toAny(x)
	case []float64:
		return toAny(x)
	case []bool:
		return toAny(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = wire(t, e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = wire(t, e)
		}
		return out
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = wire(t, e)
		}
		return out
	}
	t.Fatalf("%T is not a value the backend should send", v)
	return nil
}

func toAny[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

type fakeRel struct {
	typ      string
	from, to string
	props    map[string]any
}

// fakeServer plays Neo4j for the Apply statements: it keeps nodes and
// relationships in maps, answers each statement by its registry name, and
// hands values over as the driver would (through wire and dbtype).
type fakeServer struct {
	t     testing.TB
	nodes map[string]map[string]any // id → properties
	rels  map[string]*fakeRel
	calls []fakeCall
}

type fakeCall struct {
	name string
	rows int
}

func newFakeServer(t testing.TB) *fakeServer {
	return &fakeServer{t: t, nodes: map[string]map[string]any{}, rels: map[string]*fakeRel{}}
}

func rec(keys []string, vals ...any) *neo4j.Record {
	return &neo4j.Record{Keys: keys, Values: vals}
}

func ids(p map[string]any) []string {
	var out []string
	for _, e := range p["ids"].([]any) {
		out = append(out, e.(string))
	}
	return out
}

func rows(p map[string]any) []map[string]any {
	var out []map[string]any
	for _, e := range p["rows"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

func (f *fakeServer) query(ctx context.Context, text string, params map[string]any) ([]*neo4j.Record, error) {
	name, ok := cy.all[text]
	if !ok {
		f.t.Fatalf("unregistered statement sent")
	}
	p, _ := wire(f.t, params).(map[string]any)
	op, label, _ := strings.Cut(name, "/")
	n := 0
	if l, ok := p["ids"].([]any); ok {
		n = len(l)
	}
	if l, ok := p["rows"].([]any); ok {
		n = len(l)
	}
	f.calls = append(f.calls, fakeCall{name, n})
	count := func(col string, n int) []*neo4j.Record { return []*neo4j.Record{rec([]string{col}, int64(n))} }
	labelOf := func(id string) string { k, _ := graph.ID(id).KindOf(); return string(k) }
	typeOf := func(id string) string { k, _ := graph.ID(id).EdgeKindOf(); return string(k) }
	switch op {
	case "edgeDelete":
		d := 0
		for _, id := range ids(p) {
			if r, ok := f.rels[id]; ok && r.typ == label {
				delete(f.rels, id)
				d++
			}
		}
		return count("deleted", d), nil
	case "nodeDetach":
		d := 0
		for _, id := range ids(p) {
			if labelOf(id) != label {
				continue
			}
			for rid, r := range f.rels {
				if r.from == id || r.to == id {
					delete(f.rels, rid)
					d++
				}
			}
		}
		return count("deleted", d), nil
	case "nodeDelete":
		d := 0
		for _, id := range ids(p) {
			if _, ok := f.nodes[id]; ok && labelOf(id) == label {
				delete(f.nodes, id)
				d++
			}
		}
		return count("deleted", d), nil
	case "nodeFind":
		var out []*neo4j.Record
		for _, id := range ids(p) {
			if _, ok := f.nodes[id]; ok && labelOf(id) == label {
				out = append(out, rec([]string{"id", "eid"}, id, "4:x:"+id))
			}
		}
		return out, nil
	case "nodeLock":
		var out []*neo4j.Record
		for _, id := range ids(p) {
			if _, ok := f.nodes[id]; !ok {
				f.nodes[id] = map[string]any{"id": id}
			}
			out = append(out, rec([]string{"n"}, dbtype.Node{ElementId: "4:x:" + id, Labels: []string{label}, Props: f.nodes[id]}))
		}
		return out, nil
	case "nodeWrite":
		w := 0
		for _, r := range rows(p) {
			id := r["id"].(string)
			if _, ok := f.nodes[id]; ok && labelOf(id) == label {
				f.nodes[id] = r["props"].(map[string]any)
				w++
			}
		}
		return count("written", w), nil
	case "edgeLock":
		var out []*neo4j.Record
		for _, id := range ids(p) {
			if r, ok := f.rels[id]; ok && r.typ == label {
				out = append(out, rec([]string{"r", "from", "to"}, dbtype.Relationship{ElementId: "5:x:" + id, Type: r.typ, Props: r.props}, r.from, r.to))
			}
		}
		return out, nil
	case "edgeUpdate":
		w := 0
		for _, r := range rows(p) {
			id := r["id"].(string)
			if rel, ok := f.rels[id]; ok && rel.typ == label {
				rel.props = r["props"].(map[string]any)
				w++
			}
		}
		return count("written", w), nil
	case "edgeCreate":
		parts := strings.Split(name, "/") // edgeCreate/TYPE/FROM/TO
		w := 0
		for _, r := range rows(p) {
			from, to := r["from"].(string), r["to"].(string)
			if _, ok := f.nodes[from]; !ok || labelOf(from) != parts[2] {
				continue
			}
			if _, ok := f.nodes[to]; !ok || labelOf(to) != parts[3] {
				continue
			}
			props := r["props"].(map[string]any)
			id := props["id"].(string)
			if _, dup := f.rels[id]; dup || typeOf(id) != parts[1] {
				return nil, &neo4j.Neo4jError{Code: "Neo.ClientError.Schema.ConstraintValidationFailed", Msg: "CREATE (a)-[r]->(b) already exists"}
			}
			f.rels[id] = &fakeRel{typ: parts[1], from: from, to: to, props: props}
			w++
		}
		return count("written", w), nil
	case "runRecord":
		return nil, nil
	}
	f.t.Fatalf("the fake server does not play %s", name)
	return nil, nil
}

func (f *fakeServer) apply(t *testing.T, b graph.Batch, rowsPer int) (graph.Result, error) {
	t.Helper()
	if err := b.Validate(); err != nil {
		return graph.Result{}, err
	}
	if b.ObservedAt.IsZero() {
		b.ObservedAt = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	}
	// A failed transaction is rolled back: apply to a copy.
	nodes, rels := cloneNodes(f.nodes), cloneRels(f.rels)
	res, err := newPlan(&b, rowsPer).apply(t.Context(), f.query, time.Now())
	if err != nil {
		f.nodes, f.rels = nodes, rels
	}
	return res, err
}

func cloneNodes(m map[string]map[string]any) map[string]map[string]any {
	out := make(map[string]map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func cloneRels(m map[string]*fakeRel) map[string]*fakeRel {
	out := make(map[string]*fakeRel, len(m))
	for k, v := range m {
		c := *v
		out[k] = &c
	}
	return out
}

func (f *fakeServer) node(t *testing.T, id graph.ID) graph.Node {
	t.Helper()
	p, ok := f.nodes[string(id)]
	if !ok {
		t.Fatalf("node %s not stored", id)
	}
	n, err := decodeNode(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fakeServer) edge(t *testing.T, id graph.ID) graph.Edge {
	t.Helper()
	r, ok := f.rels[string(id)]
	if !ok {
		t.Fatalf("edge %s not stored", id)
	}
	e, err := decodeEdge(r.props, r.from, r.to)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

var scopeK8s = graph.Scope{Source: "k8s", Key: "prod-cluster"}

func svc(name string) graph.Node {
	return graph.Node{ID: graph.ServiceID("prod", name), Kind: graph.Service, Name: name, Env: "prod"}
}

// TestApplyMatchesMergeRules applies batches through the plan and the fake
// server and compares what is stored with the model's merge functions.
func TestApplyMatchesMergeRules(t *testing.T) {
	f := newFakeServer(t)
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	checkout, payments := svc("checkout"), svc("payments")
	checkout.Props = graph.Props{"replicas": 3, "image": "ghcr.io/acme/checkout:1.4.2",
		"ports": []any{8080, 8443}, "labels": map[string]any{"team": "web", "tier": "1", "weight": 1.0, "tags": []any{}}}
	checkout.DataClasses = []graph.DataClass{graph.PII}
	checkout.Sources = []graph.Source{{Agent: "k8s", File: "deploy/checkout.yaml", Line: 12}}
	call := graph.NewEdge(graph.Calls, checkout.ID, payments.ID)
	call.Props = graph.Props{"protocol": "grpc"}
	b1 := graph.Batch{Scope: scopeK8s, Run: "r1", ObservedAt: t0, Nodes: []graph.Node{checkout, payments}, Edges: []graph.Edge{call}}
	res, err := f.apply(t, b1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if res != (graph.Result{NodesCreated: 2, EdgesCreated: 1}) {
		t.Fatalf("first apply: %+v", res)
	}
	vb1 := b1
	_ = vb1.Validate()
	want := graph.MergeNode(nil, &vb1.Nodes[0], graph.Claim{Scope: scopeK8s, Run: "r1"}, t0)
	if got := f.node(t, checkout.ID); !reflect.DeepEqual(got, want) {
		t.Fatalf("stored node differs:\n got %#v\nwant %#v", got, want)
	}

	// A second source updates the node: props merge, classes union,
	// sources newest first, claims per scope, lastSeen widens.
	upd := graph.Node{ID: checkout.ID, Kind: graph.Service, Name: "checkout", Props: graph.Props{"replicas": 5, "image": nil},
		DataClasses: []graph.DataClass{graph.PCI}, Sources: []graph.Source{{Agent: "openapi", File: "api/checkout.yaml"}}}
	t1 := t0.Add(time.Hour)
	b2 := graph.Batch{Scope: graph.Scope{Source: "openapi", Key: "repo"}, Run: "o1", ObservedAt: t1, Nodes: []graph.Node{upd}}
	before := f.node(t, checkout.ID)
	res, err = f.apply(t, b2, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if res != (graph.Result{NodesUpdated: 1}) {
		t.Fatalf("second apply: %+v", res)
	}
	vb2 := b2
	_ = vb2.Validate()
	want = graph.MergeNode(&before, &vb2.Nodes[0], graph.Claim{Scope: b2.Scope, Run: "o1"}, t1)
	got := f.node(t, checkout.ID)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("merged node differs:\n got %#v\nwant %#v", got, want)
	}
	if _, has := got.Props["image"]; has || got.Props.Int("replicas") != 5 || len(got.Claims) != 2 || got.Env != "prod" {
		t.Fatalf("merge rules not applied: %+v", got)
	}

	// Re-applying the first batch is idempotent in content.
	if _, err := f.apply(t, b1, 1000); err != nil {
		t.Fatal(err)
	}
	if e := f.edge(t, call.ID); e.From != checkout.ID || e.To != payments.ID || e.Props.String("protocol") != "grpc" || len(e.Claims) != 1 {
		t.Fatalf("edge after re-apply: %+v", e)
	}
	if len(f.rels) != 1 || len(f.nodes) != 2 {
		t.Fatalf("re-apply duplicated elements: %d nodes %d rels", len(f.nodes), len(f.rels))
	}

	// Deleting a node removes its edges; both count.
	res, err = f.apply(t, graph.Batch{Scope: scopeK8s, Run: "r2", Delete: []graph.ID{payments.ID, payments.ID}}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted != 2 || len(f.rels) != 0 {
		t.Fatalf("delete: %+v, %d rels left", res, len(f.rels))
	}
}

func TestApplyRejectsDanglingEdgesAtomically(t *testing.T) {
	f := newFakeServer(t)
	a := svc("a")
	ghost := graph.ServiceID("prod", "ghost")
	b := graph.Batch{Scope: scopeK8s, Run: "r1", Nodes: []graph.Node{a}, Edges: []graph.Edge{graph.NewEdge(graph.Calls, a.ID, ghost)}}
	_, err := f.apply(t, b, 1000)
	if !errors.Is(err, graph.ErrInvalid) || !strings.Contains(err.Error(), "edges[0]") || !strings.Contains(err.Error(), string(ghost)) {
		t.Fatalf("want an invalid-batch error naming edges[0] and %s, got %v", ghost, err)
	}
	if len(f.nodes) != 0 {
		t.Fatalf("a rejected batch left %d nodes", len(f.nodes))
	}
}

func TestApplyDuplicatesInOneBatch(t *testing.T) {
	f := newFakeServer(t)
	a1, a2 := svc("a"), svc("a")
	a1.Props = graph.Props{"x": "1"}
	a2.Props = graph.Props{"y": "2"}
	res, err := f.apply(t, graph.Batch{Scope: scopeK8s, Run: "r1", Nodes: []graph.Node{a1, a2}}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	// As the embedded store: the first creates, the second updates.
	if res.NodesCreated != 1 || res.NodesUpdated != 1 {
		t.Fatalf("%+v", res)
	}
	if n := f.node(t, a1.ID); n.Props.String("x") != "1" || n.Props.String("y") != "2" {
		t.Fatalf("duplicates not merged: %v", n.Props)
	}
}

func TestApplyMovesAnEdgeWhoseEndsChanged(t *testing.T) {
	f := newFakeServer(t)
	a, b, c := svc("a"), svc("b"), svc("c")
	id := graph.EdgeID(graph.Calls, a.ID, b.ID, "primary")
	e := graph.Edge{ID: id, Kind: graph.Calls, From: a.ID, To: b.ID}
	if _, err := f.apply(t, graph.Batch{Scope: scopeK8s, Run: "r1", Nodes: []graph.Node{a, b, c}, Edges: []graph.Edge{e}}, 1000); err != nil {
		t.Fatal(err)
	}
	e.To = c.ID
	res, err := f.apply(t, graph.Batch{Scope: scopeK8s, Run: "r2", Edges: []graph.Edge{e}}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if res.EdgesUpdated != 1 || f.edge(t, id).To != c.ID || len(f.rels) != 1 {
		t.Fatalf("edge not moved: %+v %+v", res, f.edge(t, id))
	}
}

// TestBatching checks how rows are split into statements: boundaries,
// empty batches, and a 50,000-node batch.
func TestBatching(t *testing.T) {
	for _, tc := range []struct {
		n, per int
		want   []int
	}{
		{0, 10000, nil},
		{1, 10000, []int{1}},
		{9999, 10000, []int{9999}},
		{10000, 10000, []int{10000}},
		{10001, 10000, []int{10000, 1}},
		{50000, 10000, []int{10000, 10000, 10000, 10000, 10000}},
		{50000, 7, nil}, // checked by sum below
	} {
		xs := make([]int, tc.n)
		for i := range xs {
			xs[i] = i
		}
		got := chunks(xs, tc.per)
		var sizes []int
		next := 0
		for _, c := range got {
			sizes = append(sizes, len(c))
			for _, x := range c {
				if x != next {
					t.Fatalf("n=%d per=%d: rows out of order or lost at %d", tc.n, tc.per, next)
				}
				next++
			}
			if len(c) == 0 || len(c) > tc.per {
				t.Fatalf("n=%d per=%d: chunk of %d", tc.n, tc.per, len(c))
			}
		}
		if next != tc.n {
			t.Fatalf("n=%d per=%d: %d rows sent", tc.n, tc.per, next)
		}
		if tc.want != nil && !slices.Equal(sizes, tc.want) {
			t.Fatalf("n=%d per=%d: chunks %v, want %v", tc.n, tc.per, sizes, tc.want)
		}
		if tc.n == 0 && len(got) != 0 {
			t.Fatalf("empty input gave %d chunks", len(got))
		}
	}
	// Appending to a chunk must not overwrite the next one.
	c := chunks([]int{1, 2, 3, 4}, 2)
	_ = append(c[0], 99)
	if c[1][0] != 3 {
		t.Fatal("chunks share capacity")
	}
}

func TestApplyStatementsFor50000Nodes(t *testing.T) {
	f := newFakeServer(t)
	b := graph.Batch{Scope: scopeK8s, Run: "big"}
	for i := range 50000 {
		name := fmt.Sprintf("pkg:golang/example.com/m%05d@v1.0.0", i)
		b.Nodes = append(b.Nodes, graph.Node{ID: graph.PackageID(name), Kind: graph.Package, Name: name})
	}
	// Edges between consecutive packages: 49,999 rows of one (type, ends).
	for i := 1; i < len(b.Nodes); i++ {
		b.Edges = append(b.Edges, graph.NewEdge(graph.DependsOn, b.Nodes[i-1].ID, b.Nodes[i].ID))
	}
	res, err := f.apply(t, b, DefaultRowsPerStatement)
	if err != nil {
		t.Fatal(err)
	}
	if res.NodesCreated != 50000 || res.EdgesCreated != 49999 {
		t.Fatalf("%+v", res)
	}
	per := map[string][]int{}
	for _, c := range f.calls {
		per[c.name] = append(per[c.name], c.rows)
	}
	for name, want := range map[string][]int{
		"nodeLock/Package":                      {10000, 10000, 10000, 10000, 10000},
		"nodeWrite/Package":                     {10000, 10000, 10000, 10000, 10000},
		"edgeLock/DEPENDS_ON":                   {10000, 10000, 10000, 10000, 9999},
		"edgeCreate/DEPENDS_ON/Package/Package": {10000, 10000, 10000, 10000, 9999},
		"runRecord":                             {0},
	} {
		if !slices.Equal(per[name], want) {
			t.Errorf("%s: rows per statement %v, want %v", name, per[name], want)
		}
	}
	// All ends are in the batch: no lookup of stored ends is needed.
	if len(per["nodeFind/Package"]) != 0 {
		t.Errorf("looked up %v stored ends", per["nodeFind/Package"])
	}
	if len(f.calls) != 5+5+5+5+1 {
		t.Errorf("%d statements for the batch, want 21", len(f.calls))
	}
}

func TestApplyEmptyBatchRecordsTheRunOnly(t *testing.T) {
	f := newFakeServer(t)
	res, err := f.apply(t, graph.Batch{Scope: scopeK8s, Run: "r1"}, 1000)
	if err != nil || res != (graph.Result{}) {
		t.Fatalf("%+v %v", res, err)
	}
	if len(f.calls) != 1 || f.calls[0].name != "runRecord" {
		t.Fatalf("calls %+v", f.calls)
	}
}
