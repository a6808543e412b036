package aws

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

func TestLooksSecret(t *testing.T) {
	for _, c := range []struct {
		name, value string
		want        bool
	}{
		{"DB_PASSWORD", "hunter2", true},
		{"API_TOKEN", "abc", true},
		{"DB_PASSWORD", "", false}, // empty: nothing to leak
		{"DB_PASSWORD_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:db", false}, // a reference, not the secret
		{"SECRET_ID", "arn:aws:secretsmanager:us-east-1:1:secret:x", false},
		{"LEGACY", "AKIAIOSFODNN7EXAMPLE", true},
		{"PAYMENTS", "sk_live_51HxYzAbCdEfGhIjKl", true},
		{"GH", "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB", true},
		{"BOT", "xoxb-123-456-abc", true},
		{"JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", true},
		{"KEY_PEM", "-----BEGIN RSA PRIVATE KEY-----\nMIIE", true},
		{"DATABASE_URL", "postgres://app:pw@db.internal:5432/app", true},
		{"DATABASE_URL", "postgres://app@db.internal:5432/app", false}, // user, no password
		{"HOOK", "https://hooks.slack.com/services/T/B/X", true},
		{"TABLE_NAME", "orders", false},
		{"PAYMENTS_URL", "https://api.stripe.com/v1", false},
		{"LOG_LEVEL", "info", false},
	} {
		if got := looksSecret(c.name, c.value); got != c.want {
			t.Errorf("looksSecret(%q, %q) = %v, want %v", c.name, c.value, got, c.want)
		}
	}
}

