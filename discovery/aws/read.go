package aws

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	ag2types "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"
)

// inventory is what the reads returned, by region (global services are
// kept under the first region).
type inventory struct {
	account string
	regions map[string]*regionInv
}

// regionInv holds the raw API objects of one region. Each service's read
// fills its own fields in a scratch regionInv that is merged only when the
// read succeeded.
type regionInv struct {
	region, account string

	restAPIs     []restAPI
	httpAPIs     []httpAPI
	functions    []function
	lbs          []elbtypes.LoadBalancer
	listeners    []elbtypes.Listener
	targetGroups []targetGroup
	ecsServices  []ecsService
	instances    []ec2types.Instance
	sgs          []ec2types.SecurityGroup
	subnets      []ec2types.Subnet
	routeTables  []ec2types.RouteTable
	dbInstances  []rdstypes.DBInstance
	dbClusters   []rdstypes.DBCluster
	tables       []string
	buckets      []bucket
	roles        []role
	profiles     []iamtypes.InstanceProfile
}

func (r *regionInv) merge(o *regionInv) {
	r.restAPIs = append(r.restAPIs, o.restAPIs...)
	r.httpAPIs = append(r.httpAPIs, o.httpAPIs...)
	r.functions = append(r.functions, o.functions...)
	r.lbs = append(r.lbs, o.lbs...)
	r.listeners = append(r.listeners, o.listeners...)
	r.targetGroups = append(r.targetGroups, o.targetGroups...)
	r.ecsServices = append(r.ecsServices, o.ecsServices...)
	r.instances = append(r.instances, o.instances...)
	r.sgs = append(r.sgs, o.sgs...)
	r.subnets = append(r.subnets, o.subnets...)
	r.routeTables = append(r.routeTables, o.routeTables...)
	r.dbInstances = append(r.dbInstances, o.dbInstances...)
	r.dbClusters = append(r.dbClusters, o.dbClusters...)
	r.tables = append(r.tables, o.tables...)
	r.buckets = append(r.buckets, o.buckets...)
	r.roles = append(r.roles, o.roles...)
	r.profiles = append(r.profiles, o.profiles...)
}

type restAPI struct {
	api         agtypes.RestApi
	resources   []agtypes.Resource
	authorizers []agtypes.Authorizer
	stages      []agtypes.Stage
}

type httpAPI struct {
	api          ag2types.Api
	routes       []ag2types.Route
	integrations []ag2types.Integration
	authorizers  []ag2types.Authorizer
}

type function struct {
	cfg     lambdatypes.FunctionConfiguration
	urlAuth string // "" when the function has no URL
	url     string
}

type targetGroup struct {
	tg      elbtypes.TargetGroup
	targets []elbtypes.TargetDescription
}

type ecsService struct {
	svc     ecstypes.Service
	taskDef *ecstypes.TaskDefinition
}

type bucket struct {
	name, region string
	policy       string // "" when none
	pab          *s3types.PublicAccessBlockConfiguration
	grants       []s3types.Grant
}

type role struct {
	role     iamtypes.Role
	inline   map[string]string // policy name → document (decoded)
	attached []string          // policy ARNs
	managed  map[string]string // customer-managed policy ARN → default version document
}

// clients builds the service clients of one region from a shared config.
type clients struct{ cfg aws.Config }

func newClients(cfg aws.Config, region string) *clients {
	c := cfg.Copy()
	c.Region = region
	return &clients{cfg: c}
}

func (c *clients) apigateway() *apigateway.Client     { return apigateway.NewFromConfig(c.cfg) }
func (c *clients) apigatewayv2() *apigatewayv2.Client { return apigatewayv2.NewFromConfig(c.cfg) }
func (c *clients) lambda() *lambda.Client             { return lambda.NewFromConfig(c.cfg) }
func (c *clients) elb() *elb.Client                   { return elb.NewFromConfig(c.cfg) }
func (c *clients) ecs() *ecs.Client                   { return ecs.NewFromConfig(c.cfg) }
func (c *clients) ec2() *ec2.Client                   { return ec2.NewFromConfig(c.cfg) }
func (c *clients) rds() *rds.Client                   { return rds.NewFromConfig(c.cfg) }
func (c *clients) dynamodb() *dynamodb.Client         { return dynamodb.NewFromConfig(c.cfg) }
func (c *clients) iam() *iam.Client                   { return iam.NewFromConfig(c.cfg) }

