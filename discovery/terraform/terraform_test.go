package terraform

import (
	"context"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/classify"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/internal/testcorpus"
)

func corpusDir(t testing.TB) string { return testcorpus.Dir(t) }

func readDir(t testing.TB, dir, rel string) (*discovery.Collector, error) {
	t.Helper()
	c := discovery.NewCollector("")
	a := Agent{}
	if !a.DetectDir(dir) {
		t.Fatalf("DetectDir(%s) = false", dir)
	}
	err := a.ReadDir(context.Background(), dir, rel, c)
	return c, err
}

// byAddr returns the node made from the Terraform address.
func byAddr(t testing.TB, c *discovery.Collector, addr string) *graph.Node {
	t.Helper()
	for _, n := range c.Nodes() {
		if n.Props.String("address") == addr {
			return n
		}
	}
	t.Fatalf("no node for %s", addr)
	return nil
}

func addrOf(c *discovery.Collector, id graph.ID) string {
	if n, ok := c.Node(id); ok {
		return n.Props.String("address")
	}
	if id == graph.InternetID {
		return "Internet"
	}
	return string(id)
}

// reachable returns the addresses reachable from the Internet over
// ROUTES_TO edges alone.
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
				out = append(out, addrOf(c, n))
				queue = append(queue, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

func edgeAddrs(c *discovery.Collector, k graph.EdgeKind) [][2]string {
	var out [][2]string
	for _, e := range c.Edges(k) {
		out = append(out, [2]string{addrOf(c, e.From), addrOf(c, e.To)})
	}
	return out
}

func hasEdge(c *discovery.Collector, k graph.EdgeKind, from, to string) *graph.Edge {
	for _, e := range c.Edges(k) {
		if addrOf(c, e.From) == from && addrOf(c, e.To) == to {
			return e
		}
	}
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

func (s score) precision() float64 {
	if s.tp+s.fp == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fp)
}

func (s score) recall() float64 {
	if s.tp+s.fn == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fn)
}

func propTrue(c *discovery.Collector, key string, kinds ...graph.Kind) []string {
	var out []string
	for _, n := range c.Nodes(kinds...) {
		if n.Props.Bool(key) {
			out = append(out, n.Props.String("address"))
		}
	}
	sort.Strings(out)
	return out
}

func propFalse(c *discovery.Collector, key string, kinds ...graph.Kind) []string {
	var out []string
	for _, n := range c.Nodes(kinds...) {
		if v, ok := n.Props[key].(bool); ok && !v {
			out = append(out, n.Props.String("address"))
		}
	}
	sort.Strings(out)
	return out
}

