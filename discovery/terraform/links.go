package terraform

import (
	"path"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/riskgraph/riskgraph/discovery/internal/awsiam"
	"github.com/riskgraph/riskgraph/graph"
)

func (b *builder) gateway(r *block) {
	gt := gatewayTypes[r.Type]
	m := b.m
	p := b.baseProps(r)
	name, key := b.name(r, "name", p)
	p["type"] = gt.typ
	id := graph.GatewayID(b.env, key)
	switch r.Type {
	case "aws_lb", "aws_alb", "aws_elb":
		b.loadBalancer(r, p, id)
	case "aws_api_gateway_rest_api":
		types := []string{"EDGE"} // the AWS default endpoint type
		for _, ec := range blocks(r.Body, "endpoint_configuration") {
			if ts, _, known := m.strs(ec.Body, "types"); known {
				types = ts
			} else {
				types = nil
			}
		}
		p["endpointTypes"] = types
		b.apiExposure(r, p, id, types)
		b.restMethods(r, p)
		if f := b.fileArg(r, "body"); f != "" {
			p["definitionFile"] = f
		}
	case "aws_appsync_graphql_api":
		p["protocol"] = "graphql"
		var auths []string
		if v, ok := m.str(r.Body, "authentication_type"); ok {
			auths = append(auths, v)
		}
		for _, ap := range blocks(r.Body, "additional_authentication_provider") {
			if v, ok := m.str(ap.Body, "authentication_type"); ok {
				auths = append(auths, v)
			}
		}
		if len(auths) > 0 {
			p["authenticationTypes"] = auths
		}
		for _, lc := range blocks(r.Body, "log_config") {
			if v, ok := m.str(lc.Body, "field_log_level"); ok {
				p["fieldLogLevel"] = v
				if v == "ALL" {
					p["misconfigurations"] = []string{"logs-request-data"}
				}
			}
		}
		vis, _ := m.str(r.Body, "visibility")
		types := []string{"GLOBAL"}
		if vis == "PRIVATE" {
			types = []string{"PRIVATE"}
		}
		b.apiExposure(r, p, id, types)
		if f := b.fileArg(r, "schema"); f != "" {
			p["definitionFile"] = f
		}
	case "aws_apigatewayv2_api":
		if v, ok := m.str(r.Body, "protocol_type"); ok {
			p["protocol"] = strings.ToLower(v)
		}
		disabled, _, _ := m.boolean(r.Body, "disable_execute_api_endpoint")
		types := []string{"REGIONAL"}
		if disabled {
			types = []string{"DISABLED"}
		}
		b.apiExposure(r, p, id, types)
		if f := b.fileArg(r, "body"); f != "" {
			p["definitionFile"] = f
		}
		var open []string
		for _, rt := range m.byType["aws_apigatewayv2_route"] {
			if !hasRef(m.refs(rt.Body, "api_id"), r) {
				continue
			}
			auth, ok := m.str(rt.Body, "authorization_type")
			if !ok {
				auth = "NONE"
			}
			rk, _ := m.str(rt.Body, "route_key")
			if auth == "NONE" {
				open = append(open, rk)
			}
		}
		if len(open) > 0 {
			sort.Strings(open)
			p["unauthenticatedRoutes"] = open
		}
	}
	b.ids[r.Addr] = nodeRef{ID: id, Kind: graph.Gateway, Name: name, IAM: gt.iam, Block: r, Props: p, Targets: true}
}

