package k8s_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/k8s"
	"github.com/riskgraph/riskgraph/graph"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// An overlay that renames a base's objects (namePrefix) keeps their
// labels. Each rendering's Service selects its own rendering's workload:
// the base's LoadBalancer must not route to the overlay's copy, nor the
// overlay's to the base's.
func TestServiceSelectsItsOwnVariant(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"base/kustomization.yaml": "resources: [app.yaml]\n",
		"base/app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: example/web:1}]
---
apiVersion: v1
kind: Service
metadata: {name: web-lb}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80}]
`,
		"overlays/prod/kustomization.yaml": "resources: [../../base]\nnamePrefix: prod-\n",
	})
	rep, err := discovery.Run(context.Background(), []string{dir}, discovery.Options{
		Env: "e", Agents: []discovery.Agent{k8s.Agent{}},
		DirAgents: []discovery.DirAgent{k8s.KustomizeAgent{}}, Linkers: []discovery.Linker{k8s.Resolver{}},
	})
	if err != nil || len(rep.Errors) > 0 {
		t.Fatal(err, rep.Errors)
	}
	routes := func(lb, svc string) bool {
		_, ok := rep.Collector.Edge(graph.EdgeID(graph.RoutesTo, graph.GatewayID("e", lb), graph.ServiceID("e", svc)))
		return ok
	}
	for _, c := range []struct {
		lb, svc string
		want    bool
	}{{"web-lb", "web", true}, {"prod-web-lb", "prod-web", true}, {"web-lb", "prod-web", false}, {"prod-web-lb", "web", false}} {
		if got := routes(c.lb, c.svc); got != c.want {
			t.Errorf("%s -> %s: %v, want %v", c.lb, c.svc, got, c.want)
		}
	}
}

// A data store on an image of its own (not postgres, mongo, …) is still a
// data store when it listens on the engine's port under a name that says
// the engine; an application on such a port is not.
func TestStoreOnCustomImage(t *testing.T) {
	dir := writeFiles(t, map[string]string{"app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: mongodb-v1}
spec:
  template:
    metadata: {labels: {app: mongodb}}
    spec:
      containers: [{name: mongodb, image: example/shop-mongodb:1.7, ports: [{containerPort: 27017}]}]
---
apiVersion: v1
kind: Service
metadata: {name: mongodb}
spec:
  selector: {app: mongodb}
  ports: [{port: 27017, name: mongo}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: search-api}
spec:
  template:
    metadata: {labels: {app: search-api}}
    spec:
      containers:
        - name: api
          image: example/search-api:2
          ports: [{containerPort: 9200}]
          env: [{name: MONGO_DB_URL, value: "mongodb://mongodb:27017/test"}]
`})
	rep, err := discovery.Run(context.Background(), []string{dir}, discovery.Options{
		Env: "e", Agents: []discovery.Agent{k8s.Agent{}}, Linkers: []discovery.Linker{k8s.Resolver{}},
	})
	if err != nil || len(rep.Errors) > 0 {
		t.Fatal(err, rep.Errors)
	}
	store, ok := rep.Collector.Node(graph.DataStoreID("e", "mongodb-v1"))
	if !ok || store.Props.String("engine") != "mongodb" {
		t.Fatalf("mongodb-v1 is not a mongodb data store: %v", store)
	}
	api := graph.ServiceID("e", "search-api")
	if _, ok := rep.Collector.Node(api); !ok {
		t.Error("search-api, an application on port 9200, is not a service")
	}
	if _, ok := rep.Collector.Edge(graph.EdgeID(graph.Reads, api, store.ID)); !ok {
		t.Error("no READS search-api -> mongodb-v1 from MONGO_DB_URL")
	}
}

