package scoring

import (
	"context"
	"fmt"
	"github.com/riskgraph/riskgraph/graph"
	"testing"
)

func TestSmokeDemo(t *testing.T) {
	e := demoEngine(t)
	ss, err := e.ScoreAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		fmt.Printf("%6.2f S=%.2f E=%.3f I=%.2f %s\n", s.Risk, s.Severity, s.Exploitability, s.Impact, e.name(context.Background(), s.Finding))
		for _, f := range s.Factors {
			fmt.Printf("        %-12s %.3f %s\n", f.Name, f.Value, f.Detail)
		}
	}
}

func TestSmokePaths(t *testing.T) {
	e := demoEngine(t)
	ps, err := e.AttackPaths(context.Background(), PathQuery{To: []graph.DataClass{graph.PII}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		fmt.Printf("%6.2f auth=%v %v %s\n", p.Score, p.Authenticated, p.DataClasses, pathText(p.Hops))
	}
}

func TestSmokeBlast(t *testing.T) {
	e := demoEngine(t)
	br, err := e.BlastRadiusOfVulnerability(context.Background(), "GHSA-jfh8-c2jp-5v3q", 6)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("score %v deps %v\nsvcs %v\nstores %v\nclasses %v\napps %v teams %v inet %v\n", br.Score, names(e, br.Dependents), names(e, br.Services), names(e, br.DataStores), br.DataClasses, names(e, br.Applications), names(e, br.Teams), names(e, br.InternetFacing))
	br, err = e.BlastRadius(context.Background(), []graph.ID{prodSvc("refund-worker")}, 0)
	for _, r := range br.Reached {
		fmt.Printf("  %d %s %s via %s %s\n", r.Depth, r.Kind, r.Name, r.Via, r.Lateral)
	}
}

func names(e *Engine, ids []graph.ID) []string {
	var out []string
	for _, id := range ids {
		out = append(out, e.name(context.Background(), id))
	}
	return out
}

func TestSmokeFlows(t *testing.T) {
	e := demoEngine(t)
	df, err := e.DataFlows(context.Background(), graph.PII)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("apis %d svcs %v\nstores %v\ntps %v\nsvc->tp %v\nsteps %d\n", len(df.APIs), names(e, df.Services), names(e, df.DataStores), names(e, df.ThirdParties), names(e, df.ServicesToThirdParties), len(df.Steps))
}

func TestSmokeRisks(t *testing.T) {
	e := demoEngine(t)
	rs, err := e.TopRisks(context.Background(), 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		fmt.Printf("%6.2f %v %s  [%s]\n", r.Risk, r.Toxic, r.Title, r.Key)
	}
	k, _ := e.KPIs(context.Background())
	fmt.Printf("%+v\n", k)
}
