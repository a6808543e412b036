package aws

import (
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/riskgraph/riskgraph/discovery/internal/awsiam"
	"github.com/riskgraph/riskgraph/graph"
)

// rolesOf adds an Identity for every IAM role, keyed as the Terraform
// agent keys aws_iam_role ("role/NAME").
func (b *builder) rolesOf(r *regionInv) {
	for _, ro := range r.roles {
		name := aws.ToString(ro.role.RoleName)
		arn := aws.ToString(ro.role.Arn)
		p := graph.Props{"provider": "aws", "type": "iam-role", "resourceType": "aws_iam_role", "account": r.account, "arn": arn}
		if doc := policyText(aws.ToString(ro.role.AssumeRolePolicyDocument)); doc != "" {
			if sts, err := awsiam.ParseJSON(doc); err == nil {
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
		if len(ro.attached) > 0 {
			ps := append([]string(nil), ro.attached...)
			sort.Strings(ps)
			p["managedPolicies"] = ps
		}
		if len(ro.inline) > 0 {
			var names []string
			for k := range ro.inline {
				names = append(names, k)
			}
			sort.Strings(names)
			p["inlinePolicies"] = names
		}
		n := b.add(&node{Node: graph.Node{ID: graph.IdentityID("aws", "role/"+name), Kind: graph.Identity, Name: name, Props: p,
			Sources: src(arn, "iam ListRoles, ListRolePolicies, ListAttachedRolePolicies")}, arn: arn})
		b.roles[name] = n
		b.policies = append(b.policies, rolePolicies{node: n, role: ro})
	}
	for _, ip := range r.profiles {
		for _, ro := range ip.Roles {
			b.profiles[aws.ToString(ip.Arn)] = append(b.profiles[aws.ToString(ip.Arn)], aws.ToString(ro.RoleName))
		}
	}
}

type rolePolicies struct {
	node *node
	role role
}

// roleName returns the name of a role from its ARN (arn:aws:iam::A:role/path/NAME).
func roleName(arn string) string {
	_, res, ok := strings.Cut(arn, ":role/")
	if !ok {
		return ""
	}
	return res[strings.LastIndex(res, "/")+1:]
}

// runsAs adds RUNS_AS from compute to the role it assumes: a function's
// execution role, an ECS task role, an instance profile's role.
func (b *builder) runsAs(r *regionInv) {
	for _, n := range b.nodes {
		if n.Kind != graph.Service || n.Props.String("region") != r.region {
			continue
		}
		var names []string
		for _, k := range []string{"role", "taskRole"} {
			if rn := roleName(n.Props.String(k)); rn != "" {
				names = append(names, rn)
			}
		}
		if ip := n.Props.String("instanceProfile"); ip != "" {
			names = append(names, b.profiles[ip]...)
		}
		for _, rn := range dedupe(names) {
			role, ok := b.roles[rn]
			if !ok {
				continue
			}
			b.edge(graph.RunsAs, n.ID, role.ID, nil, src(n.arn, "assumes "+role.arn))
		}
	}
}

// access adds CAN_ACCESS from every role to the discovered resources its
// inline and attached policies reach; wildcards are expanded against what
// this run found (s3:* on * reaches every bucket listed).
func (b *builder) access() {
	targets := make([]*node, 0, len(b.nodes))
	for _, n := range b.nodes {
		if n.iam != "" {
			targets = append(targets, n)
		}
	}
	for _, rp := range b.policies {
		var sts []awsiam.Statement
		var unresolved []string
		add := func(what, doc string) {
			s, err := awsiam.ParseJSON(doc)
			if err != nil {
				unresolved = append(unresolved, what)
				return
			}
			sts = append(sts, s...)
		}
		names := make([]string, 0, len(rp.role.inline))
		for k := range rp.role.inline {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			add("inline "+k, rp.role.inline[k])
		}
		for _, arn := range rp.role.attached {
			if doc, ok := rp.role.managed[arn]; ok {
				add(arn, doc)
			} else if s, ok := awsiam.Managed(arn); ok {
				sts = append(sts, s...)
			}
		}
		if len(unresolved) > 0 {
			rp.node.Props["unresolvedPolicies"] = unresolved
		}
		wild := false
		for _, t := range targets {
			g, ok := awsiam.Reach(sts, awsiam.Target{Service: t.iam, Names: t.names})
			if !ok {
				continue
			}
			wild = wild || g.Wildcard
			b.edge(graph.CanAccess, rp.node.ID, t.ID, graph.Props{"actions": g.Actions, "resources": g.Resources, "wildcard": g.Wildcard},
				src(rp.node.arn, "policies of role "+rp.node.Name))
		}
		if wild {
			rp.node.Props["wildcardPolicy"] = true
		}
	}
}