// A remote resource (here in the base an overlay builds on) is not
// fetched: it is reported at its line and the overlay is built from what
// is on disk, instead of losing the overlay or fetching over the network.
func TestKustomizeRemoteResourceLeftOut(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"base/kustomization.yaml": "resources:\n- app.yaml\n- https://github.com/example/platform//monitoring?ref=v1.0.0\n",
		"base/app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: example/web:1}]
`,
		"prod/kustomization.yaml": "resources:\n- ../base\nnamePrefix: prod-\n",
	})
	rep, err := discovery.Run(context.Background(), []string{filepath.Join(dir, "prod")}, discovery.Options{
		Env: "e", DirAgents: []discovery.DirAgent{k8s.KustomizeAgent{}}, Linkers: []discovery.Linker{k8s.Resolver{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rep.Collector.Node(graph.ServiceID("e", "prod-web")); !ok {
		t.Error("the overlay was not built without its remote resource")
	}
	if len(rep.Errors) != 1 || rep.Errors[0].Line != 3 || !strings.HasSuffix(rep.Errors[0].File, "base/kustomization.yaml") ||
		!strings.Contains(rep.Errors[0].Msg, "github.com/example/platform") {
		t.Errorf("errors %v: want the remote resource reported at base/kustomization.yaml:3", rep.Errors)
	}
}

// Connection strings kept in a Secret name the stores a workload uses;
// the dependency is read from them while the credential never leaves the
// agent.
func TestDependenciesFromSecrets(t *testing.T) {
	dir := writeFiles(t, map[string]string{"app.yaml": `apiVersion: v1
kind: Secret
metadata: {name: orders-db}
stringData:
  DATABASE_URL: postgres://orders:s3cr3t-pw@orders-db:5432/orders
  DB_PASSWORD: s3cr3t-pw
---
apiVersion: v1
kind: Secret
metadata: {name: cache}
data:
  url: cmVkaXM6Ly86czNjcjN0LXJlZGlzQHNlc3Npb25zOjYzNzk=
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders}
spec:
  template:
    metadata: {labels: {app: orders}}
    spec:
      containers:
        - name: orders
          image: example/orders:1
          envFrom: [{secretRef: {name: orders-db}}]
          env:
            - name: SESSION_CACHE_URL
              valueFrom: {secretKeyRef: {name: cache, key: url}}
`})
	rep, err := discovery.Run(context.Background(), []string{dir}, discovery.Options{
		Env: "e", Agents: []discovery.Agent{k8s.Agent{}}, Linkers: []discovery.Linker{k8s.Resolver{}},
	})
	if err != nil || len(rep.Errors) > 0 {
		t.Fatal(err, rep.Errors)
	}
	orders := graph.ServiceID("e", "orders")
	for store, via := range map[string]string{"orders-db": "DATABASE_URL", "sessions": "SESSION_CACHE_URL"} {
		e, ok := rep.Collector.Edge(graph.EdgeID(graph.Reads, orders, graph.DataStoreID("e", store)))
		if !ok {
			t.Errorf("no READS orders -> %s", store)
			continue
		}
		if e.Props.String("via") != via {
			t.Errorf("orders -> %s via %q, want %q", store, e.Props.String("via"), via)
		}
	}
	js, _ := json.Marshal(rep.Batch)
	if strings.Contains(string(js), "s3cr3t") {
		t.Error("a secret value reached the batch")
	}
}

// A URL on a host the estate's own Ingress serves is not a third party: a
// frontend's API_URL=https://api.example.com is a call to the service the
// host routes to, and a service's own PUBLIC_URL is no call at all.
func TestOwnPublicHostIsNotAThirdParty(t *testing.T) {
	dir := writeFiles(t, map[string]string{"app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: shop/web:1
          env: [{name: API_URL, value: "https://api.example.com/v1"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: shop/api:1
          env: [{name: PUBLIC_URL, value: "https://api.example.com"}]
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {app: api}
  ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: public}
spec:
  rules:
    - host: api.example.com
      http:
        paths: [{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}]
`})
	rep, err := discovery.Run(context.Background(), []string{dir}, discovery.Options{
		Env: "e", Agents: []discovery.Agent{k8s.Agent{}}, Linkers: []discovery.Linker{k8s.Resolver{}},
	})
	if err != nil || len(rep.Errors) > 0 {
		t.Fatal(err, rep.Errors)
	}
	if _, ok := rep.Collector.Node(graph.ThirdPartyID("api.example.com")); ok {
		t.Error("the estate's own host became a third party")
	}
	web, api := graph.ServiceID("e", "web"), graph.ServiceID("e", "api")
	if e, ok := rep.Collector.Edge(graph.EdgeID(graph.Calls, web, api)); !ok || e.Props.String("via") != "API_URL" {
		t.Errorf("web -> api through the public host: %v", e)
	}
}

