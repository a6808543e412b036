package findings

import (
	"context"
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// genGrype writes a Grype 0.9x report in the shape of the corpus files
// (artifact with purl and locations, vulnerability with cvss[], fix,
// relatedVulnerabilities) with pkgs packages and perPkg advisories each,
// advisories drawn from a pool so that vulnerabilities are shared.
func genGrype(pkgs, perPkg int) ([]byte, []graph.Node, []graph.Edge) {
	type m = map[string]any
	ecos := []struct{ typ, purlFmt string }{
		{"npm", "pkg:npm/%s@%s"}, {"python", "pkg:pypi/%s@%s"}, {"deb", "pkg:deb/debian/%s@%s?arch=amd64&distro=debian-12"}, {"java-archive", "pkg:maven/org.example/%s@%s"},
	}
	sevs := []string{"Critical", "High", "Medium", "Low", "Negligible"}
	var matches []any
	var nodes []graph.Node
	var edges []graph.Edge
	svcs := 100
	for s := 0; s < svcs; s++ {
		nodes = append(nodes, graph.Node{ID: graph.ServiceID("prod", fmt.Sprintf("svc-%03d", s)), Kind: graph.Service, Name: fmt.Sprintf("svc-%03d", s), Env: "prod"})
	}
	pool := pkgs * perPkg / 10
	for p := 0; p < pkgs; p++ {
		e := ecos[p%len(ecos)]
		name, ver := fmt.Sprintf("lib-%05d", p), fmt.Sprintf("1.%d.%d", p%7, p%13)
		purl := fmt.Sprintf(e.purlFmt, name, ver)
		pn := pkgNode(NormalizePurl(purl), name, ver, "")
		nodes = append(nodes, pn)
		edges = append(edges, graph.NewEdge(graph.DependsOn, graph.ServiceID("prod", fmt.Sprintf("svc-%03d", p%svcs)), pn.ID))
		for k := 0; k < perPkg; k++ {
			n := (p*perPkg + k*7919) % pool
			cve := fmt.Sprintf("CVE-20%02d-%05d", 15+n%10, n)
			matches = append(matches, m{
				"vulnerability": m{
					"id": cve, "dataSource": "https://nvd.nist.gov/vuln/detail/" + cve, "namespace": "nvd:cpe",
					"severity":    sevs[n%len(sevs)],
					"description": "A flaw in " + name + " allows remote attackers to cause a denial of service.",
					"cvss":        []any{m{"version": "3.1", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "metrics": m{"baseScore": 7.5}}},
					"fix":         m{"versions": []any{"2.0.0"}, "state": "fixed"},
					"urls":        []any{"https://example.org/" + cve},
				},
				"relatedVulnerabilities": []any{m{"id": fmt.Sprintf("GHSA-%04x-gen%d", n, n%10), "severity": sevs[n%len(sevs)]}},
				"matchDetails":           []any{m{"type": "exact-direct-match", "matcher": "stock-matcher"}},
				"artifact": m{"id": fmt.Sprintf("%016x", p), "name": name, "version": ver, "type": e.typ, "purl": purl,
					"locations": []any{m{"path": "/app/lib/" + name, "layerID": "sha256:0000"}}, "language": "", "licenses": []any{}},
			})
		}
	}
	doc := m{"matches": matches, "source": m{"type": "image", "target": m{"userInput": "registry.example/app:1.0"}},
		"descriptor": m{"name": "grype", "version": "0.96.0"}}
	data, _ := json.Marshal(doc)
	return data, nodes, edges
}

// BenchmarkImport: 100,000 generated findings (20,000 packages × 5
// advisories from a pool of 10,000) imported and correlated into an
// estate that has every package; then the same report re-imported, which
// must change nothing. Reported: seconds for each step.
func BenchmarkImport(b *testing.B) {
	ctx := context.Background()
	data, nodes, edges := genGrype(20000, 5)
	in := Input{Name: "generated-grype.json", Data: data}
	b.ReportMetric(float64(len(data))/(1<<20), "MiB-input")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := newStore(b)
		for j := 0; j < len(nodes); j += 40000 {
			apply(b, s, nodes[j:min(j+40000, len(nodes))], nil)
		}
		apply(b, s, nil, edges)
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		sum, err := Import(ctx, s, []Input{in}, Options{Now: clock(t0)})
		if err != nil {
			b.Fatal(err)
		}
		first, firstCPU := time.Since(start), cpuTime()-cpu0
		if sum.Findings != 100000 || len(sum.Unresolved) != 0 {
			b.Fatalf("%d findings, %d unresolved", sum.Findings, len(sum.Unresolved))
		}
		start, cpu0 = time.Now(), cpuTime()
		again, err := Import(ctx, s, []Input{in}, Options{Now: clock(t0.Add(time.Hour))})
		if err != nil {
			b.Fatal(err)
		}
		second, secondCPU := time.Since(start), cpuTime()-cpu0
		r := again.Result
		if r.NodesCreated != 0 || r.EdgesCreated != 0 || r.Deleted != 0 || again.New != 0 || again.Fixed != 0 {
			b.Fatalf("re-import changed the graph: %+v", r)
		}
		b.ReportMetric(first.Seconds(), "import-s")
		b.ReportMetric(second.Seconds(), "reimport-s")
		b.ReportMetric(firstCPU.Seconds(), "import-cpu-s")
		b.ReportMetric(secondCPU.Seconds(), "reimport-cpu-s")
		b.ReportMetric(float64(sum.Result.NodesCreated+sum.Result.EdgesCreated), "elements")
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

// cpuTime is the CPU time (user and system, all threads) the process has
// used: on a machine shared by other builds, wall time mostly measures the
// others.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
