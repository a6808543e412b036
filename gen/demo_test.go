package gen_test

// Tests of the demo estate (testdata/demo). They live here because `go test
// ./...` skips packages under testdata.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/testdata/demo"
)

// moduleRoot is where Source.File paths are relative to.
const moduleRoot = ".."

func demoIndex(t *testing.T) (graph.Batch, map[graph.ID]*graph.Node) {
	t.Helper()
	b := demo.Batch()
	if err := b.Validate(); err != nil {
		t.Fatalf("demo batch does not validate: %v", err)
	}
	nodes := map[graph.ID]*graph.Node{}
	for i := range b.Nodes {
		n := &b.Nodes[i]
		if _, dup := nodes[n.ID]; dup {
			t.Fatalf("node %s (%s %s) appears twice", n.ID, n.Kind, n.Name)
		}
		nodes[n.ID] = n
	}
	return b, nodes
}

func TestDemoBatchValidatesAndHasNoDanglingEdges(t *testing.T) {
	b, _ := demoIndex(t)
	if err := b.CheckEndpoints(func(graph.ID) bool { return false }); err != nil {
		t.Fatalf("demo batch has dangling edges: %v", err)
	}
	edges := map[graph.ID]bool{}
	for _, e := range b.Edges {
		if edges[e.ID] {
			t.Errorf("edge %s %s → %s appears twice", e.Kind, e.From, e.To)
		}
		edges[e.ID] = true
	}
	if b.Scope != (graph.Scope{Source: "demo", Key: "demo"}) || b.Run != "demo-1" || b.ObservedAt.IsZero() {
		t.Errorf("batch metadata = %v %v %v, want demo/demo demo-1 and a fixed time", b.Scope, b.Run, b.ObservedAt)
	}
}

func TestDemoBatchIsDeterministic(t *testing.T) {
	a, b := demo.Batch(), demo.Batch()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two calls of demo.Batch differ")
	}
	// Callers may modify a batch (Validate normalises in place): the next
	// call must not see it.
	a.Nodes[0].Name = "changed"
	a.Nodes[len(a.Nodes)-1].Props["tool"] = "changed"
	if c := demo.Batch(); !reflect.DeepEqual(b, c) {
		t.Fatal("modifying one batch changed the next")
	}
}

func count[T comparable](xs []T) map[T]int {
	m := map[T]int{}
	for _, x := range xs {
		m[x]++
	}
	return m
}

func TestDemoCountsAreRealistic(t *testing.T) {
	b, _ := demoIndex(t)
	var kinds []graph.Kind
	envs := map[string]int{}
	for _, n := range b.Nodes {
		kinds = append(kinds, n.Kind)
		if n.Kind == graph.Service {
			envs[n.Env]++
		}
	}
	k := count(kinds)
	for _, c := range []struct {
		kind     graph.Kind
		min, max int
	}{
		{graph.Internet, 1, 1}, {graph.Application, 3, 3}, {graph.Service, 22, 28}, {graph.API, 110, 140},
		{graph.Gateway, 3, 3}, {graph.DataStore, 8, 8}, {graph.Package, 40, 80}, {graph.Vulnerability, 8, 15},
		{graph.Finding, 5, 12}, {graph.Identity, 10, 30}, {graph.ThirdParty, 1, 5}, {graph.Team, 3, 6},
		{graph.Image, 20, 30}, {graph.Repository, 15, 25},
	} {
		if got := k[c.kind]; got < c.min || got > c.max {
			t.Errorf("%d %s nodes, want %d..%d", got, c.kind, c.min, c.max)
		}
	}
	if envs["prod"] < 15 || envs["staging"] < 5 || len(envs) != 2 {
		t.Errorf("services by env = %v, want most in prod, some in staging, nothing else", envs)
	}
	var eks []graph.EdgeKind
	for _, e := range b.Edges {
		eks = append(eks, e.Kind)
	}
	ek := count(eks)
	for _, kind := range graph.EdgeKinds {
		if ek[kind] == 0 {
			t.Errorf("no %s edges", kind)
		}
	}
	t.Logf("nodes by kind: %v", k)
	t.Logf("edges by kind: %v (total %d)", ek, len(b.Edges))
}

