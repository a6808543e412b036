package aws

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/internal/awsiam"
	"github.com/riskgraph/riskgraph/graph"
)

// node is a node being built, with what IAM and env resolution need.
type node struct {
	graph.Node
	iam   string   // IAM service prefix of actions on it ("" = not a policy target)
	names []string // names an ARN pattern or an env value may use
	arn   string
}

type builder struct {
	inv   *inventory
	c     *discovery.Collector
	env   string
	nodes []*node
	byKey map[string]*node // lower-cased name, ARN or host → node
	roles map[string]*node // role name → identity node
	// profiles maps an instance profile ARN to the roles it carries.
	profiles map[string][]string
	policies []rolePolicies
	envs     []envVar
	// backends collects the routes of a gateway that reach one backend.
	backends   map[[2]graph.ID][]string
	backendSrc map[[2]graph.ID][]graph.Source
}

func newBuilder(inv *inventory, c *discovery.Collector, env string) *builder {
	return &builder{inv: inv, c: c, env: env, byKey: map[string]*node{}, roles: map[string]*node{}, profiles: map[string][]string{},
		backends: map[[2]graph.ID][]string{}, backendSrc: map[[2]graph.ID][]graph.Source{}}
}

func (b *builder) regions() []*regionInv {
	keys := make([]string, 0, len(b.inv.regions))
	for k := range b.inv.regions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*regionInv, 0, len(keys))
	for _, k := range keys {
		out = append(out, b.inv.regions[k])
	}
	return out
}

func src(file, detail string) []graph.Source {
	return []graph.Source{{Agent: AgentName, File: file, Detail: detail}}
}

// add registers n under its names, ARN and hosts for env and policy
// resolution.
func (b *builder) add(n *node, hosts ...string) *node {
	b.nodes = append(b.nodes, n)
	for _, k := range append(append([]string{n.arn}, n.names...), hosts...) {
		if k != "" {
			if _, taken := b.byKey[strings.ToLower(k)]; !taken {
				b.byKey[strings.ToLower(k)] = n
			}
		}
	}
	return n
}

func (b *builder) edge(k graph.EdgeKind, from, to graph.ID, props graph.Props, s []graph.Source) {
	e := graph.NewEdge(k, from, to)
	e.Props = props
	e.Sources = s
	b.c.AddEdge(AgentName, e)
}

func (b *builder) build() {
	regions := b.regions()
	for _, r := range regions {
		b.stores(r)
	}
	for _, r := range regions {
		b.buckets(r)
		b.rolesOf(r)
	}
	for _, r := range regions {
		net := newNetwork(r)
		b.instances(r, net)
		b.rdsExposure(r, net)
		b.functions(r)
		b.ecsServices(r, net)
		b.loadBalancers(r, net)
		b.restAPIs(r)
		b.httpAPIs(r)
	}
	b.flushRoutes()
	b.envFlows()
	for _, r := range regions {
		b.runsAs(r)
	}
	b.access()
	for _, n := range b.nodes {
		if len(n.Props.Strings("misconfigurations")) > 0 {
			ms := dedupe(n.Props.Strings("misconfigurations"))
			sort.Strings(ms)
			n.Props["misconfigurations"] = ms
		}
		b.c.AddNode(AgentName, n.Node)
	}
}

func (b *builder) baseProps(r *regionInv, typ, arn string) graph.Props {
	p := graph.Props{"provider": "aws", "resourceType": typ, "account": r.account, "region": r.region}
	if arn != "" {
		p["arn"] = arn
	}
	return p
}

func misconf(p graph.Props, m string) {
	p["misconfigurations"] = append(p.Strings("misconfigurations"), m)
}

// --- data stores -----------------------------------------------------------

