package sbom

import (
	"context"
	"strings"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

// Linker attaches the anchors' direct dependencies to services (see the
// package comment for the rules and when a link is a guess).
type Linker struct{}

// Name implements discovery.Linker.
func (Linker) Name() string { return AgentName }

// Phase implements discovery.Linker: services must exist, nothing else.
func (Linker) Phase() int { return discovery.PhaseMatch }

// Link implements discovery.Linker.
func (Linker) Link(ctx context.Context, c *discovery.Collector) error {
	direct := map[graph.ID][]graph.ID{}
	for _, e := range c.Edges(graph.DependsOn) {
		if k, _ := e.From.KindOf(); (k == graph.Repository || k == graph.Image) && fromAgent(e.Sources) {
			direct[e.From] = append(direct[e.From], e.To)
		}
	}
	if len(direct) == 0 {
		return nil
	}
	runs := map[graph.ID][]graph.ID{} // image → services
	for _, e := range c.Edges(graph.RunsImage) {
		runs[e.To] = append(runs[e.To], e.From)
	}
	services := c.Nodes(graph.Service)
	for anchor, pkgs := range direct {
		if err := ctx.Err(); err != nil {
			return err
		}
		a, ok := c.Node(anchor)
		if !ok {
			continue
		}
		attach := func(svc graph.ID, detail string) {
			for _, p := range pkgs {
				e := graph.NewEdge(graph.DependsOn, svc, p)
				e.Sources = []graph.Source{{Agent: AgentName, File: a.Props.String("path"), Detail: detail}}
				c.AddEdge(AgentName, e)
			}
		}
		if a.Kind == graph.Image {
			linked := map[graph.ID]bool{}
			for _, s := range runs[anchor] {
				linked[s] = true
				attach(s, "service runs image "+a.Name)
			}
			for _, s := range services {
				if !linked[s.ID] && s.Props.String("image") == a.Name {
					attach(s.ID, "service runs image "+a.Name)
				}
			}
			continue
		}
		p := a.Props.String("path")
		certain := false
		for _, s := range services {
			if bc := s.Props.String("buildContext"); bc != "" && p != "" && bc == p {
				certain = true
				attach(s.ID, "built from "+p+" (compose build context)")
				built := graph.NewEdge(graph.BuiltFrom, s.ID, anchor)
				built.Sources = []graph.Source{{Agent: AgentName, File: p, Detail: "compose build context"}}
				c.AddEdge(AgentName, built)
			}
		}
		if certain {
			continue
		}
		name := strings.ToLower(guessName(a))
		for _, s := range services {
			if name != "" && strings.ToLower(s.Name) == name {
				attach(s.ID, "guess: the SBOM's subject or directory is named like the service ("+name+")")
			}
		}
	}
	return nil
}

// guessName is the name an anchor's SBOM subject or directory goes by.
func guessName(a *graph.Node) string {
	p := a.Props.String("path")
	n := a.Props.String("subject")
	if n != "" {
		return n
	}
	if u := a.Props.String("url"); u != "" {
		return u[strings.LastIndex(u, "/")+1:]
	}
	return p[strings.LastIndex(p, "/")+1:]
}

func fromAgent(src []graph.Source) bool {
	for _, s := range src {
		if s.Agent == AgentName {
			return true
		}
	}
	return false
}
