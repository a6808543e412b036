package sbomexport

import (
	"context"
	"slices"
	"strings"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/internal/purlrange"
)

// Match is one package in a searched range and who contains it.
type Match struct {
	Package  graph.Node
	Services []graph.Node // depending on it directly, transitively or through an image they run
	Images   []graph.Node
}

// Search lists the packages matching r (a purl with a version range, see
// internal/purlrange) with every service and image that contains each.
func Search(ctx context.Context, v graph.View, r purlrange.Range) ([]Match, error) {
	var pkgs []graph.Node
	p := graph.Page{Limit: graph.MaxPageLimit}
	// Package node names carry the package name (Maven group:artifact,
	// npm @scope/name): the store narrows by that, the purl decides.
	f := graph.NodeFilter{Kinds: []graph.Kind{graph.Package}, NameContains: r.Name}
	if r.Type == "pypi" {
		f.NameContains = "" // PEP 503: zope_interface is zope.interface
	}
	for {
		pg, err := v.Nodes(ctx, f, p)
		if err != nil {
			return nil, err
		}
		for _, n := range pg.Nodes {
			if r.Match(n.Props.String("purl")) {
				pkgs = append(pkgs, n)
			}
		}
		if !pg.HasMore {
			break
		}
		p.After = pg.End
	}
	out := make([]Match, 0, len(pkgs))
	for _, pk := range pkgs {
		ids, err := Dependents(ctx, v, []graph.ID{pk.ID})
		if err != nil {
			return nil, err
		}
		m := Match{Package: pk}
		for _, id := range ids {
			n, err := v.Node(ctx, id)
			if err != nil {
				return nil, err
			}
			if n.Kind == graph.Service {
				m.Services = append(m.Services, n)
			} else {
				m.Images = append(m.Images, n)
			}
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Match) int {
		return strings.Compare(a.Package.Props.String("purl"), b.Package.Props.String("purl"))
	})
	return out, nil
}

// Dependents lists, in id order, every service and image that depends on
// one of pkgs directly or transitively: over DEPENDS_ON (service, image,
// repository or package → package) and RUNS_IMAGE (a service runs an
// image that depends on it).
func Dependents(ctx context.Context, v graph.View, pkgs []graph.ID) ([]graph.ID, error) {
	var out []graph.ID
	w := graph.Walk{From: pkgs, Dir: graph.In, Kinds: []graph.EdgeKind{graph.DependsOn, graph.RunsImage}}
	err := v.Walk(ctx, w, func(s graph.Step) graph.Control {
		switch s.Kind {
		case graph.Service, graph.Image:
			if s.Depth > 0 {
				out = append(out, s.Node)
			}
		}
		return graph.Continue
	})
	slices.Sort(out)
	return out, err
}
