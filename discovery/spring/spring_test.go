package spring

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

func TestParseProperties(t *testing.T) {
	in := "# comment\n! also a comment\n\n  a.b = 1\nc.d:two\ne.f three words\n" +
		"g.h=first \\\n    second\nesc\\=key=\\u0041\\tB\nempty=\n"
	got, err := parseProperties("x.properties", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Property{{Key: "a.b", Value: "1", Line: 4}, {Key: "c.d", Value: "two", Line: 5}, {Key: "e.f", Value: "three words", Line: 6},
		{Key: "g.h", Value: "first second", Line: 7}, {Key: "esc=key", Value: "A\tB", Line: 9}, {Key: "empty", Value: "", Line: 10}}
	if !slices.Equal(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	var fe *discovery.FileError
	if _, err := parseProperties("bin.properties", []byte("a=1\x00")); !errors.As(err, &fe) || fe.File != "bin.properties" {
		t.Errorf("binary file: %v", err)
	}
}

func TestParseYAMLProfilesAndErrors(t *testing.T) {
	doc := "spring:\n  datasource:\n    url: jdbc:x\nlist:\n  - a\n  - b\n---\nspring:\n  config:\n    activate:\n      on-profile: prod\nonly: prod\n---\nspring:\n  profiles: \"!prod\"\nnot: prod\n"
	got, err := parseYAML("a.yml", []byte(doc), "prod")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]Property{}
	for _, p := range got {
		keys[p.Key] = p
	}
	if keys["spring.datasource.url"].Line != 3 || keys["list[1]"].Value != "b" || keys["only"].Value != "prod" {
		t.Errorf("flattened: %+v", got)
	}
	if _, ok := keys["not"]; ok {
		t.Errorf("a document for !prod was read in prod: %+v", got)
	}
	var fe *discovery.FileError
	if _, err := parseYAML("bad.yml", []byte("a:\n  b: [1,\n"), "prod"); !errors.As(err, &fe) || fe.Line == 0 {
		t.Errorf("broken YAML: want a FileError with a line, got %v", err)
	}
	if _, err := parseYAML("list.yml", []byte("- a\n- b\n"), "prod"); err == nil || !strings.Contains(err.Error(), "want a mapping") {
		t.Errorf("a list document: %v", err)
	}
}

func TestResolveAndEnvNames(t *testing.T) {
	props := []Property{{Key: "db.host", Value: "orders-db"}, {Key: "self", Value: "${self}"}}
	for _, c := range []struct {
		in   string
		env  map[string]string
		want string
		ok   bool
	}{
		{"mongodb://${db:carts-db}:27017", nil, "mongodb://carts-db:27017", true},
		{"mongodb://${db:carts-db}:27017", map[string]string{"db": "mongo-1"}, "mongodb://mongo-1:27017", true},
		{"${spring.rabbitmq.host:x}", map[string]string{"SPRING_RABBITMQ_HOST": "mq"}, "mq", true},
		{"http://${db.host}/x", nil, "http://orders-db/x", true},
		{"${outer:${inner:deep}}", nil, "deep", true},
		{"${DB_HOST}", nil, "${DB_HOST}", false},
		{"${self}", nil, "${self}", false},
	} {
		got, ok := resolve(c.in, props, c.env)
		if got != c.want || ok != c.ok {
			t.Errorf("resolve(%q, %v) = %q, %v; want %q, %v", c.in, c.env, got, ok, c.want, c.ok)
		}
	}
	for k, want := range map[string]string{"spring.data.mongodb.uri": "SPRING_DATA_MONGODB_URI",
		"spring.zipkin.baseUrl": "SPRING_ZIPKIN_BASE_URL", "spring.kafka.bootstrap-servers": "SPRING_KAFKA_BOOTSTRAP_SERVERS",
		"clients[0].url": "CLIENTS_0__URL"} {
		if got := envName(k); got != want {
			t.Errorf("envName(%q) = %q, want %q", k, got, want)
		}
	}
	if got := moduleName("shop/carts/src/main/resources/application.properties"); got != "carts" {
		t.Errorf("moduleName: %q", got)
	}
}

// estate is what the deployment agents would have found before the Spring
// linker runs: services, two stores and the environments they set.
func estate(env string) *discovery.Collector {
	c := discovery.NewCollector(env)
	for _, s := range []string{"orders", "billing", "shipping", "catalog", "ledger", "ledger-staging"} {
		c.AddNode("k8s", graph.Node{ID: graph.ServiceID(env, s), Kind: graph.Service, Name: s, Env: env})
	}
	for s, engine := range map[string]string{"orders-db": "mongodb", "rabbitmq": "rabbitmq"} {
		c.AddNode("k8s", graph.Node{ID: graph.DataStoreID(env, s), Kind: graph.DataStore, Name: s, Env: env, Props: graph.Props{"engine": engine}})
	}
	c.AddFact("k8s", discovery.EnvFactPrefix+"orders", discovery.ServiceEnv{Service: graph.ServiceID(env, "orders"), Name: "orders",
		Env: map[string]string{"CATALOG_HOST": "catalog"}})
	c.AddFact("k8s", discovery.EnvFactPrefix+"billing", discovery.ServiceEnv{Service: graph.ServiceID(env, "billing"), Name: "billing",
		Env: map[string]string{"DB_HOST": "billing-pg"}})
	return c
}

func readFixtures(t *testing.T, c *discovery.Collector) {
	t.Helper()
	root := "testdata/shop"
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f := &discovery.File{Path: filepath.ToSlash(p), Data: data}
		if !(Agent{}).Detect(f) {
			t.Errorf("%s not detected", p)
			return nil
		}
		return Agent{}.Read(context.Background(), f, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := (Linker{}).Link(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

// edges lists "KIND from -> to (property @line)" for what the Spring linker added.
func edges(c *discovery.Collector) []string {
	name := map[graph.ID]string{}
	for _, n := range c.Nodes() {
		name[n.ID] = n.Name
	}
	var out []string
	for _, e := range c.Edges() {
		for _, s := range e.Sources {
			if s.Agent == Name {
				out = append(out, string(e.Kind)+" "+name[e.From]+" -> "+name[e.To]+" ("+strings.TrimPrefix(s.Detail, "property ")+" @"+strconv.Itoa(s.Line)+")")
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestLinkProd(t *testing.T) {
	c := estate("prod")
	readFixtures(t, c)
	want := []string{
		"CALLS billing -> ledger (clients.ledger.base-url @13)",
		"CALLS orders -> api.stripe.com (payments.api.url @8)",
		"CALLS orders -> catalog (catalog.url @11)",
		"CALLS orders -> shipping (shipping.url @10)",
		"READS billing -> billing-pg (spring.datasource.url @3)",
		"READS billing -> billing-replica (spring.datasource.replica-url @27)",
		"READS billing -> events-kafka (spring.kafka.consumer.bootstrap-servers @7)",
		"READS orders -> orders-db (spring.data.mongodb.uri @4)",
		"READS orders -> rabbitmq (spring.rabbitmq.host @5)",
		"WRITES billing -> billing-pg (spring.datasource.url @3)",
		"WRITES orders -> orders-db (spring.data.mongodb.uri @4)",
		"WRITES orders -> rabbitmq (spring.rabbitmq.host @5)",
	}
	slices.Sort(want)
	if got := edges(c); !slices.Equal(got, want) {
		t.Fatalf("edges:\n  got  %q\n  want %q", got, want)
	}
	replica, ok := c.Node(graph.DataStoreID("prod", "billing-replica"))
	if !ok || replica.Props.String("engine") != "postgresql" || replica.Props["managed"] != true {
		t.Errorf("replica store: %+v", replica)
	}
	if _, ok := c.Node(graph.ServiceID("prod", "zipkin")); ok {
		t.Error("zipkin is disabled (spring.zipkin.enabled=false) but was linked")
	}
}

func TestLinkStagingProfile(t *testing.T) {
	c := estate("staging")
	readFixtures(t, c)
	got := edges(c)
	if !slices.Contains(got, "CALLS billing -> ledger-staging (clients.ledger.base-url @3)") || slices.Contains(got, "CALLS billing -> ledger (clients.ledger.base-url @13)") {
		t.Errorf("application-staging.yml did not override the ledger URL: %q", got)
	}
	for _, e := range got {
		if strings.Contains(e, "billing-replica") {
			t.Errorf("the prod document was read in staging: %s", e)
		}
	}
	// The deployment's DB_HOST fills the placeholder of the default
	// document, but the staging document's own URL replaces the property.
	if !slices.Contains(got, "READS billing -> staging-billing-db (spring.datasource.url @20)") {
		t.Errorf("staging datasource: %q", got)
	}
}

func TestUnknownModuleAddsNothing(t *testing.T) {
	c := discovery.NewCollector("prod")
	f := &discovery.File{Path: "inventory/src/main/resources/application.properties", Data: []byte("spring.datasource.url=jdbc:mysql://inventory-db/x\n")}
	if err := (Agent{}).Read(context.Background(), f, c); err != nil {
		t.Fatal(err)
	}
	if err := (Linker{}).Link(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if n := len(c.Nodes()) + len(c.Edges()); n != 0 {
		t.Errorf("a module no deployment defines added %d elements", n)
	}
	k8s := &discovery.File{Path: "deploy/application.yaml", Data: []byte("apiVersion: v1\nkind: ConfigMap\n")}
	if (Agent{}).Detect(k8s) {
		t.Error("a Kubernetes manifest named application.yaml was taken for Spring configuration")
	}
}

// TestInMemoryDatabaseSkipped: a test profile's in-memory H2 lives inside
// the service's process; it is no data store of the estate.
func TestInMemoryDatabaseSkipped(t *testing.T) {
	c := estate("qa")
	f := &discovery.File{Path: "orders/src/main/resources/application.yml", Data: []byte(
		"spring:\n  datasource:\n    url: jdbc:h2:mem:testdb;DB_CLOSE_DELAY=-1\n    driver-class-name: org.h2.Driver\n")}
	if err := (Agent{}).Read(context.Background(), f, c); err != nil {
		t.Fatal(err)
	}
	if err := (Linker{}).Link(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if got := edges(c); len(got) != 0 {
		t.Errorf("in-memory H2 linked: %q", got)
	}
	for _, n := range c.Nodes(graph.DataStore) {
		if strings.Contains(n.Name, "h2") || strings.Contains(n.Name, "mem") {
			t.Errorf("in-memory H2 became data store %q", n.Name)
		}
	}
}
