package openapi

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

func load(t testing.TB, name string) *discovery.File {
	t.Helper()
	p := filepath.Join("testdata", name)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(p)
	return &discovery.File{Path: "testdata/" + name, Abs: abs, Data: data}
}

func op(t *testing.T, ops []graph.Node, method, path string) graph.Node {
	t.Helper()
	for _, o := range ops {
		if o.Props.String("method") == method && o.Props.String("path") == path {
			return o
		}
	}
	t.Fatalf("no operation %s %s", method, path)
	return graph.Node{}
}

func TestOpenAPI3(t *testing.T) {
	f := load(t, "accounts.yaml")
	if !(Agent{}).Detect(f) {
		t.Fatal("Detect rejected an OpenAPI 3 document")
	}
	sp, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if sp.Title != "accounts-service" || !slices.Equal(sp.Hosts, []string{"accounts.internal.acme.io"}) {
		t.Errorf("title %q hosts %v", sp.Title, sp.Hosts)
	}
	if len(sp.Ops) != 5 {
		t.Errorf("%d operations, want 5", len(sp.Ops))
	}
	auth := map[string]bool{}
	for _, o := range sp.Ops {
		auth[o.Name] = o.Props.Bool("authenticated")
	}
	want := map[string]bool{
		"GET /v1/health":               false, // security: []
		"POST /v1/accounts":            true,  // global bearer
		"GET /v1/accounts":             false, // {} makes authentication optional
		"GET /v1/accounts/{id}/tree":   false, // names a scheme that is not defined
		"PUT /v1/accounts/{id}/payout": true,  // apiKey
	}
	for k, w := range want {
		if auth[k] != w {
			t.Errorf("%s authenticated = %v, want %v", k, auth[k], w)
		}
	}
	create := op(t, sp.Ops, "POST", "/v1/accounts")
	if got := slices.Sorted(slices.Values(create.Props.Strings("requestFields"))); !slices.Equal(got, []string{"address", "address.postcode", "address.street", "contact", "fullName", "password"}) {
		t.Errorf("POST /accounts request fields %v (allOf and the external $ref must be followed)", got)
	}
	if got := create.Props.Strings("responseFields"); !slices.Contains(got, "owner.contact") {
		t.Errorf("response fields %v lack nested owner.contact", got)
	}
	if got := create.Props.Strings("authSchemes"); !slices.Equal(got, []string{"http/bearer"}) {
		t.Errorf("auth schemes %v", got)
	}
	if create.Sources[0].Line != 19 {
		t.Errorf("evidence line %d, want 19 (the post: key)", create.Sources[0].Line)
	}
	list := op(t, sp.Ops, "GET", "/v1/accounts")
	if got := list.Props.Strings("parameters"); !slices.Equal(got, []string{"email", "page"}) {
		t.Errorf("parameters %v, want email page ($ref parameter resolved)", got)
	}
	if got := list.Props.Strings("responseFields"); !slices.Contains(got, "owner.fullName") {
		t.Errorf("array response fields %v", got)
	}
	tree := op(t, sp.Ops, "GET", "/v1/accounts/{id}/tree")
	if got := tree.Props.Strings("responseFields"); !slices.Equal(got, []string{"children", "name"}) {
		t.Errorf("cyclic schema flattened to %v, want the cycle cut after one level", got)
	}
	payout := op(t, sp.Ops, "PUT", "/v1/accounts/{id}/payout")
	hints, _ := payout.Props["fieldHints"].(graph.Props)
	if h, _ := hints["payoutRef"].([]string); !slices.Equal(h, []string{"example:card-number"}) {
		t.Errorf("payoutRef hints %v, want the example recognised (and not stored)", hints["payoutRef"])
	}
	if h, _ := hints["remarks"].([]string); !slices.Equal(h, []string{"annotation:PII"}) {
		t.Errorf("remarks hints %v", hints["remarks"])
	}
	if got := payout.Props.Strings("declaredClasses"); !slices.Equal(got, []string{"FINANCIAL"}) {
		t.Errorf("operation annotation %v", got)
	}
	if strings.Contains(strings.Join(flatten(payout.Props), " "), "4111") {
		t.Error("an example value was stored")
	}
}

func flatten(p graph.Props) []string {
	var out []string
	for k, v := range p {
		switch x := v.(type) {
		case graph.Props:
			out = append(out, k)
			out = append(out, flatten(x)...)
		case []string:
			out = append(out, x...)
		case string:
			out = append(out, x)
		}
	}
	return out
}