func TestPolicyText(t *testing.T) {
	enc := "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGet%2A%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Aa%2Bb%2F%2A%22%7D%5D%7D"
	want := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::a+b/*"}]}`
	if got := policyText(enc); got != want {
		t.Errorf("decoded %s", got)
	}
	if got := policyText(want); got != want {
		t.Errorf("plain JSON changed: %s", got)
	}
	if got := policyText("%zz"); got != "%zz" {
		t.Errorf("undecodable text changed: %s", got)
	}
}

func TestResolve(t *testing.T) {
	b := newBuilder(&inventory{}, discovery.NewCollector("aws"), "aws")
	table := b.add(&node{Node: graph.Node{ID: "datastore:t", Kind: graph.DataStore, Name: "orders"}, names: []string{"orders"},
		arn: "arn:aws:dynamodb:us-east-1:1:table/orders"})
	fn := b.add(&node{Node: graph.Node{ID: "service:f", Kind: graph.Service, Name: "fn"}, names: []string{"fn"},
		arn: "arn:aws:lambda:us-east-1:1:function:fn"})
	lb := b.add(&node{Node: graph.Node{ID: "gateway:l", Kind: graph.Gateway, Name: "alb"}, names: []string{"alb"},
		arn: "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/alb/abc"}, "alb-1.us-east-1.elb.amazonaws.com")
	bucket := b.add(&node{Node: graph.Node{ID: "datastore:b", Kind: graph.DataStore, Name: "logs"}, names: []string{"logs"},
		arn: "arn:aws:s3:::logs"}, "s3://logs")
	for v, want := range map[string]*node{
		"orders": table, "ORDERS": table, " orders ": table,
		"arn:aws:dynamodb:us-east-1:1:table/orders":                                                                        table,
		"arn:aws:dynamodb:us-east-1:1:table/orders/stream/2026":                                                            table,
		"arn:aws:dynamodb:us-east-1:1:table/orders-archive":                                                                nil, // a longer name is another table
		"arn:aws:lambda:us-east-1:1:function:fn:live":                                                                      fn,
		"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:fn/invocations": fn,
		"arn:aws:elasticloadbalancing:us-east-1:1:listener/app/alb/abc/def":                                                lb,
		"http://alb-1.us-east-1.elb.amazonaws.com/x":                                                                       lb,
		"alb-1.us-east-1.elb.amazonaws.com:443":                                                                            lb,
		"s3://logs/2026/":                                                                                                  bucket, "arn:aws:s3:::logs/*": bucket,
		"https://api.stripe.com": nil, "": nil, "arn:aws:": nil, "arn:aws:s3:::": nil, "info": nil,
	} {
		if got := b.resolve(v); got != want {
			t.Errorf("resolve(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestNetwork(t *testing.T) {
	s := aws.String
	r := &regionInv{
		subnets: []ec2types.Subnet{{SubnetId: s("a"), VpcId: s("v")}, {SubnetId: s("b"), VpcId: s("v")}, {SubnetId: s("c"), VpcId: s("w")}},
		routeTables: []ec2types.RouteTable{
			// The main table of v routes IPv6 to an internet gateway: b,
			// with no table of its own, is public through it.
			{RouteTableId: s("main"), VpcId: s("v"), Associations: []ec2types.RouteTableAssociation{{Main: aws.Bool(true)}},
				Routes: []ec2types.Route{{DestinationIpv6CidrBlock: s("::/0"), GatewayId: s("igw-1")}}},
			// a has its own table with a default route to a NAT: private.
			{RouteTableId: s("nat"), VpcId: s("v"), Associations: []ec2types.RouteTableAssociation{{SubnetId: s("a")}},
				Routes: []ec2types.Route{{DestinationCidrBlock: s("0.0.0.0/0"), NatGatewayId: s("nat-1")}}},
			// w's main table routes only a narrow prefix to the gateway.
			{RouteTableId: s("w-main"), VpcId: s("w"), Associations: []ec2types.RouteTableAssociation{{Main: aws.Bool(true)}},
				Routes: []ec2types.Route{{DestinationCidrBlock: s("192.0.2.0/24"), GatewayId: s("igw-2")}}},
		},
		sgs: []ec2types.SecurityGroup{{GroupId: s("sg-1"), GroupName: s("x"), IpPermissions: []ec2types.IpPermission{
			{IpProtocol: s("tcp"), FromPort: aws.Int32(8000), ToPort: aws.Int32(8100), IpRanges: []ec2types.IpRange{{CidrIp: s("0.0.0.0/0")}}},
			{IpProtocol: s("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []ec2types.IpRange{{CidrIp: s("10.0.0.0/8")}}},
		}}},
	}
	n := newNetwork(r)
	for _, c := range []struct {
		subnets       []string
		public, known bool
	}{
		{[]string{"a"}, false, true}, {[]string{"b"}, true, true}, {[]string{"c"}, false, true},
		{[]string{"a", "b"}, true, true}, {[]string{"zz"}, false, false}, {nil, false, false},
	} {
		if p, k := n.anyPublic(c.subnets); p != c.public || k != c.known {
			t.Errorf("anyPublic(%v) = %v %v, want %v %v", c.subnets, p, k, c.public, c.known)
		}
	}
	ex := n.exposure([]string{"sg-1", "sg-unknown"})
	if len(ex.world) != 1 || ex.world[0] != "tcp:8000-8100" || !ex.opens(8080) || ex.opens(22) || ex.opens(8101) || !ex.opens(0) {
		t.Errorf("exposure %+v", ex)
	}
}

func TestEnvBareNames(t *testing.T) {
	c := discovery.NewCollector("aws")
	b := newBuilder(&inventory{}, c, "aws")
	prod := b.add(&node{Node: graph.Node{ID: graph.DataStoreID("aws", "production"), Kind: graph.DataStore, Name: "production"}, names: []string{"production"}})
	fn := b.add(&node{Node: graph.Node{ID: graph.ServiceID("aws", "fn"), Kind: graph.Service, Name: "fn", Props: graph.Props{}}, names: []string{"fn"}})
	b.envProps(fn, map[string]string{"NODE_ENV": "production", "STAGE": "production"}, "arn:fn")
	b.envFlows()
	if _, ok := c.Edge(graph.EdgeID(graph.Reads, fn.ID, prod.ID)); ok {
		t.Fatal("NODE_ENV=production taken for the table named production")
	}
	b.envProps(fn, map[string]string{"SESSIONS_TABLE": "production"}, "arn:fn")
	b.envs = b.envs[len(b.envs)-1:]
	b.envFlows()
	if _, ok := c.Edge(graph.EdgeID(graph.Reads, fn.ID, prod.ID)); !ok {
		t.Fatal("SESSIONS_TABLE=production not resolved")
	}
}
