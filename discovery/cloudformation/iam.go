package cloudformation

import (
	"sort"
	"strings"

	"github.com/riskgraph/riskgraph/discovery/internal/awsiam"
	"github.com/riskgraph/riskgraph/graph"
)

// rolePolicies reads an AWS::IAM::Role's inline policies and managed ARNs.
func (b *builder) rolePolicies(r *resource) {
	t := b.t
	for _, p := range listOf(r.Props["Policies"]) {
		b.stmts[r.ID] = append(b.stmts[r.ID], awsiam.FromValue(t.resolve(mapOf(p)["PolicyDocument"]))...)
	}
	b.managed(r.ID, awsiam.Strings(t.resolve(r.Props["ManagedPolicyArns"])))
}

func (b *builder) managed(role string, arns []string) {
	n := b.nodes[role]
	for _, arn := range arns {
		if n != nil {
			l, _ := n.Props["managedPolicies"].([]string)
			n.Props["managedPolicies"] = append(l, arn)
		}
		if sts, ok := awsiam.Managed(arn); ok {
			b.stmts[role] = append(b.stmts[role], sts...)
		}
	}
}

// policies reads AWS::IAM::Policy and ManagedPolicy resources attached to
// roles of this template.
func (b *builder) policies() {
	t := b.t
	for _, id := range t.order {
		r := t.resources[id]
		if r.Type != "AWS::IAM::Policy" && r.Type != "AWS::IAM::ManagedPolicy" {
			continue
		}
		sts := awsiam.FromValue(t.resolve(r.Props["PolicyDocument"]))
		for _, role := range t.refsIn(t.resolve(r.Props["Roles"])) {
			b.stmts[role] = append(b.stmts[role], sts...)
		}
	}
	for _, id := range t.order {
		r := t.resources[id]
		if r.Type != "AWS::IAM::Role" {
			continue
		}
		// Managed policies of this template referenced by ARN.
		for _, mp := range t.refsIn(t.resolve(r.Props["ManagedPolicyArns"])) {
			if p := t.resources[mp]; p != nil && p.Type == "AWS::IAM::ManagedPolicy" {
				b.stmts[id] = append(b.stmts[id], awsiam.FromValue(t.resolve(p.Props["PolicyDocument"]))...)
			}
		}
	}
}