// TestTerraGoat asserts GROUND_TRUTH.md of TerraGoat's AWS module: what is
// internet-facing (and the RDS trap that is not), which stores are
// unencrypted or public, plaintext secrets, and the ec2role blast radius.
func TestTerraGoat(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "terragoat-aws", "terraform", "aws")
	c, err := readDir(t, dir, "terragoat-aws/terraform/aws")
	if err != nil {
		t.Fatal(err)
	}
	b, dangling := c.Batch(graph.Scope{Source: "discover", Key: "test"}, "run-1")
	if err := b.Validate(); err != nil {
		t.Fatalf("batch does not validate: %v", err)
	}
	if len(dangling) > 0 {
		t.Errorf("dangling edges: %v", dangling)
	}

	buckets := []string{"aws_s3_bucket.data", "aws_s3_bucket.data_science", "aws_s3_bucket.financials",
		"aws_s3_bucket.flowbucket", "aws_s3_bucket.logs", "aws_s3_bucket.operations"}
	var total score
	check := func(what string, want, got []string) {
		t.Helper()
		var s score
		missed, extra := s.add(want, got)
		total.tp, total.fp, total.fn = total.tp+s.tp, total.fp+s.fp, total.fn+s.fn
		t.Logf("%-22s precision %.2f recall %.2f", what, s.precision(), s.recall())
		if len(missed) > 0 || len(extra) > 0 {
			t.Errorf("%s: missed %v, unexpected %v", what, missed, extra)
		}
	}
	var svcs []string
	for _, n := range c.Nodes(graph.Service, graph.Gateway) {
		svcs = append(svcs, n.Props.String("address"))
	}
	sort.Strings(svcs)
	check("compute", []string{"aws_eks_cluster.eks_cluster", "aws_elb.weblb", "aws_instance.db_app",
		"aws_instance.web_host", "aws_lambda_function.analysis_lambda"}, svcs)
	var stores []string
	for _, n := range c.Nodes(graph.DataStore) {
		stores = append(stores, n.Props.String("address"))
	}
	sort.Strings(stores)
	wantStores := append([]string{"aws_db_instance.default", "aws_ebs_volume.web_host_storage",
		"aws_elasticsearch_domain.monitoring-framework", "aws_neptune_cluster.default"}, buckets...)
	for i := 1; i <= 9; i++ {
		wantStores = append(wantStores, "aws_rds_cluster.app"+string(rune('0'+i))+"-rds-cluster")
	}
	sort.Strings(wantStores)
	check("data stores", wantStores, stores)
	// Internet exposure, joined: SG web-node admits 80 and 22 from
	// 0.0.0.0/0 in a subnet routed to the IGW; ELB weblb on 80 routes to
	// web_host; EKS endpoint public by default.
	check("internet-facing", []string{"aws_eks_cluster.eks_cluster", "aws_elb.weblb", "aws_instance.db_app", "aws_instance.web_host"}, reachable(c))
	check("public data stores", []string{"aws_elasticsearch_domain.monitoring-framework"}, propTrue(c, "public", graph.DataStore))
	check("unencrypted stores", append([]string{"aws_db_instance.default", "aws_ebs_volume.web_host_storage",
		"aws_neptune_cluster.default", "aws_rds_cluster.app1-rds-cluster", "aws_rds_cluster.app2-rds-cluster",
		"aws_rds_cluster.app3-rds-cluster", "aws_rds_cluster.app4-rds-cluster", "aws_rds_cluster.app5-rds-cluster",
		"aws_rds_cluster.app6-rds-cluster", "aws_rds_cluster.app7-rds-cluster", "aws_rds_cluster.app8-rds-cluster",
		"aws_rds_cluster.app9-rds-cluster", "aws_s3_bucket.data", "aws_s3_bucket.data_science", "aws_s3_bucket.financials",
		"aws_s3_bucket.flowbucket", "aws_s3_bucket.operations"}, "aws_elasticsearch_domain.monitoring-framework"),
		propFalse(c, "encrypted", graph.DataStore))
	check("plaintext secrets", []string{"aws_instance.db_app", "aws_instance.web_host", "aws_lambda_function.analysis_lambda"},
		propTrue(c, "plaintextSecrets", graph.Service))
	check("ssh open to internet", []string{"aws_instance.db_app", "aws_instance.web_host"}, propTrue(c, "sshOpenToInternet", graph.Service))

	// The trap: publicly_accessible = true, but the security group admits
	// 3306 only from the VPC.
	rds := byAddr(t, c, "aws_db_instance.default")
	if !rds.Props.Bool("publiclyAccessible") || rds.Props.Bool("public") {
		t.Errorf("RDS default: publiclyAccessible %v public %v, want true/false", rds.Props["publiclyAccessible"], rds.Props["public"])
	}
	if r := rds.Props.String("publicReason"); !strings.Contains(r, "172.16.0.0/16") {
		t.Errorf("RDS default publicReason %q does not name the VPC CIDR", r)
	}
	// Comments say the data bucket is public; the configuration does not.
	if data := byAddr(t, c, "aws_s3_bucket.data"); data.Props.Bool("public") || !slices.Contains(data.Props.Strings("objects"), "customer-master.xlsx") {
		t.Errorf("S3 data: public %v objects %v", data.Props["public"], data.Props["objects"])
	}
	// Names that depend on the account id stay unknown, not guessed.
	if data := byAddr(t, c, "aws_s3_bucket.data"); data.Name != "aws_s3_bucket.data" || data.Props.String("nameExpr") != `"${local.resource_prefix.value}-data"` {
		t.Errorf("S3 data name %q nameExpr %q", data.Name, data.Props.String("nameExpr"))
	}
	if es := byAddr(t, c, "aws_elasticsearch_domain.monitoring-framework"); es.Name != "tg-dev-es" {
		t.Errorf("ES name %q, want tg-dev-es (var.environment default)", es.Name)
	}

	// Blast radius of db_app: it runs as ec2role (s3:*, ec2:*, rds:* on *),
	// and its user data connects to RDS default.
	var reach score
	if hasEdge(c, graph.RunsAs, "aws_instance.db_app", "aws_iam_role.ec2role") == nil {
		t.Error("db_app does not RUNS_AS ec2role")
		reach.fn++
	} else {
		reach.tp++
	}
	var got []string
	for _, e := range edgeAddrs(c, graph.CanAccess) {
		if e[0] == "aws_iam_role.ec2role" {
			got = append(got, e[1])
		}
	}
	sort.Strings(got)
	want := []string{"aws_db_instance.default", "aws_ebs_volume.web_host_storage", "aws_instance.db_app", "aws_instance.web_host"}
	for i := 1; i <= 9; i++ {
		want = append(want, "aws_rds_cluster.app"+string(rune('0'+i))+"-rds-cluster")
	}
	want = append(want, buckets...)
	sort.Strings(want)
	check("ec2role CAN_ACCESS", want, got)
	e := hasEdge(c, graph.CanAccess, "aws_iam_role.ec2role", "aws_s3_bucket.data")
	if e == nil || !e.Props.Bool("wildcard") || !slices.Contains(e.Props.Strings("actions"), "s3:*") {
		t.Errorf("ec2role → data bucket: %+v", e)
	}
	if hasEdge(c, graph.Writes, "aws_instance.db_app", "aws_db_instance.default") == nil {
		t.Error("db_app does not WRITE to RDS default (user_data refers to its endpoint)")
	}
	// Question 1: db_app's user data creates EMPLOYEES(NAME, ADDRESS) in
	// RDS default; the classifier makes that PII.
	if got := rds.Props.Strings("columns"); !slices.Equal(got, []string{"employees.address", "employees.id", "employees.name"}) {
		t.Errorf("RDS default columns %v", got)
	}
	if err := (classify.Linker{}).Link(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if rds, _ := c.Node(rds.ID); !slices.Contains(rds.DataClasses, graph.PII) {
		t.Errorf("RDS default classes %v, want PII (employee name and address)", rds.DataClasses)
	}
	// Question 3: web_host controls its EBS volume.
	if hasEdge(c, graph.Writes, "aws_instance.web_host", "aws_ebs_volume.web_host_storage") == nil {
		t.Error("web_host does not WRITE its attached EBS volume")
	}
	if hasEdge(c, graph.RunsAs, "aws_instance.web_host", "aws_iam_role.ec2role") != nil {
		t.Error("web_host has no instance profile, but RUNS_AS ec2role")
	}
	user := byAddr(t, c, "aws_iam_user.user")
	if !user.Props.Bool("accessKeys") || hasEdge(c, graph.CanAccess, "aws_iam_user.user", "aws_lambda_function.analysis_lambda") == nil {
		t.Errorf("IAM user: accessKeys %v, lambda:* access missing", user.Props["accessKeys"])
	}
	t.Logf("TerraGoat overall: precision %.2f recall %.2f (tp %d fp %d fn %d)", total.precision(), total.recall(), total.tp, total.fp, total.fn)
}

