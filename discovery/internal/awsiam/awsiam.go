// Package awsiam reads AWS IAM policy documents and decides which
// discovered resources a statement reaches. Terraform and CloudFormation
// both hand policies over as JSON-shaped data; the rules that turn
// "s3:*" on "*" into CAN_ACCESS edges are the same for both, so they live
// here once.
package awsiam

import (
	"encoding/json"
	"path"
	"sort"
	"strings"
)

// Statement is one Allow or Deny statement.
type Statement struct {
	Effect     string
	Actions    []string
	NotAction  bool // Actions came from NotAction: everything except them
	Resources  []string
	Principals []string // every principal identifier ("*" for anyone)
	Condition  bool     // the statement has a Condition (source IP, VPC endpoint, org, …)
}

// Allow reports whether the statement allows.
func (s Statement) Allow() bool { return !strings.EqualFold(s.Effect, "Deny") }

// Wildcard reports whether the statement uses a wildcard action or resource.
func (s Statement) Wildcard() bool {
	if s.NotAction {
		return true
	}
	for _, a := range s.Actions {
		if strings.Contains(a, "*") {
			return true
		}
	}
	for _, r := range s.Resources {
		if wildResource(r) {
			return true
		}
	}
	return false
}

// wildResource reports whether a resource pattern names resources by
// wildcard: "*", or an ARN whose resource part starts with one
// ("arn:aws:s3:::*"). Objects under a named bucket ("bucket/*") are not a
// wildcard over resources.
func wildResource(r string) bool {
	if r == "*" {
		return true
	}
	parts := strings.SplitN(r, ":", 6)
	if len(parts) < 6 {
		return strings.Contains(r, "*")
	}
	res := parts[5]
	if i := strings.IndexAny(res, "/:"); i >= 0 {
		if parts[2] == "s3" {
			res = res[:i] // the bucket; what follows is object keys
		} else if !strings.Contains(res[:i], "*") {
			res = res[i+1:] // "table/name", "function:name": the type prefix is not the name
			if j := strings.IndexAny(res, "/:"); j >= 0 {
				res = res[:j]
			}
		}
	}
	return strings.Contains(res, "*")
}

// ParseJSON reads a policy document from its JSON text.
func ParseJSON(text string) ([]Statement, error) {
	var doc any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	return FromValue(doc), nil
}

// FromValue reads a policy document already decoded into maps and slices
// (JSON or YAML). Elements that are not strings (unresolved intrinsic
// functions) are rendered by str, so a caller can mark them.
func FromValue(doc any) []Statement {
	m, ok := doc.(map[string]any)
	if !ok {
		return nil
	}
	var raw []any
	switch st := m["Statement"].(type) {
	case []any:
		raw = st
	case map[string]any:
		raw = []any{st}
	}
	var out []Statement
	for _, r := range raw {
		sm, ok := r.(map[string]any)
		if !ok {
			continue
		}
		s := Statement{Effect: Str(sm["Effect"])}
		if s.Effect == "" {
			s.Effect = "Allow"
		}
		if v, ok := sm["NotAction"]; ok {
			s.Actions, s.NotAction = Strings(v), true
		} else {
			s.Actions = Strings(sm["Action"])
		}
		s.Resources = Strings(sm["Resource"])
		if c, ok := sm["Condition"].(map[string]any); ok && len(c) > 0 {
			s.Condition = true
		}
		if _, ok := sm["NotResource"]; ok && len(s.Resources) == 0 {
			// Everything except some resources: as wide as "*" for reach.
			s.Resources = []string{"*"}
		}
		switch p := sm["Principal"].(type) {
		case string:
			s.Principals = []string{p}
		case map[string]any:
			keys := make([]string, 0, len(p))
			for k := range p {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				s.Principals = append(s.Principals, Strings(p[k])...)
			}
		}
		out = append(out, s)
	}
	return out
}

// Str renders a scalar policy element; anything else is rendered as JSON so
// that unresolved references stay visible (and never match a name).
func Str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool, float64, int, int64:
		b, _ := json.Marshal(x)
		return string(b)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Strings reads a string or a list of strings.
func Strings(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, Str(e))
		}
		return out
	case []string:
		return x
	}
	return []string{Str(v)}
}

