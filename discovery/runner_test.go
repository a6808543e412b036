package discovery_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/all"
	"github.com/riskgraph/riskgraph/graph"
)

const goodManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders
spec:
  template:
    metadata:
      labels: {app: orders}
    spec:
      containers:
        - name: orders
          image: example/orders:1.0
          env:
            - name: DATABASE_URL
              value: postgres://orders@orders-db:5432/orders
---
apiVersion: v1
kind: Service
metadata:
  name: orders
spec:
  type: LoadBalancer
  selector: {app: orders}
  ports: [{port: 80, targetPort: 8080}]
`

func write(t *testing.T, dir, name, body string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, paths ...string) *discovery.Report {
	t.Helper()
	rep, err := discovery.Run(context.Background(), paths, discovery.Options{
		Env: "test", Agents: all.Agents(), DirAgents: all.DirAgents(), Linkers: all.Linkers(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// goodSurvives checks that the good file's service, its data store and
// its exposure are in the batch whatever happened to the bad file.
func goodSurvives(t *testing.T, rep *discovery.Report) {
	t.Helper()
	has := map[graph.ID]bool{}
	for _, n := range rep.Batch.Nodes {
		has[n.ID] = true
	}
	for _, e := range rep.Batch.Edges {
		has[e.ID] = true
	}
	for _, id := range []graph.ID{
		graph.ServiceID("test", "orders"), graph.DataStoreID("test", "orders-db"), graph.GatewayID("test", "orders"),
		graph.EdgeID(graph.RoutesTo, graph.InternetID, graph.GatewayID("test", "orders")),
		graph.EdgeID(graph.Writes, graph.ServiceID("test", "orders"), graph.DataStoreID("test", "orders-db")),
	} {
		if !has[id] {
			t.Errorf("the good file's %s is missing", id)
		}
	}
}

func TestBrokenFiles(t *testing.T) {
	cases := []struct {
		name, file, body string
		wantErr          string // substring of the file error; "" when the file is skipped
		wantLine         int
		wantSkip         string
	}{
		{name: "bad YAML", file: "bad.yaml", body: "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  labels: [a, b\n  bad: : :\n",
			wantErr: "invalid YAML", wantLine: 5},
		{name: "bad YAML in the second document", file: "bad2.yaml", body: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata:\n\tname: x\n",
			wantErr: "invalid YAML", wantLine: 8},
		{name: "wrong apiVersion", file: "wrongver.yaml", body: "apiVersion: apps/v2\nkind: Deployment\nmetadata: {name: x}\n",
			wantErr: `group "apps" has no version "v2"`, wantLine: 1},
		{name: "unknown kind", file: "unknown.yaml", body: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: x}\n",
			wantErr: `kind "Deploymnet" is not a kind of apps/v1`, wantLine: 5},
		{name: "wrong field type", file: "type.yaml", body: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: three\n",
			wantErr: "spec.replicas", wantLine: 1},
		{name: "nginx block not closed", file: "proxy.conf", body: "server {\n  location /api/ {\n    proxy_pass http://orders;\n",
			wantErr: "not closed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "good.yaml", goodManifest)
			write(t, dir, c.file, c.body)
			rep := run(t, dir)
			if len(rep.Errors) != 1 {
				t.Fatalf("want one file error, got %v", rep.Errors)
			}
			e := rep.Errors[0]
			if !strings.HasSuffix(e.File, c.file) || !strings.Contains(e.Msg, c.wantErr) {
				t.Errorf("error %q: want file %s and %q", e, c.file, c.wantErr)
			}
			if c.wantLine > 0 && e.Line != c.wantLine {
				t.Errorf("error %q: line %d, want %d", e, e.Line, c.wantLine)
			}
			goodSurvives(t, rep)
			for _, n := range rep.Batch.Nodes {
				if n.Name == "x" {
					t.Errorf("the bad file contributed %s", n.ID)
				}
			}
		})
	}
}

func TestSkippedFiles(t *testing.T) {
	t.Run("50 MB file", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "good.yaml", goodManifest)
		f, err := os.Create(filepath.Join(dir, "huge.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(50 << 20); err != nil { // sparse: no 50 MB written
			t.Fatal(err)
		}
		f.Close()
		rep := run(t, dir)
		wantSkip(t, rep, "huge.yaml", "file too large")
		goodSurvives(t, rep)
	})
	t.Run("binary file", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "good.yaml", goodManifest)
		write(t, dir, "blob.yaml", "apiVersion: v1\nkind: Service\x00\x01\x02\xff\xfe")
		rep := run(t, dir)
		wantSkip(t, rep, "blob.yaml", "binary")
		goodSurvives(t, rep)
	})
	t.Run("symlink loop", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "sub/good.yaml", goodManifest)
		if err := os.Symlink("..", filepath.Join(dir, "sub", "up")); err != nil {
			t.Skip("symlinks not supported here:", err)
		}
		if err := os.Symlink("self", filepath.Join(dir, "self")); err != nil {
			t.Fatal(err)
		}
		rep := run(t, dir)
		wantSkip(t, rep, "sub/up", "symlink loop")
		wantSkip(t, rep, "self", "looping symlink")
		if len(rep.Errors) > 0 {
			t.Errorf("errors: %v", rep.Errors)
		}
		goodSurvives(t, rep)
	})
}

func wantSkip(t *testing.T, rep *discovery.Report, suffix, reason string) {
	t.Helper()
	for _, s := range rep.Skipped {
		if strings.HasSuffix(s.Path, suffix) && strings.Contains(s.Reason, reason) {
			return
		}
	}
	t.Errorf("no skip of %s for %q in %v", suffix, reason, rep.Skipped)
}

func TestSkipDirsAndScope(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "good.yaml", goodManifest)
	write(t, dir, "node_modules/pkg/x.yaml", strings.ReplaceAll(goodManifest, "orders", "vendored"))
	write(t, dir, ".git/x.yaml", strings.ReplaceAll(goodManifest, "orders", "gitted"))
	rep := run(t, dir)
	for _, n := range rep.Batch.Nodes {
		if strings.Contains(n.Name, "vendored") || strings.Contains(n.Name, "gitted") {
			t.Errorf("read a file below a skipped directory: %s", n.Name)
		}
	}
	abs, _ := filepath.Abs(dir)
	if rep.Scope.Source != "discover" || rep.Scope.Key != "test:"+filepath.ToSlash(abs) {
		t.Errorf("scope %v", rep.Scope)
	}
	if rep.FilesRead["k8s"] != 1 {
		t.Errorf("files read %v", rep.FilesRead)
	}
}
