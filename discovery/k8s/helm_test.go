package k8s_test

import (
	"context"
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
