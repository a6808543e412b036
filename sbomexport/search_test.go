package sbomexport

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/sbom"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/internal/purlrange"
	"github.com/riskgraph/riskgraph/internal/testcorpus"
)

// naiveDependents answers the same question from a full edge listing,
// without Walk: the reference the search is checked against.
func naiveDependents(t testing.TB, v graph.View, pkgs []graph.ID) []graph.ID {
	ctx := context.Background()
	rev := map[graph.ID][]graph.ID{}
	p := graph.Page{Limit: graph.MaxPageLimit}
	for {
		pg, err := v.Edges(ctx, graph.EdgeFilter{Kinds: []graph.EdgeKind{graph.DependsOn, graph.RunsImage}}, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range pg.Edges {
			rev[e.To] = append(rev[e.To], e.From)
		}
		if !pg.HasMore {
			break
		}
		p.After = pg.End
	}
	seen := map[graph.ID]bool{}
	stack := slices.Clone(pkgs)
	var out []graph.ID
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, from := range rev[n] {
			if seen[from] {
				continue
			}
			seen[from] = true
			stack = append(stack, from)
			if k, _ := from.KindOf(); k == graph.Service || k == graph.Image {
				out = append(out, from)
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestSearchVersionRange(t *testing.T) {
	v := estate(t)
	ctx := context.Background()
	r, err := purlrange.Parse("pkg:maven/org.apache.logging.log4j/log4j-core@<2.17.1")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := Search(ctx, v, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Package.Props.String("purl") != "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1" {
		t.Fatalf("matches %+v", ms)
	}
	var names []string
	for _, s := range ms[0].Services {
		names = append(names, s.Env+"/"+s.Name)
	}
	if !slices.Contains(names, "prod/recommendation-service") {
		t.Errorf("log4j-core services %v", names)
	}
	// a fixed range finds nothing
	r2, _ := purlrange.Parse("pkg:maven/org.apache.logging.log4j/log4j-core@>=2.17.1")
	if ms, _ := Search(ctx, v, r2); len(ms) != 0 {
		t.Errorf(">=2.17.1 matched %v", ms)
	}
	// transitive, through a package and through an image
	r3, _ := purlrange.Parse("pkg:npm/minimist@<1.2.6")
	ms, err = Search(ctx, v, r3)
	if err != nil || len(ms) != 1 {
		t.Fatalf("minimist: %v %+v", err, ms)
	}
	var got []graph.ID
	for _, n := range append(ms[0].Services, ms[0].Images...) {
		got = append(got, n.ID)
	}
	slices.Sort(got)
	want := naiveDependents(t, v, []graph.ID{ms[0].Package.ID})
	if !slices.Equal(got, want) || !slices.Contains(got, reporterID) || !slices.Contains(got, orphanImg) {
		t.Errorf("minimist dependents %v, want %v (with batch-reporter and the migrator image)", got, want)
	}
}

// corpusStore ingests the 66 corpus SBOMs with Discovery II and gives each
// source-tree SBOM a service, linked the way the sbom Linker links a
// compose build context.
func corpusStore(t testing.TB) graph.View {
	dir := filepath.Join(testcorpus.Dir(t), "sboms")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) < 60 {
		t.Fatalf("expected the 66-SBOM set in %s, found %d", dir, len(files))
	}
	ctx := context.Background()
	c := discovery.NewCollector("prod")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel := filepath.Base(f)
		if err := (sbom.Agent{}).Read(ctx, &discovery.File{Path: rel, Data: data}, c); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		c.AddNode("test", graph.Node{ID: graph.ServiceID("prod", rel), Kind: graph.Service, Name: rel, Env: "prod",
			Props: graph.Props{"buildContext": rel}})
	}
	if err := (sbom.Linker{}).Link(ctx, c); err != nil {
		t.Fatal(err)
	}
	b, dangling := c.Batch(graph.Scope{Source: "sbom", Key: "corpus"}, "r1")
	if len(dangling) > 0 {
		t.Fatalf("%d dangling edges", len(dangling))
	}
	st, err := memdb.Open("", memdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	v, err := st.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// mostShared is the package the most SBOMs list (by its evidence), a worst
// case for the dependents question.
func mostShared(t testing.TB, v graph.View) graph.ID {
	ctx := context.Background()
	var best graph.ID
	bestN := 0
	p := graph.Page{Limit: graph.MaxPageLimit}
	for {
		pg, err := v.Nodes(ctx, graph.NodeFilter{Kinds: []graph.Kind{graph.Package}}, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range pg.Nodes {
			if len(n.Sources) > bestN {
				best, bestN = n.ID, len(n.Sources)
			}
		}
		if !pg.HasMore {
			break
		}
		p.After = pg.End
	}
	return best
}

func TestCorpusDependents(t *testing.T) {
	v := corpusStore(t)
	ctx := context.Background()
	st, _ := v.Stats(ctx)
	if st.NodesByKind[graph.Package] < 4000 {
		t.Fatalf("only %d packages from the corpus", st.NodesByKind[graph.Package])
	}
	pk := mostShared(t, v)
	got, err := Dependents(ctx, v, []graph.ID{pk})
	if err != nil {
		t.Fatal(err)
	}
	want := naiveDependents(t, v, []graph.ID{pk})
	if len(want) < 10 || !slices.Equal(got, want) {
		t.Fatalf("dependents of %s: %d, reference %d", pk, len(got), len(want))
	}
	t.Logf("%s: %d services and images", pk, len(got))
}

// BenchmarkDependents: every service and image that depends on the most
// shared package of the 66-SBOM corpus (~6,200 components), directly or
// transitively. Target ≤ 10 ms.
func BenchmarkDependents(b *testing.B) {
	v := corpusStore(b)
	ctx := context.Background()
	pk := mostShared(b, v)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Dependents(ctx, v, []graph.ID{pk}); err != nil {
			b.Fatal(err)
		}
	}
}