// TestExposureJoined covers what TerraGoat does not: a load balancer in
// front of a private instance, a bastion without a public IP, a public
// RDS that really is public (public subnet, ::/0 on its port), a public
// access block neutralising a bucket policy, an unresolvable CIDR, IAM on
// a specific table, and API Gateway → Lambda.
func TestExposureJoined(t *testing.T) {
	c, err := readDir(t, "testdata/exposure", "exposure")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := reachable(c), []string{"aws_api_gateway_rest_api.shop", "aws_ecs_service.orders", "aws_instance.app", "aws_lambda_function.cart", "aws_lb.web"}; !slices.Equal(got, want) {
		t.Errorf("internet-facing %v, want %v", got, want)
	}
	if e := hasEdge(c, graph.RoutesTo, "aws_lb.web", "aws_instance.app"); e == nil || e.Props.Int("port") != 8080 {
		t.Errorf("web LB → app: %+v", e)
	}
	if e := hasEdge(c, graph.RoutesTo, "Internet", "aws_lb.web"); e == nil || e.Props.Int("port") != 443 {
		t.Errorf("Internet → web LB: %+v", e)
	}
	if hasEdge(c, graph.RoutesTo, "Internet", "aws_lb.internal") != nil {
		t.Error("internal LB is internet-facing")
	}
	if bastion := byAddr(t, c, "aws_instance.bastion"); bastion.Props.String("publicReason") != "no public IP" {
		t.Errorf("bastion publicReason %q", bastion.Props.String("publicReason"))
	}
	// admin_cidr has no default: the SSH rule is unknown, not open.
	if app := byAddr(t, c, "aws_instance.app"); app.Props.Bool("sshOpenToInternet") {
		t.Error("app: SSH open from an unresolvable CIDR")
	}
	if db := byAddr(t, c, "aws_db_instance.orders"); !db.Props.Bool("public") || db.Name != "shop-orders" {
		t.Errorf("orders DB: public %v name %q (%s)", db.Props["public"], db.Name, db.Props.String("publicReason"))
	}
	if ex := byAddr(t, c, "aws_s3_bucket.exports"); ex.Props.Bool("public") || !ex.Props.Bool("encrypted") {
		t.Errorf("exports bucket: public %v encrypted %v (%s)", ex.Props["public"], ex.Props["encrypted"], ex.Props.String("publicReason"))
	}
	if as := byAddr(t, c, "aws_s3_bucket.assets"); !as.Props.Bool("public") || !slices.Contains(as.Props.Strings("misconfigurations"), "public") {
		t.Errorf("assets bucket: public %v", as.Props["public"])
	}
	// The cart role reaches the carts table (specific ARN, no wildcard) and
	// only the assets bucket named in its policy.
	e := hasEdge(c, graph.CanAccess, "aws_iam_role.cart", "aws_dynamodb_table.carts")
	if e == nil || e.Props.Bool("wildcard") {
		t.Errorf("cart role → carts: %+v", e)
	}
	if hasEdge(c, graph.CanAccess, "aws_iam_role.cart", "aws_s3_bucket.exports") != nil {
		t.Error("cart role reaches exports, its policy names only shop-assets")
	}
	if hasEdge(c, graph.CanAccess, "aws_iam_role.cart", "aws_s3_bucket.assets") == nil {
		t.Error("cart role does not reach shop-assets")
	}
	if hasEdge(c, graph.CanAccess, "aws_iam_role.app", "aws_s3_bucket.exports") == nil {
		t.Error("app role (AmazonS3ReadOnlyAccess) does not reach exports")
	}
	if e := hasEdge(c, graph.Reads, "aws_lambda_function.cart", "aws_dynamodb_table.carts"); e == nil || e.Props.String("via") != "TABLE_NAME" {
		t.Errorf("cart lambda READS carts: %+v", e)
	}
	if e := hasEdge(c, graph.Reads, "aws_ecs_service.orders", "aws_db_instance.orders"); e == nil || !strings.HasPrefix(e.Props.String("via"), "task_definition.container_definitions") {
		t.Errorf("ECS orders READS orders DB through its task definition: %+v", e)
	}
	if e := hasEdge(c, graph.Reads, "aws_lambda_function.thumbnails", "aws_s3_bucket.assets"); e == nil || !strings.Contains(e.Props.String("via"), "bucket notification") {
		t.Errorf("thumbnails READS assets through the bucket notification: %+v", e)
	}
	if hasEdge(c, graph.Writes, "aws_lambda_function.thumbnails", "aws_s3_bucket.assets") != nil {
		t.Error("a bucket notification does not make the function write the bucket")
	}
	if hasEdge(c, graph.RoutesTo, "aws_lb.web", "aws_ecs_service.orders") == nil {
		t.Error("web LB does not route to the ECS service behind its target group")
	}
	if e, ok := c.Edge(graph.EdgeID(graph.Calls, byAddr(t, c, "aws_lambda_function.cart").ID, graph.ThirdPartyID("api.stripe.com"))); !ok || e.Props.String("via") != "STRIPE_URL" {
		t.Error("cart lambda does not CALL api.stripe.com via STRIPE_URL")
	}
	cart := byAddr(t, c, "aws_lambda_function.cart")
	if !slices.Equal(cart.Props.Strings("secretEnvKeys"), []string{"API_TOKEN"}) {
		t.Errorf("secretEnvKeys %v", cart.Props["secretEnvKeys"])
	}
	for _, n := range c.Nodes() {
		for k, v := range n.Props {
			if s, ok := v.(string); ok && strings.Contains(s, "tok-live") {
				t.Errorf("%s.%s stores a secret value", n.Name, k)
			}
		}
	}
	if gw := byAddr(t, c, "aws_api_gateway_rest_api.shop"); !slices.Equal(gw.Props.Strings("unauthenticatedRoutes"), []string{"GET /cart"}) {
		t.Errorf("unauthenticatedRoutes %v", gw.Props["unauthenticatedRoutes"])
	}
}

func TestBrokenInput(t *testing.T) {
	t.Run("oversized file", func(t *testing.T) {
		dir := t.TempDir()
		big := make([]byte, MaxFileSize+1)
		for i := range big {
			big[i] = '#'
		}
		if err := os.WriteFile(filepath.Join(dir, "huge.tf"), big, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "ok.tf"), []byte(`resource "aws_s3_bucket" "b" { bucket = "kept" }`), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := readDir(t, dir, "big")
		var fe *discovery.FileError
		if !errors.As(err, &fe) || fe.File != "big/huge.tf" || !strings.Contains(fe.Msg, "larger than") {
			t.Fatalf("error %v, want a FileError for big/huge.tf", err)
		}
		if _, ok := c.Node(graph.DataStoreID("aws", "kept")); !ok {
			t.Error("the other file's bucket was lost")
		}
	})
	t.Run("malformed HCL", func(t *testing.T) {
		c, err := readDir(t, "testdata/broken", "broken")
		var fe *discovery.FileError
		if !errors.As(err, &fe) || fe.File != "broken/bad.tf" || fe.Line != 6 {
			t.Fatalf("error %v, want a FileError at broken/bad.tf:6", err)
		}
		if !strings.Contains(fe.Error(), "malformed HCL") {
			t.Errorf("message %q", fe.Error())
		}
		if n, _ := c.Len(); n != 0 {
			t.Errorf("a broken module added %d nodes", n)
		}
	})
	read := func(t *testing.T, files map[string]string) (*discovery.Collector, error) {
		c := discovery.NewCollector("prod")
		var names []string
		data := map[string][]byte{}
		for n, s := range files {
			names = append(names, n)
			data[n] = []byte(s)
		}
		sort.Strings(names)
		return c, ReadModule(context.Background(), "m", names, data, c)
	}
	t.Run("binary file", func(t *testing.T) {
		_, err := read(t, map[string]string{"m/a.tf": "resource \"aws_s3_bucket\" \"b\" {}\n\x00\x01\xff\xfe"})
		var fe *discovery.FileError
		if !errors.As(err, &fe) || fe.Line != 2 || !strings.Contains(fe.Msg, "binary") {
			t.Fatalf("error %v, want a FileError at line 2 about binary content", err)
		}
	})
	t.Run("good file kept beside a bad one", func(t *testing.T) {
		c, err := read(t, map[string]string{
			"m/a.tf": `resource "aws_dynamodb_table" "t" { name = "orders" }`,
			"m/b.tf": "resource \"aws_s3_bucket\" {\n}\n",
		})
		var fe *discovery.FileError
		if !errors.As(err, &fe) || fe.File != "m/b.tf" || fe.Line != 1 {
			t.Fatalf("error %v, want m/b.tf:1", err)
		}
		if _, ok := c.Node(graph.DataStoreID("prod", "orders")); !ok {
			t.Error("the good file's table was lost")
		}
	})
	t.Run("unknown types and unresolvable references", func(t *testing.T) {
		c, err := read(t, map[string]string{"m/a.tf": `
variable "name" {}
resource "aws_made_up_thing" "x" { a = 1 }
resource "aws_instance" "i" {
  subnet_id              = var.subnet
  vpc_security_group_ids = [module.net.sg_id]
}
resource "aws_s3_bucket" "b" { bucket = var.name }
`})
		if err != nil {
			t.Fatal(err)
		}
		nodes, edges := c.Len()
		if nodes != 2 || edges != 0 {
			t.Errorf("%d nodes %d edges, want the instance and the bucket only", nodes, edges)
		}
		b := byAddr(t, c, "aws_s3_bucket.b")
		if b.Name != "aws_s3_bucket.b" || b.Props.String("nameExpr") != "var.name" {
			t.Errorf("bucket named %q (nameExpr %q); an unset variable must not be guessed", b.Name, b.Props.String("nameExpr"))
		}
		if i := byAddr(t, c, "aws_instance.i"); !strings.Contains(i.Props.String("publicReason"), "unknown") {
			t.Errorf("instance publicReason %q", i.Props.String("publicReason"))
		}
	})
	t.Run("duplicate resource", func(t *testing.T) {
		_, err := read(t, map[string]string{"m/a.tf": "resource \"aws_s3_bucket\" \"b\" {}\n", "m/b.tf": "\n\nresource \"aws_s3_bucket\" \"b\" {}\n"})
		var fe *discovery.FileError
		if !errors.As(err, &fe) || fe.File != "m/b.tf" || fe.Line != 3 || !strings.Contains(fe.Msg, "duplicate") {
			t.Fatalf("error %v", err)
		}
	})
}

