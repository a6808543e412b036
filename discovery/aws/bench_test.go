package aws

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/aws/awsfake"
	"github.com/riskgraph/riskgraph/graph"
)

// largeAccount is a synthetic inventory the size of a big production
// account: 2,000 functions, 1,000 roles, 1,000 buckets, 500 tables, 500
// instances.
func largeAccount() *inventory {
	s := aws.String
	r := &regionInv{region: "us-east-1", account: "123456789012"}
	for i := range 500 {
		r.tables = append(r.tables, fmt.Sprintf("table-%d", i))
		r.instances = append(r.instances, ec2types.Instance{InstanceId: s(fmt.Sprintf("i-%08d", i)), SubnetId: s("subnet-pub"),
			PublicIpAddress: s(fmt.Sprintf("54.0.%d.%d", i/256, i%256)), SecurityGroups: []ec2types.GroupIdentifier{{GroupId: s("sg-web")}},
			Tags: []ec2types.Tag{{Key: s("Name"), Value: s(fmt.Sprintf("host-%d", i))}}})
	}
	r.sgs = []ec2types.SecurityGroup{{GroupId: s("sg-web"), GroupName: s("web"), IpPermissions: []ec2types.IpPermission{
		{IpProtocol: s("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []ec2types.IpRange{{CidrIp: s("0.0.0.0/0")}}}}}}
	r.subnets = []ec2types.Subnet{{SubnetId: s("subnet-pub"), VpcId: s("vpc")}}
	r.routeTables = []ec2types.RouteTable{{RouteTableId: s("rt"), VpcId: s("vpc"), Associations: []ec2types.RouteTableAssociation{{Main: aws.Bool(true)}},
		Routes: []ec2types.Route{{DestinationCidrBlock: s("0.0.0.0/0"), GatewayId: s("igw-1")}}}}
	for i := range 1000 {
		r.buckets = append(r.buckets, bucket{name: fmt.Sprintf("bucket-%d", i), region: "us-east-1"})
		name := fmt.Sprintf("role-%d", i)
		ro := role{role: iamtypes.Role{RoleName: s(name), Arn: s("arn:aws:iam::123456789012:role/" + name)},
			inline: map[string]string{"data": fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
				{"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem"],"Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/table-%d"},
				{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-%d*/*"}]}`, i%500, i%100)}}
		if i%50 == 0 {
			ro.attached = []string{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}
		}
		r.roles = append(r.roles, ro)
	}
	for i := range 2000 {
		name := fmt.Sprintf("fn-%d", i)
		r.functions = append(r.functions, function{cfg: lambdatypes.FunctionConfiguration{FunctionName: s(name),
			FunctionArn: s("arn:aws:lambda:us-east-1:123456789012:function:" + name), Role: s(fmt.Sprintf("arn:aws:iam::123456789012:role/role-%d", i%1000)),
			Environment: &lambdatypes.EnvironmentResponse{Variables: map[string]string{
				"TABLE": fmt.Sprintf("table-%d", i%500), "BUCKET": fmt.Sprintf("s3://bucket-%d/in/", i%1000),
				"API_KEY": fmt.Sprintf("k-%d-secret", i), "UPSTREAM": "https://api.partner.io/v2"}}}})
	}
	return &inventory{account: "123456789012", regions: map[string]*regionInv{"us-east-1": r}}
}

// BenchmarkBuild measures turning a large account's API answers into the
// batch (policy expansion against every discovered resource included).
func BenchmarkBuild(b *testing.B) {
	inv := largeAccount()
	b.ReportAllocs()
	var nodes, edges int
	for b.Loop() {
		c := discovery.NewCollector("aws")
		newBuilder(inv, c, "aws").build()
		batch, _ := c.Batch(graph.Scope{Source: "aws", Key: "k"}, "r")
		nodes, edges = len(batch.Nodes), len(batch.Edges)
	}
	b.ReportMetric(float64(nodes), "nodes")
	b.ReportMetric(float64(edges), "edges")
}

// BenchmarkDiscoverFake measures a whole run of the test estate through
// the SDK against the local fake (about 90 API calls).
func BenchmarkDiscoverFake(b *testing.B) {
	s := awsfake.New(estate)
	defer s.Close()
	for b.Loop() {
		rep, err := Discover(context.Background(), Options{Config: s.Config(), Regions: []string{"us-east-1"}, Timeout: 10 * time.Second, Concurrency: 4})
		if err != nil || len(rep.Errors) > 0 {
			b.Fatal(err, rep.Errors)
		}
	}
}