// One document of a multi-document file that cannot be read (a field of
// the wrong type, broken YAML) is reported at its line; the documents
// around it are still read.
func TestBadDocumentDoesNotHideTheOthers(t *testing.T) {
	dir := writeFiles(t, map[string]string{"all.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: a}
spec:
  template:
    metadata: {labels: {app: a}}
    spec:
      containers: [{name: a, image: x/a:1}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b}
spec:
  replicas: "three"
---
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Service, metadata: {name: c}, spec: {ports: "80"}}
  - {apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {template: {spec: {containers: [{name: d, image: x/d:1}]}}}}
---
metadata: {name: e
`})
	rep, err := discovery.Run(context.Background(), []string{dir}, discovery.Options{
		Env: "e", Agents: []discovery.Agent{k8s.Agent{}}, Linkers: []discovery.Linker{k8s.Resolver{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "d"} {
		if _, ok := rep.Collector.Node(graph.ServiceID("e", n)); !ok {
			t.Errorf("workload %s was lost with the file's bad documents", n)
		}
	}
	var lines []int
	for _, e := range rep.Errors {
		lines = append(lines, e.Line)
	}
	if !slices.Equal(lines, []int{10, 16, 23}) {
		t.Errorf("errors %v: want the bad documents at lines 10, 16 and 23 (where the YAML parser stopped)", rep.Errors)
	}
}

// An ExternalName Service is an in-cluster name for an outside one: the
// workload calling it uses the managed database or the vendor behind it,
// not a service of the cluster.
func TestExternalNameService(t *testing.T) {
	dir := writeFiles(t, map[string]string{"app.yaml": `apiVersion: v1
kind: Service
metadata: {name: orders-db}
spec: {type: ExternalName, externalName: orders.cluster-abc.eu-west-1.rds.amazonaws.com}
---
apiVersion: v1
kind: Service
metadata: {name: payments}
spec: {type: ExternalName, externalName: api.stripe.com}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders}
spec:
  template:
    metadata: {labels: {app: orders}}
    spec:
      containers:
        - name: orders
          image: shop/orders:1
          env:
            - {name: DATABASE_URL, value: "postgres://orders@orders-db:5432/orders"}
            - {name: PAYMENTS_URL, value: "https://payments/v1"}
`})
	rep, err := discovery.Run(context.Background(), []string{dir}, discovery.Options{
		Env: "e", Agents: []discovery.Agent{k8s.Agent{}}, Linkers: []discovery.Linker{k8s.Resolver{}},
	})
	if err != nil || len(rep.Errors) > 0 {
		t.Fatal(err, rep.Errors)
	}
	orders := graph.ServiceID("e", "orders")
	var store graph.ID
	for _, e := range rep.Batch.Edges {
		if e.Kind == graph.Reads && e.From == orders {
			store = e.To
		}
	}
	n, ok := rep.Collector.Node(store)
	if !ok || n.Props.String("host") != "orders.cluster-abc.eu-west-1.rds.amazonaws.com" || !n.Props.Bool("managed") {
		t.Errorf("orders reads %v, want the RDS instance behind orders-db", n)
	}
	if _, ok := rep.Collector.Edge(graph.EdgeID(graph.Calls, orders, graph.ThirdPartyID("api.stripe.com"))); !ok {
		t.Error("no CALLS orders -> api.stripe.com behind the payments ExternalName")
	}
	if _, ok := rep.Collector.Edge(graph.EdgeID(graph.Calls, orders, graph.ServiceID("e", "payments"))); ok {
		t.Error("payments, an ExternalName, became an in-cluster service")
	}
}

// Addresses given on the command line (--catalog-addr=catalog:7000, or a
// URL after a flag) are read like the environment's; listen addresses and
// other flags are not dependencies.
func TestDependenciesFromArguments(t *testing.T) {
	dir := writeFiles(t, map[string]string{"app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: front}
spec:
  template:
    metadata: {labels: {app: front}}
    spec:
      containers:
        - name: front
          image: shop/front:1
          command: [/front]
          args:
            - --catalog-addr=catalog:7000
            - --listen-addr=0.0.0.0:8080
            - --log-level=debug
            - --db
            - postgres://front@front-db:5432/front
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: catalog}
spec:
  template:
    metadata: {labels: {app: catalog}}
    spec:
      containers: [{name: catalog, image: shop/catalog:1}]
`})
	rep, err := discovery.Run(context.Background(), []string{dir}, discovery.Options{
		Env: "e", Agents: []discovery.Agent{k8s.Agent{}}, Linkers: []discovery.Linker{k8s.Resolver{}},
	})
	if err != nil || len(rep.Errors) > 0 {
		t.Fatal(err, rep.Errors)
	}
	front := graph.ServiceID("e", "front")
	e, ok := rep.Collector.Edge(graph.EdgeID(graph.Calls, front, graph.ServiceID("e", "catalog")))
	if !ok || e.Props.String("via") != "--catalog-addr" || e.Sources[0].Line != 13 {
		t.Errorf("front -> catalog from --catalog-addr: %+v", e)
	}
	if _, ok := rep.Collector.Edge(graph.EdgeID(graph.Reads, front, graph.DataStoreID("e", "front-db"))); !ok {
		t.Error("no READS front -> front-db from --db")
	}
	var n int
	for _, e := range rep.Batch.Edges {
		if e.From == front && e.Kind != graph.RunsImage {
			n++
		}
	}
	if n != 3 { // CALLS catalog, READS and WRITES front-db
		t.Errorf("front has %d dependency edges, want 3", n)
	}
}

