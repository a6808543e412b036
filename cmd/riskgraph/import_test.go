package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/internal/auth"
	"github.com/riskgraph/riskgraph/internal/server"
	"github.com/riskgraph/riskgraph/internal/testcorpus"
)

func corpusFindings(t *testing.T) string { return filepath.Join(testcorpus.Dir(t), "findings") }

func TestImportThenFindings(t *testing.T) {
	corpus := corpusFindings(t)
	dir := t.TempDir()
	grype := filepath.Join(corpus, "grype", "grype-0.94-image-busybox-epss-kev.json")
	codeql := filepath.Join(corpus, "sarif", "codeql-action-two-runs.sarif")
	kev := filepath.Join(corpus, "kev-epss", "cisa-kev-catalog-2025-08-25.json")

	out, err := run(t, "import", "--data-dir", dir, "--kev", kev, grype, codeql)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	for _, want := range []string{"grype:busybox:1.32.1", "18 findings (applied): 18 new", "18 unresolved", "pkg:generic/busybox@1.32.1"} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}

	out, err = run(t, "findings", "--data-dir", dir, "--min-severity", "high", "--tool", "grype", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var items []struct {
		Finding struct {
			ID    string         `json:"id"`
			Props map[string]any `json:"props"`
		}
	}
	if err := json.Unmarshal([]byte(out), &items); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(items) != 11 || items[0].Finding.Props["severity"] != "critical" {
		t.Fatalf("%d high+ grype findings (want 11), first %v", len(items), items[0].Finding.Props)
	}

	id := items[0].Finding.ID
	if out, err := run(t, "findings", "accept", id, "--data-dir", dir, "--owner", "alice", "--reason", "not exposed", "--until", "2999-01-01"); err != nil {
		t.Fatalf("accept: %v %s", err, out)
	}
	out, err = run(t, "findings", "--data-dir", dir, "--status", "accepted")
	if err != nil || !strings.Contains(out, id) || !strings.Contains(out, "1 findings") {
		t.Fatalf("accepted listing: %v\n%s", err, out)
	}
	if _, err := run(t, "findings", "accept", id, "--data-dir", dir, "--owner", "alice", "--reason", "x", "--until", "next week"); err == nil || !strings.Contains(err.Error(), "--until") {
		t.Errorf("bad --until: %v", err)
	}
}

func TestImportBadFileAppliesNothing(t *testing.T) {
	corpus := corpusFindings(t)
	dir := t.TempDir()
	good := filepath.Join(corpus, "grype", "grype-0.94-image-busybox-epss-kev.json")
	bad := filepath.Join(t.TempDir(), "truncated.sarif")
	if err := os.WriteFile(bad, []byte(`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "semgrep"}}, "results": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "import", "--data-dir", dir, good, bad)
	if err == nil || !strings.Contains(err.Error(), "truncated.sarif:1:") || !strings.Contains(err.Error(), "$.runs[0].results") {
		t.Fatalf("error %v, want one naming the file, line and JSON path", err)
	}
	if !strings.Contains(out, "NOT applied") {
		t.Errorf("output does not say nothing was applied:\n%s", out)
	}
	out, err = run(t, "findings", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "0 findings") {
		t.Fatalf("after a failed import: %v\n%s", err, out)
	}
	out, err = run(t, "import", "--data-dir", dir, "--partial", good, bad)
	if err == nil || !strings.Contains(out, "15 findings (applied)") {
		t.Fatalf("--partial: %v\n%s", err, out)
	}
}

func TestImportFlags(t *testing.T) {
	if _, err := run(t, "import", "--server", "http://127.0.0.1:1", "--data-dir", t.TempDir(), "x.json"); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("--server with --data-dir: %v", err)
	}
	if _, err := run(t, "import", "x.json"); err == nil || !strings.Contains(err.Error(), "--data-dir") {
		t.Errorf("no store: %v", err)
	}
	if _, err := run(t, "import", "--data-dir", t.TempDir(), filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}

// TestImportServer runs `import --server` against the server's import
// endpoint on loopback: the same summary as a local import, roles enforced,
// a bad file refused with its name and nothing applied.
func TestImportServer(t *testing.T) {
	corpus := corpusFindings(t)
	grype := filepath.Join(corpus, "grype", "grype-0.94-image-busybox-epss-kev.json")
	st, err := memdb.Open("", memdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	toks, err := auth.ParseEnv("read-0123456789abcdef:read,ingest-0123456789abcdef:ingest")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(st, server.Options{Auth: &auth.Authenticator{Tokens: toks}})
	g := &globals{logger: slog.New(slog.DiscardHandler)}
	if err := mountImport(g, st, srv, mountOptions{}); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	count := func() int {
		v, err := st.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		s, err := v.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return s.NodesByKind[graph.Finding]
	}

	if _, err := run(t, "import", "--server", hs.URL, grype); err == nil || !strings.Contains(err.Error(), "UNAUTHENTICATED") {
		t.Errorf("no token: %v", err)
	}
	if _, err := run(t, "import", "--server", hs.URL, "--token", "read-0123456789abcdef", grype); err == nil || !strings.Contains(err.Error(), "ingest role") {
		t.Errorf("read token: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "truncated.sarif")
	if err := os.WriteFile(bad, []byte(`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "semgrep"}}, "results": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "import", "--server", hs.URL, "--token", "ingest-0123456789abcdef", grype, bad)
	if err == nil || !strings.Contains(err.Error(), "truncated.sarif:1:") || !strings.Contains(out, "NOT applied") {
		t.Fatalf("bad file: %v\n%s", err, out)
	}
	if n := count(); n != 0 {
		t.Fatalf("a refused import left %d findings", n)
	}

	out, err = run(t, "import", "--server", hs.URL+"/graphql", "--token", "ingest-0123456789abcdef", grype)
	if err != nil || !strings.Contains(out, "15 findings (applied): 15 new") {
		t.Fatalf("remote import: %v\n%s", err, out)
	}
	if n := count(); n != 15 {
		t.Fatalf("the server holds %d findings, want 15", n)
	}
	out, err = run(t, "import", "--server", hs.URL, "--token", "ingest-0123456789abcdef", "-o", "json", grype)
	var sum struct{ Findings, New, Seen int }
	if jerr := json.Unmarshal([]byte(out), &sum); jerr != nil {
		t.Fatalf("re-import -o json: %v\n%s", jerr, out)
	}
	if err != nil || sum.Findings != 15 || sum.New != 0 || sum.Seen != 15 {
		t.Fatalf("re-import: %v %+v\n%s", err, sum, out)
	}
}
