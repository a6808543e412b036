package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/api"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/internal/auth"
	"github.com/riskgraph/riskgraph/internal/client"
	"github.com/riskgraph/riskgraph/internal/server"
	"github.com/riskgraph/riskgraph/testdata/demo"
)

const (
	readTok   = "read-token-0123456789abcdef"
	ingestTok = "ingest-token-0123456789abcdef"
	adminTok  = "admin-token-0123456789abcdef"
)

type env struct {
	t     *testing.T
	url   string
	store graph.Store
	batch graph.Batch
}

// newEnv serves the demo estate through the full stack (auth, limits,
// GraphQL) on a loopback test server.
func newEnv(t *testing.T, lim api.Limits) *env {
	t.Helper()
	return newEnvWith(t, api.Options{Limits: lim})
}

// newEnvWith is newEnv with handler options of the test's choosing.
func newEnvWith(t *testing.T, opt api.Options) *env {
	t.Helper()
	st, err := memdb.Open("", memdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b := demo.Batch()
	if _, err := st.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	toks, err := auth.ParseEnv(readTok + ":read," + ingestTok + ":ingest," + adminTok + ":admin")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(st, server.Options{Auth: &auth.Authenticator{Tokens: toks}})
	srv.Handle("/graphql", api.NewHandler(api.NewVersioned(st, false), opt))
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &env{t: t, url: hs.URL, store: st, batch: b}
}

type gqlResp struct {
	status int
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (r *gqlResp) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

func (e *env) post(token string, body []byte) *gqlResp {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := &gqlResp{status: res.StatusCode}
	if err := json.Unmarshal(raw, out); err != nil {
		e.t.Fatalf("response is not JSON (HTTP %d): %.300s", res.StatusCode, raw)
	}
	return out
}

func (e *env) query(token, q string, vars map[string]any) *gqlResp {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	return e.post(token, body)
}

// ok runs q as the read token and decodes data into out.
func (e *env) ok(q string, vars map[string]any, out any) {
	e.t.Helper()
	r := e.query(readTok, q, vars)
	if len(r.Errors) > 0 {
		e.t.Fatalf("query errors: %+v", r.Errors)
	}
	raw, _ := json.Marshal(r.Data)
	if err := json.Unmarshal(raw, out); err != nil {
		e.t.Fatal(err)
	}
}

// index is an independent reading of the demo batch: the tests compute
// each expected answer from the raw nodes and edges, not from the API's
// own code paths.
type index struct {
	nodes map[graph.ID]graph.Node
	out   map[graph.ID][]graph.Edge
	in    map[graph.ID][]graph.Edge
}

func indexOf(b graph.Batch) index {
	ix := index{nodes: map[graph.ID]graph.Node{}, out: map[graph.ID][]graph.Edge{}, in: map[graph.ID][]graph.Edge{}}
	for _, n := range b.Nodes {
		ix.nodes[n.ID] = n
	}
	for _, e := range b.Edges {
		ix.out[e.From] = append(ix.out[e.From], e)
		ix.in[e.To] = append(ix.in[e.To], e)
	}
	return ix
}

func (ix index) publicSet() map[graph.ID]bool {
	seen := map[graph.ID]bool{}
	queue := []graph.ID{graph.InternetID}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, e := range ix.out[n] {
			if e.Kind == graph.RoutesTo && !seen[e.To] {
				seen[e.To] = true
				queue = append(queue, e.To)
			}
		}
	}
	return seen
}

func (ix index) neighbours(id graph.ID, kind graph.EdgeKind, out bool, of graph.Kind) []string {
	var names []string
	es := ix.in[id]
	if out {
		es = ix.out[id]
	}
	for _, e := range es {
		other := e.From
		if out {
			other = e.To
		}
		if e.Kind == kind && ix.nodes[other].Kind == of {
			names = append(names, string(other))
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

type idNode struct {
	ID string `json:"id"`
}

func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	slices.Sort(out)
	return out
}

// The mission's first question, exactly as documented.
func TestInternetFacingAPIsTouchingPII(t *testing.T) {
	e := newEnv(t, api.Limits{})
	var got struct {
		APIs struct {
			TotalCount int
			Nodes      []struct {
				ID, Method, Path, Env string
				Authenticated         bool
				DataClasses           []string
				Service               struct{ Name string }
			}
		}
	}
	e.ok(`{ apis(filter: {internetFacing: true, dataClasses: [PII]}, first: 500) { totalCount nodes { id method path env authenticated service { name } dataClasses } } }`, nil, &got)

	ix := indexOf(e.batch)
	pub := ix.publicSet()
	var want []string
	for id := range pub {
		n := ix.nodes[id]
		if n.Kind == graph.API && slices.Contains(n.DataClasses, graph.PII) {
			want = append(want, string(id))
		}
	}
	slices.Sort(want)
	gotIDs := ids(got.APIs.Nodes, func(n struct {
		ID, Method, Path, Env string
		Authenticated         bool
		DataClasses           []string
		Service               struct{ Name string }
	}) string {
		return n.ID
	})
	if !slices.Equal(gotIDs, want) || got.APIs.TotalCount != len(want) {
		t.Fatalf("got %d APIs (totalCount %d), want %d:\n got %v\nwant %v", len(gotIDs), got.APIs.TotalCount, len(want), gotIDs, want)
	}
	var labels []string
	for _, n := range got.APIs.Nodes {
		if !slices.Contains(n.DataClasses, "PII") {
			t.Errorf("%s %s has classes %v", n.Method, n.Path, n.DataClasses)
		}
		labels = append(labels, n.Env+" "+n.Service.Name+" "+n.Method+" "+n.Path)
	}
	for _, w := range []string{
		"prod customer-service GET /internal/customers/export", // the partner route's mistake
		"prod web-frontend POST /api/checkout",
		"prod patient-service POST /v1/patients",
		"staging web-frontend POST /api/signup",
	} {
		if !slices.Contains(labels, w) {
			t.Errorf("missing %q", w)
		}
	}
	for _, nw := range []string{
		"prod order-service GET /v1/orders/{orderId}",
		"prod payments-api POST /v1/payments",
		"staging payments-api POST /v1/payments",
		"prod records-service GET /v1/records/search",
	} {
		if slices.Contains(labels, nw) {
			t.Errorf("%q listed as internet-facing", nw)
		}
	}
	// Narrowing: unauthenticated ones only, the headline risk among them.
	var unauth struct {
		APIs struct {
			Nodes []struct{ Path string }
		}
	}
	e.ok(`{ apis(filter: {internetFacing: true, dataClasses: [PII], authenticated: false, env: "prod"}, first: 500) { nodes { path } } }`, nil, &unauth)
	var paths []string
	for _, n := range unauth.APIs.Nodes {
		paths = append(paths, n.Path)
	}
	if !slices.Contains(paths, "/internal/customers/export") {
		t.Errorf("unauthenticated public PII APIs in prod %v lack the customer export", paths)
	}
}

func TestServiceFiltersCombine(t *testing.T) {
	e := newEnv(t, api.Limits{})
	ix := indexOf(e.batch)
	pub := ix.publicSet()
	app := graph.ApplicationID("payments")
	var want []string
	for id, n := range ix.nodes {
		if n.Kind != graph.Service || n.Env != "prod" {
			continue
		}
		inApp := false
		for _, ed := range ix.out[id] {
			inApp = inApp || (ed.Kind == graph.PartOf && ed.To == app)
		}
		if inApp {
			want = append(want, string(id))
		}
	}
	slices.Sort(want)
	var got struct {
		Services struct {
			TotalCount int
			Nodes      []idNode
		}
	}
	e.ok(`{ services(filter: {application: "payments", env: "prod"}, first: 100) { totalCount nodes { id } } }`, nil, &got)
	if g := ids(got.Services.Nodes, func(n idNode) string { return n.ID }); !slices.Equal(g, want) || len(want) < 3 {
		t.Fatalf("payments services in prod: got %v, want %v", g, want)
	}
	// internetFacing: true narrows to those the Internet reaches.
	e.ok(`{ services(filter: {application: "payments", env: "prod", internetFacing: true}, first: 100) { totalCount nodes { id } } }`, nil, &got)
	var wantPub []string
	for _, id := range want {
		if pub[graph.ID(id)] {
			wantPub = append(wantPub, id)
		}
	}
	if g := ids(got.Services.Nodes, func(n idNode) string { return n.ID }); !slices.Equal(g, wantPub) || len(wantPub) == 0 || len(wantPub) == len(want) {
		t.Fatalf("public payments services: got %v, want %v (of %v)", g, wantPub, want)
	}
	// Services with sensitive data that talk to third parties.
	e.ok(`{ services(filter: {callsThirdParty: true, dataClasses: [PCI]}, first: 100) { totalCount nodes { id } } }`, nil, &got)
	for _, n := range got.Services.Nodes {
		id := graph.ID(n.ID)
		if len(ix.neighbours(id, graph.Calls, true, graph.ThirdParty)) == 0 || !slices.Contains(ix.nodes[id].DataClasses, graph.PCI) {
			t.Errorf("%s listed but does not call a third party with PCI", n.ID)
		}
	}
	if got.Services.TotalCount == 0 {
		t.Error("no PCI service calls a third party; the demo's payment processor call is missing")
	}
}

func TestServiceNeighbours(t *testing.T) {
	e := newEnv(t, api.Limits{})
	ix := indexOf(e.batch)
	svc := graph.ServiceID("prod", "customer-service")
	var got struct {
		Node struct {
			Name    string
			Kind    string
			Sources []struct{ Agent, File string }
			Apis    struct {
				TotalCount int
				Nodes      []idNode
			}
			Calls       struct{ Nodes []idNode }
			DataStores  struct{ Nodes []idNode }
			Packages    struct{ TotalCount int }
			All         struct{ TotalCount int }
			Application []struct{ Name string } `json:"applications"`
		}
	}
	e.ok(`query($id: ID!) { node(id: $id) { name kind sources { agent file } ... on Service {
		apis(first: 100) { totalCount nodes { id } } calls(first: 50) { nodes { id } }
		dataStores { nodes { id } } packages(transitive: true) { totalCount }
		all: neighbours(direction: BOTH) { totalCount } applications { name } } } }`, map[string]any{"id": string(svc)}, &got)
	n := got.Node
	if n.Name != "customer-service" || n.Kind != "Service" || len(n.Sources) == 0 || n.Sources[0].File == "" {
		t.Fatalf("node: %+v", n)
	}
	if g, w := ids(n.Apis.Nodes, func(x idNode) string { return x.ID }), ix.neighbours(svc, graph.Exposes, true, graph.API); !slices.Equal(g, w) || n.Apis.TotalCount != len(w) {
		t.Errorf("apis: got %v want %v", g, w)
	}
	if g, w := ids(n.Calls.Nodes, func(x idNode) string { return x.ID }), append(ix.neighbours(svc, graph.Calls, true, graph.Service), ix.neighbours(svc, graph.Calls, true, graph.ThirdParty)...); !sameSet(g, w) {
		t.Errorf("calls: got %v want %v", g, w)
	}
	stores := append(ix.neighbours(svc, graph.Reads, true, graph.DataStore), ix.neighbours(svc, graph.Writes, true, graph.DataStore)...)
	if g := ids(n.DataStores.Nodes, func(x idNode) string { return x.ID }); !sameSet(g, stores) || len(g) == 0 {
		t.Errorf("dataStores: got %v want %v", g, stores)
	}
	if n.Packages.TotalCount == 0 || len(n.Application) != 1 || n.Application[0].Name != "storefront" {
		t.Errorf("packages %d, applications %v", n.Packages.TotalCount, n.Application)
	}
	// By name: with env one lookup; without, ambiguous names are refused.
	var byName struct {
		A struct{ ID string } `json:"a"`
	}
	e.ok(`{ a: service(name: "customer-service", env: "prod") { id } }`, nil, &byName)
	if byName.A.ID != string(svc) {
		t.Errorf("service by name: %+v", byName)
	}
	if r := e.query(readTok, `{ service(name: "web-frontend") { id } }`, nil); r.code() != api.CodeBadUserInput || !strings.Contains(r.Errors[0].Message, "prod") {
		t.Errorf("ambiguous service name: %+v", r.Errors)
	}
	// An unknown id is null, not an error.
	r := e.query(readTok, `{ node(id: "service:nosuchthing") { id } }`, nil)
	if len(r.Errors) > 0 || string(r.Data["node"]) != "null" {
		t.Errorf("unknown node: %s %+v", r.Data["node"], r.Errors)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// "All services with Log4j": the package and every service depending on it.
func TestPackageDependents(t *testing.T) {
	e := newEnv(t, api.Limits{})
	var got struct {
		Packages struct {
			TotalCount int
			Nodes      []struct {
				Purl       string
				Version    string
				Licenses   []string
				Dependents struct{ Nodes []struct{ Name, Env string } }
				Vulns      []struct{ Name string } `json:"vulnerabilities"`
			}
		}
	}
	e.ok(`{ packages(filter: {name: "log4j-core"}) { totalCount nodes { purl version licenses dependents { nodes { name env } } vulnerabilities { name } } } }`, nil, &got)
	if got.Packages.TotalCount != 1 {
		t.Fatalf("log4j-core packages: %+v", got.Packages)
	}
	p := got.Packages.Nodes[0]
	if p.Purl != "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1" || p.Version != "2.14.1" || !slices.Contains(p.Licenses, "Apache-2.0") {
		t.Errorf("package: %+v", p)
	}
	if len(p.Dependents.Nodes) == 0 {
		t.Error("log4j-core has no dependents")
	}
	var vulns []string
	for _, v := range p.Vulns {
		vulns = append(vulns, v.Name)
	}
	if !slices.Contains(vulns, "CVE-2021-44228") {
		t.Errorf("log4j-core 2.14.1 vulnerabilities %v lack Log4Shell", vulns)
	}
	// Independent check of the dependents through DEPENDS_ON / RUNS_IMAGE.
	ix := indexOf(e.batch)
	pkg := graph.PackageID(p.Purl)
	want := map[string]bool{}
	seen := map[graph.ID]bool{pkg: true}
	queue := []graph.ID{pkg}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, ed := range ix.in[n] {
			if (ed.Kind == graph.DependsOn || ed.Kind == graph.RunsImage) && !seen[ed.From] {
				seen[ed.From] = true
				queue = append(queue, ed.From)
				if ix.nodes[ed.From].Kind == graph.Service {
					want[ix.nodes[ed.From].Env+"/"+ix.nodes[ed.From].Name] = true
				}
			}
		}
	}
	var gotDeps []string
	for _, d := range p.Dependents.Nodes {
		gotDeps = append(gotDeps, d.Env+"/"+d.Name)
	}
	var wantDeps []string
	for k := range want {
		wantDeps = append(wantDeps, k)
	}
	if !sameSet(gotDeps, wantDeps) {
		t.Errorf("dependents: got %v want %v", gotDeps, wantDeps)
	}
}

func TestPagingVisitsEveryElementOnce(t *testing.T) {
	e := newEnv(t, api.Limits{})
	var all []string
	var after any
	total := -1
	for pages := 0; pages < 100; pages++ {
		var got struct {
			APIs struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   string
				}
				Edges []struct {
					Cursor string
					Node   idNode
				}
			}
		}
		e.ok(`query($after: String) { apis(first: 7, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }`, map[string]any{"after": after}, &got)
		total = got.APIs.TotalCount
		for _, ed := range got.APIs.Edges {
			all = append(all, ed.Node.ID)
		}
		if !got.APIs.PageInfo.HasNextPage {
			break
		}
		after = got.APIs.PageInfo.EndCursor
	}
	n := 0
	for _, nd := range e.batch.Nodes {
		if nd.Kind == graph.API {
			n++
		}
	}
	if len(all) != n || total != n || !slices.IsSorted(all) || len(slices.Compact(slices.Clone(all))) != n {
		t.Fatalf("paged %d APIs (total %d), want %d distinct in order", len(all), total, n)
	}
	r := e.query(readTok, `{ apis(after: "%%%") { totalCount } }`, nil)
	if r.code() != api.CodeBadUserInput {
		t.Errorf("bad cursor: %+v", r.Errors)
	}
	r = e.query(readTok, `{ apis(first: 100000) { totalCount } }`, nil)
	if r.code() != api.CodeLimitExceeded {
		t.Errorf("huge page: %+v", r.Errors)
	}
}

func TestFindingsFilterAndOrder(t *testing.T) {
	e := newEnv(t, api.Limits{})
	want := 0
	for _, n := range e.batch.Nodes {
		if n.Kind == graph.Finding && n.Props.String("severity") == "critical" {
			want++
		}
	}
	var got struct {
		Findings struct {
			TotalCount int
			Nodes      []struct {
				Severity, Status string
				Subject          struct{ ID string }
			}
		}
	}
	e.ok(`{ findings(filter: {severities: [CRITICAL]}, orderBy: {field: SEVERITY}, first: 500) { totalCount nodes { severity status subject { id } } } }`, nil, &got)
	if got.Findings.TotalCount != want || want == 0 {
		t.Fatalf("critical findings: got %d, want %d", got.Findings.TotalCount, want)
	}
	for _, f := range got.Findings.Nodes {
		if f.Severity != "critical" || f.Status != "open" || f.Subject.ID == "" {
			t.Errorf("finding %+v", f)
		}
	}
	var all struct {
		Findings struct{ Nodes []struct{ Severity string } }
	}
	e.ok(`{ findings(orderBy: {field: SEVERITY, direction: DESC}, first: 500) { nodes { severity } } }`, nil, &all)
	rank := map[string]int{"critical": 5, "high": 4, "medium": 3, "low": 2, "info": 1}
	for i := 1; i < len(all.Findings.Nodes); i++ {
		if rank[all.Findings.Nodes[i-1].Severity] < rank[all.Findings.Nodes[i].Severity] {
			t.Fatalf("not in severity order at %d: %v then %v", i, all.Findings.Nodes[i-1], all.Findings.Nodes[i])
		}
	}
}

func TestAuthRoles(t *testing.T) {
	e := newEnv(t, api.Limits{})
	q := `{ stats { nodes } }`
	if r := e.query("", q, nil); r.status != http.StatusUnauthorized || r.code() != api.CodeUnauthenticated {
		t.Errorf("no token: HTTP %d %+v", r.status, r.Errors)
	}
	if r := e.query("wrong-token-0123456789abcdef", q, nil); r.status != http.StatusUnauthorized {
		t.Errorf("wrong token: HTTP %d", r.status)
	}
	if r := e.query(readTok, q, nil); len(r.Errors) > 0 {
		t.Errorf("read token on a query: %+v", r.Errors)
	}
	mut := `mutation($b: BatchInput!) { ingest(batch: $b) { nodesCreated } }`
	b := map[string]any{"source": "test", "scope": "auth", "run": "r1", "nodes": []any{
		map[string]any{"id": string(graph.ServiceID("prod", "auth-test")), "kind": "Service", "name": "auth-test", "env": "prod"}}}
	if r := e.query(readTok, mut, map[string]any{"b": b}); r.code() != api.CodeForbidden {
		t.Errorf("read token on ingest: %+v", r.Errors)
	}
	r := e.query(ingestTok, mut, map[string]any{"b": b})
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data["ingest"]), `"nodesCreated":1`) {
		t.Errorf("ingest token: %s %+v", r.Data["ingest"], r.Errors)
	}
	// Probes are public, metrics and stats are not.
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 503, "/api/v1/stats": 401} {
		res, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, res.StatusCode, want)
		}
	}
}