func (c *clients) s3(region string) *s3.Client {
	cfg := c.cfg.Copy()
	if region != "" {
		cfg.Region = region
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		// A custom endpoint (LocalStack, tests) serves buckets by path.
		o.UsePathStyle = cfg.BaseEndpoint != nil
	})
}

func readRestAPIs(ctx context.Context, c *clients, out *regionInv) error {
	cl := c.apigateway()
	p := apigateway.NewGetRestApisPaginator(cl, &apigateway.GetRestApisInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("GetRestApis: %w", err)
		}
		for _, a := range page.Items {
			ra := restAPI{api: a}
			rp := apigateway.NewGetResourcesPaginator(cl, &apigateway.GetResourcesInput{RestApiId: a.Id, Embed: []string{"methods"}})
			for rp.HasMorePages() {
				rpage, err := rp.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("GetResources %s: %w", aws.ToString(a.Id), err)
				}
				ra.resources = append(ra.resources, rpage.Items...)
			}
			var pos *string
			for {
				au, err := cl.GetAuthorizers(ctx, &apigateway.GetAuthorizersInput{RestApiId: a.Id, Position: pos})
				if err != nil {
					return fmt.Errorf("GetAuthorizers %s: %w", aws.ToString(a.Id), err)
				}
				ra.authorizers = append(ra.authorizers, au.Items...)
				if aws.ToString(au.Position) == "" {
					break
				}
				pos = au.Position
			}
			st, err := cl.GetStages(ctx, &apigateway.GetStagesInput{RestApiId: a.Id})
			if err != nil {
				return fmt.Errorf("GetStages %s: %w", aws.ToString(a.Id), err)
			}
			ra.stages = st.Item
			out.restAPIs = append(out.restAPIs, ra)
		}
	}
	return nil
}

func readHTTPAPIs(ctx context.Context, c *clients, out *regionInv) error {
	cl := c.apigatewayv2()
	var tok *string
	for {
		page, err := cl.GetApis(ctx, &apigatewayv2.GetApisInput{NextToken: tok})
		if err != nil {
			return fmt.Errorf("GetApis: %w", err)
		}
		for _, a := range page.Items {
			ha := httpAPI{api: a}
			var t *string
			for {
				r, err := cl.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: a.ApiId, NextToken: t})
				if err != nil {
					return fmt.Errorf("GetRoutes %s: %w", aws.ToString(a.ApiId), err)
				}
				ha.routes = append(ha.routes, r.Items...)
				if t = r.NextToken; aws.ToString(t) == "" {
					break
				}
			}
			t = nil
			for {
				r, err := cl.GetIntegrations(ctx, &apigatewayv2.GetIntegrationsInput{ApiId: a.ApiId, NextToken: t})
				if err != nil {
					return fmt.Errorf("GetIntegrations %s: %w", aws.ToString(a.ApiId), err)
				}
				ha.integrations = append(ha.integrations, r.Items...)
				if t = r.NextToken; aws.ToString(t) == "" {
					break
				}
			}
			t = nil
			for {
				r, err := cl.GetAuthorizers(ctx, &apigatewayv2.GetAuthorizersInput{ApiId: a.ApiId, NextToken: t})
				if err != nil {
					return fmt.Errorf("GetAuthorizers %s: %w", aws.ToString(a.ApiId), err)
				}
				ha.authorizers = append(ha.authorizers, r.Items...)
				if t = r.NextToken; aws.ToString(t) == "" {
					break
				}
			}
			out.httpAPIs = append(out.httpAPIs, ha)
		}
		if tok = page.NextToken; aws.ToString(tok) == "" {
			return nil
		}
	}
}

