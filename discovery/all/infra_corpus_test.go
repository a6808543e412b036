package all

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/internal/runtest"
	"github.com/riskgraph/riskgraph/graph"
)

// TestInfraCorpus runs every registered agent, directory agent and linker
// over the two infrastructure applications, the way discover does, and
// checks that the infrastructure agents and the spec linkers work together:
// the orders API's operation is internet-facing through the gateway that
// includes its spec, and the database behind TerraGoat's db_app is PII
// (from the table its user data creates) without being internet-facing.
func TestInfraCorpus(t *testing.T) {
	corpus := specsCorpusDir(t)
	ctx := context.Background()
	roots := []string{filepath.Join(corpus, "aws-serverless-ecommerce"), filepath.Join(corpus, "terragoat-aws")}
	res, err := runtest.Run(ctx, "prod", corpus, roots, Agents(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tf := filepath.Join(corpus, "terragoat-aws", "terraform", "aws")
	for _, d := range DirAgents() {
		if !d.DetectDir(tf) {
			continue
		}
		one := discovery.NewCollector("prod")
		if err := d.ReadDir(ctx, tf, "terragoat-aws/terraform/aws", one); err != nil {
			t.Fatal(err)
		}
		res.C.Merge(one)
	}
	for _, l := range Linkers() {
		if err := l.Link(ctx, res.C); err != nil {
			t.Fatal(err)
		}
	}
	c := res.C
	b, dangling := c.Batch(graph.Scope{Source: "discover", Key: "test"}, "run-1")
	if err := b.Validate(); err != nil {
		t.Fatalf("batch does not validate: %v", err)
	}
	if len(dangling) > 0 {
		t.Errorf("%d dangling edges, first %+v", len(dangling), dangling[0])
	}

	next := map[graph.ID][]graph.ID{}
	for _, e := range c.Edges(graph.RoutesTo) {
		next[e.From] = append(next[e.From], e.To)
	}
	seen := map[graph.ID]bool{}
	queue := []graph.ID{graph.InternetID}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, n := range next[id] {
			if !seen[n] {
				seen[n] = true
				queue = append(queue, n)
			}
		}
	}
	orders := graph.ServiceID("prod", "orders")
	if !seen[graph.APIID(orders, "GET", "/backend/{orderId}")] {
		t.Error("orders GET /backend/{orderId} is not internet-facing through orders/Api")
	}
	var rds *graph.Node
	for _, n := range c.Nodes(graph.DataStore) {
		if n.Props.String("address") == "aws_db_instance.default" {
			rds = n
		}
	}
	if rds == nil {
		t.Fatal("TerraGoat's RDS instance was not found")
	}
	if !slices.Contains(rds.DataClasses, graph.PII) || rds.Props.Bool("public") {
		t.Errorf("RDS default: classes %v public %v", rds.DataClasses, rds.Props["public"])
	}
}
