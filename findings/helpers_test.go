package findings

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
)

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func clock(t time.Time) func() time.Time { return func() time.Time { return t } }

func newStore(t testing.TB) *memdb.Store {
	t.Helper()
	s, err := memdb.Open("", memdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func apply(t testing.TB, s graph.Store, nodes []graph.Node, edges []graph.Edge) {
	t.Helper()
	if len(nodes)+len(edges) == 0 {
		return
	}
	_, err := s.Apply(context.Background(), graph.Batch{Scope: graph.Scope{Source: "test", Key: "estate"}, Run: "estate-1",
		Nodes: nodes, Edges: edges, ObservedAt: t0.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
}

func readInput(t testing.TB, path string) Input {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Input{Name: path, Data: data}
}

func pkgNode(purl, name, version, eco string) graph.Node {
	return graph.Node{ID: graph.PackageID(purl), Kind: graph.Package, Name: name + "@" + version,
		Props: graph.Props{"purl": purl, "name": name, "version": version, "ecosystem": eco}}
}

// matchingEstate builds the graph a discovery run over the scanned estate
// would have made: one service "app" (prod) whose source tree is the
// repository root, depending on a Package for every package finding — with
// the purl written the way an SBOM tool writes it, which differs from the
// scanner's (qualifiers, case, percent-encoding), so that matching goes
// through normalisation — a Service for every Kubernetes workload named by
// a finding, and a node carrying the Terraform address of every resource.
func matchingEstate(t testing.TB, s graph.Store, reports ...*Report) {
	t.Helper()
	app := graph.ServiceID("prod", "app")
	nodes := []graph.Node{{ID: app, Kind: graph.Service, Name: "app", Env: "prod", Props: graph.Props{"sourcePath": "."}}}
	var edges []graph.Edge
	seen := map[graph.ID]bool{app: true}
	addNode := func(n graph.Node) {
		if !seen[n.ID] {
			seen[n.ID] = true
			nodes = append(nodes, n)
		}
	}
	for _, r := range reports {
		for _, sc := range r.Scans {
			for _, f := range sc.Findings {
				switch {
				case f.Category == CategoryVulnerability && f.Purl != "":
					p := sbomStyle(f.Purl)
					n := pkgNode(p, f.PkgName, f.PkgVersion, "")
					addNode(n)
					e := graph.NewEdge(graph.DependsOn, app, n.ID)
					if !seen[e.ID] {
						seen[e.ID] = true
						edges = append(edges, e)
					}
				case f.Category == CategoryVulnerability && f.PkgName != "":
					n := pkgNode("pkg:generic/"+f.PkgName+"@"+f.PkgVersion, f.PkgName, f.PkgVersion, "generic")
					addNode(n)
				}
				if f.Product != "" {
					name, _, _ := strings.Cut(f.Product, "@")
					addNode(graph.Node{ID: graph.ApplicationID(name), Kind: graph.Application, Name: name})
				}
				if strings.Count(f.Resource, "/") == 2 {
					parts := strings.Split(f.Resource, "/")
					addNode(graph.Node{ID: graph.ServiceID("prod", parts[2]), Kind: graph.Service, Name: parts[2], Env: "prod",
						Props: graph.Props{"namespace": parts[1], "workload": parts[0]}})
				} else if f.Resource != "" {
					addNode(graph.Node{ID: graph.DataStoreID("prod", f.Resource), Kind: graph.DataStore, Name: f.Resource, Env: "prod",
						Props: graph.Props{"address": f.Resource}})
				}
			}
		}
	}
	apply(t, s, nodes, edges)
}

// sbomStyle rewrites a purl the way another tool might: qualifiers added,
// percent-encoded '+' and npm '@', upper-case names where the ecosystem is
// case-insensitive.
func sbomStyle(p string) string {
	n := NormalizePurl(p)
	switch {
	case strings.HasPrefix(n, "pkg:npm/@"):
		return strings.Replace(n, "pkg:npm/@", "pkg:npm/%40", 1) + "?package-id=sbom"
	case strings.HasPrefix(n, "pkg:pypi/"):
		name, ver, _ := strings.Cut(n[len("pkg:pypi/"):], "@")
		return "pkg:PyPI/" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "@" + ver + "?arch=any"
	case strings.HasPrefix(n, "pkg:deb/"):
		return strings.ReplaceAll(n, "+", "%2B") + "?arch=amd64&distro=from-sbom"
	}
	return n + "?sbom=1"
}

func corpusFiles(t testing.TB) []string {
	t.Helper()
	dir := corpusDir(t)
	var out []string
	for _, sub := range []string{"sarif", "grype", "trivy", "osv", "cyclonedx"} {
		fs, err := filepath.Glob(filepath.Join(dir, sub, "*"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fs...)
	}
	slices.Sort(out)
	if len(out) == 0 {
		t.Fatalf("no scanner outputs under %s", dir)
	}
	return out
}

func allFindings(t testing.TB, s graph.Store) map[graph.ID]graph.Node {
	t.Helper()
	ctx := context.Background()
	v, err := s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	out := map[graph.ID]graph.Node{}
	if err := eachNode(ctx, v, graph.NodeFilter{Kinds: []graph.Kind{graph.Finding}}, func(n *graph.Node) { out[n.ID] = *n }); err != nil {
		t.Fatal(err)
	}
	return out
}

func foundOn(t testing.TB, s graph.Store, id graph.ID) []graph.Node {
	t.Helper()
	ctx := context.Background()
	v, err := s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	var out []graph.Node
	if err := eachEdge(ctx, v, graph.EdgeFilter{Kinds: []graph.EdgeKind{graph.FoundOn}, From: id}, func(e *graph.Edge) {
		n, err := v.Node(ctx, e.To)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
