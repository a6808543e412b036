package aws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/aws/awsfake"
	"github.com/riskgraph/riskgraph/discovery/internal/endpoint"
	"github.com/riskgraph/riskgraph/discovery/terraform"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/scoring"
)

const estate = "testdata/estate"

// discover runs the agent with the real SDK clients against the fake.
func discover(t *testing.T, s *awsfake.Server, regions []string, tweak func(*Options)) *discovery.Report {
	t.Helper()
	opt := Options{Config: s.Config(), Regions: regions, Timeout: 10 * time.Second,
		MaxBackoff: 5 * time.Millisecond, Concurrency: 4, Run: "aws-test-1"}
	if tweak != nil {
		tweak(&opt)
	}
	rep, err := Discover(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Batch.Validate(); err != nil {
		t.Fatalf("batch does not validate: %v", err)
	}
	return rep
}

// index gives access to a batch by kind and name.
type index struct {
	b     graph.Batch
	nodes map[string]graph.Node // "Kind:name"
	byID  map[graph.ID]graph.Node
}

func newIndex(t *testing.T, b graph.Batch) *index {
	t.Helper()
	ix := &index{b: b, nodes: map[string]graph.Node{}, byID: map[graph.ID]graph.Node{}}
	for _, n := range b.Nodes {
		k := string(n.Kind) + ":" + n.Name
		if _, dup := ix.nodes[k]; dup && n.Kind != graph.API {
			t.Errorf("two nodes named %s", k)
		}
		ix.nodes[k] = n
		ix.byID[n.ID] = n
	}
	return ix
}

func (ix *index) node(t *testing.T, key string) graph.Node {
	t.Helper()
	n, ok := ix.nodes[key]
	if !ok {
		t.Fatalf("no node %s", key)
	}
	return n
}

func (ix *index) name(id graph.ID) string {
	if id == graph.InternetID {
		return "Internet"
	}
	n := ix.byID[id]
	return string(n.Kind) + ":" + n.Name
}

// edges returns "FROM -KIND-> TO" for every edge of kind k touching key
// (as source when out, as target otherwise), sorted.
func (ix *index) edges(k graph.EdgeKind, key string, out bool) []string {
	var res []string
	for _, e := range ix.b.Edges {
		if e.Kind != k {
			continue
		}
		if out && ix.name(e.From) == key {
			res = append(res, ix.name(e.To))
		}
		if !out && ix.name(e.To) == key {
			res = append(res, ix.name(e.From))
		}
	}
	sort.Strings(res)
	return res
}

func (ix *index) edge(k graph.EdgeKind, from, to string) (graph.Edge, bool) {
	for _, e := range ix.b.Edges {
		if e.Kind == k && ix.name(e.From) == from && ix.name(e.To) == to {
			return e, true
		}
	}
	return graph.Edge{}, false
}

func TestEstate(t *testing.T) {
	s := awsfake.New(estate)
	defer s.Close()
	// Every service is throttled on its first calls; the SDK's retryer
	// must back off and finish.
	throttled := map[string]string{
		"ec2": "DescribeInstances", "dynamodb": "ListTables", "iam": "ListRoles", "lambda": "ListFunctions",
		"s3": "ListBuckets", "apigateway": "GetRestApis", "apigatewayv2": "GetApis", "ecs": "ListClusters",
		"elasticloadbalancing": "DescribeLoadBalancers", "rds": "DescribeDBInstances",
	}
	for svc, op := range throttled {
		s.Throttle(svc, op, 2)
	}
	rep := discover(t, s, []string{"us-east-1"}, nil)
	for _, e := range rep.Errors {
		t.Errorf("unexpected error: %v", e)
	}
	for svc, op := range throttled {
		// Two throttled calls, then the first page, then (for paginated
		// listings with a second page) the next one.
		if n := s.Calls(svc, op); n < 3 {
			t.Errorf("%s:%s called %d times; want the 2 throttled calls retried", svc, op, n)
		}
	}
	if rep.Scope != (graph.Scope{Source: "aws", Key: "123456789012:us-east-1"}) {
		t.Errorf("scope %v", rep.Scope)
	}
	ix := newIndex(t, rep.Batch)

	t.Run("pagination", func(t *testing.T) {
		// Each of these is only on a listing's second page.
		for _, k := range []string{"Service:batch-worker", "Service:storefront", "Gateway:jobs-nlb", "Service:webhook", "Service:reports",
			"DataStore:sessions", "DataStore:legacy-downloads", "DataStore:private-logs", "Identity:webhook-role", "Identity:bastion-role",
			"Service:billing-svc", "Service:status-page", "Gateway:internal-api", "DataStore:legacy-mysql", "API:DELETE /admin", "API:ANY $default"} {
			ix.node(t, k)
		}
		if _, ok := ix.nodes["Service:old-box"]; ok {
			t.Error("a terminated instance became a service")
		}
		// ledger-1 is a member of the ledger cluster: the cluster is the store.
		if _, ok := ix.nodes["DataStore:ledger-1"]; ok {
			t.Error("cluster member ledger-1 is a data store of its own")
		}
	})

	t.Run("api gateway", func(t *testing.T) {
		shop := ix.node(t, "Gateway:shop-api")
		if got := shop.Props.Strings("unauthenticatedRoutes"); !slices.Equal(got, []string{"GET /orders", "GET /orders/{id}"}) {
			t.Errorf("shop-api unauthenticated routes %v", got)
		}
		if _, ok := ix.edge(graph.RoutesTo, "Internet", "Gateway:shop-api"); !ok {
			t.Error("edge-optimized shop-api not internet-facing")
		}
		if _, ok := ix.edge(graph.RoutesTo, "Internet", "Gateway:internal-api"); ok {
			t.Error("private internal-api is internet-facing")
		}
		if got := ix.edges(graph.Exposes, "Service:orders-api", true); len(got) != 3 {
			t.Errorf("orders-api implements %v, want GET/POST /orders and DELETE /admin", got)
		}
		e, ok := ix.edge(graph.RoutesTo, "Gateway:shop-api", "Service:orders-api")
		if !ok || !slices.Equal(e.Props.Strings("routes"), []string{"DELETE /admin", "GET /orders", "POST /orders"}) {
			t.Errorf("shop-api → orders-api: %v %v", ok, e.Props)
		}
		// An HTTP integration to the ALB's DNS name chains the gateways.
		if _, ok := ix.edge(graph.RoutesTo, "Gateway:shop-api", "Gateway:shop-alb"); !ok {
			t.Error("shop-api GET /orders/{id} does not route to shop-alb")
		}
		if got := ix.edges(graph.Calls, "API:ANY $default", true); !slices.Equal(got, []string{"ThirdParty:legacy.acme-partner.io"}) {
			t.Errorf("$default integration calls %v", got)
		}
		post := ix.node(t, "API:POST /events")
		if post.Props.Bool("authenticated") || ix.node(t, "API:GET /events").Props.String("authorizer") != "jwt-auth" {
			t.Errorf("events-http routes: POST %v GET %v", post.Props, ix.node(t, "API:GET /events").Props)
		}
	})

	t.Run("exposure through scoring", func(t *testing.T) {
		st, err := memdb.Open("", memdb.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ctx := context.Background()
		if _, err := st.Apply(ctx, rep.Batch); err != nil {
			t.Fatal(err)
		}
		v, err := st.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		eng := scoring.New(v, scoring.DefaultProfile())
		api := func(gw, method, path string) graph.ID {
			return graph.APIID(ix.node(t, "Gateway:"+gw).ID, method, path)
		}
		cases := []struct {
			name                   string
			id                     graph.ID
			reachable, unauth, net bool
		}{
			{"GET /orders (no authorizer)", api("shop-api", "GET", "/orders"), true, true, true},
			{"POST /orders (Cognito)", api("shop-api", "POST", "/orders"), true, false, true},
			{"DELETE /admin (custom authorizer)", api("shop-api", "DELETE", "/admin"), true, false, true},
			{"POST /events (HTTP API, NONE)", api("events-http", "POST", "/events"), true, true, true},
			{"GET /health (private API)", api("internal-api", "GET", "/health"), false, false, false},
			{"webhook (function URL NONE)", ix.node(t, "Service:webhook").ID, true, true, true},
			{"bastion (public IP, public subnet, 0.0.0.0/0)", ix.node(t, "Service:bastion").ID, true, true, true},
			{"batch-worker (public IP, private subnet)", ix.node(t, "Service:batch-worker").ID, false, false, false},
			{"storefront (behind the internet-facing ALB)", ix.node(t, "Service:storefront").ID, true, true, true},
			{"orders-svc (ECS, behind the ALB)", ix.node(t, "Service:orders-svc").ID, true, true, true},
		}
		for _, c := range cases {
			x, err := eng.Exposure(ctx, c.id)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if x.Reachable != c.reachable || (x.Reachable && !x.Authenticated) != c.unauth || x.InternetFacing != c.net {
				t.Errorf("%s: reachable %v authenticated %v internet-facing %v; want reachable %v unauthenticated %v internet-facing %v",
					c.name, x.Reachable, x.Authenticated, x.InternetFacing, c.reachable, c.unauth, c.net)
			}
		}
	})

	t.Run("lambda", func(t *testing.T) {
		if e, ok := ix.edge(graph.RoutesTo, "Internet", "Service:webhook"); !ok || e.Props.Bool("authenticated") {
			t.Errorf("webhook function URL (auth NONE): edge %v props %v", ok, e.Props)
		}
		if e, ok := ix.edge(graph.RoutesTo, "Internet", "Service:reports"); !ok || !e.Props.Bool("authenticated") {
			t.Errorf("reports function URL (AWS_IAM): edge %v props %v", ok, e.Props)
		}
		if _, ok := ix.edge(graph.RoutesTo, "Internet", "Service:orders-api"); ok {
			t.Error("orders-api has no function URL but is routed from the internet")
		}
		if got := ix.edges(graph.RunsAs, "Service:orders-api", true); !slices.Equal(got, []string{"Identity:orders-lambda-role"}) {
			t.Errorf("orders-api runs as %v", got)
		}
	})

	t.Run("load balancers", func(t *testing.T) {
		// storefront: an instance target; orders-svc: the ECS service that
		// registered the ip target group; legacy-orders: an ip target that
		// is an instance's private address; reports: a Lambda target.
		if got := ix.edges(graph.RoutesTo, "Gateway:shop-alb", true); !slices.Equal(got, []string{"Service:legacy-orders", "Service:orders-svc", "Service:reports", "Service:storefront"}) {
			t.Errorf("shop-alb routes to %v (instance, ip, ECS and lambda targets)", got)
		}
		if e, ok := ix.edge(graph.RoutesTo, "Internet", "Gateway:shop-alb"); !ok || e.Props.Int("port") != 443 {
			t.Errorf("internet-facing shop-alb: %v %v", ok, e.Props)
		}
		if _, ok := ix.edge(graph.RoutesTo, "Internet", "Gateway:jobs-nlb"); ok {
			t.Error("internal NLB is internet-facing")
		}
		// jobs-tg names no load balancer; the listener's forward config does.
		if got := ix.edges(graph.RoutesTo, "Gateway:jobs-nlb", true); !slices.Equal(got, []string{"Service:batch-worker"}) {
			t.Errorf("jobs-nlb routes to %v", got)
		}
	})

	t.Run("ecs", func(t *testing.T) {
		// status-page: public IPs, public subnet (through the VPC's main
		// route table), web group open on 443 — and not on its 9090.
		e, ok := ix.edge(graph.RoutesTo, "Internet", "Service:status-page")
		if !ok || !slices.Equal(e.Props["ports"].([]int64), []int64{443}) {
			t.Errorf("status-page internet edge %v %v", ok, e.Props)
		}
		// orders-svc is reached through the ALB only.
		if _, ok := ix.edge(graph.RoutesTo, "Internet", "Service:orders-svc"); ok {
			t.Error("orders-svc (no public IP) routed from the internet directly")
		}
		if r := ix.node(t, "Service:orders-svc").Props.String("publicReason"); r != "tasks get no public IP" {
			t.Errorf("orders-svc reason %q", r)
		}
		if got := ix.edges(graph.RunsAs, "Service:status-page", true); len(got) != 0 {
			t.Errorf("status-page has no task role, runs as %v", got)
		}
	})

	t.Run("ec2", func(t *testing.T) {
		b := ix.node(t, "Service:bastion")
		if !b.Props.Bool("sshOpenToInternet") || !slices.Contains(b.Props.Strings("openPorts"), "tcp:22") {
			t.Errorf("bastion props %v", b.Props)
		}
		if e, ok := ix.edge(graph.RoutesTo, "Internet", "Service:bastion"); !ok || !slices.Equal(e.Props["ports"].([]int64), []int64{22, 443}) {
			t.Errorf("bastion internet edge %v %v", ok, e.Props)
		}
		w := ix.node(t, "Service:batch-worker")
		if _, ok := ix.edge(graph.RoutesTo, "Internet", "Service:batch-worker"); ok || !strings.Contains(w.Props.String("publicReason"), "does not route to an internet gateway") {
			t.Errorf("batch-worker (private subnet): internet edge %v, reason %q", ok, w.Props.String("publicReason"))
		}
		if got := ix.edges(graph.RunsAs, "Service:bastion", true); !slices.Equal(got, []string{"Identity:bastion-role"}) {
			t.Errorf("bastion runs as %v (through its instance profile)", got)
		}
	})

	t.Run("rds", func(t *testing.T) {
		for name, want := range map[string]struct{ flag, public bool }{
			"orders-db": {true, true}, "analytics-db": {true, false}, "legacy-mysql": {false, false}, "ledger": {false, false},
		} {
			n := ix.node(t, "DataStore:"+name)
			if n.Props.Bool("publiclyAccessible") != want.flag || n.Props.Bool("public") != want.public {
				t.Errorf("%s: publiclyAccessible %v public %v (%s); want %v %v", name, n.Props.Bool("publiclyAccessible"),
					n.Props.Bool("public"), n.Props.String("publicReason"), want.flag, want.public)
			}
		}
		if got := ix.node(t, "DataStore:ledger").Props.Strings("subnets"); !slices.Equal(got, []string{"subnet-0priv0000000001"}) {
			t.Errorf("ledger cluster subnets %v (its instances')", got)
		}
		if m := ix.node(t, "DataStore:orders-db").Props.Strings("misconfigurations"); !slices.Equal(m, []string{"public", "publicly-accessible-flag", "unencrypted"}) {
			t.Errorf("orders-db misconfigurations %v", m)
		}
	})

	t.Run("s3", func(t *testing.T) {
		for name, want := range map[string]bool{"public-assets": true, "invoices-archive": false, "legacy-downloads": true, "private-logs": false} {
			n := ix.node(t, "DataStore:"+name)
			if n.Props.Bool("public") != want {
				t.Errorf("%s: public %v (%s), want %v", name, n.Props.Bool("public"), n.Props.String("publicReason"), want)
			}
		}
		inv := ix.node(t, "DataStore:invoices-archive")
		if !strings.Contains(inv.Props.String("publicReason"), "public access block") || inv.Props.String("region") != "eu-west-1" {
			t.Errorf("invoices-archive: %v", inv.Props)
		}
	})

	t.Run("iam", func(t *testing.T) {
		for role, want := range map[string][]string{
			// AmazonDynamoDBFullAccess: dynamodb:* on * — every table listed.
			"orders-lambda-role": {"DataStore:events", "DataStore:orders", "DataStore:sessions"},
			// customer-managed billing-s3: s3:* on * — every bucket listed.
			"billing-task": {"DataStore:invoices-archive", "DataStore:legacy-downloads", "DataStore:private-logs", "DataStore:public-assets"},
			// one table by ARN, buckets by the invoices-* pattern.
			"orders-task":  {"DataStore:invoices-archive", "DataStore:orders"},
			"webhook-role": {"DataStore:events"},
			"reports-role": {"DataStore:public-assets"},
			"bastion-role": nil,
		} {
			if got := ix.edges(graph.CanAccess, "Identity:"+role, true); !slices.Equal(got, want) {
				t.Errorf("%s can access %v, want %v", role, got, want)
			}
		}
		e, _ := ix.edge(graph.CanAccess, "Identity:orders-task", "DataStore:orders")
		if e.Props.Bool("wildcard") || !slices.Equal(e.Props.Strings("actions"), []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"}) {
			t.Errorf("orders-task → orders %v", e.Props)
		}
		if !ix.node(t, "Identity:billing-task").Props.Bool("wildcardPolicy") {
			t.Error("billing-task's s3:* on * not flagged")
		}
		if got := ix.node(t, "Identity:orders-task").Props.Strings("assumedBy"); !slices.Equal(got, []string{"ecs-tasks.amazonaws.com"}) {
			t.Errorf("orders-task assumed by %v (trust policy is URL-encoded by IAM)", got)
		}
	})

	t.Run("environment", func(t *testing.T) {
		for _, c := range []struct{ from, to, via string }{
			{"Service:orders-api", "DataStore:orders", "ORDERS_TABLE"},              // a table name
			{"Service:orders-api", "DataStore:sessions", "SESSIONS_TABLE_ARN"},      // a table ARN
			{"Service:webhook", "DataStore:events", "EVENTS_STREAM"},                // an ARN below the table (its stream)
			{"Service:reports", "DataStore:analytics-db", "DATABASE_URL"},           // a URL whose host is the endpoint
			{"Service:reports", "DataStore:public-assets", "PUBLIC_BUCKET"},         // a bucket name
			{"Service:orders-svc", "DataStore:orders-db", "DB_HOST"},                // an ECS container's host
			{"Service:billing-svc", "DataStore:ledger", "LEDGER_DB"},                // host:port of the cluster endpoint
			{"Service:billing-svc", "DataStore:invoices-archive", "INVOICE_BUCKET"}, // s3://bucket/prefix
		} {
			for _, k := range []graph.EdgeKind{graph.Reads, graph.Writes} {
				e, ok := ix.edge(k, c.from, c.to)
				if !ok || e.Props.String("via") != c.via {
					t.Errorf("%s -%s-> %s via %s: found %v %v", c.from, k, c.to, c.via, ok, e.Props)
				}
			}
		}
		if e, ok := ix.edge(graph.Calls, "Service:billing-svc", "Service:reports"); !ok || e.Props.String("via") != "REPORTS_FN" {
			t.Errorf("billing-svc calls reports through a function alias ARN: %v", ok)
		}
		if got := ix.edges(graph.Calls, "Service:orders-svc", true); !slices.Equal(got, []string{"ThirdParty:api.stripe.com"}) {
			t.Errorf("orders-svc calls %v", got)
		}
		if got := ix.edges(graph.RunsImage, "Service:orders-svc", true); !slices.Equal(got, []string{"Image:123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:1.4.2"}) {
			t.Errorf("orders-svc runs %v", got)
		}
		if got := ix.node(t, "Service:orders-svc").Props.Strings("secretRefs"); !slices.Equal(got, []string{"DB_PASSWORD"}) {
			t.Errorf("orders-svc secret references %v", got)
		}
	})

	t.Run("secrets are fingerprinted, never stored", func(t *testing.T) {
		data, err := json.Marshal(rep.Batch)
		if err != nil {
			t.Fatal(err)
		}
		secrets := map[string]struct{ node, key, value string }{
			"name":       {"Service:orders-api", "DB_PASSWORD", "hunter2-correct-horse-battery"},
			"aws key":    {"Service:webhook", "LEGACY_KEY", "AKIAIOSFODNN7EXAMPLE"},
			"stripe key": {"Service:orders-svc", "STRIPE_KEY", "sk_live_51HxYzAbCdEfGhIjKlMnOpQr"},
			"url":        {"Service:reports", "DATABASE_URL", "postgres://report:s3cr3tPassw0rd@analytics-db.c9akciq32xyz.us-east-1.rds.amazonaws.com:5432/analytics"},
			"webhook":    {"Service:webhook", "SLACK_WEBHOOK", "https://hooks.slack.com/services/T0000/B0000/XXXXXXXX"},
		}
		for what, sc := range secrets {
			for _, leak := range []string{sc.value, "s3cr3tPassw0rd", "XXXXXXXX"} {
				if strings.Contains(string(data), leak) {
					t.Errorf("%s: %q appears in the batch", what, leak)
				}
			}
			n := ix.node(t, sc.node)
			// Keyed: the value's plain digest (a word-list lookup away from
			// it) is nowhere either.
			sum := sha256.Sum256([]byte(sc.value))
			if strings.Contains(string(data), hex.EncodeToString(sum[:])) {
				t.Errorf("%s: the value's unkeyed sha256 appears in the batch", what)
			}
			fp := sc.key + "=" + endpoint.Fingerprint(sc.value)
			if !slices.Contains(n.Props.Strings("credentialFingerprints"), fp) || !slices.Contains(n.Props.Strings("secretEnvKeys"), sc.key) {
				t.Errorf("%s: %s lacks fingerprint %s: %v", what, sc.node, fp, n.Props.Strings("credentialFingerprints"))
			}
			if !slices.Contains(n.Props.Strings("misconfigurations"), "plaintext-secrets") {
				t.Errorf("%s: %s not flagged plaintext-secrets", what, sc.node)
			}
		}
		// Names are kept; non-secret values are not stored either.
		if k := ix.node(t, "Service:orders-api").Props.Strings("envKeys"); !slices.Equal(k, []string{"DB_PASSWORD", "NODE_ENV", "ORDERS_TABLE", "SESSIONS_TABLE_ARN"}) {
			t.Errorf("orders-api env names %v", k)
		}
		if slices.Contains(ix.node(t, "Service:orders-api").Props.Strings("secretEnvKeys"), "ORDERS_TABLE") {
			t.Error("a table name taken for a secret")
		}
	})

	t.Run("read-only", func(t *testing.T) {
		ops := s.Ops()
		if w := s.Writes(); len(w) > 0 {
			t.Errorf("non-read operations: %v", w)
		}
		services := map[string]bool{}
		for _, op := range ops {
			svc, _, _ := strings.Cut(op, ":")
			services[svc] = true
		}
		for _, svc := range []string{"sts", "apigateway", "apigatewayv2", "lambda", "elasticloadbalancing", "ecs", "ec2", "rds", "dynamodb", "s3", "iam"} {
			if !services[svc] {
				t.Errorf("service %s never called", svc)
			}
		}
	})
}

func TestPartialRun(t *testing.T) {
	s := awsfake.New(estate)
	defer s.Close()
	s.Deny("rds")
	s.Hang("us-west-2")
	// DynamoDB keeps throttling past the retry budget.
	s.Throttle("dynamodb", "ListTables", 1000)
	rep := discover(t, s, []string{"us-west-2", "us-east-1"}, func(o *Options) {
		o.Timeout = 300 * time.Millisecond
		o.MaxAttempts = 3
	})
	if rep.Scope.Key != "123456789012:us-east-1,us-west-2" {
		t.Errorf("scope %q", rep.Scope.Key)
	}
	errs := map[string]string{}
	for _, e := range rep.Errors {
		errs[e.File] = e.Msg
	}
	if m := errs["aws:us-east-1:rds"]; !strings.Contains(m, "access denied (AccessDenied)") || !strings.Contains(m, "rds:DescribeDBInstances") {
		t.Errorf("rds denial reported as %q", m)
	}
	if m := errs["aws:us-east-1:dynamodb"]; !strings.Contains(m, "ThrottlingException") {
		t.Errorf("dynamodb throttled past the retries reported as %q", m)
	}
	for _, svc := range []string{"apigateway", "apigatewayv2", "lambda", "elasticloadbalancing", "ecs", "ec2", "rds", "dynamodb"} {
		if m := errs["aws:us-west-2:"+svc]; !strings.Contains(m, "timed out after 300ms") {
			t.Errorf("hanging region, %s: %q", svc, m)
		}
	}
	if len(rep.Errors) != 10 {
		t.Errorf("%d errors, want 10: %v", len(rep.Errors), errs)
	}
	if rep.FilesRead["iam"] != 1 || rep.FilesRead["lambda"] != 1 || rep.FilesRead["rds"] != 0 {
		t.Errorf("services read %v", rep.FilesRead)
	}
	// What the other services gave is there; nothing of the failed ones.
	ix := newIndex(t, rep.Batch)
	for _, k := range []string{"Service:webhook", "DataStore:public-assets", "Identity:orders-task", "Gateway:shop-alb"} {
		ix.node(t, k)
	}
	for _, k := range []string{"DataStore:orders-db", "DataStore:orders"} {
		if _, ok := ix.nodes[k]; ok {
			t.Errorf("%s present though its service failed", k)
		}
	}
	// Env references to what a failed service would have listed stay
	// unresolved rather than guessed.
	if _, ok := ix.edge(graph.Reads, "Service:orders-api", "DataStore:orders"); ok {
		t.Error("edge to an unlisted table")
	}
}

func TestNoAccount(t *testing.T) {
	s := awsfake.New(estate)
	defer s.Close()
	s.Deny("sts")
	_, err := Discover(context.Background(), Options{Config: s.Config(), MaxBackoff: time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "GetCallerIdentity") {
		t.Fatalf("run without an account: %v", err)
	}
	for _, op := range s.Ops() {
		if op != "sts:GetCallerIdentity" {
			t.Errorf("%s called without knowing the account", op)
		}
	}
}

// TestTerraformParity: the resources the estate's Terraform declares get
// the same ids from a Terraform run as from the live run, so that both
// describe one graph.
func TestTerraformParity(t *testing.T) {
	s := awsfake.New(estate)
	defer s.Close()
	live := newIndex(t, discover(t, s, []string{"us-east-1"}, nil).Batch)

	dir := "testdata/terraform"
	data, err := os.ReadFile(filepath.Join(dir, "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	c := discovery.NewCollector("")
	if err := terraform.ReadModule(context.Background(), dir, []string{"main.tf"}, map[string][]byte{"main.tf": data}, c); err != nil {
		t.Fatal(err)
	}
	b, _ := c.Batch(graph.Scope{Source: "terraform", Key: "t"}, "tf-1")
	matched := 0
	for _, n := range b.Nodes {
		if n.Kind == graph.Internet {
			continue
		}
		l, ok := live.byID[n.ID]
		if !ok {
			t.Errorf("terraform %s %q (%s) has no live counterpart with the same id", n.Kind, n.Name, n.Props.String("address"))
			continue
		}
		matched++
		if l.Props.String("resourceType") != n.Props.String("resourceType") {
			t.Errorf("%s: live resourceType %q, terraform %q", n.Name, l.Props.String("resourceType"), n.Props.String("resourceType"))
		}
	}
	if matched != 11 {
		t.Errorf("%d terraform resources matched, want 11", matched)
	}
	// The function's execution role is the same edge in both.
	fn, role := graph.ServiceID("aws", "webhook"), graph.IdentityID("aws", "role/webhook-role")
	for _, src := range []graph.Batch{b, live.b} {
		found := false
		for _, e := range src.Edges {
			if e.ID == graph.EdgeID(graph.RunsAs, fn, role) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s batch lacks webhook RUNS_AS webhook-role", src.Scope.Source)
		}
	}
}

// TestMalformedResponse: a service answering something the SDK cannot
// decode is reported with the call that failed; the run goes on and the
// service contributes nothing half-read.
func TestMalformedResponse(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(estate)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ec2", "DescribeSubnets.xml"), []byte("<DescribeSubnetsResponse><subnetSet><item><subnetId>sub"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lambda", "ListFunctions.page2.json"), []byte(`{"Functions": [{"FunctionName": 42}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	s := awsfake.New(dir)
	defer s.Close()
	rep := discover(t, s, []string{"us-east-1"}, nil)
	errs := map[string]string{}
	for _, e := range rep.Errors {
		errs[e.File] = e.Msg
	}
	if m := errs["aws:us-east-1:ec2"]; !strings.Contains(m, "DescribeSubnets") || !strings.Contains(m, "deserialization failed") {
		t.Errorf("broken EC2 answer reported as %q", m)
	}
	if m := errs["aws:us-east-1:lambda"]; !strings.Contains(m, "ListFunctions") {
		t.Errorf("broken Lambda answer reported as %q", m)
	}
	if len(errs) != 2 {
		t.Errorf("errors %v", errs)
	}
	ix := newIndex(t, rep.Batch)
	for _, k := range []string{"Service:bastion", "Service:orders-api"} {
		if _, ok := ix.nodes[k]; ok {
			t.Errorf("%s kept from a service whose read failed", k)
		}
	}
	ix.node(t, "Gateway:shop-alb")
	ix.node(t, "DataStore:orders")
}

func FuzzResolve(f *testing.F) {
	for _, v := range []string{"orders", "arn:aws:dynamodb:us-east-1:1:table/orders/stream/x", "s3://logs/a", "http://h:1/x",
		"h:99", "arn:aws:apigateway:r:lambda:path/2015-03-31/functions/arn:aws:lambda:r:1:function:fn/invocations", "arn:", "::", "postgres://u:p@h/db"} {
		f.Add("DB_PASSWORD", v)
	}
	b := newBuilder(&inventory{}, discovery.NewCollector("aws"), "aws")
	t1 := b.add(&node{Node: graph.Node{ID: "datastore:t", Kind: graph.DataStore}, names: []string{"orders"}, arn: "arn:aws:dynamodb:us-east-1:1:table/orders"}, "h")
	f.Fuzz(func(t *testing.T, name, v string) {
		if n := b.resolve(v); n != nil && n != t1 {
			t.Fatalf("resolve(%q) returned a node never added", v)
		}
		if looksSecret(name, v) != looksSecret(name, v) {
			t.Fatal("looksSecret is not deterministic")
		}
		_ = policyText(v)
	})
}