func readFunctions(ctx context.Context, c *clients, out *regionInv) error {
	cl := c.lambda()
	p := lambda.NewListFunctionsPaginator(cl, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListFunctions: %w", err)
		}
		for _, f := range page.Functions {
			out.functions = append(out.functions, function{cfg: f})
		}
	}
	return each(ctx, len(out.functions), func(ctx context.Context, i int) error {
		fn := &out.functions[i]
		u, err := cl.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: fn.cfg.FunctionName})
		var nf *lambdatypes.ResourceNotFoundException
		switch {
		case errors.As(err, &nf): // no function URL
		case err != nil:
			return fmt.Errorf("GetFunctionUrlConfig %s: %w", aws.ToString(fn.cfg.FunctionName), err)
		default:
			fn.urlAuth, fn.url = string(u.AuthType), aws.ToString(u.FunctionUrl)
		}
		return nil
	})
}

// innerConcurrency bounds the per-resource calls one service read makes
// at once (a role's policies, a bucket's policy and ACL): an account with
// a thousand roles must not take a thousand round trips in a row, nor
// fire them all at once into the API's rate limit.
const innerConcurrency = 8

// each runs fn for 0..n-1, at most innerConcurrency at a time, and
// returns the first error (cancelling the others).
func each(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(innerConcurrency)
	for i := range n {
		g.Go(func() error { return fn(ctx, i) })
	}
	return g.Wait()
}

func readLoadBalancers(ctx context.Context, c *clients, out *regionInv) error {
	cl := c.elb()
	p := elb.NewDescribeLoadBalancersPaginator(cl, &elb.DescribeLoadBalancersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("DescribeLoadBalancers: %w", err)
		}
		out.lbs = append(out.lbs, page.LoadBalancers...)
	}
	for _, lb := range out.lbs {
		lp := elb.NewDescribeListenersPaginator(cl, &elb.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})
		for lp.HasMorePages() {
			page, err := lp.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("DescribeListeners %s: %w", aws.ToString(lb.LoadBalancerName), err)
			}
			out.listeners = append(out.listeners, page.Listeners...)
		}
	}
	tp := elb.NewDescribeTargetGroupsPaginator(cl, &elb.DescribeTargetGroupsInput{})
	for tp.HasMorePages() {
		page, err := tp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("DescribeTargetGroups: %w", err)
		}
		for _, tg := range page.TargetGroups {
			th, err := cl.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
			if err != nil {
				return fmt.Errorf("DescribeTargetHealth %s: %w", aws.ToString(tg.TargetGroupName), err)
			}
			t := targetGroup{tg: tg}
			for _, d := range th.TargetHealthDescriptions {
				if d.Target != nil {
					t.targets = append(t.targets, *d.Target)
				}
			}
			out.targetGroups = append(out.targetGroups, t)
		}
	}
	return nil
}

func readECS(ctx context.Context, c *clients, out *regionInv) error {
	cl := c.ecs()
	taskDefs := map[string]*ecstypes.TaskDefinition{}
	cp := ecs.NewListClustersPaginator(cl, &ecs.ListClustersInput{})
	for cp.HasMorePages() {
		page, err := cp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListClusters: %w", err)
		}
		for _, cluster := range page.ClusterArns {
			var arns []string
			sp := ecs.NewListServicesPaginator(cl, &ecs.ListServicesInput{Cluster: aws.String(cluster)})
			for sp.HasMorePages() {
				sPage, err := sp.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("ListServices %s: %w", cluster, err)
				}
				arns = append(arns, sPage.ServiceArns...)
			}
			// DescribeServices takes at most 10 services per call.
			for i := 0; i < len(arns); i += 10 {
				batch := arns[i:min(i+10, len(arns))]
				d, err := cl.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: batch})
				if err != nil {
					return fmt.Errorf("DescribeServices %s: %w", cluster, err)
				}
				for _, s := range d.Services {
					td := aws.ToString(s.TaskDefinition)
					if _, ok := taskDefs[td]; !ok && td != "" {
						t, err := cl.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: s.TaskDefinition})
						if err != nil {
							return fmt.Errorf("DescribeTaskDefinition %s: %w", td, err)
						}
						taskDefs[td] = t.TaskDefinition
					}
					out.ecsServices = append(out.ecsServices, ecsService{svc: s, taskDef: taskDefs[td]})
				}
			}
		}
	}
	return nil
}

