package compose

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

func file(t testing.TB, name string) *discovery.File {
	t.Helper()
	p := filepath.Join("testdata", name)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(p)
	return &discovery.File{Path: "testdata/" + name, Abs: abs, Data: data}
}

// agent is the agent with an empty process environment, so that the
// machine running the tests cannot change interpolation.
var agent = Agent{Environ: []string{}}

func read(t *testing.T, name string) *discovery.Collector {
	t.Helper()
	f := file(t, name)
	if !agent.Detect(f) {
		t.Fatalf("Detect rejected %s", name)
	}
	c := discovery.NewCollector("dev")
	if err := agent.Read(context.Background(), f, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func edge(t *testing.T, c *discovery.Collector, k graph.EdgeKind, from, to graph.ID) *graph.Edge {
	t.Helper()
	e, ok := c.Edge(graph.EdgeID(k, from, to))
	if !ok {
		t.Errorf("no %s edge %s -> %s", k, from, to)
		return &graph.Edge{}
	}
	return e
}

func TestStack(t *testing.T) {
	c := read(t, "app/stack.yml")
	svc := func(n string) graph.ID { return graph.ServiceID("dev", n) }
	store := func(n string) graph.ID { return graph.DataStoreID("dev", n) }

	web, ok := c.Node(svc("web"))
	if !ok {
		t.Fatal("no web service")
	}
	if web.Props.String("buildContext") != "testdata/app/web" || web.Props.String("namespace") != "shopstack" {
		t.Errorf("web props %v", web.Props)
	}
	if got := web.Props["localPorts"]; !slices.Equal(got.([]int64), []int64{9090, 9443}) {
		t.Errorf("web local ports %v, want 9090 (127.0.0.1 from .env) and 9443 ([::1])", got)
	}
	in := edge(t, c, graph.RoutesTo, graph.InternetID, svc("web"))
	if in.Props.Int("port") != 8080 || in.Props["ports"] != nil {
		t.Errorf("internet edge props %v, want port 8080 only", in.Props)
	}
	if in.Sources[0].Line != 7 {
		t.Errorf("internet edge evidence %v, want line 7", in.Sources)
	}
	if _, ok := c.Edge(graph.EdgeID(graph.RoutesTo, graph.InternetID, store("db"))); ok {
		t.Error("a data store got a ROUTES_TO edge")
	}
	if e := edge(t, c, graph.Calls, svc("web"), svc("api")); e.Props.String("via") != "API_URL" || e.Props.Int("port") != 3000 {
		t.Errorf("web -> api props %v", e.Props)
	}
	edge(t, c, graph.Calls, svc("web"), graph.ThirdPartyID("api.stripe.com"))
	if _, ok := c.Node(graph.ThirdPartyID("telemetry.example.com")); ok {
		t.Error("an example.com host became a third party")
	}
	edge(t, c, graph.PartOf, svc("web"), graph.ApplicationID("shop"))
	edge(t, c, graph.OwnedBy, svc("web"), graph.TeamID("web-team"))

	api, _ := c.Node(svc("api"))
	if api.Props.Int("port") != 3000 || !slices.Equal(api.Props.Strings("secretRefs"), []string{"db-password"}) {
		t.Errorf("api props %v", api.Props)
	}
	for via, st := range map[string]string{"DATABASE_URL": "db", "MONGO_URL": "docs-1", "CACHE_HOST": "cache",
		"AMQP_URI": "queue", "SEARCH": "legacy-db", "links": "search"} {
		for _, k := range []graph.EdgeKind{graph.Reads, graph.Writes} {
			if e := edge(t, c, k, svc("api"), store(st)); e.Props.String("via") != via {
				t.Errorf("api %s %s via %q, want %q", k, st, e.Props.String("via"), via)
			}
		}
	}
	if e := edge(t, c, graph.Calls, svc("worker"), svc("api")); e.Props.String("via") != "SHOP_API_ADDR" {
		t.Errorf("worker -> api (network alias) via %v", e.Props)
	}
	if _, ok := c.Edge(graph.EdgeID(graph.Reads, svc("worker"), store("cache"))); ok {
		t.Error("worker's depends_on cache is start order only (its environment names its dependencies)")
	}
	if e := edge(t, c, graph.Calls, svc("cron"), svc("api")); e.Props.String("via") != "depends_on" {
		t.Errorf("cron -> api via %v, want depends_on", e.Props)
	}
	worker, _ := c.Node(svc("worker"))
	if worker.Props.Int("replicas") != 3 {
		t.Errorf("worker replicas %v", worker.Props["replicas"])
	}
	img, ok := c.Node(graph.ImageID(worker.Props.String("image")))
	if !ok || img.Props.String("registry") != "ghcr.io" || !strings.HasPrefix(img.Props.String("tag"), "sha256:") {
		t.Errorf("worker image %v", img)
	}
	engines := map[string]string{"db": "postgresql", "docs-1": "mongodb", "cache": "redis", "queue": "rabbitmq",
		"legacy-db": "mysql", "search": "elasticsearch"}
	for n, eng := range engines {
		s, ok := c.Node(store(n))
		if !ok || s.Props.String("engine") != eng {
			t.Errorf("store %s: %v, want engine %s", n, s, eng)
		}
		if _, isSvc := c.Node(svc(n)); isSvc {
			t.Errorf("%s is both a service and a data store", n)
		}
	}
	db, _ := c.Node(store("db"))
	if db.Props.String("database") != "shop" || !slices.Equal(db.Props["publicPorts"].([]int64), []int64{5432}) {
		t.Errorf("db props %v", db.Props)
	}
	b, _ := c.Batch(graph.Scope{Source: "compose", Key: "t"}, "r")
	js, _ := json.Marshal(b)
	if strings.Contains(string(js), "not-a-real-password") {
		t.Error("a secret value from .env reached the batch")
	}
}

func TestBrokenFiles(t *testing.T) {
	for _, c := range []struct {
		name string
		line int
		msg  string
	}{
		{"broken.yml", 6, "invalid YAML"},
		{"docker-compose.badports.yml", 4, "services.web.ports"},
	} {
		f := file(t, c.name)
		err := agent.Read(context.Background(), f, discovery.NewCollector("dev"))
		var fe *discovery.FileError
		if !errors.As(err, &fe) || fe.Line != c.line || !strings.Contains(fe.Msg, c.msg) {
			t.Errorf("%s: %v, want a FileError at line %d with %q", c.name, err, c.line, c.msg)
		}
	}
	bin := &discovery.File{Path: "docker-compose.yml", Data: []byte("services:\x00\x01")}
	if err := agent.Read(context.Background(), bin, discovery.NewCollector("")); err == nil || !strings.Contains(err.Error(), "binary") {
		t.Errorf("binary: %v", err)
	}
	big := &discovery.File{Path: "docker-compose.yml", Data: make([]byte, 50<<20)}
	if err := agent.Read(context.Background(), big, discovery.NewCollector("")); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("50 MB: %v", err)
	}
}

// An unset host IP variable interpolates to "" — all interfaces.
func TestUnsetHostIP(t *testing.T) {
	c := read(t, "docker-compose.envip.yml")
	e := edge(t, c, graph.RoutesTo, graph.InternetID, graph.ServiceID("dev", "web"))
	if !strings.Contains(e.Sources[0].Detail, "${PUBLIC_IP}") {
		t.Errorf("evidence %q does not show the interpolated mapping", e.Sources[0].Detail)
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		path, data string
		want       bool
	}{
		{"deploy/stack.yaml", "services:\n  web:\n    image: nginx\n", true},
		{"x/compose.yml", "services:\n  web:\n    build: .\n", true},
		{"k8s.yaml", "apiVersion: v1\nkind: Service\nservices:\n  a:\n    image: x\n", false},
		{"values.yaml", "services:\n  enabled: true\n", false},
		{"docker-compose.yml", "services: [\n", true}, // broken, but ours to report
		{"openapi.yaml", "openapi: 3.0.0\npaths: {}\n", false},
	} {
		if got := agent.Detect(&discovery.File{Path: c.path, Data: []byte(c.data)}); got != c.want {
			t.Errorf("Detect(%s) = %v, want %v", c.path, got, c.want)
		}
	}
}

func TestTargets(t *testing.T) {
	for _, c := range []struct {
		key, val string
		want     []string
	}{
		{"DATABASE_URL", "postgres://u:p@db:5432/x", []string{"db:5432"}},
		{"SPRING_DATASOURCE_URL", "jdbc:postgresql://pg.internal:5432/app", []string{"pg.internal:5432"}},
		{"KAFKA_BROKERS", "kafka-1:9092,kafka-2:9092", []string{"kafka-1:9092", "kafka-2:9092"}},
		{"MH_MONGO_URI", "admin:secret@mongodb:27017", []string{"mongodb:27017"}},
		{"REDIS_HOST", "redis", []string{"redis:0"}},
		{"LOG_LEVEL", "INFO", nil},
		{"FEATURE_FLAG", "redis", nil},
		{"TLS_ENABLED", "true", nil},
		{"CALLBACK", "https://hooks.partner.io/x", []string{"hooks.partner.io:0"}},
	} {
		var got []string
		for _, tg := range targets(c.key, c.val) {
			got = append(got, tg.host+":"+itoa(tg.port))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("targets(%s=%s) = %v, want %v", c.key, c.val, got, c.want)
		}
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func FuzzRead(f *testing.F) {
	for _, n := range []string{"app/stack.yml", "broken.yml", "docker-compose.badports.yml", "docker-compose.envip.yml"} {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	if data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "demo", "compose", "staging", "docker-compose.yaml")); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fl := &discovery.File{Path: "docker-compose.yml", Abs: filepath.Join(t.TempDir(), "docker-compose.yml"), Data: data}
		err := agent.Read(context.Background(), fl, discovery.NewCollector("fuzz"))
		var fe *discovery.FileError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("error %v is not a *discovery.FileError", err)
		}
	})
}

