package terraform

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/internal/awsiam"
	"github.com/riskgraph/riskgraph/discovery/internal/endpoint"
	"github.com/riskgraph/riskgraph/graph"
)

// nodeRef is a node made from a resource.
type nodeRef struct {
	ID      graph.ID
	Kind    graph.Kind
	Name    string
	IAM     string // IAM service prefix of its actions
	Block   *block
	Props   graph.Props
	Targets bool // may be reached by IAM policies
}

type builder struct {
	// attached lists instance, volume and attachment of EBS volumes.
	attached [][3]*block
	m        *module
	n        *network
	c        *discovery.Collector
	env      string
	ids      map[string]nodeRef            // resource address → node
	parent   *builder                      // the calling module's, for a called module
	stmts    map[string][]awsiam.Statement // identity address → its policies' statements
}

// node returns the node made from a resource of this module or, through
// an argument of the call, of a calling module.
func (b *builder) node(addr string) (nodeRef, bool) {
	for x := b; x != nil; x = x.parent {
		if nr, ok := x.ids[addr]; ok {
			return nr, true
		}
	}
	return nodeRef{}, false
}

// Store, compute, gateway and identity resource types and what they become.
var (
	storeTypes = map[string]struct{ engine, iam, nameAttr string }{
		"aws_s3_bucket":                     {"s3", "s3", "bucket"},
		"aws_db_instance":                   {"", "rds", "identifier"},
		"aws_rds_cluster":                   {"aurora", "rds", "cluster_identifier"},
		"aws_dynamodb_table":                {"dynamodb", "dynamodb", "name"},
		"aws_elasticsearch_domain":          {"elasticsearch", "es", "domain_name"},
		"aws_opensearch_domain":             {"opensearch", "es", "domain_name"},
		"aws_neptune_cluster":               {"neptune", "neptune-db", "cluster_identifier"},
		"aws_elasticache_cluster":           {"", "elasticache", "cluster_id"},
		"aws_elasticache_replication_group": {"redis", "elasticache", "replication_group_id"},
		"aws_ebs_volume":                    {"ebs", "ec2", ""},
		"aws_redshift_cluster":              {"redshift", "redshift", "cluster_identifier"},
		"aws_docdb_cluster":                 {"docdb", "rds", "cluster_identifier"},
	}
	serviceTypes = map[string]struct{ workload, iam, nameAttr string }{
		"aws_instance":        {"ec2-instance", "ec2", ""},
		"aws_lambda_function": {"lambda", "lambda", "function_name"},
		"aws_ecs_service":     {"ecs-service", "ecs", "name"},
		"aws_eks_cluster":     {"eks-cluster", "eks", "name"},
	}
	gatewayTypes = map[string]struct{ typ, iam string }{
		"aws_lb":                   {"load-balancer", "elasticloadbalancing"},
		"aws_alb":                  {"load-balancer", "elasticloadbalancing"},
		"aws_elb":                  {"load-balancer", "elasticloadbalancing"},
		"aws_api_gateway_rest_api": {"api-gateway", "execute-api"},
		"aws_apigatewayv2_api":     {"api-gateway", "execute-api"},
		"aws_appsync_graphql_api":  {"api-gateway", "appsync"},
	}
)

func (b *builder) build() {
	for _, addr := range b.sortedAddrs() {
		r := b.m.resources[addr]
		if _, ok := storeTypes[r.Type]; ok {
			b.store(r)
		} else if _, ok := serviceTypes[r.Type]; ok {
			b.service(r)
		} else if _, ok := gatewayTypes[r.Type]; ok {
			b.gateway(r)
		} else if r.Type == "aws_iam_role" || r.Type == "aws_iam_user" {
			b.identity(r)
		}
	}
	b.gatewayRoutes()
	b.dataFlows()
	b.volumes()
	b.triggers()
	b.runsAs()
	b.access()
	for _, addr := range b.sortedNodeAddrs() {
		nr := b.ids[addr]
		b.c.AddNode(AgentName, graph.Node{ID: nr.ID, Kind: nr.Kind, Name: nr.Name, Env: b.env, Props: nr.Props,
			Sources: []graph.Source{b.src(nr.Block, nr.Block.Line, nr.Block.Addr)}})
	}
}

