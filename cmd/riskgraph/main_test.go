package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/riskgraph/riskgraph/gen"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/testdata/demo"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRootCmd(&out, &errb)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestEnvFillsFlagsButFlagsWin(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "")
	dir := fs.String("data-dir", "", "")
	if err := fs.Parse([]string{"--addr", "0.0.0.0:9"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"RISKGRAPH_ADDR": "10.0.0.1:1", "RISKGRAPH_DATA_DIR": "/srv/rg"}
	if err := applyEnv(fs, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if *addr != "0.0.0.0:9" || *dir != "/srv/rg" {
		t.Fatalf("addr %q (flag must win), data-dir %q (env must fill)", *addr, *dir)
	}
	bad := pflag.NewFlagSet("y", pflag.ContinueOnError)
	bad.Int("batch-size", 1, "")
	err := applyEnv(bad, func(k string) string { return map[string]string{"RISKGRAPH_BATCH_SIZE": "many"}[k] })
	if err == nil || !strings.Contains(err.Error(), "RISKGRAPH_BATCH_SIZE") {
		t.Fatalf("want an error naming the variable, got %v", err)
	}
}

func TestVersion(t *testing.T) {
	out, err := run(t, "version")
	if err != nil || !strings.HasPrefix(out, "riskgraph ") || !strings.Contains(out, "go1.") {
		t.Fatalf("version: %q %v", out, err)
	}
}

func TestGenThenStats(t *testing.T) {
	dir := t.TempDir()
	if _, err := run(t, "gen", "--data-dir", dir, "--preset", "small", "--log-level", "error"); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "stats", "--data-dir", dir, "-o", "json", "--log-level", "error")
	if err != nil {
		t.Fatal(err)
	}
	var st graph.Stats
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("stats JSON: %v\n%s", err, out)
	}
	bs, err := gen.Small.Generate(50000)
	if err != nil {
		t.Fatal(err)
	}
	nodes := 0
	for _, b := range bs {
		nodes += len(b.Nodes)
	}
	if st.Nodes != nodes || st.NodesByKind[graph.Service] != gen.Small.Services {
		t.Fatalf("stats say %d nodes (%d services), generator made %d (%d)", st.Nodes, st.NodesByKind[graph.Service], nodes, gen.Small.Services)
	}
	text, err := run(t, "stats", "--data-dir", dir, "--log-level", "error")
	if err != nil || !strings.Contains(text, "Service") || !strings.Contains(text, "gen/seed-1") {
		t.Fatalf("text stats: %v\n%s", err, text)
	}
}

func TestBadInvocationsSayWhatIsWrong(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "--data-dir is required"},
		{[]string{"serve", "--store", "oracle", "--data-dir", "x"}, `--store "oracle"`},
		{[]string{"serve", "--store", "neo4j"}, "--neo4j-uri is required"},
		{[]string{"stats"}, "--data-dir is required"},
		{[]string{"stats", "--data-dir", "/proc/riskgraph-nope"}, "data dir"},
		{[]string{"version", "--log-format", "xml"}, "--log-format"},
		{[]string{"gen", "--preset", "huge"}, `--preset "huge"`},
	} {
		_, err := run(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: want an error containing %q, got %v", tc.args, tc.want, err)
		}
	}
}

// TestDemoEndToEnd builds the binary, runs `riskgraph demo`, checks the
// served stats against the demo estate, and stops it with SIGTERM.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "riskgraph")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addrFile := filepath.Join(dir, "addr")
	cmd := exec.Command(bin, "demo", "--addr", "127.0.0.1:0", "--addr-file", addrFile)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var addr string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			addr = string(b)
			break
		}
	}
	if addr == "" {
		t.Fatalf("demo did not start listening:\n%s", logs.String())
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Get("http://" + addr + "/api/v1/stats")
	if err != nil {
		t.Fatal(err)
	}
	var st graph.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	b := demo.Batch()
	if st.Nodes != len(b.Nodes) || st.Edges != len(b.Edges) {
		t.Fatalf("served %d nodes / %d edges, the demo batch has %d / %d", st.Nodes, st.Edges, len(b.Nodes), len(b.Edges))
	}
	// The demo is open for reading over GraphQL, closed for writing.
	gq := func(q string) map[string]any {
		body, _ := json.Marshal(map[string]any{"query": q})
		resp, err := http.Post("http://"+addr+"/graphql", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	r := gq(`{ apis(filter: {internetFacing: true, dataClasses: [PII]}) { totalCount } }`)
	if n, _ := r["data"].(map[string]any)["apis"].(map[string]any)["totalCount"].(float64); n < 10 {
		t.Errorf("internet-facing PII APIs on the demo: %v", r)
	}
	r = gq(`mutation { sweep(source: "x", scope: "y", run: "z") { removed } }`)
	if !strings.Contains(fmt.Sprint(r["errors"]), "FORBIDDEN") {
		t.Errorf("anonymous mutation on the demo: %v", r)
	}
	resp, err = http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `riskgraph_graphql_requests_total{operation="anonymous",outcome="ok",type="query"} 1`) {
		t.Errorf("metrics do not count the query:\n%.2000s", metrics)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo exited with %v after SIGTERM:\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("demo did not stop on SIGTERM:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "shutting down") || !strings.Contains(logs.String(), `"store closed"`) && !strings.Contains(logs.String(), "store closed") {
		t.Fatalf("no graceful shutdown in the logs:\n%s", logs.String())
	}
}
