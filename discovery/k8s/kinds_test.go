package k8s_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/k8s"
	"github.com/riskgraph/riskgraph/graph"
)

const estate = `apiVersion: v1
kind: ConfigMap
metadata: {name: api-config, namespace: web}
data:
  LEDGER_URL: jdbc:postgresql://ledger-db.web.svc.cluster.local:5432/ledger
  SEARCH_ENDPOINT: https://search.vendor-cloud.example.com/v1
  DB_PASSWORD: hunter2
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: web}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      serviceAccountName: api
      containers:
        - name: api
          image: registry.example.com/web/api:2.1
          ports: [{containerPort: 8080}]
          envFrom: [{configMapRef: {name: api-config}}]
          env:
            - name: WORKER_ADDR
              value: worker:9090
            - name: CACHE_HOST
              value: sessions
            - name: STRIPE_KEY
              valueFrom: {secretKeyRef: {name: stripe, key: key}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: worker, namespace: web}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: worker}}
        spec:
          containers: [{name: w, image: example/worker:1}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ledger-db, namespace: web}
spec:
  template:
    metadata: {labels: {app: ledger-db}}
    spec:
      containers: [{name: pg, image: postgres:16, ports: [{containerPort: 5432}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: sessions, namespace: web}
spec:
  template:
    metadata: {labels: {app: sessions}}
    spec:
      containers: [{name: r, image: bitnami/redis:7.2}]
---
apiVersion: v1
kind: Secret
metadata: {name: stripe, namespace: web}
stringData: {key: sk_live_not_a_real_key}
---
apiVersion: v1
kind: Service
metadata:
  name: admin-lb
  namespace: web
  annotations: {networking.gke.io/load-balancer-type: Internal}
spec:
  type: LoadBalancer
  selector: {app: worker}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: api-svc, namespace: web}
spec:
  type: NodePort
  selector: {app: api}
  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: web}
spec:
  gatewayClassName: envoy
  listeners: [{name: https, hostname: shop.example.com, port: 443, protocol: HTTPS}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api, namespace: web}
spec:
  parentRefs: [{name: public}]
  hostnames: [shop.example.com]
  rules:
    - matches: [{path: {type: PathPrefix, value: /api}}]
      backendRefs: [{name: api-svc, port: 80}]
---
apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata: {name: mesh-gw, namespace: web}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: worker, namespace: web}
spec:
  hosts: ["*"]
  gateways: [mesh-gw]
  http:
    - match: [{uri: {prefix: /jobs}}]
      route: [{destination: {host: worker.web.svc.cluster.local}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-access, namespace: web}
spec:
  podSelector: {matchLabels: {app: ledger-db}}
  ingress:
    - from: [{podSelector: {matchLabels: {app: api}}}]
`

