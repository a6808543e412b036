package graphql

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

func file(t testing.TB, name string) *discovery.File {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return &discovery.File{Path: "testdata/" + name, Data: data}
}

func TestParse(t *testing.T) {
	f := file(t, "shop.graphql")
	if !(Agent{}).Detect(f) {
		t.Fatal("Detect rejected a schema")
	}
	sp, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]graph.Node{}
	for _, o := range sp.Ops {
		ops[o.Name] = o
	}
	if len(ops) != 3 {
		t.Fatalf("operations %v", ops)
	}
	pay := ops["MUTATION Mutation.pay"]
	if got := pay.Props.Strings("requestFields"); !slices.Equal(got, []string{"orderId", "card", "card.cardNumber", "card.cvv"}) {
		t.Errorf("pay request %v", got)
	}
	if got := pay.Props.Strings("responseFields"); !slices.Equal(got, []string{"orderId", "address", "address.name", "address.streetAddress", "address.phoneNumber", "parent"}) {
		t.Errorf("pay response %v (recursion through parent must be cut)", got)
	}
	if !pay.Props.Bool("authenticated") || pay.Sources[0].Line != 27 {
		t.Errorf("pay auth %v line %d", pay.Props["authenticated"], pay.Sources[0].Line)
	}
	if o := ops["QUERY Query.order"]; !o.Props.Bool("authenticated") {
		t.Error("order returns a Cognito-protected type: authenticated")
	}
	p := ops["QUERY Query.products"]
	if p.Props.Bool("authenticated") || p.Props.String("summary") != "List products (public)" {
		t.Errorf("products (API key only) %v", p.Props)
	}
}

func TestBroken(t *testing.T) {
	_, err := Parse(file(t, "broken.graphql"))
	var fe *discovery.FileError
	if !errors.As(err, &fe) || fe.Line != 3 || !strings.Contains(fe.Msg, "invalid GraphQL schema") {
		t.Errorf("broken.graphql: %v, want a FileError at line 3", err)
	}
	if _, err := Parse(&discovery.File{Path: "x.graphql", Data: []byte("type\x00")}); err == nil {
		t.Error("binary accepted")
	}
	if _, err := Parse(&discovery.File{Path: "x.graphql", Data: make([]byte, 50<<20)}); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("50 MB: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"shop.graphql", "broken.graphql"} {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse(&discovery.File{Path: "fuzz.graphql", Data: data})
		var fe *discovery.FileError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("error %v is not a *discovery.FileError", err)
		}
	})
}

// TestSplitSchemaAndUnions: types defined in the other schema files of the
// directory give their fields, and a union's fields are its members'.
func TestSplitSchemaAndUnions(t *testing.T) {
	f := file(t, "split/schema.graphqls")
	abs, err := filepath.Abs(filepath.Join("testdata", "split", "schema.graphqls"))
	if err != nil {
		t.Fatal(err)
	}
	f.Abs = abs
	sp, err := Parse(f)
	if err != nil || sp == nil {
		t.Fatalf("Parse: %v %v", sp, err)
	}
	got := map[string][2][]string{}
	for _, op := range sp.Ops {
		got[op.Name] = [2][]string{op.Props.Strings("requestFields"), op.Props.Strings("responseFields")}
	}
	for name, want := range map[string][2][]string{
		"QUERY Query.me":             {nil, {"id", "email"}},
		"QUERY Query.find":           {{"term"}, {"id", "email", "sku"}},
		"MUTATION Mutation.register": {{"input", "input.email", "input.password"}, {"id", "email"}},
	} {
		g, ok := got[name]
		if !ok {
			t.Errorf("no operation %s", name)
			continue
		}
		if !slices.Equal(g[0], want[0]) || !slices.Equal(g[1], want[1]) {
			t.Errorf("%s: request %v response %v, want %v %v", name, g[0], g[1], want[0], want[1])
		}
	}
	if len(sp.Ops) != 3 {
		t.Errorf("%d operations, want 3 (the other file's types are not operations)", len(sp.Ops))
	}
}

// TestNonAuthDirectives: directives that say nothing about who may call
// (@deprecated, @key, @shareable) are not authorization schemes, and do not
// hide the identity directive of the result type.
func TestNonAuthDirectives(t *testing.T) {
	src := `type Query {
  me: Account @deprecated(reason: "use viewer")
  profile(handle: String!): Profile
}
type Account @aws_cognito_user_pools @key(fields: "id") { id: ID! email: String! }
type Profile @shareable { handle: String! }
`
	sp, err := Parse(&discovery.File{Path: "schema.graphql", Data: []byte(src)})
	if err != nil || sp == nil {
		t.Fatalf("Parse: %v %v", sp, err)
	}
	for _, op := range sp.Ops {
		switch op.Name {
		case "QUERY Query.me":
			if !op.Props.Bool("authenticated") || !slices.Equal(op.Props.Strings("authSchemes"), []string{"aws_cognito_user_pools"}) {
				t.Errorf("me: %v", op.Props)
			}
		case "QUERY Query.profile":
			if op.Props.Bool("authenticated") || len(op.Props.Strings("authSchemes")) > 0 ||
				!strings.Contains(op.Sources[0].Detail, "no authorization directive") {
				t.Errorf("profile: %v %q", op.Props, op.Sources[0].Detail)
			}
		}
	}
}
