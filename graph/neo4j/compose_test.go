package neo4j

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/pflag"
)

var repoRoot = filepath.Join("..", "..")

func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	p, err := loader.LoadWithContext(t.Context(), types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, "docker-compose.yml")}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SetProjectName("riskgraph", true) })
	if err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return p
}

// TestDockerCompose checks docker-compose.yml without Docker: that it parses
// as the Compose specification, and that its services, images, ports,
// health check, secrets and environment fit together and fit the flags and
// variables riskgraph accepts.
func TestDockerCompose(t *testing.T) {
	p := loadCompose(t)
	neo, err := p.GetService("neo4j")
	if err != nil {
		t.Fatal(err)
	}
	rg, err := p.GetService("riskgraph")
	if err != nil {
		t.Fatal(err)
	}

	// Neo4j: the 5.x community image, data on a volume, Bolt published,
	// a health check that talks Bolt with the configured password.
	if !strings.HasPrefix(neo.Image, "neo4j:5") || strings.Contains(neo.Image, "enterprise") {
		t.Errorf("neo4j image %q: want neo4j:5 community", neo.Image)
	}
	if !slices.ContainsFunc(neo.Volumes, func(v types.ServiceVolumeConfig) bool { return v.Type == "volume" && v.Target == "/data" }) {
		t.Errorf("neo4j keeps /data on no named volume: %+v", neo.Volumes)
	}
	if !publishes(neo, 7687) {
		t.Errorf("neo4j does not publish Bolt (7687)")
	}
	hc := neo.HealthCheck
	if hc == nil || hc.Disable || len(hc.Test) < 2 {
		t.Fatalf("neo4j has no health check")
	}
	probe := strings.Join(hc.Test[1:], " ")
	if hc.Test[0] != "CMD-SHELL" || !strings.Contains(probe, "cypher-shell") || !strings.Contains(probe, "bolt://localhost:7687") || !strings.Contains(probe, "${NEO4J_AUTH#neo4j/}") {
		t.Errorf("health check %q does not query Bolt with the configured credentials", hc.Test)
	}
	if hc.Retries == nil || hc.Interval == nil {
		t.Errorf("health check without interval or retries")
	}
	auth := envFileValue(t, neo, "NEO4J_AUTH")
	user, password, ok := strings.Cut(auth, "/")
	if !ok || user != "neo4j" || password == "" {
		t.Fatalf("NEO4J_AUTH %q: want neo4j/<password>", "neo4j/…")
	}

	// riskgraph: built from the repository's Dockerfile, serve --store
	// neo4j, waiting for a healthy Neo4j, UI and GraphQL on 8080.
	if rg.Build == nil || rg.Build.Dockerfile != "Dockerfile" {
		t.Errorf("riskgraph is not built from the Dockerfile: %+v", rg.Build)
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "Dockerfile")); err != nil {
		t.Error(err)
	}
	if d, ok := rg.DependsOn["neo4j"]; !ok || d.Condition != types.ServiceConditionHealthy {
		t.Errorf("riskgraph does not wait for a healthy neo4j: %+v", rg.DependsOn)
	}
	args := []string(rg.Command)
	if len(args) == 0 || args[0] != "serve" {
		t.Fatalf("riskgraph command %q: want serve …", args)
	}
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	store := fs.String("store", "memdb", "")
	addr := fs.String("addr", "127.0.0.1:8080", "")
	cfg := BindFlags(fs)
	if err := fs.Parse(args[1:]); err != nil {
		t.Fatalf("riskgraph command %q: %v", args, err)
	}
	if *store != "neo4j" {
		t.Errorf("--store %q: want neo4j", *store)
	}
	_, port, err := splitHostPort(*addr)
	if err != nil || !publishes(rg, port) {
		t.Errorf("--addr %q is not published (ports %+v)", *addr, rg.Ports)
	}
	if port != 8080 {
		t.Errorf("UI and GraphQL on %d, want 8080", port)
	}
	env := map[string]string{}
	for k, v := range rg.Environment {
		if strings.HasPrefix(k, "RISKGRAPH_NEO4J_") {
			if !slices.Contains(envNames(), k) {
				t.Errorf("environment %s is not a variable riskgraph reads (want one of %v)", k, envNames())
			}
			if v != nil {
				env[k] = *v
			}
		}
	}
	if err := ApplyEnv(fs, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(cfg.URI)
	if err != nil || u.Hostname() != "neo4j" || u.Port() != "7687" {
		t.Errorf("riskgraph's Neo4j URI %q does not point at the neo4j service's Bolt port", cfg.URI)
	}
	if cfg.User != user {
		t.Errorf("user %q, Neo4j is set up for %q", cfg.User, user)
	}
	// The password file is a compose secret holding NEO4J_AUTH's password.
	var secretFile string
	for _, s := range rg.Secrets {
		target := s.Target
		if target == "" {
			target = "/run/secrets/" + s.Source
		}
		if target == cfg.PasswordFile {
			secretFile = p.Secrets[s.Source].File
		}
	}
	if secretFile == "" {
		t.Fatalf("password file %q is not a secret mounted into riskgraph", cfg.PasswordFile)
	}
	hostCfg := *cfg
	hostCfg.PasswordFile = secretFile
	pw, err := hostCfg.check()
	if err != nil {
		t.Fatalf("riskgraph's Neo4j settings do not pass its own checks: %v", err)
	}
	if pw != password {
		t.Errorf("the secret %s and NEO4J_AUTH in the env file hold different passwords", secretFile)
	}
	// The password is never in the compose file itself.
	raw, _ := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
	if strings.Contains(string(raw), password) {
		t.Error("docker-compose.yml contains the password")
	}
}

