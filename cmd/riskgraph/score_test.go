package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/scoring"
	"github.com/riskgraph/riskgraph/testdata/demo"
)

// demoStore writes the demo estate into a data directory.
func demoStore(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	s, err := memdb.Open(dir, memdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(context.Background(), demo.Batch()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestScoringCommandsOnDemo(t *testing.T) {
	dir := demoStore(t)

	out, err := run(t, "score", "--data-dir", dir, "--risks", "3")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Top risks:") || !strings.Contains(out, "Spring4Shell on fraud-service") {
		t.Fatalf("score text output lacks the top risks:\n%s", out)
	}

	out, err = run(t, "score", "--data-dir", dir, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		TopRisks []scoring.Risk  `json:"topRisks"`
		Findings []scoring.Score `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("score json: %v\n%s", err, out)
	}
	if len(res.TopRisks) != 3 || len(res.Findings) != 9 {
		t.Fatalf("want 3 risks and the 9 open demo findings, got %d and %d", len(res.TopRisks), len(res.Findings))
	}
	for i := 1; i < len(res.Findings); i++ {
		if res.Findings[i].Risk > res.Findings[i-1].Risk {
			t.Fatalf("findings not ranked: %v after %v", res.Findings[i].Risk, res.Findings[i-1].Risk)
		}
	}

	out, err = run(t, "paths", "--data-dir", dir, "--to", "pii", "--limit", "3")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "1. ") || !strings.Contains(out, "recommendation-service") {
		t.Fatalf("paths output:\n%s", out)
	}

	out, err = run(t, "blast", "--data-dir", dir, "--cve", "GHSA-jfh8-c2jp-5v3q")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "dependents       1  recommendation-service (prod)") {
		t.Fatalf("blast --cve output:\n%s", out)
	}
	out, err = run(t, "blast", "--data-dir", dir, "-o", "json", string(graph.ServiceID("prod", "refund-worker")))
	if err != nil {
		t.Fatal(err)
	}
	var br scoring.BlastRadius
	if err := json.Unmarshal([]byte(out), &br); err != nil || len(br.DataStores) == 0 {
		t.Fatalf("blast json: %v\n%s", err, out)
	}

	out, err = run(t, "flows", "--data-dir", dir, "PII", "--third-parties")
	if err != nil {
		t.Fatal(err)
	}
	if out != "notification-service (prod)\npayments-api (prod)\n" && out != "payments-api (prod)\nnotification-service (prod)\n" {
		t.Fatalf("flows --third-parties: %q", out)
	}

	out, err = run(t, "kpis", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "open, exploitable and reachable") {
		t.Fatalf("kpis: %v\n%s", err, out)
	}
}

func TestScoringCommandErrors(t *testing.T) {
	dir := demoStore(t)
	prof := filepath.Join(t.TempDir(), "p.yaml")
	os.WriteFile(prof, []byte("severity:\n  epssWieght: 0.3\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"score"}, "--data-dir is required"},
		{[]string{"score", "--data-dir", dir, "-o", "xml"}, "want text or json"},
		{[]string{"score", "--data-dir", dir, "--profile", prof}, "line 2"},
		{[]string{"kpis"}, "riskgraph query --server"},
		{[]string{"paths", "--data-dir", dir, "--to", "SECRETS"}, "want one of"},
		{[]string{"blast", "--data-dir", dir}, "exactly one"},
		{[]string{"flows", "--data-dir", dir, "GOSSIP"}, "want one of"},
		{[]string{"blast", "--data-dir", dir, "--purl", "pkg:npm/nope@1"}, "not found"},
	} {
		_, err := run(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: want an error containing %q, got %v", c.args, c.want, err)
		}
	}
}
