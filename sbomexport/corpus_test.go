package sbomexport

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"golang.org/x/mod/modfile"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/sbom"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/internal/testcorpus"
)

// An Online Boutique Go service, cataloged from its source tree by
// Discovery II and exported: the SBOM lists exactly the modules of its
// build list. The corpus keeps go.mod without go.sum; since Go 1.17 a
// go.mod lists every module the build needs (module graph pruning), so
// its require directives, parsed here with golang.org/x/mod, are the
// build list.
func TestCorpusGoServiceSBOM(t *testing.T) {
	root := filepath.Join(testcorpus.Dir(t), "online-boutique", "src")
	for _, name := range []string{"shippingservice", "productcatalogservice", "checkoutservice", "frontend"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(root, name)
			data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			if err != nil {
				t.Fatal(err)
			}
			mf, err := modfile.Parse("go.mod", data, nil)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, r := range mf.Require {
				want = append(want, "pkg:golang/"+r.Mod.Path+"@"+r.Mod.Version)
			}
			slices.Sort(want)

			ctx := context.Background()
			rel := "online-boutique/src/" + name
			c := discovery.NewCollector("prod")
			svc := graph.ServiceID("prod", name)
			c.AddNode("test", graph.Node{ID: svc, Kind: graph.Service, Name: name, Env: "prod", Props: graph.Props{"buildContext": rel}})
			if err := (sbom.DirAgent{}).ReadDir(ctx, dir, rel, c); err != nil {
				t.Fatal(err)
			}
			if err := (sbom.Linker{}).Link(ctx, c); err != nil {
				t.Fatal(err)
			}
			b, _ := c.Batch(graph.Scope{Source: "sbom", Key: rel}, "r1")
			st, err := memdb.Open("", memdb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if _, err := st.Apply(ctx, b); err != nil {
				t.Fatal(err)
			}
			v, err := st.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			f := mustFormat(t, "cyclonedx-json")
			doc, err := Export(ctx, v, "prod/"+name, Options{Format: f})
			if err != nil {
				t.Fatal(err)
			}
			validate(t, f, doc.Data)
			bom := decodeCDX(t, f, doc.Data)
			var got []string
			for _, comp := range *bom.Components {
				if comp.Type == cdx.ComponentTypeLibrary {
					got = append(got, comp.PackageURL)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("SBOM of %s lists %d modules, go.mod requires %d:\n got %v\nwant %v", name, len(got), len(want), got, want)
			}
		})
	}
}
