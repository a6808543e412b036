package scoring

import (
	"context"
	"slices"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
)

// The demo estate (testdata/demo) tells a story; these tests pin the
// answers scoring gives about it.

func TestDemoExposure(t *testing.T) {
	e := demoEngine(t)
	ctx := context.Background()
	cases := []struct {
		id                                  graph.ID
		reachable, authenticated, internetF bool
		serviceHops                         int
	}{
		// Routed through public-lb → edge-ingress with public operations.
		{prodSvc("web-frontend"), true, false, true, 0},
		// The CRM pilot rule publishes the unauthenticated export.
		{prodAPI("customer-service", "GET", "/internal/customers/export"), true, false, true, 0},
		// Not routed, but web-frontend forwards requests to it (the
		// User-Agent it logs is attacker input): Log4Shell's way in.
		{prodSvc("recommendation-service"), true, false, false, 1},
		// An authenticated operation of an internal service.
		{prodAPI("records-service", "GET", "/v1/records/search"), true, true, false, 1},
		// Payment creation needs a token; the webhook next to it does not.
		{prodAPI("payments-api", "POST", "/v1/payments"), true, true, false, 0},
		{prodAPI("payments-api", "POST", "/v1/webhooks/processor"), true, false, true, 0},
		// Nobody calls refund-worker and nothing routes to it.
		{prodSvc("refund-worker"), false, false, false, 0},
		// Staging web-frontend publishes port 80 on the VM.
		{stageSvc("web-frontend"), true, false, true, 0},
	}
	for _, c := range cases {
		x, err := e.Exposure(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		name := e.name(ctx, c.id)
		if x.Reachable != c.reachable || x.Authenticated != c.authenticated || x.InternetFacing != c.internetF || x.ServiceHops != c.serviceHops {
			t.Errorf("%s: reachable %v authenticated %v internet-facing %v service hops %d; want %v %v %v %d (path %s)",
				name, x.Reachable, x.Authenticated, x.InternetFacing, x.ServiceHops, c.reachable, c.authenticated, c.internetF, c.serviceHops, pathText(x.Path))
		}
		if x.Reachable && (len(x.Path) < 2 || x.Path[0].Node != graph.InternetID || x.Path[len(x.Path)-1].Node != c.id) {
			t.Errorf("%s: path %s does not lead from the Internet to the node", name, pathText(x.Path))
		}
		if !x.Reachable && (x.Hops != -1 || len(x.Path) != 0) {
			t.Errorf("%s: unreachable but hops %d path %v", name, x.Hops, x.Path)
		}
	}
	// The network controls on the way are reported.
	x, _ := e.Exposure(ctx, prodSvc("fraud-service"))
	if !slices.Contains(x.Controls, "NetworkPolicy/payments-internal") {
		t.Errorf("fraud-service controls %v, want NetworkPolicy/payments-internal", x.Controls)
	}
	// A package takes the exposure of the services running it, one hop on.
	x, _ = e.Exposure(ctx, graph.PackageID("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"))
	if !x.Reachable || x.Path[len(x.Path)-2].Node != prodSvc("recommendation-service") {
		t.Errorf("log4j-core exposure %+v, want reachable through recommendation-service", x)
	}
}

func findingByName(t *testing.T, e *Engine, ss []Score, name string) Score {
	t.Helper()
	for _, s := range ss {
		if e.name(context.Background(), s.Finding) == name {
			return s
		}
	}
	t.Fatalf("no finding named %q", name)
	return Score{}
}

func TestDemoScores(t *testing.T) {
	e := demoEngine(t)
	ctx := context.Background()
	ss, err := e.ScoreAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 9 {
		t.Fatalf("%d scores, want the demo's 9 findings", len(ss))
	}
	get := func(n string) Score { return findingByName(t, e, ss, n) }
	log4 := get("log4j-core 2.14.1: Log4Shell remote code execution")
	spring := get("spring-beans 5.3.17: Spring4Shell")
	export := get("Customer export reachable without authentication")
	sqli := get("SQL built from request input in records search")
	root := get("refund-worker runs as root")

	// Severity comes from the advisory's CVSS when the finding has none.
	if log4.Severity != 1.0 || spring.Severity != 0.98 {
		t.Errorf("severity: log4shell %v spring4shell %v, want 1.0 and 0.98 (CVSS 10.0, 9.8)", log4.Severity, spring.Severity)
	}
	// The unreachable finding ranks last, whatever its data.
	if ss[len(ss)-1].Finding != root.Finding || root.Exploitability != e.p.Exploitability.Unreachable {
		t.Errorf("refund-worker root finding: rank %v, exploitability %v; want last and %v", ss[len(ss)-1].Finding, root.Exploitability, e.p.Exploitability.Unreachable)
	}
	// An unauthenticated internet-facing PII export outranks an SQL
	// injection behind authentication, though both are "high".
	if !(export.Risk > sqli.Risk) || export.Exploitability != 1 {
		t.Errorf("export %v (expl %v) should outrank the authenticated SQL injection %v", export.Risk, export.Exploitability, sqli.Risk)
	}
	// Evidence: Log4Shell's path goes in through web-frontend; the service
	// handles PII itself (it logs IP addresses) and reads FINANCIAL events.
	var names []string
	for _, h := range log4.Path {
		names = append(names, h.Name)
	}
	if !slices.Contains(names, "web-frontend") || names[len(names)-1] != "recommendation-service" ||
		!slices.Equal(log4.ReachableData, []graph.DataClass{graph.PII, graph.Financial}) {
		t.Errorf("log4shell path %v data %v, want through web-frontend to recommendation-service, PII and FINANCIAL", names, log4.ReachableData)
	}
	// Every factor is visible and the product holds.
	for _, s := range ss {
		want := round2(100 * s.Severity * s.Exploitability * s.Impact)
		if d := s.Risk - want; d > 0.05 || d < -0.05 {
			t.Errorf("%s: risk %v != 100 × %v × %v × %v", s.Finding, s.Risk, s.Severity, s.Exploitability, s.Impact)
		}
		if len(s.Factors) < 4 {
			t.Errorf("%s: only %d factors", s.Finding, len(s.Factors))
		}
	}
	// RiskOfNode: the application carrying the worst finding.
	r, err := e.RiskOfNode(ctx, graph.ApplicationID("payments"))
	if err != nil || r != ss[0].Risk {
		t.Errorf("payments risk %v (%v), want the top score %v", r, err, ss[0].Risk)
	}
	r, _ = e.RiskOfNode(ctx, prodSvc("records-service"))
	if r != get("No NetworkPolicy selects records-service").Risk {
		t.Errorf("records-service risk %v", r)
	}
	one, err := e.ScoreFinding(ctx, log4.Finding)
	if err != nil || one.Risk != log4.Risk {
		t.Errorf("ScoreFinding %v %v, want %v", one.Risk, err, log4.Risk)
	}
	if _, err := e.ScoreFinding(ctx, prodSvc("web-frontend")); err == nil {
		t.Error("ScoreFinding of a service: want an error")
	}
}

func TestDemoAttackPaths(t *testing.T) {
	e := demoEngine(t)
	ctx := context.Background()
	ps, err := e.AttackPaths(ctx, PathQuery{To: []graph.DataClass{graph.PII}, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 5 {
		t.Fatalf("%d paths, want 5", len(ps))
	}
	last := func(p AttackPath) string { return p.Hops[len(p.Hops)-1].Name }
	// Top: Log4Shell in recommendation-service, reached through
	// web-frontend, into the events stream with PII.
	if last(ps[0]) != "events-kafka" || ps[0].Hops[len(ps[0].Hops)-2].Name != "recommendation-service" {
		t.Errorf("top path %s, want … → recommendation-service → events-kafka", pathText(ps[0].Hops))
	}
	// Second: the published customer export, straight into shop-db.
	if last(ps[1]) != "shop-db" || ps[1].Hops[3].Name != "GET /internal/customers/export" {
		t.Errorf("second path %s, want the customer export into shop-db", pathText(ps[1].Hops))
	}
	for i, p := range ps {
		if p.Hops[0].Node != graph.InternetID || len(p.Findings) == 0 || !slices.Contains(p.DataClasses, graph.PII) || p.Authenticated {
			t.Errorf("path %d %s: start %s findings %v classes %v auth %v", i, pathText(p.Hops), p.Hops[0].Name, p.Findings, p.DataClasses, p.Authenticated)
		}
		if i > 0 && p.Score > ps[i-1].Score {
			t.Errorf("paths not ranked: %v after %v", p.Score, ps[i-1].Score)
		}
	}
	// A node target.
	ps, err = e.AttackPaths(ctx, PathQuery{ToNode: prodDS("health-db"), Limit: 1})
	if err != nil || len(ps) != 1 || ps[0].Target != prodDS("health-db") {
		t.Fatalf("to health-db: %v %v", ps, err)
	}
	if !slices.Contains(pathNames(ps[0]), "records-service") {
		t.Errorf("health-db path %s, want through records-service (its findings)", pathText(ps[0].Hops))
	}
	// PHI lives only behind the health services.
	ps, _ = e.AttackPaths(ctx, PathQuery{To: []graph.DataClass{graph.PHI}})
	for _, p := range ps {
		if tgt := last(p); tgt != "health-db" && tgt != "larkspur-prod-medical-records" {
			t.Errorf("PHI path ends at %s", tgt)
		}
	}
	// MaxHops prunes: nothing sensitive is within 3 hops of the Internet.
	ps, _ = e.AttackPaths(ctx, PathQuery{To: []graph.DataClass{graph.PII}, MaxHops: 3})
	if len(ps) != 0 {
		t.Errorf("MaxHops 3: %d paths, first %s", len(ps), pathText(ps[0].Hops))
	}
	if _, err := e.AttackPaths(ctx, PathQuery{To: []graph.DataClass{"SECRETS"}}); err == nil {
		t.Error("unknown class: want an error")
	}
}

func pathNames(p AttackPath) []string {
	var out []string
	for _, h := range p.Hops {
		out = append(out, h.Name)
	}
	return out
}

func TestDemoBlastRadius(t *testing.T) {
	e := demoEngine(t)
	ctx := context.Background()
	br, err := e.BlastRadius(ctx, []graph.ID{prodSvc("refund-worker")}, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := map[graph.ID]string{
		prodDS("payments-db"):                "WRITES",
		prodDS("events-kafka"):               "READS",
		graph.ThirdPartyID("api.stripe.com"): "CALLS",
		prodSvc("payments-api"):              "shared-secret", // both mount stripe-secret-key
		prodSvc("ledger-service"):            "shared-store",  // reads payments-db, which refund-worker writes
		graph.IdentityID("aws", "arn:aws:iam::418273645501:role/refund-worker-prod"): "CAN_ACCESS",
	}
	got := map[graph.ID]Reached{}
	for _, r := range br.Reached {
		got[r.Node] = r
		if r.Depth > 2 {
			t.Errorf("%s at depth %d beyond 2", r.Name, r.Depth)
		}
	}
	for id, how := range want {
		r, ok := got[id]
		if !ok {
			t.Errorf("%s not in the radius", e.name(ctx, id))
			continue
		}
		if string(r.Via) != how && r.Lateral != how {
			t.Errorf("%s reached via %s/%s, want %s", r.Name, r.Via, r.Lateral, how)
		}
	}
	if !slices.Equal(br.Applications, []graph.ID{graph.ApplicationID("payments")}) || !slices.Contains(br.Teams, graph.TeamID("payments")) {
		t.Errorf("apps %v teams %v", br.Applications, br.Teams)
	}
	if !slices.Contains(br.DataClasses, graph.PCI) || br.Score <= 0 {
		t.Errorf("classes %v score %v", br.DataClasses, br.Score)
	}
	// Deeper radius is a superset.
	deep, _ := e.BlastRadius(ctx, []graph.ID{prodSvc("refund-worker")}, 6)
	if len(deep.Reached) <= len(br.Reached) {
		t.Errorf("depth 6 reached %d, depth 2 %d", len(deep.Reached), len(br.Reached))
	}

	// Log4Shell day, by package and by advisory alias.
	log4j := "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
	bp, err := e.BlastRadiusOfPackage(ctx, log4j, 6)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(bp.Dependents, []graph.ID{prodSvc("recommendation-service")}) || len(bp.DependentsInternetFacing) != 0 {
		t.Errorf("log4j dependents %v internet-facing %v", bp.Dependents, bp.DependentsInternetFacing)
	}
	if !slices.Contains(bp.DataStores, prodDS("events-kafka")) || !slices.Contains(bp.Services, prodSvc("catalog-service")) {
		t.Errorf("log4j radius stores %v services %v", bp.DataStores, bp.Services)
	}
	bv, err := e.BlastRadiusOfVulnerability(ctx, "GHSA-jfh8-c2jp-5v3q", 6)
	if err != nil || !slices.Equal(bv.Services, bp.Services) || !slices.Equal(bv.Dependents, bp.Dependents) {
		t.Errorf("by alias: %v %v, want the package's radius", bv.Services, err)
	}
	// x/net is transitive through gin and grpc: the go services depend on it,
	// several of them internet-facing.
	bn, err := e.BlastRadiusOfPackage(ctx, "pkg:golang/golang.org/x/net@v0.7.0", 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []graph.ID{prodSvc("auth-service"), prodSvc("customer-service"), prodSvc("catalog-service"), stageSvc("payments-api")} {
		if !slices.Contains(bn.Dependents, s) {
			t.Errorf("x/net dependents lack %s", e.name(ctx, s))
		}
	}
	for _, s := range []graph.ID{prodSvc("auth-service"), prodSvc("checkout-service"), prodSvc("customer-service")} {
		if !slices.Contains(bn.DependentsInternetFacing, s) {
			t.Errorf("x/net internet-facing lacks %s (has %v)", e.name(ctx, s), bn.DependentsInternetFacing)
		}
	}
	if slices.Contains(bn.Dependents, prodSvc("records-service")) {
		t.Error("records-service (python) does not depend on x/net")
	}
	if _, err := e.BlastRadiusOfVulnerability(ctx, "CVE-1999-0001", 3); err == nil {
		t.Error("unknown advisory: want an error")
	}
}

func TestDemoDataFlowsAndKPIs(t *testing.T) {
	e := demoEngine(t)
	ctx := context.Background()
	df, err := e.DataFlows(ctx, graph.PCI)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []graph.ID{prodSvc("web-frontend"), prodSvc("checkout-service"), prodSvc("payments-api"), prodSvc("portal-web")} {
		if !slices.Contains(df.Services, s) {
			t.Errorf("PCI flow lacks %s", e.name(ctx, s))
		}
	}
	if !slices.Contains(df.DataStores, prodDS("payments-db")) || !slices.Equal(df.ServicesToThirdParties, []graph.ID{prodSvc("payments-api")}) {
		t.Errorf("PCI stores %v, services to third parties %v", df.DataStores, df.ServicesToThirdParties)
	}
	if !slices.Equal(df.ThirdParties, []graph.ID{graph.ThirdPartyID("api.stripe.com")}) {
		t.Errorf("PCI third parties %v, want Stripe", df.ThirdParties)
	}
	for _, s := range df.Steps {
		if len(s.Sources) == 0 || s.Sources[0].File == "" {
			t.Errorf("step %s → %s without evidence", s.From, s.To)
		}
	}
	pii, _ := e.DataFlows(ctx, graph.PII)
	if !slices.Contains(pii.ThirdParties, graph.ThirdPartyID("api.sendgrid.com")) {
		t.Errorf("PII third parties %v, want SendGrid (notification-service e-mails)", pii.ThirdParties)
	}

	k, err := e.KPIs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if k.Findings != 9 || k.Open != 9 || k.OpenExploitableReachable != 8 || k.AutoTriaged != 1 || k.Fixed != 0 {
		t.Errorf("KPIs %+v", k)
	}
	ss, _ := e.ScoreAll(ctx)
	if k.CriticalApplicationRisk != ss[0].Risk {
		t.Errorf("critical application risk %v, want the top finding's %v (payments is tier-1)", k.CriticalApplicationRisk, ss[0].Risk)
	}

	rs, err := e.TopRisks(ctx, 3)
	if err != nil || len(rs) != 3 {
		t.Fatalf("top risks %v %v", rs, err)
	}
	for i, r := range rs {
		if !r.Toxic || r.Risk != ss[i].Risk || len(r.Findings) == 0 || r.ID == "" {
			t.Errorf("risk %d: %+v", i, r)
		}
	}
}
