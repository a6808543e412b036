package all_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
)

// TestCorpusSpringProperties: Sock Shop's carts names its database only in
// its application.properties (mongodb://${db:carts-db}:27017/data); the
// ground truth's carts → carts-db comes from there, with the file and line
// as evidence, and the other Java services' settings corroborate what the
// manifests say.
func TestCorpusSpringProperties(t *testing.T) {
	rep := discoverApp(t, filepath.Join(corpusDir(t), "sock-shop"))
	b := rep.Batch
	want := map[graph.ID]string{
		graph.EdgeID(graph.Reads, graph.ServiceID("prod", "carts"), graph.DataStoreID("prod", "carts-db")):    "services/carts/src/main/resources/application.properties:2",
		graph.EdgeID(graph.Writes, graph.ServiceID("prod", "carts"), graph.DataStoreID("prod", "carts-db")):   "services/carts/src/main/resources/application.properties:2",
		graph.EdgeID(graph.Reads, graph.ServiceID("prod", "orders"), graph.DataStoreID("prod", "orders-db")):  "services/orders/src/main/resources/application.properties:2",
		graph.EdgeID(graph.Reads, graph.ServiceID("prod", "shipping"), graph.DataStoreID("prod", "rabbitmq")): "services/shipping/src/main/resources/application.properties:2",
	}
	found := map[graph.ID]bool{}
	for _, e := range b.Edges {
		ev, ok := want[e.ID]
		if !ok {
			continue
		}
		for _, s := range e.Sources {
			if s.Agent == "spring" && strings.HasSuffix(s.File+":"+strconv.Itoa(s.Line), ev) {
				found[e.ID] = true
			}
		}
		if !found[e.ID] {
			t.Errorf("%s: no evidence from %s in %+v", e.ID, ev, e.Sources)
		}
	}
	for id, ev := range want {
		if !found[id] {
			t.Errorf("missing %s (from %s)", id, ev)
		}
	}
	for _, e := range b.Edges {
		if k, _ := e.To.KindOf(); k == graph.Service && strings.Contains(string(e.To), "zipkin") {
			t.Errorf("a call to zipkin, which every service disables (spring.zipkin.enabled=false): %s", e.ID)
		}
	}
}