func TestLimits(t *testing.T) {
	e := newEnv(t, api.Limits{MaxBodyBytes: 1 << 20})
	// 15 levels of nesting through neighbours.
	q := "{ node(id: \"service:x\") { id "
	for range 14 {
		q += "neighbours { nodes { id "
	}
	q += strings.Repeat("} } ", 14) + "} }"
	if r := e.query(readTok, q, nil); r.code() != api.CodeLimitExceeded {
		t.Errorf("15-level query: %+v", r.Errors)
	}
	// Complexity: wide pages of wide pages.
	wide := `{ services(first: 1000) { nodes { calls(first: 1000) { nodes { id } } apis(first: 1000) { nodes { id } } } } }`
	if r := e.query(readTok, wide, nil); r.code() != api.CodeLimitExceeded {
		t.Errorf("complex query: %+v", r.Errors)
	}
	// A body over the cap is refused with a clear error, not read whole.
	big := bytes.Repeat([]byte(" "), 2<<20)
	body := append([]byte(`{"query":"{ stats { nodes } }"`), big...)
	body = append(body, '}')
	if r := e.post(readTok, body); r.status != http.StatusRequestEntityTooLarge || r.code() != api.CodeLimitExceeded {
		t.Errorf("oversized body: HTTP %d %+v", r.status, r.Errors)
	}
	// Malformed JSON names the position and does not echo the body.
	r := e.post(readTok, []byte("{\"query\": \"{ stats { nodes } }\",\n \"variables\": {oops}}"))
	if r.code() != api.CodeBadUserInput || !strings.Contains(r.Errors[0].Message, "line 2") {
		t.Errorf("malformed body: %+v", r.Errors)
	}
	// Unknown fields are validation errors with a code.
	if r := e.query(readTok, `{ servicez { totalCount } }`, nil); r.code() != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(r.Errors[0].Message, `Did you mean "service" or "services"`) {
		t.Errorf("unknown field: %+v", r.Errors)
	}
}