// FuzzReadModule feeds arbitrary bytes as a one-file module: no panic, and
// any error is a FileError.
func FuzzReadModule(f *testing.F) {
	for _, dir := range []string{"testdata/exposure", "testdata/broken"} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
				f.Add(b)
			}
		}
	}
	if d := os.Getenv("RISKGRAPH_CORPUS"); d != "" {
		if b, err := os.ReadFile(filepath.Join(d, "terragoat-aws/terraform/aws/db-app.tf")); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`resource "aws_lb" "x" { internal = "${var.a}" security_groups = [for s in var.s : s] }`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := discovery.NewCollector("")
		err := ReadModule(context.Background(), "", []string{"f.tf"}, map[string][]byte{"f.tf": data}, c)
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

func TestDDLColumns(t *testing.T) {
	tables, cols := ddlColumns("mysql -e \"CREATE TABLE IF NOT EXISTS `orders` (id INT PRIMARY KEY, total DECIMAL(10,2), card_number VARCHAR(19),\n PRIMARY KEY (id), CONSTRAINT fk FOREIGN KEY (id) REFERENCES x(id));\" ; create table broken (a int")
	if !slices.Equal(tables, []string{"orders"}) || !slices.Equal(cols, []string{"orders.card_number", "orders.id", "orders.total"}) {
		t.Errorf("tables %v columns %v", tables, cols)
	}
}

// TestMutatedModules reads 1,500 deterministic mutations of the fixture
// modules (bytes changed, dropped and duplicated): no panic, every error a
// FileError, every result a valid batch. It complements FuzzReadModule,
// whose engine gets little throughput through HCL's instrumented scanner on
// a shared machine.
func TestMutatedModules(t *testing.T) {
	var seeds [][]byte
	for _, dir := range []string{"testdata/exposure", "testdata/broken"} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
				seeds = append(seeds, b)
			}
		}
	}
	r := rand.New(rand.NewSource(6))
	for i := 0; i < 1500; i++ {
		d := slices.Clone(seeds[r.Intn(len(seeds))])
		for j := 0; j < 1+r.Intn(4) && len(d) > 0; j++ {
			p, q := r.Intn(len(d)), r.Intn(len(d))
			switch r.Intn(3) {
			case 0:
				d[p] = byte(r.Intn(256))
			case 1:
				d = append(d[:p], d[p+1:]...)
			case 2:
				p, q = min(p, q), max(p, q)
				d = slices.Insert(d, q, slices.Clone(d[p:q])...)
			}
		}
		c := discovery.NewCollector("")
		err := ReadModule(context.Background(), "m", []string{"m/f.tf"}, map[string][]byte{"m/f.tf": d}, c)
		var fe *discovery.FileError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("mutation %d: error is not a FileError: %v", i, err)
		}
		b, _ := c.Batch(graph.Scope{Source: "t", Key: "t"}, "r")
		if err := b.Validate(); err != nil {
			t.Fatalf("mutation %d: batch does not validate: %v", i, err)
		}
	}
}

func TestAttributeSyntaxRulesAndWarehouses(t *testing.T) {
	c := discovery.NewCollector("")
	src := `
resource "aws_vpc" "v" { cidr_block = "10.9.0.0/16" }
resource "aws_internet_gateway" "g" { vpc_id = aws_vpc.v.id }
resource "aws_route_table" "r" {
  vpc_id = aws_vpc.v.id
  route = [{ cidr_block = "0.0.0.0/0", gateway_id = aws_internet_gateway.g.id }]
}
resource "aws_main_route_table_association" "m" {
  vpc_id         = aws_vpc.v.id
  route_table_id = aws_route_table.r.id
}
resource "aws_subnet" "s" { vpc_id = aws_vpc.v.id }
resource "aws_redshift_cluster_subnet_group" "g" { subnet_ids = [aws_subnet.s.id] }
resource "aws_security_group" "wh" {
  ingress = [{
    from_port   = 5439
    to_port     = 5439
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }]
}
resource "aws_redshift_cluster" "wh" {
  cluster_identifier        = "analytics"
  publicly_accessible       = true
  port                      = 5439
  cluster_subnet_group_name = aws_redshift_cluster_subnet_group.g.name
  vpc_security_group_ids    = [aws_security_group.wh.id]
}
`
	if err := ReadModule(context.Background(), "m", []string{"m/main.tf"}, map[string][]byte{"m/main.tf": []byte(src)}, c); err != nil {
		t.Fatal(err)
	}
	wh := byAddr(t, c, "aws_redshift_cluster.wh")
	if wh.Name != "analytics" || wh.Props.String("engine") != "redshift" {
		t.Errorf("warehouse %q engine %q", wh.Name, wh.Props.String("engine"))
	}
	// Attribute-syntax route and ingress, the main route table of the VPC,
	// and 0.0.0.0/0 on the warehouse port: public.
	if !wh.Props.Bool("public") {
		t.Errorf("warehouse not public: %s", wh.Props.String("publicReason"))
	}
}

