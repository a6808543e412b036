package neo4j

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"

	"github.com/riskgraph/riskgraph/graph"
)

// TestPropertyRoundTrip sends every property type the model has through the
// stored form and the driver's value types and expects the same values back.
func TestPropertyRoundTrip(t *testing.T) {
	props := graph.Props{
		"s": "text", "empty": "", "unicode": "Zürich ✓", "b": true, "f0": false,
		"i": int64(42), "neg": int64(math.MinInt64), "big": int64(math.MaxInt64),
		"x": 1.0, "pi": 3.14159, "tiny": 5e-324, "huge": 1e300, "negf": -2.5,
		"ss": []string{"a", "b"}, "is": []int64{1, -2, 3}, "fs": []float64{1, 2.5}, "bs": []bool{true, false},
		"es": []string{}, "ei": []int64{}, "ef": []float64{}, "eb": []bool{},
		"m": graph.Props{
			"i": int64(7), "f": 7.0, "s": "seven", "b": false, "nil": nil, "exp": 1e21,
			"li": []int64{1}, "lf": []float64{1}, "ls": []string{"x"}, "lb": []bool{true},
			"le": []int64{}, "inner": graph.Props{"deep": graph.Props{"n": int64(-1)}}, "emptyMap": graph.Props{},
		},
		"dotted.key": "v", "p.looks-like-a-prefix": "v", "pm.x": int64(1),
	}
	t0 := time.Date(2026, 11, 1, 12, 30, 15, 123456789, time.UTC)
	n := graph.Node{ID: graph.ServiceID("prod", "checkout"), Kind: graph.Service, Name: "Checkout", Env: "prod",
		Props: props, DataClasses: []graph.DataClass{graph.PII, graph.PCI},
		Sources:   []graph.Source{{Agent: "k8s", File: "a.yaml", Line: 3, Detail: "Deployment"}, {Agent: "otel"}},
		FirstSeen: t0, LastSeen: t0.Add(time.Hour),
		Claims: []graph.Claim{{Scope: graph.Scope{Source: "k8s", Key: "prod/\x1fodd\"key"}, Run: "r1"}, {Scope: graph.Scope{Source: "otel"}, Run: "r9"}}}
	stored, err := nodeProps(&n)
	if err != nil {
		t.Fatal(err)
	}
	for k := range stored {
		if k == "" {
			t.Fatal("empty stored key")
		}
	}
	// What the server hands back: a dbtype.Node whose properties went
	// through Bolt.
	dn := dbtype.Node{ElementId: "4:abc:1", Labels: []string{"Service"}, Props: wire(t, map[string]any(stored)).(map[string]any)}
	got, err := decodeNode(dn.Props)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, n) {
		for k, v := range n.Props {
			if !reflect.DeepEqual(got.Props[k], v) {
				t.Errorf("props.%s: got %#v (%T), want %#v (%T)", k, got.Props[k], got.Props[k], v, v)
			}
		}
		t.Fatalf("node differs:\n got %#v\nwant %#v", got, n)
	}
	if stored[keyNameKey] != "checkout" {
		t.Errorf("nameKey %v", stored[keyNameKey])
	}

	e := graph.NewEdge(graph.Calls, n.ID, graph.ServiceID("prod", "payments"))
	e.Props, e.FirstSeen, e.LastSeen, e.Claims = graph.Props{"rps": 12.5, "paths": []string{"/pay"}}, t0, t0, n.Claims[:1]
	es, err := edgeProps(&e)
	if err != nil {
		t.Fatal(err)
	}
	rel := dbtype.Relationship{ElementId: "5:abc:2", Type: "CALLS", Props: wire(t, map[string]any(es)).(map[string]any)}
	ge, err := decodeEdge(rel.Props, string(e.From), string(e.To))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ge, e) {
		t.Fatalf("edge differs:\n got %#v\nwant %#v", ge, e)
	}
}

// TestStoredValuesAreDriverTypes checks the stored form uses only what
// Neo4j stores as a property: no maps (nested maps are serialised), no
// mixed or nested lists.
func TestStoredValuesAreDriverTypes(t *testing.T) {
	n := graph.Node{ID: graph.ServiceID("prod", "a"), Kind: graph.Service, Name: "a",
		Props: graph.Props{"m": graph.Props{"a": int64(1)}, "l": []int64{1}}, FirstSeen: time.Now().UTC(), LastSeen: time.Now().UTC(),
		Claims: []graph.Claim{{Scope: graph.Scope{Source: "s"}, Run: "r"}}}
	m, err := nodeProps(&n)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range m {
		switch v.(type) {
		case string, bool, int64, float64, time.Time, []string, []int64, []float64, []bool:
		default:
			t.Errorf("%s: %T cannot be a Neo4j property", k, v)
		}
	}
	if s, ok := m["pm.m"].(string); !ok || !strings.Contains(s, `"a":1`) {
		t.Errorf("nested map stored as %#v", m["pm.m"])
	}
}

func TestDecodeRejectsCorruptValues(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{"id": string(graph.ServiceID("prod", "a")), "name": "a"}
	}
	for name, mutate := range map[string]func(map[string]any){
		"mixed list":      func(m map[string]any) { m["p.x"] = []any{"a", int64(1)} },
		"bad map json":    func(m map[string]any) { m["pm.x"] = "{not json" },
		"untyped list":    func(m map[string]any) { m["pm.x"] = `{"l":[1,2]}` },
		"unknown empty":   func(m map[string]any) { m["pl.x"] = "date" },
		"claims mismatch": func(m map[string]any) { m["claimScopes"] = []any{`["a","b"]`}; m["claimRuns"] = []any{} },
		"time as string":  func(m map[string]any) { m["firstSeen"] = "2026-01-01" },
		"no id":           func(m map[string]any) { delete(m, "id") },
		"edge id on node": func(m map[string]any) { m["id"] = string(graph.EdgeID(graph.Calls, "a", "b")) },
	} {
		m := base()
		mutate(m)
		if _, err := decodeNode(m); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	if n, err := decodeNode(base()); err != nil || n.Name != "a" || n.Kind != graph.Service {
		t.Fatalf("base: %+v %v", n, err)
	}
}

func TestFilterProps(t *testing.T) {
	conds, ok, err := filterProps(map[string]any{"port": 8080, "public": true, "gone": nil, "tag": "web"})
	if err != nil || !ok || len(conds) != 4 {
		t.Fatalf("%v %v %v", conds, ok, err)
	}
	if conds[0]["key"] != "p.gone" || conds[0]["value"] != nil || conds[1]["value"] != int64(8080) || conds[3]["isString"] != true {
		t.Fatalf("conditions %v", conds)
	}
	// graph.NodeFilter.Match never matches a wanted list or map.
	if _, ok, _ := filterProps(map[string]any{"l": []string{"a"}}); ok {
		t.Fatal("a list condition should match nothing")
	}
	if _, _, err := filterProps(map[string]any{"bad": struct{}{}}); err == nil {
		t.Fatal("unsupported filter value accepted")
	}
}
