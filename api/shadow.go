package api

import (
	"context"
	"slices"

	"github.com/riskgraph/riskgraph/discovery/otel/shadow"
	"github.com/riskgraph/riskgraph/graph"
)

// shadowRelationships lists the dependencies where runtime traces and
// artifacts disagree (see package shadow), filtered and paged like
// relationships. The gaps are derived from the view on each request: they
// depend on every agent's claims, which any write may change.
func (r *Resolver) shadowRelationships(ctx context.Context, v graph.View, f *RelationshipFilter, first *int, after *string) (*RelationshipConnection, error) {
	p, err := r.pageArgs(first, after)
	if err != nil {
		return nil, err
	}
	gaps, err := shadow.List(ctx, v, shadow.Kind(*f.Shadow))
	if err != nil {
		return nil, err
	}
	var ids []graph.ID
	byID := map[graph.ID]graph.Edge{}
	for _, g := range gaps {
		e := g.Edge
		if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, e.Kind) {
			continue
		}
		if (f.From != nil && e.From != *f.From) || (f.To != nil && e.To != *f.To) {
			continue
		}
		ids = append(ids, e.ID)
		byID[e.ID] = e
	}
	c := &RelationshipConnection{TotalCount: len(ids), Nodes: []Relationship{}, Edges: []RelationshipEdge{}}
	start := 0
	if p.After != "" {
		start, _ = slices.BinarySearch(ids, p.After)
		if start < len(ids) && ids[start] == p.After {
			start++
		}
	}
	end := min(start+p.EffectiveLimit(), len(ids))
	for _, id := range ids[start:end] {
		rel := &Relationship{byID[id]}
		c.Nodes = append(c.Nodes, *rel)
		c.Edges = append(c.Edges, RelationshipEdge{Cursor: encodeCursor(id), Node: rel})
	}
	var firstID, lastID graph.ID
	if end > start {
		firstID, lastID = ids[start], ids[end-1]
	}
	c.PageInfo = pageInfo(firstID, lastID, end < len(ids), p.After != "")
	return c, nil
}
