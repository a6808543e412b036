package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
)

// demoK8s is the demo estate's Kubernetes folder, relative to this package.
const demoK8s = "../../testdata/demo/k8s/prod"

func TestDiscoverDryRunJSON(t *testing.T) {
	out, err := run(t, "discover", "--dry-run", "--output", "json", "--env", "prod", "--scope", "demo-k8s", demoK8s)
	if err != nil {
		t.Fatal(err)
	}
	var b graph.Batch
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatalf("dry-run output is not a batch: %v\n%s", err, out[:min(len(out), 500)])
	}
	if b.Scope != (graph.Scope{Source: "discover", Key: "demo-k8s"}) || b.Run == "" {
		t.Errorf("scope %v run %q", b.Scope, b.Run)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	var services int
	found := false
	for _, n := range b.Nodes {
		if n.Kind == graph.Service {
			services++
		}
		if n.ID == graph.ServiceID("prod", "payments-api") {
			found = true
			if len(n.Sources) == 0 || !strings.HasSuffix(n.Sources[0].File, "payments/payments-api.yaml") || n.Sources[0].Line == 0 {
				t.Errorf("payments-api evidence %+v", n.Sources)
			}
		}
	}
	if services != 18 || !found {
		t.Errorf("%d services (want 18), payments-api found: %v", services, found)
	}
}

func TestDiscoverApplyThenStatsAndPartialRuns(t *testing.T) {
	dir := t.TempDir()
	src := t.TempDir()
	good, err := os.ReadFile(filepath.Join(demoK8s, "shop", "cart-service.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "cart.yaml"), good, 0o644); err != nil {
		t.Fatal(err)
	}
	order, err := os.ReadFile(filepath.Join(demoK8s, "shop", "order-service.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "order.yaml"), order, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "discover", "--data-dir", dir, "--env", "prod", src)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "read by k8s") || !strings.Contains(out, "swept: 0") {
		t.Errorf("summary:\n%s", out)
	}
	stats := func() map[string]any {
		t.Helper()
		s, err := run(t, "stats", "--data-dir", dir, "--output", "json")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	byKind := func(m map[string]any, k string) float64 {
		kinds, _ := m["nodesByKind"].(map[string]any)
		f, _ := kinds[k].(float64)
		return f
	}
	if n := byKind(stats(), "Service"); n != 2 {
		t.Fatalf("after the first run: %v services, want 2", n)
	}

	// A run where one file is broken applies the good one, exits non-zero
	// and does not sweep: order-service, now unreadable, stays.
	if err := os.WriteFile(filepath.Join(src, "order.yaml"), []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "discover", "--data-dir", dir, "--env", "prod", src)
	if err == nil || !strings.Contains(out, "order.yaml:5: invalid YAML") || !strings.Contains(out, "not swept") {
		t.Fatalf("partial run: err %v\n%s", err, out)
	}
	if n := byKind(stats(), "Service"); n != 2 {
		t.Fatalf("after the partial run: %v services, want 2 (nothing swept)", n)
	}

	// A clean run without the order file sweeps order-service away.
	if err := os.Remove(filepath.Join(src, "order.yaml")); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "discover", "--data-dir", dir, "--env", "prod", src)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if n := byKind(stats(), "Service"); n != 1 {
		t.Fatalf("after the clean run: %v services, want 1\n%s", n, out)
	}
}

func TestDiscoverFlags(t *testing.T) {
	if _, err := run(t, "discover", "--server", "http://127.0.0.1:1", "--token", "x", demoK8s); err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("--server with nothing listening: %v", err)
	}
	if _, err := run(t, "discover", demoK8s); err == nil || !strings.Contains(err.Error(), "--data-dir") {
		t.Errorf("no target: %v", err)
	}
	if _, err := run(t, "discover", "--dry-run", "-o", "yaml", demoK8s); err == nil {
		t.Error("--output yaml accepted")
	}
}
