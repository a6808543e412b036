package all

import (
	"context"
	"os"
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

// TestTerraformAPISpec: a REST API whose body is an OpenAPI file makes that
// file's operations internet-facing through the gateway, once the spec
// linker has attached them to their service.
func TestTerraformAPISpec(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "billing")
	if err := os.MkdirAll(app, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"main.tf": `resource "aws_api_gateway_rest_api" "billing" {
  name = "billing"
  body = templatefile("${path.module}/openapi.yaml", {})
}
`,
		"openapi.yaml": `openapi: 3.0.3
info: {title: billing, version: "1"}
paths:
  /invoices/{id}:
    get:
      operationId: getInvoice
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  email: {type: string}
                  iban: {type: string}
`,
	}
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(app, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	res, err := runtest.Run(ctx, "prod", dir, []string{dir}, Agents(), nil)
	if err != nil || len(res.Errors) > 0 {
		t.Fatal(err, res.Errors)
	}
	for _, d := range DirAgents() {
		if d.DetectDir(app) {
			if err := d.ReadDir(ctx, app, "billing", res.C); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, l := range Linkers() {
		if err := l.Link(ctx, res.C); err != nil {
			t.Fatal(err)
		}
	}
	gw := graph.GatewayID("prod", "billing")
	var routed []graph.ID
	for _, e := range res.C.Edges(graph.RoutesTo) {
		if e.From == gw {
			routed = append(routed, e.To)
		}
	}
	var apis []string
	for _, id := range routed {
		if n, ok := res.C.Node(id); ok && n.Kind == graph.API {
			apis = append(apis, n.Props.String("method")+" "+n.Props.String("path"))
		}
	}
	if !slices.Equal(apis, []string{"GET /invoices/{id}"}) {
		t.Errorf("gateway routes to APIs %v", apis)
	}
	if _, ok := res.C.Edge(graph.EdgeID(graph.RoutesTo, graph.InternetID, gw)); !ok {
		t.Error("the REST API is not internet-facing")
	}
}