// TestLocalModules: a root module calling a local module twice reads it
// with each call's arguments (module.NAME addresses); the module directory
// is not read again on its own; a module calling itself is reported.
func TestLocalModules(t *testing.T) {
	c := discovery.NewCollector("")
	a := Agent{}
	root := "testdata/modules"
	if err := a.ReadDir(context.Background(), root+"/envs/prod", "envs/prod", c); err != nil {
		t.Fatal(err)
	}
	orders := byAddr(t, c, "module.orders_db.aws_db_instance.this")
	if orders.Name != "orders-db" || !orders.Props.Bool("publiclyAccessible") || orders.Props.String("module") != "modules/db" {
		t.Errorf("orders db %q publiclyAccessible %v module %q", orders.Name, orders.Props["publiclyAccessible"], orders.Props.String("module"))
	}
	// kms_key_arn is an ARN known only at apply: encryption unknown, not false.
	if _, ok := orders.Props["encrypted"]; ok {
		t.Errorf("orders db encrypted = %v, want unknown", orders.Props["encrypted"])
	}
	audit := byAddr(t, c, "module.audit_db.aws_db_instance.this")
	if audit.Name != "audit-db" || audit.Props.Bool("publiclyAccessible") || audit.Props.Bool("encrypted") {
		t.Errorf("audit db %q publiclyAccessible %v encrypted %v", audit.Name, audit.Props["publiclyAccessible"], audit.Props["encrypted"])
	}
	cache := filepath.Join(t.TempDir(), ".terraform", "modules", "vpc")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, "main.tf"), []byte(`resource "aws_vpc" "this" {}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if a.DetectDir(cache) {
		t.Error("a module downloaded into .terraform is detected as a module to read")
	}
	// The module directory, walked on its own, defers to its caller.
	alone := discovery.NewCollector("")
	if err := a.ReadDir(context.Background(), root+"/modules/db", "modules/db", alone); err != nil {
		t.Fatal(err)
	}
	if n, _ := alone.Len(); n != 0 {
		t.Errorf("called module read on its own: %d nodes", n)
	}
	// Pointed at directly, it is read (with unknown variables).
	direct := discovery.NewCollector("")
	if err := a.ReadDir(context.Background(), root+"/modules/db", "", direct); err != nil {
		t.Fatal(err)
	}
	if db := byAddr(t, direct, "aws_db_instance.this"); db.Name != "aws_db_instance.this" {
		t.Errorf("standalone module db named %q, want its address (var.name unknown)", db.Name)
	}
	var fe *discovery.FileError
	err := a.ReadDir(context.Background(), root+"/modules/loop", "", discovery.NewCollector(""))
	if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "cycle") || fe.Line != 1 {
		t.Errorf("self-calling module: %v", err)
	}
}

// TestDynamicBlocksAndCount: dynamic ingress blocks over a known list are
// expanded, over an unknown one they make the group's rules unknown (not
// "admits nothing"); resources with count = 0 are not deployed.
func TestDynamicBlocksAndCount(t *testing.T) {
	src := `
variable "create_bastion" { default = false }
variable "extra_rules" {}
locals {
  web_ports = [80, 443]
}
resource "aws_vpc" "v" { cidr_block = "10.0.0.0/16" }
resource "aws_internet_gateway" "g" { vpc_id = aws_vpc.v.id }
resource "aws_route_table" "r" {
  vpc_id = aws_vpc.v.id
  dynamic "route" {
    for_each = ["0.0.0.0/0"]
    content {
      cidr_block = route.value
      gateway_id = aws_internet_gateway.g.id
    }
  }
}
resource "aws_subnet" "s" {
  vpc_id                  = aws_vpc.v.id
  map_public_ip_on_launch = true
}
resource "aws_route_table_association" "a" {
  subnet_id      = aws_subnet.s.id
  route_table_id = aws_route_table.r.id
}
resource "aws_security_group" "web" {
  dynamic "ingress" {
    for_each = local.web_ports
    iterator = port
    content {
      from_port   = port.value
      to_port     = port.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
}
resource "aws_security_group" "extra" {
  dynamic "ingress" {
    for_each = var.extra_rules
    content {
      from_port   = ingress.value.port
      to_port     = ingress.value.port
      protocol    = "tcp"
      cidr_blocks = ingress.value.cidrs
    }
  }
}
resource "aws_instance" "web" {
  subnet_id              = aws_subnet.s.id
  vpc_security_group_ids = [aws_security_group.web.id]
  tags                   = { Name = "web" }
}
resource "aws_instance" "other" {
  subnet_id              = aws_subnet.s.id
  vpc_security_group_ids = [aws_security_group.extra.id]
  tags                   = { Name = "other" }
}
resource "aws_instance" "bastion" {
  count     = var.create_bastion ? 1 : 0
  subnet_id = aws_subnet.s.id
}
`
	c := discovery.NewCollector("")
	if err := ReadModule(context.Background(), "m", []string{"m/main.tf"}, map[string][]byte{"m/main.tf": []byte(src)}, c); err != nil {
		t.Fatal(err)
	}
	if got := reachable(c); !slices.Equal(got, []string{"aws_instance.web"}) {
		t.Errorf("internet-facing %v, want web only", got)
	}
	if web := byAddr(t, c, "aws_instance.web"); !slices.Equal(web.Props.Strings("openPorts"), []string{"tcp:443", "tcp:80"}) {
		t.Errorf("web openPorts %v", web.Props["openPorts"])
	}
	if other := byAddr(t, c, "aws_instance.other"); !strings.Contains(other.Props.String("publicReason"), "unresolved rules: aws_security_group.extra") {
		t.Errorf("other publicReason %q", other.Props.String("publicReason"))
	}
	for _, n := range c.Nodes() {
		if n.Props.String("address") == "aws_instance.bastion" {
			t.Error("bastion with count = 0 was discovered")
		}
	}
}

// TestALBAliases: aws_alb_listener, aws_alb_listener_rule and
// aws_alb_target_group are the older names of the aws_lb_* types and are
// read the same: listener ports decide what the security group must open,
// and the load balancer routes to the ECS service behind its target group.
func TestALBAliases(t *testing.T) {
	src := `
resource "aws_vpc" "v" {}
resource "aws_internet_gateway" "g" { vpc_id = aws_vpc.v.id }
resource "aws_route_table" "r" {
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.g.id
  }
}
resource "aws_subnet" "pub" { vpc_id = aws_vpc.v.id }
resource "aws_route_table_association" "a" {
  subnet_id      = aws_subnet.pub.id
  route_table_id = aws_route_table.r.id
}
resource "aws_security_group" "lb" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
    from_port   = 8443
    to_port     = 8443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
}
resource "aws_alb" "web" {
  name            = "web"
  subnets         = [aws_subnet.pub.id]
  security_groups = [aws_security_group.lb.id]
}
resource "aws_alb_target_group" "app" { port = 80 }
resource "aws_alb_listener" "https" {
  load_balancer_arn = aws_alb.web.arn
  port              = "8443"
  default_action {
    type             = "forward"
    target_group_arn = aws_alb_target_group.app.arn
  }
}
resource "aws_alb_target_group" "admin" { port = 9000 }
resource "aws_alb_listener_rule" "admin" {
  listener_arn = aws_alb_listener.https.arn
  action {
    type             = "forward"
    target_group_arn = aws_alb_target_group.admin.arn
  }
}
resource "aws_ecs_service" "app" {
  name = "app"
  load_balancer {
    target_group_arn = aws_alb_target_group.app.arn
    container_port   = 80
  }
}
resource "aws_ecs_service" "admin" {
  name = "admin"
  load_balancer {
    target_group_arn = aws_alb_target_group.admin.arn
    container_port   = 9000
  }
}
`
	c := discovery.NewCollector("")
	if err := ReadModule(context.Background(), "m", []string{"m/main.tf"}, map[string][]byte{"m/main.tf": []byte(src)}, c); err != nil {
		t.Fatal(err)
	}
	lb := byAddr(t, c, "aws_alb.web")
	if got, _ := lb.Props["listenerPorts"].([]int64); !slices.Equal(got, []int64{8443}) {
		t.Errorf("listenerPorts %v, want [8443]", got)
	}
	// The group opens 22 to the world, but no listener is on 22.
	if lb.Props.Bool("public") {
		t.Errorf("load balancer public: %s", lb.Props.String("publicReason"))
	}
	for _, svc := range []string{"aws_ecs_service.app", "aws_ecs_service.admin"} {
		if hasEdge(c, graph.RoutesTo, "aws_alb.web", svc) == nil {
			t.Errorf("no ROUTES_TO aws_alb.web -> %s; edges %v", svc, edgeAddrs(c, graph.RoutesTo))
		}
	}
}

// TestModuleArgumentsReferToCaller: resources a module receives through
// its arguments (var.subnet_id = aws_subnet.public.id in the call) are the
// caller's: an instance in the module is exposed through the caller's
// public subnet and security group, an API of the module routes to the
// caller's function, and a function of the module reads the caller's
// table.
func TestModuleArgumentsReferToCaller(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.tf", `
resource "aws_vpc" "v" {}
resource "aws_internet_gateway" "g" { vpc_id = aws_vpc.v.id }
resource "aws_route_table" "r" {
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.g.id
  }
}
resource "aws_subnet" "public" { vpc_id = aws_vpc.v.id }
resource "aws_route_table_association" "a" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.r.id
}
resource "aws_security_group" "web" {
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_dynamodb_table" "orders" { name = "orders" }
resource "aws_lambda_function" "handler" { function_name = "handler" }
module "app" {
  source     = "./modules/app"
  subnet_id  = aws_subnet.public.id
  sg_ids     = [aws_security_group.web.id]
  invoke_arn = aws_lambda_function.handler.invoke_arn
  table      = aws_dynamodb_table.orders.name
}
`)
	write("modules/app/main.tf", `
variable "subnet_id" {}
variable "sg_ids" {}
variable "invoke_arn" {}
variable "table" {}
resource "aws_instance" "web" {
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = var.sg_ids
  associate_public_ip_address = true
  tags                        = { Name = "web" }
}
resource "aws_apigatewayv2_api" "api" {
  name          = "api"
  protocol_type = "HTTP"
}
resource "aws_apigatewayv2_integration" "i" {
  api_id           = aws_apigatewayv2_api.api.id
  integration_type = "AWS_PROXY"
  integration_uri  = var.invoke_arn
}
resource "aws_lambda_function" "worker" {
  function_name = "worker"
  environment {
    variables = { TABLE = var.table }
  }
}
`)
	c := discovery.NewCollector("")
	if err := (Agent{}).ReadDir(context.Background(), dir, "", c); err != nil {
		t.Fatal(err)
	}
	if got := reachable(c); !slices.Contains(got, "module.app.aws_instance.web") {
		web := byAddr(t, c, "module.app.aws_instance.web")
		t.Errorf("module instance not internet-facing (%s); reachable %v", web.Props.String("publicReason"), got)
	}
	if hasEdge(c, graph.RoutesTo, "module.app.aws_apigatewayv2_api.api", "aws_lambda_function.handler") == nil {
		t.Errorf("no ROUTES_TO from the module's API to the caller's function; %v", edgeAddrs(c, graph.RoutesTo))
	}
	if e := hasEdge(c, graph.Reads, "module.app.aws_lambda_function.worker", "aws_dynamodb_table.orders"); e == nil || e.Props.String("via") != "TABLE" {
		t.Errorf("worker READS orders: %v; %v", e, edgeAddrs(c, graph.Reads))
	}
}

// TestTryAndCommonFunctions: try() over variables takes the first argument
// that succeeds, as Terraform does; try() over a resource attribute only
// known at apply time stays unknown (never the fallback); trimprefix and
// other string functions evaluate.
func TestTryAndCommonFunctions(t *testing.T) {
	src := `
variable "cfg" { default = { env = "prod" } }
locals {
  name   = try(var.cfg.name, "orders")
  prefix = trimsuffix(lower("${var.cfg.env}-"), "-")
}
resource "aws_iam_role" "this" {
  count = 1
  name  = "svc"
}
resource "aws_s3_bucket" "data" { bucket = "${local.prefix}-${local.name}" }
resource "aws_dynamodb_table" "t" { name = try(aws_iam_role.this[0].unique_id, "fallback") }
`
	c := discovery.NewCollector("")
	if err := ReadModule(context.Background(), "m", []string{"m/main.tf"}, map[string][]byte{"m/main.tf": []byte(src)}, c); err != nil {
		t.Fatal(err)
	}
	if b := byAddr(t, c, "aws_s3_bucket.data"); b.Name != "prod-orders" {
		t.Errorf("bucket named %q, want prod-orders", b.Name)
	}
	if tb := byAddr(t, c, "aws_dynamodb_table.t"); tb.Name != "aws_dynamodb_table.t" {
		t.Errorf("table named %q, want its address (the role's unique_id is known only at apply)", tb.Name)
	}
}

// TestZeroLengthPrefixIsTheWorld: a CIDR with prefix length 0 admits every
// address whatever its address bits ("192.168.1.0/0" is 0.0.0.0/0).
func TestZeroLengthPrefixIsTheWorld(t *testing.T) {
	src := `
resource "aws_vpc" "v" {}
resource "aws_internet_gateway" "g" { vpc_id = aws_vpc.v.id }
resource "aws_route_table" "r" {
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.g.id
  }
}
resource "aws_subnet" "s" {
  vpc_id                  = aws_vpc.v.id
  map_public_ip_on_launch = true
}
resource "aws_route_table_association" "a" {
  subnet_id      = aws_subnet.s.id
  route_table_id = aws_route_table.r.id
}
resource "aws_security_group" "ssh" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["192.168.1.0/0"]
  }
}
resource "aws_instance" "bastion" {
  subnet_id              = aws_subnet.s.id
  vpc_security_group_ids = [aws_security_group.ssh.id]
}
`
	c := discovery.NewCollector("")
	if err := ReadModule(context.Background(), "m", []string{"m/main.tf"}, map[string][]byte{"m/main.tf": []byte(src)}, c); err != nil {
		t.Fatal(err)
	}
	b := byAddr(t, c, "aws_instance.bastion")
	if !b.Props.Bool("sshOpenToInternet") || !slices.Equal(reachable(c), []string{"aws_instance.bastion"}) {
		t.Errorf("bastion sshOpenToInternet %v, reachable %v (%s)", b.Props["sshOpenToInternet"], reachable(c), b.Props.String("publicReason"))
	}
}

// TestPolicyDocumentConditions: a bucket policy rendered from an
// aws_iam_policy_document whose Principal * statement has a condition
// (aws:SourceVpce) does not make the bucket public; without it, it does.
func TestPolicyDocumentConditions(t *testing.T) {
	src := `
