package cloudformation

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/graphql"
	"github.com/riskgraph/riskgraph/discovery/internal/runtest"
	"github.com/riskgraph/riskgraph/discovery/openapi"
	"github.com/riskgraph/riskgraph/discovery/specmatch"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/internal/testcorpus"
)

func corpusDir(t testing.TB) string { return testcorpus.Dir(t) }

// label names a node for assertions: "stack/LogicalId" for template
// resources, "service METHOD path" for APIs, the name otherwise.
func label(c *discovery.Collector, id graph.ID) string {
	if id == graph.InternetID {
		return "Internet"
	}
	n, ok := c.Node(id)
	if !ok {
		return string(id)
	}
	if lid := n.Props.String("logicalId"); lid != "" {
		return n.Props.String("stack") + "/" + lid
	}
	if n.Kind == graph.API {
		for _, e := range c.Edges(graph.Exposes) {
			if e.To == id {
				s, _ := c.Node(e.From)
				return s.Name + " " + n.Props.String("method") + " " + n.Props.String("path")
			}
		}
	}
	return n.Name
}

func reachable(c *discovery.Collector) []string {
	next := map[graph.ID][]graph.ID{}
	for _, e := range c.Edges(graph.RoutesTo) {
		next[e.From] = append(next[e.From], e.To)
	}
	seen := map[graph.ID]bool{}
	queue := []graph.ID{graph.InternetID}
	var out []string
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, n := range next[id] {
			if !seen[n] {
				seen[n] = true
				out = append(out, label(c, n))
				queue = append(queue, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

func edges(c *discovery.Collector, kinds ...graph.EdgeKind) []string {
	var out []string
	for _, e := range c.Edges(kinds...) {
		out = append(out, string(e.Kind)+" "+label(c, e.From)+" -> "+label(c, e.To))
	}
	sort.Strings(out)
	return out
}

func byLabel(t testing.TB, c *discovery.Collector, l string) *graph.Node {
	t.Helper()
	for _, n := range c.Nodes() {
		if label(c, n.ID) == l {
			return n
		}
	}
	t.Fatalf("no node %s", l)
	return nil
}

type score struct{ tp, fp, fn int }

func (s *score) add(want, got []string) (missed, extra []string) {
	for _, w := range want {
		if slices.Contains(got, w) {
			s.tp++
		} else {
			s.fn++
			missed = append(missed, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			s.fp++
			extra = append(extra, g)
		}
	}
	return missed, extra
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// TestServerlessEcommerce reads the AWS serverless e-commerce sample's SAM
// templates together with its OpenAPI specs and asserts GROUND_TRUTH.md:
// the REGIONAL APIs are internet-facing (their operations through the
// gateway that includes the spec), the tables and who reads or writes
// them (from the SAM policies), the CreateOrder role's blast radius, the
// AppSync operations reachable through the public GraphQL API, the
// AppSync API that logs every field, and the WebSocket routes without
// authorization.
func TestServerlessEcommerce(t *testing.T) {
	corpus := corpusDir(t)
	root := filepath.Join(corpus, "aws-serverless-ecommerce")
	res, err := runtest.Run(context.Background(), "", corpus, []string{root},
		[]discovery.Agent{Agent{}, openapi.Agent{}, graphql.Agent{}}, []discovery.Linker{specmatch.Linker{}, Specs{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, fe := range res.Errors {
		if strings.HasSuffix(fe.File, "template.yaml") || strings.Contains(fe.File, "templates/") {
			t.Errorf("template error: %v", fe)
		}
	}
	if got := res.Files[AgentName]; got != 10 {
		t.Errorf("read %d templates, want 10 (9 services + the shared DLQ)", got)
	}
	c := res.C
	b, dangling := c.Batch(graph.Scope{Source: "discover", Key: "test"}, "run-1")
	if err := b.Validate(); err != nil {
		t.Fatalf("batch does not validate: %v", err)
	}
	if len(dangling) > 0 {
		t.Errorf("dangling edges: %v", dangling)
	}
	var total score
	check := func(what string, want, got []string) {
		t.Helper()
		var s score
		missed, extra := s.add(want, got)
		total.tp, total.fp, total.fn = total.tp+s.tp, total.fp+s.fp, total.fn+s.fn
		t.Logf("%-16s precision %.2f recall %.2f", what, ratio(s.tp, s.tp+s.fp), ratio(s.tp, s.tp+s.fn))
		if len(missed) > 0 || len(extra) > 0 {
			t.Errorf("%s:\n missed %q\n unexpected %q", what, missed, extra)
		}
	}

	var stores []string
	for _, n := range c.Nodes(graph.DataStore) {
		stores = append(stores, label(c, n.ID))
	}
	sort.Strings(stores)
	check("data stores", []string{"delivery/Table", "orders/Table", "payment/Table", "platform/ListenerTable",
		"products/Table", "users/UserPool", "warehouse/Table"}, stores)

	// Internet exposure: every backend API is a REGIONAL endpoint
	// (IAM-protected, but reachable), AppSync is public, the listener is
	// a WebSocket API; operations through the gateway that includes them.
	var exposed []string
	for _, l := range reachable(c) {
		if n := byLabel(t, c, l); n.Kind == graph.Gateway || n.Kind == graph.API {
			exposed = append(exposed, l)
		}
	}
	check("internet-facing", []string{
		"delivery-pricing POST /backend/pricing", "delivery-pricing/Api",
		"frontend-api/Api",
		// AppSync is public (API key or Cognito), its schema is
		// resources/api.graphql: every operation is reachable.
		"frontend-api MUTATION Mutation.completeDelivery", "frontend-api MUTATION Mutation.completePackaging",
		"frontend-api MUTATION Mutation.createOrder", "frontend-api MUTATION Mutation.failDelivery",
		"frontend-api MUTATION Mutation.startDelivery", "frontend-api MUTATION Mutation.startPackaging",
		"frontend-api MUTATION Mutation.updatePackagingProduct", "frontend-api QUERY Query.getDelivery",
		"frontend-api QUERY Query.getDeliveryPricing", "frontend-api QUERY Query.getNewDeliveries",
		"frontend-api QUERY Query.getNewPackagingRequestIds", "frontend-api QUERY Query.getOrder",
		"frontend-api QUERY Query.getOrders", "frontend-api QUERY Query.getPackagingRequest",
		"frontend-api QUERY Query.getProduct", "frontend-api QUERY Query.getProducts",
		"frontend-api QUERY Query.getProductsByCategory",
		"orders GET /backend/{orderId}", "orders/Api",
		"payment POST /backend/validate", "payment/Api",
		"platform/ListenerApi",
		"products POST /backend/validate", "products/Api",
	}, exposed)

	// Reads and writes, from the SAM policies and stream events.
	check("data flows", []string{
		"READS delivery/OnPackageCreatedFunction -> delivery/Table", "WRITES delivery/OnPackageCreatedFunction -> delivery/Table",
		"READS delivery/TableUpdateFunction -> delivery/Table",
		"READS orders/GetOrderFunction -> orders/Table",
		"READS orders/OnEventsFunction -> orders/Table", "WRITES orders/OnEventsFunction -> orders/Table",
		"READS orders/TableUpdateFunction -> orders/Table",
		"WRITES orders/CreateOrderFunction -> orders/Table",
		"READS payment/OnCompletedFunction -> payment/Table", "WRITES payment/OnCompletedFunction -> payment/Table",
		"WRITES payment/OnCreatedFunction -> payment/Table",
		"READS payment/OnFailedFunction -> payment/Table", "WRITES payment/OnFailedFunction -> payment/Table",
		"READS payment/OnModifiedFunction -> payment/Table",
		"READS platform/OnEventsFunction -> platform/ListenerTable",
		"WRITES platform/OnConnectFunction -> platform/ListenerTable",
		"WRITES platform/OnDisconnectFunction -> platform/ListenerTable",
		"WRITES platform/RegisterFunction -> platform/ListenerTable",
		"READS products/TableUpdateFunction -> products/Table",
		"READS products/ValidateFunction -> products/Table",
		"READS warehouse/OnOrderEventsFunction -> warehouse/Table", "WRITES warehouse/OnOrderEventsFunction -> warehouse/Table",
		"READS warehouse/TableUpdateFunction -> warehouse/Table",
	}, edges(c, graph.Reads, graph.Writes))

	// Question 2: the CreateOrder role may only PutItem on the Orders table.
	var blast []string
	for _, e := range c.Edges(graph.CanAccess) {
		if label(c, e.From) == "orders/CreateOrderFunctionRole" {
			blast = append(blast, label(c, e.To)+" "+strings.Join(e.Props.Strings("actions"), ","))
			if e.Props.Bool("wildcard") {
				t.Error("CreateOrder grant marked wildcard")
			}
		}
	}
	check("CreateOrder reach", []string{"orders/Table dynamodb:PutItem"}, blast)
	if !slices.Contains(edges(c, graph.RunsAs), "RUNS_AS orders/CreateOrderFunction -> orders/CreateOrderFunctionRole") {
		t.Error("CreateOrderFunction does not RUNS_AS its implicit role")
	}

	api := byLabel(t, c, "frontend-api/Api")
	if api.Props.String("fieldLogLevel") != "ALL" || !slices.Contains(api.Props.Strings("misconfigurations"), "logs-request-data") {
		t.Errorf("AppSync: fieldLogLevel %q misconfigurations %v", api.Props.String("fieldLogLevel"), api.Props["misconfigurations"])
	}
	if got := api.Props.Strings("authenticationTypes"); !slices.Equal(got, []string{"API_KEY", "AMAZON_COGNITO_USER_POOLS"}) {
		t.Errorf("AppSync authenticationTypes %v", got)
	}
	listener := byLabel(t, c, "platform/ListenerApi")
	if got := listener.Props.Strings("unauthenticatedRoutes"); !slices.Equal(got, []string{"$disconnect", "register"}) {
		t.Errorf("listener unauthenticatedRoutes %v ($connect requires AWS_IAM)", got)
	}
	routes := edges(c, graph.RoutesTo)
	for _, want := range []string{
		"ROUTES_TO orders/Api -> orders/GetOrderFunction",
		"ROUTES_TO platform/ListenerApi -> platform/OnConnectFunction",
		"ROUTES_TO delivery-pricing/Api -> delivery-pricing/PricingFunction",
	} {
		if !slices.Contains(routes, want) {
			t.Errorf("missing %s", want)
		}
	}
	if fn := byLabel(t, c, "orders/OnEventsFunction"); !slices.Contains(fn.Props.Strings("triggers"), "CloudWatchEvent ecommerce.delivery DeliveryCompleted,DeliveryFailed") {
		t.Errorf("OnEvents triggers %v", fn.Props["triggers"])
	}
	t.Logf("serverless e-commerce overall: precision %.2f recall %.2f (tp %d fp %d fn %d)",
		ratio(total.tp, total.tp+total.fp), ratio(total.tp, total.tp+total.fn), total.tp, total.fp, total.fn)
}

func readFile(t *testing.T, path string) (*discovery.Collector, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return readBytes(t, filepath.ToSlash(path), data)
}

func readBytes(t *testing.T, name string, data []byte) (*discovery.Collector, error) {
	t.Helper()
	c := discovery.NewCollector("prod")
	f := &discovery.File{Path: name, Data: data}
	if !(Agent{}).Detect(f) {
		t.Fatalf("Detect(%s) = false", name)
	}
	return c, Agent{}.Read(context.Background(), f, c)
}

// TestJSONTemplate: a JSON template where one publicly accessible database
// really is public (public subnet, 0.0.0.0/0 on its port) and one is not
// (VPC-only ingress), a bucket made public by its policy, an imported name
// that stays unknown, and a role's managed and inline policies.
func TestJSONTemplate(t *testing.T) {
	c, err := readFile(t, "testdata/public-db.json")
	if err != nil {
		t.Fatal(err)
	}
	cust := byLabel(t, c, "testdata/CustomersDb")
	if cust.Name != "prod-customers" || !cust.Props.Bool("public") || cust.Props.Bool("encrypted") {
		t.Errorf("CustomersDb %q public %v encrypted %v (%s)", cust.Name, cust.Props["public"], cust.Props["encrypted"], cust.Props.String("publicReason"))
	}
	ledger := byLabel(t, c, "testdata/LedgerDb")
	if !ledger.Props.Bool("publiclyAccessible") || ledger.Props.Bool("public") || !strings.Contains(ledger.Props.String("publicReason"), "10.0.0.0/16") {
		t.Errorf("LedgerDb publiclyAccessible %v public %v (%s)", ledger.Props["publiclyAccessible"], ledger.Props["public"], ledger.Props.String("publicReason"))
	}
	if r := byLabel(t, c, "testdata/Reports"); r.Name != "prod-reports" || !r.Props.Bool("public") {
		t.Errorf("Reports %q public %v", r.Name, r.Props["public"])
	}
	if im := byLabel(t, c, "testdata/Imported"); im.Name != "testdata/Imported" {
		t.Errorf("imported bucket named %q; an ImportValue must not be guessed", im.Name)
	}
	reach := edges(c, graph.CanAccess)
	for _, want := range []string{"CAN_ACCESS testdata/AuditRole -> testdata/Reports", "CAN_ACCESS testdata/AuditRole -> testdata/Imported",
		"CAN_ACCESS testdata/AuditRole -> testdata/CustomersDb", "CAN_ACCESS testdata/AuditRole -> testdata/LedgerDb"} {
		if !slices.Contains(reach, want) {
			t.Errorf("missing %s in %v", want, reach)
		}
	}
	if n, _ := c.Len(); n != 5 {
		t.Errorf("%d nodes, want 5 (2 databases, 2 buckets, 1 role; the custom resource and network pieces are not nodes)", n)
	}
}

func TestBrokenTemplates(t *testing.T) {
	cases := []struct {
		name, data string
		line       int
		msg        string
	}{
		{"bad YAML", "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  T:\n    Type: AWS::S3::Bucket\n\tProperties: {}\n", 4, "malformed YAML"},
		{"resources not a mapping", "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  - Type: AWS::S3::Bucket\n", 3, "Resources must be a mapping"},
		{"resource without type", "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  B:\n    Properties: {}\n", 4, "has no Type"},
		{"binary", "AWSTemplateFormatVersion: x\nResources:\n\x00\xff\xfe", 3, "binary"},
		{"bad JSON", "{\"AWSTemplateFormatVersion\": \"2010-09-09\",\n \"Resources\": {\"B\": {\"Type\": \"AWS::S3::Bucket\",}\n}", 0, "malformed YAML/JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readBytes(t, "t/template.yaml", []byte(tc.data))
			var fe *discovery.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want a FileError", err)
			}
			if (tc.line > 0 && fe.Line != tc.line) || !strings.Contains(fe.Msg, tc.msg) || fe.File != "t/template.yaml" {
				t.Errorf("got %v, want line %d containing %q", fe, tc.line, tc.msg)
			}
		})
	}
	// A tag that is no intrinsic (a typo, or a preprocessor's such as
	// !Rain::Embed) is reported with its line, its value is unknown, and
	// the rest of the template is still read.
	t.Run("unknown tag", func(t *testing.T) {
		src := "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: !Reff Foo\n" +
			"  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      FunctionName: orders\n      Code:\n        ZipFile: !Rain::Embed handler.py\n"
		c, err := readBytes(t, "t/template.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		errs := c.Errors()
		if len(errs) != 2 || errs[0].Line != 6 || !strings.Contains(errs[0].Msg, "unknown CloudFormation tag !Reff") ||
			errs[1].Line != 12 || !strings.Contains(errs[1].Msg, "!Rain::Embed") || errs[0].File != "t/template.yaml" {
			t.Errorf("errors %v, want !Reff at line 6 and !Rain::Embed at line 12", errs)
		}
		if q := byLabel(t, c, "t/T"); q.Name != "t/T" {
			t.Errorf("table named %q, want its logical id (TableName unknown)", q.Name)
		}
		if f := byLabel(t, c, "t/F"); f.Kind != graph.Service || f.Name != "orders" {
			t.Errorf("function %q is a %s", f.Name, f.Kind)
		}
	})
	t.Run("unknown resource types are skipped", func(t *testing.T) {
		c, err := readBytes(t, "t/template.yaml", []byte("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  X:\n    Type: AWS::Made::Up\n  Q:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: !If [IsProd, a, b]\n"))
		if err != nil {
			t.Fatal(err)
		}
		q := byLabel(t, c, "t/Q")
		if q.Name != "t/Q" {
			t.Errorf("table behind a condition named %q, want the logical id (unknown name)", q.Name)
		}
		if n, _ := c.Len(); n != 1 {
			t.Errorf("%d nodes, want 1", n)
		}
	})
	t.Run("not a template", func(t *testing.T) {
		f := &discovery.File{Path: "k8s/deploy.yaml", Data: []byte("apiVersion: apps/v1\nkind: Deployment\n")}
		if (Agent{}).Detect(f) {
			t.Error("a Kubernetes manifest detected as a template")
		}
		sls := &discovery.File{Path: "svc/serverless.yml", Data: []byte("service: orders\nprovider:\n  name: aws\nresources:\n  Resources:\n    Table:\n      Type: AWS::DynamoDB::Table\n")}
		if (Agent{}).Detect(sls) {
			t.Error("a Serverless Framework file (Resources nested under resources) detected as a template")
		}
	})
}

// FuzzTemplate feeds arbitrary bytes to the template reader: no panic, any
// error is a FileError, and what it collects is a valid batch.
func FuzzTemplate(f *testing.F) {
	if b, err := os.ReadFile("testdata/public-db.json"); err == nil {
		f.Add(b)
	}
	if d := os.Getenv("RISKGRAPH_CORPUS"); d != "" {
		for _, p := range []string{"orders/template.yaml", "platform/template.yaml", "frontend-api/template.yaml"} {
			if b, err := os.ReadFile(filepath.Join(d, "aws-serverless-ecommerce", p)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        A: {Type: Api, Properties: {Path: /x, Method: get}}\n      Policies: [{S3CrudPolicy: {BucketName: !Ref B}}]\n  B: {Type: AWS::S3::Bucket}\n"))
	f.Add([]byte("Resources:\n  A: &a\n    Type: AWS::S3::Bucket\n  B: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := discovery.NewCollector("")
		err := Agent{}.Read(context.Background(), &discovery.File{Path: "f/template.yaml", Data: data}, c)
		var fe *discovery.FileError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("error is not a FileError: %v", err)
		}
		b, _ := c.Batch(graph.Scope{Source: "fuzz", Key: "fuzz"}, "r")
		if err := b.Validate(); err != nil {
			t.Fatalf("batch does not validate: %v", err)
		}
	})
}

// TestWebTier: exposure joined for instances (public IP, routed subnet,
// open security group) and load balancers (listener → target group →
// instance), and a function URL without auth.
func TestWebTier(t *testing.T) {
	c, err := readFile(t, "testdata/web-tier.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := reachable(c), []string{"testdata/Alb", "testdata/App", "testdata/Web", "testdata/Webhook"}; !slices.Equal(got, want) {
		t.Errorf("internet-facing %v, want %v", got, want)
	}
	routes := edges(c, graph.RoutesTo)
	for _, want := range []string{"ROUTES_TO Internet -> testdata/Web", "ROUTES_TO testdata/Alb -> testdata/App", "ROUTES_TO Internet -> testdata/Webhook"} {
		if !slices.Contains(routes, want) {
			t.Errorf("missing %s in %v", want, routes)
		}
	}
	if slices.Contains(routes, "ROUTES_TO Internet -> testdata/App") {
		t.Error("App in a private subnet is reachable directly")
	}
	web := byLabel(t, c, "testdata/Web")
	if !web.Props.Bool("sshOpenToInternet") || !slices.Equal(web.Props.Strings("openPorts"), []string{"tcp:22", "tcp:80"}) {
		t.Errorf("Web: ssh %v openPorts %v", web.Props["sshOpenToInternet"], web.Props["openPorts"])
	}
	if app := byLabel(t, c, "testdata/App"); app.Props.String("publicReason") != "no public IP" {
		t.Errorf("App publicReason %q", app.Props.String("publicReason"))
	}
	if !slices.Contains(edges(c, graph.Calls), "CALLS testdata/Webhook -> api.stripe.com") {
		t.Errorf("webhook does not CALL api.stripe.com: %v", edges(c, graph.Calls))
	}
	hook := byLabel(t, c, "testdata/Webhook")
	if hook.Name != "webhook" || !slices.Equal(hook.Props.Strings("secretEnvKeys"), []string{"STRIPE_SECRET_KEY"}) || hook.Props.String("functionUrlAuth") != "NONE" {
		t.Errorf("Webhook %q secretEnvKeys %v auth %q", hook.Name, hook.Props["secretEnvKeys"], hook.Props.String("functionUrlAuth"))
	}
	for _, n := range c.Nodes() {
		for k, v := range n.Props {
			if s, ok := v.(string); ok && strings.Contains(s, "sk_live") {
				t.Errorf("%s.%s stores a secret value", n.Name, k)
			}
		}
	}
}

func TestClusterUserWarehouse(t *testing.T) {
	src := `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  ClusterRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: eks.amazonaws.com}, Action: sts:AssumeRole}]}
  Cluster:
    Type: AWS::EKS::Cluster
    Properties:
      Name: prod
      RoleArn: !GetAtt ClusterRole.Arn
      ResourcesVpcConfig:
        SubnetIds: [subnet-1]
  PrivateCluster:
    Type: AWS::EKS::Cluster
    Properties:
      RoleArn: !GetAtt ClusterRole.Arn
      ResourcesVpcConfig:
        EndpointPublicAccess: false
  Deployer:
    Type: AWS::IAM::User
    Properties:
      UserName: ci-deployer
      Policies:
        - PolicyName: warehouse
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: "redshift:*", Resource: "*"}
  DeployerKey:
    Type: AWS::IAM::AccessKey
    Properties: {UserName: !Ref Deployer}
  Warehouse:
    Type: AWS::Redshift::Cluster
    Properties:
      ClusterIdentifier: analytics
      NodeType: ra3.xlplus
      PubliclyAccessible: true
      Encrypted: false
`
	c, err := readBytes(t, "infra/template.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := reachable(c); !slices.Equal(got, []string{"infra/Cluster"}) {
		t.Errorf("internet-facing %v, want the cluster with a default public endpoint", got)
	}
	if !slices.Contains(edges(c, graph.RunsAs), "RUNS_AS infra/Cluster -> infra/ClusterRole") {
		t.Error("cluster does not RUNS_AS its role")
	}
	user := byLabel(t, c, "infra/Deployer")
	if user.Props.String("type") != "iam-user" || !user.Props.Bool("accessKeys") || user.ID != graph.IdentityID("aws", "user/ci-deployer") {
		t.Errorf("user: %+v", user.Props)
	}
	wh := byLabel(t, c, "infra/Warehouse")
	if wh.Name != "analytics" || wh.Props.Bool("encrypted") || wh.Props.Int("port") != 5439 || !wh.Props.Bool("publiclyAccessible") || wh.Props.Bool("public") {
		t.Errorf("warehouse %q %v", wh.Name, wh.Props)
	}
	if !slices.Contains(edges(c, graph.CanAccess), "CAN_ACCESS infra/Deployer -> infra/Warehouse") {
		t.Errorf("deployer does not reach the warehouse: %v", edges(c, graph.CanAccess))
	}
}

// TestCrossStack: a function in one stack names another stack's table
// through an SSM parameter (parameter default) and its API through an
// export; CrossStack joins them once both templates are read.
func TestCrossStack(t *testing.T) {
	res, err := runtest.Run(context.Background(), "", "testdata", []string{"testdata/cross"}, []discovery.Agent{Agent{}}, []discovery.Linker{CrossStack{}})
	if err != nil || len(res.Errors) > 0 {
		t.Fatal(err, res.Errors)
	}
	c := res.C
	got := edges(c, graph.Calls, graph.CanAccess, graph.Reads, graph.Writes)
	want := []string{
		"CALLS checkout/CheckoutFunction -> orders/Api",
		"CAN_ACCESS checkout/CheckoutFunctionRole -> orders/Table",
		"READS checkout/CheckoutFunction -> orders/Table",
		"WRITES checkout/CheckoutFunction -> orders/Table",
	}
	if !slices.Equal(got, want) {
		t.Errorf("cross-stack edges\n got %q\nwant %q", got, want)
	}
	fn := byLabel(t, c, "checkout/CheckoutFunction")
	if !slices.Contains(fn.Props.Strings("crossStackRefs"), "env|PAYMENTS_TABLE|ssm:/shop/dev/payments/table/name") {
		t.Errorf("unresolved dynamic reference not kept: %v", fn.Props["crossStackRefs"])
	}
}

// TestRestMethodPaths: an AWS::ApiGateway::Method is recorded by its HTTP
// method and the path its Resource chain builds (PathPart under ParentId),
// not by its logical id, and the route to its function carries them.
func TestRestMethodPaths(t *testing.T) {
	src := `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: shop
  Orders:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref Api
      ParentId: !GetAtt Api.RootResourceId
      PathPart: orders
  Order:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref Api
      ParentId: !Ref Orders
      PathPart: "{id}"
  GetOrder:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Order
      HttpMethod: get
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
  RootMethod:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: POST
      AuthorizationType: AWS_IAM
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: orders
`
	c, err := readBytes(t, "shop/template.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	api := byLabel(t, c, "shop/Api")
	if got := api.Props.Strings("unauthenticatedRoutes"); !slices.Equal(got, []string{"GET /orders/{id}"}) {
		t.Errorf("unauthenticatedRoutes %v, want [GET /orders/{id}]", got)
	}
	if got := api.Props.Strings("routes"); !slices.Equal(got, []string{"GET /orders/{id} NONE", "POST / AWS_IAM"}) {
		t.Errorf("routes %v", got)
	}
	fn := byLabel(t, c, "shop/Fn")
	e, ok := c.Edge(graph.NewEdge(graph.RoutesTo, api.ID, fn.ID).ID)
	if !ok {
		t.Fatalf("no ROUTES_TO api -> function; edges %v", edges(c, graph.RoutesTo))
	}
	if !slices.Equal(e.Props.Strings("pathPrefixes"), []string{"/orders/{id}"}) || e.Props.String("method") != "GET" {
		t.Errorf("route props %v", e.Props)
	}
}

// TestSimpleTableAndLambdaExecute: a SAM SimpleTable is a DynamoDB table
// (key "id" unless PrimaryKey names one), reached by a policy template
// given as a single map; the AWSLambdaExecute managed policy reads and
// writes every bucket.
func TestSimpleTableAndLambdaExecute(t *testing.T) {
	src := `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Writer:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: writer
      Policies:
        DynamoDBCrudPolicy:
          TableName: !Ref Table
  Thumbs:
    Type: AWS::Serverless::Function
    Properties:
      Policies: AWSLambdaExecute
  Table:
    Type: AWS::Serverless::SimpleTable
    Properties:
      TableName: weather
  Uploads:
    Type: AWS::S3::Bucket
`
	c, err := readBytes(t, "app/template.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	table := byLabel(t, c, "app/Table")
	if table.Kind != graph.DataStore || table.Name != "weather" || !slices.Equal(table.Props.Strings("keyAttributes"), []string{"id"}) {
		t.Errorf("table %s %q keys %v", table.Kind, table.Name, table.Props["keyAttributes"])
	}
	got := edges(c, graph.CanAccess)
	for _, want := range []string{"CAN_ACCESS app/WriterRole -> app/Table", "CAN_ACCESS app/ThumbsRole -> app/Uploads"} {
		if !slices.Contains(got, want) {
			t.Errorf("no CAN_ACCESS %s; have %v", want, got)
		}
	}
}

// TestZeroLengthPrefixIsTheWorld: a security group rule whose CidrIp has
// prefix length 0 ("192.168.1.0/0", a parameter default in AWS's own
// sample) admits the whole internet.
func TestZeroLengthPrefixIsTheWorld(t *testing.T) {
	src := `{"AWSTemplateFormatVersion": "2010-09-09",
 "Parameters": {"SSHLocation": {"Type": "String", "Default": "192.168.1.0/0"}},
 "Resources": {
  "Instance": {"Type": "AWS::EC2::Instance", "Properties": {"SecurityGroups": [{"Ref": "SG"}]}},
  "SG": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": [
    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": {"Ref": "SSHLocation"}}]}}}}`
	c, err := readBytes(t, "ec2/template.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	in := byLabel(t, c, "ec2/Instance")
	if !slices.Equal(in.Props.Strings("openPorts"), []string{"tcp:22"}) {
		t.Errorf("openPorts %v, want [tcp:22]", in.Props["openPorts"])
	}
}

// TestAPIGlobals: SAM Globals.Api and Globals.HttpApi apply to explicit
// and implicit APIs (a PRIVATE endpoint configuration is not public), and
// an API's own property wins.
func TestAPIGlobals(t *testing.T) {
	src := `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Api:
    EndpointConfiguration: PRIVATE
  HttpApi:
    DisableExecuteApiEndpoint: true
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Get:
          Type: Api
          Properties:
            Path: /
            Method: get
        Post:
          Type: HttpApi
          Properties:
            Path: /
            Method: post
  Public:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      EndpointConfiguration: REGIONAL
`
	c, err := readBytes(t, "app/template.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := reachable(c); !slices.Equal(got, []string{"app/Public"}) {
		t.Errorf("internet-facing %v, want only app/Public (the implicit APIs are private or disabled by Globals)", got)
	}
}

// TestDataPolicyTemplates: SAM policy templates that reach data beyond the
// CRUD ones (restoring a table from backup, posting to a search domain)
// grant access to the store they name.
func TestDataPolicyTemplates(t *testing.T) {
	src := `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - DynamoDBRestoreFromBackupPolicy:
            TableName: !Ref Table
        - ElasticsearchHttpPostPolicy:
            DomainName: logs
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
  Search:
    Type: AWS::OpenSearchService::Domain
    Properties:
      DomainName: logs
`
	c, err := readBytes(t, "app/template.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := edges(c, graph.CanAccess)
	for _, want := range []string{"CAN_ACCESS app/FnRole -> app/Table", "CAN_ACCESS app/FnRole -> app/Search"} {
		if !slices.Contains(got, want) {
			t.Errorf("no %s; have %v", want, got)
		}
	}
}

// TestQuotedTypesAndUnknownEndpoint: a template without format version
// or transform whose types are quoted ('AWS::Serverless::Function') is
// detected; an API whose endpoint type is a parameter without default is
// neither public nor private.
func TestQuotedTypesAndUnknownEndpoint(t *testing.T) {
	src := `Parameters:
  EndpointConfig:
    Type: String
Resources:
  Fn:
    Type: 'AWS::Serverless::Function'
    Properties:
      Handler: index.handler
  Api:
    Type: "AWS::Serverless::Api"
    Properties:
      StageName: prod
      EndpointConfiguration: !Ref EndpointConfig
`
	c, err := readBytes(t, "app/template.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	byLabel(t, c, "app/Fn")
	api := byLabel(t, c, "app/Api")
	if _, ok := api.Props["public"]; ok || api.Props.String("publicReason") == "" {
		t.Errorf("api public %v (%q), want unknown", api.Props["public"], api.Props.String("publicReason"))
	}
}

// TestClusterMembersAndReplicas: an Aurora instance of a cluster, and a
// read replica, take storage encryption and engine from the cluster or the
// source instance (no false "unencrypted"); an engine written "MySQL" has
// MySQL's port.
func TestClusterMembersAndReplicas(t *testing.T) {
	src := `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Cluster:
    Type: AWS::RDS::DBCluster
    Properties:
      Engine: aurora-postgresql
      StorageEncrypted: true
  Member:
    Type: AWS::RDS::DBInstance
    Properties:
      DBClusterIdentifier: !Ref Cluster
      DBInstanceClass: db.r6g.large
  Main:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: MySQL
      StorageEncrypted: true
      PubliclyAccessible: false
  Replica:
    Type: AWS::RDS::DBInstance
    Properties:
      SourceDBInstanceIdentifier: !Ref Main
`
	c, err := readBytes(t, "db/template.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"db/Member", "db/Replica"} {
		n := byLabel(t, c, l)
		if !n.Props.Bool("encrypted") || slices.Contains(n.Props.Strings("misconfigurations"), "unencrypted") {
			t.Errorf("%s encrypted %v misconfigurations %v", l, n.Props["encrypted"], n.Props["misconfigurations"])
		}
	}
	if m := byLabel(t, c, "db/Member"); m.Props.String("engine") != "aurora-postgresql" || m.Props.Int("port") != 5432 {
		t.Errorf("member engine %q port %v", m.Props.String("engine"), m.Props["port"])
	}
	if r := byLabel(t, c, "db/Replica"); r.Props.Int("port") != 3306 {
		t.Errorf("replica of a MySQL instance: port %v", r.Props["port"])
	}
}

// TestECSServiceTaskDefinition: an ECS service runs as its task
// definition's task role, and carries its containers' environment names;
// a secret-like name with a literal value is a plaintext secret (its
// value never kept), one read through Secrets is not.
func TestECSServiceTaskDefinition(t *testing.T) {
	src := `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  TaskRole:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyName: data
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: !Sub "${Bucket.Arn}/*"
  Bucket:
    Type: AWS::S3::Bucket
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      TaskRoleArn: !GetAtt TaskRole.Arn
      ContainerDefinitions:
        - Name: app
          Image: app:1
          Environment:
            - Name: DB_PASSWORD
              Value: hunter2
            - Name: BUCKET
              Value: !Ref Bucket
          Secrets:
            - Name: API_KEY
              ValueFrom: arn:aws:ssm:eu-west-1:1:parameter/api-key
  Service:
    Type: AWS::ECS::Service
    Properties:
      ServiceName: app
      TaskDefinition: !Ref Task
      NetworkConfiguration:
        AwsvpcConfiguration:
          AssignPublicIp: ENABLED
`
	c, err := readBytes(t, "ecs/template.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	svc := byLabel(t, c, "ecs/Service")
	if !slices.Equal(svc.Props.Strings("envKeys"), []string{"BUCKET", "DB_PASSWORD"}) || !slices.Equal(svc.Props.Strings("secretEnvKeys"), []string{"DB_PASSWORD"}) || !svc.Props.Bool("publicIp") {
		t.Errorf("envKeys %v secretEnvKeys %v publicIp %v", svc.Props["envKeys"], svc.Props["secretEnvKeys"], svc.Props["publicIp"])
	}
	for k, v := range svc.Props {
		if s, ok := v.(string); ok && strings.Contains(s, "hunter2") {
			t.Errorf("secret value stored in %s", k)
		}
	}
	if !slices.Contains(edges(c, graph.RunsAs), "RUNS_AS ecs/Service -> ecs/TaskRole") {
		t.Errorf("RUNS_AS %v", edges(c, graph.RunsAs))
	}
}
