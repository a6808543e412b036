// Package storetest is the contract every graph.Store backend must pass.
// A backend's test calls Run with a function that opens a fresh, empty
// store:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) graph.Store { return openEmpty(t) })
//	}
//
// The cases run on a small realistic estate (internet → load balancer →
// services → APIs → data stores with PCI and PII, a package with a CVE and a
// finding) and check behaviour, not implementation: upserts are idempotent,
// a bad batch changes nothing, the documented merge rules hold, deletes
// cascade, sweeps stay within their scope and refuse after failed runs,
// views are snapshots, concurrent readers never see half a batch, paging is
// stable while the graph changes, and Walk is a breadth-first search.
//
// Decisions the contract fixes where graph's docs leave room: unknown Walk
// start ids are ignored; deleting an unknown id is not an error; Total of a
// page counts every match of the filter, including those before After.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Run runs the contract suite; open must return a new empty store and
// arrange its cleanup.
func Run(t *testing.T, open func(t *testing.T) graph.Store) {
	cases := []struct {
		name string
		fn   func(t *testing.T, s graph.Store)
	}{
		{"UpsertIsIdempotent", testIdempotent},
		{"InvalidBatchChangesNothing", testAtomic},
		{"MergeRules", testMerge},
		{"Deletes", testDeletes},
		{"Sweep", testSweep},
		{"ViewIsSnapshot", testSnapshot},
		{"ConcurrentReadersSeeWholeBatches", testConcurrent},
		{"PagingAndFilters", testPaging},
		{"PagingIsStableUnderWrites", testPagingStable},
		{"Walk", testWalk},
		{"PropsRoundTrip", testProps},
		{"NotFoundAndClosed", testClosed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

var (
	ctx   = context.Background()
	t0    = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	scope = graph.Scope{Source: "k8s", Key: "prod-cluster"}

	lb        = graph.GatewayID("prod", "public-lb")
	checkout  = graph.ServiceID("prod", "checkout")
	payments  = graph.ServiceID("prod", "payments")
	reporting = graph.ServiceID("prod", "reporting")
	charge    = graph.APIID(payments, "POST", "/v1/charges")
	health    = graph.APIID(checkout, "GET", "/healthz")
	cards     = graph.DataStoreID("prod", "cards-db")
	users     = graph.DataStoreID("prod", "users-db")
	log4j     = graph.PackageID("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
	cve       = graph.VulnerabilityID("CVE-2021-44228")
	finding   = graph.FindingID("grype:CVE-2021-44228:payments")
)

func src(file string, line int) []graph.Source {
	return []graph.Source{{Agent: "k8s", File: file, Line: line}}
}

// estate is the shared fixture.
func estate(run graph.RunID) graph.Batch {
	return graph.Batch{
		Scope: scope, Run: run, ObservedAt: t0,
		Nodes: []graph.Node{
			{ID: graph.InternetID, Kind: graph.Internet, Name: "Internet"},
			{ID: lb, Kind: graph.Gateway, Name: "public-lb", Env: "prod", Props: graph.Props{"type": "load-balancer", "public": true}, Sources: src("lb.yaml", 3)},
			{ID: checkout, Kind: graph.Service, Name: "checkout", Env: "prod", Props: graph.Props{"replicas": int64(3), "namespace": "shop"}, Sources: src("checkout.yaml", 1)},
			{ID: payments, Kind: graph.Service, Name: "payments", Env: "prod", Props: graph.Props{"replicas": int64(2), "namespace": "payments"}, DataClasses: []graph.DataClass{graph.PCI}, Sources: src("payments.yaml", 1)},
			{ID: reporting, Kind: graph.Service, Name: "Reporting", Env: "staging", Props: graph.Props{"namespace": "bi"}},
			{ID: charge, Kind: graph.API, Name: "POST /v1/charges", Env: "prod", Props: graph.Props{"method": "POST", "path": "/v1/charges", "authenticated": false}, DataClasses: []graph.DataClass{graph.PCI, graph.PII}},
			{ID: health, Kind: graph.API, Name: "GET /healthz", Env: "prod", Props: graph.Props{"method": "GET", "path": "/healthz", "authenticated": false}},
			{ID: cards, Kind: graph.DataStore, Name: "cards-db", Env: "prod", Props: graph.Props{"engine": "postgres"}, DataClasses: []graph.DataClass{graph.PCI}},
			{ID: users, Kind: graph.DataStore, Name: "users-db", Env: "prod", Props: graph.Props{"engine": "mysql"}, DataClasses: []graph.DataClass{graph.PII}},
			{ID: log4j, Kind: graph.Package, Name: "log4j-core", Props: graph.Props{"version": "2.14.1", "licenses": []string{"Apache-2.0"}}},
			{ID: cve, Kind: graph.Vulnerability, Name: "CVE-2021-44228", Props: graph.Props{"cvss": 10.0}},
			{ID: finding, Kind: graph.Finding, Name: "log4shell in payments", Props: graph.Props{"tool": "grype", "severity": "critical"}},
		},
		Edges: []graph.Edge{
			graph.NewEdge(graph.RoutesTo, graph.InternetID, lb),
			graph.NewEdge(graph.RoutesTo, lb, checkout),
			graph.NewEdge(graph.Calls, checkout, payments),
			graph.NewEdge(graph.Exposes, payments, charge),
			graph.NewEdge(graph.Exposes, checkout, health),
			graph.NewEdge(graph.Writes, payments, cards),
			graph.NewEdge(graph.Reads, checkout, users),
			graph.NewEdge(graph.Reads, reporting, users),
			graph.NewEdge(graph.DependsOn, payments, log4j),
			graph.NewEdge(graph.AffectedBy, log4j, cve),
			graph.NewEdge(graph.FoundOn, finding, payments),
		},
	}
}

func apply(t *testing.T, s graph.Store, b graph.Batch) graph.Result {
	t.Helper()
	r, err := s.Apply(ctx, b)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return r
}

func read(t *testing.T, s graph.Store) graph.View {
	t.Helper()
	v, err := s.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// dump lists everything a view holds, in id order.
func dump(t *testing.T, v graph.View) ([]graph.Node, []graph.Edge) {
	t.Helper()
	var nodes []graph.Node
	var after graph.ID
	for {
		p, err := v.Nodes(ctx, graph.NodeFilter{}, graph.Page{After: after, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, p.Nodes...)
		if !p.HasMore {
			break
		}
		after = p.End
	}
	ep, err := v.Edges(ctx, graph.EdgeFilter{}, graph.Page{Limit: graph.MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	return nodes, ep.Edges
}

func node(t *testing.T, v graph.View, id graph.ID) graph.Node {
	t.Helper()
	n, err := v.Node(ctx, id)
	if err != nil {
		t.Fatalf("node %s: %v", id, err)
	}
	return n
}

func testIdempotent(t *testing.T, s graph.Store) {
	b := estate("r1")
	r1 := apply(t, s, b)
	if r1.NodesCreated != len(b.Nodes) || r1.EdgesCreated != len(b.Edges) || r1.NodesUpdated != 0 {
		t.Fatalf("first apply: %+v", r1)
	}
	n1, e1 := dump(t, read(t, s))
	r2 := apply(t, s, estate("r1"))
	if r2.NodesCreated != 0 || r2.EdgesCreated != 0 || r2.NodesUpdated != len(b.Nodes) || r2.EdgesUpdated != len(b.Edges) {
		t.Fatalf("second apply: %+v", r2)
	}
	n2, e2 := dump(t, read(t, s))
	if !reflect.DeepEqual(n1, n2) || !reflect.DeepEqual(e1, e2) {
		t.Fatalf("re-applying the same batch changed the graph")
	}
	if len(n2) != len(b.Nodes) || len(e2) != len(b.Edges) {
		t.Fatalf("%d nodes, %d edges; want %d, %d", len(n2), len(e2), len(b.Nodes), len(b.Edges))
	}
}

func testAtomic(t *testing.T, s graph.Store) {
	apply(t, s, estate("r1"))
	before, beforeE := dump(t, read(t, s))
	bad := []struct {
		name  string
		edit  func(b *graph.Batch)
		where string
	}{
		{"unknown kind", func(b *graph.Batch) { b.Nodes[6].Kind = "Servise" }, "nodes[6]"},
		{"empty id", func(b *graph.Batch) { b.Nodes[7].ID = "" }, "nodes[7]"},
		{"id of another kind", func(b *graph.Batch) { b.Nodes[3].Kind = graph.DataStore }, "nodes[3]"},
		{"unstorable property", func(b *graph.Batch) { b.Nodes[2].Props = graph.Props{"when": time.Now()} }, "nodes[2]"},
		{"unknown data class", func(b *graph.Batch) { b.Nodes[4].DataClasses = []graph.DataClass{"SECRET"} }, "nodes[4]"},
		{"dangling edge", func(b *graph.Batch) {
			b.Edges = append(b.Edges, graph.NewEdge(graph.Calls, checkout, graph.ServiceID("prod", "ghost")))
		}, "edges[11]"},
		{"edge between wrong kinds", func(b *graph.Batch) { b.Edges[5] = graph.NewEdge(graph.Writes, payments, log4j) }, "edges[5]"},
		{"no run", func(b *graph.Batch) { b.Run = "" }, "run"},
	}
	for _, c := range bad {
		b := estate("r2")
		// The good part of the batch would change things if it were applied.
		b.Nodes[2].Name = "checkout-v2"
		b.Nodes = append(b.Nodes, graph.Node{ID: graph.ServiceID("prod", "new"), Kind: graph.Service, Name: "new"})
		c.edit(&b)
		_, err := s.Apply(ctx, b)
		if !errors.Is(err, graph.ErrInvalid) {
			t.Fatalf("%s: want graph.ErrInvalid, got %v", c.name, err)
		}
		if !strings.Contains(err.Error(), c.where) {
			t.Errorf("%s: error does not name %s: %v", c.name, c.where, err)
		}
		after, afterE := dump(t, read(t, s))
		if !reflect.DeepEqual(before, after) || !reflect.DeepEqual(beforeE, afterE) {
			t.Fatalf("%s: a rejected batch changed the graph", c.name)
		}
	}
}

func testMerge(t *testing.T, s graph.Store) {
	apply(t, s, estate("r1"))
	later := t0.Add(time.Hour)
	other := graph.Scope{Source: "openapi", Key: "specs"}
	upd := graph.Batch{Scope: other, Run: "o1", ObservedAt: later, Nodes: []graph.Node{{
		ID: payments, Kind: graph.Service, Name: "payments", Env: "",
		Props:       graph.Props{"replicas": int64(4), "namespace": nil, "language": "go"},
		DataClasses: []graph.DataClass{graph.PII},
		Sources:     []graph.Source{{Agent: "openapi", File: "payments.yaml", Line: 12}},
	}}}
	apply(t, s, upd)
	n := node(t, read(t, s), payments)
	if n.Props.Int("replicas") != 4 || n.Props.String("language") != "go" {
		t.Errorf("new property values must win and new keys be added: %v", n.Props)
	}
	if _, ok := n.Props["namespace"]; ok {
		t.Errorf("a nil value must remove the key: %v", n.Props)
	}
	if n.Env != "prod" {
		t.Errorf("an empty env must keep the old one, got %q", n.Env)
	}
	if !slices.Equal(n.DataClasses, []graph.DataClass{graph.PII, graph.PCI}) {
		t.Errorf("data classes must be the union, got %v", n.DataClasses)
	}
	if len(n.Sources) != 2 || n.Sources[0].Agent != "openapi" {
		t.Errorf("sources must be the union, newest first: %v", n.Sources)
	}
	if !n.FirstSeen.Equal(t0) || !n.LastSeen.Equal(later) {
		t.Errorf("firstSeen %v lastSeen %v; want %v and %v", n.FirstSeen, n.LastSeen, t0, later)
	}
	if len(n.Claims) != 2 {
		t.Errorf("both scopes must claim the node: %v", n.Claims)
	}
	// An older observation widens firstSeen only.
	old := upd
	old.ObservedAt = t0.Add(-time.Hour)
	old.Nodes = []graph.Node{{ID: payments, Kind: graph.Service, Name: "payments-svc"}}
	apply(t, s, old)
	n = node(t, read(t, s), payments)
	if !n.FirstSeen.Equal(t0.Add(-time.Hour)) || !n.LastSeen.Equal(later) || n.Name != "payments-svc" {
		t.Errorf("after an older observation: first %v last %v name %q", n.FirstSeen, n.LastSeen, n.Name)
	}
	// Sources are capped.
	many := upd
	many.Nodes = nil
	for i := range graph.MaxSources + 5 {
		many.Nodes = append(many.Nodes, graph.Node{ID: payments, Kind: graph.Service, Name: "payments", Sources: src("f.yaml", i+1)})
	}
	apply(t, s, many)
	if n := node(t, read(t, s), payments); len(n.Sources) != graph.MaxSources {
		t.Errorf("%d sources kept, want the cap %d", len(n.Sources), graph.MaxSources)
	}
	// The kind of an id never changes.
	bad := graph.Batch{Scope: other, Run: "o2", Nodes: []graph.Node{{ID: payments, Kind: graph.API, Name: "x"}}}
	if _, err := s.Apply(ctx, bad); err == nil {
		t.Errorf("changing a node's kind must fail")
	}
}

func testDeletes(t *testing.T, s graph.Store) {
	apply(t, s, estate("r1"))
	r := apply(t, s, graph.Batch{Scope: scope, Run: "r1", Delete: []graph.ID{payments, graph.EdgeID(graph.Reads, reporting, users), graph.ServiceID("prod", "never-existed")}})
	// payments and its 5 edges, and one more edge.
	if r.Deleted != 7 {
		t.Errorf("deleted %d, want 7 (a node, its 5 edges, one edge)", r.Deleted)
	}
	v := read(t, s)
	if _, err := v.Node(ctx, payments); !errors.Is(err, graph.ErrNotFound) {
		t.Fatalf("deleted node still there: %v", err)
	}
	for _, id := range []graph.ID{graph.EdgeID(graph.Calls, checkout, payments), graph.EdgeID(graph.FoundOn, finding, payments), graph.EdgeID(graph.Reads, reporting, users)} {
		if _, err := v.Edge(ctx, id); !errors.Is(err, graph.ErrNotFound) {
			t.Errorf("edge %s survived: %v", id, err)
		}
	}
	p, _ := v.Edges(ctx, graph.EdgeFilter{From: checkout}, graph.Page{})
	if p.Total != 2 {
		t.Errorf("checkout has %d outgoing edges, want 2", p.Total)
	}
	// Delete and re-create in one batch: deletes go first.
	b := graph.Batch{Scope: scope, Run: "r1", Delete: []graph.ID{checkout},
		Nodes: []graph.Node{{ID: checkout, Kind: graph.Service, Name: "checkout-reborn"}},
		Edges: []graph.Edge{graph.NewEdge(graph.RoutesTo, lb, checkout)}}
	apply(t, s, b)
	v = read(t, s)
	if n := node(t, v, checkout); n.Name != "checkout-reborn" || n.Props != nil {
		t.Errorf("re-created node: %+v", n)
	}
	p, _ = v.Edges(ctx, graph.EdgeFilter{To: checkout}, graph.Page{})
	if p.Total != 1 {
		t.Errorf("re-created node has %d incoming edges, want 1", p.Total)
	}
}

func testSweep(t *testing.T, s graph.Store) {
	apply(t, s, estate("r1"))
	other := graph.Scope{Source: "openapi", Key: "specs"}
	apply(t, s, graph.Batch{Scope: other, Run: "o1", Nodes: []graph.Node{
		{ID: charge, Kind: graph.API, Name: "POST /v1/charges"},
		{ID: graph.ServiceID("prod", "docs"), Kind: graph.Service, Name: "docs"},
	}})
	// Run r2 no longer sees reporting, charge or the checkout → users read.
	b := estate("r2")
	b.Nodes = slices.DeleteFunc(b.Nodes, func(n graph.Node) bool { return n.ID == reporting || n.ID == charge })
	b.Edges = slices.DeleteFunc(b.Edges, func(e graph.Edge) bool {
		return e.From == reporting || e.To == charge || e.ID == graph.EdgeID(graph.Reads, checkout, users)
	})
	apply(t, s, b)
	if _, err := s.Sweep(ctx, scope, "r9"); !errors.Is(err, graph.ErrUnknownRun) {
		t.Errorf("sweep of a run that applied nothing: %v", err)
	}
	if _, err := s.Sweep(ctx, graph.Scope{Source: "k8s", Key: "other-cluster"}, "r2"); !errors.Is(err, graph.ErrUnknownRun) {
		t.Errorf("sweep of a run in a scope it did not touch: %v", err)
	}
	n, err := s.Sweep(ctx, scope, "r2")
	if err != nil {
		t.Fatal(err)
	}
	// reporting and its edge, the payments → charge edge, checkout → users.
	if n != 4 {
		t.Errorf("sweep removed %d elements, want 4", n)
	}
	v := read(t, s)
	if _, err := v.Node(ctx, reporting); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("unseen node survived the sweep")
	}
	c := node(t, v, charge) // also claimed by another scope: survives, loses the claim
	if len(c.Claims) != 1 || c.Claims[0].Scope != other {
		t.Errorf("charge claims after sweep: %v", c.Claims)
	}
	node(t, v, graph.ServiceID("prod", "docs"))
	node(t, v, checkout)
	if _, err := v.Edge(ctx, graph.EdgeID(graph.Reads, checkout, users)); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("unseen edge survived the sweep")
	}
	// Sweeping the same complete run again removes nothing.
	if n, err := s.Sweep(ctx, scope, "r2"); err != nil || n != 0 {
		t.Errorf("second sweep: %d %v", n, err)
	}
	// A run with a failed batch never sweeps.
	bad := estate("r3")
	bad.Nodes, bad.Edges = bad.Nodes[:2], nil
	apply(t, s, bad)
	broken := estate("r3")
	broken.Nodes[0].Kind = "Nope"
	if _, err := s.Apply(ctx, broken); err == nil {
		t.Fatal("broken batch applied")
	}
	if _, err := s.Sweep(ctx, scope, "r3"); !errors.Is(err, graph.ErrRunFailed) {
		t.Errorf("sweep after a failed apply: %v", err)
	}
	if _, err := v.Node(ctx, checkout); err != nil {
		t.Errorf("refused sweep removed something")
	}
	// Once a newer run has applied in the scope, an older run may not sweep:
	// it would remove what the newer run saw.
	if _, err := s.Sweep(ctx, scope, "r2"); !errors.Is(err, graph.ErrStaleRun) {
		t.Errorf("sweep of an older run: %v", err)
	}
}

func testSnapshot(t *testing.T, s graph.Store) {
	apply(t, s, estate("r1"))
	v := read(t, s)
	before, beforeE := dump(t, v)
	b := graph.Batch{Scope: scope, Run: "r1", Delete: []graph.ID{payments},
		Nodes: []graph.Node{{ID: graph.ServiceID("prod", "late"), Kind: graph.Service, Name: "late"}, {ID: checkout, Kind: graph.Service, Name: "renamed"}}}
	apply(t, s, b)
	after, afterE := dump(t, v)
	if !reflect.DeepEqual(before, after) || !reflect.DeepEqual(beforeE, afterE) {
		t.Fatalf("a view saw writes made after it was taken")
	}
	if n := node(t, v, checkout); n.Name != "checkout" {
		t.Errorf("view sees the rename")
	}
	if _, err := read(t, s).Node(ctx, payments); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("a new view must see the delete")
	}
}

// testConcurrent applies batches of `per` services each, all tagged with the
// batch's generation and calling each other in a ring, while readers check
// that every generation is complete or absent.
func testConcurrent(t *testing.T, s graph.Store) {
	const gens, per = 30, 20
	batch := func(g int) graph.Batch {
		b := graph.Batch{Scope: scope, Run: "c"}
		for i := range per {
			id := graph.ServiceID("gen", fmt.Sprintf("g%d-s%d", g, i))
			b.Nodes = append(b.Nodes, graph.Node{ID: id, Kind: graph.Service, Name: fmt.Sprintf("g%d-s%d", g, i), Env: fmt.Sprintf("gen-%d", g)})
			next := graph.ServiceID("gen", fmt.Sprintf("g%d-s%d", g, (i+1)%per))
			b.Edges = append(b.Edges, graph.NewEdge(graph.Calls, id, next))
		}
		if g > 0 { // every other generation deletes the one two before it
			if g%2 == 0 && g >= 2 {
				for i := range per {
					b.Delete = append(b.Delete, graph.ServiceID("gen", fmt.Sprintf("g%d-s%d", g-2, i)))
				}
			}
		}
		return b
	}
	var done atomic.Bool
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done.Load() {
				v, err := s.Read(ctx)
				if err != nil {
					errc <- err
					return
				}
				st, _ := v.Stats(ctx)
				if st.Nodes%per != 0 || st.Edges != st.Nodes {
					errc <- fmt.Errorf("half a batch visible: %d nodes, %d edges", st.Nodes, st.Edges)
				}
				for g := range gens {
					p, err := v.Nodes(ctx, graph.NodeFilter{Env: fmt.Sprintf("gen-%d", g)}, graph.Page{Limit: per + 1})
					if err != nil {
						errc <- err
						break
					}
					if p.Total != 0 && p.Total != per {
						errc <- fmt.Errorf("generation %d has %d of %d services", g, p.Total, per)
					}
				}
				v.Close()
			}
		}()
	}
	for g := range gens {
		if _, err := s.Apply(ctx, batch(g)); err != nil {
			t.Fatal(err)
		}
	}
	done.Store(true)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
}

func testPaging(t *testing.T, s graph.Store) {
	apply(t, s, estate("r1"))
	v := read(t, s)
	cases := []struct {
		f    graph.NodeFilter
		want []graph.ID
	}{
		{graph.NodeFilter{Kinds: []graph.Kind{graph.Service}}, []graph.ID{checkout, payments, reporting}},
		{graph.NodeFilter{Kinds: []graph.Kind{graph.Service, graph.DataStore}, Env: "prod"}, []graph.ID{checkout, payments, cards, users}},
		{graph.NodeFilter{NameContains: "REPORT"}, []graph.ID{reporting}},
		{graph.NodeFilter{DataClasses: []graph.DataClass{graph.PII, graph.PHI}}, []graph.ID{charge, users}},
		{graph.NodeFilter{Kinds: []graph.Kind{graph.API}, Props: map[string]any{"authenticated": false, "method": "POST"}}, []graph.ID{charge}},
		{graph.NodeFilter{Props: map[string]any{"replicas": 3}}, []graph.ID{checkout}},
		{graph.NodeFilter{Props: map[string]any{"licenses": "Apache-2.0"}}, []graph.ID{log4j}},
		{graph.NodeFilter{IDs: []graph.ID{cards, payments, "service:nope"}}, []graph.ID{payments, cards}},
	}
	for i, c := range cases {
		want := slices.Clone(c.want)
		slices.Sort(want)
		var got []graph.ID
		var after graph.ID
		for pages := 0; ; pages++ {
			p, err := v.Nodes(ctx, c.f, graph.Page{After: after, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != len(want) {
				t.Errorf("case %d: Total %d, want %d", i, p.Total, len(want))
			}
			for _, n := range p.Nodes {
				got = append(got, n.ID)
			}
			if !p.HasMore {
				break
			}
			if pages > 20 {
				t.Fatalf("case %d: paging does not end", i)
			}
			after = p.End
		}
		if !slices.Equal(got, want) {
			t.Errorf("case %d: got %v, want %v", i, got, want)
		}
	}
	ec := []struct {
		f    graph.EdgeFilter
		want int
	}{
		{graph.EdgeFilter{From: checkout}, 3},
		{graph.EdgeFilter{To: users}, 2},
		{graph.EdgeFilter{From: checkout, Kinds: []graph.EdgeKind{graph.Reads}}, 1},
		{graph.EdgeFilter{Kinds: []graph.EdgeKind{graph.RoutesTo}}, 2},
		{graph.EdgeFilter{From: checkout, To: payments}, 1},
	}
	for i, c := range ec {
		p, err := v.Edges(ctx, c.f, graph.Page{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != c.want || len(p.Edges) != 1 || p.HasMore != (c.want > 1) {
			t.Errorf("edge case %d: total %d, %d on page, more %v; want %d", i, p.Total, len(p.Edges), p.HasMore, c.want)
		}
		for _, e := range p.Edges {
			if !c.f.Match(&e) {
				t.Errorf("edge case %d: %s does not match the filter", i, e.ID)
			}
		}
	}
}

func testPagingStable(t *testing.T, s graph.Store) {
	var b graph.Batch
	b.Scope, b.Run = scope, "p"
	var stable []graph.ID
	for i := range 60 {
		id := graph.ServiceID("prod", fmt.Sprintf("svc-%02d", i))
		b.Nodes = append(b.Nodes, graph.Node{ID: id, Kind: graph.Service, Name: fmt.Sprintf("svc-%02d", i)})
		if i%3 != 0 {
			stable = append(stable, id)
		}
	}
	apply(t, s, b)
	slices.Sort(stable)
	var got []graph.ID
	var after graph.ID
	for round := 0; ; round++ {
		p, err := read(t, s).Nodes(ctx, graph.NodeFilter{Kinds: []graph.Kind{graph.Service}}, graph.Page{After: after, Limit: 7})
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range p.Nodes {
			if i > 0 && n.ID <= p.Nodes[i-1].ID {
				t.Fatalf("page not in ascending id order")
			}
			got = append(got, n.ID)
		}
		if !p.HasMore {
			break
		}
		after = p.End
		// Between pages: delete some unstable services, add new ones.
		w := graph.Batch{Scope: scope, Run: "p"}
		w.Delete = append(w.Delete, graph.ServiceID("prod", fmt.Sprintf("svc-%02d", (round*3)%60)))
		w.Nodes = append(w.Nodes, graph.Node{ID: graph.ServiceID("prod", fmt.Sprintf("new-%d", round)), Kind: graph.Service, Name: "new"})
		apply(t, s, w)
	}
	for _, id := range stable {
		if n := countOf(got, id); n != 1 {
			t.Fatalf("%s, present throughout, listed %d times", id, n)
		}
	}
	if len(got) != len(slices.Compact(slices.Clone(got))) {
		t.Fatalf("an id was listed twice")
	}
}

func countOf(ids []graph.ID, id graph.ID) (n int) {
	for _, x := range ids {
		if x == id {
			n++
		}
	}
	return n
}

func testWalk(t *testing.T, s graph.Store) {
	apply(t, s, estate("r1"))
	v := read(t, s)
	walk := func(w graph.Walk, ctl func(graph.Step) graph.Control) []graph.Step {
		var steps []graph.Step
		if err := v.Walk(ctx, w, func(st graph.Step) graph.Control {
			steps = append(steps, st)
			if ctl != nil {
				return ctl(st)
			}
			return graph.Continue
		}); err != nil {
			t.Fatal(err)
		}
		return steps
	}
	depth := func(steps []graph.Step) map[graph.ID]int {
		m := map[graph.ID]int{}
		for _, s := range steps {
			m[s.Node] = s.Depth
		}
		return m
	}
	out := walk(graph.Walk{From: []graph.ID{graph.InternetID, "service:unknown"}, Dir: graph.Out}, nil)
	d := depth(out)
	want := map[graph.ID]int{graph.InternetID: 0, lb: 1, checkout: 2, payments: 3, health: 3, users: 3, charge: 4, cards: 4, log4j: 4, cve: 5}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("out walk depths %v, want %v", d, want)
	}
	for i := 1; i < len(out); i++ {
		if out[i].Depth < out[i-1].Depth {
			t.Fatalf("not breadth first: %v", out)
		}
	}
	// Parents and edges give a shortest path back to the start.
	byNode := map[graph.ID]graph.Step{}
	for _, st := range out {
		byNode[st.Node] = st
	}
	if st := byNode[graph.InternetID]; st.Parent != "" || st.Via != "" || st.Kind != graph.Internet {
		t.Errorf("start step: %+v", st)
	}
	for id, st := range byNode {
		if st.Depth == 0 {
			continue
		}
		e, err := v.Edge(ctx, st.Via)
		if err != nil || e.From != st.Parent || e.To != id || e.Kind != st.ViaKind || byNode[st.Parent].Depth != st.Depth-1 {
			t.Errorf("step %s: via %s (%v) from %s", id, st.Via, err, st.Parent)
		}
	}
	// In, Both, kinds, depth limit, Skip and Stop.
	if d := depth(walk(graph.Walk{From: []graph.ID{cve}, Dir: graph.In}, nil)); d[payments] != 2 || d[finding] != 3 || d[graph.InternetID] != 5 || len(d) != 7 {
		t.Errorf("in walk from the CVE: %v", d)
	}
	if d := depth(walk(graph.Walk{From: []graph.ID{users}, Dir: graph.Both, MaxDepth: 1}, nil)); len(d) != 3 || d[checkout] != 1 || d[reporting] != 1 {
		t.Errorf("both ways, depth 1, from users: %v", d)
	}
	kinds := graph.Walk{From: []graph.ID{graph.InternetID}, Dir: graph.Out, Kinds: []graph.EdgeKind{graph.RoutesTo, graph.Calls}}
	if d := depth(walk(kinds, nil)); len(d) != 4 || d[payments] != 3 {
		t.Errorf("routes and calls only: %v", d)
	}
	skip := walk(graph.Walk{From: []graph.ID{graph.InternetID}, Dir: graph.Out}, func(st graph.Step) graph.Control {
		if st.Node == checkout {
			return graph.Skip
		}
		return graph.Continue
	})
	if d := depth(skip); len(d) != 3 {
		t.Errorf("skipping checkout must stop there: %v", d)
	}
	stop := walk(graph.Walk{From: []graph.ID{graph.InternetID}, Dir: graph.Out}, func(st graph.Step) graph.Control {
		if st.Node == lb {
			return graph.Stop
		}
		return graph.Continue
	})
	if len(stop) != 2 {
		t.Errorf("stop after the load balancer: %d steps", len(stop))
	}
}

func testProps(t *testing.T, s graph.Store) {
	p := graph.Props{
		"s": "text ünïcode", "empty": "", "b": true, "f": false, "i": int64(-1 << 40), "x": 3.25,
		"ss": []string{"a", "b"}, "is": []int64{1, -2}, "fs": []float64{0.5, 1e10}, "bs": []bool{true, false},
		"m": graph.Props{"k": "v", "n": int64(2), "deep": graph.Props{"l": []string{"z"}}},
	}
	b := graph.Batch{Scope: scope, Run: "p", Nodes: []graph.Node{{ID: checkout, Kind: graph.Service, Name: "checkout", Props: p}}}
	b.Edges = nil
	apply(t, s, b)
	got := node(t, read(t, s), checkout).Props
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("props changed on the way through the store:\ngot  %#v\nwant %#v", got, p)
	}
	// Loose Go types are normalised: int becomes int64.
	b.Nodes[0].Props = graph.Props{"replicas": 3, "ports": []any{80, 443}}
	apply(t, s, b)
	got = node(t, read(t, s), checkout).Props
	if got["replicas"] != int64(3) || !reflect.DeepEqual(got["ports"], []int64{80, 443}) {
		t.Fatalf("normalised props: %#v", got)
	}
}

func testClosed(t *testing.T, s graph.Store) {
	apply(t, s, estate("r1"))
	v := read(t, s)
	if _, err := v.Node(ctx, graph.ServiceID("prod", "nope")); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("missing node: %v", err)
	}
	if _, err := v.Edge(ctx, graph.EdgeID(graph.Calls, payments, checkout)); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("missing edge: %v", err)
	}
	st, err := v.Stats(ctx)
	if err != nil || st.NodesByKind[graph.Service] != 3 || st.EdgesByKind[graph.Exposes] != 2 || st.Nodes != 12 || st.Edges != 11 {
		t.Errorf("stats %+v %v", st, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, estate("r2")); !errors.Is(err, graph.ErrClosed) {
		t.Errorf("apply after close: %v", err)
	}
	if _, err := s.Read(ctx); !errors.Is(err, graph.ErrClosed) {
		t.Errorf("read after close: %v", err)
	}
}
