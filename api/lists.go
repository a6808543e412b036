package api

import (
	"context"
	"slices"

	"github.com/riskgraph/riskgraph/graph"
)

// neighbourIDs lists the distinct nodes adjacent to id over edges of the
// given kinds (all when none), in id order. toKinds restricts the
// neighbours' kinds.
func (r *Resolver) neighbourIDs(ctx context.Context, id graph.ID, dir graph.Direction, kinds []graph.EdgeKind, toKinds ...graph.Kind) ([]graph.ID, error) {
	v, err := r.view(ctx)
	if err != nil {
		return nil, err
	}
	var out []graph.ID
	add := func(n graph.ID) {
		if len(toKinds) > 0 {
			k, _ := n.KindOf()
			if !slices.Contains(toKinds, k) {
				return
			}
		}
		out = append(out, n)
	}
	if dir == graph.Out || dir == graph.Both {
		if err := eachEdge(ctx, v, graph.EdgeFilter{From: id, Kinds: kinds}, func(e graph.Edge) { add(e.To) }); err != nil {
			return nil, err
		}
	}
	if dir == graph.In || dir == graph.Both {
		if err := eachEdge(ctx, v, graph.EdgeFilter{To: id, Kinds: kinds}, func(e graph.Edge) { add(e.From) }); err != nil {
			return nil, err
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// loadPage cuts a page from sorted ids and loads its nodes. Ids that
// vanished (cannot happen within one view, but a catalog may be older) are
// skipped.
func (r *Resolver) loadPage(ctx context.Context, ids []graph.ID, first *int, after *string) ([]graph.Node, pageOf[graph.ID], error) {
	p, err := r.pageArgs(first, after)
	if err != nil {
		return nil, pageOf[graph.ID]{}, err
	}
	pg := cut(ids, func(id graph.ID) graph.ID { return id }, p)
	v, err := r.view(ctx)
	if err != nil {
		return nil, pg, err
	}
	nodes := make([]graph.Node, 0, len(pg.items))
	for _, id := range pg.items {
		n, err := v.Node(ctx, id)
		if err != nil {
			continue
		}
		nodes = append(nodes, n)
	}
	return nodes, pg, nil
}

// conn assembles a typed connection.
func conn[T any, E any](nodes []graph.Node, pg pageOf[graph.ID], mk func(graph.Node) T, edge func(string, T) E) ([]T, []E, *PageInfo, int) {
	items := make([]T, len(nodes))
	edges := make([]E, len(nodes))
	for i, n := range nodes {
		items[i] = mk(n)
		edges[i] = edge(encodeCursor(n.ID), items[i])
	}
	var firstID, lastID graph.ID
	if len(nodes) > 0 {
		firstID, lastID = nodes[0].ID, nodes[len(nodes)-1].ID
	}
	return items, edges, pageInfo(firstID, lastID, pg.hasMore, pg.hasPrev), pg.total
}

func asNode(n graph.Node) Node                   { return wrap(n) }
func asService(n graph.Node) Service             { return Service{nodeBase{n}} }
func asAPI(n graph.Node) API                     { return API{nodeBase{n}} }
func asDataStore(n graph.Node) DataStore         { return DataStore{nodeBase{n}} }
func asPackage(n graph.Node) Package             { return Package{nodeBase{n}} }
func asFinding(n graph.Node) Finding             { return Finding{nodeBase{n}} }
func asVulnerability(n graph.Node) Vulnerability { return Vulnerability{nodeBase{n}} }

func (r *Resolver) nodeConn(ctx context.Context, ids []graph.ID, first *int, after *string) (*NodeConnection, error) {
	ns, pg, err := r.loadPage(ctx, ids, first, after)
	if err != nil {
		return nil, err
	}
	c := &NodeConnection{}
	c.Nodes, c.Edges, c.PageInfo, c.TotalCount = conn(ns, pg, asNode, func(cur string, n Node) NodeEdge { return NodeEdge{Cursor: cur, Node: n} })
	return c, nil
}

func (r *Resolver) serviceConn(ctx context.Context, ids []graph.ID, first *int, after *string) (*ServiceConnection, error) {
	ns, pg, err := r.loadPage(ctx, ids, first, after)
	if err != nil {
		return nil, err
	}
	c := &ServiceConnection{}
	c.Nodes, c.Edges, c.PageInfo, c.TotalCount = conn(ns, pg, asService, func(cur string, n Service) ServiceEdge { return ServiceEdge{Cursor: cur, Node: &n} })
	return c, nil
}

func (r *Resolver) apiConn(ctx context.Context, ids []graph.ID, first *int, after *string) (*APIConnection, error) {
	ns, pg, err := r.loadPage(ctx, ids, first, after)
	if err != nil {
		return nil, err
	}
	c := &APIConnection{}
	c.Nodes, c.Edges, c.PageInfo, c.TotalCount = conn(ns, pg, asAPI, func(cur string, n API) APIEdge { return APIEdge{Cursor: cur, Node: &n} })
	return c, nil
}

func (r *Resolver) dataStoreConn(ctx context.Context, ids []graph.ID, first *int, after *string) (*DataStoreConnection, error) {
	ns, pg, err := r.loadPage(ctx, ids, first, after)
	if err != nil {
		return nil, err
	}
	c := &DataStoreConnection{}
	c.Nodes, c.Edges, c.PageInfo, c.TotalCount = conn(ns, pg, asDataStore, func(cur string, n DataStore) DataStoreEdge { return DataStoreEdge{Cursor: cur, Node: &n} })
	return c, nil
}

func (r *Resolver) packageConn(ctx context.Context, ids []graph.ID, first *int, after *string) (*PackageConnection, error) {
	ns, pg, err := r.loadPage(ctx, ids, first, after)
	if err != nil {
		return nil, err
	}
	c := &PackageConnection{}
	c.Nodes, c.Edges, c.PageInfo, c.TotalCount = conn(ns, pg, asPackage, func(cur string, n Package) PackageEdge { return PackageEdge{Cursor: cur, Node: &n} })
	return c, nil
}

// findingConn pages findings in the given order (not necessarily by id):
// the cursor is still the id of the last finding, found by position.
func (r *Resolver) findingConn(ctx context.Context, ids []graph.ID, first *int, after *string) (*FindingConnection, error) {
	ns, pg, err := r.loadPage(ctx, ids, first, after)
	if err != nil {
		return nil, err
	}
	c := &FindingConnection{}
	c.Nodes, c.Edges, c.PageInfo, c.TotalCount = conn(ns, pg, asFinding, func(cur string, n Finding) FindingEdge { return FindingEdge{Cursor: cur, Node: &n} })
	return c, nil
}

func (r *Resolver) node(ctx context.Context, id graph.ID) (graph.Node, bool, error) {
	v, err := r.view(ctx)
	if err != nil {
		return graph.Node{}, false, err
	}
	n, err := v.Node(ctx, id)
	if err != nil {
		if isNotFound(err) {
			return graph.Node{}, false, nil
		}
		return graph.Node{}, false, err
	}
	return n, true, nil
}

func directionOf(d *Direction) graph.Direction {
	if d == nil {
		return graph.Both
	}
	switch *d {
	case DirectionOut:
		return graph.Out
	case DirectionIn:
		return graph.In
	}
	return graph.Both
}
