package cloudformation

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/internal/awsiam"
	"github.com/riskgraph/riskgraph/graph"
)

// Specs routes an API gateway to the operations of the OpenAPI document or
// GraphQL schema it is defined by (its "definitionFile": AWS::Include,
// DefinitionUri or an AppSync DefinitionS3Location here; body or schema
// read with file() in Terraform), and
// to the service that exposes them, once the spec agents' operations have
// been attached to their services (after discovery.PhaseMatch). With the
// gateway public, those operations become internet-facing over ROUTES_TO
// edges, which is what the template says: the API is the spec.
type Specs struct{}

func (Specs) Name() string { return AgentName + "-specs" }
func (Specs) Phase() int   { return discovery.PhaseMatch + 5 }

func (Specs) Link(ctx context.Context, c *discovery.Collector) error {
	byFile := map[string][]*graph.Node{}
	for _, api := range c.Nodes(graph.API) {
		for _, s := range api.Sources {
			if s.File != "" {
				byFile[s.File] = append(byFile[s.File], api)
				break
			}
		}
	}
	if len(byFile) == 0 {
		return ctx.Err()
	}
	owner := map[graph.ID][]graph.ID{}
	for _, e := range c.Edges(graph.Exposes) {
		owner[e.To] = append(owner[e.To], e.From)
	}
	for _, gw := range c.Nodes(graph.Gateway) {
		file := gw.Props.String("definitionFile")
		if file == "" {
			continue
		}
		var src []graph.Source
		if len(gw.Sources) > 0 {
			src = []graph.Source{gw.Sources[0]}
			src[0].Detail = "API defined by " + file
		}
		routed := map[graph.ID]bool{}
		for _, api := range byFile[file] {
			e := graph.NewEdge(graph.RoutesTo, gw.ID, api.ID)
			e.Props = graph.Props{"pathPrefix": api.Props.String("path")}
			e.Sources = src
			c.AddEdge(AgentName, e)
			for _, svc := range owner[api.ID] {
				if routed[svc] {
					continue
				}
				routed[svc] = true
				se := graph.NewEdge(graph.RoutesTo, gw.ID, svc)
				se.Sources = src
				c.AddEdge(AgentName, se)
			}
		}
	}
	return ctx.Err()
}

// Properties that carry references between stacks. A template cannot see
// another template's resources, so it records what it publishes (an SSM
// parameter or an export whose value names one of its resources) and what
// it consumes (a parameter resolved from SSM, {{resolve:ssm:…}}, an
// Fn::ImportValue), and CrossStack joins the two once every template is
// read.
const (
	propPublishes = "publishes"      // []string "ssm:NAME", "import:NAME"
	propCrossRefs = "crossStackRefs" // []string "env|VAR|KEY", "iam|ACTIONS|KEY"
)

// crossStack records this template's side of cross-stack references.
func (b *builder) crossStack() {
	t := b.t
	publish := func(key string, value any) {
		for _, id := range t.refsIn(value) {
			if n := b.nodes[id]; n != nil && !slices.Contains(n.Props.Strings(propPublishes), key) {
				n.Props[propPublishes] = append(n.Props.Strings(propPublishes), key)
			}
		}
	}
	for _, id := range t.order {
		r := t.resources[id]
		if r.Type == "AWS::SSM::Parameter" {
			if name, ok := t.str(r.Props, "Name"); ok && name != "" {
				publish("ssm:"+name, t.resolve(r.Props["Value"]))
			}
		}
	}
	for _, on := range sortedKeys(t.outputs) {
		out := mapOf(t.outputs[on])
		if name, ok := t.resolve(mapOf(out["Export"])["Name"]).(string); ok && known(name) {
			publish("import:"+name, t.resolve(out["Value"]))
		}
	}
	consume := func(n *nodeRef, entry string) {
		if !slices.Contains(n.Props.Strings(propCrossRefs), entry) {
			n.Props[propCrossRefs] = append(n.Props.Strings(propCrossRefs), entry)
		}
	}
	for _, id := range t.order {
		r := t.resources[id]
		n := b.nodes[id]
		if n == nil {
			continue
		}
		if n.Kind == graph.Service && (r.Type == "AWS::Serverless::Function" || r.Type == "AWS::Lambda::Function") {
			env := b.envVars(r)
			for _, k := range sortedKeys(env) {
				for _, key := range crossRefs(env[k]) {
					consume(n, "env|"+k+"|"+key)
				}
			}
		}
	}
	for _, rid := range sortedKeys(b.stmts) {
		n := b.nodes[rid]
		if n == nil || n.Kind != graph.Identity {
			continue
		}
		for _, st := range b.stmts[rid] {
			if !st.Allow() || st.NotAction {
				continue
			}
			for _, res := range st.Resources {
				for _, key := range crossRefs(res) {
					consume(n, "iam|"+strings.Join(st.Actions, ",")+"|"+key)
				}
			}
		}
	}
}

