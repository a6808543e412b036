package k8s_test

import (
	"context"
	"os"
	"path/filepath"
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
