package openapi

import (
	"errors"
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
		"GET /health":               false, // security: []
		"POST /accounts":            true,  // global bearer
		"GET /accounts":             false, // {} makes authentication optional
		"GET /accounts/{id}/tree":   false, // names a scheme that is not defined
		"PUT /accounts/{id}/payout": true,  // apiKey
	}
	for k, w := range want {
		if auth[k] != w {
			t.Errorf("%s authenticated = %v, want %v", k, auth[k], w)
		}
	}
	create := op(t, sp.Ops, "POST", "/accounts")
	if got := create.Props.Strings("requestFields"); !slices.Equal(got, []string{"address", "address.postcode", "address.street", "contact", "fullName", "password"}) {
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
	list := op(t, sp.Ops, "GET", "/accounts")
	if got := list.Props.Strings("parameters"); !slices.Equal(got, []string{"email", "page"}) {
		t.Errorf("parameters %v, want email page ($ref parameter resolved)", got)
	}
	if got := list.Props.Strings("responseFields"); !slices.Contains(got, "owner.fullName") {
		t.Errorf("array response fields %v", got)
	}
	tree := op(t, sp.Ops, "GET", "/accounts/{id}/tree")
	if got := tree.Props.Strings("responseFields"); !slices.Equal(got, []string{"children", "name"}) {
		t.Errorf("cyclic schema flattened to %v, want the cycle cut after one level", got)
	}
	payout := op(t, sp.Ops, "PUT", "/accounts/{id}/payout")
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
