package api

import (
	"context"
	"slices"

	"github.com/riskgraph/riskgraph/graph"
)

// isInternetFacing reports whether id is reachable from the Internet over
// ROUTES_TO edges.
func (r *Resolver) isInternetFacing(ctx context.Context, id graph.ID) (bool, error) {
	c, err := r.cat(ctx)
	if err != nil {
		return false, err
	}
	return c.internet[id], nil
}

// one returns the first neighbour of id over kind (of the given node kinds).
func (r *Resolver) one(ctx context.Context, id graph.ID, dir graph.Direction, kind graph.EdgeKind, toKinds ...graph.Kind) (graph.Node, bool, error) {
	ids, err := r.neighbourIDs(ctx, id, dir, []graph.EdgeKind{kind}, toKinds...)
	if err != nil || len(ids) == 0 {
		return graph.Node{}, false, err
	}
	return r.node(ctx, ids[0])
}

// loadAll loads every node of ids.
func loadAll[T any](ctx context.Context, r *Resolver, ids []graph.ID, mk func(graph.Node) T) ([]T, error) {
	out := make([]T, 0, len(ids))
	for _, id := range ids {
		n, ok, err := r.node(ctx, id)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, mk(n))
		}
	}
	return out, nil
}

// walkIDs collects the nodes a walk reaches (start excluded) of the given
// kinds, in id order.
func (r *Resolver) walkIDs(ctx context.Context, w graph.Walk, kinds ...graph.Kind) ([]graph.ID, error) {
	v, err := r.view(ctx)
	if err != nil {
		return nil, err
	}
	var out []graph.ID
	err = v.Walk(ctx, w, func(s graph.Step) graph.Control {
		if s.Depth > 0 && (len(kinds) == 0 || slices.Contains(kinds, s.Kind)) {
			out = append(out, s.Node)
		}
		return graph.Continue
	})
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}

// dependents lists the services depending on any of pkgs, directly or
// (transitive) through other packages and the images they run.
func (r *Resolver) dependents(ctx context.Context, pkgs []graph.ID, transitive bool) ([]graph.ID, error) {
	w := graph.Walk{From: pkgs, Dir: graph.In, Kinds: []graph.EdgeKind{graph.DependsOn, graph.RunsImage}}
	if !transitive {
		// Direct: the service itself, or through the image it runs.
		var out []graph.ID
		for _, p := range pkgs {
			direct, err := r.neighbourIDs(ctx, p, graph.In, []graph.EdgeKind{graph.DependsOn}, graph.Service, graph.Image)
			if err != nil {
				return nil, err
			}
			for _, d := range direct {
				if k, _ := d.KindOf(); k == graph.Service {
					out = append(out, d)
					continue
				}
				svcs, err := r.neighbourIDs(ctx, d, graph.In, []graph.EdgeKind{graph.RunsImage}, graph.Service)
				if err != nil {
					return nil, err
				}
				out = append(out, svcs...)
			}
		}
		slices.Sort(out)
		return slices.Compact(out), nil
	}
	return r.walkIDs(ctx, w, graph.Service)
}

// packagesOf lists a service's packages: direct dependencies (of the
// service and the images it runs), or the whole tree.
func (r *Resolver) packagesOf(ctx context.Context, svc graph.ID, transitive bool) ([]graph.ID, error) {
	if transitive {
		return r.walkIDs(ctx, graph.Walk{From: []graph.ID{svc}, Dir: graph.Out,
			Kinds: []graph.EdgeKind{graph.DependsOn, graph.RunsImage}}, graph.Package)
	}
	direct, err := r.neighbourIDs(ctx, svc, graph.Out, []graph.EdgeKind{graph.DependsOn}, graph.Package)
	if err != nil {
		return nil, err
	}
	imgs, err := r.neighbourIDs(ctx, svc, graph.Out, []graph.EdgeKind{graph.RunsImage}, graph.Image)
	if err != nil {
		return nil, err
	}
	for _, img := range imgs {
		ps, err := r.neighbourIDs(ctx, img, graph.Out, []graph.EdgeKind{graph.DependsOn}, graph.Package)
		if err != nil {
			return nil, err
		}
		direct = append(direct, ps...)
	}
	slices.Sort(direct)
	return slices.Compact(direct), nil
}

// subjectsOf is what a node's findings may be about: a service's findings
// include those on its APIs, its images and every package it depends on; a
// vulnerability's are those reporting it.
func (r *Resolver) subjectsOf(ctx context.Context, n graph.Node) ([]graph.ID, error) {
	subjects := []graph.ID{n.ID}
	if n.Kind == graph.Service {
		more, err := r.walkIDs(ctx, graph.Walk{From: []graph.ID{n.ID}, Dir: graph.Out,
			Kinds: []graph.EdgeKind{graph.Exposes, graph.DependsOn, graph.RunsImage}})
		if err != nil {
			return nil, err
		}
		subjects = append(subjects, more...)
	}
	return subjects, nil
}

// findingsOn lists the findings about n (see subjectsOf), in id order.
func (r *Resolver) findingsOn(ctx context.Context, n graph.Node) ([]graph.ID, error) {
	if n.Kind == graph.Vulnerability {
		c, err := r.cat(ctx)
		if err != nil {
			return nil, err
		}
		names := append([]string{n.Name}, n.Props.Strings("aliases")...)
		var out []graph.ID
		for _, e := range c.byKind[graph.Finding] {
			if slices.Contains(names, e.node.Props.String("vulnerability")) {
				out = append(out, e.node.ID)
			}
		}
		return out, nil
	}
	subjects, err := r.subjectsOf(ctx, n)
	if err != nil {
		return nil, err
	}
	var out []graph.ID
	for _, s := range subjects {
		fs, err := r.neighbourIDs(ctx, s, graph.In, []graph.EdgeKind{graph.FoundOn}, graph.Finding)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// riskOf is the node's risk score from the scoring engine: the highest
// risk of the open findings about it.
func (r *Resolver) riskOf(ctx context.Context, n graph.Node) (*float64, error) {
	e, err := r.engine(ctx)
	if err != nil {
		return nil, err
	}
	return e.riskOf(ctx, n)
}