func (b *builder) stores(r *regionInv) {
	for _, t := range r.tables {
		arn := fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", r.region, r.account, t)
		p := b.baseProps(r, "aws_dynamodb_table", arn)
		// DynamoDB encrypts every table at rest and has no public endpoint
		// of its own: access is through IAM.
		p["engine"], p["managed"], p["encrypted"], p["public"], p["port"] = "dynamodb", true, true, false, int64(443)
		b.add(&node{Node: graph.Node{ID: graph.DataStoreID(b.env, t), Kind: graph.DataStore, Name: t, Env: b.env, Props: p,
			Sources: src(arn, "dynamodb ListTables")}, iam: "dynamodb", names: []string{t}, arn: arn})
	}
	members := map[string]bool{}
	clusterPublic := map[string]bool{}
	clusterSubnets := map[string][]string{} // a cluster's subnets are its instances'
	for _, in := range r.dbInstances {
		if id := aws.ToString(in.DBClusterIdentifier); id != "" {
			members[aws.ToString(in.DBInstanceIdentifier)] = true
			if aws.ToBool(in.PubliclyAccessible) {
				clusterPublic[id] = true
			}
			if in.DBSubnetGroup != nil {
				for _, s := range in.DBSubnetGroup.Subnets {
					clusterSubnets[id] = append(clusterSubnets[id], aws.ToString(s.SubnetIdentifier))
				}
			}
		}
	}
	for _, cl := range r.dbClusters {
		id := aws.ToString(cl.DBClusterIdentifier)
		arn := aws.ToString(cl.DBClusterArn)
		p := b.baseProps(r, "aws_rds_cluster", arn)
		p["engine"], p["managed"] = aws.ToString(cl.Engine), true
		p["encrypted"] = aws.ToBool(cl.StorageEncrypted)
		p["port"] = int64(aws.ToInt32(cl.Port))
		if db := aws.ToString(cl.DatabaseName); db != "" {
			p["database"] = db
		}
		p["publiclyAccessible"] = aws.ToBool(cl.PubliclyAccessible) || clusterPublic[id]
		var sgs []string
		for _, g := range cl.VpcSecurityGroups {
			sgs = append(sgs, aws.ToString(g.VpcSecurityGroupId))
		}
		n := b.add(&node{Node: graph.Node{ID: graph.DataStoreID(b.env, id), Kind: graph.DataStore, Name: id, Env: b.env, Props: p,
			Sources: src(arn, "rds DescribeDBClusters")}, iam: "rds", names: []string{id}, arn: arn},
			aws.ToString(cl.Endpoint), aws.ToString(cl.ReaderEndpoint))
		n.Props["securityGroups"] = sgs
		if subnets := dedupe(clusterSubnets[id]); len(subnets) > 0 {
			n.Props["subnets"] = subnets
		}
	}
	for _, in := range r.dbInstances {
		id := aws.ToString(in.DBInstanceIdentifier)
		if members[id] {
			continue // the cluster is the data store, as in Terraform
		}
		arn := aws.ToString(in.DBInstanceArn)
		p := b.baseProps(r, "aws_db_instance", arn)
		p["engine"], p["managed"] = aws.ToString(in.Engine), true
		p["encrypted"] = aws.ToBool(in.StorageEncrypted)
		p["publiclyAccessible"] = aws.ToBool(in.PubliclyAccessible)
		host := ""
		if in.Endpoint != nil {
			host = aws.ToString(in.Endpoint.Address)
			p["port"] = int64(aws.ToInt32(in.Endpoint.Port))
			p["host"] = host
		}
		if db := aws.ToString(in.DBName); db != "" {
			p["database"] = db
		}
		var sgs []string
		for _, g := range in.VpcSecurityGroups {
			sgs = append(sgs, aws.ToString(g.VpcSecurityGroupId))
		}
		p["securityGroups"] = sgs
		if in.DBSubnetGroup != nil {
			var subnets []string
			for _, s := range in.DBSubnetGroup.Subnets {
				subnets = append(subnets, aws.ToString(s.SubnetIdentifier))
			}
			p["subnets"] = subnets
		}
		b.add(&node{Node: graph.Node{ID: graph.DataStoreID(b.env, id), Kind: graph.DataStore, Name: id, Env: b.env, Props: p,
			Sources: src(arn, "rds DescribeDBInstances")}, iam: "rds", names: []string{id}, arn: arn}, host)
	}
}

// rdsExposure decides whether the region's databases are reachable from
// the internet: the publicly-accessible flag alone only gives them a
// public DNS name; a security group must admit the world on their port
// and their subnets must route to an internet gateway.
func (b *builder) rdsExposure(r *regionInv, net *network) {
	for _, n := range b.nodes {
		p := n.Props
		if n.Kind != graph.DataStore || p.String("region") != r.region || !strings.HasPrefix(p.String("resourceType"), "aws_db_instance") && p.String("resourceType") != "aws_rds_cluster" {
			continue
		}
		if !p.Bool("publiclyAccessible") {
			p["public"] = false
			p["publicReason"] = "publicly accessible flag is off"
			if !p.Bool("encrypted") {
				misconf(p, "unencrypted")
			}
			continue
		}
		misconf(p, "publicly-accessible-flag")
		if !p.Bool("encrypted") {
			misconf(p, "unencrypted")
		}
		ex := net.exposure(p.Strings("securityGroups"))
		port := p.Int("port")
		subPublic, subKnown := net.anyPublic(p.Strings("subnets"))
		switch {
		case !ex.opens(port):
			p["public"] = false
			p["publicReason"] = fmt.Sprintf("publicly accessible, but no security group admits 0.0.0.0/0 on %d", port)
		case subKnown && !subPublic:
			p["public"] = false
			p["publicReason"] = "publicly accessible, but its subnets do not route to an internet gateway"
		default:
			p["public"] = true
			p["publicReason"] = "publicly accessible and " + strings.Join(ex.sgs, ", ") + " admits " + strings.Join(ex.world, ", ")
			// A public store is a property, not a route: ROUTES_TO leads
			// to gateways, services and APIs (graph.endpoints), and the
			// scoring reads "public" on data stores.
			misconf(p, "public")
		}
	}
}

