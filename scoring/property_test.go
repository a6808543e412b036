package scoring

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/testdata/demo"
)

// estate builds small graphs for tests.
type estate struct{ b graph.Batch }

func newEstate() *estate {
	es := &estate{b: graph.Batch{Scope: graph.Scope{Source: "test", Key: "t"}, Run: "r1"}}
	es.node(graph.InternetID, graph.Internet, "Internet", "", nil)
	return es
}

func (es *estate) node(id graph.ID, k graph.Kind, name, env string, props graph.Props, cs ...graph.DataClass) graph.ID {
	es.b.Nodes = append(es.b.Nodes, graph.Node{ID: id, Kind: k, Name: name, Env: env, Props: props, DataClasses: cs})
	return id
}

func (es *estate) edge(k graph.EdgeKind, from, to graph.ID) {
	es.b.Edges = append(es.b.Edges, graph.NewEdge(k, from, to))
}

func (es *estate) finding(fp, title, env string, subject graph.ID, props graph.Props) graph.ID {
	p := graph.Props{"tool": "test", "rule": fp, "severity": "high", "fingerprint": fp, "status": "open"}
	for k, v := range props {
		p[k] = v
	}
	id := es.node(graph.FindingID(fp), graph.Finding, title, env, p)
	es.edge(graph.FoundOn, id, subject)
	return id
}

// bionic is the e-book's example: a CVSS 9.9 in a private monolith that
// touches no sensitive data, and a CVSS 8.2 on an internet-facing API
// connected to a PII database.
func bionic() (*estate, graph.ID, graph.ID) {
	es := newEstate()
	lb := es.node(graph.GatewayID("prod", "lb"), graph.Gateway, "lb", "prod", graph.Props{"type": "load-balancer", "public": true})
	es.edge(graph.RoutesTo, graph.InternetID, lb)
	api := es.node(graph.ServiceID("prod", "orders-api"), graph.Service, "orders-api", "prod", nil, graph.PII)
	op := es.node(graph.APIID(api, "GET", "/orders"), graph.API, "GET /orders", "prod", graph.Props{"authenticated": false}, graph.PII)
	es.edge(graph.RoutesTo, lb, api)
	es.edge(graph.RoutesTo, lb, op)
	es.edge(graph.Exposes, api, op)
	db := es.node(graph.DataStoreID("prod", "customers"), graph.DataStore, "customers", "prod", nil, graph.PII)
	es.edge(graph.Reads, api, db)
	shop := es.node(graph.ApplicationID("shop"), graph.Application, "shop", "", graph.Props{"criticality": "tier-2"})
	es.edge(graph.PartOf, api, shop)
	mono := es.node(graph.ServiceID("prod", "billing-monolith"), graph.Service, "billing-monolith", "prod", nil)
	back := es.node(graph.ApplicationID("backoffice"), graph.Application, "backoffice", "", graph.Props{"criticality": "tier-3"})
	es.edge(graph.PartOf, mono, back)
	high := es.finding("f-mono", "struts RCE", "prod", mono, graph.Props{"cvss": 9.9, "severity": "critical"})
	low := es.finding("f-api", "jackson gadget", "prod", api, graph.Props{"cvss": 8.2})
	return es, high, low
}

func TestPrivateCriticalRanksBelowExposedHigh(t *testing.T) {
	es, mono, api := bionic()
	e := New(openBatches(t, es.b), DefaultProfile())
	ctx := context.Background()
	a, err := e.ScoreFinding(ctx, mono)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.ScoreFinding(ctx, api)
	if a.Severity != 0.99 || b.Severity != 0.82 {
		t.Fatalf("severities %v %v", a.Severity, b.Severity)
	}
	if !(b.Risk > 3*a.Risk) {
		t.Errorf("internet-facing 8.2 scores %v, private 9.9 scores %v: the exposed one must rank far above", b.Risk, a.Risk)
	}
	rs, _ := e.TopRisks(ctx, 2)
	if rs[0].Findings[0] != api || !rs[0].Toxic || rs[1].Toxic {
		t.Errorf("top risks %+v", rs)
	}
	if !slices.Equal(b.ReachableData, []graph.DataClass{graph.PII}) || len(a.ReachableData) != 0 {
		t.Errorf("reachable data: exposed %v, monolith %v", b.ReachableData, a.ReachableData)
	}
}

func TestVEXEPSSAndKEV(t *testing.T) {
	es, _, _ := bionic()
	api := graph.ServiceID("prod", "orders-api")
	v := es.node(graph.VulnerabilityID("CVE-2020-0001"), graph.Vulnerability, "CVE-2020-0001", "",
		graph.Props{"cvss": 7.0, "severity": "high", "epss": 0.9, "kev": true, "aliases": []string{"GHSA-aaaa-bbbb-cccc"}})
	plain := es.finding("plain", "plain", "prod", api, graph.Props{"cvss": 7.0})
	hot := es.finding("hot", "hot", "prod", api, graph.Props{"vulnerability": "GHSA-aaaa-bbbb-cccc"})
	vex := es.finding("vex", "vex", "prod", api, graph.Props{"cvss": 7.0, "vexState": "not_affected", "vexJustification": "vulnerable_code_not_in_execute_path"})
	fixed := es.finding("fixed", "fixed", "prod", api, graph.Props{"cvss": 7.0, "status": "fixed", "fixedAt": "2026-11-21T09:00:00Z",
		"statusHistory": []string{"2026-11-19T21:00:00Z open trivy: found", "2026-11-21T09:00:00Z fixed ci: upgraded"}})
	es.finding("odd", "odd", "prod", api, graph.Props{"status": "fixed", "fixedAt": "2026-11-22T09:00:00Z", "statusHistory": []string{""}})
	es.b.ObservedAt = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	_ = v
	e := New(openBatches(t, es.b), DefaultProfile())
	ctx := context.Background()
	sp, _ := e.ScoreFinding(ctx, plain)
	sh, _ := e.ScoreFinding(ctx, hot)
	sv, _ := e.ScoreFinding(ctx, vex)
	sf, _ := e.ScoreFinding(ctx, fixed)
	if !(sh.Severity > sp.Severity) || !hasFactor(sh, "epss") || !hasFactor(sh, "kev") {
		t.Errorf("EPSS+KEV (resolved through an alias) should raise severity: %v vs %v, factors %+v", sh.Severity, sp.Severity, sh.Factors)
	}
	if sv.Exploitability > 0.05 || sv.Risk >= sp.Risk/10 {
		t.Errorf("VEX not_affected: exploitability %v risk %v", sv.Exploitability, sv.Risk)
	}
	if sf.Risk != 0 || sf.Open {
		t.Errorf("fixed finding risk %v open %v", sf.Risk, sf.Open)
	}
	k, _ := e.KPIs(ctx)
	// MTTR: 36 h from the first recorded status (before the graph saw it)
	// and 48 h from the first sighting for the one without usable history.
	if k.Fixed != 2 || k.FixRate != round4(2.0/float64(k.Open+2)) || k.MTTRSamples != 2 || k.MTTRHours != 42 {
		t.Errorf("KPIs %+v", k)
	}
}

func hasFactor(s Score, name string) bool {
	return slices.ContainsFunc(s.Factors, func(f Factor) bool { return f.Name == name })
}

func scoresOf(t *testing.T, b graph.Batch) map[graph.ID]Score {
	t.Helper()
	ss, err := New(openBatches(t, b), DefaultProfile()).ScoreAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := map[graph.ID]Score{}
	for _, s := range ss {
		m[s.Finding] = s
	}
	return m
}

// Adding an authentication step never raises a score: each public API of
// the demo in turn, then all of them, then an authorizer on every gateway.
func TestAddingAuthenticationNeverRaisesAScore(t *testing.T) {
	base := demo.Batch()
	before := scoresOf(t, base)
	var public []int
	for i, n := range base.Nodes {
		if n.Kind == graph.API && !n.Props.Bool("authenticated") {
			public = append(public, i)
		}
	}
	if len(public) < 10 {
		t.Fatalf("only %d public APIs in the demo", len(public))
	}
	check := func(what string, b graph.Batch) int {
		lowered := 0
		for id, s := range scoresOf(t, b) {
			if s.Risk > before[id].Risk || s.Exploitability > before[id].Exploitability {
				t.Errorf("%s raised %s: %v → %v", what, id, before[id].Risk, s.Risk)
			}
			if s.Risk < before[id].Risk {
				lowered++
			}
		}
		return lowered
	}
	flip := func(b *graph.Batch, i int) {
		n := &b.Nodes[i]
		p := graph.Props{}
		for k, v := range n.Props {
			p[k] = v
		}
		p["authenticated"] = true
		n.Props = p
	}
	for _, i := range public {
		b := demo.Batch()
		flip(&b, i)
		check("authenticating "+b.Nodes[i].Name, b)
	}
	all := demo.Batch()
	for _, i := range public {
		flip(&all, i)
	}
	if check("authenticating every API", all) == 0 {
		t.Error("authenticating every API lowered no score")
	}
	gw := demo.Batch()
	for i := range gw.Nodes {
		if gw.Nodes[i].Kind == graph.Gateway {
			gw.Nodes[i].Props = graph.Props{"type": "api-gateway", "authorizer": "jwt"}
		}
	}
	check("gateway authorizers", gw)
}

// Removing the only path from the Internet drops exploitability.
func TestRemovingTheOnlyInternetPathDropsExploitability(t *testing.T) {
	es, _, api := bionic()
	ctx := context.Background()
	before, _ := New(openBatches(t, es.b), DefaultProfile()).ScoreFinding(ctx, api)
	cut := es.b
	cut.Edges = slices.DeleteFunc(slices.Clone(cut.Edges), func(e graph.Edge) bool {
		return e.Kind == graph.RoutesTo && e.From == graph.InternetID
	})
	after, _ := New(openBatches(t, cut), DefaultProfile()).ScoreFinding(ctx, api)
	if !(after.Exploitability < before.Exploitability) || after.Exploitability != DefaultProfile().Exploitability.Unreachable {
		t.Errorf("exploitability %v → %v, want a drop to the unreachable weight", before.Exploitability, after.Exploitability)
	}
	// The demo: cut the load balancer and the published staging ports.
	b := demo.Batch()
	pre := scoresOf(t, b)
	b.Edges = slices.DeleteFunc(b.Edges, func(e graph.Edge) bool { return e.From == graph.InternetID })
	for id, s := range scoresOf(t, b) {
		if s.Exploitability > pre[id].Exploitability {
			t.Errorf("%s: exploitability rose %v → %v", id, pre[id].Exploitability, s.Exploitability)
		}
		if pre[id].Exploitability > DefaultProfile().Exploitability.Unreachable && s.Exploitability >= pre[id].Exploitability {
			t.Errorf("%s: exploitability %v did not drop without an internet path", id, s.Exploitability)
		}
	}
}

// Scores, risks, paths and radii do not depend on the order elements were
// inserted in.
func TestStableUnderInsertionOrder(t *testing.T) {
	ctx := context.Background()
	answer := func(b graph.Batch) string {
		e := New(openBatches(t, b), DefaultProfile())
		ss, err := e.ScoreAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rs, _ := e.TopRisks(ctx, 5)
		ps, _ := e.AttackPaths(ctx, PathQuery{To: []graph.DataClass{graph.PII, graph.PCI}})
		br, _ := e.BlastRadiusOfPackage(ctx, "pkg:golang/golang.org/x/net@v0.7.0", 6)
		for i := range br.Reached {
			br.Reached[i].Parent, br.Reached[i].Via = "", "" // one of several shortest parents
		}
		df, _ := e.DataFlows(ctx, graph.PII)
		k, _ := e.KPIs(ctx)
		out, _ := json.Marshal([]any{ss, rs, ps, br, df, k})
		return string(out)
	}
	want := answer(demo.Batch())
	for seed := uint64(1); seed <= 3; seed++ {
		b := demo.Batch()
		r := rand.New(rand.NewPCG(seed, seed))
		r.Shuffle(len(b.Nodes), func(i, j int) { b.Nodes[i], b.Nodes[j] = b.Nodes[j], b.Nodes[i] })
		r.Shuffle(len(b.Edges), func(i, j int) { b.Edges[i], b.Edges[j] = b.Edges[j], b.Edges[i] })
		if got := answer(b); got != want {
			t.Fatalf("seed %d: answers differ after shuffling the batch", seed)
		}
	}
}

// A route to a service whose operations nobody routes is taken as open; once
// its operations are routed, their authentication decides.
func TestServiceRouteDefersToRoutedOperations(t *testing.T) {
	ctx := context.Background()
	build := func(routeOps bool) *Engine {
		es := newEstate()
		gw := es.node(graph.GatewayID("prod", "gw"), graph.Gateway, "gw", "prod", nil)
		es.edge(graph.RoutesTo, graph.InternetID, gw)
		svc := es.node(graph.ServiceID("prod", "admin"), graph.Service, "admin", "prod", nil)
		op := es.node(graph.APIID(svc, "POST", "/admin"), graph.API, "POST /admin", "prod", graph.Props{"authenticated": true})
		es.edge(graph.Exposes, svc, op)
		es.edge(graph.RoutesTo, gw, svc)
		if routeOps {
			es.edge(graph.RoutesTo, gw, op)
		}
		return New(openBatches(t, es.b), DefaultProfile())
	}
	x, _ := build(false).Exposure(ctx, graph.ServiceID("prod", "admin"))
	if !x.Reachable || x.Authenticated {
		t.Errorf("service route without operation routes: %+v, want reachable unauthenticated", x)
	}
	x, _ = build(true).Exposure(ctx, graph.ServiceID("prod", "admin"))
	if !x.Reachable || !x.Authenticated || !x.InternetFacing {
		t.Errorf("service whose only routed operation needs a token: %+v, want authenticated", x)
	}
}
