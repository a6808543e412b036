package sbom

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

// bigCycloneDX returns a CycloneDX 1.6 JSON document with n library
// components in a chain of dependencies under one application subject.
func bigCycloneDX(n int) []byte {
	type ref struct {
		Ref  string   `json:"ref"`
		Deps []string `json:"dependsOn"`
	}
	comps := make([]map[string]any, n)
	deps := []ref{{Ref: "app", Deps: []string{"pkg:npm/p0@1.0.0"}}}
	for i := range n {
		purl := fmt.Sprintf("pkg:npm/p%d@1.0.0", i)
		comps[i] = map[string]any{"type": "library", "bom-ref": purl, "name": fmt.Sprintf("p%d", i), "version": "1.0.0",
			"purl": purl, "licenses": []any{map[string]any{"license": map[string]any{"id": "MIT"}}}}
		if i+1 < n {
			deps = append(deps, ref{Ref: purl, Deps: []string{fmt.Sprintf("pkg:npm/p%d@1.0.0", i+1)}})
		}
	}
	doc := map[string]any{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
		"metadata":   map[string]any{"component": map[string]any{"type": "application", "bom-ref": "app", "name": "big"}},
		"components": comps, "dependencies": deps}
	data, _ := json.Marshal(doc)
	return data
}

func TestBigCycloneDX(t *testing.T) {
	p, err := Decode("big.cdx.json", bigCycloneDX(200))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Packages) != 200 || len(p.Direct) != 1 || p.Direct[0] != graph.PackageID("pkg:npm/p0@1.0.0") || len(p.Deps) != 199 {
		t.Fatalf("packages %d, direct %v, deps %d", len(p.Packages), p.Direct, len(p.Deps))
	}
}

// BenchmarkSBOMIngest: a 10,000-component CycloneDX SBOM decoded with
// syft's decoder and collected as nodes and edges.
func BenchmarkSBOMIngest(b *testing.B) {
	data := bigCycloneDX(10000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		c := discovery.NewCollector("prod")
		if err := (Agent{}).Read(context.Background(), &discovery.File{Path: "big.cdx.json", Data: data}, c); err != nil {
			b.Fatal(err)
		}
	}
}
