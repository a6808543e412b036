package graph

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestIDsAreStableAndTyped(t *testing.T) {
	a, b := ServiceID("prod", "Checkout"), ServiceID(" PROD ", "checkout")
	if a != b {
		t.Fatalf("natural keys are compared case- and space-insensitively: %s vs %s", a, b)
	}
	if ServiceID("prod", "checkout") == ServiceID("staging", "checkout") {
		t.Fatal("different envs must give different ids")
	}
	if k, ok := a.KindOf(); !ok || k != Service || !strings.HasPrefix(string(a), "service:") || len(a) != len("service:")+24 {
		t.Fatalf("id %s: kind %v %v", a, k, ok)
	}
	e := EdgeID(Calls, a, b)
	if k, ok := e.EdgeKindOf(); !ok || k != Calls {
		t.Fatalf("edge id %s kind %v", e, k)
	}
	if _, ok := e.KindOf(); ok {
		t.Fatal("an edge id is not a node id")
	}
	// Parts are separated, so ("ab","c") and ("a","bc") differ.
	if NodeID(Team, "ab", "c") == NodeID(Team, "a", "bc") {
		t.Fatal("key parts must not run together")
	}
	if VulnerabilityID("cve-2021-44228") != VulnerabilityID("CVE-2021-44228") {
		t.Fatal("advisory ids are case-insensitive")
	}
}

func TestValidateNamesElementAndField(t *testing.T) {
	svc := ServiceID("prod", "a")
	b := Batch{Scope: Scope{Source: "k8s", Key: "c"}, Run: "r",
		Nodes: []Node{
			{ID: svc, Kind: Service, Name: "a", Props: Props{"n": 3, "l": []any{1, 2.5}}},
			{ID: "", Kind: Service, Name: "b"},
			{ID: ServiceID("prod", "c"), Kind: API, Name: "c"},
			{ID: ServiceID("prod", "d"), Kind: Service, Name: " "},
			{ID: ServiceID("prod", "e"), Kind: Service, Name: "e", DataClasses: []DataClass{"TOPSECRET"}},
			{ID: ServiceID("prod", "f"), Kind: Service, Name: "f", Props: Props{"ch": make(chan int)}},
		},
		Edges: []Edge{
			NewEdge(Reads, svc, PackageID("pkg:npm/x@1")),
			{ID: "calls:zz", Kind: "CALLZ", From: svc, To: svc},
		},
		Delete: []ID{"nonsense"},
	}
	err := b.Validate()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("want ErrInvalid, got %v", err)
	}
	for _, want := range []string{
		"nodes[1] field id: is empty",
		"nodes[2] (id service:",
		"does not match kind API",
		"nodes[3] (id service:",
		"field name: is empty",
		"dataClasses[0]: unknown data class \"TOPSECRET\"",
		"nodes[5]",
		"props.ch: unsupported property type chan int",
		"READS may not connect Service → Package",
		"edges[1] (id calls:zz) field kind: unknown edge kind \"CALLZ\"",
		"delete[0] (id nonsense)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if got := b.Nodes[0].Props; got["n"] != int64(3) || !reflect.DeepEqual(got["l"], []float64{1, 2.5}) {
		t.Errorf("props not normalised: %#v", got)
	}
	if err := (&Batch{}).Validate(); err == nil || !strings.Contains(err.Error(), "scope.source") || !strings.Contains(err.Error(), "run") {
		t.Errorf("empty batch: %v", err)
	}
}

func TestCheckEndpoints(t *testing.T) {
	a, b, c := ServiceID("p", "a"), ServiceID("p", "b"), ServiceID("p", "c")
	batch := Batch{Nodes: []Node{{ID: a}}, Edges: []Edge{NewEdge(Calls, a, b), NewEdge(Calls, a, c)}, Delete: []ID{c}}
	err := batch.CheckEndpoints(func(id ID) bool { return id == b || id == c })
	if err == nil || !strings.Contains(err.Error(), "edges[1]") || strings.Contains(err.Error(), "edges[0]") {
		t.Fatalf("c is deleted by the batch, b is stored: %v", err)
	}
}

func TestDecodeBatch(t *testing.T) {
	good := `{"scope":{"source":"s","key":"k"},"run":"r","nodes":[{"id":"service:x","kind":"Service","name":"x","props":{"replicas":3,"ratio":0.5,"tags":["a"],"m":{"k":1}}}]}`
	b, err := DecodeBatch(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	p := b.Nodes[0].Props
	if p["replicas"] != int64(3) || p["ratio"] != 0.5 || !reflect.DeepEqual(p["tags"], []string{"a"}) || !reflect.DeepEqual(p["m"], Props{"k": int64(1)}) {
		t.Fatalf("props %#v", p)
	}
	for _, tc := range []struct{ in, want string }{
		{"", "empty input"},
		{"{\n  \"run\": \"r\",\n  \"nodes\": [\n    {\"id\": 5}\n  ]\n}", "line 4"},
		{`{"run":"r","nodez":[]}`, "unknown field"},
		{`{"run":"r"`, "truncated"},
		{`{"run":"r"} {}`, "after the batch"},
		{`{"nodes":[{"props":{"l":[1,"a"]}}]}`, "mixes"},
	} {
		_, err := DecodeBatch(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: want %q, got %v", tc.in, tc.want, err)
		}
	}
}

func TestMergeAndSweepClaims(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s1, s2 := Scope{"k8s", "a"}, Scope{"openapi", "b"}
	old := MergeNode(nil, &Node{ID: "service:x", Kind: Service, Name: "x", Props: Props{"a": "1", "b": "2"}}, Claim{s1, "r1"}, t0)
	n := MergeNode(&old, &Node{ID: "service:x", Kind: Service, Props: Props{"a": nil, "c": "3"}, DataClasses: []DataClass{PII}}, Claim{s2, "o1"}, t0.Add(time.Hour))
	if n.Name != "x" || !reflect.DeepEqual(n.Props, Props{"b": "2", "c": "3"}) || len(n.Claims) != 2 || !n.LastSeen.Equal(t0.Add(time.Hour)) || !n.FirstSeen.Equal(t0) {
		t.Fatalf("merged %+v", n)
	}
	rest, changed, remove := SweepClaims(n.Claims, s1, "r2")
	if !changed || remove || len(rest) != 1 || rest[0].Scope != s2 {
		t.Fatalf("sweep of s1: %v %v %v", rest, changed, remove)
	}
	if _, changed, _ := SweepClaims(n.Claims, s1, "r1"); changed {
		t.Fatal("the run that saw it must keep it")
	}
	if _, _, remove := SweepClaims([]Claim{{s1, "r1"}}, s1, "r2"); !remove {
		t.Fatal("an element only s1 claimed goes")
	}
}

func FuzzDecodeAndValidate(f *testing.F) {
	f.Add(`{"scope":{"source":"s","key":"k"},"run":"r","nodes":[{"id":"service:x","kind":"Service","name":"x"}],"edges":[{"id":"calls:y","kind":"CALLS","from":"service:x","to":"service:x"}]}`)
	f.Add(`{"nodes":[{"props":{"a":[1,2.5],"m":{"x":[]}}}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		b, err := DecodeBatch(strings.NewReader(in))
		if err != nil {
			return
		}
		if err := b.Validate(); err == nil {
			_ = b.CheckEndpoints(func(ID) bool { return false })
		}
	})
}
