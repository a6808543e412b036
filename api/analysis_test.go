package api_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/api"
	"github.com/riskgraph/riskgraph/graph"
)

type hop struct {
	ID, Name, Kind string
	EdgeKind       string
	Findings       []struct{ ID string }
}

func hopNames(hs []hop) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Name)
	}
	return out
}

// Mission question: attack paths from the Internet to PII.
func TestAttackPathsToPII(t *testing.T) {
	e := newEnv(t, api.Limits{})
	var got struct {
		AttackPaths []struct {
			Hops          []hop
			Length        int
			Score         float64
			Authenticated bool
			DataClasses   []string
			Target        struct{ Name string }
			Findings      []struct{ Rule string }
		}
	}
	e.ok(`{ attackPaths(to: {dataClasses: [PII]}, limit: 5) { length score authenticated dataClasses target { name }
		findings { rule } hops { id name kind edgeKind findings { id } } } }`, nil, &got)
	ps := got.AttackPaths
	if len(ps) != 5 {
		t.Fatalf("%d paths, want 5", len(ps))
	}
	top := hopNames(ps[0].Hops)
	if ps[0].Target.Name != "events-kafka" || top[len(top)-2] != "recommendation-service" {
		t.Errorf("top path %v, want … → recommendation-service → events-kafka", top)
	}
	second := hopNames(ps[1].Hops)
	if ps[1].Target.Name != "shop-db" || !slices.Contains(second, "GET /internal/customers/export") {
		t.Errorf("second path %v, want the customer export into shop-db", second)
	}
	for i, p := range ps {
		if p.Hops[0].ID != string(graph.InternetID) || p.Length != len(p.Hops)-1 || len(p.Findings) == 0 || p.Authenticated || !slices.Contains(p.DataClasses, "PII") {
			t.Errorf("path %d: %+v", i, p)
		}
		if i > 0 && p.Score > ps[i-1].Score {
			t.Errorf("paths not ranked by score at %d", i)
		}
		withFindings := 0
		for _, h := range p.Hops[1:] {
			if h.EdgeKind == "" {
				t.Errorf("path %d hop %s has no edge", i, h.Name)
			}
			withFindings += len(h.Findings)
		}
		if withFindings == 0 {
			t.Errorf("path %d: no hop carries a finding", i)
		}
	}
	// Bounds: maxHops 3 reaches nothing sensitive; a huge limit is refused.
	e.ok(`{ attackPaths(to: {dataClasses: [PII]}, maxHops: 3) { score } }`, nil, &got)
	if len(got.AttackPaths) != 0 {
		t.Errorf("maxHops 3: %d paths", len(got.AttackPaths))
	}
	if r := e.query(readTok, `{ attackPaths(limit: 100000) { score } }`, nil); r.code() != api.CodeBadUserInput {
		t.Errorf("limit 100000: %+v", r.Errors)
	}
	if r := e.query(readTok, `{ attackPaths(from: "service:nope") { score } }`, nil); r.code() != api.CodeNotFound {
		t.Errorf("unknown from: %+v", r.Errors)
	}
}

// Mission question: the blast radius of a compromised service.
func TestBlastRadiusOfService(t *testing.T) {
	e := newEnv(t, api.Limits{})
	var got struct {
		BlastRadius struct {
			TotalReached int
			Reached      []struct {
				Node    struct{ ID, Name string }
				Depth   int
				Via     string
				Lateral string
			}
			DataClasses  []string
			Applications []struct{ Name string }
			Teams        []struct{ Name string }
			ThirdParties []struct{ Name string }
			Score        float64
		}
	}
	e.ok(`query($id: ID!) { blastRadius(from: $id, maxDepth: 2) { totalReached reached { node { id name } depth via lateral }
		dataClasses applications { name } teams { name } thirdParties { name } score } }`,
		map[string]any{"id": string(graph.ServiceID("prod", "refund-worker"))}, &got)
	br := got.BlastRadius
	how := map[string]string{}
	for _, r := range br.Reached {
		if r.Depth > 2 {
			t.Errorf("%s at depth %d", r.Node.Name, r.Depth)
		}
		how[r.Node.Name] = r.Via
		if r.Lateral != "" {
			how[r.Node.Name] = r.Lateral
		}
	}
	for name, want := range map[string]string{"payments-db": "WRITES", "events-kafka": "READS", "payments-api": "shared-secret", "ledger-service": "shared-store"} {
		if how[name] != want {
			t.Errorf("%s reached via %q, want %q", name, how[name], want)
		}
	}
	if br.TotalReached != len(br.Reached) || len(br.Applications) != 1 || br.Applications[0].Name != "payments" || !slices.Contains(br.DataClasses, "PCI") || br.Score <= 0 {
		t.Errorf("radius: %+v", br)
	}
	if r := e.query(readTok, `{ blastRadius(from: "service:nope") { score } }`, nil); r.code() != api.CodeNotFound {
		t.Errorf("unknown node: %+v", r.Errors)
	}
}

