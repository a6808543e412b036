package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusFindings finds shared/corpus/findings above the package directory
// (or under $RISKGRAPH_CORPUS); outside CI a missing corpus skips.
func corpusFindings(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("RISKGRAPH_CORPUS"); d != "" {
		return filepath.Join(d, "findings")
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if fi, err := os.Stat(filepath.Join(dir, "shared", "corpus")); err == nil && fi.IsDir() {
			return filepath.Join(dir, "shared", "corpus", "findings")
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("corpus not found above the package directory and RISKGRAPH_CORPUS unset")
	}
	t.Skip("corpus not found (shared/corpus above the package dir, or RISKGRAPH_CORPUS)")
	return ""
}

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
	if _, err := run(t, "import", "--server", "http://127.0.0.1:1", "--token", "t", "x.json"); err == nil || !strings.Contains(err.Error(), "not yet supported") {
		t.Errorf("--server: %v", err)
	}
	if _, err := run(t, "import", "x.json"); err == nil || !strings.Contains(err.Error(), "--data-dir") {
		t.Errorf("no store: %v", err)
	}
	if _, err := run(t, "import", "--data-dir", t.TempDir(), filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}