const allUsers = "http://acs.amazonaws.com/groups/global/AllUsers"
const authUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"

func (b *builder) buckets(r *regionInv) {
	for _, bk := range r.buckets {
		arn := "arn:aws:s3:::" + bk.name
		p := b.baseProps(r, "aws_s3_bucket", arn)
		p["region"] = bk.region
		p["engine"], p["managed"], p["port"] = "s3", true, int64(443)
		blockACL, blockPolicy := false, false
		if pab := bk.pab; pab != nil {
			blockACL = aws.ToBool(pab.BlockPublicAcls) || aws.ToBool(pab.IgnorePublicAcls)
			blockPolicy = aws.ToBool(pab.BlockPublicPolicy) || aws.ToBool(pab.RestrictPublicBuckets)
			p["publicAccessBlock"] = []string{}
			var on []string
			for k, v := range map[string]*bool{"BlockPublicAcls": pab.BlockPublicAcls, "IgnorePublicAcls": pab.IgnorePublicAcls,
				"BlockPublicPolicy": pab.BlockPublicPolicy, "RestrictPublicBuckets": pab.RestrictPublicBuckets} {
				if aws.ToBool(v) {
					on = append(on, k)
				}
			}
			sort.Strings(on)
			if on != nil {
				p["publicAccessBlock"] = on
			}
		}
		public := false
		var reasons []string
		if g := publicGrants(bk.grants); len(g) > 0 {
			if blockACL {
				reasons = append(reasons, "ACL grants "+strings.Join(g, ", ")+" but the public access block ignores public ACLs")
			} else {
				public = true
				reasons = append(reasons, "ACL grants "+strings.Join(g, ", "))
			}
		}
		if bk.policy != "" {
			sts, err := awsiam.ParseJSON(bk.policy)
			switch {
			case err != nil:
				reasons = append(reasons, "bucket policy is not valid JSON: "+err.Error())
			case awsiam.PublicPrincipal(sts):
				if blockPolicy {
					reasons = append(reasons, "policy admits Principal * but the public access block restricts it")
				} else {
					public = true
					reasons = append(reasons, "policy admits Principal *")
				}
			}
		}
		if len(reasons) == 0 {
			reasons = append(reasons, "no public ACL or policy")
		}
		p["public"] = public
		p["publicReason"] = strings.Join(reasons, "; ")
		if public {
			misconf(p, "public")
		}
		b.add(&node{Node: graph.Node{ID: graph.DataStoreID(b.env, bk.name), Kind: graph.DataStore, Name: bk.name, Env: b.env, Props: p,
			Sources: src(arn, "s3 ListBuckets, GetBucketPolicy, GetPublicAccessBlock, GetBucketAcl")}, iam: "s3", names: []string{bk.name}, arn: arn},
			bk.name+".s3.amazonaws.com", bk.name+".s3."+bk.region+".amazonaws.com", "s3://"+bk.name)
	}
}

func publicGrants(gs []s3types.Grant) []string {
	var out []string
	for _, g := range gs {
		if g.Grantee == nil {
			continue
		}
		switch aws.ToString(g.Grantee.URI) {
		case allUsers:
			out = append(out, "AllUsers:"+string(g.Permission))
		case authUsers:
			out = append(out, "AuthenticatedUsers:"+string(g.Permission))
		}
	}
	return out
}

// --- compute ---------------------------------------------------------------