// The blast radius loads only the lists a query selects; what it selects,
// through aliases and fragments too, is the same as when it selects all.
func TestBlastRadiusSelectedLists(t *testing.T) {
	e := newEnv(t, api.Limits{})
	id := string(graph.ServiceID("prod", "payments-api"))
	type list []struct{ ID string }
	var all struct {
		BlastRadius struct {
			TotalReached int
			Score        float64
			DataClasses  []string
			Reached      []struct{ Node struct{ ID string } }
			Services     list
			DataStores   list
			Identities   list
		}
	}
	e.ok(`query($id: ID!) { blastRadius(from: $id) { totalReached score dataClasses reached { node { id } } services { id } dataStores { id } identities { id } } }`,
		map[string]any{"id": id}, &all)
	full := all.BlastRadius
	if full.TotalReached == 0 || len(full.Reached) != full.TotalReached || len(full.Services) == 0 || len(full.DataStores) == 0 {
		t.Fatalf("payments-api radius: %+v", full)
	}
	var some struct {
		B struct {
			TotalReached int
			Score        float64
			DataClasses  []string
			R            []struct{ Node struct{ ID string } } `json:"r"`
			DataStores   list
		} `json:"b"`
	}
	e.ok(`query($id: ID!) { b: blastRadius(from: $id) { totalReached ...f r: reached { node { id } } } }
		fragment f on BlastRadius { score dataClasses dataStores { id } }`, map[string]any{"id": id}, &some)
	b := some.B
	if b.TotalReached != full.TotalReached || b.Score != full.Score || !slices.Equal(b.DataClasses, full.DataClasses) ||
		len(b.R) != len(full.Reached) || !slices.Equal(b.DataStores, full.DataStores) {
		t.Errorf("selected through an alias and a fragment: %+v\nall: %+v", b, full)
	}
}

// Mission question: the blast radius of a package / a CVE (Log4Shell day).
func TestBlastRadiusOfPackageAndCVE(t *testing.T) {
	e := newEnv(t, api.Limits{})
	type radius struct {
		Dependents               []struct{ Name string }
		DependentsInternetFacing []struct{ Name string }
		DataStores               []struct{ Name string }
		Services                 []struct{ Name string }
	}
	var got struct {
		P radius `json:"p"`
		V radius `json:"v"`
		N radius `json:"n"`
	}
	e.ok(`{ p: blastRadiusOfPackage(purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1") { dependents { name } dependentsInternetFacing { name } dataStores { name } services { name } }
		v: blastRadiusOfVulnerability(id: "GHSA-jfh8-c2jp-5v3q") { dependents { name } dependentsInternetFacing { name } dataStores { name } services { name } }
		n: blastRadiusOfPackage(purl: "pkg:golang/golang.org/x/net@v0.7.0", maxDepth: 1) { dependents { name } dependentsInternetFacing { name } dataStores { name } services { name } } }`, nil, &got)
	names := func(xs []struct{ Name string }) []string {
		var out []string
		for _, x := range xs {
			out = append(out, x.Name)
		}
		return out
	}
	if d := names(got.P.Dependents); !slices.Equal(d, []string{"recommendation-service"}) || len(got.P.DependentsInternetFacing) != 0 {
		t.Errorf("log4j dependents %v, internet-facing %v", d, names(got.P.DependentsInternetFacing))
	}
	if !slices.Contains(names(got.P.DataStores), "events-kafka") || !slices.Equal(names(got.V.Services), names(got.P.Services)) {
		t.Errorf("log4j radius %v; by alias %v", names(got.P.Services), names(got.V.Services))
	}
	for _, s := range []string{"auth-service", "checkout-service", "customer-service"} {
		if !slices.Contains(names(got.N.DependentsInternetFacing), s) {
			t.Errorf("x/net internet-facing dependents lack %s", s)
		}
	}
	if slices.Contains(names(got.N.Dependents), "records-service") {
		t.Error("records-service (python) listed as an x/net dependent")
	}
	if r := e.query(readTok, `{ blastRadiusOfVulnerability(id: "CVE-1999-0001") { score } }`, nil); r.code() != api.CodeNotFound {
		t.Errorf("unknown advisory: %+v", r.Errors)
	}
}

// Mission question: where PCI data flows, and who sends it to third parties.
func TestDataFlows(t *testing.T) {
	e := newEnv(t, api.Limits{})
	var got struct {
		DataFlows struct {
			Services               []struct{ Name string }
			DataStores             []struct{ Name string }
			ThirdParties           []struct{ Name, Host string }
			ServicesToThirdParties []struct{ Name string }
			Steps                  []struct {
				From, To struct{ Name string }
				Kind     string
				Sources  []struct {
					File string
					Line int
				}
			}
		}
	}
	e.ok(`{ dataFlows(dataClass: PCI) { services { name } dataStores { name } thirdParties { name host }
		servicesToThirdParties { name } steps { from { name } to { name } kind sources { file line } } } }`, nil, &got)
	df := got.DataFlows
	var svcs []string
	for _, s := range df.Services {
		svcs = append(svcs, s.Name)
	}
	for _, want := range []string{"web-frontend", "checkout-service", "payments-api"} {
		if !slices.Contains(svcs, want) {
			t.Errorf("PCI flow lacks %s (has %v)", want, svcs)
		}
	}
	if len(df.ThirdParties) != 1 || df.ThirdParties[0].Host != "api.stripe.com" || len(df.ServicesToThirdParties) != 1 || df.ServicesToThirdParties[0].Name != "payments-api" {
		t.Errorf("third parties %+v via %+v", df.ThirdParties, df.ServicesToThirdParties)
	}
	if len(df.Steps) == 0 {
		t.Fatal("no flow steps")
	}
	for _, s := range df.Steps {
		if len(s.Sources) == 0 || s.Sources[0].File == "" || s.Sources[0].Line == 0 {
			t.Errorf("step %s → %s without file:line evidence", s.From.Name, s.To.Name)
		}
	}
}

