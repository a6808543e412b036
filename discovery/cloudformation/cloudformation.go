// Package cloudformation discovers AWS infrastructure from CloudFormation
// and SAM templates (YAML with the !Ref/!GetAtt/!Sub short tags, or JSON).
//
// Parameters take their defaults; SSM-backed parameters, pseudo parameters
// (AWS::Region, AWS::AccountId), conditions and imports are unknown and
// never guessed: a resource without a literal name is named
// "<stack>/<LogicalId>", where the stack is the template's directory.
//
// What it finds, in the collector's environment ("aws" if none), with the
// same kinds and property names as the Terraform agent plus "logicalId"
// and "stack" (findings importers attach Checkov/cfn-lint results by
// logical id):
//
//   - DataStore for DynamoDB tables (and SAM SimpleTables), S3 buckets, RDS instances and
//     clusters, Redshift, ElastiCache, Elasticsearch/OpenSearch domains,
//     Neptune clusters and Cognito user pools; encrypted, public (joined:
//     PubliclyAccessible, a public subnet and a security group admitting
//     the world), publicReason, misconfigurations;
//   - Service for Lambda and SAM functions (workload "lambda", runtime,
//     envKeys, secretEnvKeys, triggers from SAM Events), EC2 instances
//     (exposure joined as for Terraform), ECS services (RUNS_AS their task
//     role, envKeys and secretEnvKeys of their containers) and EKS clusters
//     (public API endpoint by default); CALLS to a ThirdParty for
//     environment URLs naming an external host;
//   - Gateway (type "api-gateway") for SAM Api/HttpApi (explicit and the
//     implicit ServerlessRestApi), API Gateway REST and v2 APIs and AppSync
//     GraphQL APIs; Gateway (type "load-balancer") for load balancers;
//     Internet -ROUTES_TO-> public ones, gateway -ROUTES_TO-> function for
//     every Api event and integration (method and pathPrefixes);
//   - Identity for IAM users (accessKeys) and roles, including the role SAM creates for a function
//     ("<LogicalId>Role"), RUNS_AS from functions, CAN_ACCESS from inline
//     policies, AWS::IAM::Policy resources, SAM policy templates
//     (DynamoDBReadPolicy, S3CrudPolicy, …) and well-known managed
//     policies;
//   - READS/WRITES from a function to the tables and buckets its role
//     grants it (read or write actions decide which), or that its
//     environment names when its permissions are unknown, and READS from
//     DynamoDB/Kinesis/SQS stream events.
//
// Roles are keyed graph.IdentityID("aws", "role/NAME") with NAME the
// RoleName or "<stack>/<LogicalId>" (the ARN needs the account id). A
// resource with a Condition keeps it in "condition": whether it is
// deployed depends on parameters at deploy time.
//
// References between stacks are joined by the CrossStack linker: an SSM
// parameter one template publishes (AWS::SSM::Parameter whose Value names
// a resource) and another consumes (a parameter of type
// AWS::SSM::Parameter::Value<String> with that name as its default, or
// {{resolve:ssm:NAME}}), and Outputs exports read with Fn::ImportValue,
// when the names are known statically.
//
// An API's OpenAPI definition included with AWS::Include or DefinitionUri,
// and an AppSync API's schema given as a local DefinitionS3Location, are
// recorded in "definitionFile"; the Specs linker routes the gateway to
// every operation read from that file.
package cloudformation

import (
	"bytes"
	"context"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/internal/awsiam"
	"github.com/riskgraph/riskgraph/discovery/internal/endpoint"
	"github.com/riskgraph/riskgraph/graph"
)

// AgentName is the agent's name in evidence.
const AgentName = "cloudformation"

// MaxSize is the largest template read (CloudFormation's own limit is 1 MB).
const MaxSize = 8 << 20

// Agent reads CloudFormation and SAM templates.
type Agent struct{}

func (Agent) Name() string { return AgentName }

// Detect accepts YAML or JSON files declaring a template format version or
// a SAM transform, or with Resources whose types are AWS:: types.
func (Agent) Detect(f *discovery.File) bool {
	ext := strings.ToLower(path.Ext(f.Path))
	switch ext {
	case ".yaml", ".yml", ".json", ".template", ".cfn":
	default:
		return false
	}
	d := f.Data
	if len(d) > 64<<10 {
		d = d[:64<<10]
	}
	if bytes.Contains(d, []byte("AWSTemplateFormatVersion")) || bytes.Contains(d, []byte("AWS::Serverless-2016-10-31")) {
		return true
	}
	// Resources at the top level: a line starting "Resources:" in YAML (a
	// Serverless Framework file nests it under "resources:"), or a JSON
	// object with AWS:: types.
	topLevel := bytes.HasPrefix(d, []byte("Resources:")) || bytes.Contains(d, []byte("\nResources:"))
	if topLevel && yamlAWSType.Match(d) {
		return true
	}
	return bytes.Contains(d, []byte(`"Resources"`)) && (bytes.Contains(d, []byte(`"Type": "AWS::`)) || bytes.Contains(d, []byte(`"Type":"AWS::`)))
}

// yamlAWSType is a resource type in YAML, bare or quoted ('AWS::S3::Bucket').
var yamlAWSType = regexp.MustCompile(`Type:[ \t]*['"]?AWS::`)

// Read parses one template and adds what it declares to c.
func (Agent) Read(ctx context.Context, f *discovery.File, c *discovery.Collector) error {
	if len(f.Data) > MaxSize {
		return discovery.Errorf(f.Path, 0, "template is %d bytes, larger than the %d read", len(f.Data), MaxSize)
	}
	t, err := parse(f.Path, f.Data)
	if err != nil {
		return err
	}
	env := c.Env()
	if env == "" {
		env = "aws"
	}
	stack := path.Base(path.Dir(f.Path))
	if stack == "." || stack == "/" || stack == "" {
		stack = strings.TrimSuffix(path.Base(f.Path), path.Ext(f.Path))
	}
	b := &builder{t: t, c: c, env: env, stack: stack, file: f.Path, nodes: map[string]*nodeRef{}, roles: map[string]string{}}
	b.build()
	for _, e := range t.unknownTags {
		c.AddError(e)
	}
	return ctx.Err()
}

type nodeRef struct {
	ID    graph.ID
	Kind  graph.Kind
	Name  string
	IAM   string
	Line  int
	LID   string
	Props graph.Props
}

type builder struct {
	t     *template
	c     *discovery.Collector
	env   string
	stack string
	file  string
	nodes map[string]*nodeRef // logical id → node
	roles map[string]string   // function logical id → role logical id
	stmts map[string][]awsiam.Statement
}

func (b *builder) src(line int, detail string) []graph.Source {
	return []graph.Source{{Agent: AgentName, File: b.file, Line: line, Detail: detail}}
}

func (b *builder) props(r *resource) graph.Props {
	return graph.Props{"logicalId": r.ID, "resourceType": r.Type, "stack": b.stack, "provider": "aws"}
}