// TestPublishesEnvAndAliases: other agents' linkers (nginx, spring) resolve
// host names and ${VARS} against what compose says, credentials excepted.
func TestPublishesEnvAndAliases(t *testing.T) {
	c := read(t, "app/stack.yml")
	envs := map[graph.ID]map[string]string{}
	for _, f := range c.Facts(discovery.EnvFactPrefix) {
		se := f.Value.(discovery.ServiceEnv)
		envs[se.Service] = se.Env
	}
	api := graph.ServiceID("dev", "api")
	if envs[api]["CACHE_HOST"] != "cache" || envs[graph.ServiceID("dev", "web")]["API_URL"] != "http://api:3000/v1" {
		t.Errorf("published environments: %v", envs)
	}
	if _, ok := envs[graph.DataStoreID("dev", "db")]; ok {
		t.Error("a data store's settings were published as a service environment")
	}
	alias := map[string][]graph.ID{}
	for _, f := range c.Facts(discovery.AliasFactPrefix) {
		a := f.Value.(discovery.HostAlias)
		alias[a.Name] = append(alias[a.Name], a.Targets...)
	}
	if !slices.Equal(alias["shop-api"], []graph.ID{api}) || !slices.Equal(alias["db"], []graph.ID{graph.DataStoreID("dev", "db")}) {
		t.Errorf("aliases: %v", alias)
	}

	f := &discovery.File{Path: "secrets/compose.yaml", Data: []byte("services:\n  app:\n    image: app:1\n    environment:\n      API_TOKEN: s3cr3t-value\n      DB_PASSWORD: hunter2\n      DB_HOST: pg\n")}
	c = discovery.NewCollector("dev")
	if err := agent.Read(context.Background(), f, c); err != nil {
		t.Fatal(err)
	}
	for _, fact := range c.Facts(discovery.EnvFactPrefix) {
		env := fact.Value.(discovery.ServiceEnv).Env
		if env["DB_HOST"] != "pg" || env["API_TOKEN"] != "" || env["DB_PASSWORD"] != "" {
			t.Errorf("environment passed on: %v (credentials must not be)", env)
		}
	}
}