func TestSwagger2(t *testing.T) {
	sp, err := Parse(load(t, "user.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sp.Hosts, []string{"user"}) {
		t.Errorf("hosts %v", sp.Hosts)
	}
	login := op(t, sp.Ops, "GET", "/login")
	if !login.Props.Bool("authenticated") || !slices.Equal(login.Props.Strings("authSchemes"), []string{"basic"}) {
		t.Errorf("login auth %v %v", login.Props["authenticated"], login.Props["authSchemes"])
	}
	if got := login.Props.Strings("responseFields"); !slices.Equal(got, []string{"firstName", "username"}) {
		t.Errorf("login response %v", got)
	}
	cards := op(t, sp.Ops, "POST", "/cards")
	if cards.Props.Bool("authenticated") {
		t.Error("POST /cards has no security requirement")
	}
	if got := cards.Props.Strings("requestFields"); !slices.Equal(got, []string{"ccv", "expires", "longNum"}) {
		t.Errorf("body parameter fields %v", got)
	}
	if strings.Contains(cards.Sources[0].Detail, "leniently") {
		t.Errorf("a valid Swagger 2.0 document was read leniently: %s", cards.Sources[0].Detail)
	}
}

// TestLenient reads a document strict parsers reject (an invalid escape
// in a double-quoted YAML string, a CloudFormation intrinsic as title).
func TestLenient(t *testing.T) {
	sp, err := Parse(load(t, "payment-3p.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pre := op(t, sp.Ops, "POST", "/preauth")
	if got := pre.Props.Strings("requestFields"); !slices.Equal(got, []string{"amount", "cardNumber"}) {
		t.Errorf("fields %v", got)
	}
	d := pre.Sources[0].Detail
	if !strings.Contains(d, "line 18: invalid escape") || !strings.Contains(d, "read leniently") {
		t.Errorf("evidence does not report what was repaired and rejected: %q", d)
	}
	if sp.Title != "" {
		t.Errorf("title %q, want none (it is not a string)", sp.Title)
	}
}

func TestBrokenFiles(t *testing.T) {
	for _, c := range []struct {
		name string
		line int
		msg  string
	}{
		{"future.yaml", 1, `unsupported OpenAPI version "4.0.0"`},
		{"old-swagger.yaml", 1, `unsupported Swagger version "1.2"`},
		{"broken.yaml", 6, "invalid YAML"},
	} {
		_, err := Parse(load(t, c.name))
		var fe *discovery.FileError
		if !errors.As(err, &fe) {
			t.Errorf("%s: error %v, want a *discovery.FileError", c.name, err)
			continue
		}
		if fe.Line != c.line || !strings.Contains(fe.Msg, c.msg) || fe.File != "testdata/"+c.name {
			t.Errorf("%s: %v, want line %d and %q", c.name, fe, c.line, c.msg)
		}
	}
	bin := &discovery.File{Path: "x.yaml", Data: []byte("openapi: 3.0.0\x00\x01\x02")}
	if _, err := Parse(bin); err == nil || !strings.Contains(err.Error(), "binary") {
		t.Errorf("binary file: %v", err)
	}
	data := make([]byte, 50<<20)
	copy(data, "openapi: 3.0.0\npaths: {}\n")
	big := &discovery.File{Path: "big.yaml", Data: data}
	if _, err := Parse(big); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("50 MB file: %v", err)
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		path, data string
		want       bool
	}{
		{"api.yaml", "openapi: 3.1.0\ninfo: {title: x}\npaths: {}\n", true},
		{"spec.json", `{"swagger": "2.0", "info": {}, "paths": {}}`, true},
		{"deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\n", false},
		{"notes.md", "openapi: 3.0.0\npaths:\n", false},
		{"compose.yaml", "services:\n  web:\n    image: nginx\n", false},
		// Keys in alphabetical order: the version comes after a large
		// definitions section (Kubernetes' swagger.json).
		{"swagger.json", `{"definitions": {"big": {"description": "` + strings.Repeat("x", 70<<10) + `"}}, "info": {}, "paths": {}, "swagger": "2.0"}`, true},
		{"api.yaml", "components:\n  schemas:\n    Big:\n      description: " + strings.Repeat("x", 70<<10) + "\ninfo: {title: x}\nopenapi: 3.0.3\npaths: {}\n", true},
		{"package-lock.json", `{"name": "app", "packages": {"node_modules/swagger-ui": {"version": "` + strings.Repeat("1", 70<<10) + `"}}}`, false},
		{"chart.yaml", "data:\n  spec: |\n    " + strings.Repeat("x", 70<<10) + "\n    openapi: 3.0.0\n    paths: {}\n", false},
	} {
		if got := (Agent{}).Detect(&discovery.File{Path: c.path, Data: []byte(c.data)}); got != c.want {
			t.Errorf("Detect(%s) = %v, want %v", c.path, got, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"accounts.yaml", "user.json", "payment-3p.yaml", "broken.yaml", "future.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	demo, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "demo", "openapi", "*.yaml"))
	for _, p := range demo[:min(3, len(demo))] {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sp, err := Parse(&discovery.File{Path: "fuzz.yaml", Data: data})
		if err != nil {
			var fe *discovery.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *discovery.FileError", err)
			}
			return
		}
		for _, o := range sp.Ops {
			if o.Props.String("method") == "" {
				t.Fatalf("operation without method: %v", o)
			}
		}
	})
}

// TestBasePath: the path of an operation is the one clients request, with
// Swagger 2's basePath or the servers' common path (variables set to their
// defaults, operation and path-item servers first, localhost ignored) in
// front; servers that disagree leave the path as written and say so.
func TestBasePath(t *testing.T) {
	cases := []struct {
		name, doc, want, note string
	}{
		{"swagger basePath", `{"swagger": "2.0", "info": {"title": "t"}, "basePath": "/v2/",
			"paths": {"/pet": {"get": {"responses": {"200": {"description": "ok"}}}}}}`, "/v2/pet", ""},
		{"swagger root basePath", `{"swagger": "2.0", "info": {"title": "t"}, "basePath": "/",
			"paths": {"/pet": {"get": {"responses": {"200": {"description": "ok"}}}}}}`, "/pet", ""},
		{"server variables", `openapi: 3.1.0
info: {title: t, version: "1"}
servers:
  - url: "{scheme}://{host}/{base}"
    variables:
      scheme: {default: https}
      host: {default: api.example.com}
      base: {default: api/v3}
paths:
  /pet:
    get: {responses: {"200": {description: ok}}}
`, "/api/v3/pet", ""},
		{"relative server and localhost", `openapi: 3.0.0
info: {title: t, version: "1"}
servers: [{url: "http://localhost:8080"}, {url: /shop/api}]
paths:
  /orders:
    get: {responses: {"200": {description: ok}}}
`, "/shop/api/orders", ""},
		{"path item servers win", `openapi: 3.0.0
info: {title: t, version: "1"}
servers: [{url: "https://api.example.com/v1"}]
paths:
  /files:
    servers: [{url: "https://files.example.com/store"}]
    get: {responses: {"200": {description: ok}}}
`, "/store/files", ""},
		{"servers disagree", `openapi: 3.0.0
info: {title: t, version: "1"}
servers: [{url: "https://a.example.com/v1"}, {url: "https://b.example.com/v2"}]
paths:
  /x:
    get: {responses: {"200": {description: ok}}}
`, "/x", "servers disagree"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sp, err := Parse(&discovery.File{Path: "spec.yaml", Data: []byte(tc.doc)})
			if err != nil {
				t.Fatal(err)
			}
			if len(sp.Ops) != 1 {
				t.Fatalf("%d operations", len(sp.Ops))
			}
			o := sp.Ops[0]
			if o.Props.String("path") != tc.want || o.Name != "GET "+tc.want {
				t.Errorf("path %q name %q, want %q", o.Props.String("path"), o.Name, tc.want)
			}
			if !strings.Contains(o.Sources[0].Detail, tc.note) {
				t.Errorf("evidence %q does not say %q", o.Sources[0].Detail, tc.note)
			}
		})
	}
}

// TestWideSchemaBounded: a schema graph that fans out on every level (as
// huge specs' expandable objects do) is flattened breadth first and cut at
// maxFields, so a top-level field after a huge sibling is still listed and
// the evidence says the list was cut.
func TestWideSchemaBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"openapi": "3.0.0", "info": {"title": "wide", "version": "1"}, "paths": {"/x": {"get": {"responses": {"200": {"description": "ok",
  "content": {"application/json": {"schema": {"type": "object", "properties": {
    "a": {"$ref": "#/components/schemas/L1"}, "zzz_email": {"type": "string"}}}}}}}}}},
  "components": {"schemas": {`)
	for l := 1; l <= 6; l++ {
		if l > 1 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"L%d": {"type": "object", "properties": {`, l)
		for p := 0; p < 8; p++ {
			if p > 0 {
				b.WriteString(",")
			}
			if l < 6 {
				fmt.Fprintf(&b, `"p%d": {"$ref": "#/components/schemas/L%d"}`, p, l+1)
			} else {
				fmt.Fprintf(&b, `"p%d": {"type": "string"}`, p)
			}
		}
		b.WriteString("}}")
	}
	b.WriteString("}}}")
	sp, err := Parse(&discovery.File{Path: "wide.json", Data: []byte(b.String())})
	if err != nil {
		t.Fatal(err)
	}
	got := sp.Ops[0].Props.Strings("responseFields")
	if !slices.Contains(got, "zzz_email") || !slices.Contains(got, "a.p0.p0") {
		t.Errorf("shallow fields missing from %d fields: %v…", len(got), got[:min(len(got), 12)])
	}
	if len(got) > maxFields {
		t.Errorf("%d fields, more than maxFields %d", len(got), maxFields)
	}
	if d := sp.Ops[0].Sources[0].Detail; !strings.Contains(d, "fields cut at") {
		t.Errorf("evidence %q does not say the fields were cut", d)
	}
}

// TestTabIndentation: YAML indented with a tab is refused with the line and
// what is wrong with it.
func TestTabIndentation(t *testing.T) {
	_, err := Parse(&discovery.File{Path: "api.yaml", Data: []byte("openapi: 3.0.0\ninfo:\n  title: x\npaths:\n  /a:\n\tget:\n      responses: {}\n")})
	var fe *discovery.FileError
	if !errors.As(err, &fe) || fe.Line != 6 || !strings.Contains(fe.Msg, "tab character") {
		t.Errorf("error %v, want line 6 naming the tab", err)
	}
}

// TestNestedRelativeRefs: a $ref in a file reached through another $ref is
// relative to that file (paths/user.yaml's ../schemas/User.yaml, then
// User.yaml's ./Email.yaml), and a fragment alone points into that file.
func TestNestedRelativeRefs(t *testing.T) {
	f := load(t, "multi/openapi.yaml")
	sp, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.Ops) != 1 {
		t.Fatalf("%d operations", len(sp.Ops))
	}
	o := sp.Ops[0]
	if got := o.Props.Strings("responseFields"); !slices.Equal(got, []string{"email", "home", "home.street"}) {
		t.Errorf("response fields %v", got)
	}
	hints, _ := o.Props["fieldHints"].(graph.Props)
	if h, _ := hints["email"].([]string); !slices.Equal(h, []string{"format:email"}) {
		t.Errorf("email hints %v", hints["email"])
	}
}