func tagName(tags []ec2types.Tag) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == "Name" {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

func (b *builder) instances(r *regionInv, net *network) {
	for _, in := range r.instances {
		id := aws.ToString(in.InstanceId)
		name := tagName(in.Tags)
		if name == "" {
			name = id
		}
		arn := fmt.Sprintf("arn:aws:ec2:%s:%s:instance/%s", r.region, r.account, id)
		p := b.baseProps(r, "aws_instance", arn)
		p["workload"], p["instanceId"] = "ec2-instance", id
		if v := aws.ToString(in.ImageId); v != "" {
			p["image"] = v
		}
		pubIP := aws.ToString(in.PublicIpAddress)
		p["publicIp"] = pubIP != ""
		subnet := aws.ToString(in.SubnetId)
		if subnet != "" {
			p["subnet"] = subnet
		}
		var sgs []string
		for _, g := range in.SecurityGroups {
			sgs = append(sgs, aws.ToString(g.GroupId))
		}
		p["securityGroups"] = sgs
		if in.IamInstanceProfile != nil {
			p["instanceProfile"] = aws.ToString(in.IamInstanceProfile.Arn)
		}
		ex := net.exposure(sgs)
		if len(ex.world) > 0 {
			p["openPorts"] = ex.world
		}
		if ex.opens(22) {
			p["sshOpenToInternet"] = true
			misconf(p, "ssh-open-to-internet")
		}
		subPublic, subKnown := net.anyPublic([]string{subnet})
		n := b.add(&node{Node: graph.Node{ID: graph.ServiceID(b.env, name), Kind: graph.Service, Name: name, Env: b.env, Props: p,
			Sources: src(arn, "ec2 DescribeInstances")}, iam: "ec2", names: []string{id, name}, arn: arn},
			pubIP, aws.ToString(in.PrivateIpAddress), aws.ToString(in.PublicDnsName), aws.ToString(in.PrivateDnsName))
		switch {
		case pubIP == "":
			p["publicReason"] = "no public IP"
		case !subKnown:
			p["publicReason"] = "subnet unknown"
		case !subPublic:
			p["publicReason"] = "subnet " + subnet + " does not route to an internet gateway"
		case len(ex.world) == 0:
			p["publicReason"] = "no security group admits 0.0.0.0/0"
		default:
			why := "public IP in subnet " + subnet + " routed to an internet gateway; " + strings.Join(ex.sgs, ", ") + " admits " + strings.Join(ex.world, ", ") + " from anywhere"
			p["publicReason"] = why
			props := graph.Props{"ports": ex.ports}
			for _, port := range ex.ports {
				if port > 0 {
					props["port"] = port
					break
				}
			}
			b.edge(graph.RoutesTo, graph.InternetID, n.ID, props, src(arn, why))
		}
	}
}

func (b *builder) functions(r *regionInv) {
	for _, f := range r.functions {
		name := aws.ToString(f.cfg.FunctionName)
		arn := aws.ToString(f.cfg.FunctionArn)
		p := b.baseProps(r, "aws_lambda_function", arn)
		p["workload"] = "lambda"
		if v := string(f.cfg.Runtime); v != "" {
			p["runtime"] = v
		}
		if v := aws.ToString(f.cfg.Handler); v != "" {
			p["handler"] = v
		}
		if v := aws.ToString(f.cfg.Role); v != "" {
			p["role"] = v
		}
		n := b.add(&node{Node: graph.Node{ID: graph.ServiceID(b.env, name), Kind: graph.Service, Name: name, Env: b.env, Props: p,
			Sources: src(arn, "lambda ListFunctions")}, iam: "lambda", names: []string{name}, arn: arn}, urlHost(f.url))
		if f.cfg.Environment != nil {
			b.envProps(n, f.cfg.Environment.Variables, arn)
		}
		if f.urlAuth != "" {
			p["functionUrlAuth"] = f.urlAuth
			authed := f.urlAuth != "NONE"
			b.edge(graph.RoutesTo, graph.InternetID, n.ID, graph.Props{"port": int64(443), "authenticated": authed},
				src(arn, "function URL "+f.url+" (authorization "+f.urlAuth+")"))
			if !authed {
				misconf(p, "unauthenticated-function-url")
			}
		}
	}
}

func (b *builder) ecsServices(r *regionInv, net *network) {
	for _, s := range r.ecsServices {
		name := aws.ToString(s.svc.ServiceName)
		arn := aws.ToString(s.svc.ServiceArn)
		p := b.baseProps(r, "aws_ecs_service", arn)
		p["workload"] = "ecs-service"
		if c := aws.ToString(s.svc.ClusterArn); c != "" {
			p["cluster"] = c
		}
		if nc := s.svc.NetworkConfiguration; nc != nil && nc.AwsvpcConfiguration != nil {
			p["publicIp"] = nc.AwsvpcConfiguration.AssignPublicIp == "ENABLED"
			p["securityGroups"] = nc.AwsvpcConfiguration.SecurityGroups
			p["subnets"] = nc.AwsvpcConfiguration.Subnets
		}
		var tgs []string
		for _, lb := range s.svc.LoadBalancers {
			if t := aws.ToString(lb.TargetGroupArn); t != "" {
				tgs = append(tgs, t)
			}
		}
		if len(tgs) > 0 {
			p["targetGroups"] = tgs
		}
		n := b.add(&node{Node: graph.Node{ID: graph.ServiceID(b.env, name), Kind: graph.Service, Name: name, Env: b.env, Props: p,
			Sources: src(arn, "ecs DescribeServices")}, iam: "ecs", names: []string{name}, arn: arn})
		if td := s.taskDef; td != nil {
			p["taskDefinition"] = aws.ToString(td.TaskDefinitionArn)
			if v := aws.ToString(td.TaskRoleArn); v != "" {
				p["taskRole"] = v
			}
			var images []string
			var ports []int64
			for _, cd := range td.ContainerDefinitions {
				if img := aws.ToString(cd.Image); img != "" {
					images = append(images, img)
					b.c.AddNode(AgentName, graph.Node{ID: graph.ImageID(img), Kind: graph.Image, Name: img,
						Props: graph.Props{"ref": img}, Sources: src(aws.ToString(td.TaskDefinitionArn), "container "+aws.ToString(cd.Name))})
					b.edge(graph.RunsImage, n.ID, graph.ImageID(img), nil, src(aws.ToString(td.TaskDefinitionArn), "container "+aws.ToString(cd.Name)))
				}
				vars := map[string]string{}
				for _, kv := range cd.Environment {
					vars[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
				}
				b.envProps(n, vars, aws.ToString(td.TaskDefinitionArn))
				for _, pm := range cd.PortMappings {
					ports = append(ports, int64(aws.ToInt32(pm.ContainerPort)))
				}
				var secretNames []string
				for _, sec := range cd.Secrets {
					secretNames = append(secretNames, aws.ToString(sec.Name))
				}
				if len(secretNames) > 0 {
					// Secrets Manager / SSM references: the right way; only names kept.
					p["secretRefs"] = append(p.Strings("secretRefs"), secretNames...)
				}
			}
			if len(images) > 0 {
				p["images"] = dedupe(images)
			}
			if len(ports) > 0 {
				p["containerPorts"] = ports
			}
		}
		b.taskExposure(n, net)
	}
}

// taskExposure decides whether an ECS service's tasks are reachable from
// the internet directly (not through a load balancer): a public IP on
// each task, a subnet routed to an internet gateway, and a security group
// admitting the world on a container port.
func (b *builder) taskExposure(n *node, net *network) {
	p := n.Props
	if _, awsvpc := p["publicIp"]; !awsvpc {
		return // bridge or host networking: the container instance decides
	}
	ex := net.exposure(p.Strings("securityGroups"))
	if len(ex.world) > 0 {
		p["openPorts"] = ex.world
	}
	ports, _ := p["containerPorts"].([]int64)
	var open []int64
	for _, port := range ports {
		if ex.opens(port) {
			open = append(open, port)
		}
	}
	if len(ports) == 0 && len(ex.world) > 0 {
		open = ex.ports
	}
	subPublic, subKnown := net.anyPublic(p.Strings("subnets"))
	switch {
	case !p.Bool("publicIp"):
		p["publicReason"] = "tasks get no public IP"
	case !subKnown:
		p["publicReason"] = "subnets unknown"
	case !subPublic:
		p["publicReason"] = "tasks' subnets do not route to an internet gateway"
	case len(open) == 0:
		p["publicReason"] = "no security group admits 0.0.0.0/0 on a container port"
	default:
		why := "tasks get public IPs in subnets routed to an internet gateway; " + strings.Join(ex.sgs, ", ") + " admits " + strings.Join(ex.world, ", ")
		p["publicReason"] = why
		props := graph.Props{"ports": open}
		if open[0] > 0 {
			props["port"] = open[0]
		}
		b.edge(graph.RoutesTo, graph.InternetID, n.ID, props, src(n.arn, why))
	}
}

// --- gateways --------------------------------------------------------------

func (b *builder) loadBalancers(r *regionInv, net *network) {
	lbByARN := map[string]*node{}
	for _, lb := range r.lbs {
		name := aws.ToString(lb.LoadBalancerName)
		arn := aws.ToString(lb.LoadBalancerArn)
		p := b.baseProps(r, "aws_lb", arn)
		p["type"] = "load-balancer"
		class := string(lb.Type)
		if class == "" {
			class = "application"
		}
		p["class"] = class
		internal := lb.Scheme == "internal"
		p["internal"] = internal
		p["scheme"] = string(lb.Scheme)
		var ports []int64
		for _, l := range r.listeners {
			if aws.ToString(l.LoadBalancerArn) == arn && l.Port != nil {
				ports = append(ports, int64(*l.Port))
			}
		}
		sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
		if len(ports) > 0 {
			p["listenerPorts"] = ports
		}
		var subnets []string
		for _, az := range lb.AvailabilityZones {
			subnets = append(subnets, aws.ToString(az.SubnetId))
		}
		ex := net.exposure(lb.SecurityGroups)
		if len(lb.SecurityGroups) > 0 {
			p["securityGroups"] = lb.SecurityGroups
		}
		if len(ex.world) > 0 {
			p["openPorts"] = ex.world
		}
		var open []int64
		if len(lb.SecurityGroups) == 0 && class == "network" {
			open = ports // network load balancers without security groups pass everything
		} else {
			for _, port := range ports {
				if ex.opens(port) {
					open = append(open, port)
				}
			}
		}
		subPublic, subKnown := net.anyPublic(subnets)
		n := b.add(&node{Node: graph.Node{ID: graph.GatewayID(b.env, name), Kind: graph.Gateway, Name: name, Env: b.env, Props: p,
			Sources: src(arn, "elasticloadbalancing DescribeLoadBalancers")}, iam: "elasticloadbalancing", names: []string{name}, arn: arn},
			aws.ToString(lb.DNSName))
		lbByARN[arn] = n
		switch {
		case internal:
			p["public"], p["publicReason"] = false, "internal load balancer"
		case subKnown && !subPublic:
			p["public"], p["publicReason"] = false, "internet-facing scheme, but its subnets do not route to an internet gateway"
		case len(open) == 0:
			p["public"], p["publicReason"] = false, "internet-facing scheme, but no security group admits 0.0.0.0/0 on a listener port"
		default:
			why := "internet-facing load balancer; listener open to 0.0.0.0/0"
			if len(ex.sgs) > 0 {
				why += " by " + strings.Join(ex.sgs, ", ")
			}
			p["public"], p["publicReason"] = true, why
			props := graph.Props{"ports": open}
			if open[0] > 0 {
				props["port"] = open[0]
			}
			b.edge(graph.RoutesTo, graph.InternetID, n.ID, props, src(arn, why))
		}
	}
	// Target group → the load balancers forwarding to it (AWS lists them
	// on the group; listener default actions say so too).
	tgLBs := map[string][]string{}
	for _, tg := range r.targetGroups {
		tgLBs[aws.ToString(tg.tg.TargetGroupArn)] = append(tgLBs[aws.ToString(tg.tg.TargetGroupArn)], tg.tg.LoadBalancerArns...)
	}
	for _, l := range r.listeners {
		for _, a := range l.DefaultActions {
			if t := aws.ToString(a.TargetGroupArn); t != "" {
				tgLBs[t] = append(tgLBs[t], aws.ToString(l.LoadBalancerArn))
			}
			if a.ForwardConfig != nil {
				for _, t := range a.ForwardConfig.TargetGroups {
					tgLBs[aws.ToString(t.TargetGroupArn)] = append(tgLBs[aws.ToString(t.TargetGroupArn)], aws.ToString(l.LoadBalancerArn))
				}
			}
		}
	}
	instByID := map[string]*node{}
	svcByTG := map[string][]*node{}
	for _, n := range b.nodes {
		if n.Kind != graph.Service || n.Props.String("region") != r.region {
			continue
		}
		if id := n.Props.String("instanceId"); id != "" {
			instByID[id] = n
		}
		for _, tg := range n.Props.Strings("targetGroups") {
			svcByTG[tg] = append(svcByTG[tg], n)
		}
	}
	for _, tg := range r.targetGroups {
		tgARN := aws.ToString(tg.tg.TargetGroupArn)
		var targets []*node
		port := int64(aws.ToInt32(tg.tg.Port))
		for _, t := range tg.targets {
			id := aws.ToString(t.Id)
			switch tg.tg.TargetType {
			case "instance":
				if n, ok := instByID[id]; ok {
					targets = append(targets, n)
				}
			case "lambda":
				if n, ok := b.byKey[strings.ToLower(id)]; ok && n.Kind == graph.Service {
					targets = append(targets, n)
				}
			case "ip":
				// An instance registered by its private address; ECS
				// tasks' addresses change, their service is found below.
				if n, ok := b.byKey[id]; ok && n.Kind == graph.Service {
					targets = append(targets, n)
				}
			}
		}
		// ip targets are ECS tasks (or anything with an IP); the service
		// that registered them names the target group.
		targets = append(targets, svcByTG[tgARN]...)
		for _, lbARN := range dedupe(tgLBs[tgARN]) {
			lb, ok := lbByARN[lbARN]
			if !ok {
				continue
			}
			for _, t := range targets {
				props := graph.Props{"targetGroup": aws.ToString(tg.tg.TargetGroupName)}
				if port > 0 {
					props["port"] = port
				}
				b.edge(graph.RoutesTo, lb.ID, t.ID, props, src(tgARN, "elasticloadbalancing DescribeTargetGroups, DescribeTargetHealth"))
			}
		}
	}
}

// apiEndpointTypes says whether an API's endpoint is reachable from the
// internet: PRIVATE endpoints are reachable only through VPC endpoints.
func apiPublic(types []string, disabled bool) bool {
	if disabled {
		return false
	}
	for _, t := range types {
		if strings.EqualFold(t, "PRIVATE") {
			return false
		}
	}
	return true
}

func (b *builder) gatewayNode(r *regionInv, name, arn, detail string, p graph.Props, host string) *node {
	return b.add(&node{Node: graph.Node{ID: graph.GatewayID(b.env, name), Kind: graph.Gateway, Name: name, Env: b.env, Props: p,
		Sources: src(arn, detail)}, iam: "execute-api", names: []string{name}, arn: arn}, host)
}

// operation adds an API node for one route of a gateway, the gateway's
// route to it, and the function or backend that implements it.
func (b *builder) operation(gw *node, method, path string, authType, authorizer string, target string, s []graph.Source) bool {
	authed := authType != "" && authType != "NONE"
	id := graph.APIID(gw.ID, method, path)
	props := graph.Props{"method": method, "path": path, "protocol": "http", "authenticated": authed, "authorizationType": authType}
	if authorizer != "" {
		props["authorizer"] = authorizer
	}
	b.c.AddNode(AgentName, graph.Node{ID: id, Kind: graph.API, Name: method + " " + path, Env: b.env, Props: props, Sources: s})
	rp := graph.Props{"authenticated": authed}
	if authorizer != "" {
		rp["authorizer"] = authorizer
	}
	b.edge(graph.RoutesTo, gw.ID, id, rp, s)
	if target != "" {
		if t := b.resolve(target); t != nil {
			if t.Kind == graph.Service {
				b.edge(graph.Exposes, t.ID, id, nil, s)
			}
			if t.Kind == graph.Service || t.Kind == graph.Gateway {
				// One edge per gateway and backend, listing every route
				// that reaches it (emitted by flushRoutes).
				k := [2]graph.ID{gw.ID, t.ID}
				b.backends[k] = append(b.backends[k], method+" "+path)
				if len(b.backends[k]) == 1 {
					b.backendSrc[k] = s
				}
			}
		} else if host, ok := thirdPartyHost(target); ok {
			b.thirdParty(id, host, "integration "+method+" "+path, s)
		}
	}
	return authed
}

func (b *builder) restAPIs(r *regionInv) {
	for _, a := range r.restAPIs {
		apiID := aws.ToString(a.api.Id)
		arn := fmt.Sprintf("arn:aws:apigateway:%s::/restapis/%s", r.region, apiID)
		p := b.baseProps(r, "aws_api_gateway_rest_api", arn)
		p["type"], p["protocol"], p["apiId"] = "api-gateway", "rest", apiID
		types := []string{"EDGE"}
		if a.api.EndpointConfiguration != nil && len(a.api.EndpointConfiguration.Types) > 0 {
			types = types[:0]
			for _, t := range a.api.EndpointConfiguration.Types {
				types = append(types, string(t))
			}
		}
		p["endpointTypes"] = types
		public := apiPublic(types, a.api.DisableExecuteApiEndpoint)
		p["public"] = public
		var stages []string
		for _, s := range a.stages {
			stages = append(stages, aws.ToString(s.StageName))
			if aws.ToString(s.WebAclArn) != "" {
				p["waf"] = aws.ToString(s.WebAclArn)
			}
		}
		if len(stages) > 0 {
			p["stages"] = stages
		}
		authorizers := map[string]agtypes.Authorizer{}
		for _, au := range a.authorizers {
			authorizers[aws.ToString(au.Id)] = au
		}
		host := apiID + ".execute-api." + r.region + ".amazonaws.com"
		gw := b.gatewayNode(r, aws.ToString(a.api.Name), arn, "apigateway GetRestApis, GetResources", p, host)
		if public {
			b.edge(graph.RoutesTo, graph.InternetID, gw.ID, graph.Props{"port": int64(443)},
				src(arn, "API gateway endpoint "+strings.Join(types, ",")+" is reachable from the internet"))
		} else {
			p["publicReason"] = "private endpoint (reachable only through VPC endpoints)"
		}
		var all, open []string
		for _, res := range a.resources {
			for method, m := range res.ResourceMethods {
				if v := aws.ToString(m.HttpMethod); v != "" {
					method = v
				}
				path := aws.ToString(res.Path)
				authType := aws.ToString(m.AuthorizationType)
				authorizer := ""
				if au, ok := authorizers[aws.ToString(m.AuthorizerId)]; ok {
					authorizer = aws.ToString(au.Name)
				}
				if authType == "AWS_IAM" && authorizer == "" {
					authorizer = "AWS_IAM"
				}
				target := ""
				if m.MethodIntegration != nil {
					target = aws.ToString(m.MethodIntegration.Uri)
				}
				route := method + " " + path
				all = append(all, route)
				if !b.operation(gw, method, path, authType, authorizer, target, src(arn, "method "+route)) {
					open = append(open, route)
				}
			}
		}
		routeProps(p, all, open, public)
	}
}

func (b *builder) httpAPIs(r *regionInv) {
	for _, a := range r.httpAPIs {
		apiID := aws.ToString(a.api.ApiId)
		arn := fmt.Sprintf("arn:aws:apigateway:%s::/apis/%s", r.region, apiID)
		p := b.baseProps(r, "aws_apigatewayv2_api", arn)
		p["type"], p["protocol"], p["apiId"] = "api-gateway", strings.ToLower(string(a.api.ProtocolType)), apiID
		disabled := aws.ToBool(a.api.DisableExecuteApiEndpoint)
		types := []string{"REGIONAL"}
		if disabled {
			types = []string{"DISABLED"}
		}
		p["endpointTypes"] = types
		public := apiPublic(types, disabled)
		p["public"] = public
		gw := b.gatewayNode(r, aws.ToString(a.api.Name), arn, "apigatewayv2 GetApis, GetRoutes", p, urlHost(aws.ToString(a.api.ApiEndpoint)))
		if public {
			b.edge(graph.RoutesTo, graph.InternetID, gw.ID, graph.Props{"port": int64(443)}, src(arn, "HTTP API default endpoint is reachable from the internet"))
		} else {
			p["publicReason"] = "default execute-api endpoint disabled"
		}
		authorizers := map[string]string{}
		for _, au := range a.authorizers {
			authorizers[aws.ToString(au.AuthorizerId)] = aws.ToString(au.Name)
		}
		integrations := map[string]string{}
		for _, in := range a.integrations {
			integrations[aws.ToString(in.IntegrationId)] = aws.ToString(in.IntegrationUri)
		}
		var all, open []string
		for _, rt := range a.routes {
			key := aws.ToString(rt.RouteKey)
			method, path, ok := strings.Cut(key, " ")
			if !ok {
				// $default on an HTTP API takes every method and path;
				// WebSocket route keys ($connect, sendMessage) are messages.
				method, path = "ANY", key
				if a.api.ProtocolType == "WEBSOCKET" {
					method = "WS"
				}
			}
			authType := string(rt.AuthorizationType)
			if authType == "" {
				authType = "NONE"
			}
			authorizer := authorizers[aws.ToString(rt.AuthorizerId)]
			target := ""
			if t, ok := strings.CutPrefix(aws.ToString(rt.Target), "integrations/"); ok {
				target = integrations[t]
			}
			all = append(all, key)
			if !b.operation(gw, method, path, authType, authorizer, target, src(arn, "route "+key)) {
				open = append(open, key)
			}
		}
		routeProps(p, all, open, public)
	}
}

// flushRoutes adds gateway -ROUTES_TO-> backend once per pair, with the
// routes ("GET /orders") and path prefixes that reach it, as the Terraform
// agent's integration edges carry pathPrefixes.
func (b *builder) flushRoutes() {
	keys := make([][2]graph.ID, 0, len(b.backends))
	for k := range b.backends {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	for _, k := range keys {
		routes := dedupe(b.backends[k])
		sort.Strings(routes)
		var paths []string
		for _, r := range routes {
			_, p, _ := strings.Cut(r, " ")
			paths = append(paths, p)
		}
		sort.Strings(paths)
		b.edge(graph.RoutesTo, k[0], k[1], graph.Props{"routes": routes, "pathPrefixes": dedupe(paths)}, b.backendSrc[k])
	}
}

// routeProps records a gateway's routes and those without authentication
// (a misconfiguration when the gateway is public).
func routeProps(p graph.Props, all, open []string, public bool) {
	sort.Strings(all)
	sort.Strings(open)
	if len(all) > 0 {
		p["routes"] = all
	}
	if len(open) > 0 {
		p["unauthenticatedRoutes"] = open
		if public {
			misconf(p, "unauthenticated-routes")
		}
	}
}