// fileArg returns the file an argument reads with file(…) or
// templatefile(…) (an OpenAPI body, a GraphQL schema), as a path in
// evidence form ("" when it is not a file read with a known path).
func (b *builder) fileArg(r *block, attr string) string {
	a, ok := r.Body.Attributes[attr]
	if !ok {
		return ""
	}
	e := a.Expr
	// jsonencode(yamldecode(file(…))) and the like: look through calls.
	for depth := 0; depth < 4; depth++ {
		call, ok := e.(*hclsyntax.FunctionCallExpr)
		if !ok || len(call.Args) == 0 {
			return ""
		}
		if call.Name != "file" && call.Name != "templatefile" {
			e = call.Args[0]
			continue
		}
		ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"path": cty.ObjectVal(map[string]cty.Value{
			"module": cty.StringVal("."), "root": cty.StringVal("."), "cwd": cty.StringVal(".")})}}
		v, ok := evalKnown(call.Args[0], ctx)
		if !ok || v.Type() != cty.String || strings.HasPrefix(v.AsString(), "/") {
			return ""
		}
		return relJoin(b.m.rel, path.Clean(v.AsString()))
	}
	return ""
}

func (b *builder) apiExposure(r *block, p graph.Props, id graph.ID, types []string) {
	public := len(types) > 0
	for _, t := range types {
		if strings.EqualFold(t, "PRIVATE") || t == "DISABLED" {
			public = false
		}
	}
	p["public"] = public
	if public {
		b.internet(r, map[string]any{"port": int64(443)}, id, "API gateway endpoint "+strings.Join(types, ",")+" is reachable from the internet")
	} else if len(types) == 0 {
		p["publicReason"] = "endpoint type could not be resolved"
		delete(p, "public")
	}
}

func (b *builder) restMethods(r *block, p graph.Props) {
	m := b.m
	var open, all []string
	for _, mb := range m.byType["aws_api_gateway_method"] {
		if !hasRef(m.refs(mb.Body, "rest_api_id"), r) {
			continue
		}
		method, _ := m.str(mb.Body, "http_method")
		auth, _ := m.str(mb.Body, "authorization")
		route := method + " " + b.resourcePath(mb.Body)
		all = append(all, route)
		if auth == "NONE" {
			open = append(open, route)
		}
	}
	if len(all) > 0 {
		sort.Strings(all)
		p["routes"] = all
	}
	if len(open) > 0 {
		sort.Strings(open)
		p["unauthenticatedRoutes"] = open
	}
}

// resourcePath rebuilds an API Gateway resource path from path_part and
// parent_id references ("{unknown}" for what cannot be resolved).
func (b *builder) resourcePath(body *hclsyntax.Body) string {
	var parts []string
	refs := b.m.refs(body, "resource_id")
	for depth := 0; depth < 32 && len(refs) > 0; depth++ {
		res := refs[0]
		if res.Type != "aws_api_gateway_resource" {
			break
		}
		pp, ok := b.m.str(res.Body, "path_part")
		if !ok {
			pp = "{unknown}"
		}
		parts = append([]string{pp}, parts...)
		refs = b.m.refs(res.Body, "parent_id")
	}
	return "/" + strings.Join(parts, "/")
}

