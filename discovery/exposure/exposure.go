// Package exposure derives which APIs are reachable through the routes
// other agents found. A route to a service (Internet -ROUTES_TO-> Service
// through a published port, Gateway -ROUTES_TO-> Service for an ingress
// rule or a proxy location) makes the service's APIs under the route's
// path prefix reachable the same way, so the linker adds
// ROUTES_TO from the route's source to each such API, as the demo estate
// models exposure. Whether an API is internet-facing is then a question of
// reachability from the Internet node over ROUTES_TO edges: nothing is
// marked public unless such a chain exists.
package exposure

import (
	"context"
	"strings"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

// Name is the linker's agent name in evidence.
const Name = "exposure"

// Linker adds ROUTES_TO edges to the APIs behind routed services.
type Linker struct{}

func (Linker) Name() string { return Name }
func (Linker) Phase() int   { return discovery.PhaseExposure }

func (Linker) Link(ctx context.Context, c *discovery.Collector) error {
	apis := map[graph.ID][]*graph.Node{} // service → its APIs
	for _, e := range c.Edges(graph.Exposes) {
		if n, ok := c.Node(e.To); ok && n.Kind == graph.API {
			apis[e.From] = append(apis[e.From], n)
		}
	}
	if len(apis) == 0 {
		return nil
	}
	for _, e := range c.Edges(graph.RoutesTo) {
		ops := apis[e.To]
		if len(ops) == 0 {
			continue
		}
		if k, _ := e.To.KindOf(); k != graph.Service {
			continue
		}
		prefixes := e.Props.Strings("pathPrefixes")
		if len(prefixes) == 0 {
			prefixes = []string{"/"}
		}
		upstream := e.Props.Strings("upstreamPathPrefixes")
		if len(upstream) != len(prefixes) {
			upstream = prefixes
		}
		host := ""
		if hs := e.Props.Strings("hosts"); len(hs) > 0 {
			host = hs[0]
		}
		for _, op := range ops {
			path := op.Props.String("path")
			for i, up := range upstream {
				if !Under(path, up) {
					continue
				}
				ne := graph.NewEdge(graph.RoutesTo, e.From, op.ID)
				if e.From == graph.InternetID {
					if p := e.Props.Int("port"); p > 0 {
						ne.Props = graph.Props{"port": p}
					}
				} else {
					ne.Props = graph.Props{"pathPrefix": prefixes[i]}
					if host != "" {
						ne.Props["host"] = host
					}
				}
				if old, ok := c.Edge(ne.ID); ok && old.Props != nil {
					ne.Props = nil // the first rule that routes it stays its reason
				}
				ne.Sources = e.Sources
				c.AddEdge(Name, ne)
				break
			}
		}
	}
	return nil
}

// Under reports whether an operation path is routed by a path prefix.
func Under(path, prefix string) bool {
	if prefix == "" || prefix == "/" {
		return true
	}
	return path == prefix || path == strings.TrimSuffix(prefix, "/") || strings.HasPrefix(path, strings.TrimSuffix(prefix, "/")+"/")
}