func TestDemoEveryAPIBelongsToOneServiceInItsEnv(t *testing.T) {
	b, nodes := demoIndex(t)
	exposedBy := map[graph.ID][]graph.ID{}
	for _, e := range b.Edges {
		if e.Kind == graph.Exposes {
			exposedBy[e.To] = append(exposedBy[e.To], e.From)
		}
	}
	for _, n := range b.Nodes {
		if n.Kind != graph.API {
			continue
		}
		svcs := exposedBy[n.ID]
		if len(svcs) != 1 {
			t.Errorf("API %s %s is exposed by %d services, want 1", n.Env, n.Name, len(svcs))
			continue
		}
		s := nodes[svcs[0]]
		if s.Kind != graph.Service || s.Env != n.Env {
			t.Errorf("API %s %s exposed by %s %s in env %q", n.Env, n.Name, s.Kind, s.Name, s.Env)
		}
		want := graph.APIID(s.ID, n.Props.String("method"), n.Props.String("path"))
		if n.ID != want {
			t.Errorf("API %s: id is not APIID(service, method, path)", n.Name)
		}
		if _, ok := n.Props["authenticated"].(bool); !ok {
			t.Errorf("API %s %s: authenticated = %#v, want a bool", n.Env, n.Name, n.Props["authenticated"])
		}
	}
}

// internetFacing returns the nodes reachable from the Internet over
// ROUTES_TO edges: the exposure rule the estate follows.
func internetFacing(b graph.Batch) map[graph.ID]bool {
	out := map[graph.ID][]graph.ID{}
	for _, e := range b.Edges {
		if e.Kind == graph.RoutesTo {
			out[e.From] = append(out[e.From], e.To)
		}
	}
	seen := map[graph.ID]bool{graph.InternetID: true}
	queue := []graph.ID{graph.InternetID}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, to := range out[id] {
			if !seen[to] {
				seen[to] = true
				queue = append(queue, to)
			}
		}
	}
	return seen
}

func TestDemoExposure(t *testing.T) {
	b, nodes := demoIndex(t)
	reach := internetFacing(b)
	var piiPublic []string
	for id := range reach {
		n := nodes[id]
		if n.Kind == graph.API && slices.Contains(n.DataClasses, graph.PII) {
			piiPublic = append(piiPublic, n.Env+" "+nodes[serviceOf(b, id)].Name+" "+n.Name)
		}
	}
	slices.Sort(piiPublic)
	t.Logf("internet-facing APIs touching PII (%d): %s", len(piiPublic), strings.Join(piiPublic, "; "))
	for _, want := range []string{
		"prod web-frontend POST /api/checkout",
		"prod customer-service GET /internal/customers/export", // the partner route's mistake
		"prod portal-web POST /api/register",
		"prod patient-service POST /v1/patients", // mobile app API through the gateway
		"staging web-frontend POST /api/signup",  // compose port 80 on all interfaces
	} {
		if !slices.Contains(piiPublic, want) {
			t.Errorf("%q is not an internet-facing PII API", want)
		}
	}
	for _, notWant := range []string{
		"prod order-service GET /v1/orders/{orderId}", // cluster-internal
		"prod payments-api POST /v1/payments",         // only /v1/webhooks is routed
		"staging payments-api POST /v1/payments",      // bound to 127.0.0.1
		"prod records-service GET /v1/records/search", // behind portal-web
		"prod auth-service GET /v1/userinfo",          // only /v1/token and /.well-known are routed
	} {
		if slices.Contains(piiPublic, notWant) {
			t.Errorf("%q is internet-facing, want internal", notWant)
		}
	}
	// The unauthenticated, internet-facing PII export is the estate's
	// headline risk; it must stay unauthenticated.
	exp := graph.APIID(graph.ServiceID("prod", "customer-service"), "GET", "/internal/customers/export")
	if n := nodes[exp]; n == nil || n.Props.Bool("authenticated") || !reach[exp] {
		t.Errorf("customer export: node %v, want an unauthenticated internet-facing API", n)
	}
	// Sensitive classes all occur on APIs.
	classes := map[graph.DataClass]bool{}
	for _, n := range b.Nodes {
		if n.Kind == graph.API {
			for _, c := range n.DataClasses {
				classes[c] = true
			}
		}
	}
	for _, c := range []graph.DataClass{graph.PII, graph.PCI, graph.PHI, graph.Credentials, graph.Financial} {
		if !classes[c] {
			t.Errorf("no API carries %s", c)
		}
	}
}

