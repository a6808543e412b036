package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/api"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/internal/auth"
)

const otelData = "../../discovery/otel/testdata"

func TestDiscoverOtel(t *testing.T) {
	dir := t.TempDir()
	// Artifacts first: the compose file the shadow test uses.
	if out, err := run(t, "discover", "--data-dir", dir, "--env", "prod", "--scope", "shop", "../../discovery/otel/shadow/testdata/compose.yml"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err := run(t, "discover", "otel", "--data-dir", dir, filepath.Join(otelData, "shop.json"), filepath.Join(otelData, "shop-2.jsonl"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"scope otel/default", "read by otel  2", "CALLS 6", "not swept", "traces are a sample"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	// The same export again: counts add up.
	if out, err := run(t, "discover", "otel", "--data-dir", dir, filepath.Join(otelData, "shop-2.jsonl")); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	q := func(query string) map[string]any {
		t.Helper()
		out, err := run(t, "query", "--data-dir", dir, query)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return m["data"].(map[string]any)
	}
	d := q(`{ relationships(filter: {shadow: UNOBSERVED}) { totalCount nodes { kind fromNode { name } toNode { name } } } }`)
	rel := d["relationships"].(map[string]any)
	if rel["totalCount"].(float64) != 1 || !strings.Contains(mustJSON(rel["nodes"]), `"fraud"`) {
		t.Errorf("unobserved: %v", rel)
	}
	// Undeclared, a page at a time: 14 in all (8 from shop.json, 6 from
	// shop-2.jsonl), after the cursor of the 5th come the other 9.
	d = q(`{ relationships(filter: {shadow: UNDECLARED}, first: 5) { totalCount pageInfo { hasNextPage endCursor } nodes { id kind properties } } }`)
	rel = d["relationships"].(map[string]any)
	page := rel["pageInfo"].(map[string]any)
	if rel["totalCount"].(float64) != 14 || page["hasNextPage"] != true || len(rel["nodes"].([]any)) != 5 {
		t.Fatalf("undeclared page 1: %s", mustJSON(rel))
	}
	d = q(`{ relationships(filter: {shadow: UNDECLARED}, first: 50, after: "` + page["endCursor"].(string) + `") { totalCount pageInfo { hasNextPage } nodes { id } } }`)
	rel2 := d["relationships"].(map[string]any)
	if len(rel2["nodes"].([]any)) != 9 || rel2["pageInfo"].(map[string]any)["hasNextPage"] != false {
		t.Errorf("undeclared page 2: %s", mustJSON(rel2))
	}
	// frontend → inventory was in both runs: 2 calls, both failed.
	d = q(`{ relationships(filter: {shadow: UNDECLARED, kinds: [CALLS]}) { nodes { fromNode { name } toNode { name } properties } } }`)
	found := false
	for _, n := range d["relationships"].(map[string]any)["nodes"].([]any) {
		m := n.(map[string]any)
		if mustJSON(m["fromNode"]) == `{"name":"frontend"}` && mustJSON(m["toNode"]) == `{"name":"inventory"}` {
			found = true
			if p := m["properties"].(map[string]any); p["calls"].(float64) != 2 || p["errorRate"].(float64) != 1 {
				t.Errorf("frontend → inventory %v", p)
			}
		}
	}
	if !found {
		t.Errorf("frontend → inventory not listed as undeclared: %v", d)
	}
}

func TestDiscoverOtelBadFileAndSweep(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, "discover", "otel", "--data-dir", dir, filepath.Join(otelData, "shop.json"), filepath.Join(otelData, "bad", "truncated.json"))
	if !errors.Is(err, errPartial) || !strings.Contains(out, "truncated.json:295: column 15: truncated") || !strings.Contains(out, "not swept: some files had errors") {
		t.Fatalf("%v\n%s", err, out)
	}
	// --sweep after a clean run removes what this scope saw before and
	// these files did not: shop-2.jsonl has no payment service.
	out, err = run(t, "discover", "otel", "--sweep", "--data-dir", dir, filepath.Join(otelData, "shop-2.jsonl"))
	if err != nil || !strings.Contains(out, "swept: ") || strings.Contains(out, "swept: 0 ") {
		t.Fatalf("%v\n%s", err, out)
	}
	s, err := run(t, "query", "--data-dir", dir, `{ service(name: "payment", env: "prod") { name } }`)
	if err != nil || !strings.Contains(s, `"service": null`) {
		t.Errorf("payment after the sweep: %v %s", err, s)
	}
	// Dry run as JSON: a batch of scope otel/<env>.
	out, err = run(t, "discover", "otel", "--dry-run", "-o", "json", "--env", "staging", filepath.Join(otelData, "shop.json"))
	if err != nil || !strings.Contains(out, `"source": "otel"`) || !strings.Contains(out, `"key": "staging"`) {
		t.Errorf("dry run: %v\n%.500s", err, out)
	}
	if _, err := run(t, "discover", "otel", "--data-dir", dir, filepath.Join(otelData, "missing.json")); err == nil {
		t.Error("a missing file was not an error")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// With --server the stored counts are read over GraphQL before the batch
// is sent, so they add up there too.
func TestDiscoverOtelToServer(t *testing.T) {
	st, err := memdb.Open("", memdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := (&auth.Authenticator{Anonymous: auth.Admin}).Middleware(api.NewHandler(api.NewVersioned(st, false), api.Options{}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	for i := 0; i < 2; i++ {
		if out, err := run(t, "discover", "otel", "--server", srv.URL, filepath.Join(otelData, "shop-2.jsonl")); err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, out)
		}
	}
	v, err := st.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	e, err := v.Edge(context.Background(), graph.EdgeID(graph.Calls, graph.ServiceID("prod", "frontend"), graph.ServiceID("prod", "inventory")))
	if err != nil || e.Props.Int("calls") != 2 || e.Props.Int("errors") != 2 {
		t.Errorf("frontend → inventory on the server: %+v %v", e.Props, err)
	}
}
