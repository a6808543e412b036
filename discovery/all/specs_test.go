package all

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/discovery/internal/runtest"
	"github.com/riskgraph/riskgraph/graph"
	demo "github.com/riskgraph/riskgraph/testdata/demo"
)

// moduleRoot walks up from the package directory to the directory holding
// go.mod.
func moduleRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the package directory")
		}
		dir = parent
	}
}

// runDemo runs the spec agents over the demo's compose, OpenAPI and SQL
// artifacts as `riskgraph discover --env staging` would.
func runDemo(t *testing.T) *runtest.Result {
	t.Helper()
	root := moduleRoot(t)
	var roots []string
	for _, d := range []string{"compose", "openapi", "sql"} {
		roots = append(roots, filepath.Join(root, demo.Root, d))
	}
	res, err := runtest.Run(context.Background(), "staging", root, roots, specAgents(), specLinkers())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		t.Errorf("unexpected file error: %v", e)
	}
	checkBatch(t, res)
	return res
}

func sortedCopy(s []string) []string { s = slices.Clone(s); sort.Strings(s); return s }

// TestDemoStaging compares what the compose, OpenAPI and SQL agents find
// in the demo's staging artifacts with the demo batch: every staging
// service, API, data store and the edges between them, with the
// properties and data classes the conventions define.
func TestDemoStaging(t *testing.T) {
	res := runDemo(t)
	want := demo.Batch()
	got := res.C
	checked := map[graph.Kind]int{}
	for _, wn := range want.Nodes {
		if wn.Env != "staging" || (wn.Kind != graph.Service && wn.Kind != graph.API && wn.Kind != graph.DataStore) {
			continue
		}
		gn, ok := got.Node(wn.ID)
		if !ok {
			t.Errorf("%s %s (%s) not found", wn.Kind, wn.Name, wn.ID)
			continue
		}
		checked[wn.Kind]++
		var keys []string
		switch wn.Kind {
		case graph.Service:
			keys = []string{"workload", "namespace", "replicas", "image", "port", "secretRefs"}
		case graph.API:
			keys = []string{"method", "path", "operationId", "summary", "authenticated", "protocol", "requestFields", "responseFields"}
			if len(wn.Sources) > 0 && !hasSource(gn.Sources, wn.Sources[0]) {
				t.Errorf("%s: evidence %v missing from %v", wn.Name, wn.Sources[0], gn.Sources)
			}
		case graph.DataStore:
			keys = []string{"engine", "host", "port", "managed", "encrypted", "tables"}
		}
		for _, k := range keys {
			w, g := wn.Props[k], gn.Props[k]
			if ws, ok := w.([]string); ok {
				w, g = sortedCopy(ws), sortedCopy(gn.Props.Strings(k))
			}
			if !propEqual(w, g) {
				t.Errorf("%s %s: %s = %v, want %v", wn.Kind, wn.Name, k, g, w)
			}
		}
		// A cache's classes are "what is put there", which no compose file
		// says; everything else is derived from fields and columns.
		if wn.Kind == graph.DataStore && len(wn.Props.Strings("tables")) == 0 {
			continue
		}
		if !slices.Equal(gn.DataClasses, wn.DataClasses) {
			t.Errorf("%s %s: data classes %v, want %v (evidence %v)", wn.Kind, wn.Name, gn.DataClasses, wn.DataClasses, gn.Props["classEvidence"])
		}
	}
	if checked[graph.Service] != 7 || checked[graph.API] < 35 || checked[graph.DataStore] != 2 {
		t.Errorf("checked %v, want 7 services, 35+ APIs, 2 data stores", checked)
	}
	edgeKinds := []graph.EdgeKind{graph.RoutesTo, graph.Exposes, graph.Calls, graph.Reads, graph.Writes, graph.RunsImage, graph.PartOf, graph.OwnedBy}
	nEdges := 0
	for _, we := range want.Edges {
		// Application → Team ownership comes from Kubernetes namespaces.
		if fn, _ := findNode(want, we.From); fn.Kind == graph.Application {
			continue
		}
		if !slices.Contains(edgeKinds, we.Kind) || !stagingEnd(want, we.From) || !stagingEnd(want, we.To) {
			continue
		}
		nEdges++
		ge, ok := got.Edge(we.ID)
		if !ok {
			t.Errorf("edge %s %s -> %s not found", we.Kind, demoName(want, we.From), demoName(want, we.To))
			continue
		}
		for k, w := range we.Props {
			if !propEqual(ge.Props[k], w) {
				t.Errorf("edge %s %s -> %s: %s = %v, want %v", we.Kind, demoName(want, we.From), demoName(want, we.To), k, ge.Props[k], w)
			}
		}
		if (we.Kind == graph.Reads || we.Kind == graph.Writes) && len(storeTables(want, we.To)) > 0 && !slices.Equal(ge.DataClasses, we.DataClasses) {
			t.Errorf("edge %s %s -> %s: classes %v, want %v", we.Kind, demoName(want, we.From), demoName(want, we.To), ge.DataClasses, we.DataClasses)
		}
	}
	t.Logf("compared %v nodes and %d edges with the demo batch", checked, nEdges)
	if nEdges < 80 {
		t.Errorf("compared %d staging edges, want the demo's 80+", nEdges)
	}
	// Nothing invented: every staging service is in the demo, or was
	// created from a spec no deployment matched, and says so.
	for _, n := range got.Nodes(graph.Service) {
		if _, ok := findNode(want, n.ID); ok {
			continue
		}
		if len(n.Sources) == 0 || !strings.Contains(n.Sources[0].Detail, "service created from the spec") {
			t.Errorf("service %s/%s is not in the demo and not marked as created from a spec: %v", n.Env, n.Name, n.Sources)
		}
	}
}

