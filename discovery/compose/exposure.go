package compose

import (
	"context"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

// Exposure makes every API of a compose service published on all
// interfaces reachable from the Internet (discovery.PhaseExposure):
// Internet -ROUTES_TO-> API with the published port, so that an API is
// internet-facing exactly when it is reachable over ROUTES_TO edges.
type Exposure struct{}

func (Exposure) Name() string { return "compose-exposure" }
func (Exposure) Phase() int   { return discovery.PhaseExposure }

func (Exposure) Link(ctx context.Context, c *discovery.Collector) error {
	exposes := map[graph.ID][]graph.ID{}
	for _, e := range c.Edges(graph.Exposes) {
		exposes[e.From] = append(exposes[e.From], e.To)
	}
	for _, e := range c.Edges(graph.RoutesTo) {
		if e.From != graph.InternetID || len(e.Sources) == 0 || e.Sources[0].Agent != AgentName {
			continue
		}
		for _, api := range exposes[e.To] {
			r := graph.NewEdge(graph.RoutesTo, graph.InternetID, api)
			r.Props = graph.Props{}
			if p, ok := e.Props["port"]; ok {
				r.Props["port"] = p
			}
			r.Sources = e.Sources
			c.AddEdge(AgentName, r)
		}
	}
	return ctx.Err()
}