// name returns the literal name property, or "<stack>/<LogicalId>".
func (b *builder) name(r *resource, attr string) string {
	if attr != "" {
		if v, ok := b.t.str(r.Props, attr); ok && v != "" {
			return v
		}
	}
	return b.stack + "/" + r.ID
}

func (b *builder) add(r *resource, kind graph.Kind, name, iam string, p graph.Props) *nodeRef {
	var id graph.ID
	switch kind {
	case graph.DataStore:
		id = graph.DataStoreID(b.env, name)
	case graph.Service:
		id = graph.ServiceID(b.env, name)
	case graph.Gateway:
		id = graph.GatewayID(b.env, name)
	case graph.Identity:
		id = graph.IdentityID("aws", "role/"+name)
	}
	if cond, ok := r.Raw["Condition"].(string); ok {
		// Deployed only when the condition holds, which depends on
		// parameters at deploy time.
		p["condition"] = cond
	}
	n := &nodeRef{ID: id, Kind: kind, Name: name, IAM: iam, Line: r.Line, LID: r.ID, Props: p}
	b.nodes[r.ID] = n
	return n
}

func (b *builder) build() {
	t := b.t
	b.stmts = map[string][]awsiam.Statement{}
	for _, id := range t.order {
		r := t.resources[id]
		switch r.Type {
		case "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable", "AWS::Serverless::SimpleTable":
			p := b.props(r)
			p["engine"], p["managed"], p["encrypted"], p["public"] = "dynamodb", true, true, false
			if sse := mapOf(r.Props["SSESpecification"]); sse != nil {
				if v, _, k := t.boolean(sse, "SSEEnabled"); k {
					p["customerManagedKey"] = v
				}
			}
			var keys []string
			for _, a := range listOf(r.Props["AttributeDefinitions"]) {
				if n, ok := t.str(mapOf(a), "AttributeName"); ok {
					keys = append(keys, n)
				}
			}
			if n, ok := t.str(mapOf(r.Props["PrimaryKey"]), "Name"); ok {
				keys = append(keys, n) // SimpleTable: one key, "id" unless PrimaryKey names it
			} else if r.Type == "AWS::Serverless::SimpleTable" {
				keys = append(keys, "id")
			}
			if len(keys) > 0 {
				p["keyAttributes"] = keys
			}
			b.add(r, graph.DataStore, b.name(r, "TableName"), "dynamodb", p)
		case "AWS::S3::Bucket":
			b.bucket(r)
		case "AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::Neptune::DBCluster", "AWS::DocDB::DBCluster":
			b.database(r)
		case "AWS::Elasticsearch::Domain", "AWS::OpenSearchService::Domain":
			b.search(r)
		case "AWS::Cognito::UserPool":
			p := b.props(r)
			p["engine"], p["managed"], p["public"] = "cognito", true, false
			b.add(r, graph.DataStore, b.name(r, "UserPoolName"), "cognito-idp", p)
		case "AWS::Serverless::Function", "AWS::Lambda::Function":
			b.function(r)
		case "AWS::EC2::Instance":
			b.instance(r)
		case "AWS::ECS::Service":
			b.ecsService(r)
		case "AWS::Serverless::Api", "AWS::ApiGateway::RestApi", "AWS::Serverless::HttpApi", "AWS::ApiGatewayV2::Api":
			b.api(r)
		case "AWS::AppSync::GraphQLApi":
			b.appsync(r)
		case "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancing::LoadBalancer":
			b.loadBalancer(r)
		case "AWS::EKS::Cluster":
			p := b.props(r)
			p["workload"] = "eks-cluster"
			vc := mapOf(r.Props["ResourcesVpcConfig"])
			pub, set, k := t.boolean(vc, "EndpointPublicAccess")
			if !set {
				pub, k = true, true // the AWS default
			}
			cidrs := awsiam.Strings(t.resolve(vc["PublicAccessCidrs"]))
			if vc["PublicAccessCidrs"] == nil {
				cidrs = []string{"0.0.0.0/0"}
			}
			n := b.add(r, graph.Service, b.name(r, "Name"), "eks", p)
			if k {
				p["endpointPublicAccess"] = pub
			}
			if pub && k && slices.ContainsFunc(cidrs, worldCIDR) {
				p["openPorts"] = []string{"tcp:443"}
				p["misconfigurations"] = []string{"public-api-endpoint"}
				e := graph.NewEdge(graph.RoutesTo, graph.InternetID, n.ID)
				e.Props = graph.Props{"port": int64(443)}
				e.Sources = b.src(r.Line, r.ID+": public API endpoint open to 0.0.0.0/0")
				b.c.AddEdge(AgentName, e)
			}
			if roles := t.refsIn(t.resolve(r.Props["RoleArn"])); len(roles) > 0 {
				b.roles[r.ID] = roles[0]
			}
		case "AWS::Redshift::Cluster":
			b.database(r)
		case "AWS::ElastiCache::CacheCluster", "AWS::ElastiCache::ReplicationGroup":
			p := b.props(r)
			engine, _ := t.str(r.Props, "Engine")
			if engine == "" {
				engine = "redis"
			}
			p["engine"], p["managed"], p["public"] = engine, true, false
			p["publicReason"] = "ElastiCache nodes are reachable only from inside their VPC"
			if v, _, k := t.boolean(r.Props, "AtRestEncryptionEnabled"); k {
				p["encrypted"] = v
			}
			misconf(p)
			nameAttr := "ClusterName"
			if strings.HasSuffix(r.Type, "ReplicationGroup") {
				nameAttr = "ReplicationGroupId"
			}
			b.add(r, graph.DataStore, b.name(r, nameAttr), "elasticache", p)
		case "AWS::IAM::User":
			p := b.props(r)
			p["type"] = "iam-user"
			n := b.add(r, graph.Identity, b.name(r, "UserName"), "iam", p)
			n.ID = graph.IdentityID("aws", "user/"+n.Name)
			b.rolePolicies(r)
			for _, id := range t.order {
				k := t.resources[id]
				if k.Type == "AWS::IAM::AccessKey" && contains(t.refsIn(t.resolve(k.Props["UserName"])), r.ID) {
					p["accessKeys"] = true
				}
			}
		case "AWS::IAM::Role":
			p := b.props(r)
			p["type"] = "iam-role"
			if doc := t.resolve(r.Props["AssumeRolePolicyDocument"]); doc != nil {
				var by []string
				for _, s := range awsiam.FromValue(doc) {
					by = append(by, s.Principals...)
				}
				if len(by) > 0 {
					sort.Strings(by)
					p["assumedBy"] = by
				}
			}
			b.add(r, graph.Identity, b.name(r, "RoleName"), "iam", p)
			b.rolePolicies(r)
		}
	}
	b.schemas()
	b.implicitApis()
	b.policies()
	b.events()
	b.integrations()
	b.lbRoutes()
	b.access()
	b.envFlows()
	b.crossStack()
	for _, id := range sortedKeys(b.nodes) {
		n := b.nodes[id]
		if n.Kind == graph.Identity {
			n.Props["provider"] = "aws"
		}
		b.c.AddNode(AgentName, graph.Node{ID: n.ID, Kind: n.Kind, Name: n.Name, Env: b.env, Props: n.Props,
			Sources: b.src(n.Line, n.LID+" ("+b.t.resources[n.LID].Type+")")})
	}
}