func TestIntrospectionSwitch(t *testing.T) {
	q := `{ __schema { queryType { name } } }`
	if r := newEnv(t, api.Limits{}).query(readTok, q, nil); len(r.Errors) > 0 {
		t.Errorf("introspection on: %+v", r.Errors)
	}
	if r := newEnv(t, api.Limits{NoIntrospection: true}).query(readTok, q, nil); len(r.Errors) == 0 {
		t.Error("introspection off still answers __schema")
	}
}

// The client's streamed ingest takes the transport's fast path; a bad
// batch is refused whole with the field named, and changes nothing.
func TestIngestThroughClient(t *testing.T) {
	e := newEnv(t, api.Limits{})
	c := client.New(e.url, ingestTok)
	ctx := context.Background()
	svc := graph.ServiceID("prod", "ingested")
	b := graph.Batch{Scope: graph.Scope{Source: "test", Key: "client"}, Run: "run-1",
		Nodes: []graph.Node{{ID: svc, Kind: graph.Service, Name: "ingested", Env: "prod", Props: graph.Props{"replicas": int64(3)},
			DataClasses: []graph.DataClass{graph.PII}, Sources: []graph.Source{{Agent: "test", File: "x.yaml", Line: 7}}}},
		Edges: []graph.Edge{graph.NewEdge(graph.Calls, svc, graph.ServiceID("prod", "customer-service"))}}
	res, err := c.Ingest(ctx, b)
	if err != nil || res.NodesCreated != 1 || res.EdgesCreated != 1 {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	var got struct {
		Node struct {
			Properties map[string]any
			Sources    []struct {
				File string
				Line int
			}
			Calls struct{ Nodes []struct{ Name string } }
		}
	}
	e.ok(`query($id: ID!) { node(id: $id) { properties sources { file line } ... on Service { calls { nodes { name } } } } }`, map[string]any{"id": string(svc)}, &got)
	if got.Node.Properties["replicas"] != float64(3) || got.Node.Sources[0].Line != 7 || len(got.Node.Calls.Nodes) != 1 {
		t.Errorf("ingested node: %+v", got.Node)
	}
	before := statsNodes(t, e)
	bad := b
	bad.Run = "run-2"
	bad.Nodes = append(slices.Clone(b.Nodes), graph.Node{ID: graph.ServiceID("prod", "half"), Kind: graph.Service, Name: "half"},
		graph.Node{ID: "api:broken", Kind: graph.API, Name: ""})
	_, err = c.Ingest(ctx, bad)
	if client.ErrCode(err) != api.CodeBadUserInput || !strings.Contains(err.Error(), "nodes[2]") {
		t.Errorf("bad batch: %v", err)
	}
	if after := statsNodes(t, e); after != before {
		t.Errorf("a refused batch changed the graph: %d → %d nodes", before, after)
	}
	// Typed decoding names the field: a misspelt key and a wrong type.
	for body, want := range map[string]string{
		`{"query":"mutation($b: BatchInput!) { ingest(batch: $b) { deleted } }","variables":{"b":{"source":"s","scope":"k","run":"r","nodes":[{"id":"service:x","kind":"Service","name":"x","propz":{}}]}}}`: `unknown field "propz"`,
		`{"variables":{"b":{"source":"s","scope":"k","run":"r","nodes":[{"id":"service:x","kind":"Service","name":7}]}},"query":"mutation($b: BatchInput!) { ingest(batch: $b) { deleted } }"}`:              "field nodes.name",
	} {
		r := e.post(ingestTok, []byte(body))
		if r.code() != api.CodeBadUserInput || !strings.Contains(r.Errors[0].Message, want) {
			t.Errorf("bad batch field: %+v, want %q", r.Errors, want)
		}
	}
	// A read token cannot ingest through the client either.
	if _, err := client.New(e.url, readTok).Ingest(ctx, b); client.ErrCode(err) != api.CodeForbidden {
		t.Errorf("read token ingest: %v", err)
	}
	// The refused run is on record as failed: it may not sweep, and the
	// run before it is superseded.
	if _, err := c.Sweep(ctx, b.Scope, "run-2"); client.ErrCode(err) != api.CodeBadUserInput || !strings.Contains(err.Error(), "failed") {
		t.Errorf("sweep after a failed run: %v", err)
	}
	if _, err := c.Sweep(ctx, b.Scope, "run-1"); client.ErrCode(err) != api.CodeBadUserInput {
		t.Errorf("sweep of a superseded run: %v", err)
	}
}

func statsNodes(t *testing.T, e *env) int {
	var s struct{ Stats struct{ Nodes int } }
	e.ok(`{ stats { nodes } }`, nil, &s)
	return s.Stats.Nodes
}

func TestGraphiQLPage(t *testing.T) {
	// A browser asking /graphql for HTML is sent to the bundled GraphiQL page.
	e := newEnvWith(t, api.Options{GraphiQLPath: "/graphiql"})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodGet, e.url+"/graphql", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	req.Header.Set("Authorization", "Bearer "+readTok)
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/graphiql" {
		t.Errorf("GraphiQL: %d to %q, want 302 to /graphiql", res.StatusCode, res.Header.Get("Location"))
	}
	// Without a page configured, HTML gets no page (and nothing from a CDN).
	plain := newEnv(t, api.Limits{})
	req, _ = http.NewRequest(http.MethodGet, plain.url+"/graphql", nil)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Authorization", "Bearer "+readTok)
	res, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode == http.StatusFound || strings.Contains(string(body), "<html") {
		t.Errorf("no GraphiQL path: %d %.200s", res.StatusCode, body)
	}
	// GET answers queries too.
	req, _ = http.NewRequest(http.MethodGet, e.url+"/graphql?query="+strings.ReplaceAll("{ stats { nodes } }", " ", "%20"), nil)
	req.Header.Set("Authorization", "Bearer "+readTok)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), fmt.Sprintf(`"nodes":%d`, len(e.batch.Nodes))) {
		t.Errorf("GET query: %s", body)
	}
}

func jsonUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }
