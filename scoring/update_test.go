package scoring

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/testdata/demo"
)

func TestUpdateRescoresOnlyWhatABatchTouched(t *testing.T) {
	ctx := context.Background()
	s, err := memdb.Open("", memdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Apply(ctx, demo.Batch()); err != nil {
		t.Fatal(err)
	}
	v1, _ := s.Read(ctx)
	e := New(v1, DefaultProfile())
	before, err := e.ScoreAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var lodash graph.ID
	for _, sc := range before {
		if e.name(ctx, sc.Finding) == "lodash 4.17.20: command injection" {
			lodash = sc.Finding
		}
	}
	// A scanner import: a new finding on catalog-service, Log4Shell now in
	// KEV with a high EPSS, and lodash fixed.
	b := graph.Batch{Scope: graph.Scope{Source: "import", Key: "scan"}, Run: "scan-2"}
	nf := graph.FindingID("new-one")
	b.Nodes = append(b.Nodes,
		graph.Node{ID: nf, Kind: graph.Finding, Name: "x/net rapid reset", Env: "prod",
			Props: graph.Props{"tool": "grype", "rule": "CVE-2023-39325", "severity": "high", "vulnerability": "GO-2023-2102", "status": "open", "fingerprint": "new-one"}},
		graph.Node{ID: graph.VulnerabilityID("CVE-2021-44228"), Kind: graph.Vulnerability, Name: "CVE-2021-44228", Props: graph.Props{"kev": true, "epss": 0.97}},
		graph.Node{ID: lodash, Kind: graph.Finding, Name: "lodash 4.17.20: command injection", Props: graph.Props{"status": "fixed", "fixedAt": "2026-11-22T09:00:00Z"}},
	)
	b.Edges = append(b.Edges, graph.NewEdge(graph.FoundOn, nf, graph.ServiceID("prod", "catalog-service")))
	if _, err := s.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	v2, _ := s.Read(ctx)
	ne, changed, err := e.Update(ctx, v2, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 3 {
		t.Fatalf("rescored %d findings, want 3 (new, log4shell through its advisory, lodash)", len(changed))
	}
	got, _ := ne.ScoreAll(ctx)
	want, _ := New(v2, DefaultProfile()).ScoreAll(ctx)
	if len(got) != len(want) {
		t.Fatalf("%d scores after Update, %d from a fresh engine", len(got), len(want))
	}
	for i := range got {
		gj, _ := json.Marshal(got[i])
		wj, _ := json.Marshal(want[i])
		if string(gj) != string(wj) {
			t.Fatalf("score %d differs from a full rescore:\n got %s\nwant %s", i, gj, wj)
		}
	}
	for _, sc := range changed {
		switch {
		case sc.Finding == lodash && sc.Risk != 0:
			t.Errorf("fixed lodash still scores %v", sc.Risk)
		case sc.Finding == nf && (sc.Severity != 0.75 || sc.Risk == 0):
			t.Errorf("new finding (CVSS 7.5 through alias GO-2023-2102): %+v", sc)
		}
	}
	gr, _ := ne.TopRisks(ctx, 5)
	wr, _ := New(v2, DefaultProfile()).TopRisks(ctx, 5)
	gj, _ := json.Marshal(gr)
	wj, _ := json.Marshal(wr)
	if string(gj) != string(wj) {
		t.Errorf("top risks differ after Update")
	}
	// The old engine still answers for its own view.
	old, _ := e.ScoreAll(ctx)
	oj, _ := json.Marshal(old)
	bj, _ := json.Marshal(before)
	if string(oj) != string(bj) {
		t.Error("the old engine's answers changed")
	}

	// A structural batch (a new route) rescoring everything.
	b2 := graph.Batch{Scope: graph.Scope{Source: "k8s", Key: "prod"}, Run: "k2",
		Edges: []graph.Edge{graph.NewEdge(graph.RoutesTo, graph.GatewayID("prod", "api-gateway"), graph.ServiceID("prod", "refund-worker"))}}
	if _, err := s.Apply(ctx, b2); err != nil {
		t.Fatal(err)
	}
	v3, _ := s.Read(ctx)
	ne2, all, err := ne.Update(ctx, v3, b2)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 10 {
		t.Errorf("structural batch rescored %d, want all 10", len(all))
	}
	x, _ := ne2.Exposure(ctx, graph.ServiceID("prod", "refund-worker"))
	if !x.Reachable || !x.InternetFacing {
		t.Errorf("refund-worker after the new route: %+v", x)
	}
}

func TestWithProfileRescoresFromCachedFacts(t *testing.T) {
	ctx := context.Background()
	e := demoEngine(t)
	if _, err := e.ScoreAll(ctx); err != nil {
		t.Fatal(err)
	}
	p := DefaultProfile()
	p.Exploitability.Environments["staging"] = 1.0
	ne := e.WithProfile(p)
	got, err := ne.Rescore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := New(e.View(), p).ScoreAll(ctx)
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if string(gj) != string(wj) {
		t.Fatal("WithProfile+Rescore differs from a fresh engine with the profile")
	}
}
