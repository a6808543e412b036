package cloudformation

import (
	"context"

	"github.com/riskgraph/riskgraph/discovery"
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