func serviceOf(b graph.Batch, api graph.ID) graph.ID {
	for _, e := range b.Edges {
		if e.Kind == graph.Exposes && e.To == api {
			return e.From
		}
	}
	return ""
}

func TestDemoVulnerabilitiesAreReal(t *testing.T) {
	b, nodes := demoIndex(t)
	affected := map[string][]string{}
	for _, e := range b.Edges {
		if e.Kind == graph.AffectedBy {
			affected[nodes[e.To].Name] = append(affected[nodes[e.To].Name], nodes[e.From].Props.String("purl"))
		}
	}
	for cve, purl := range map[string]string{
		"CVE-2021-44228": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
		"CVE-2021-23337": "pkg:npm/lodash@4.17.20",
		"CVE-2020-8840":  "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10.1",
		"CVE-2022-22965": "pkg:maven/org.springframework/spring-beans@5.3.17",
	} {
		if !slices.Contains(affected[cve], purl) {
			t.Errorf("%s affects %v, want %s", cve, affected[cve], purl)
		}
	}
	for _, n := range b.Nodes {
		switch n.Kind {
		case graph.Package:
			p := n.Props
			if !strings.HasPrefix(p.String("purl"), "pkg:"+p.String("ecosystem")+"/") ||
				!strings.HasSuffix(p.String("purl"), "@"+p.String("version")) || len(p.Strings("licenses")) == 0 {
				t.Errorf("package %s: inconsistent props %v", n.Name, p)
			}
		case graph.Vulnerability:
			if c := n.Props.Float("cvss"); c <= 0 || c > 10 || n.Props.String("severity") == "" {
				t.Errorf("vulnerability %s: cvss %v severity %q", n.Name, c, n.Props.String("severity"))
			}
		}
	}
	// log4j reaches a running service through DEPENDS_ON.
	log4j := graph.PackageID("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
	rec := graph.ServiceID("prod", "recommendation-service")
	found := false
	for _, e := range b.Edges {
		found = found || (e.Kind == graph.DependsOn && e.From == rec && e.To == log4j)
	}
	if !found {
		t.Error("recommendation-service does not depend on log4j-core 2.14.1")
	}
}

// TestDemoEvidencePointsAtTheRightLine checks every Source names an
// artifact, a line inside it, and that the line shows the claim.
func TestDemoEvidencePointsAtTheRightLine(t *testing.T) {
	b, _ := demoIndex(t)
	files := map[string][]string{}
	for _, f := range demo.Artifacts() {
		files[f.Path] = strings.Split(string(f.Data), "\n")
	}
	line := func(s graph.Source) (string, bool) {
		lines, ok := files[s.File]
		if !ok || s.Line < 1 || s.Line > len(lines) {
			return "", false
		}
		return lines[s.Line-1], true
	}
	check := func(what string, srcs []graph.Source, want func(l string) bool) {
		if len(srcs) == 0 {
			t.Errorf("%s has no evidence", what)
		}
		for _, s := range srcs {
			if s.Agent == "" {
				t.Errorf("%s: source without agent", what)
			}
			if s.File == "" {
				if s.Agent != "osv" {
					t.Errorf("%s: source %+v without file", what, s)
				}
				continue
			}
			l, ok := line(s)
			if !ok {
				t.Errorf("%s: source %s:%d is not a line of an artifact", what, s.File, s.Line)
				continue
			}
			if want != nil && !want(l) {
				t.Errorf("%s: %s:%d is %q", what, s.File, s.Line, l)
			}
		}
	}
	for _, n := range b.Nodes {
		var want func(string) bool
		switch n.Kind {
		case graph.Service, graph.Gateway:
			want = func(l string) bool { return strings.Contains(l, n.Name) }
		case graph.Image:
			// compose interpolates the registry from .env.
			_, repoTag, _ := strings.Cut(n.Name, "/")
			want = func(l string) bool { return strings.Contains(l, repoTag) }
		case graph.API:
			want = func(l string) bool {
				return strings.TrimSpace(l) == strings.ToLower(n.Props.String("method"))+":"
			}
		case graph.Package:
			want = func(l string) bool { return strings.Contains(l, n.Props.String("purl")) }
		case graph.Finding:
			want = func(l string) bool { return strings.Contains(l, n.Props.String("fingerprint")) }
		case graph.DataStore:
			want = func(l string) bool { return strings.Contains(l, n.Name) || strings.Contains(l, "CREATE TABLE") }
		}
		check(string(n.Kind)+" "+n.Name, n.Sources, want)
	}
	for _, e := range b.Edges {
		check(string(e.Kind)+" "+string(e.From)+"→"+string(e.To), e.Sources, nil)
	}
}

// TestDemoArtifactsAreCommitted fails when the files under testdata/demo
// are not what the estate renders: run `go generate ./testdata/demo`.
func TestDemoArtifactsAreCommitted(t *testing.T) {
	for _, f := range demo.Artifacts() {
		got, err := os.ReadFile(filepath.Join(moduleRoot, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Errorf("%v (run go generate ./testdata/demo)", err)
			continue
		}
		if !bytes.Equal(got, f.Data) {
			t.Errorf("%s differs from what demo renders (run go generate ./testdata/demo)", f.Path)
		}
	}
}

// TestDemoArtifactsParse reads every YAML and JSON artifact with a real
// parser, and checks the Kubernetes objects name their kind and the
// OpenAPI specs their security schemes.
func TestDemoArtifactsParse(t *testing.T) {
	kinds := map[string]int{}
	for _, f := range demo.Artifacts() {
		switch ext := filepath.Ext(f.Path); ext {
		case ".yaml":
			dec := yaml.NewDecoder(bytes.NewReader(f.Data))
			for i := 0; ; i++ {
				var doc map[string]any
				err := dec.Decode(&doc)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("%s document %d: %v", f.Path, i, err)
				}
				switch {
				case strings.Contains(f.Path, "/k8s/"):
					k, _ := doc["kind"].(string)
					if k == "" || doc["apiVersion"] == nil {
						t.Errorf("%s document %d: no kind or apiVersion", f.Path, i)
					}
					kinds[k]++
				case strings.Contains(f.Path, "/openapi/"):
					comp, _ := doc["components"].(map[string]any)
					if doc["openapi"] != "3.0.3" || comp["securitySchemes"] == nil {
						t.Errorf("%s: not an OpenAPI 3 spec with security schemes", f.Path)
					}
				case strings.Contains(f.Path, "/compose/"):
					if svcs, _ := doc["services"].(map[string]any); len(svcs) < 5 {
						t.Errorf("%s: %d compose services", f.Path, len(svcs))
					}
				}
			}
		case ".json", ".sarif":
			var v map[string]any
			if err := json.Unmarshal(f.Data, &v); err != nil {
				t.Errorf("%s: %v", f.Path, err)
			}
		}
	}
	for _, k := range []string{"Namespace", "Deployment", "Service", "ServiceAccount", "Ingress", "IngressClass", "NetworkPolicy"} {
		if kinds[k] == 0 {
			t.Errorf("no Kubernetes %s in the artifacts", k)
		}
	}
	t.Logf("Kubernetes objects: %v", kinds)
}

// TestDemoArtifactsKeepSecretsByReference: no secret value appears in the
// artifacts, only references.
func TestDemoArtifactsKeepSecretsByReference(t *testing.T) {
	for _, f := range demo.Artifacts() {
		s := string(f.Data)
		for _, bad := range []string{"sk_live_", "kind: Secret", "password=", "BEGIN PRIVATE KEY"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s contains %q", f.Path, bad)
			}
		}
	}
}

func TestDemoLoadsIntoMemdb(t *testing.T) {
	st, err := memdb.Open("", memdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	b := demo.Batch()
	res, err := st.Apply(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if res.NodesCreated != len(b.Nodes) || res.EdgesCreated != len(b.Edges) {
		t.Errorf("apply created %d nodes, %d edges; want %d, %d", res.NodesCreated, res.EdgesCreated, len(b.Nodes), len(b.Edges))
	}
	// Applying it again is an idempotent upsert.
	res, err = st.Apply(ctx, demo.Batch())
	if err != nil || res.NodesCreated != 0 || res.EdgesCreated != 0 {
		t.Errorf("second apply: %+v, %v; want nothing created", res, err)
	}
	v, err := st.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	s, err := v.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Nodes != len(b.Nodes) || s.Edges != len(b.Edges) {
		t.Errorf("stats %d nodes, %d edges; want %d, %d", s.Nodes, s.Edges, len(b.Nodes), len(b.Edges))
	}
}
