package gen_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/riskgraph/riskgraph/gen"
	"github.com/riskgraph/riskgraph/graph"
)

// census is what a whole generated estate holds.
type census struct {
	nodes, edges map[string]int // by kind
	batches      int
	apiPII       int // internet-facing APIs touching PII
	callsIn      map[graph.ID]int
	appServices  map[graph.ID]int
}

// walk generates cfg and checks, batch by batch, that each batch validates
// and that its edges' endpoints exist in it or in earlier batches, and that
// no element is emitted twice.
func walk(t *testing.T, cfg gen.Config, batchSize int) census {
	t.Helper()
	nodes := map[graph.ID]graph.Kind{}
	edges := map[graph.ID]bool{}
	c := census{nodes: map[string]int{}, edges: map[string]int{}, callsIn: map[graph.ID]int{}, appServices: map[graph.ID]int{}}
	routed := map[graph.ID]bool{graph.InternetID: true}
	var piiAPIs []graph.ID
	err := cfg.Each(batchSize, func(b graph.Batch) error {
		c.batches++
		if b.Len() > batchSize || b.Len() == 0 {
			t.Fatalf("batch %d has %d elements, want 1..%d", c.batches, b.Len(), batchSize)
		}
		if err := b.Validate(); err != nil {
			t.Fatalf("batch %d: %v", c.batches, err)
		}
		if err := b.CheckEndpoints(func(id graph.ID) bool { _, ok := nodes[id]; return ok }); err != nil {
			t.Fatalf("batch %d is not in dependency order: %v", c.batches, err)
		}
		for _, n := range b.Nodes {
			if _, dup := nodes[n.ID]; dup {
				t.Fatalf("node %s %s emitted twice", n.Kind, n.Name)
			}
			nodes[n.ID] = n.Kind
			c.nodes[string(n.Kind)]++
			if n.Kind == graph.API && slices.Contains(n.DataClasses, graph.PII) {
				piiAPIs = append(piiAPIs, n.ID)
			}
		}
		for _, e := range b.Edges {
			if edges[e.ID] {
				t.Fatalf("edge %s %s → %s emitted twice", e.Kind, e.From, e.To)
			}
			edges[e.ID] = true
			c.edges[string(e.Kind)]++
			switch e.Kind {
			case graph.Calls:
				c.callsIn[e.To]++
			case graph.PartOf:
				c.appServices[e.To]++
			case graph.RoutesTo:
				// Gateways are emitted before services, so exposure can be
				// followed in stream order.
				if routed[e.From] {
					routed[e.To] = true
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range piiAPIs {
		if routed[id] {
			c.apiPII++
		}
	}
	return c
}

func near(got, want int, tol float64) bool {
	return float64(got) >= float64(want)*(1-tol) && float64(got) <= float64(want)*(1+tol)
}

func TestSmallEstate(t *testing.T) {
	cfg := gen.Small
	c := walk(t, cfg, 997)
	t.Logf("%d batches; nodes %v; edges %v", c.batches, c.nodes, c.edges)
	exact := map[string]int{
		"Service": cfg.Services, "DataStore": cfg.DataStores, "Package": cfg.Packages, "Finding": cfg.Findings,
		"Vulnerability": cfg.Vulnerabilities, "Gateway": cfg.Gateways + 2, "Application": cfg.Applications,
		"Team": cfg.Teams, "ThirdParty": cfg.ThirdParties, "Internet": 1, "Image": cfg.Services,
	}
	for k, want := range exact {
		if c.nodes[k] != want {
			t.Errorf("%d %s nodes, want %d", c.nodes[k], k, want)
		}
	}
	if want := cfg.Services * cfg.APIsPerService; !near(c.nodes["API"], want, 0.15) {
		t.Errorf("%d APIs, want about %d", c.nodes["API"], want)
	}
	if c.edges["EXPOSES"] != c.nodes["API"] {
		t.Errorf("%d EXPOSES edges for %d APIs", c.edges["EXPOSES"], c.nodes["API"])
	}
	if want := cfg.Services * cfg.CallsPerService; !near(c.edges["CALLS"], want, 0.25) {
		t.Errorf("%d CALLS, want about %d", c.edges["CALLS"], want)
	}
	if want := cfg.Services*cfg.DepsPerService + cfg.Packages*cfg.DepsPerPackage; !near(c.edges["DEPENDS_ON"], want, 0.25) {
		t.Errorf("%d DEPENDS_ON, want about %d", c.edges["DEPENDS_ON"], want)
	}
	for _, k := range graph.EdgeKinds {
		if c.edges[string(k)] == 0 {
			t.Errorf("no %s edges", k)
		}
	}
	// Shape: hubs receive many calls; a few applications hold most services;
	// some internet-facing APIs carry PII.
	maxIn := 0
	for _, n := range c.callsIn {
		maxIn = max(maxIn, n)
	}
	if mean := float64(c.edges["CALLS"]) / float64(cfg.Services); float64(maxIn) < 5*mean {
		t.Errorf("busiest callee has %d callers, mean %.1f: want a power-law hub", maxIn, mean)
	}
	var perApp []int
	for _, n := range c.appServices {
		perApp = append(perApp, n)
	}
	slices.Sort(perApp)
	slices.Reverse(perApp)
	if top := perApp[0] + perApp[1] + perApp[2]; top*2 < cfg.Services {
		t.Errorf("top three applications hold %d of %d services, want most", top, cfg.Services)
	}
	if c.apiPII == 0 {
		t.Error("no internet-facing API touches PII")
	}
}

func TestDeterministicBySeed(t *testing.T) {
	cfg := gen.Small
	cfg.Services, cfg.Packages, cfg.Findings = 40, 300, 200
	a, err := cfg.Generate(500)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := cfg.Generate(500)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with the same seed differ")
	}
	// The batch size cuts the same stream differently.
	c, _ := cfg.Generate(77)
	if flatten(a)[1] != flatten(c)[1] {
		t.Error("batch size changes what is generated")
	}
	cfg.Seed = 2
	d, _ := cfg.Generate(500)
	if reflect.DeepEqual(a, d) {
		t.Error("seeds 1 and 2 give the same estate")
	}
}

// flatten returns the ids of a stream's nodes and edges joined, for
// comparing streams cut into different batches.
func flatten(bs []graph.Batch) [2]string {
	var n, e []byte
	for _, b := range bs {
		for _, x := range b.Nodes {
			n = append(n, x.ID...)
		}
		for _, x := range b.Edges {
			e = append(e, x.ID...)
		}
	}
	return [2]string{string(n), string(e)}
}

func TestEachStopsOnError(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	err := gen.Small.Each(100, func(graph.Batch) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Each returned %v after %d calls, want stop after 1", err, calls)
	}
}

func TestBadConfig(t *testing.T) {
	bad := gen.Small
	bad.Services = 0
	if err := bad.Each(10, func(graph.Batch) error { return nil }); err == nil {
		t.Error("a config without services was accepted")
	}
	if err := gen.Small.Each(0, func(graph.Batch) error { return nil }); err == nil {
		t.Error("batch size 0 was accepted")
	}
	bad = gen.Small
	bad.InternetFacing = 1.5
	if err := bad.Each(10, func(graph.Batch) error { return nil }); err == nil {
		t.Error("InternetFacing 1.5 was accepted")
	}
}

// TestLargeCounts generates the benchmark estate (a few seconds) and checks
// it has the advertised size: about 1M nodes and 3M edges.
func TestLargeCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 4M elements; skipped with -short")
	}
	var nodes, edges int
	err := gen.Large().Each(50_000, func(b graph.Batch) error {
		nodes += len(b.Nodes)
		edges += len(b.Edges)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Large: %d nodes, %d edges", nodes, edges)
	if !near(nodes, 1_000_000, 0.1) || !near(edges, 3_000_000, 0.1) {
		t.Errorf("Large has %d nodes and %d edges, want about 1M and 3M", nodes, edges)
	}
}

func BenchmarkGenerateLarge(b *testing.B) {
	for b.Loop() {
		n := 0
		if err := gen.Large().Each(50_000, func(bt graph.Batch) error { n += bt.Len(); return nil }); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n), "elements/op")
	}
}