// An object an overlay builds is evidenced at the file and document it
// came from (a base's app.yaml, second document), not at the overlay's
// kustomization file with no line.
func TestKustomizeEvidenceAtOrigin(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"base/kustomization.yaml": "resources: [app.yaml]\n",
		"base/app.yaml": `apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: example/web:1}]
`,
		"prod/kustomization.yaml":    "resources: [../base]\nnamePrefix: prod-\n",
		"staging/kustomization.yaml": "resources: [../base]\nnamePrefix: staging-\n",
	})
	rep, err := discovery.Run(context.Background(), []string{filepath.Join(dir, "prod"), filepath.Join(dir, "staging")}, discovery.Options{
		Env: "e", DirAgents: []discovery.DirAgent{k8s.KustomizeAgent{}}, Linkers: []discovery.Linker{k8s.Resolver{}},
	})
	if err != nil || len(rep.Errors) > 0 {
		t.Fatal(err, rep.Errors)
	}
	for _, name := range []string{"prod-web", "staging-web"} {
		n, ok := rep.Collector.Node(graph.ServiceID("e", name))
		if !ok {
			t.Errorf("%s missing", name)
			continue
		}
		if s := n.Sources[0]; !strings.HasSuffix(s.File, "base/app.yaml") || s.Line != 6 {
			t.Errorf("%s evidence %+v, want base/app.yaml:6", name, s)
		}
	}
}