// TestDockerfile checks the image recipe: multi-stage, static, non-root.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var froms, users []string
	static := false
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			froms = append(froms, f[1])
		case "USER":
			users = append(users, f[1])
		case "RUN":
			static = static || (strings.Contains(sc.Text(), "CGO_ENABLED=0") && strings.Contains(sc.Text(), "./cmd/riskgraph"))
		}
	}
	if len(froms) < 2 {
		t.Errorf("not multi-stage: %v", froms)
	}
	if !static {
		t.Error("the binary is not built with CGO_ENABLED=0 from ./cmd/riskgraph")
	}
	if len(users) == 0 || strings.HasPrefix(users[len(users)-1], "root") || strings.HasPrefix(users[len(users)-1], "0") {
		t.Errorf("runs as %v, want a non-root user", users)
	}
}

// TestBinaryWiresNeo4jFlags checks that cmd/riskgraph registers the flags
// docker-compose.yml uses (--store, --addr) and the Neo4j ones through
// BindFlags and ApplyEnv, so the compose check above is about the real
// binary. It reads the source: building the binary here would cost minutes.
func TestBinaryWiresNeo4jFlags(t *testing.T) {
	dir := filepath.Join(repoRoot, "cmd", "riskgraph")
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil || len(pkgs) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("cmd/riskgraph: %v", err)
		}
		t.Skipf("cmd/riskgraph is not there yet (%v)", err)
	}
	lits, calls := map[string]bool{}, map[string]bool{}
	for _, pkg := range pkgs {
		for _, f := range pkg.Files {
			ast.Inspect(f, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.BasicLit:
					if s, err := strconv.Unquote(x.Value); err == nil {
						lits[s] = true
					}
				case *ast.SelectorExpr:
					calls[x.Sel.Name] = true
				}
				return true
			})
		}
	}
	for _, want := range []string{"store", "addr", "neo4j"} {
		if !lits[want] {
			t.Errorf("cmd/riskgraph has no %q literal: the flag or value docker-compose.yml uses is missing", want)
		}
	}
	if !lits["serve"] && !lits["serve [flags]"] && !hasPrefixKey(lits, "serve") {
		t.Error("cmd/riskgraph has no serve command")
	}
	for _, want := range []string{"BindFlags", "ApplyEnv"} {
		if !calls[want] {
			t.Errorf("cmd/riskgraph does not call neo4j.%s", want)
		}
	}
}

func hasPrefixKey(m map[string]bool, p string) bool {
	for k := range m {
		if strings.HasPrefix(k, p+" ") {
			return true
		}
	}
	return false
}

func envNames() []string {
	var out []string
	for _, v := range EnvVars {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

func publishes(s types.ServiceConfig, port int) bool {
	for _, p := range s.Ports {
		if int(p.Target) == port && p.Published != "" {
			return true
		}
	}
	return false
}

func splitHostPort(addr string) (string, int, error) {
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		return "", 0, strconv.ErrSyntax
	}
	port, err := strconv.Atoi(addr[i+1:])
	return addr[:i], port, err
}

// envFileValue reads key from the service's env files.
func envFileValue(t *testing.T, s types.ServiceConfig, key string) string {
	t.Helper()
	for _, ef := range s.EnvFiles {
		b, err := os.ReadFile(ef.Path)
		if err != nil {
			t.Fatalf("env file: %v", err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && k == key {
				return v
			}
		}
	}
	t.Fatalf("%s is in no env file of %s", key, s.Name)
	return ""
}