// Mission question: the three risks that matter, with their reasoning.
func TestTopRisksAndScores(t *testing.T) {
	e := newEnv(t, api.Limits{})
	var got struct {
		TopRisks []struct {
			ID, Title string
			Risk      float64
			Subject   struct{ Name string }
			Findings  []struct {
				ID   string
				Risk float64
			}
			Path        []hop
			DataClasses []string
			Factors     []struct {
				Name   string
				Value  float64
				Detail string
			}
		}
		Findings struct {
			Nodes []struct {
				Name  string
				Risk  float64
				Score struct {
					Risk, Severity, Exploitability, Impact float64
					Factors                                []struct{ Name string }
					Path                                   []hop
					ReachableData                          []string
				}
			}
		}
		Kpis struct {
			Findings, Open, OpenExploitableReachable, AutoTriaged int
			CriticalApplicationRisk                               float64
		}
	}
	e.ok(`{ topRisks { id title risk subject { name } findings { id risk } path { name } dataClasses factors { name value detail } }
		findings(orderBy: {field: RISK}, first: 50) { nodes { name risk score { risk severity exploitability impact factors { name } path { name } reachableData } } }
		kpis { findings open openExploitableReachable autoTriaged criticalApplicationRisk } }`, nil, &got)
	if len(got.TopRisks) != 3 {
		t.Fatalf("%d top risks", len(got.TopRisks))
	}
	fs := got.Findings.Nodes
	for i, r := range got.TopRisks {
		if r.ID == "" || r.Title == "" || len(r.Findings) == 0 || len(r.Factors) == 0 || len(r.Path) == 0 {
			t.Errorf("risk %d: %+v", i, r)
		}
		if i > 0 && r.Risk > got.TopRisks[i-1].Risk {
			t.Errorf("risks not ranked at %d", i)
		}
	}
	if got.TopRisks[0].Risk != fs[0].Risk {
		t.Errorf("top risk %v, top finding %v", got.TopRisks[0].Risk, fs[0].Risk)
	}
	for i, f := range fs {
		s := f.Score
		if f.Risk != s.Risk || len(s.Factors) < 3 {
			t.Errorf("finding %s: risk %v score %+v", f.Name, f.Risk, s)
		}
		if d := s.Risk - 100*s.Severity*s.Exploitability*s.Impact; d > 0.05 || d < -0.05 {
			t.Errorf("finding %s: risk %v is not 100 × its factors", f.Name, s.Risk)
		}
		if i > 0 && f.Risk > fs[i-1].Risk {
			t.Errorf("findings not ordered by risk at %d", i)
		}
	}
	// The private refund-worker root finding ranks last; the public export
	// outranks any authenticated or internal one.
	last := fs[len(fs)-1]
	if !strings.Contains(strings.ToLower(last.Name), "root") && last.Score.Exploitability > 0.2 {
		t.Errorf("lowest finding %q with exploitability %v", last.Name, last.Score.Exploitability)
	}
	k := got.Kpis
	if k.Findings != 9 || k.Open != 9 || k.OpenExploitableReachable != 8 || k.AutoTriaged != 1 || k.CriticalApplicationRisk != fs[0].Risk {
		t.Errorf("kpis %+v", k)
	}
	// minRisk filters by the same scores.
	var hi struct {
		Findings struct{ TotalCount int }
		Services struct {
			Nodes []struct {
				Name string
				Risk float64
			}
		}
	}
	e.ok(`query($m: Float!) { findings(filter: {minRisk: $m}) { totalCount } services(filter: {minRisk: $m}) { nodes { name risk } } }`,
		map[string]any{"m": fs[2].Risk}, &hi)
	if hi.Findings.TotalCount < 3 || hi.Findings.TotalCount >= len(fs) {
		t.Errorf("findings with risk ≥ %v: %d of %d", fs[2].Risk, hi.Findings.TotalCount, len(fs))
	}
	for _, s := range hi.Services.Nodes {
		if s.Risk < fs[2].Risk {
			t.Errorf("service %s risk %v under minRisk", s.Name, s.Risk)
		}
	}
	if len(hi.Services.Nodes) == 0 {
		t.Error("no service carries a top finding")
	}
}
