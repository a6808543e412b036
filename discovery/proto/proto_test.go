package proto

import (
	"errors"
	"maps"
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
	f := file(t, "shop.proto")
	if !(Agent{}).Detect(f) {
		t.Fatal("Detect rejected a .proto file")
	}
	specs, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 1 || specs[0].Title != "CheckoutService" || specs[0].Line != 7 {
		t.Fatalf("specs %+v", specs)
	}
	ops := specs[0].Ops
	if len(ops) != 2 {
		t.Fatalf("%d operations, want 2", len(ops))
	}
	po := ops[0]
	if po.Props.String("path") != "/acme.shop.v1.CheckoutService/PlaceOrder" || po.Props.String("method") != "GRPC" ||
		po.Props.String("protocol") != "grpc" || po.Sources[0].Line != 8 {
		t.Errorf("PlaceOrder %v %v", po.Props, po.Sources)
	}
	want := []string{"email", "address", "address.street_address", "address.zip_code", "credit_card",
		"credit_card.credit_card_number", "credit_card.credit_card_cvv", "labels", "category", "placed_at"}
	if got := po.Props.Strings("requestFields"); !slices.Equal(got, want) {
		t.Errorf("request fields\n got %v\nwant %v", got, want)
	}
	if got := po.Props.Strings("responseFields"); !slices.Equal(got, []string{"order", "order.order_id", "order.replaces"}) {
		t.Errorf("response fields %v (recursion must be cut)", got)
	}
	if !ops[1].Props.Bool("streaming") {
		t.Error("WatchOrders is server-streaming")
	}
}

func TestInfrastructureServicesSkipped(t *testing.T) {
	specs, err := Parse(file(t, "health.proto"))
	if err != nil || len(specs) != 0 {
		t.Errorf("grpc.health.v1 gave %v, %v; want nothing", specs, err)
	}
}

func TestBroken(t *testing.T) {
	_, err := Parse(file(t, "broken.proto"))
	var fe *discovery.FileError
	if !errors.As(err, &fe) || fe.Line != 5 || !strings.Contains(fe.Msg, "invalid protobuf source") {
		t.Errorf("broken.proto: %v, want a FileError at line 5", err)
	}
	if _, err := Parse(&discovery.File{Path: "x.proto", Data: []byte("syntax\x00\x01")}); err == nil || !strings.Contains(err.Error(), "binary") {
		t.Errorf("binary: %v", err)
	}
	if _, err := Parse(&discovery.File{Path: "x.proto", Data: make([]byte, 50<<20)}); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("50 MB: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"shop.proto", "broken.proto", "health.proto"} {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		specs, err := Parse(&discovery.File{Path: "fuzz.proto", Data: data})
		if err != nil {
			var fe *discovery.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *discovery.FileError", err)
			}
			return
		}
		for _, s := range specs {
			for _, o := range s.Ops {
				if !strings.HasPrefix(o.Props.String("path"), "/") {
					t.Fatalf("path %q", o.Props.String("path"))
				}
			}
		}
	})
}

// TestImportsAndHTTPRules: messages defined in imported files (found below
// an ancestor directory, transitively) give their fields, a message found
// nowhere is named in the evidence, and google.api.http rules are HTTP
// operations of their own.
func TestImportsAndHTTPRules(t *testing.T) {
	f := file(t, "imports/api/v1/accounts.proto")
	abs, err := filepath.Abs(filepath.Join("testdata", "imports", "api", "v1", "accounts.proto"))
	if err != nil {
		t.Fatal(err)
	}
	f.Abs = abs
	specs, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 1 {
		t.Fatalf("specs %+v", specs)
	}
	ops := map[string]graph.Props{}
	details := map[string]string{}
	for _, op := range specs[0].Ops {
		ops[op.Name] = op.Props
		details[op.Name] = op.Sources[0].Detail
	}
	signup := ops["GRPC /acme.accounts.v1.Accounts/SignUp"]
	if got, want := signup.Strings("requestFields"), []string{"parent", "user", "user.email", "user.phone_number", "password"}; !slices.Equal(got, want) {
		t.Errorf("SignUp request fields %v, want %v", got, want)
	}
	if got := signup.Strings("responseFields"); !slices.Equal(got, []string{"email", "phone_number"}) {
		t.Errorf("SignUp response fields %v", got)
	}
	for _, name := range []string{"POST /v1/{parent}/users", "PUT /v1/users"} {
		p, ok := ops[name]
		if !ok {
			t.Errorf("no HTTP operation %s in %v", name, slices.Collect(maps.Keys(ops)))
			continue
		}
		if p.String("protocol") != "http" || p.String("grpcMethod") != "/acme.accounts.v1.Accounts/SignUp" ||
			!slices.Contains(p.Strings("requestFields"), "password") {
			t.Errorf("%s: %v", name, p)
		}
	}
	if d := details["GRPC /acme.accounts.v1.Accounts/Audit"]; !strings.Contains(d, "AuditRequest, AuditResponse not read") {
		t.Errorf("Audit evidence %q does not name the messages not found", d)
	}
}