// TestDemoProdDDL checks that DDL files under sql/prod attach to (create)
// the prod data stores with the demo's tables and classes.
func TestDemoProdDDL(t *testing.T) {
	res := runDemo(t)
	want := demo.Batch()
	for _, name := range []string{"shop-db", "payments-db", "health-db"} {
		id := graph.DataStoreID("prod", name)
		wn, ok := findNode(want, id)
		if !ok {
			t.Fatalf("demo has no prod %s", name)
		}
		gn, ok := res.C.Node(id)
		if !ok {
			t.Errorf("prod %s not created from its DDL", name)
			continue
		}
		if !slices.Equal(sortedCopy(gn.Props.Strings("tables")), sortedCopy(wn.Props.Strings("tables"))) {
			t.Errorf("prod %s tables %v, want %v", name, gn.Props.Strings("tables"), wn.Props.Strings("tables"))
		}
		if !slices.Equal(gn.DataClasses, wn.DataClasses) {
			t.Errorf("prod %s classes %v, want %v", name, gn.DataClasses, wn.DataClasses)
		}
		if !strings.Contains(gn.Sources[0].Detail, "created from the DDL") {
			t.Errorf("prod %s evidence does not say it was created from the DDL: %v", name, gn.Sources)
		}
	}
}

func hasSource(ss []graph.Source, w graph.Source) bool {
	for _, s := range ss {
		if s.File == w.File && s.Line == w.Line && s.Agent == w.Agent {
			return true
		}
	}
	return false
}

func propEqual(a, b any) bool {
	switch x := a.(type) {
	case []string:
		y, ok := b.([]string)
		return ok && slices.Equal(x, y)
	case []int64:
		y, ok := b.([]int64)
		return ok && slices.Equal(x, y)
	}
	return a == b
}

func findNode(b graph.Batch, id graph.ID) (graph.Node, bool) {
	for _, n := range b.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return graph.Node{}, false
}

func stagingEnd(b graph.Batch, id graph.ID) bool {
	if id == graph.InternetID {
		return true
	}
	n, ok := findNode(b, id)
	if !ok {
		return false
	}
	switch n.Kind {
	case graph.Application, graph.Team, graph.Image:
		return true
	}
	return n.Env == "staging"
}

func demoName(b graph.Batch, id graph.ID) string {
	if n, ok := findNode(b, id); ok {
		return n.Env + "/" + n.Name
	}
	return string(id)
}

func storeTables(b graph.Batch, id graph.ID) []string {
	n, _ := findNode(b, id)
	return n.Props.Strings("tables")
}