func TestKinds(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "estate.yaml"), []byte(estate), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := discovery.Run(context.Background(), []string{dir}, discovery.Options{
		Env: "e", Agents: []discovery.Agent{k8s.Agent{}}, Linkers: []discovery.Linker{k8s.Resolver{}},
	})
	if err != nil || len(rep.Errors) > 0 {
		t.Fatal(err, rep.Errors)
	}
	nodes := map[graph.ID]graph.Node{}
	for _, n := range rep.Batch.Nodes {
		nodes[n.ID] = n
	}
	edges := map[graph.ID]graph.Edge{}
	for _, e := range rep.Batch.Edges {
		edges[e.ID] = e
	}
	api, worker := graph.ServiceID("e", "api"), graph.ServiceID("e", "worker")
	ledger, sessions := graph.DataStoreID("e", "ledger-db"), graph.DataStoreID("e", "sessions")
	vendor := graph.ThirdPartyID("search.vendor-cloud.example.com")
	public, meshGW, adminLB := graph.GatewayID("e", "public"), graph.GatewayID("e", "mesh-gw"), graph.GatewayID("e", "admin-lb")
	for _, id := range []graph.ID{api, worker, ledger, sessions, vendor, public, meshGW, adminLB} {
		if _, ok := nodes[id]; !ok {
			t.Errorf("node %s missing", id)
		}
	}
	if w := nodes[worker]; w.Props.String("workload") != "CronJob" {
		t.Errorf("worker props %v", w.Props)
	}
	if l := nodes[ledger]; l.Props.String("engine") != "postgresql" {
		t.Errorf("ledger-db props %v", l.Props)
	}
	a := nodes[api]
	if !slices.Equal(a.Props.Strings("secretRefs"), []string{"stripe"}) {
		t.Errorf("secretRefs %v", a.Props.Strings("secretRefs"))
	}
	if !slices.Equal(a.Props.Strings("configMapRefs"), []string{"api-config"}) {
		t.Errorf("configMapRefs %v", a.Props.Strings("configMapRefs"))
	}
	for _, fp := range a.Props.Strings("credentialFingerprints") {
		if slices.Contains([]string{"hunter2", "sk_live_not_a_real_key"}, fp) || len(fp) < 70 {
			t.Errorf("credential fingerprint %q", fp)
		}
	}
	if len(a.Props.Strings("credentialFingerprints")) != 2 {
		t.Errorf("fingerprints %v", a.Props.Strings("credentialFingerprints"))
	}
	for _, s := range rep.Batch.Nodes {
		for _, v := range s.Props {
			if str, ok := v.(string); ok && (str == "hunter2" || str == "sk_live_not_a_real_key") {
				t.Errorf("a secret value is stored on %s", s.ID)
			}
		}
	}
	want := []struct {
		k        graph.EdgeKind
		from, to graph.ID
		via      string
	}{
		{graph.Calls, api, worker, "WORKER_ADDR"},
		{graph.Calls, api, vendor, "SEARCH_ENDPOINT"},
		{graph.Reads, api, ledger, "LEDGER_URL"},
		{graph.Writes, api, ledger, "LEDGER_URL"}, // the only workload using it: it owns it
		{graph.Reads, api, sessions, "CACHE_HOST"},
		{graph.Writes, api, sessions, "CACHE_HOST"},
		{graph.RoutesTo, graph.InternetID, api, ""},    // NodePort
		{graph.RoutesTo, graph.InternetID, public, ""}, // Gateway API
		{graph.RoutesTo, public, api, ""},
		{graph.RoutesTo, graph.InternetID, meshGW, ""}, // Istio ingress gateway
		{graph.RoutesTo, meshGW, worker, ""},
		{graph.RoutesTo, adminLB, worker, ""},
		{graph.RunsAs, api, graph.IdentityID("k8s", "web/api"), ""},
	}
	for _, w := range want {
		e, ok := edges[graph.EdgeID(w.k, w.from, w.to)]
		if !ok {
			t.Errorf("%s %s -> %s missing", w.k, w.from, w.to)
			continue
		}
		if w.via != "" && e.Props.String("via") != w.via {
			t.Errorf("%s %s -> %s via %q, want %q", w.k, w.from, w.to, e.Props.String("via"), w.via)
		}
	}
	if _, ok := edges[graph.EdgeID(graph.RoutesTo, graph.InternetID, adminLB)]; ok {
		t.Error("an internal load balancer is internet-facing")
	}
	if e := edges[graph.EdgeID(graph.RoutesTo, public, api)]; !slices.Equal(e.Props.Strings("pathPrefixes"), []string{"/api"}) ||
		!slices.Equal(e.Props.Strings("hosts"), []string{"shop.example.com"}) {
		t.Errorf("HTTPRoute props %v", e.Props)
	}
	if e := edges[graph.EdgeID(graph.Calls, api, worker)]; e.Sources[0].Line != 23 {
		t.Errorf("WORKER_ADDR evidence %+v, want line 23", e.Sources)
	}
}