// PublicPrincipal reports whether an Allow statement admits anyone
// ("*" or {"AWS": "*"}) without a Condition. A condition (aws:SourceIp,
// aws:SourceVpce, aws:PrincipalOrgID, …) narrows who that is, so such a
// statement is not counted as public: what the condition admits cannot be
// judged from the policy alone.
func PublicPrincipal(sts []Statement) bool {
	for _, s := range sts {
		if !s.Allow() || s.Condition {
			continue
		}
		for _, p := range s.Principals {
			if p == "*" {
				return true
			}
		}
	}
	return false
}

// Target is a discovered resource a statement may reach.
type Target struct {
	Service string   // IAM service prefix of its actions: s3, dynamodb, rds, es, lambda, ec2, …
	Names   []string // names an ARN pattern may match (bucket, table, function name)
	Refs    []string // reference markers the policy text uses for it (a Terraform address, a CloudFormation logical id)
}

// Grant is what a set of statements allows on one target.
type Grant struct {
	Actions   []string
	Resources []string
	Wildcard  bool
}

// Reach returns what the allow statements grant on t, or false when
// nothing reaches it. A statement reaches t when one of its actions names
// t's service (or is "*", or it is a NotAction statement) and one of its
// resources is "*", a wildcard ARN of that service, an ARN naming t, or a
// reference to t.
func Reach(sts []Statement, t Target) (Grant, bool) {
	var g Grant
	hit := false
	for _, s := range sts {
		if !s.Allow() {
			continue
		}
		acts := matchingActions(s, t.Service)
		if len(acts) == 0 {
			continue
		}
		res := matchingResources(s.Resources, t)
		if len(res) == 0 {
			continue
		}
		hit = true
		g.Actions = appendNew(g.Actions, acts...)
		g.Resources = appendNew(g.Resources, res...)
		g.Wildcard = g.Wildcard || s.Wildcard()
	}
	sort.Strings(g.Actions)
	sort.Strings(g.Resources)
	return g, hit
}

func matchingActions(s Statement, service string) []string {
	var out []string
	if s.NotAction {
		for _, a := range s.Actions {
			if a == "*" || strings.EqualFold(a, service+":*") {
				return nil // everything of this service is excluded
			}
		}
		return []string{"NotAction:" + strings.Join(s.Actions, ",")}
	}
	for _, a := range s.Actions {
		if a == "*" {
			out = append(out, a)
			continue
		}
		p, _, ok := strings.Cut(a, ":")
		if ok && (strings.EqualFold(p, service) || globMatch(strings.ToLower(p), service)) {
			out = append(out, a)
		}
	}
	return out
}

func matchingResources(rs []string, t Target) []string {
	var out []string
	for _, r := range rs {
		if r == "*" {
			out = append(out, r)
			continue
		}
		matched := false
		for _, ref := range t.Refs {
			if ref != "" && strings.Contains(r, ref) {
				matched = true
				break
			}
		}
		if !matched && strings.HasPrefix(r, "arn:") {
			parts := strings.SplitN(r, ":", 6)
			if len(parts) == 6 && (parts[2] == t.Service || globMatch(parts[2], t.Service)) {
				res := parts[5]
				for _, n := range t.Names {
					if n == "" {
						continue
					}
					if arnNames(t.Service, res, n) {
						matched = true
						break
					}
				}
				if res == "*" {
					matched = true
				}
			}
		}
		if matched {
			out = append(out, r)
		}
	}
	return out
}

// arnNames reports whether the resource part of an ARN of service can
// name n: the bucket of "bucket/key" for S3, the name after the type of
// "table/name" or "function:name" for the others, or the whole part.
func arnNames(service, res, n string) bool {
	cand := res
	if i := strings.IndexAny(res, "/:"); i >= 0 {
		if service == "s3" {
			cand = res[:i]
		} else {
			cand = res[i+1:]
			if j := strings.IndexAny(cand, "/:"); j >= 0 {
				cand = cand[:j]
			}
		}
	}
	return cand != "" && globMatch(cand, n)
}

// globMatch matches IAM wildcards (* and ?) against s.
func globMatch(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == s
	}
	// path.Match treats '/' specially; IAM does not, and names here have none.
	ok, err := path.Match(strings.ReplaceAll(pattern, "/", "\x00"), strings.ReplaceAll(s, "/", "\x00"))
	return err == nil && ok
}

func appendNew(xs []string, ys ...string) []string {
	for _, y := range ys {
		found := false
		for _, x := range xs {
			if x == y {
				found = true
				break
			}
		}
		if !found {
			xs = append(xs, y)
		}
	}
	return xs
}