// TestAPIGatewayAnyMethod: API Gateway's catch-all operation is an API with
// method ANY (a passthrough proxy has no other), a template placeholder in
// basePath is no prefix, and paths without operations are no error.
func TestAPIGatewayAnyMethod(t *testing.T) {
	sp, err := Parse(&discovery.File{Path: "proxy.yaml", Data: []byte(`swagger: "2.0"
info: {title: proxy}
basePath: "<base_path>"
paths:
  /{proxy+}:
    x-amazon-apigateway-any-method:
      parameters: [{name: proxy, in: path}]
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: ANY}
`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.Ops) != 1 || sp.Ops[0].Name != "ANY /{proxy+}" || sp.Ops[0].Props.String("method") != "ANY" {
		t.Errorf("operations %+v", sp.Ops)
	}
	sp, err = Parse(&discovery.File{Path: "empty.yaml", Data: []byte("openapi: 3.0.0\ninfo: {title: x}\npaths:\n  /a: {}\n")})
	if err != nil || len(sp.Ops) != 0 {
		t.Errorf("empty path item: %v %v", sp, err)
	}
}

// TestExamplesList: OpenAPI 3.1 schemas give examples as a JSON Schema
// list; what they are counts like example.
func TestExamplesList(t *testing.T) {
	sp, err := Parse(&discovery.File{Path: "api.yaml", Data: []byte(`openapi: 3.1.0
info: {title: x, version: "1"}
paths:
  /contacts:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                reachAt: {type: [string, "null"], examples: [jane@example.com]}
      responses: {"201": {description: created}}
`)})
	if err != nil {
		t.Fatal(err)
	}
	hints, _ := sp.Ops[0].Props["fieldHints"].(graph.Props)
	if h, _ := hints["reachAt"].([]string); !slices.Equal(h, []string{"example:email"}) {
		t.Errorf("reachAt hints %v, want example:email", hints["reachAt"])
	}
}