func (b *builder) loadBalancer(r *block, p graph.Props, id graph.ID) {
	m := b.m
	internal, _, intKnown := m.boolean(r.Body, "internal")
	p["internal"] = internal
	class := "classic"
	if r.Type != "aws_elb" {
		class = "application"
		if v, ok := m.str(r.Body, "load_balancer_type"); ok {
			class = v
		}
	}
	p["class"] = class
	var ports []int64
	for _, l := range blocks(r.Body, "listener") {
		if v, ok := m.integer(l.Body, "lb_port"); ok {
			ports = append(ports, v)
		}
	}
	for _, l := range m.ofType("aws_lb_listener") {
		if hasRef(m.refs(l.Body, "load_balancer_arn"), r) {
			if v, ok := m.integer(l.Body, "port"); ok {
				ports = append(ports, v)
			}
		}
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
	ports = dedupeInt(ports)
	if len(ports) > 0 {
		p["listenerPorts"] = ports
	}
	subnets := m.refs(r.Body, "subnets")
	for _, sm := range blocks(r.Body, "subnet_mapping") {
		subnets = append(subnets, m.refs(sm.Body, "subnet_id")...)
	}
	subPublic, subKnown := b.subnetsPublic(subnets)
	sgs := b.sgs(r, "security_groups")
	ex := b.n.sgExposure(sgs)
	if len(ex.SGs) > 0 {
		p["securityGroups"] = ex.SGs
	}
	if len(ex.WorldPorts) > 0 {
		p["openPorts"] = ex.WorldPorts
	}
	var open []int64
	switch {
	case len(sgs) == 0 && class == "network":
		open = ports // network load balancers without security groups pass everything
		if len(open) == 0 {
			open = []int64{0}
		}
	default:
		for _, port := range ports {
			if ex.opens(port) {
				open = append(open, port)
			}
		}
		if len(ports) == 0 && len(ex.Ports) > 0 {
			open = ex.Ports
		}
	}
	switch {
	case !intKnown:
		p["publicReason"] = "internal could not be resolved"
	case internal:
		p["public"] = false
		p["publicReason"] = "internal load balancer"
	case subKnown && !subPublic:
		p["public"] = false
		p["publicReason"] = "internet-facing scheme, but its subnets do not route to an internet gateway"
	case len(open) == 0 && len(ex.Unknown) > 0:
		p["publicReason"] = "internet-facing scheme; no rule known to admit 0.0.0.0/0, unresolved rules: " + strings.Join(ex.Unknown, "; ")
	case len(open) == 0:
		p["public"] = false
		p["publicReason"] = "internet-facing scheme, but no security group admits 0.0.0.0/0 on a listener port"
	default:
		p["public"] = true
		why := "internet-facing load balancer; listener open to 0.0.0.0/0"
		if len(ex.SGs) > 0 {
			why += " by " + strings.Join(ex.SGs, ", ") + " (" + strings.Join(ex.WorldPorts, ", ") + ")"
		}
		p["publicReason"] = why
		props := map[string]any{"ports": open}
		if open[0] > 0 {
			props["port"] = open[0]
		}
		b.internet(r, props, id, why)
	}
}

// route adds gateway -ROUTES_TO-> target when both are nodes.
func (b *builder) route(from, to *block, decl *block, props graph.Props) {
	f, ok1 := b.node(from.Addr)
	t, ok2 := b.node(to.Addr)
	if !ok1 || !ok2 || f.Kind != graph.Gateway || (t.Kind != graph.Service && t.Kind != graph.Gateway) {
		return
	}
	e := graph.NewEdge(graph.RoutesTo, f.ID, t.ID)
	e.Props = props
	e.Sources = []graph.Source{b.src(decl, decl.Line, decl.Addr)}
	b.c.AddEdge(AgentName, e)
}

func (b *builder) gatewayRoutes() {
	m := b.m
	for _, lb := range m.byType["aws_elb"] {
		props := graph.Props{}
		for _, l := range blocks(lb.Body, "listener") {
			if v, ok := m.integer(l.Body, "instance_port"); ok {
				props["port"] = v
			}
		}
		for _, in := range m.refs(lb.Body, "instances") {
			b.route(lb, in, lb, props)
		}
	}
	for _, a := range m.byType["aws_elb_attachment"] {
		for _, lb := range m.refs(a.Body, "elb") {
			for _, in := range m.refs(a.Body, "instance") {
				b.route(lb, in, a, nil)
			}
		}
	}
	// Target group → load balancers whose listeners (or listener rules)
	// forward to it.
	tgLBs := map[string][]*block{}
	listenerLB := map[string][]*block{}
	for _, l := range m.ofType("aws_lb_listener") {
		lbs := m.refs(l.Body, "load_balancer_arn")
		listenerLB[l.Addr] = lbs
		m.allRefs(l.Body, "", func(attr string, to *block) {
			if to.Type == "aws_lb_target_group" || to.Type == "aws_alb_target_group" {
				tgLBs[to.Addr] = append(tgLBs[to.Addr], lbs...)
			}
		})
	}
	for _, lr := range m.ofType("aws_lb_listener_rule") {
		var lbs []*block
		for _, l := range m.refs(lr.Body, "listener_arn") {
			lbs = append(lbs, listenerLB[l.Addr]...)
		}
		m.allRefs(lr.Body, "", func(attr string, to *block) {
			if to.Type == "aws_lb_target_group" || to.Type == "aws_alb_target_group" {
				tgLBs[to.Addr] = append(tgLBs[to.Addr], lbs...)
			}
		})
	}
	for _, a := range m.ofType("aws_lb_target_group_attachment") {
		props := graph.Props{}
		if v, ok := m.integer(a.Body, "port"); ok {
			props["port"] = v
		}
		for _, tg := range m.refs(a.Body, "target_group_arn") {
			for _, lb := range tgLBs[tg.Addr] {
				for _, target := range m.refs(a.Body, "target_id") {
					b.route(lb, target, a, props)
				}
			}
		}
	}
	for _, svc := range m.byType["aws_ecs_service"] {
		for _, lbb := range blocks(svc.Body, "load_balancer") {
			props := graph.Props{}
			if v, ok := m.integer(lbb.Body, "container_port"); ok {
				props["port"] = v
			}
			for _, tg := range m.refs(lbb.Body, "target_group_arn") {
				for _, lb := range tgLBs[tg.Addr] {
					b.route(lb, svc, svc, props)
				}
			}
			for _, lb := range m.refs(lbb.Body, "elb_name") {
				b.route(lb, svc, svc, props)
			}
		}
	}
	for _, t := range []string{"aws_api_gateway_integration", "aws_apigatewayv2_integration"} {
		for _, in := range m.byType[t] {
			apis := m.refs(in.Body, "rest_api_id")
			apis = append(apis, m.refs(in.Body, "api_id")...)
			targets := m.refs(in.Body, "uri")
			targets = append(targets, m.refs(in.Body, "integration_uri")...)
			props := graph.Props{}
			if t == "aws_api_gateway_integration" {
				method, _ := m.str(in.Body, "http_method")
				props["pathPrefixes"] = []string{b.resourcePath(in.Body)}
				if method != "" {
					props["method"] = method
				}
			}
			for _, api := range apis {
				for _, target := range targets {
					b.route(api, target, in, props)
				}
			}
		}
	}
}

// dataFlows adds READS/WRITES and CALLS from compute to what its
// environment variables and user data refer to.
func (b *builder) dataFlows() {
	for _, addr := range b.sortedNodeAddrs() {
		from := b.ids[addr]
		if from.Kind != graph.Service {
			continue
		}
		visit := func(attr string, to *block) {
			if !strings.HasPrefix(attr, "environment.") && !strings.HasPrefix(attr, "user_data") &&
				!strings.HasPrefix(attr, "task_definition.container_definitions") {
				return
			}
			t, ok := b.node(to.Addr)
			if !ok || t.ID == from.ID {
				return
			}
			via := attr
			if strings.HasPrefix(attr, "environment.variables.") {
				via = strings.TrimPrefix(attr, "environment.variables.")
			}
			src := []graph.Source{b.src(from.Block, from.Block.Line, attr+" refers to "+to.Addr)}
			switch t.Kind {
			case graph.DataStore:
				if strings.HasPrefix(attr, "user_data") {
					b.userDataDDL(from.Block, t)
				}
				for _, k := range []graph.EdgeKind{graph.Reads, graph.Writes} {
					e := graph.NewEdge(k, from.ID, t.ID)
					e.Props = graph.Props{"via": via}
					e.Sources = src
					b.c.AddEdge(AgentName, e)
				}
			case graph.Service, graph.Gateway:
				e := graph.NewEdge(graph.Calls, from.ID, t.ID)
				e.Props = graph.Props{"via": via}
				e.Sources = src
				b.c.AddEdge(AgentName, e)
			}
		}
		b.m.allRefs(from.Block.Body, "", visit)
		// An ECS service's containers are configured in its task definition.
		for _, td := range b.m.refs(from.Block.Body, "task_definition") {
			b.m.allRefs(td.Body, "task_definition.", visit)
		}
	}
}

// triggers adds READS from a function to the table stream, bucket or
// other store whose events invoke it (event source mappings, bucket
// notifications).
func (b *builder) triggers() {
	m := b.m
	read := func(fnRefs []*block, src *block, decl *block, via string) {
		st, ok := b.node(src.Addr)
		if !ok || st.Kind != graph.DataStore {
			return
		}
		for _, f := range fnRefs {
			fn, ok := b.node(f.Addr)
			if !ok || fn.Kind != graph.Service {
				continue
			}
			e := graph.NewEdge(graph.Reads, fn.ID, st.ID)
			if _, seen := b.c.Edge(e.ID); !seen {
				e.Props = graph.Props{"via": via} // the environment variable, when there is one, names it better
			}
			e.Sources = []graph.Source{b.src(decl, decl.Line, decl.Addr)}
			b.c.AddEdge(AgentName, e)
		}
	}
	for _, x := range m.byType["aws_lambda_event_source_mapping"] {
		for _, src := range m.refs(x.Body, "event_source_arn") {
			read(m.refs(x.Body, "function_name"), src, x, "event source "+x.Addr)
		}
	}
	for _, x := range m.byType["aws_s3_bucket_notification"] {
		for _, bucket := range m.refs(x.Body, "bucket") {
			for _, lf := range blocks(x.Body, "lambda_function") {
				read(m.refs(lf.Body, "lambda_function_arn"), bucket, x, "bucket notification "+x.Addr)
			}
		}
	}
}

// volumes adds READS and WRITES from an instance to the EBS volumes
// attached to it: whoever controls the instance controls their data.
func (b *builder) volumes() {
	for _, a := range b.attached {
		in, ok1 := b.node(a[0].Addr)
		vol, ok2 := b.node(a[1].Addr)
		if !ok1 || !ok2 || in.Kind != graph.Service {
			continue
		}
		for _, k := range []graph.EdgeKind{graph.Reads, graph.Writes} {
			e := graph.NewEdge(k, in.ID, vol.ID)
			e.Props = graph.Props{"via": "volume attachment " + a[2].Addr}
			e.Sources = []graph.Source{b.src(a[2], a[2].Line, a[2].Addr)}
			b.c.AddEdge(AgentName, e)
		}
	}
}

// userDataDDL records on a database the tables that the user data of an
// instance connecting to it creates (the classifier reads "columns").
func (b *builder) userDataDDL(from *block, store nodeRef) {
	a, ok := from.Body.Attributes["user_data"]
	if !ok {
		return
	}
	r := a.Expr.Range()
	if r.End.Byte > len(from.src) {
		return
	}
	tables, columns := ddlColumns(string(from.src[r.Start.Byte:r.End.Byte]))
	if len(tables) == 0 {
		return
	}
	store.Props["tables"] = dedupe(append(store.Props.Strings("tables"), tables...))
	store.Props["columns"] = dedupe(append(store.Props.Strings("columns"), columns...))
	store.Props["schemaFrom"] = from.Addr + " user_data"
}

// rolesOf resolves what a compute resource runs as.
func (b *builder) rolesOf(r *block) []*block {
	m := b.m
	var out []*block
	add := func(bs []*block) {
		for _, x := range bs {
			if x.Type == "aws_iam_role" {
				out = append(out, x)
			}
		}
	}
	switch r.Type {
	case "aws_instance":
		for _, ip := range m.refs(r.Body, "iam_instance_profile") {
			add(m.refs(ip.Body, "role"))
			add(m.refs(ip.Body, "roles"))
		}
	case "aws_lambda_function":
		add(m.refs(r.Body, "role"))
	case "aws_eks_cluster":
		add(m.refs(r.Body, "role_arn"))
	case "aws_ecs_service":
		for _, td := range m.refs(r.Body, "task_definition") {
			add(m.refs(td.Body, "task_role_arn"))
		}
	}
	return out
}

func (b *builder) runsAs() {
	for _, addr := range b.sortedNodeAddrs() {
		svc := b.ids[addr]
		if svc.Kind != graph.Service {
			continue
		}
		for _, role := range b.rolesOf(svc.Block) {
			id, ok := b.node(role.Addr)
			if !ok {
				continue
			}
			e := graph.NewEdge(graph.RunsAs, svc.ID, id.ID)
			e.Sources = []graph.Source{b.src(svc.Block, svc.Block.Line, svc.Block.Addr+" assumes "+role.Addr)}
			b.c.AddEdge(AgentName, e)
		}
	}
}

func (b *builder) identity(r *block) {
	p := b.baseProps(r)
	name, known := b.m.str(r.Body, "name")
	typ, prefix := "iam-role", "role/"
	if r.Type == "aws_iam_user" {
		typ, prefix = "iam-user", "user/"
	}
	p["provider"] = "aws"
	p["type"] = typ
	key := prefix + name
	if !known || name == "" {
		if t := r.exprText("name"); t != "" {
			p["nameExpr"] = t
		}
		name = r.Addr
		key = "terraform:" + b.m.rel + ":" + r.Addr
	}
	if a, ok := r.Body.Attributes["assume_role_policy"]; ok {
		if sts, ok := b.policy(a.Expr); ok {
			var by []string
			for _, s := range sts {
				by = append(by, s.Principals...)
			}
			if len(by) > 0 {
				sort.Strings(by)
				p["assumedBy"] = dedupe(by)
			}
		}
	}
	if r.Type == "aws_iam_user" {
		for _, k := range b.m.byType["aws_iam_access_key"] {
			if hasRef(b.m.refs(k.Body, "user"), r) {
				p["accessKeys"] = true
			}
		}
	}
	b.ids[r.Addr] = nodeRef{ID: graph.IdentityID("aws", key), Kind: graph.Identity, Name: name, Block: r, Props: p}
}

// access adds CAN_ACCESS from every identity to what its policies reach.
func (b *builder) access() {
	m := b.m
	for _, addr := range b.sortedNodeAddrs() {
		id := b.ids[addr]
		if id.Kind != graph.Identity {
			continue
		}
		r := id.Block
		var sts []awsiam.Statement
		var managed, unresolved []string
		addPolicy := func(decl *block, e hclsyntax.Expression) {
			s, ok := b.policy(e)
			if !ok {
				unresolved = append(unresolved, decl.Addr)
				return
			}
			sts = append(sts, s...)
		}
		addARN := func(decl *block, body *hclsyntax.Body, attr string) {
			for _, pol := range m.refs(body, attr) {
				if pol.Type == "aws_iam_policy" {
					if a, ok := pol.Body.Attributes["policy"]; ok {
						addPolicy(pol, a.Expr)
					}
				}
			}
			if arns, _, _ := m.strs(body, attr); len(arns) > 0 {
				for _, arn := range arns {
					managed = append(managed, arn)
					if s, ok := awsiam.Managed(arn); ok {
						sts = append(sts, s...)
					}
				}
			}
		}
		owner := "role"
		if r.Type == "aws_iam_user" {
			owner = "user"
		}
		for _, ib := range blocks(r.Body, "inline_policy") {
			if a, ok := ib.Body.Attributes["policy"]; ok {
				addPolicy(r, a.Expr)
			}
		}
		addARN(r, r.Body, "managed_policy_arns")
		for _, t := range []string{"aws_iam_" + owner + "_policy"} {
			for _, x := range m.byType[t] {
				if b.namesOwner(x.Body, owner, r) {
					if a, ok := x.Body.Attributes["policy"]; ok {
						addPolicy(x, a.Expr)
					}
				}
			}
		}
		for _, x := range m.byType["aws_iam_"+owner+"_policy_attachment"] {
			if b.namesOwner(x.Body, owner, r) {
				addARN(x, x.Body, "policy_arn")
			}
		}
		for _, x := range m.byType["aws_iam_policy_attachment"] {
			if hasRef(m.refs(x.Body, owner+"s"), r) {
				addARN(x, x.Body, "policy_arn")
			}
		}
		if len(managed) > 0 {
			sort.Strings(managed)
			id.Props["managedPolicies"] = dedupe(managed)
		}
		if len(unresolved) > 0 {
			sort.Strings(unresolved)
			id.Props["unresolvedPolicies"] = dedupe(unresolved)
		}
		wild := false
		// This module's resources, then the calling modules' (which a
		// policy names through an argument, "{{ref ^ADDRESS.var}}").
		var targets []nodeRef
		var refs []string
		for x := b; x != nil; x = x.parent {
			for _, taddr := range x.sortedNodeAddrs() {
				t := x.ids[taddr]
				ref := "{{ref ^" + t.Block.Addr + "."
				if x == b {
					ref = "{{ref " + t.Block.Type + "." + t.Block.Name + "."
				}
				targets, refs = append(targets, t), append(refs, ref)
			}
		}
		for i, t := range targets {
			if !t.Targets || t.IAM == "" {
				continue
			}
			g, ok := awsiam.Reach(sts, awsiam.Target{Service: t.IAM, Names: []string{t.Name}, Refs: []string{refs[i]}})
			if !ok {
				continue
			}
			wild = wild || g.Wildcard
			e := graph.NewEdge(graph.CanAccess, id.ID, t.ID)
			e.Props = graph.Props{"actions": g.Actions, "resources": g.Resources, "wildcard": g.Wildcard}
			e.Sources = []graph.Source{b.src(r, r.Line, "policy of "+r.Addr)}
			b.c.AddEdge(AgentName, e)
		}
		if wild {
			id.Props["wildcardPolicy"] = true
		}
		if b.stmts == nil {
			b.stmts = map[string][]awsiam.Statement{}
		}
		b.stmts[addr] = sts
	}
	b.callerAccess()
}

// callerAccess adds CAN_ACCESS from the calling modules' identities to this
// module's resources their policies reach (a wildcard or an ARN naming
// them: a caller refers to a module's resources only through its outputs,
// which are not followed).
func (b *builder) callerAccess() {
	for x := b.parent; x != nil; x = x.parent {
		for _, addr := range x.sortedNodeAddrs() {
			id := x.ids[addr]
			sts := x.stmts[addr]
			if id.Kind != graph.Identity || len(sts) == 0 {
				continue
			}
			for _, taddr := range b.sortedNodeAddrs() {
				t := b.ids[taddr]
				if !t.Targets || t.IAM == "" {
					continue
				}
				g, ok := awsiam.Reach(sts, awsiam.Target{Service: t.IAM, Names: []string{t.Name}})
				if !ok {
					continue
				}
				e := graph.NewEdge(graph.CanAccess, id.ID, t.ID)
				e.Props = graph.Props{"actions": g.Actions, "resources": g.Resources, "wildcard": g.Wildcard}
				e.Sources = []graph.Source{b.src(id.Block, id.Block.Line, "policy of "+id.Block.Addr)}
				b.c.AddEdge(AgentName, e)
			}
		}
	}
}

// namesOwner reports whether a policy or attachment's role/user argument
// names r (by reference, or by its literal name).
func (b *builder) namesOwner(body *hclsyntax.Body, owner string, r *block) bool {
	if hasRef(b.m.refs(body, owner), r) {
		return true
	}
	n, ok := b.m.str(body, owner)
	rn, ok2 := b.m.str(r.Body, "name")
	return ok && ok2 && n == rn
}