// CrossStack joins references between templates (discovery.PhaseMatch):
// a function whose environment names another stack's API or function
// CALLS it; a role whose policy names another stack's table or bucket
// CAN_ACCESS it, and the functions running as that role READ or WRITE it
// as the actions say.
type CrossStack struct{}

func (CrossStack) Name() string { return AgentName + "-cross-stack" }
func (CrossStack) Phase() int   { return discovery.PhaseMatch }

func (CrossStack) Link(ctx context.Context, c *discovery.Collector) error {
	published := map[string][]*graph.Node{}
	var consumers []*graph.Node
	for _, n := range c.Nodes() {
		for _, k := range n.Props.Strings(propPublishes) {
			published[k] = append(published[k], n)
		}
		if len(n.Props.Strings(propCrossRefs)) > 0 {
			consumers = append(consumers, n)
		}
	}
	if len(published) == 0 || len(consumers) == 0 {
		return ctx.Err()
	}
	runsAs := map[graph.ID][]graph.ID{} // role → services
	for _, e := range c.Edges(graph.RunsAs) {
		runsAs[e.To] = append(runsAs[e.To], e.From)
	}
	for _, n := range consumers {
		var src []graph.Source
		if len(n.Sources) > 0 {
			src = []graph.Source{n.Sources[0]}
		}
		for _, entry := range n.Props.Strings(propCrossRefs) {
			parts := strings.SplitN(entry, "|", 3)
			if len(parts) != 3 {
				continue
			}
			for _, target := range published[parts[2]] {
				detail := func(s []graph.Source) []graph.Source {
					out := slices.Clone(s)
					for i := range out {
						out[i].Detail += "; " + parts[2] + " is published by " + target.Name
					}
					return out
				}
				switch parts[0] {
				case "env":
					if target.Kind == graph.Service || target.Kind == graph.Gateway {
						e := graph.NewEdge(graph.Calls, n.ID, target.ID)
						e.Props = graph.Props{"via": parts[1]}
						e.Sources = detail(src)
						c.AddEdge(AgentName, e)
					}
				case "iam":
					if target.Kind == graph.Identity || target.Kind == graph.Internet {
						continue
					}
					actions := strings.Split(parts[1], ",")
					sort.Strings(actions)
					e := graph.NewEdge(graph.CanAccess, n.ID, target.ID)
					e.Props = graph.Props{"actions": actions, "resources": []string{parts[2]}, "wildcard": false}
					e.Sources = detail(src)
					c.AddEdge(AgentName, e)
					if target.Kind != graph.DataStore {
						continue
					}
					read, write := awsiam.Access(actions)
					for _, svc := range runsAs[n.ID] {
						for k, on := range map[graph.EdgeKind]bool{graph.Reads: read, graph.Writes: write} {
							if on {
								fe := graph.NewEdge(k, svc, target.ID)
								fe.Props = graph.Props{"via": "iam:" + strings.Join(actions, ",")}
								fe.Sources = detail(src)
								c.AddEdge(AgentName, fe)
							}
						}
					}
				}
			}
		}
	}
	return ctx.Err()
}