func (b *builder) sortedAddrs() []string {
	out := make([]string, 0, len(b.m.resources))
	for a := range b.m.resources {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

func (b *builder) sortedNodeAddrs() []string {
	out := make([]string, 0, len(b.ids))
	for a := range b.ids {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

func (b *builder) src(r *block, line int, detail string) graph.Source {
	return graph.Source{Agent: AgentName, File: r.File, Line: line, Detail: detail}
}

// name returns the resource's real name when it is statically known, else
// its address; props get nameExpr when the name is an unresolved
// expression.
func (b *builder) name(r *block, attr string, props graph.Props) (name, key string) {
	if attr != "" {
		if v, ok := b.m.str(r.Body, attr); ok && v != "" {
			return v, v
		}
		if t := r.exprText(attr); t != "" {
			props["nameExpr"] = t
		}
	}
	if attr == "" || props["nameExpr"] == nil {
		// A Name tag is how the console shows instances and volumes.
		if v, ok := b.m.attr(r.Body, "tags"); ok {
			if tm, ok := toGo(v).(map[string]any); ok {
				if n, ok := tm["Name"].(string); ok && n != "" {
					return n, n
				}
			}
		}
	}
	// Unresolvable: the address names it, scoped by module so that two
	// modules' "aws_s3_bucket.data" stay two nodes.
	return r.Addr, "terraform:" + b.m.rel + ":" + r.Addr
}

func (b *builder) baseProps(r *block) graph.Props {
	p := graph.Props{"address": r.Addr, "resourceType": r.Type, "provider": "aws"}
	if b.m.rel != "" {
		p["module"] = b.m.rel
	}
	return p
}

func (b *builder) sgs(r *block, attrs ...string) []*block {
	var out []*block
	for _, a := range attrs {
		for _, sg := range b.m.refs(r.Body, a) {
			if sg.Type == "aws_security_group" {
				out = append(out, sg)
			}
		}
	}
	for _, nb := range blocks(r.Body, "vpc_config") {
		for _, sg := range b.m.refs(nb.Body, "security_group_ids") {
			out = append(out, sg)
		}
	}
	for _, nb := range blocks(r.Body, "network_configuration") {
		for _, sg := range b.m.refs(nb.Body, "security_groups") {
			out = append(out, sg)
		}
	}
	return out
}

// subnetsPublic says whether any referenced subnet routes to an internet
// gateway; known is false when no subnet could be resolved. A default
// subnet (aws_default_subnet) is public: the default VPC's main route table
// sends 0.0.0.0/0 to its internet gateway.
func (b *builder) subnetsPublic(subnets []*block) (public, known bool) {
	for _, s := range subnets {
		if s.Type == "aws_default_subnet" {
			return true, true
		}
		if s.Type != "aws_subnet" {
			continue
		}
		known = true
		if b.n.isPublic(s.Addr) {
			return true, true
		}
	}
	return false, known
}

func defaultPort(engine string) int64 {
	e := strings.ToLower(engine)
	switch {
	case strings.Contains(e, "postgres"):
		return 5432
	case strings.Contains(e, "mysql"), strings.Contains(e, "maria"), e == "aurora":
		return 3306
	case strings.Contains(e, "oracle"):
		return 1521
	case strings.Contains(e, "sqlserver"):
		return 1433
	case e == "redis":
		return 6379
	case e == "memcached":
		return 11211
	case e == "neptune":
		return 8182
	case e == "s3", e == "dynamodb", e == "elasticsearch", e == "opensearch":
		return 443
	}
	return 0
}

func (b *builder) store(r *block) {
	st := storeTypes[r.Type]
	m := b.m
	p := b.baseProps(r)
	name, key := b.name(r, st.nameAttr, p)
	engine := st.engine
	if e, ok := m.str(r.Body, "engine"); ok && e != "" {
		engine = e
	} else if src := replicaSource(m, r); src != nil {
		engine, _ = m.str(src.Body, "engine") // a read replica runs its source's engine
	}
	p["engine"] = engine
	p["managed"] = true
	var misconf []string
	switch r.Type {
	case "aws_s3_bucket":
		b.bucket(r, p, &misconf)
	case "aws_db_instance", "aws_rds_cluster", "aws_redshift_cluster", "aws_docdb_cluster":
		b.rds(r, p, engine, &misconf)
	case "aws_dynamodb_table":
		// DynamoDB encrypts every table at rest; the block only picks the key.
		p["encrypted"] = true
		for _, sb := range blocks(r.Body, "server_side_encryption") {
			if v, set, known := m.boolean(sb.Body, "enabled"); set && known {
				p["customerManagedKey"] = v
			}
		}
		p["public"] = false
	case "aws_elasticsearch_domain", "aws_opensearch_domain":
		b.search(r, p, &misconf)
	case "aws_neptune_cluster":
		enc, _, known := m.boolean(r.Body, "storage_encrypted")
		if known {
			p["encrypted"] = enc
		}
		p["public"] = false
		p["publicReason"] = "Neptune clusters are reachable only from inside their VPC"
	case "aws_elasticache_cluster", "aws_elasticache_replication_group":
		enc, _, known := m.boolean(r.Body, "at_rest_encryption_enabled")
		if known {
			p["encrypted"] = enc
		}
		p["public"] = false
		p["publicReason"] = "ElastiCache nodes are reachable only from inside their VPC"
	case "aws_ebs_volume":
		enc, _, known := m.boolean(r.Body, "encrypted")
		if known {
			p["encrypted"] = enc
		}
		for _, a := range m.byType["aws_volume_attachment"] {
			if hasRef(m.refs(a.Body, "volume_id"), r) {
				for _, i := range m.refs(a.Body, "instance_id") {
					p["attachedTo"] = i.Addr
					b.attached = append(b.attached, [3]*block{i, r, a})
				}
			}
		}
	}
	if port := defaultPort(engine); port > 0 {
		if v, ok := m.integer(r.Body, "port"); ok {
			port = v
		}
		p["port"] = port
	}
	if enc, ok := p["encrypted"].(bool); ok && !enc {
		misconf = append(misconf, "unencrypted")
	}
	if pub, ok := p["public"].(bool); ok && pub {
		misconf = append(misconf, "public")
	}
	if len(misconf) > 0 {
		sort.Strings(misconf)
		p["misconfigurations"] = dedupe(misconf)
	}
	b.ids[r.Addr] = nodeRef{ID: graph.DataStoreID(b.env, key), Kind: graph.DataStore, Name: name, IAM: st.iam, Block: r, Props: p, Targets: true}
}

var publicACLs = map[string]bool{"public-read": true, "public-read-write": true, "website": true}

func (b *builder) bucket(r *block, p graph.Props, misconf *[]string) {
	m := b.m
	encrypted := len(blocks(r.Body, "server_side_encryption_configuration")) > 0
	for _, t := range []string{"aws_s3_bucket_server_side_encryption_configuration"} {
		for _, x := range m.byType[t] {
			if hasRef(m.refs(x.Body, "bucket"), r) {
				encrypted = true
			}
		}
	}
	p["encrypted"] = encrypted
	versioning := false
	for _, vb := range blocks(r.Body, "versioning") {
		if v, _, _ := m.boolean(vb.Body, "enabled"); v {
			versioning = true
		}
	}
	for _, x := range m.byType["aws_s3_bucket_versioning"] {
		if hasRef(m.refs(x.Body, "bucket"), r) {
			for _, vb := range blocks(x.Body, "versioning_configuration") {
				if s, _ := m.str(vb.Body, "status"); s == "Enabled" {
					versioning = true
				}
			}
		}
	}
	p["versioning"] = versioning
	logging := len(blocks(r.Body, "logging")) > 0
	for _, x := range m.byType["aws_s3_bucket_logging"] {
		if hasRef(m.refs(x.Body, "bucket"), r) {
			logging = true
		}
	}
	p["accessLogging"] = logging
	var objects []string
	for _, t := range []string{"aws_s3_bucket_object", "aws_s3_object"} {
		for _, x := range m.byType[t] {
			if hasRef(m.refs(x.Body, "bucket"), r) {
				if k, ok := m.str(x.Body, "key"); ok {
					objects = append(objects, k)
				}
			}
		}
	}
	if len(objects) > 0 {
		sort.Strings(objects)
		p["objects"] = objects
	}

	// Public: a public ACL or a policy admitting anyone, unless a public
	// access block for the bucket stops it.
	blockACL, blockPolicy := false, false
	for _, x := range m.byType["aws_s3_bucket_public_access_block"] {
		if !hasRef(m.refs(x.Body, "bucket"), r) {
			continue
		}
		for _, a := range []string{"block_public_acls", "ignore_public_acls"} {
			if v, _, _ := m.boolean(x.Body, a); v {
				blockACL = true
			}
		}
		for _, a := range []string{"block_public_policy", "restrict_public_buckets"} {
			if v, _, _ := m.boolean(x.Body, a); v {
				blockPolicy = true
			}
		}
	}
	var reasons []string
	acls := []string{}
	if a, ok := m.str(r.Body, "acl"); ok {
		acls = append(acls, a)
	}
	for _, x := range m.byType["aws_s3_bucket_acl"] {
		if hasRef(m.refs(x.Body, "bucket"), r) {
			if a, ok := m.str(x.Body, "acl"); ok {
				acls = append(acls, a)
			}
		}
	}
	for _, a := range acls {
		if publicACLs[a] {
			if blockACL {
				reasons = append(reasons, "acl "+a+" is neutralised by the public access block")
				continue
			}
			p["public"] = true
			reasons = append(reasons, "acl "+a)
		}
	}
	policies := []hclsyntax.Expression{}
	if a, ok := r.Body.Attributes["policy"]; ok {
		policies = append(policies, a.Expr)
	}
	for _, x := range m.byType["aws_s3_bucket_policy"] {
		if hasRef(m.refs(x.Body, "bucket"), r) {
			if a, ok := x.Body.Attributes["policy"]; ok {
				policies = append(policies, a.Expr)
			}
		}
	}
	for _, e := range policies {
		sts, ok := b.policy(e)
		if !ok {
			reasons = append(reasons, "bucket policy could not be resolved")
			continue
		}
		if awsiam.PublicPrincipal(sts) {
			if blockPolicy {
				reasons = append(reasons, "policy admits Principal * but the public access block restricts it")
				continue
			}
			p["public"] = true
			reasons = append(reasons, "policy admits Principal *")
		}
	}
	if _, ok := p["public"]; !ok {
		p["public"] = false
		if len(reasons) == 0 {
			reasons = append(reasons, "no public ACL or policy (private by default)")
		}
	}
	p["publicReason"] = strings.Join(reasons, "; ")
	if !logging {
		*misconf = append(*misconf, "no-access-logging")
	}
}

func (b *builder) rds(r *block, p graph.Props, engine string, misconf *[]string) {
	m := b.m
	encAttr, subnetAttr := "storage_encrypted", "db_subnet_group_name"
	if r.Type == "aws_redshift_cluster" {
		encAttr, subnetAttr = "encrypted", "cluster_subnet_group_name"
	}
	enc, set, known := m.boolean(r.Body, encAttr)
	if _, replica := r.Body.Attributes["replicate_source_db"]; replica && !set {
		// A read replica is encrypted as its source is.
		enc, known = false, false
		if src := replicaSource(m, r); src != nil {
			enc, _, known = m.boolean(src.Body, encAttr)
		}
	}
	if known {
		p["encrypted"] = enc
	}
	if db, ok := m.str(r.Body, "db_name"); ok {
		p["database"] = db
	} else if db, ok := m.str(r.Body, "name"); ok && r.Type == "aws_db_instance" {
		p["database"] = db
	} else if db, ok := m.str(r.Body, "database_name"); ok {
		p["database"] = db
	}
	flag, _, flagKnown := m.boolean(r.Body, "publicly_accessible")
	if r.Type == "aws_rds_cluster" {
		for _, in := range m.byType["aws_rds_cluster_instance"] {
			if hasRef(m.refs(in.Body, "cluster_identifier"), r) {
				if v, _, k := m.boolean(in.Body, "publicly_accessible"); k && v {
					flag = true
				} else if !k {
					flagKnown = false
				}
			}
		}
	}
	p["publiclyAccessible"] = flag
	if !flag {
		p["public"] = false
		if flagKnown {
			p["publicReason"] = "publicly_accessible is not set"
		} else {
			p["publicReason"] = "publicly_accessible could not be resolved"
			p["public"] = nil
			delete(p, "public")
		}
		return
	}
	*misconf = append(*misconf, "publicly-accessible-flag")
	port := defaultPort(engine)
	if v, ok := m.integer(r.Body, "port"); ok {
		port = v
	}
	var subnets []*block
	for _, g := range m.refs(r.Body, subnetAttr) {
		subnets = append(subnets, m.refs(g.Body, "subnet_ids")...)
	}
	subPublic, subKnown := b.subnetsPublic(subnets)
	sgs := b.sgs(r, "vpc_security_group_ids", "security_group_names")
	where := "public subnet"
	if _, set := r.Body.Attributes[subnetAttr]; !set && !subKnown && inDefaultVPC(sgs) {
		// No subnet group, and security groups of the default VPC: the
		// database is in the default VPC's subnets, which are public.
		subPublic, subKnown, where = true, true, "default VPC subnets"
	}
	ex := b.n.sgExposure(sgs)
	var why []string
	switch {
	case len(ex.SGs) == 0:
		why = append(why, "publicly_accessible = true, but no security group is attached here (the VPC default group admits only itself)")
	case !ex.opens(port):
		w := "publicly_accessible = true, but security group " + strings.Join(ex.SGs, ", ") + " admits "
		if len(ex.Admitted) == 0 {
			w += "nothing"
		} else {
			w += "only " + strings.Join(ex.Admitted, ", ")
		}
		why = append(why, w)
		if len(ex.Unknown) > 0 {
			why = append(why, "unresolved rules: "+strings.Join(ex.Unknown, "; "))
		}
	}
	if subKnown && !subPublic {
		why = append(why, "its subnets do not route to an internet gateway")
	}
	if len(why) > 0 {
		p["publicReason"] = strings.Join(why, "; ")
		// With rules that could not be resolved and nothing else closing
		// the path, whether it is public is unknown, not false.
		if len(ex.Unknown) == 0 || (subKnown && !subPublic) {
			p["public"] = false
		}
		return
	}
	if !subKnown {
		p["publicReason"] = fmt.Sprintf("publicly_accessible = true and %s admits the world on %d; subnets unknown", strings.Join(ex.SGs, ", "), port)
		return
	}
	p["public"] = true
	p["publicReason"] = fmt.Sprintf("publicly_accessible = true, %s, and %s admits %s", where, strings.Join(ex.SGs, ", "), strings.Join(ex.WorldPorts, ", "))
}

// replicaSource returns the aws_db_instance a read replica replicates, when
// it is in the module.
func replicaSource(m *module, r *block) *block {
	if r.Type != "aws_db_instance" {
		return nil
	}
	for _, src := range m.refs(r.Body, "replicate_source_db") {
		if src.Type == "aws_db_instance" {
			return src
		}
	}
	return nil
}

// inDefaultVPC reports whether security groups are all of the default VPC:
// declared here without vpc_id.
func inDefaultVPC(sgs []*block) bool {
	for _, sg := range sgs {
		if _, ok := sg.Body.Attributes["vpc_id"]; ok || sg.Type != "aws_security_group" {
			return false
		}
	}
	return len(sgs) > 0
}

func (b *builder) search(r *block, p graph.Props, misconf *[]string) {
	m := b.m
	for _, eb := range blocks(r.Body, "encrypt_at_rest") {
		if v, _, k := m.boolean(eb.Body, "enabled"); k {
			p["encrypted"] = v
		}
	}
	if _, ok := p["encrypted"]; !ok {
		p["encrypted"] = false
	}
	if v, ok := m.str(r.Body, "elasticsearch_version"); ok {
		p["version"] = v
	} else if v, ok := m.str(r.Body, "engine_version"); ok {
		p["version"] = v
	}
	inVPC := len(blocks(r.Body, "vpc_options")) > 0
	var pols []hclsyntax.Expression
	if a, ok := r.Body.Attributes["access_policies"]; ok {
		pols = append(pols, a.Expr)
	}
	for _, t := range []string{"aws_elasticsearch_domain_policy", "aws_opensearch_domain_policy"} {
		for _, x := range m.byType[t] {
			if hasRef(m.refs(x.Body, "domain_name"), r) || hasRef(m.refs(x.Body, "domain_arn"), r) {
				if a, ok := x.Body.Attributes["access_policies"]; ok {
					pols = append(pols, a.Expr)
				}
			}
		}
	}
	open := false
	for _, e := range pols {
		if sts, ok := b.policy(e); ok && awsiam.PublicPrincipal(sts) {
			open = true
		}
	}
	switch {
	case inVPC:
		p["public"] = false
		p["publicReason"] = "domain is inside a VPC"
	case open:
		p["public"] = true
		p["publicReason"] = "public endpoint (no vpc_options) and an access policy admitting Principal *"
		*misconf = append(*misconf, "open-access-policy")
	default:
		p["public"] = false
		p["publicReason"] = "public endpoint, but no access policy admits anyone"
	}
}

func hasRef(refs []*block, r *block) bool {
	for _, x := range refs {
		if x == r {
			return true
		}
	}
	return false
}

// policy resolves a policy argument (heredoc JSON, jsonencode(...), or a
// policy document's .json) to statements.
func (b *builder) policy(e hclsyntax.Expression) ([]awsiam.Statement, bool) {
	v, ok := b.m.evalMarked(e)
	if !ok || v.Type() != cty.String {
		return nil, false
	}
	sts, err := awsiam.ParseJSON(v.AsString())
	return sts, err == nil
}

func (b *builder) service(r *block) {
	st := serviceTypes[r.Type]
	m := b.m
	p := b.baseProps(r)
	name, key := b.name(r, st.nameAttr, p)
	p["workload"] = st.workload
	var misconf []string
	switch r.Type {
	case "aws_instance":
		if v, ok := m.str(r.Body, "ami"); ok {
			p["image"] = v
		}
		b.instanceExposure(r, p, &misconf)
		if ud, ok := r.Body.Attributes["user_data"]; ok && b.secretText(r, ud.Expr) {
			p["plaintextSecrets"] = true
			misconf = append(misconf, "plaintext-secrets")
		}
	case "aws_lambda_function":
		for _, a := range []string{"runtime", "handler", "image_uri"} {
			if v, ok := m.str(r.Body, a); ok {
				p[a] = v
			}
		}
		if v, ok := p["image_uri"]; ok {
			delete(p, "image_uri")
			p["image"] = v
		}
		b.lambdaEnv(r, p, &misconf)
		b.functionURL(r, p)
	case "aws_eks_cluster":
		pub := true // the AWS default when vpc_config does not say
		cidrs := []string{"0.0.0.0/0"}
		for _, vb := range blocks(r.Body, "vpc_config") {
			if v, set, k := m.boolean(vb.Body, "endpoint_public_access"); set && k {
				pub = v
			} else if set && !k {
				pub = false
				p["publicReason"] = "endpoint_public_access could not be resolved"
			}
			if cs, present, known := m.strs(vb.Body, "public_access_cidrs"); present {
				cidrs = cs
				if !known {
					cidrs = nil
				}
			}
		}
		world := false
		for _, c := range cidrs {
			if worldCIDR(c) {
				world = true
			}
		}
		p["endpointPublicAccess"] = pub
		if pub && world {
			p["openPorts"] = []string{"tcp:443"}
			b.internet(r, map[string]any{"port": int64(443)}, graph.ServiceID(b.env, key), "public API endpoint (endpoint_public_access defaults to true) open to 0.0.0.0/0")
			misconf = append(misconf, "public-api-endpoint")
		}
	case "aws_ecs_service":
		for _, nb := range blocks(r.Body, "network_configuration") {
			if v, _, k := m.boolean(nb.Body, "assign_public_ip"); k {
				p["publicIp"] = v
			}
		}
		b.containerEnv(r, p, &misconf)
	}
	if len(misconf) > 0 {
		sort.Strings(misconf)
		p["misconfigurations"] = dedupe(misconf)
	}
	b.ids[r.Addr] = nodeRef{ID: graph.ServiceID(b.env, key), Kind: graph.Service, Name: name, IAM: st.iam, Block: r, Props: p, Targets: true}
}

// internet adds Internet -ROUTES_TO-> id.
func (b *builder) internet(r *block, props map[string]any, id graph.ID, why string) {
	e := graph.NewEdge(graph.RoutesTo, graph.InternetID, id)
	e.Props = graph.Props{}
	for k, v := range props {
		e.Props[k] = v
	}
	e.Sources = []graph.Source{b.src(r, r.Line, why)}
	b.c.AddEdge(AgentName, e)
}

func (b *builder) instanceExposure(r *block, p graph.Props, misconf *[]string) {
	m := b.m
	subnets := m.refs(r.Body, "subnet_id")
	for _, ni := range blocks(r.Body, "network_interface") {
		for _, eni := range m.refs(ni.Body, "network_interface_id") {
			subnets = append(subnets, m.refs(eni.Body, "subnet_id")...)
		}
	}
	publicIP, ipKnown := false, false
	if v, set, k := m.boolean(r.Body, "associate_public_ip_address"); set {
		publicIP, ipKnown = v, k
	} else {
		for _, s := range subnets {
			switch s.Type {
			case "aws_subnet":
				v, _, k := m.boolean(s.Body, "map_public_ip_on_launch")
				publicIP, ipKnown = v, k
			case "aws_default_subnet":
				// Default subnets give instances a public IP unless told not to.
				v, set, k := m.boolean(s.Body, "map_public_ip_on_launch")
				publicIP, ipKnown = v || !set, k
			}
		}
	}
	for _, eip := range m.byType["aws_eip"] {
		if hasRef(m.refs(eip.Body, "instance"), r) {
			publicIP, ipKnown = true, true
		}
	}
	for _, a := range m.byType["aws_eip_association"] {
		if hasRef(m.refs(a.Body, "instance_id"), r) {
			publicIP, ipKnown = true, true
		}
	}
	if ipKnown {
		p["publicIp"] = publicIP
	}
	if len(subnets) > 0 {
		p["subnet"] = subnets[0].Addr
	}
	subPublic, subKnown := b.subnetsPublic(subnets)
	sgs := b.sgs(r, "vpc_security_group_ids", "security_groups")
	ex := b.n.sgExposure(sgs)
	if len(ex.SGs) > 0 {
		p["securityGroups"] = ex.SGs
	}
	if len(ex.WorldPorts) > 0 {
		p["openPorts"] = ex.WorldPorts
	}
	if ex.sshOpen() {
		p["sshOpenToInternet"] = true
		*misconf = append(*misconf, "ssh-open-to-internet")
	}
	switch {
	case !ipKnown:
		p["publicReason"] = "public IP unknown (no subnet or associate_public_ip_address resolved)"
	case !publicIP:
		p["publicReason"] = "no public IP"
	case !subKnown:
		p["publicReason"] = "subnet unknown"
	case !subPublic:
		p["publicReason"] = "subnet does not route to an internet gateway"
	case len(ex.WorldPorts) == 0 && len(ex.Unknown) > 0:
		p["publicReason"] = "no rule known to admit 0.0.0.0/0; unresolved rules: " + strings.Join(ex.Unknown, "; ")
	case len(ex.WorldPorts) == 0:
		p["publicReason"] = "no security group admits 0.0.0.0/0"
	default:
		props := map[string]any{"ports": ex.Ports}
		for _, port := range ex.Ports {
			if port > 0 {
				props["port"] = port
				break
			}
		}
		why := "public IP in a subnet routed to an internet gateway; " + strings.Join(ex.SGs, ", ") + " admits " + strings.Join(ex.WorldPorts, ", ") + " from 0.0.0.0/0"
		p["publicReason"] = why
		_, key := b.name(r, "", graph.Props{})
		b.internet(r, props, graph.ServiceID(b.env, key), why)
	}
}

// secretText reports whether an expression holds a plaintext credential:
// an AWS access key id, or an interpolated variable with a secret-like name
// and a literal default.
func (b *builder) secretText(r *block, e hclsyntax.Expression) bool {
	rng := e.Range()
	if rng.End.Byte <= len(r.src) && awsiam.HasAWSKey(string(r.src[rng.Start.Byte:rng.End.Byte])) {
		return true
	}
	for _, t := range e.Variables() {
		if t.RootName() != "var" || len(t) < 2 {
			continue
		}
		if a, ok := t[1].(hcl.TraverseAttr); ok && endpoint.SecretName(a.Name) {
			if v, ok := b.m.vars[a.Name]; ok && v.IsKnown() && !v.IsNull() {
				return true
			}
		}
	}
	return false
}

func (b *builder) lambdaEnv(r *block, p graph.Props, misconf *[]string) {
	var keys, secretKeys []string
	for _, eb := range blocks(r.Body, "environment") {
		a, ok := eb.Body.Attributes["variables"]
		if !ok {
			continue
		}
		obj, ok := a.Expr.(*hclsyntax.ObjectConsExpr)
		if !ok {
			continue
		}
		for _, it := range obj.Items {
			k, ok := evalKnown(it.KeyExpr, nil)
			if !ok || k.Type() != cty.String {
				continue
			}
			key := k.AsString()
			keys = append(keys, key)
			v, known := evalKnown(it.ValueExpr, b.m.ctx)
			if known && v.Type() == cty.String {
				if host, ok := endpoint.ThirdParty(v.AsString()); ok {
					b.thirdParty(r, host, key)
				}
			}
			literal := known && v.Type() == cty.String && len(it.ValueExpr.Variables()) == 0
			if (literal && endpoint.SecretName(key) && v.AsString() != "") || (literal && awsiam.HasAWSKey(v.AsString())) || b.secretText(r, it.ValueExpr) {
				secretKeys = append(secretKeys, key)
			}
		}
	}
	if len(keys) > 0 {
		sort.Strings(keys)
		p["envKeys"] = keys
	}
	if len(secretKeys) > 0 {
		sort.Strings(secretKeys)
		p["plaintextSecrets"] = true
		p["secretEnvKeys"] = secretKeys
		*misconf = append(*misconf, "plaintext-secrets")
	}
}

// containerEnv records the environment of an ECS service's containers (its
// task definition's container_definitions, jsonencode or heredoc JSON):
// envKeys, and secretEnvKeys for literal values of secret-like names or
// AWS access keys. Values are never kept.
func (b *builder) containerEnv(r *block, p graph.Props, misconf *[]string) {
	var keys, secretKeys []string
	for _, td := range b.m.refs(r.Body, "task_definition") {
		a, ok := td.Body.Attributes["container_definitions"]
		if !ok {
			continue
		}
		v, ok := b.m.evalMarked(a.Expr)
		if !ok || v.Type() != cty.String {
			continue
		}
		var containers []struct {
			Environment []struct {
				Name  string `json:"name"`
				Value any    `json:"value"`
			} `json:"environment"`
		}
		if json.Unmarshal([]byte(v.AsString()), &containers) != nil {
			continue
		}
		for _, c := range containers {
			for _, e := range c.Environment {
				if e.Name == "" {
					continue
				}
				keys = append(keys, e.Name)
				val, _ := e.Value.(string)
				literal := val != "" && !strings.Contains(val, "{{ref ")
				if literal && (endpoint.SecretName(e.Name) || awsiam.HasAWSKey(val)) {
					secretKeys = append(secretKeys, e.Name)
				}
			}
		}
	}
	if len(keys) > 0 {
		sort.Strings(keys)
		p["envKeys"] = dedupe(keys)
	}
	if len(secretKeys) > 0 {
		sort.Strings(secretKeys)
		p["plaintextSecrets"] = true
		p["secretEnvKeys"] = dedupe(secretKeys)
		*misconf = append(*misconf, "plaintext-secrets")
	}
}

// thirdParty adds CALLS from a function to the external host an
// environment variable names.
func (b *builder) thirdParty(r *block, host, via string) {
	id := graph.ThirdPartyID(host)
	b.c.AddNode(AgentName, graph.Node{ID: id, Kind: graph.ThirdParty, Name: host, Props: graph.Props{"host": host},
		Sources: []graph.Source{b.src(r, r.Line, r.Addr+" environment "+via)}})
	_, key := b.name(r, serviceTypes[r.Type].nameAttr, graph.Props{})
	e := graph.NewEdge(graph.Calls, graph.ServiceID(b.env, key), id)
	e.Props = graph.Props{"via": via}
	e.Sources = []graph.Source{b.src(r, r.Line, r.Addr+" environment "+via)}
	b.c.AddEdge(AgentName, e)
}

func (b *builder) functionURL(r *block, p graph.Props) {
	for _, u := range b.m.byType["aws_lambda_function_url"] {
		if !hasRef(b.m.refs(u.Body, "function_name"), r) {
			continue
		}
		auth, _ := b.m.str(u.Body, "authorization_type")
		p["functionUrlAuth"] = auth
		_, key := b.name(r, "function_name", graph.Props{})
		b.internet(u, map[string]any{"port": int64(443), "authenticated": auth != "NONE"}, graph.ServiceID(b.env, key),
			"function URL ("+u.Addr+", authorization "+auth+")")
	}
}
