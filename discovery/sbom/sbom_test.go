package sbom

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/internal/testcorpus"
)

func corpusDir(t testing.TB) string { return testcorpus.Dir(t) }

func purls(c *discovery.Collector) []string {
	var out []string
	for _, n := range c.Nodes(graph.Package) {
		out = append(out, n.Props.String("purl"))
	}
	slices.Sort(out)
	return out
}

func TestDemoSBOMFile(t *testing.T) {
	data, err := os.ReadFile("../../testdata/demo/sbom/cart-service.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	f := &discovery.File{Path: "sbom/cart-service.cdx.json", Data: data}
	if !(Agent{}).Detect(f) {
		t.Fatal("demo CycloneDX SBOM not detected")
	}
	c := discovery.NewCollector("prod")
	svc := graph.ServiceID("prod", "cart-service")
	c.AddNode("k8s", graph.Node{ID: svc, Kind: graph.Service, Name: "cart-service", Env: "prod"})
	if err := (Agent{}).Read(context.Background(), f, c); err != nil {
		t.Fatal(err)
	}
	want := []string{"pkg:golang/github.com/gin-gonic/gin@v1.9.1", "pkg:golang/github.com/redis/go-redis/v9@v9.0.5",
		"pkg:golang/go.uber.org/multierr@v1.11.0", "pkg:golang/go.uber.org/zap@v1.24.0",
		"pkg:golang/golang.org/x/net@v0.7.0", "pkg:golang/golang.org/x/text@v0.7.0"}
	if got := purls(c); !slices.Equal(got, want) {
		t.Fatalf("purls = %v, want %v", got, want)
	}
	gin, _ := c.Node(graph.PackageID(want[0]))
	if gin.Name != "github.com/gin-gonic/gin@v1.9.1" || gin.Props.String("ecosystem") != "golang" ||
		!slices.Equal(gin.Props.Strings("licenses"), []string{"MIT"}) {
		t.Fatalf("gin node = %+v", gin)
	}
	repo := graph.RepositoryID("github.com/larkspur/cart-service")
	if _, ok := c.Node(repo); !ok {
		t.Fatal("no Repository anchor from the SBOM's vcs reference")
	}
	if err := (Linker{}).Link(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	// zap is direct, multierr only through zap: the demo's dependency graph
	e, ok := c.Edge(graph.EdgeID(graph.DependsOn, svc, graph.PackageID("pkg:golang/go.uber.org/zap@v1.24.0")))
	if !ok || e.Sources[0].Detail == "" {
		t.Fatalf("service → zap edge missing or without a guess note: %+v", e)
	}
	if _, ok := c.Edge(graph.EdgeID(graph.DependsOn, svc, graph.PackageID("pkg:golang/go.uber.org/multierr@v1.11.0"))); ok {
		t.Fatal("transitive multierr attached directly to the service")
	}
	if _, ok := c.Edge(graph.EdgeID(graph.DependsOn, graph.PackageID("pkg:golang/go.uber.org/zap@v1.24.0"),
		graph.PackageID("pkg:golang/go.uber.org/multierr@v1.11.0"))); !ok {
		t.Fatal("zap → multierr edge missing")
	}
}

func TestScanFixtureTrees(t *testing.T) {
	cases := []struct {
		dir  string
		want []string
	}{
		{"testdata/gomod", []string{"pkg:golang/github.com/gin-gonic/gin@v1.9.1", "pkg:golang/go.uber.org/zap@v1.24.0"}},
		{"testdata/npm", []string{"pkg:npm/express@4.17.1", "pkg:npm/qs@6.7.0", "pkg:npm/web@1.0.0"}},
		{"testdata/py", []string{"pkg:pypi/requests@2.28.1", "pkg:pypi/urllib3@1.26.12"}},
	}
	for _, tc := range cases {
		t.Run(tc.dir, func(t *testing.T) {
			if !(DirAgent{}).DetectDir(tc.dir) {
				t.Fatal("not detected")
			}
			c := discovery.NewCollector("prod")
			if err := (DirAgent{}).ReadDir(context.Background(), tc.dir, tc.dir, c); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range purls(c) {
				if p != "" && !slices.Contains(got, p) {
					got = append(got, p)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("purls:\n got  %q\n want %q", got, tc.want)
			}
		})
	}
}

func TestMissingPurl(t *testing.T) {
	doc := `SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: legacy
DocumentNamespace: https://example.com/legacy
Creator: Tool: hand
Created: 2026-01-01T00:00:00Z

PackageName: libfoo
SPDXID: SPDXRef-libfoo
PackageVersion: 1.2.3
PackageDownloadLocation: NOASSERTION
PackageLicenseConcluded: MIT
`
	p, err := Decode("legacy.spdx", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if p.NoPurl != 1 || len(p.Packages) != 1 || p.Packages[0].Purl != "" || p.Packages[0].Name != "libfoo" {
		t.Fatalf("parsed = %+v", p)
	}
	if p.Packages[0].ID != graph.PackageID(NoPurlKey(p.Packages[0].Ecosystem, "libfoo", "1.2.3")) {
		t.Fatalf("id not name-based: %+v", p.Packages[0])
	}
}

func TestCorpusSBOMs(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "sboms")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) < 60 {
		t.Fatalf("expected the 66-SBOM set, found %d files", len(files))
	}
	c := discovery.NewCollector("prod")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := (Agent{}).Read(context.Background(), &discovery.File{Path: filepath.Base(f), Data: data}, c); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	n, e := c.Len()
	t.Logf("66 SBOMs: %d nodes, %d edges", n, e)
	if pk := len(c.Nodes(graph.Package)); pk < 4000 {
		t.Fatalf("only %d packages from the corpus (README: 4,164 distinct)", pk)
	}
}

func BenchmarkSBOMIngestCorpus(b *testing.B) {
	dir := filepath.Join(corpusDir(b), "sboms")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	var datas [][]byte
	for _, f := range files {
		d, _ := os.ReadFile(f)
		datas = append(datas, d)
	}
	for b.Loop() {
		c := discovery.NewCollector("prod")
		for i, d := range datas {
			if err := (Agent{}).Read(context.Background(), &discovery.File{Path: files[i], Data: d}, c); err != nil {
				b.Fatal(err)
			}
		}
	}
}
