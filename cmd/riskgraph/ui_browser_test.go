package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// browserPrereqs finds node, Chromium and the UI's npm modules. Outside CI
// a missing one skips the browser tests; under CI=true it fails them.
func browserPrereqs(t *testing.T) (node, chromium, uiDir string) {
	t.Helper()
	missing := func(what string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser tests: %s (CI installs it in .ci/run)", what)
		}
		t.Skip("browser tests: " + what)
	}
	if testing.Short() {
		t.Skip("browser tests run a browser against three servers; skipped with -short")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH")
	}
	chromium = os.Getenv("RG_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		missing(chromium + " is missing (apt-get install chromium)")
	}
	uiDir, err = filepath.Abs(filepath.Join("..", "..", "ui"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(uiDir, "node_modules", "playwright-core")); err != nil {
		missing("ui/node_modules is missing (cd ui && npm ci)")
	}
	return node, chromium, uiDir
}

// TestUIInBrowser runs ui/tests/browser.mjs in Chromium against the demo,
// the demo behind tokens, an empty store and a generated estate of about
// 10,000 map nodes. It asserts what the UI shows against the GraphQL API
// and reports the render timings (measured, never asserted).
func TestUIInBrowser(t *testing.T) {
	node, chromium, uiDir := browserPrereqs(t)

	demoURL := serveInProcess(t, "demo")
	tokens := filepath.Join(t.TempDir(), "tokens")
	const tok = "browser-test-token-0123456789"
	if err := os.WriteFile(tokens, []byte(tok+":read\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Also a server with a smaller page limit than the UI asks for first, and so
	// (100 pages) a map limit below the demo: the UI falls back to paging.
	authURL := serveInProcess(t, "demo", "--tokens-file", tokens, "--max-page-size", "3")
	emptyURL := serveInProcess(t, "serve", "--data-dir", t.TempDir())
	// 900 services with about 10 APIs each: ~10,000 nodes of the kinds the map
	// draws (29k nodes in all with packages, findings, images, ...).
	large := t.TempDir()
	if _, err := run(t, "gen", "--data-dir", large, "--services", "900", "--log-level", "error"); err != nil {
		t.Fatal(err)
	}
	largeURL := serveInProcess(t, "serve", "--data-dir", large)

	out := os.Getenv("RG_UI_OUT")
	if out == "" {
		out = filepath.Join(uiDir, "test-output")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("tests", "browser.mjs"))
	cmd.Dir = uiDir
	cmd.Env = append(os.Environ(),
		"RG_URL="+demoURL, "RG_AUTH_URL="+authURL, "RG_TOKEN="+tok, "RG_EMPTY_URL="+emptyURL,
		"RG_LARGE_URL="+largeURL, "RG_OUT="+out, "RG_CHROMIUM="+chromium)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// The timings depend on what else the machine runs: log its load.
	load := func() string { b, _ := os.ReadFile("/proc/loadavg"); return strings.TrimSpace(string(b)) }
	t.Logf("load average before: %s", load())
	err := cmd.Run()
	t.Logf("load average after: %s", load())
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "FAIL: "):
			t.Error(strings.TrimPrefix(line, "FAIL: "))
		case strings.HasPrefix(line, "RESULTS "):
			t.Log("timings and sizes:", strings.TrimPrefix(line, "RESULTS "))
		}
	}
	if err != nil && !t.Failed() {
		t.Fatalf("browser.mjs: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	t.Logf("screenshots in %s", out)
}