func readEC2(ctx context.Context, c *clients, out *regionInv) error {
	cl := c.ec2()
	ip := ec2.NewDescribeInstancesPaginator(cl, &ec2.DescribeInstancesInput{})
	for ip.HasMorePages() {
		page, err := ip.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("DescribeInstances: %w", err)
		}
		for _, r := range page.Reservations {
			for _, in := range r.Instances {
				if in.State != nil && (in.State.Name == ec2types.InstanceStateNameTerminated || in.State.Name == ec2types.InstanceStateNameShuttingDown) {
					continue
				}
				out.instances = append(out.instances, in)
			}
		}
	}
	sp := ec2.NewDescribeSecurityGroupsPaginator(cl, &ec2.DescribeSecurityGroupsInput{})
	for sp.HasMorePages() {
		page, err := sp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("DescribeSecurityGroups: %w", err)
		}
		out.sgs = append(out.sgs, page.SecurityGroups...)
	}
	np := ec2.NewDescribeSubnetsPaginator(cl, &ec2.DescribeSubnetsInput{})
	for np.HasMorePages() {
		page, err := np.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("DescribeSubnets: %w", err)
		}
		out.subnets = append(out.subnets, page.Subnets...)
	}
	rp := ec2.NewDescribeRouteTablesPaginator(cl, &ec2.DescribeRouteTablesInput{})
	for rp.HasMorePages() {
		page, err := rp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("DescribeRouteTables: %w", err)
		}
		out.routeTables = append(out.routeTables, page.RouteTables...)
	}
	return nil
}

func readRDS(ctx context.Context, c *clients, out *regionInv) error {
	cl := c.rds()
	ip := rds.NewDescribeDBInstancesPaginator(cl, &rds.DescribeDBInstancesInput{})
	for ip.HasMorePages() {
		page, err := ip.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("DescribeDBInstances: %w", err)
		}
		out.dbInstances = append(out.dbInstances, page.DBInstances...)
	}
	cp := rds.NewDescribeDBClustersPaginator(cl, &rds.DescribeDBClustersInput{})
	for cp.HasMorePages() {
		page, err := cp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("DescribeDBClusters: %w", err)
		}
		out.dbClusters = append(out.dbClusters, page.DBClusters...)
	}
	return nil
}

func readDynamoDB(ctx context.Context, c *clients, out *regionInv) error {
	p := dynamodb.NewListTablesPaginator(c.dynamodb(), &dynamodb.ListTablesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListTables: %w", err)
		}
		out.tables = append(out.tables, page.TableNames...)
	}
	return nil
}

// apiCode is the error code of an API error ("" for other errors).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func readS3(ctx context.Context, c *clients, out *regionInv) error {
	home := c.s3("")
	p := s3.NewListBucketsPaginator(home, &s3.ListBucketsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListBuckets: %w", err)
		}
		for _, b := range page.Buckets {
			out.buckets = append(out.buckets, bucket{name: aws.ToString(b.Name), region: aws.ToString(b.BucketRegion)})
		}
	}
	return each(ctx, len(out.buckets), func(ctx context.Context, i int) error {
		bk := &out.buckets[i]
		name := aws.String(bk.name)
		if bk.region == "" {
			loc, err := home.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: name})
			if err != nil {
				return fmt.Errorf("GetBucketLocation %s: %w", bk.name, err)
			}
			// An empty constraint is us-east-1, for historical reasons.
			bk.region = string(loc.LocationConstraint)
			if bk.region == "" {
				bk.region = "us-east-1"
			}
		}
		// A bucket answers only in its own region.
		cl := c.s3(bk.region)
		pol, err := cl.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: name})
		switch {
		case apiCode(err) == "NoSuchBucketPolicy":
		case err != nil:
			return fmt.Errorf("GetBucketPolicy %s: %w", bk.name, err)
		default:
			bk.policy = aws.ToString(pol.Policy)
		}
		pab, err := cl.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: name})
		switch {
		case apiCode(err) == "NoSuchPublicAccessBlockConfiguration":
		case err != nil:
			return fmt.Errorf("GetPublicAccessBlock %s: %w", bk.name, err)
		default:
			bk.pab = pab.PublicAccessBlockConfiguration
		}
		acl, err := cl.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: name})
		if err != nil {
			return fmt.Errorf("GetBucketAcl %s: %w", bk.name, err)
		}
		bk.grants = acl.Grants
		return nil
	})
}

