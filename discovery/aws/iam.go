package aws

import (
	"path"
	"slices"
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
		n := b.add(&node{Node: graph.Node{ID: graph.IdentityID("aws", "role/"+name), Kind: graph.Identity, Name: name, Env: b.env, Props: p,
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
	tix := newTargetIndex(b.nodes)
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
		for _, t := range tix.candidates(sts) {
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

// targetIndex narrows the resources a policy may reach before
// awsiam.Reach decides: an account has thousands of resources and roles,
// and most statements name one service and one resource or a name prefix.
// It only ever returns a superset of what Reach accepts.
type targetIndex struct {
	order  map[*node]int
	bySvc  map[string][]*node            // IAM service → targets
	names  map[string][]string           // IAM service → sorted target names
	byName map[string]map[string][]*node // IAM service → name → targets
}

func newTargetIndex(nodes []*node) *targetIndex {
	ix := &targetIndex{order: map[*node]int{}, bySvc: map[string][]*node{}, names: map[string][]string{}, byName: map[string]map[string][]*node{}}
	for i, n := range nodes {
		if n.iam == "" {
			continue
		}
		ix.order[n] = i
		ix.bySvc[n.iam] = append(ix.bySvc[n.iam], n)
		if ix.byName[n.iam] == nil {
			ix.byName[n.iam] = map[string][]*node{}
		}
		for _, name := range n.names {
			if len(ix.byName[n.iam][name]) == 0 {
				ix.names[n.iam] = append(ix.names[n.iam], name)
			}
			ix.byName[n.iam][name] = append(ix.byName[n.iam][name], n)
		}
	}
	for _, ns := range ix.names {
		sort.Strings(ns)
	}
	return ix
}

// services returns the IAM services an Allow statement's actions touch.
func (ix *targetIndex) services(st awsiam.Statement) []string {
	var out []string
	all := func() []string {
		out = out[:0]
		for svc := range ix.bySvc {
			out = append(out, svc)
		}
		return out
	}
	if st.NotAction {
		return all()
	}
	for _, a := range st.Actions {
		p, _, ok := strings.Cut(strings.ToLower(a), ":")
		switch {
		case a == "*" || !ok && strings.ContainsAny(a, "*?"):
			return all()
		case strings.ContainsAny(p, "*?"):
			for svc := range ix.bySvc {
				if m, _ := path.Match(p, svc); m {
					out = append(out, svc)
				}
			}
		case ok:
			out = append(out, p)
		}
	}
	return out
}

// candidates returns the targets some Allow statement of sts may reach,
// in discovery order.
func (ix *targetIndex) candidates(sts []awsiam.Statement) []*node {
	seen := map[*node]bool{}
	var out []*node
	add := func(ns []*node) {
		for _, n := range ns {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	for _, st := range sts {
		if !st.Allow() {
			continue
		}
		for _, svc := range ix.services(st) {
			for _, r := range st.Resources {
				ix.match(svc, r, add)
			}
		}
	}
	slices.SortFunc(out, func(a, b *node) int { return ix.order[a] - ix.order[b] })
	return out
}

// match adds the targets of svc that resource pattern r may name: by
// exact name for a plain ARN, by the literal name prefix before a
// wildcard, every target of the service otherwise.
func (ix *targetIndex) match(svc, r string, add func([]*node)) {
	parts := strings.SplitN(r, ":", 6)
	if r == "*" || len(parts) < 6 {
		add(ix.bySvc[svc])
		return
	}
	res := parts[5]
	w := strings.IndexAny(res, "*?")
	if w < 0 {
		for _, tok := range strings.FieldsFunc(res, func(c rune) bool { return c == '/' || c == ':' }) {
			add(ix.byName[svc][tok])
		}
		return
	}
	lit := res[:w]
	if svc == "s3" {
		if i := strings.IndexByte(lit, '/'); i >= 0 {
			// A wildcard among the object keys of one bucket.
			add(ix.byName[svc][lit[:i]])
			return
		}
	} else if i := strings.LastIndexAny(lit, "/:"); i >= 0 {
		lit = lit[i+1:]
	} else {
		lit = "" // the wildcard is in the resource type: anything
	}
	names := ix.names[svc]
	for i := sort.SearchStrings(names, lit); i < len(names) && strings.HasPrefix(names[i], lit); i++ {
		add(ix.byName[svc][names[i]])
	}
}
