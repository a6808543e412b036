package k8s_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/k8s"
	"github.com/riskgraph/riskgraph/graph"
)

// TestHelmChartWithValues renders the fixture chart with its defaults and
// with a values file that makes it public; a template that does not render
// is reported and left out while the rest of the chart is read.
func TestHelmChartWithValues(t *testing.T) {
	for _, c := range []struct {
		values []string
		public bool
	}{{nil, false}, {[]string{"testdata/public-values.yaml"}, true}} {
		rep, err := discovery.Run(context.Background(), []string{"testdata/chart"}, discovery.Options{
			Env: "e", Values: c.values, Agents: []discovery.Agent{k8s.Agent{}},
			DirAgents: []discovery.DirAgent{k8s.HelmAgent{}}, Linkers: []discovery.Linker{k8s.Resolver{}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Errors) != 1 || !strings.HasSuffix(rep.Errors[0].File, "templates/broken.yaml") || !strings.Contains(rep.Errors[0].Msg, "shop.missing") {
			t.Errorf("errors %v: want the broken template reported", rep.Errors)
		}
		svc := graph.ServiceID("e", "shop-web")
		n, ok := rep.Collector.Node(svc)
		if !ok {
			t.Fatalf("values %v: no shop-web service", c.values)
		}
		if n.Sources[0].File != "testdata/chart/templates/web.yaml" || !strings.Contains(n.Sources[0].Detail, "helm chart shop") {
			t.Errorf("evidence %+v", n.Sources)
		}
		if _, ok := rep.Collector.Edge(graph.EdgeID(graph.Calls, svc, graph.ServiceID("e", "orders"))); !ok {
			t.Error("the ORDERS_URL call is missing")
		}
		_, public := rep.Collector.Edge(graph.EdgeID(graph.RoutesTo, graph.InternetID, graph.GatewayID("e", "shop-web")))
		if public != c.public {
			t.Errorf("values %v: internet-facing %v, want %v", c.values, public, c.public)
		}
	}
}

// A template that fails with required (or fail) is left out and reported
// at its line; the rest of the chart is read. Capability checks see a
// current cluster, as the chart would be installed on: an Ingress kind is
// served.
func TestHelmRequiredAndCapabilities(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"shop/Chart.yaml":  "apiVersion: v2\nname: shop\nversion: 1.0.0\n",
		"shop/values.yaml": "dbPassword: \"\"\n",
		"shop/templates/secret.yaml": `apiVersion: v1
kind: Secret
metadata: {name: db}
stringData:
  password: {{ required "dbPassword is required" .Values.dbPassword }}
`,
		"shop/templates/web.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: shop/web:1}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: {{ if .Capabilities.APIVersions.Has "networking.k8s.io/v1/Ingress" }}ClusterIP{{ else }}LoadBalancer{{ end }}
  selector: {app: web}
  ports: [{port: 80}]
`,
	})
	rep, err := discovery.Run(context.Background(), []string{filepath.Join(dir, "shop")}, discovery.Options{
		Env: "e", DirAgents: []discovery.DirAgent{k8s.HelmAgent{}}, Linkers: []discovery.Linker{k8s.Resolver{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != 1 || !strings.HasSuffix(rep.Errors[0].File, "templates/secret.yaml") || rep.Errors[0].Line != 5 {
		t.Errorf("errors %v: want templates/secret.yaml:5 reported", rep.Errors)
	}
	if _, ok := rep.Collector.Node(graph.ServiceID("e", "web")); !ok {
		t.Error("the chart's other templates were not read")
	}
	if _, ok := rep.Collector.Node(graph.GatewayID("e", "web")); ok {
		t.Error("the chart rendered a LoadBalancer: the Ingress kind is not among the capabilities")
	}
}

// A subchart rendered under an alias is evidenced at its own directory,
// and a template of it that does not render is left out like a parent's,
// instead of losing the whole chart.
func TestHelmAliasedSubchart(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"shop/Chart.yaml":            "apiVersion: v2\nname: shop\nversion: 1.0.0\ndependencies:\n  - {name: api, version: 0.1.0, alias: orders}\n",
		"shop/charts/api/Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\n",
		"shop/charts/api/templates/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}-{{ .Chart.Name }}}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: shop/api:1}]
`,
		"shop/charts/api/templates/broken.yaml": "{{ required \"api.key is required\" .Values.key }}\n",
	})
	rep, err := discovery.Run(context.Background(), []string{filepath.Join(dir, "shop")}, discovery.Options{
		Env: "e", DirAgents: []discovery.DirAgent{k8s.HelmAgent{}}, Linkers: []discovery.Linker{k8s.Resolver{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != 1 || !strings.HasSuffix(rep.Errors[0].File, "shop/charts/api/templates/broken.yaml") {
		t.Errorf("errors %v: want charts/api/templates/broken.yaml reported", rep.Errors)
	}
	n, ok := rep.Collector.Node(graph.ServiceID("e", "shop-orders"))
	if !ok {
		t.Fatal("the aliased subchart's workload is missing")
	}
	if !strings.HasSuffix(n.Sources[0].File, "shop/charts/api/templates/deploy.yaml") {
		t.Errorf("evidence %v, want the subchart's own directory charts/api", n.Sources[0].File)
	}
}

// A chart's test Pods (helm.sh/hook: test) are not part of the release:
// they are left out, and their random names never become services.
func TestHelmTestHooksLeftOut(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
		"app/templates/web.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: shop/web:1}]
`,
		"app/templates/tests/smoke.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: web-smoke-{{ randAlphaNum 5 | lower }}
  annotations: {"helm.sh/hook": test, "helm.sh/hook-delete-policy": hook-succeeded}
spec:
  containers:
    - name: curl
      image: curlimages/curl:8
      env: [{name: WEB_URL, value: "http://web:80"}]
  restartPolicy: Never
`,
	})
	rep, err := discovery.Run(context.Background(), []string{filepath.Join(dir, "app")}, discovery.Options{
		Env: "e", DirAgents: []discovery.DirAgent{k8s.HelmAgent{}}, Linkers: []discovery.Linker{k8s.Resolver{}},
	})
	if err != nil || len(rep.Errors) > 0 {
		t.Fatal(err, rep.Errors)
	}
	for _, n := range rep.Batch.Nodes {
		if n.Kind == graph.Service && n.Name != "web" {
			t.Errorf("service %s: a test hook was read as part of the release", n.Name)
		}
	}
}