// worldCIDR reports whether a CIDR admits every address: 0.0.0.0/0 and
// ::/0, but also any prefix of length 0 ("192.168.1.0/0" is the whole
// internet, whatever its address bits).
func worldCIDR(c string) bool {
	p, err := netip.ParsePrefix(strings.TrimSpace(c))
	return err == nil && p.Bits() == 0
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (b *builder) bucket(r *resource) {
	t := b.t
	p := b.props(r)
	p["engine"], p["managed"] = "s3", true
	p["encrypted"] = r.Props["BucketEncryption"] != nil
	p["versioning"] = false
	if vc := mapOf(r.Props["VersioningConfiguration"]); vc != nil {
		s, _ := t.str(vc, "Status")
		p["versioning"] = s == "Enabled"
	}
	p["accessLogging"] = r.Props["LoggingConfiguration"] != nil
	blockACL, blockPolicy := false, false
	if pab := mapOf(r.Props["PublicAccessBlockConfiguration"]); pab != nil {
		for _, k := range []string{"BlockPublicAcls", "IgnorePublicAcls"} {
			if v, _, _ := t.boolean(pab, k); v {
				blockACL = true
			}
		}
		for _, k := range []string{"BlockPublicPolicy", "RestrictPublicBuckets"} {
			if v, _, _ := t.boolean(pab, k); v {
				blockPolicy = true
			}
		}
	}
	public := false
	var why []string
	if acl, ok := t.str(r.Props, "AccessControl"); ok && (acl == "PublicRead" || acl == "PublicReadWrite") {
		if blockACL {
			why = append(why, "AccessControl "+acl+" is neutralised by the public access block")
		} else {
			public = true
			why = append(why, "AccessControl "+acl)
		}
	}
	if r.Props["WebsiteConfiguration"] != nil {
		p["website"] = true
	}
	for _, id := range b.t.order {
		pol := b.t.resources[id]
		if pol.Type != "AWS::S3::BucketPolicy" {
			continue
		}
		if !contains(t.refsIn(t.resolve(pol.Props["Bucket"])), r.ID) {
			continue
		}
		sts := awsiam.FromValue(t.resolve(pol.Props["PolicyDocument"]))
		if awsiam.PublicPrincipal(sts) {
			if blockPolicy {
				why = append(why, "policy "+pol.ID+" admits Principal * but the public access block restricts it")
			} else {
				public = true
				why = append(why, "policy "+pol.ID+" admits Principal *")
			}
		}
	}
	if len(why) == 0 {
		why = append(why, "no public ACL or policy (private by default)")
	}
	p["public"], p["publicReason"] = public, strings.Join(why, "; ")
	misconf(p)
	b.add(r, graph.DataStore, b.name(r, "BucketName"), "s3", p)
}

// misconf sets misconfigurations from encrypted/public.
func misconf(p graph.Props) {
	var m []string
	if v, ok := p["encrypted"].(bool); ok && !v {
		m = append(m, "unencrypted")
	}
	if v, ok := p["public"].(bool); ok && v {
		m = append(m, "public")
	}
	if v, ok := p["publiclyAccessible"].(bool); ok && v {
		m = append(m, "publicly-accessible-flag")
	}
	if v, ok := p["plaintextSecrets"].(bool); ok && v {
		m = append(m, "plaintext-secrets")
	}
	if len(m) > 0 {
		p["misconfigurations"] = m
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (b *builder) database(r *resource) {
	t := b.t
	p := b.props(r)
	engine, _ := t.str(r.Props, "Engine")
	iam := "rds"
	switch r.Type {
	case "AWS::Neptune::DBCluster":
		engine, iam = "neptune", "neptune-db"
	case "AWS::DocDB::DBCluster":
		engine = "docdb"
	case "AWS::Redshift::Cluster":
		engine, iam = "redshift", "redshift"
	}
	encKey := "StorageEncrypted"
	if r.Type == "AWS::Redshift::Cluster" {
		encKey = "Encrypted"
	}
	enc, encSet, k := t.boolean(r.Props, encKey)
	// A cluster member or a read replica takes its storage encryption and
	// engine from the cluster or the source instance.
	for _, key := range []string{"DBClusterIdentifier", "SourceDBInstanceIdentifier"} {
		v, ok := r.Props[key]
		if !ok || r.Type != "AWS::RDS::DBInstance" {
			continue
		}
		var src *resource
		if ids := t.refsIn(t.resolve(v)); len(ids) > 0 {
			src = t.resources[ids[0]]
		}
		if !encSet {
			enc, k = false, false // unknown unless the source says
			if src != nil {
				enc, _, k = t.boolean(src.Props, "StorageEncrypted")
			}
		}
		if engine == "" && src != nil {
			engine, _ = t.str(src.Props, "Engine")
		}
	}
	p["engine"], p["managed"] = engine, true
	if k {
		p["encrypted"] = enc
	}
	le := strings.ToLower(engine)
	port := map[string]int64{"neptune": 8182, "docdb": 27017, "redshift": 5439}[le]
	if strings.Contains(le, "postgres") {
		port = 5432
	} else if strings.Contains(le, "mysql") || strings.Contains(le, "maria") || le == "aurora" {
		port = 3306
	}
	if v, ok := toInt(t.resolve(r.Props["Port"])); ok {
		port = v
	}
	if port > 0 {
		p["port"] = port
	}
	flag, flagSet, flagKnown := t.boolean(r.Props, "PubliclyAccessible")
	p["publiclyAccessible"] = flag
	switch {
	case !flagKnown:
		p["publicReason"] = "PubliclyAccessible could not be resolved"
	case !flag && flagSet:
		p["public"], p["publicReason"] = false, "PubliclyAccessible is false"
	case !flag:
		p["public"], p["publicReason"] = false, "PubliclyAccessible is not set"
	default:
		sgs := t.refsIn(t.resolve(r.Props["VPCSecurityGroups"]))
		sgs = append(sgs, t.refsIn(t.resolve(r.Props["VpcSecurityGroupIds"]))...)
		world, admitted := b.sgWorld(sgs, port)
		subPublic, subKnown := b.subnetGroupPublic(r)
		switch {
		case len(sgs) == 0:
			p["public"], p["publicReason"] = false, "PubliclyAccessible is true, but no security group of this template is attached"
		case !world:
			p["public"], p["publicReason"] = false, "PubliclyAccessible is true, but security groups "+strings.Join(sgs, ", ")+" admit only "+strings.Join(admitted, ", ")
		case subKnown && !subPublic:
			p["public"], p["publicReason"] = false, "PubliclyAccessible is true, but its subnets do not route to an internet gateway"
		case !subKnown:
			p["publicReason"] = "PubliclyAccessible is true and a security group admits the world; subnets unknown"
		default:
			p["public"], p["publicReason"] = true, "PubliclyAccessible, public subnet, and a security group admitting 0.0.0.0/0"
		}
	}
	misconf(p)
	nameAttr := "DBInstanceIdentifier"
	if strings.HasSuffix(r.Type, "DBCluster") {
		nameAttr = "DBClusterIdentifier"
	} else if r.Type == "AWS::Redshift::Cluster" {
		nameAttr = "ClusterIdentifier"
	}
	b.add(r, graph.DataStore, b.name(r, nameAttr), iam, p)
}

// sgWorld reports whether the security groups (logical ids) admit
// 0.0.0.0/0 or ::/0 on port, and lists what they admit.
func (b *builder) sgWorld(sgs []string, port int64) (bool, []string) {
	t := b.t
	world := false
	var admitted []string
	check := func(rule map[string]any) {
		from, okF := toInt(t.resolve(rule["FromPort"]))
		to, okT := toInt(t.resolve(rule["ToPort"]))
		proto, _ := t.str(rule, "IpProtocol")
		all := proto == "-1" || (!okF && !okT)
		for _, k := range []string{"CidrIp", "CidrIpv6"} {
			c, ok := t.str(rule, k)
			if !ok {
				if _, present := rule[k]; present {
					admitted = append(admitted, "an unresolved CIDR")
				}
				continue
			}
			admitted = append(admitted, c)
			if worldCIDR(c) && (all || port == 0 || (port >= from && port <= to)) {
				world = true
			}
		}
		if s := t.refsIn(t.resolve(rule["SourceSecurityGroupId"])); len(s) > 0 {
			admitted = append(admitted, s...)
		}
	}
	for _, sg := range sgs {
		r := t.resources[sg]
		if r == nil || r.Type != "AWS::EC2::SecurityGroup" {
			continue
		}
		for _, rule := range listOf(r.Props["SecurityGroupIngress"]) {
			check(mapOf(rule))
		}
		for _, id := range t.order {
			in := t.resources[id]
			if in.Type == "AWS::EC2::SecurityGroupIngress" && contains(t.refsIn(t.resolve(in.Props["GroupId"])), sg) {
				check(in.Props)
			}
		}
	}
	if len(admitted) == 0 {
		admitted = []string{"nothing"}
	}
	return world, admitted
}

// subnetGroupPublic joins a database's subnet group with route tables that
// send 0.0.0.0/0 to an internet gateway.
func (b *builder) subnetGroupPublic(r *resource) (public, isKnown bool) {
	t := b.t
	groups := t.refsIn(t.resolve(r.Props["DBSubnetGroupName"]))
	groups = append(groups, t.refsIn(t.resolve(r.Props["ClusterSubnetGroupName"]))...)
	var subnets []string
	for _, g := range groups {
		if gr := t.resources[g]; gr != nil {
			subnets = append(subnets, t.refsIn(t.resolve(gr.Props["SubnetIds"]))...)
		}
	}
	return b.subnetsPublic(subnets)
}

// subnetsPublic reports whether any of the subnets (logical ids) is
// associated with a route table sending 0.0.0.0/0 to an internet gateway;
// isKnown is false when none of them is declared in this template.
func (b *builder) subnetsPublic(subnets []string) (public, isKnown bool) {
	t := b.t
	for _, s := range subnets {
		if r := t.resources[s]; r != nil && r.Type == "AWS::EC2::Subnet" {
			isKnown = true
		}
	}
	if !isKnown {
		return false, false
	}
	igwTables := map[string]bool{}
	for _, id := range t.order {
		rt := t.resources[id]
		if rt.Type != "AWS::EC2::Route" {
			continue
		}
		dest, _ := t.str(rt.Props, "DestinationCidrBlock")
		if dest == "" {
			dest, _ = t.str(rt.Props, "DestinationIpv6CidrBlock")
		}
		if !worldCIDR(dest) {
			continue
		}
		for _, g := range t.refsIn(t.resolve(rt.Props["GatewayId"])) {
			if t.resources[g].Type == "AWS::EC2::InternetGateway" {
				for _, tab := range t.refsIn(t.resolve(rt.Props["RouteTableId"])) {
					igwTables[tab] = true
				}
			}
		}
	}
	for _, id := range t.order {
		a := t.resources[id]
		if a.Type != "AWS::EC2::SubnetRouteTableAssociation" {
			continue
		}
		for _, s := range t.refsIn(t.resolve(a.Props["SubnetId"])) {
			if !contains(subnets, s) {
				continue
			}
			for _, tab := range t.refsIn(t.resolve(a.Props["RouteTableId"])) {
				if igwTables[tab] {
					return true, true
				}
			}
		}
	}
	return false, true
}

func (b *builder) search(r *resource) {
	t := b.t
	p := b.props(r)
	engine := "elasticsearch"
	if strings.HasPrefix(r.Type, "AWS::OpenSearch") {
		engine = "opensearch"
	}
	p["engine"], p["managed"], p["port"] = engine, true, int64(443)
	p["encrypted"] = false
	if e := mapOf(r.Props["EncryptionAtRestOptions"]); e != nil {
		v, _, _ := t.boolean(e, "Enabled")
		p["encrypted"] = v
	}
	inVPC := r.Props["VPCOptions"] != nil
	open := awsiam.PublicPrincipal(awsiam.FromValue(t.resolve(r.Props["AccessPolicies"])))
	switch {
	case inVPC:
		p["public"], p["publicReason"] = false, "domain is inside a VPC"
	case open:
		p["public"], p["publicReason"] = true, "public endpoint (no VPCOptions) and an access policy admitting Principal *"
	default:
		p["public"], p["publicReason"] = false, "public endpoint, but no access policy admits anyone"
	}
	misconf(p)
	b.add(r, graph.DataStore, b.name(r, "DomainName"), "es", p)
}

// fnProp returns a function property, falling back to SAM Globals.
func (b *builder) fnProp(r *resource, key string) any {
	if v, ok := r.Props[key]; ok {
		return v
	}
	if r.Type == "AWS::Serverless::Function" && b.t.globals != nil {
		return b.t.globals[key]
	}
	return nil
}

func (b *builder) function(r *resource) {
	t := b.t
	p := b.props(r)
	p["workload"] = "lambda"
	for _, k := range []string{"Runtime", "Handler", "CodeUri"} {
		if v, ok := t.resolve(b.fnProp(r, k)).(string); ok && known(v) {
			p[strings.ToLower(k[:1])+k[1:]] = v
		}
	}
	env := b.envVars(r)
	var keys, secret []string
	for k, v := range env {
		keys = append(keys, k)
		if s, ok := v.(string); ok && known(s) && ((endpoint.SecretName(k) && s != "") || awsiam.HasAWSKey(s)) {
			secret = append(secret, k)
		}
	}
	if len(keys) > 0 {
		sort.Strings(keys)
		p["envKeys"] = keys
	}
	if len(secret) > 0 {
		sort.Strings(secret)
		p["plaintextSecrets"], p["secretEnvKeys"] = true, secret
	}
	misconf(p)
	fn := b.add(r, graph.Service, b.name(r, "FunctionName"), "lambda", p)
	for _, k := range keys {
		if s, ok := env[k].(string); ok {
			if host, ok := endpoint.ThirdParty(s); ok {
				id := graph.ThirdPartyID(host)
				b.c.AddNode(AgentName, graph.Node{ID: id, Kind: graph.ThirdParty, Name: host, Props: graph.Props{"host": host},
					Sources: b.src(r.Line, r.ID+" environment "+k)})
				e := graph.NewEdge(graph.Calls, fn.ID, id)
				e.Props = graph.Props{"via": k}
				e.Sources = b.src(r.Line, r.ID+" environment "+k)
				b.c.AddEdge(AgentName, e)
			}
		}
	}
	// The role: explicit, or the one SAM creates from Policies.
	if roles := t.refsIn(t.resolve(r.Props["Role"])); len(roles) > 0 {
		b.roles[r.ID] = roles[0]
	} else if r.Type == "AWS::Serverless::Function" && r.Props["Role"] == nil {
		rid := r.ID + "Role"
		rp := graph.Props{"logicalId": rid, "resourceType": "AWS::IAM::Role", "stack": b.stack, "type": "iam-role",
			"assumedBy": []string{"lambda.amazonaws.com"}, "implicit": true}
		role := &resource{ID: rid, Type: "AWS::IAM::Role", Props: map[string]any{}, Line: r.Line}
		t.resources[rid] = role
		b.add(role, graph.Identity, b.stack+"/"+rid, "iam", rp)
		b.roles[r.ID] = rid
		b.samPolicies(rid, r)
	}
}

// ecsService adds an ECS service with what its task definition says: the
// task role it runs as, and its containers' environment (envKeys, and
// secretEnvKeys for literal values of secret-like names; values are never
// kept; the Secrets field, which reads from Secrets Manager or SSM, is
// not plaintext).
func (b *builder) ecsService(r *resource) {
	t := b.t
	p := b.props(r)
	p["workload"] = "ecs-service"
	nc := mapOf(mapOf(r.Props["NetworkConfiguration"])["AwsvpcConfiguration"])
	if v, ok := t.str(nc, "AssignPublicIp"); ok {
		p["publicIp"] = strings.EqualFold(v, "ENABLED")
	}
	var td *resource
	if ids := t.refsIn(t.resolve(r.Props["TaskDefinition"])); len(ids) > 0 {
		td = t.resources[ids[0]]
	}
	var keys, secret []string
	if td != nil && td.Type == "AWS::ECS::TaskDefinition" {
		for _, c := range listOf(td.Props["ContainerDefinitions"]) {
			for _, e := range listOf(mapOf(c)["Environment"]) {
				name, ok := t.str(mapOf(e), "Name")
				if !ok || name == "" {
					continue
				}
				keys = append(keys, name)
				if v, ok := t.str(mapOf(e), "Value"); ok && v != "" && (endpoint.SecretName(name) || awsiam.HasAWSKey(v)) {
					secret = append(secret, name)
				}
			}
		}
		if roles := t.refsIn(t.resolve(td.Props["TaskRoleArn"])); len(roles) > 0 {
			b.roles[r.ID] = roles[0]
		}
	}
	if len(keys) > 0 {
		sort.Strings(keys)
		p["envKeys"] = slices.Compact(keys)
	}
	if len(secret) > 0 {
		sort.Strings(secret)
		p["plaintextSecrets"], p["secretEnvKeys"] = true, slices.Compact(secret)
	}
	misconf(p)
	b.add(r, graph.Service, b.name(r, "ServiceName"), "ecs", p)
}

// envVars merges Globals and the function's environment variables.
func (b *builder) envVars(r *resource) map[string]any {
	out := map[string]any{}
	if r.Type == "AWS::Serverless::Function" && b.t.globals != nil {
		for k, v := range mapOf(mapOf(b.t.globals["Environment"])["Variables"]) {
			out[k] = b.t.resolve(v)
		}
	}
	for k, v := range mapOf(mapOf(r.Props["Environment"])["Variables"]) {
		out[k] = b.t.resolve(v)
	}
	return out
}

func (b *builder) api(r *resource) {
	t := b.t
	if g := t.apiGlobals[r.Type]; len(g) > 0 {
		// SAM Globals apply under the API's own properties.
		merged := make(map[string]any, len(g)+len(r.Props))
		for k, v := range g {
			merged[k] = v
		}
		for k, v := range r.Props {
			merged[k] = v
		}
		cp := *r
		cp.Props = merged
		r = &cp
	}
	p := b.props(r)
	p["type"] = "api-gateway"
	types := []string{"EDGE"}
	if strings.Contains(r.Type, "HttpApi") || r.Type == "AWS::ApiGatewayV2::Api" {
		types = []string{"REGIONAL"}
	}
	switch ec := t.resolve(r.Props["EndpointConfiguration"]).(type) {
	case string:
		types = []string{ec}
	case map[string]any:
		if ty, ok := ec["Type"].(string); ok {
			types = []string{ty}
		} else if l, ok := ec["Types"].([]any); ok {
			types = nil
			for _, x := range l {
				types = append(types, awsiam.Str(x))
			}
		}
	}
	if v, _, _ := t.boolean(r.Props, "DisableExecuteApiEndpoint"); v {
		types = []string{"DISABLED"}
	}
	if pt, ok := t.str(r.Props, "ProtocolType"); ok {
		p["protocol"] = strings.ToLower(pt)
	}
	p["endpointTypes"] = types
	if auth := mapOf(r.Props["Auth"]); auth != nil {
		if d, ok := t.str(auth, "DefaultAuthorizer"); ok {
			p["defaultAuthorizer"] = d
		}
	}
	if loc := definitionFile(t.resolve(r.Props["DefinitionBody"])); loc != "" {
		p["definitionFile"] = path.Clean(path.Join(path.Dir(b.file), loc))
	} else if u, ok := t.str(r.Props, "DefinitionUri"); ok && !strings.HasPrefix(u, "s3://") {
		p["definitionFile"] = path.Clean(path.Join(path.Dir(b.file), u))
	}
	n := b.add(r, graph.Gateway, b.name(r, "Name"), "execute-api", p)
	b.publicAPI(n, types)
}

func (b *builder) publicAPI(n *nodeRef, types []string) {
	public := len(types) > 0
	unknown := false
	for _, ty := range types {
		switch {
		case strings.EqualFold(ty, "PRIVATE") || ty == "DISABLED":
			public = false
		case !known(ty):
			unknown = true
		}
	}
	if public && unknown {
		// A parameter without default: whether it is public is not known.
		n.Props["publicReason"] = "endpoint type could not be resolved"
		return
	}
	n.Props["public"] = public
	if public {
		e := graph.NewEdge(graph.RoutesTo, graph.InternetID, n.ID)
		e.Props = graph.Props{"port": int64(443)}
		e.Sources = b.src(n.Line, n.LID+": "+strings.Join(types, ",")+" endpoint")
		b.c.AddEdge(AgentName, e)
	}
}

// definitionFile finds an AWS::Include location in a DefinitionBody.
func definitionFile(v any) string {
	m := mapOf(v)
	tr := mapOf(m["Fn::Transform"])
	if tr == nil {
		return ""
	}
	if n, _ := tr["Name"].(string); n != "AWS::Include" {
		return ""
	}
	loc, _ := mapOf(tr["Parameters"])["Location"].(string)
	if strings.HasPrefix(loc, "s3://") || !known(loc) {
		return ""
	}
	return loc
}

func (b *builder) appsync(r *resource) {
	t := b.t
	p := b.props(r)
	p["type"] = "api-gateway"
	p["protocol"] = "graphql"
	var auths []string
	if a, ok := t.str(r.Props, "AuthenticationType"); ok {
		auths = append(auths, a)
	}
	for _, x := range listOf(r.Props["AdditionalAuthenticationProviders"]) {
		if a, ok := t.str(mapOf(x), "AuthenticationType"); ok {
			auths = append(auths, a)
		}
	}
	p["authenticationTypes"] = auths
	if lc := mapOf(r.Props["LogConfig"]); lc != nil {
		if l, ok := t.str(lc, "FieldLogLevel"); ok {
			p["fieldLogLevel"] = l
			if l == "ALL" {
				p["misconfigurations"] = []string{"logs-request-data"}
			}
		}
	}
	// AppSync endpoints are public unless the API is private.
	types := []string{"GLOBAL"}
	if v, _, _ := t.boolean(r.Props, "Visibility"); v {
		types = []string{"PRIVATE"}
	}
	if vis, ok := t.str(r.Props, "Visibility"); ok && vis == "PRIVATE" {
		types = []string{"PRIVATE"}
	}
	n := b.add(r, graph.Gateway, b.name(r, "Name"), "appsync", p)
	b.publicAPI(n, types)
}

func (b *builder) loadBalancer(r *resource) {
	t := b.t
	p := b.props(r)
	p["type"] = "load-balancer"
	scheme, ok := t.str(r.Props, "Scheme")
	if !ok {
		scheme = "internet-facing"
	}
	p["internal"] = scheme == "internal"
	sgs := t.refsIn(t.resolve(r.Props["SecurityGroups"]))
	world, admitted := b.sgWorld(sgs, 0)
	lbType, _ := t.str(r.Props, "Type")
	switch {
	case scheme == "internal":
		p["public"], p["publicReason"] = false, "internal load balancer"
	case len(sgs) == 0 && lbType == "network":
		p["public"], p["publicReason"] = true, "internet-facing network load balancer without security groups"
	case len(sgs) == 0:
		p["publicReason"] = "internet-facing; its security groups are not in this template"
	case !world:
		p["public"], p["publicReason"] = false, "internet-facing, but its security groups admit only "+strings.Join(admitted, ", ")
	default:
		p["public"], p["publicReason"] = true, "internet-facing and a security group admits 0.0.0.0/0"
	}
	n := b.add(r, graph.Gateway, b.name(r, "Name"), "elasticloadbalancing", p)
	if pub, _ := p["public"].(bool); pub {
		e := graph.NewEdge(graph.RoutesTo, graph.InternetID, n.ID)
		e.Sources = b.src(r.Line, r.ID+": "+p.String("publicReason"))
		b.c.AddEdge(AgentName, e)
	}
}

// implicitApis adds SAM's ServerlessRestApi / ServerlessHttpApi when a
// function has an Api/HttpApi event without RestApiId/ApiId.
func (b *builder) implicitApis() {
	t := b.t
	for _, id := range t.order {
		r := t.resources[id]
		if r.Type != "AWS::Serverless::Function" {
			continue
		}
		for _, ev := range mapOf(r.Props["Events"]) {
			em := mapOf(ev)
			typ, _ := em["Type"].(string)
			props := mapOf(em["Properties"])
			var implicit, idKey string
			switch typ {
			case "Api":
				implicit, idKey = "ServerlessRestApi", "RestApiId"
			case "HttpApi":
				implicit, idKey = "ServerlessHttpApi", "ApiId"
			default:
				continue
			}
			if props[idKey] != nil || b.nodes[implicit] != nil {
				continue
			}
			ir := &resource{ID: implicit, Type: "AWS::Serverless::Api", Props: map[string]any{}, Line: r.Line}
			if typ == "HttpApi" {
				ir.Type = "AWS::Serverless::HttpApi"
			}
			t.resources[implicit] = ir
			b.api(ir)
			b.nodes[implicit].Props["implicit"] = true
		}
	}
}

// events records SAM function triggers and routes API events.
func (b *builder) events() {
	t := b.t
	for _, id := range t.order {
		r := t.resources[id]
		fn := b.nodes[id]
		if r.Type != "AWS::Serverless::Function" || fn == nil {
			continue
		}
		var triggers []string
		for _, en := range sortedKeys(mapOf(r.Props["Events"])) {
			em := mapOf(mapOf(r.Props["Events"])[en])
			typ, _ := em["Type"].(string)
			props := mapOf(em["Properties"])
			switch typ {
			case "Api", "HttpApi":
				api := "ServerlessRestApi"
				if typ == "HttpApi" {
					api = "ServerlessHttpApi"
				}
				if refs := t.refsIn(t.resolve(props["RestApiId"])); len(refs) > 0 {
					api = refs[0]
				} else if refs := t.refsIn(t.resolve(props["ApiId"])); len(refs) > 0 {
					api = refs[0]
				}
				method, _ := t.str(props, "Method")
				pth, _ := t.str(props, "Path")
				triggers = append(triggers, typ+" "+strings.ToUpper(method)+" "+pth)
				gw := b.nodes[api]
				if gw == nil || gw.Kind != graph.Gateway {
					continue
				}
				e := graph.NewEdge(graph.RoutesTo, gw.ID, fn.ID)
				e.Props = graph.Props{"pathPrefixes": []string{pth}, "method": strings.ToUpper(method)}
				if auth := mapOf(props["Auth"]); auth != nil {
					if a, ok := t.str(auth, "Authorizer"); ok {
						e.Props["authorizer"] = a
					}
				}
				e.Sources = b.src(r.Line, r.ID+" event "+en)
				b.c.AddEdge(AgentName, e)
			case "DynamoDB", "Kinesis", "SQS", "S3", "SNS", "MSK":
				triggers = append(triggers, typ)
				src := props["Stream"]
				if typ == "SQS" {
					src = props["Queue"]
				} else if typ == "S3" {
					src = props["Bucket"]
				} else if typ == "SNS" {
					src = props["Topic"]
				}
				for _, ref := range t.refsIn(t.resolve(src)) {
					if st := b.nodes[ref]; st != nil && st.Kind == graph.DataStore {
						e := graph.NewEdge(graph.Reads, fn.ID, st.ID)
						e.Props = graph.Props{"via": "event " + en}
						e.Sources = b.src(r.Line, r.ID+" event "+en+" ("+typ+")")
						b.c.AddEdge(AgentName, e)
					}
				}
			case "CloudWatchEvent", "EventBridgeRule":
				pat := mapOf(props["Pattern"])
				srcs := awsiam.Strings(t.resolve(pat["source"]))
				dts := awsiam.Strings(t.resolve(pat["detail-type"]))
				triggers = append(triggers, strings.TrimSpace(typ+" "+strings.Join(srcs, ",")+" "+strings.Join(dts, ",")))
			default:
				if typ != "" {
					triggers = append(triggers, typ)
				}
			}
		}
		if len(triggers) > 0 {
			sort.Strings(triggers)
			fn.Props["triggers"] = triggers
		}
	}
}

// resourcePath rebuilds the path of an AWS::ApiGateway::Method from the
// PathPart and ParentId of the AWS::ApiGateway::Resource chain its
// ResourceId names ("/" for the API's root resource, "{unknown}" for a
// part that cannot be resolved).
func (b *builder) resourcePath(method *resource) string {
	t := b.t
	var parts []string
	refs := t.refsIn(t.resolve(method.Props["ResourceId"]))
	for depth := 0; depth < 32 && len(refs) > 0; depth++ {
		res := t.resources[refs[0]]
		if res == nil || res.Type != "AWS::ApiGateway::Resource" {
			break
		}
		pp, ok := t.str(res.Props, "PathPart")
		if !ok {
			pp = "{unknown}"
		}
		parts = append([]string{pp}, parts...)
		refs = t.refsIn(t.resolve(res.Props["ParentId"]))
	}
	return "/" + strings.Join(parts, "/")
}

// integrations routes API Gateway v1/v2 integrations and AppSync data
// sources to the functions they invoke.
func (b *builder) integrations() {
	t := b.t
	for _, id := range t.order {
		r := t.resources[id]
		var apiKey, uriKey string
		switch r.Type {
		case "AWS::ApiGateway::Method":
			apiKey, uriKey = "RestApiId", "Integration"
		case "AWS::ApiGatewayV2::Integration":
			apiKey, uriKey = "ApiId", "IntegrationUri"
		case "AWS::AppSync::DataSource":
			apiKey, uriKey = "ApiId", "LambdaConfig"
		default:
			continue
		}
		for _, api := range t.refsIn(t.resolve(r.Props[apiKey])) {
			gw := b.nodes[api]
			if gw == nil || gw.Kind != graph.Gateway {
				continue
			}
			for _, target := range t.refsIn(t.resolve(r.Props[uriKey])) {
				fn := b.nodes[target]
				if fn == nil || fn.Kind != graph.Service {
					continue
				}
				e := graph.NewEdge(graph.RoutesTo, gw.ID, fn.ID)
				if r.Type == "AWS::ApiGateway::Method" {
					m, _ := t.str(r.Props, "HttpMethod")
					e.Props = graph.Props{"pathPrefixes": []string{b.resourcePath(r)}, "method": strings.ToUpper(m)}
				}
				e.Sources = b.src(r.Line, r.ID+" ("+r.Type+")")
				b.c.AddEdge(AgentName, e)
			}
		}
	}
	// Unauthenticated v2 routes and v1 methods are recorded on the gateway.
	for _, id := range t.order {
		r := t.resources[id]
		if r.Type != "AWS::ApiGatewayV2::Route" && r.Type != "AWS::ApiGateway::Method" {
			continue
		}
		apiKey, authKey := "ApiId", "AuthorizationType"
		if r.Type == "AWS::ApiGateway::Method" {
			apiKey = "RestApiId"
		}
		auth, ok := t.str(r.Props, authKey)
		if !ok {
			auth = "NONE"
		}
		for _, api := range t.refsIn(t.resolve(r.Props[apiKey])) {
			gw := b.nodes[api]
			if gw == nil {
				continue
			}
			route, _ := t.str(r.Props, "RouteKey")
			if r.Type == "AWS::ApiGateway::Method" {
				m, _ := t.str(r.Props, "HttpMethod")
				route = strings.ToUpper(m) + " " + b.resourcePath(r)
			}
			all, _ := gw.Props["routes"].([]string)
			gw.Props["routes"] = append(all, route+" "+auth)
			if auth == "NONE" {
				open, _ := gw.Props["unauthenticatedRoutes"].([]string)
				gw.Props["unauthenticatedRoutes"] = append(open, route)
			}
		}
	}
}

func (b *builder) instance(r *resource) {
	t := b.t
	p := b.props(r)
	p["workload"] = "ec2-instance"
	if v, ok := t.str(r.Props, "ImageId"); ok {
		p["image"] = v
	}
	n := b.add(r, graph.Service, b.name(r, ""), "ec2", p)
	subnets := t.refsIn(t.resolve(r.Props["SubnetId"]))
	sgs := t.refsIn(t.resolve(r.Props["SecurityGroupIds"]))
	sgs = append(sgs, t.refsIn(t.resolve(r.Props["SecurityGroups"]))...)
	publicIP, ipKnown := false, false
	for _, ni := range listOf(r.Props["NetworkInterfaces"]) {
		nm := mapOf(ni)
		subnets = append(subnets, t.refsIn(t.resolve(nm["SubnetId"]))...)
		sgs = append(sgs, t.refsIn(t.resolve(nm["GroupSet"]))...)
		if v, set, k := t.boolean(nm, "AssociatePublicIpAddress"); set {
			publicIP, ipKnown = v, k
		}
	}
	if !ipKnown {
		for _, s := range subnets {
			if sr := t.resources[s]; sr != nil && sr.Type == "AWS::EC2::Subnet" {
				v, _, k := t.boolean(sr.Props, "MapPublicIpOnLaunch")
				publicIP, ipKnown = v, k
			}
		}
	}
	for _, id := range t.order {
		e := t.resources[id]
		if (e.Type == "AWS::EC2::EIP" || e.Type == "AWS::EC2::EIPAssociation") && contains(t.refsIn(t.resolve(e.Props["InstanceId"])), r.ID) {
			publicIP, ipKnown = true, true
		}
	}
	if ipKnown {
		p["publicIp"] = publicIP
	}
	world, _ := b.sgWorld(sgs, 0)
	open := b.worldPorts(sgs)
	if len(open) > 0 {
		p["openPorts"] = open
		for _, o := range open {
			if o == "tcp:22" || strings.HasSuffix(o, ":*") {
				p["sshOpenToInternet"] = true
				p["misconfigurations"] = []string{"ssh-open-to-internet"}
			}
		}
	}
	subPublic, subKnown := b.subnetsPublic(subnets)
	switch {
	case !ipKnown:
		p["publicReason"] = "public IP unknown"
	case !publicIP:
		p["publicReason"] = "no public IP"
	case !subKnown:
		p["publicReason"] = "subnet unknown"
	case !subPublic:
		p["publicReason"] = "subnet does not route to an internet gateway"
	case !world:
		p["publicReason"] = "no security group admits 0.0.0.0/0"
	default:
		p["publicReason"] = "public IP in a subnet routed to an internet gateway; security groups admit " + strings.Join(open, ", ") + " from 0.0.0.0/0"
		e := graph.NewEdge(graph.RoutesTo, graph.InternetID, n.ID)
		e.Props = graph.Props{}
		if len(open) > 0 {
			if _, port, ok := strings.Cut(open[0], ":"); ok {
				if v, ok := toInt(port); ok {
					e.Props["port"] = v
				}
			}
		}
		e.Sources = b.src(r.Line, r.ID+": "+p.String("publicReason"))
		b.c.AddEdge(AgentName, e)
	}
}

// worldPorts lists the ingress rules of the security groups that admit
// 0.0.0.0/0 or ::/0, as "tcp:22" ("tcp:*" for every port).
func (b *builder) worldPorts(sgs []string) []string {
	t := b.t
	var out []string
	add := func(rule map[string]any) {
		for _, k := range []string{"CidrIp", "CidrIpv6"} {
			c, ok := t.str(rule, k)
			if !ok || !worldCIDR(c) {
				continue
			}
			proto, _ := t.str(rule, "IpProtocol")
			from, okF := toInt(t.resolve(rule["FromPort"]))
			to, okT := toInt(t.resolve(rule["ToPort"]))
			switch {
			case proto == "-1" || (!okF && !okT):
				out = append(out, "all:*")
			case from == to:
				out = append(out, strings.ToLower(proto)+":"+strconv.FormatInt(from, 10))
			default:
				out = append(out, strings.ToLower(proto)+":"+strconv.FormatInt(from, 10)+"-"+strconv.FormatInt(to, 10))
			}
		}
	}
	for _, sg := range sgs {
		r := t.resources[sg]
		if r == nil || r.Type != "AWS::EC2::SecurityGroup" {
			continue
		}
		for _, rule := range listOf(r.Props["SecurityGroupIngress"]) {
			add(mapOf(rule))
		}
		for _, id := range t.order {
			in := t.resources[id]
			if in.Type == "AWS::EC2::SecurityGroupIngress" && contains(t.refsIn(t.resolve(in.Props["GroupId"])), sg) {
				add(in.Props)
			}
		}
	}
	sort.Strings(out)
	return out
}

// lbRoutes routes load balancers to their targets (listeners → target
// groups → instances, functions and ECS services; classic ELB instances)
// and exposes function URLs without authentication.
func (b *builder) lbRoutes() {
	t := b.t
	route := func(from, to string, decl *resource) {
		f, tn := b.nodes[from], b.nodes[to]
		if f == nil || tn == nil || f.Kind != graph.Gateway || tn.Kind != graph.Service {
			return
		}
		e := graph.NewEdge(graph.RoutesTo, f.ID, tn.ID)
		e.Sources = b.src(decl.Line, decl.ID+" ("+decl.Type+")")
		b.c.AddEdge(AgentName, e)
	}
	tgLBs := map[string][]string{}
	listenerLB := map[string][]string{}
	for _, id := range t.order {
		l := t.resources[id]
		if l.Type == "AWS::ElasticLoadBalancingV2::Listener" {
			lbs := t.refsIn(t.resolve(l.Props["LoadBalancerArn"]))
			listenerLB[id] = lbs
			for _, tg := range t.refsIn(t.resolve(l.Props["DefaultActions"])) {
				tgLBs[tg] = append(tgLBs[tg], lbs...)
			}
		}
	}
	for _, id := range t.order {
		lr := t.resources[id]
		if lr.Type == "AWS::ElasticLoadBalancingV2::ListenerRule" {
			for _, l := range t.refsIn(t.resolve(lr.Props["ListenerArn"])) {
				for _, tg := range t.refsIn(t.resolve(lr.Props["Actions"])) {
					tgLBs[tg] = append(tgLBs[tg], listenerLB[l]...)
				}
			}
		}
	}
	for _, id := range t.order {
		r := t.resources[id]
		switch r.Type {
		case "AWS::ElasticLoadBalancingV2::TargetGroup":
			for _, target := range t.refsIn(t.resolve(r.Props["Targets"])) {
				for _, lb := range tgLBs[id] {
					route(lb, target, r)
				}
			}
		case "AWS::ECS::Service":
			for _, tg := range t.refsIn(t.resolve(r.Props["LoadBalancers"])) {
				for _, lb := range tgLBs[tg] {
					route(lb, id, r)
				}
				if t.resources[tg] != nil && t.resources[tg].Type == "AWS::ElasticLoadBalancing::LoadBalancer" {
					route(tg, id, r)
				}
			}
		case "AWS::ElasticLoadBalancing::LoadBalancer":
			for _, in := range t.refsIn(t.resolve(r.Props["Instances"])) {
				route(id, in, r)
			}
		case "AWS::Lambda::Url":
			auth, _ := t.str(r.Props, "AuthType")
			for _, fn := range t.refsIn(t.resolve(r.Props["TargetFunctionArn"])) {
				b.functionURL(fn, auth, r)
			}
		case "AWS::Serverless::Function":
			if fu := mapOf(r.Props["FunctionUrlConfig"]); fu != nil {
				auth, _ := t.str(fu, "AuthType")
				b.functionURL(id, auth, r)
			}
		}
	}
}

func (b *builder) functionURL(fn, auth string, decl *resource) {
	n := b.nodes[fn]
	if n == nil || n.Kind != graph.Service {
		return
	}
	n.Props["functionUrlAuth"] = auth
	e := graph.NewEdge(graph.RoutesTo, graph.InternetID, n.ID)
	e.Props = graph.Props{"port": int64(443), "authenticated": auth != "NONE"}
	e.Sources = b.src(decl.Line, decl.ID+": function URL, AuthType "+auth)
	b.c.AddEdge(AgentName, e)
}

// schemas records the GraphQL schema file of an AppSync API
// (AWS::AppSync::GraphQLSchema DefinitionS3Location given as a local path,
// which sam/aws cloudformation package upload) as its definitionFile.
func (b *builder) schemas() {
	t := b.t
	for _, id := range t.order {
		r := t.resources[id]
		if r.Type != "AWS::AppSync::GraphQLSchema" {
			continue
		}
		loc, ok := t.str(r.Props, "DefinitionS3Location")
		if !ok || loc == "" || strings.Contains(loc, "://") {
			continue
		}
		for _, api := range t.refsIn(t.resolve(r.Props["ApiId"])) {
			if gw := b.nodes[api]; gw != nil && gw.Kind == graph.Gateway {
				gw.Props["definitionFile"] = path.Clean(path.Join(path.Dir(b.file), loc))
			}
		}
	}
}