// samTemplates are the SAM policy templates that grant data access, with
// the actions SAM documents for them and the parameter naming the resource.
var samTemplates = map[string]struct {
	service, param, arn string
	actions             []string
}{
	"DynamoDBReadPolicy": {"dynamodb", "TableName", "arn:aws:dynamodb:{{unknown AWS.Region}}:{{unknown AWS.AccountId}}:table/",
		[]string{"dynamodb:GetItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:DescribeTable"}},
	"DynamoDBCrudPolicy": {"dynamodb", "TableName", "arn:aws:dynamodb:{{unknown AWS.Region}}:{{unknown AWS.AccountId}}:table/",
		[]string{"dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"}},
	"DynamoDBWritePolicy": {"dynamodb", "TableName", "arn:aws:dynamodb:{{unknown AWS.Region}}:{{unknown AWS.AccountId}}:table/",
		[]string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"}},
	"DynamoDBStreamReadPolicy": {"dynamodb", "TableName", "arn:aws:dynamodb:{{unknown AWS.Region}}:{{unknown AWS.AccountId}}:table/",
		[]string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}},
	"S3ReadPolicy": {"s3", "BucketName", "arn:aws:s3:::",
		[]string{"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion", "s3:GetLifecycleConfiguration"}},
	"S3CrudPolicy": {"s3", "BucketName", "arn:aws:s3:::",
		[]string{"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration", "s3:DeleteObject"}},
	"S3WritePolicy": {"s3", "BucketName", "arn:aws:s3:::",
		[]string{"s3:PutObject", "s3:PutObjectAcl", "s3:PutLifecycleConfiguration"}},
	"S3FullAccessPolicy": {"s3", "BucketName", "arn:aws:s3:::",
		[]string{"s3:GetObject", "s3:GetObjectAcl", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl", "s3:DeleteObject", "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging", "s3:GetObjectTagging", "s3:GetObjectVersionTagging", "s3:PutObjectTagging", "s3:PutObjectVersionTagging", "s3:ListBucket", "s3:GetBucketLocation"}},
	"LambdaInvokePolicy": {"lambda", "FunctionName", "arn:aws:lambda:{{unknown AWS.Region}}:{{unknown AWS.AccountId}}:function:",
		[]string{"lambda:InvokeFunction"}},
	"DynamoDBReconfigurePolicy": {"dynamodb", "TableName", "arn:aws:dynamodb:{{unknown AWS.Region}}:{{unknown AWS.AccountId}}:table/",
		[]string{"dynamodb:UpdateTable"}},
	"DynamoDBBackupFullAccessPolicy": {"dynamodb", "TableName", "arn:aws:dynamodb:{{unknown AWS.Region}}:{{unknown AWS.AccountId}}:table/",
		[]string{"dynamodb:CreateBackup", "dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups", "dynamodb:DeleteBackup", "dynamodb:DescribeBackup", "dynamodb:ListBackups"}},
	"DynamoDBRestoreFromBackupPolicy": {"dynamodb", "TableName", "arn:aws:dynamodb:{{unknown AWS.Region}}:{{unknown AWS.AccountId}}:table/",
		[]string{"dynamodb:RestoreTableFromBackup", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchWriteItem"}},
	"ElasticsearchHttpPostPolicy": {"es", "DomainName", "arn:aws:es:{{unknown AWS.Region}}:{{unknown AWS.AccountId}}:domain/",
		[]string{"es:ESHttpPost", "es:ESHttpPut"}},
}

// samPolicies reads a SAM function's Policies into its implicit role: ARNs
// and names of managed policies, inline documents and policy templates.
func (b *builder) samPolicies(role string, fn *resource) {
	t := b.t
	var unknown []string
	for _, p := range listOf(fn.Props["Policies"]) {
		switch x := t.resolve(p).(type) {
		case string:
			b.managed(role, []string{x})
		case map[string]any:
			if _, ok := x["Statement"]; ok {
				b.stmts[role] = append(b.stmts[role], awsiam.FromValue(x)...)
				continue
			}
			for name, arg := range x {
				tpl, ok := samTemplates[name]
				if !ok {
					unknown = append(unknown, name)
					continue
				}
				res := awsiam.Str(mapOf(arg)[tpl.param])
				st := awsiam.Statement{Effect: "Allow", Actions: tpl.actions, Resources: []string{tpl.arn + res}}
				if tpl.service == "s3" || tpl.service == "es" {
					st.Resources = append(st.Resources, tpl.arn+res+"/*")
				}
				b.stmts[role] = append(b.stmts[role], st)
			}
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		b.nodes[role].Props["policyTemplates"] = unknown
	}
}

func (b *builder) target(n *nodeRef) awsiam.Target {
	return awsiam.Target{Service: n.IAM, Names: []string{n.Name}, Refs: []string{"{{ref " + n.LID + "}}", "{{ref " + n.LID + "."}}
}

// access adds CAN_ACCESS from every role to what its statements reach, and
// READS/WRITES from functions to the stores their role grants them
// (specific grants only: a "*" resource shows capability, not use).
func (b *builder) access() {
	fnOf := map[string][]string{} // role → functions
	for fn, role := range b.roles {
		if typ := b.t.resources[fn].Type; typ == "AWS::Serverless::Function" || typ == "AWS::Lambda::Function" {
			fnOf[role] = append(fnOf[role], fn)
		}
	}
	for _, rid := range sortedKeys(b.nodes) {
		id := b.nodes[rid]
		if id.Kind != graph.Identity {
			continue
		}
		sts := b.stmts[rid]
		wild := false
		for _, tid := range sortedKeys(b.nodes) {
			tn := b.nodes[tid]
			if tn.Kind == graph.Identity || tn.IAM == "" {
				continue
			}
			g, ok := awsiam.Reach(sts, b.target(tn))
			if !ok {
				continue
			}
			wild = wild || g.Wildcard
			e := graph.NewEdge(graph.CanAccess, id.ID, tn.ID)
			e.Props = graph.Props{"actions": g.Actions, "resources": g.Resources, "wildcard": g.Wildcard}
			e.Sources = b.src(id.Line, "policy of "+rid)
			b.c.AddEdge(AgentName, e)
			if tn.Kind != graph.DataStore || specificOnly(g.Resources) == 0 {
				continue
			}
			read, write := awsiam.Access(g.Actions)
			fns := fnOf[rid]
			sort.Strings(fns)
			for _, fn := range fns {
				f := b.nodes[fn]
				for k, on := range map[graph.EdgeKind]bool{graph.Reads: read, graph.Writes: write} {
					if !on {
						continue
					}
					fe := graph.NewEdge(k, f.ID, tn.ID)
					fe.Props = graph.Props{"via": "iam:" + strings.Join(g.Actions, ",")}
					fe.Sources = b.src(f.Line, fn+" role "+rid+" grants "+strings.Join(g.Actions, ", "))
					b.c.AddEdge(AgentName, fe)
				}
			}
		}
		if wild {
			id.Props["wildcardPolicy"] = true
		}
	}
}

func specificOnly(res []string) int {
	n := 0
	for _, r := range res {
		if r != "*" {
			n++
		}
	}
	return n
}

// envFlows adds edges from functions to what their environment names:
// CALLS to functions and APIs of the template; READS and WRITES to data
// stores only when the function's permissions are unknown (with a known
// role, access() already derived them from the grants).
func (b *builder) envFlows() {
	t := b.t
	for _, id := range t.order {
		r := t.resources[id]
		fn := b.nodes[id]
		if fn == nil || fn.Kind != graph.Service || (r.Type != "AWS::Serverless::Function" && r.Type != "AWS::Lambda::Function") {
			continue
		}
		role, hasRole := b.roles[id]
		permsKnown := hasRole && b.nodes[role] != nil
		env := b.envVars(r)
		for _, k := range sortedKeys(env) {
			for _, ref := range t.refsIn(env[k]) {
				to := b.nodes[ref]
				if to == nil || to.ID == fn.ID {
					continue
				}
				src := b.src(r.Line, id+" environment "+k+" refers to "+ref)
				switch to.Kind {
				case graph.DataStore:
					if permsKnown {
						continue
					}
					for _, kind := range []graph.EdgeKind{graph.Reads, graph.Writes} {
						e := graph.NewEdge(kind, fn.ID, to.ID)
						e.Props = graph.Props{"via": k}
						e.Sources = src
						b.c.AddEdge(AgentName, e)
					}
				case graph.Service, graph.Gateway:
					e := graph.NewEdge(graph.Calls, fn.ID, to.ID)
					e.Props = graph.Props{"via": k}
					e.Sources = src
					b.c.AddEdge(AgentName, e)
				}
			}
		}
	}
	for _, id := range sortedKeys(b.roles) {
		role := b.roles[id]
		sn, rn := b.nodes[id], b.nodes[role]
		if sn == nil || rn == nil || sn.Kind != graph.Service || rn.Kind != graph.Identity {
			continue
		}
		e := graph.NewEdge(graph.RunsAs, sn.ID, rn.ID)
		e.Sources = b.src(sn.Line, id+" runs as "+role)
		b.c.AddEdge(AgentName, e)
	}
}