resource "aws_s3_bucket" "internal" { bucket = "internal" }
resource "aws_s3_bucket" "open" { bucket = "open" }
data "aws_iam_policy_document" "vpce" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.internal.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceVpce"
      values   = ["vpce-1234"]
    }
  }
}
data "aws_iam_policy_document" "open" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.open.arn}/*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
  }
}
resource "aws_s3_bucket_policy" "internal" {
  bucket = aws_s3_bucket.internal.id
  policy = data.aws_iam_policy_document.vpce.json
}
resource "aws_s3_bucket_policy" "open" {
  bucket = aws_s3_bucket.open.id
  policy = data.aws_iam_policy_document.open.json
}
`
	c := discovery.NewCollector("")
	if err := ReadModule(context.Background(), "m", []string{"m/main.tf"}, map[string][]byte{"m/main.tf": []byte(src)}, c); err != nil {
		t.Fatal(err)
	}
	if in := byAddr(t, c, "aws_s3_bucket.internal"); in.Props.Bool("public") {
		t.Errorf("bucket behind a VPC endpoint condition is public: %s", in.Props.String("publicReason"))
	}
	if open := byAddr(t, c, "aws_s3_bucket.open"); !open.Props.Bool("public") {
		t.Errorf("bucket open to Principal * is not public: %s", open.Props.String("publicReason"))
	}
}

// TestPortRanges: a security group rule opening a port range to the world
// opens every port in it, not only its first: a listener on 8080 behind
// 8000-9000 is public.
func TestPortRanges(t *testing.T) {
	src := `
resource "aws_vpc" "v" {}
resource "aws_internet_gateway" "g" { vpc_id = aws_vpc.v.id }
resource "aws_route_table" "r" {
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.g.id
  }
}
resource "aws_subnet" "s" { vpc_id = aws_vpc.v.id }
resource "aws_route_table_association" "a" {
  subnet_id      = aws_subnet.s.id
  route_table_id = aws_route_table.r.id
}
resource "aws_security_group" "lb" {
  ingress {
    from_port   = 8000
    to_port     = 9000
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_lb" "web" {
  name            = "web"
  subnets         = [aws_subnet.s.id]
  security_groups = [aws_security_group.lb.id]
}
resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.web.arn
  port              = 8080
}
`
	c := discovery.NewCollector("")
	if err := ReadModule(context.Background(), "m", []string{"m/main.tf"}, map[string][]byte{"m/main.tf": []byte(src)}, c); err != nil {
		t.Fatal(err)
	}
	if lb := byAddr(t, c, "aws_lb.web"); !lb.Props.Bool("public") {
		t.Errorf("load balancer not public: %s", lb.Props.String("publicReason"))
	}
}

// TestModulePolicyReachesCallerResources: a role and policy created in a
// module reach the caller's table the call passes as an argument
// (Resource = var.table_arn), and nothing else of the caller's.
func TestModulePolicyReachesCallerResources(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"main.tf": `
resource "aws_dynamodb_table" "orders" { name = "orders" }
resource "aws_dynamodb_table" "audit" { name = "audit" }
module "fn" {
  source    = "./modules/fn"
  table_arn = aws_dynamodb_table.orders.arn
}
`,
		"modules/fn/main.tf": `
variable "table_arn" {}
resource "aws_iam_role" "fn" { name = "fn" }
resource "aws_iam_role_policy" "fn" {
  role = aws_iam_role.fn.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["dynamodb:GetItem", "dynamodb:PutItem"]
      Resource = [var.table_arn, "${var.table_arn}/index/*"]
    }]
  })
}
`,
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := discovery.NewCollector("")
	if err := (Agent{}).ReadDir(context.Background(), dir, "", c); err != nil {
		t.Fatal(err)
	}
	got := edgeAddrs(c, graph.CanAccess)
	want := [][2]string{{"module.fn.aws_iam_role.fn", "aws_dynamodb_table.orders"}}
	if !slices.Equal(got, want) {
		t.Errorf("CAN_ACCESS %v, want %v", got, want)
	}
}

// TestReadReplica: a read replica without storage_encrypted is encrypted
// as its source is, runs its engine, and is not flagged "unencrypted".
func TestReadReplica(t *testing.T) {
	src := `
resource "aws_db_instance" "main" {
  identifier        = "main"
  engine            = "postgres"
  storage_encrypted = true
}
resource "aws_db_instance" "replica" {
  identifier          = "replica"
  replicate_source_db = aws_db_instance.main.identifier
}
resource "aws_db_instance" "external" {
  identifier          = "external-replica"
  replicate_source_db = var.source_arn
}
variable "source_arn" {}
`
	c := discovery.NewCollector("")
	if err := ReadModule(context.Background(), "m", []string{"m/main.tf"}, map[string][]byte{"m/main.tf": []byte(src)}, c); err != nil {
		t.Fatal(err)
	}
	r := byAddr(t, c, "aws_db_instance.replica")
	if !r.Props.Bool("encrypted") || r.Props.String("engine") != "postgres" || r.Props.Int("port") != 5432 {
		t.Errorf("replica encrypted %v engine %q port %v", r.Props["encrypted"], r.Props.String("engine"), r.Props["port"])
	}
	if ext := byAddr(t, c, "aws_db_instance.external"); ext.Props["encrypted"] != nil || slices.Contains(ext.Props.Strings("misconfigurations"), "unencrypted") {
		t.Errorf("replica of an unknown source: encrypted %v, misconfigurations %v; want unknown", ext.Props["encrypted"], ext.Props["misconfigurations"])
	}
}

// TestDefaultSubnet: an instance in a default subnet gets a public IP and
// a route to the internet gateway, as AWS's default VPC gives it.
func TestDefaultSubnet(t *testing.T) {
	src := `
resource "aws_default_subnet" "a" { availability_zone = "eu-west-1a" }
resource "aws_security_group" "web" {
  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_instance" "web" {
  subnet_id              = aws_default_subnet.a.id
  vpc_security_group_ids = [aws_security_group.web.id]
}
`
	c := discovery.NewCollector("")
	if err := ReadModule(context.Background(), "m", []string{"m/main.tf"}, map[string][]byte{"m/main.tf": []byte(src)}, c); err != nil {
		t.Fatal(err)
	}
	if got := reachable(c); !slices.Equal(got, []string{"aws_instance.web"}) {
		t.Errorf("reachable %v (%s)", got, byAddr(t, c, "aws_instance.web").Props.String("publicReason"))
	}
}

// TestDatabaseInDefaultVPC: a publicly accessible database with no subnet
// group and a security group of the default VPC (no vpc_id) admitting the
// world on its port is public; with a security group of another VPC its
// subnets stay unknown.
func TestDatabaseInDefaultVPC(t *testing.T) {
	src := `
resource "aws_security_group" "open" {
  ingress {
    from_port   = 3306
    to_port     = 3306
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_security_group" "vpc" {
  vpc_id = var.vpc_id
  ingress {
    from_port   = 3306
    to_port     = 3306
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
variable "vpc_id" {}
resource "aws_db_instance" "default_vpc" {
  identifier             = "a"
  engine                 = "mysql"
  publicly_accessible    = true
  vpc_security_group_ids = [aws_security_group.open.id]
}
resource "aws_db_instance" "other_vpc" {
  identifier             = "b"
  engine                 = "mysql"
  publicly_accessible    = true
  vpc_security_group_ids = [aws_security_group.vpc.id]
}
`
	c := discovery.NewCollector("")
	if err := ReadModule(context.Background(), "m", []string{"m/main.tf"}, map[string][]byte{"m/main.tf": []byte(src)}, c); err != nil {
		t.Fatal(err)
	}
	if a := byAddr(t, c, "aws_db_instance.default_vpc"); !a.Props.Bool("public") {
		t.Errorf("database in the default VPC not public: %s", a.Props.String("publicReason"))
	}
	if b := byAddr(t, c, "aws_db_instance.other_vpc"); b.Props["public"] != nil {
		t.Errorf("database in an unknown VPC public = %v, want unknown", b.Props["public"])
	}
}

// TestECSContainerSecrets: an ECS service's containers carry their
// environment names, and a secret-like name with a literal value (or an
// AWS access key) is a plaintext secret; values from variables without
// default, resources or the secrets field are not. No value is kept.
func TestECSContainerSecrets(t *testing.T) {
	src := `
variable "api_token" {}
resource "aws_secretsmanager_secret" "db" {}
resource "aws_ecs_task_definition" "app" {
  family = "app"
  container_definitions = jsonencode([{
    name  = "app"
    image = "app:1"
    environment = [
      { name = "DB_PASSWORD", value = "hunter2" },
      { name = "API_TOKEN", value = var.api_token },
      { name = "LOG_LEVEL", value = "debug" },
    ]
    secrets = [{ name = "DB_URL", valueFrom = aws_secretsmanager_secret.db.arn }]
  }])
}
resource "aws_ecs_service" "app" {
  name            = "app"
  task_definition = aws_ecs_task_definition.app.arn
}
`
	c := discovery.NewCollector("")
	if err := ReadModule(context.Background(), "m", []string{"m/main.tf"}, map[string][]byte{"m/main.tf": []byte(src)}, c); err != nil {
		t.Fatal(err)
	}
	svc := byAddr(t, c, "aws_ecs_service.app")
	if !svc.Props.Bool("plaintextSecrets") || !slices.Equal(svc.Props.Strings("secretEnvKeys"), []string{"DB_PASSWORD"}) ||
		!slices.Equal(svc.Props.Strings("envKeys"), []string{"API_TOKEN", "DB_PASSWORD", "LOG_LEVEL"}) {
		t.Errorf("plaintextSecrets %v secretEnvKeys %v envKeys %v", svc.Props["plaintextSecrets"], svc.Props["secretEnvKeys"], svc.Props["envKeys"])
	}
	for k, v := range svc.Props {
		if s, ok := v.(string); ok && strings.Contains(s, "hunter2") {
			t.Errorf("secret value stored in %s", k)
		}
	}
}

// TestCallerPolicyReachesModuleResources: a role of the root module whose
// policy grants s3:* on every bucket reaches the buckets the modules it
// calls create.
func TestCallerPolicyReachesModuleResources(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"main.tf": `
resource "aws_iam_role" "ci" { name = "ci" }
resource "aws_iam_role_policy_attachment" "ci" {
  role       = aws_iam_role.ci.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonS3FullAccess"
}
module "store" {
  source = "./modules/store"
}
`,
		"modules/store/main.tf": `
resource "aws_s3_bucket" "data" { bucket = "data" }
resource "aws_dynamodb_table" "t" { name = "t" }
`,
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := discovery.NewCollector("")
	if err := (Agent{}).ReadDir(context.Background(), dir, "", c); err != nil {
		t.Fatal(err)
	}
	got := edgeAddrs(c, graph.CanAccess)
	want := [][2]string{{"aws_iam_role.ci", "module.store.aws_s3_bucket.data"}}
	if !slices.Equal(got, want) {
		t.Errorf("CAN_ACCESS %v, want %v", got, want)
	}
}
