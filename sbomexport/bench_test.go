package sbomexport

import (
	"context"
	"fmt"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
)

// bigService is a service with n packages: n/10 direct dependencies, each
// package depending on up to three later ones (about 2.7 edges a package,
// a node_modules-like tree), with licenses.
func bigService(b testing.TB, n int) (graph.View, graph.ID) {
	ctx := context.Background()
	svc := graph.ServiceID("prod", "monolith")
	batch := graph.Batch{Scope: graph.Scope{Source: "bench", Key: "big"}, Run: "r1",
		Nodes: []graph.Node{{ID: svc, Kind: graph.Service, Name: "monolith", Env: "prod"}}}
	ids := make([]graph.ID, n)
	lic := []string{"MIT", "Apache-2.0", "BSD-3-Clause", "ISC"}
	for i := range n {
		name := fmt.Sprintf("pkg-%04d", i)
		ver := fmt.Sprintf("%d.%d.%d", 1+i%7, i%13, i%5)
		purl := "pkg:npm/@bench/" + name + "@" + ver
		ids[i] = graph.PackageID(purl)
		batch.Nodes = append(batch.Nodes, graph.Node{ID: ids[i], Kind: graph.Package, Name: "@bench/" + name + "@" + ver,
			Props: graph.Props{"purl": purl, "name": "@bench/" + name, "version": ver, "ecosystem": "npm", "licenses": []string{lic[i%4]}}})
	}
	for i := range n {
		if i%10 == 0 {
			batch.Edges = append(batch.Edges, graph.NewEdge(graph.DependsOn, svc, ids[i]))
		}
		for _, d := range []int{i + 1, i + 7, i + 31} {
			if d < n && (d != i+31 || i%3 == 0) {
				batch.Edges = append(batch.Edges, graph.NewEdge(graph.DependsOn, ids[i], ids[d]))
			}
		}
	}
	st, err := memdb.Open("", memdb.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.Apply(ctx, batch); err != nil {
		b.Fatal(err)
	}
	v, err := st.Read(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { v.Close() })
	return v, svc
}

// BenchmarkSBOMExport: a 5,000-component service as CycloneDX JSON, from
// the store to the encoded document. Target ≤ 1 s.
func BenchmarkSBOMExport(b *testing.B) {
	v, svc := bigService(b, 5000)
	ctx := context.Background()
	f := Format{Name: "cyclonedx-json", Version: "1.6"}
	var size int
	cpu0 := cpuTime()
	for b.Loop() {
		doc, err := Export(ctx, v, string(svc), Options{Format: f})
		if err != nil {
			b.Fatal(err)
		}
		if doc.Components != 5000 {
			b.Fatalf("%d components", doc.Components)
		}
		size = len(doc.Data)
	}
	b.ReportMetric(float64(size)/1e6, "MB/doc")
	// CPU time (all threads, GC included) tells the cost on a machine
	// shared with other builds, where wall time mostly measures waiting.
	b.ReportMetric(float64(cpuTime()-cpu0)/1e6/float64(b.N), "cpu-ms/op")
}

func TestBigServiceExportIsComplete(t *testing.T) {
	if testing.Short() {
		t.Skip("5,000 packages; skipped with -short")
	}
	v, svc := bigService(t, 5000)
	f := Format{Name: "cyclonedx-json", Version: "1.6"}
	doc, err := Export(context.Background(), v, string(svc), Options{Format: f})
	if err != nil {
		t.Fatal(err)
	}
	validate(t, f, doc.Data)
	bom := decodeCDX(t, f, doc.Data)
	edges := 0
	for _, d := range *bom.Dependencies {
		edges += len(*d.Dependencies)
	}
	// 500 direct + 4,999 (i→i+1) + 4,993 (i→i+7) + 1,657 (i→i+31, every third)
	if len(*bom.Components) != 5000 || edges != 500+4999+4993+1657 {
		t.Fatalf("%d components, %d dependency links", len(*bom.Components), edges)
	}
}
