package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/testdata/demo"
)

func demoDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	st, err := memdb.Open(dir, memdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Apply(context.Background(), demo.Batch()); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestQueryCommandLocal(t *testing.T) {
	dir := demoDir(t)
	out, err := run(t, "query", "--data-dir", dir,
		`query($svc: String!) { apis(filter: {service: $svc, internetFacing: true, dataClasses: [PII]}) { totalCount nodes { path } } }`,
		"--var", "svc=customer-service")
	if err != nil {
		t.Fatalf("query: %v\n%s", err, out)
	}
	var r struct {
		Data struct {
			APIs struct {
				TotalCount int
				Nodes      []struct{ Path string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	var paths []string
	for _, n := range r.Data.APIs.Nodes {
		paths = append(paths, n.Path)
	}
	if r.Data.APIs.TotalCount == 0 || !strings.Contains(strings.Join(paths, " "), "/internal/customers/export") {
		t.Errorf("customer-service public PII APIs: %s", out)
	}
	// Errors exit non-zero and still print the response.
	out, err = run(t, "query", "--data-dir", dir, `{ nosuchfield }`)
	if err == nil || !strings.Contains(out, "GRAPHQL_VALIDATION_FAILED") {
		t.Errorf("bad query: err %v out %s", err, out)
	}
	// --max-depth tightens the limit for local use.
	out, err = run(t, "query", "--data-dir", dir, "--max-depth", "2", `{ services { nodes { apis { nodes { path } } } } }`)
	if err == nil || !strings.Contains(out, "LIMIT_EXCEEDED") {
		t.Errorf("--max-depth 2: err %v out %s", err, out)
	}
	if _, err := run(t, "query", `{ stats { nodes } }`); err == nil || !strings.Contains(err.Error(), "--data-dir or --server") {
		t.Errorf("no store: %v", err)
	}
	if _, err := run(t, "query", "--data-dir", dir, "--var", "novalue", `{ stats { nodes } }`); err == nil || !strings.Contains(err.Error(), "name=value") {
		t.Errorf("bad --var: %v", err)
	}
}

func TestServeRefusesOpenNonLoopback(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("RISKGRAPH_TOKENS", "")
	_, err := run(t, "serve", "--data-dir", dir, "--addr", "0.0.0.0:0")
	if err == nil || !strings.Contains(err.Error(), "--insecure-no-auth") {
		t.Errorf("serve on 0.0.0.0 without tokens: %v", err)
	}
	_, err = run(t, "demo", "--addr", "0.0.0.0:0")
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("demo on 0.0.0.0: %v", err)
	}
	t.Setenv("RISKGRAPH_TOKENS", "short:read")
	_, err = run(t, "serve", "--data-dir", dir, "--addr", "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "at least 16") {
		t.Errorf("short token: %v", err)
	}
}

func TestServeTokensFile(t *testing.T) {
	for _, c := range []struct{ content, want string }{
		{"# comment\nabcdefabcdefabcdef01:reader\n", "tokens:2: role \"reader\""},
		{"abcdefabcdefabcdef01\n", "tokens:1: want token:role"},
	} {
		f := filepath.Join(t.TempDir(), "tokens")
		if err := writeFile(f, c.content); err != nil {
			t.Fatal(err)
		}
		_, err := run(t, "serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0", "--tokens-file", f)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("tokens file %q: %v, want %q", c.content, err, c.want)
		}
	}
}

func writeFile(name, content string) error { return os.WriteFile(name, []byte(content), 0o600) }