func readIAM(ctx context.Context, c *clients, out *regionInv) error {
	cl := c.iam()
	p := iam.NewListRolesPaginator(cl, &iam.ListRolesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListRoles: %w", err)
		}
		for _, r := range page.Roles {
			out.roles = append(out.roles, role{role: r, inline: map[string]string{}, managed: map[string]string{}})
		}
	}
	// Customer-managed policies are shared between roles: each is read once.
	var mu sync.Mutex
	managed := map[string]*policyDoc{}
	err := each(ctx, len(out.roles), func(ctx context.Context, i int) error {
		ro := &out.roles[i]
		rn := ro.role.RoleName
		ip := iam.NewListRolePoliciesPaginator(cl, &iam.ListRolePoliciesInput{RoleName: rn})
		for ip.HasMorePages() {
			ipage, err := ip.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("ListRolePolicies %s: %w", aws.ToString(rn), err)
			}
			for _, pn := range ipage.PolicyNames {
				doc, err := cl.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: rn, PolicyName: aws.String(pn)})
				if err != nil {
					return fmt.Errorf("GetRolePolicy %s/%s: %w", aws.ToString(rn), pn, err)
				}
				ro.inline[pn] = policyText(aws.ToString(doc.PolicyDocument))
			}
		}
		ap := iam.NewListAttachedRolePoliciesPaginator(cl, &iam.ListAttachedRolePoliciesInput{RoleName: rn})
		for ap.HasMorePages() {
			apage, err := ap.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("ListAttachedRolePolicies %s: %w", aws.ToString(rn), err)
			}
			for _, a := range apage.AttachedPolicies {
				arn := aws.ToString(a.PolicyArn)
				ro.attached = append(ro.attached, arn)
				if strings.Contains(arn, ":iam::aws:policy/") {
					continue // AWS managed: awsiam.Managed knows the ones that matter
				}
				mu.Lock()
				pd, ok := managed[arn]
				if !ok {
					pd = &policyDoc{}
					managed[arn] = pd
				}
				mu.Unlock()
				doc, err := pd.get(func() (string, error) { return readManagedPolicy(ctx, cl, a.PolicyArn) })
				if err != nil {
					return err
				}
				ro.managed[arn] = doc
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	pp := iam.NewListInstanceProfilesPaginator(cl, &iam.ListInstanceProfilesInput{})
	for pp.HasMorePages() {
		page, err := pp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListInstanceProfiles: %w", err)
		}
		out.profiles = append(out.profiles, page.InstanceProfiles...)
	}
	return nil
}

// policyDoc is a customer-managed policy's document, read once however
// many roles attach it.
type policyDoc struct {
	once sync.Once
	doc  string
	err  error
}

func (p *policyDoc) get(read func() (string, error)) (string, error) {
	p.once.Do(func() { p.doc, p.err = read() })
	return p.doc, p.err
}

func readManagedPolicy(ctx context.Context, cl *iam.Client, arn *string) (string, error) {
	pol, err := cl.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn})
	if err != nil {
		return "", fmt.Errorf("GetPolicy %s: %w", aws.ToString(arn), err)
	}
	v, err := cl.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: pol.Policy.DefaultVersionId})
	if err != nil {
		return "", fmt.Errorf("GetPolicyVersion %s: %w", aws.ToString(arn), err)
	}
	return policyText(aws.ToString(v.PolicyVersion.Document)), nil
}

// policyText decodes a policy document as IAM returns it: URL-encoded
// JSON (RFC 3986). A document that is already JSON is returned unchanged.
func policyText(s string) string {
	if strings.HasPrefix(strings.TrimSpace(s), "{") {
		return s
	}
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}