// HasAWSKey reports whether text contains an AWS access key id (AKIA… or
// ASIA… followed by 16 upper-case letters or digits).
func HasAWSKey(text string) bool {
	for i := 0; i+20 <= len(text); i++ {
		if (text[i:i+4] == "AKIA" || text[i:i+4] == "ASIA") && (i == 0 || !isKeyChar(text[i-1])) {
			ok := true
			for j := i + 4; j < i+20; j++ {
				if !isKeyChar(text[j]) {
					ok = false
					break
				}
			}
			if ok && (i+20 == len(text) || !isKeyChar(text[i+20])) {
				return true
			}
		}
	}
	return false
}

func isKeyChar(b byte) bool { return (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') }

// managedPolicies are AWS managed policies whose effect is documented and
// wide enough to matter for blast radius.
var managedPolicies = map[string][]Statement{
	"AdministratorAccess":          {{Effect: "Allow", Actions: []string{"*"}, Resources: []string{"*"}}},
	"PowerUserAccess":              {{Effect: "Allow", NotAction: true, Actions: []string{"iam:*", "organizations:*", "account:*"}, Resources: []string{"*"}}},
	"AmazonS3FullAccess":           {{Effect: "Allow", Actions: []string{"s3:*", "s3-object-lambda:*"}, Resources: []string{"*"}}},
	"AmazonS3ReadOnlyAccess":       {{Effect: "Allow", Actions: []string{"s3:Get*", "s3:List*"}, Resources: []string{"*"}}},
	"AmazonDynamoDBFullAccess":     {{Effect: "Allow", Actions: []string{"dynamodb:*"}, Resources: []string{"*"}}},
	"AmazonDynamoDBReadOnlyAccess": {{Effect: "Allow", Actions: []string{"dynamodb:BatchGetItem", "dynamodb:Describe*", "dynamodb:List*", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"}, Resources: []string{"*"}}},
	"AmazonRDSFullAccess":          {{Effect: "Allow", Actions: []string{"rds:*"}, Resources: []string{"*"}}},
	"AmazonEC2FullAccess":          {{Effect: "Allow", Actions: []string{"ec2:*", "elasticloadbalancing:*"}, Resources: []string{"*"}}},
	"AWSLambda_FullAccess":         {{Effect: "Allow", Actions: []string{"lambda:*"}, Resources: []string{"*"}}},
	// The execution roles SAM and the Lambda console attach.
	"AWSLambdaExecute": {{Effect: "Allow", Actions: []string{"logs:*"}, Resources: []string{"arn:aws:logs:*:*:*"}},
		{Effect: "Allow", Actions: []string{"s3:GetObject", "s3:PutObject"}, Resources: []string{"arn:aws:s3:::*"}}},
	"AWSLambdaDynamoDBExecutionRole": {{Effect: "Allow", Actions: []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}, Resources: []string{"*"}}},
}

// Managed returns the statements of a well-known AWS managed policy, by
// ARN (arn:aws:iam::aws:policy/NAME) or name; false for any other policy,
// whose content is not known statically.
func Managed(arnOrName string) ([]Statement, bool) {
	name := arnOrName
	if strings.HasPrefix(name, "arn:") {
		if !strings.Contains(name, ":iam::aws:policy/") {
			return nil, false
		}
		name = name[strings.LastIndex(name, "/")+1:]
	}
	sts, ok := managedPolicies[name]
	return sts, ok
}

// Access classifies actions: whether they read and whether they write data.
func Access(actions []string) (read, write bool) {
	// IAM action names are case-insensitive: "s3:getobject" is s3:GetObject.
	for _, a := range actions {
		_, verb, ok := strings.Cut(a, ":")
		if !ok {
			verb = a
		}
		verb = strings.ToLower(verb)
		if a == "*" || strings.HasPrefix(verb, "*") || strings.HasPrefix(a, "NotAction:") {
			return true, true // "*", "s3:*", "s3:*Object": reads and writes
		}
		for _, p := range []string{"get", "query", "scan", "batchget", "list", "describe", "select", "read", "receive", "search", "eshttpget", "eshttphead", "connect"} {
			if strings.HasPrefix(verb, p) {
				read = true
			}
		}
		for _, p := range []string{"put", "update", "delete", "batchwrite", "write", "create", "send", "eshttppost", "eshttpput", "eshttpdelete", "restore", "modify", "partiql"} {
			if strings.HasPrefix(verb, p) {
				write = true
			}
		}
	}
	return read, write
}
