package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// serveInProcess runs `riskgraph <args> --addr 127.0.0.1:0` in this process
// until the test ends and returns its base URL.
func serveInProcess(t *testing.T, args ...string) string {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	ctx, cancel := context.WithCancel(context.Background())
	root := newRootCmd(io.Discard, io.Discard)
	root.SetArgs(append(args, "--addr", "127.0.0.1:0", "--addr-file", addrFile, "--log-level", "error"))
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Errorf("%s did not stop", args[0])
		}
	})
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			return "http://" + string(b)
		}
		select {
		case err := <-done:
			t.Fatalf("%s exited before listening: %v", args[0], err)
		default:
		}
	}
	t.Fatalf("%s did not start listening", args[0])
	return ""
}

func get(t *testing.T, url, token string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// The UI is served at / from the binary (no Node needed), publicly, while
// the data behind it keeps its token check.
func TestUIServedAtRoot(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens")
	const tok = "ui-test-token-0123456789"
	if err := os.WriteFile(tokens, []byte(tok+":read\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := serveInProcess(t, "demo", "--tokens-file", tokens)

	resp, index := get(t, base+"/", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / without a token: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("GET / headers: %v", resp.Header)
	}
	// Every asset the page references is served with its type and cached for good.
	refs := regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(index, -1)
	if len(refs) < 2 {
		t.Fatalf("index.html references %d assets, want the script and the stylesheet:\n%s", len(refs), index)
	}
	for _, m := range refs {
		resp, body := get(t, base+m[1], "")
		want := map[string]string{".js": "text/javascript", ".css": "text/css"}[filepath.Ext(m[1])]
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), want) || len(body) == 0 {
			t.Errorf("GET %s: %d %q (%d bytes)", m[1], resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("GET %s: Cache-Control %q, want immutable", m[1], cc)
		}
	}
	// The app's own routes reload into the app; missing files are 404.
	if resp, body := get(t, base+"/inventory", ""); resp.StatusCode != 200 || body != index {
		t.Errorf("GET /inventory: %d, the app: %t", resp.StatusCode, body == index)
	}
	for _, p := range []string{"/assets/nope-123.js", "/favicon.ico", "/api/v1/nope"} {
		if resp, _ := get(t, base+p, ""); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
	// Data needs the token.
	for _, p := range []string{"/graphql?query=%7Bstats%7Bnodes%7D%7D", "/api/v1/stats", "/metrics"} {
		if resp, _ := get(t, base+p, ""); resp.StatusCode != 401 {
			t.Errorf("GET %s without a token: %d, want 401", p, resp.StatusCode)
		}
	}
	if resp, body := get(t, base+"/graphql?query=%7Bstats%7Bnodes%7D%7D", tok); resp.StatusCode != 200 || !strings.Contains(body, `"nodes":`) {
		t.Errorf("GET /graphql with the token: %d %s", resp.StatusCode, body)
	}
	// GraphiQL is bundled: its page is public like the app (the queries it
	// sends carry the token), and a browser asking /graphql for HTML is sent
	// there.
	resp, page := get(t, base+"/graphiql", "")
	if resp.StatusCode != 200 || !strings.Contains(page, "/assets/graphiql-") || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("GET /graphiql: %d %q\n%.300s", resp.StatusCode, resp.Header.Get("Content-Security-Policy"), page)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	hreq, _ := http.NewRequest("GET", base+"/graphql", nil)
	hreq.Header.Set("Accept", "text/html")
	hreq.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := noRedirect.Do(hreq); err != nil || resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/graphiql" {
		t.Errorf("GET /graphql as a browser: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	req, _ := http.NewRequest("POST", base+"/", strings.NewReader("x"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}