// An env_file is read beside the compose file, whatever the process's
// working directory: a relative path once made it depend on where
// riskgraph ran, and the file's variables (and the calls they name) were
// lost when run from elsewhere.
func TestEnvFileBesideComposeFile(t *testing.T) {
	wd, _ := os.Getwd()
	f := file(t, "envfile/compose.yml")
	if err := os.Chdir(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	c := discovery.NewCollector("dev")
	if err := agent.Read(context.Background(), f, c); err != nil {
		t.Fatal(err)
	}
	app, _ := c.Node(graph.ServiceID("dev", "app"))
	if keys := app.Props.Strings("envKeys"); !slices.Contains(keys, "CACHE_HOST") {
		t.Errorf("envKeys %v, want CACHE_HOST from app.env", keys)
	}
	edge(t, c, graph.Reads, graph.ServiceID("dev", "app"), graph.DataStoreID("dev", "cache"))
}

// A bare container port in ports is published on a host port Docker
// picks, on every interface: the service is internet-facing all the same.
func TestEphemeralPublishedPorts(t *testing.T) {
	c := read(t, "docker-compose.ephemeral.yml")
	e := edge(t, c, graph.RoutesTo, graph.InternetID, graph.ServiceID("dev", "proxy"))
	if eph, _ := e.Props["ephemeralPorts"].([]int64); !slices.Equal(eph, []int64{8080}) || e.Props["port"] != nil {
		t.Errorf("proxy internet edge props %v, want ephemeralPorts [8080] and no host port", e.Props)
	}
	if _, ok := c.Edge(graph.EdgeID(graph.RoutesTo, graph.InternetID, graph.ServiceID("dev", "admin"))); ok {
		t.Error("a port bound to 127.0.0.1 on an ephemeral host port is internet-facing")
	}
	cache, _ := c.Node(graph.DataStoreID("dev", "cache"))
	if eph, _ := cache.Props["ephemeralPorts"].([]int64); !slices.Equal(eph, []int64{6379}) {
		t.Errorf("cache props %v, want ephemeralPorts [6379]", cache.Props)
	}
}

// Variables set in a .env that is not committed (only a .env.example is)
// leave typed fields empty; docker compose refuses such a file, but what
// it describes is still readable and must not be lost.
func TestUnsetVariablesInTypedFields(t *testing.T) {
	c := read(t, "docker-compose.unsetvars.yml")
	api := graph.ServiceID("dev", "api")
	if n, ok := c.Node(api); !ok || n.Props.String("image") != "example/api:1" {
		t.Fatalf("api %v", n)
	}
	edge(t, c, graph.Reads, api, graph.DataStoreID("dev", "db"))
}

// A store built locally on its engine's image is known by its name.
func TestStoreBuiltLocally(t *testing.T) {
	c := read(t, "docker-compose.builtstore.yml")
	n, ok := c.Node(graph.DataStoreID("dev", "clickhouse"))
	if !ok || n.Props.String("engine") != "clickhouse" {
		t.Fatalf("clickhouse: %v, want a clickhouse data store", n)
	}
	edge(t, c, graph.Reads, graph.ServiceID("dev", "api"), n.ID)
}

// A service the loader rejects is reported at its line and left out; the
// file's other services are still read.
func TestBadServiceDoesNotHideTheOthers(t *testing.T) {
	f := file(t, "docker-compose.badservice.yml")
	c := discovery.NewCollector("dev")
	if err := agent.Read(context.Background(), f, c); err != nil {
		t.Fatal(err)
	}
	edge(t, c, graph.Reads, graph.ServiceID("dev", "api"), graph.DataStoreID("dev", "cache"))
	if _, ok := c.Node(graph.ServiceID("dev", "web")); ok {
		t.Error("the invalid service was read")
	}
	errs := c.Errors()
	if len(errs) != 1 || errs[0].Line != 4 || !strings.Contains(errs[0].Msg, "service web") {
		t.Errorf("errors %v, want service web reported at line 4", errs)
	}
}

// Required variables (${DB_PASSWORD:?}) the environment does not set do
// not cost the service they appear in: the file is read with them empty.
func TestRequiredVariablesUnset(t *testing.T) {
	c := read(t, "docker-compose.required.yml")
	api, ok := c.Node(graph.ServiceID("dev", "api"))
	if !ok || api.Props.String("image") != "example/api" {
		t.Fatalf("api %v", api)
	}
	edge(t, c, graph.Reads, api.ID, graph.DataStoreID("dev", "db"))
	if errs := c.Errors(); len(errs) > 0 {
		t.Errorf("errors %v", errs)
	}
}

// A project that commits a .env.example instead of its .env is wired by
// the example's values (POSTGRES_HOST=db), not by empty ones.
func TestEnvExampleWhenNoDotEnv(t *testing.T) {
	c := read(t, "envexample/docker-compose.yml")
	edge(t, c, graph.Reads, graph.ServiceID("dev", "rest"), graph.DataStoreID("dev", "db"))
	db, _ := c.Node(graph.DataStoreID("dev", "db"))
	if pp, _ := db.Props["publicPorts"].([]int64); !slices.Equal(pp, []int64{5432}) {
		t.Errorf("db props %v, want publicPorts [5432]", db.Props)
	}
	b, _ := c.Batch(graph.Scope{Source: "compose", Key: "t"}, "r")
	js, _ := json.Marshal(b)
	if strings.Contains(string(js), "super-secret") {
		t.Error("a secret value from .env.example reached the batch")
	}
}

// A port mapping unset variables leave without a container port
// ("${POSTGRES_PORT}:${POSTGRES_PORT}") is dropped, not the whole file.
func TestPortOfUnsetVariables(t *testing.T) {
	c := read(t, "docker-compose.emptyport.yml")
	edge(t, c, graph.Reads, graph.ServiceID("dev", "api"), graph.DataStoreID("dev", "db"))
	db, _ := c.Node(graph.DataStoreID("dev", "db"))
	if lp, _ := db.Props["localPorts"].([]int64); !slices.Equal(lp, []int64{8081}) {
		t.Errorf("db props %v, want localPorts [8081]", db.Props)
	}
}

// Addresses given on the command line are read like the environment's.
func TestDependenciesFromCommand(t *testing.T) {
	c := read(t, "docker-compose.args.yml")
	front := graph.ServiceID("dev", "front")
	if e := edge(t, c, graph.Calls, front, graph.ServiceID("dev", "catalog")); e.Props.String("via") != "--catalog-addr" || e.Props.Int("port") != 7000 {
		t.Errorf("front -> catalog props %v", e.Props)
	}
	edge(t, c, graph.Reads, front, graph.DataStoreID("dev", "cache"))
}
