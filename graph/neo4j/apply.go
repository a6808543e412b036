package neo4j

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"

	"github.com/riskgraph/riskgraph/graph"
)

// querier runs one registered statement inside the Apply's transaction.
type querier func(ctx context.Context, text string, params map[string]any) ([]*neo4j.Record, error)

// plan is a validated batch sorted into per-label and per-type work. It is
// built once per Apply and executed (possibly more than once, when the
// driver retries) inside a write transaction.
type plan struct {
	b     *graph.Batch
	rows  int
	claim graph.Claim

	delEdges map[graph.EdgeKind][]string
	delNodes map[graph.Kind][]string
	// nodeIDs and edgeIDs are the batch's distinct ids per label or type in
	// ascending order; nodeOrder and edgeOrder index the batch's elements in
	// id order, duplicates in batch order (the embedded store's order).
	nodeIDs   map[graph.Kind][]string
	edgeIDs   map[graph.EdgeKind][]string
	nodeOrder []int
	edgeOrder []int
	// ends are the edge endpoints that are not nodes of the batch.
	ends map[graph.Kind][]string
}

func newPlan(b *graph.Batch, rows int) *plan {
	p := &plan{b: b, rows: rows, claim: graph.Claim{Scope: b.Scope, Run: b.Run},
		delEdges: map[graph.EdgeKind][]string{}, delNodes: map[graph.Kind][]string{},
		nodeIDs: map[graph.Kind][]string{}, edgeIDs: map[graph.EdgeKind][]string{},
		ends: map[graph.Kind][]string{}}
	seen := map[graph.ID]bool{}
	for _, id := range b.Delete {
		if seen[id] {
			continue
		}
		seen[id] = true
		if k, ok := id.KindOf(); ok {
			p.delNodes[k] = append(p.delNodes[k], string(id))
		} else if k, ok := id.EdgeKindOf(); ok {
			p.delEdges[k] = append(p.delEdges[k], string(id))
		}
	}
	p.nodeOrder = sortedOrder(len(b.Nodes), func(i int) graph.ID { return b.Nodes[i].ID })
	inBatch := map[graph.ID]bool{}
	for _, i := range p.nodeOrder {
		n := &b.Nodes[i]
		if !inBatch[n.ID] {
			inBatch[n.ID] = true
			p.nodeIDs[n.Kind] = append(p.nodeIDs[n.Kind], string(n.ID))
		}
	}
	p.edgeOrder = sortedOrder(len(b.Edges), func(i int) graph.ID { return b.Edges[i].ID })
	seenEdge, seenEnd := map[graph.ID]bool{}, map[graph.ID]bool{}
	for _, i := range p.edgeOrder {
		e := &b.Edges[i]
		if !seenEdge[e.ID] {
			seenEdge[e.ID] = true
			p.edgeIDs[e.Kind] = append(p.edgeIDs[e.Kind], string(e.ID))
		}
		for _, end := range []graph.ID{e.From, e.To} {
			if inBatch[end] || seenEnd[end] {
				continue
			}
			seenEnd[end] = true
			k, _ := end.KindOf()
			p.ends[k] = append(p.ends[k], string(end))
		}
	}
	return p
}

func sortedOrder(n int, id func(int) graph.ID) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return cmp.Compare(id(x), id(y)) })
	return order
}

// chunks splits xs into slices of at most n (none for an empty xs).
func chunks[T any](xs []T, n int) [][]T {
	if n <= 0 {
		n = DefaultRowsPerStatement
	}
	out := make([][]T, 0, (len(xs)+n-1)/n)
	for len(xs) > 0 {
		m := min(n, len(xs))
		out = append(out, xs[:m:m])
		xs = xs[m:]
	}
	return out
}

type storedEdge struct {
	edge     graph.Edge
	from, to graph.ID
}

// apply executes the plan with q inside one write transaction. Deletes come
// first, then the endpoint check, nodes, edges, and the run record; any
// error rolls everything back.
func (p *plan) apply(ctx context.Context, q querier, now time.Time) (graph.Result, error) {
	var res graph.Result
	b := p.b
	count := func(text string, params map[string]any, col string) (int, error) {
		recs, err := q(ctx, text, params)
		return sumInts(recs, col), err
	}
	// 1. Deletes: edges by id, then the relationships of deleted nodes,
	// then the nodes, so that every element is counted once.
	for _, k := range graph.EdgeKinds {
		for _, ids := range chunks(p.delEdges[k], p.rows) {
			n, err := count(cy.edgeDelete[k], map[string]any{"ids": ids}, "deleted")
			if err != nil {
				return res, err
			}
			res.Deleted += n
		}
	}
	for _, stage := range []map[graph.Kind]string{cy.nodeDetach, cy.nodeDelete} {
		for _, k := range graph.Kinds {
			for _, ids := range chunks(p.delNodes[k], p.rows) {
				n, err := count(stage[k], map[string]any{"ids": ids}, "deleted")
				if err != nil {
					return res, err
				}
				res.Deleted += n
			}
		}
	}
	// 2. Every edge end must be in the batch or stored (after the deletes).
	if len(b.Edges) > 0 {
		stored := map[graph.ID]bool{}
		for _, k := range graph.Kinds {
			for _, ids := range chunks(p.ends[k], p.rows) {
				recs, err := q(ctx, cy.nodeFind[k], map[string]any{"ids": ids})
				if err != nil {
					return res, err
				}
				for _, r := range recs {
					if id, ok := r.Values[0].(string); ok {
						stored[graph.ID(id)] = true
					}
				}
			}
		}
		if err := b.CheckEndpoints(func(id graph.ID) bool { return stored[id] }); err != nil {
			return res, err
		}
	}
	// 3. Nodes: lock and read, merge in Go, write back whole.
	oldNodes := map[graph.ID]*graph.Node{}
	for _, k := range graph.Kinds {
		for _, ids := range chunks(p.nodeIDs[k], p.rows) {
			recs, err := q(ctx, cy.nodeLock[k], map[string]any{"ids": ids})
			if err != nil {
				return res, err
			}
			for _, r := range recs {
				n, ok := r.Values[0].(dbtype.Node)
				if !ok {
					return res, errorf("apply", "node lock returned %T", r.Values[0])
				}
				if _, stored := n.Props[keyFirstSeen]; !stored {
					continue // created by the lock itself
				}
				old, err := decodeNode(n.Props)
				if err != nil {
					return res, errorf("apply", "%v", err)
				}
				oldNodes[old.ID] = &old
			}
		}
	}
	merged := map[graph.ID]*graph.Node{}
	for _, i := range p.nodeOrder {
		n := &b.Nodes[i]
		cur := merged[n.ID]
		if cur == nil {
			cur = oldNodes[n.ID]
		}
		m := graph.MergeNode(cur, n, p.claim, b.ObservedAt)
		if cur == nil {
			res.NodesCreated++
		} else {
			res.NodesUpdated++
		}
		merged[n.ID] = &m
	}
	for _, k := range graph.Kinds {
		for _, ids := range chunks(p.nodeIDs[k], p.rows) {
			rows := make([]map[string]any, len(ids))
			for i, id := range ids {
				props, err := nodeProps(merged[graph.ID(id)])
				if err != nil {
					return res, err
				}
				rows[i] = map[string]any{"id": id, "props": props}
			}
			if err := expect(count(cy.nodeWrite[k], map[string]any{"rows": rows}, "written"))(len(rows), "nodes", string(k)); err != nil {
				return res, err
			}
		}
	}
	// 4. Edges: lock and read the stored ones, merge, then update in place,
	// or create (re-creating those whose ends changed: a relationship's
	// ends are fixed in Neo4j).
	oldEdges := map[graph.ID]storedEdge{}
	for _, k := range graph.EdgeKinds {
		for _, ids := range chunks(p.edgeIDs[k], p.rows) {
			recs, err := q(ctx, cy.edgeLock[k], map[string]any{"ids": ids})
			if err != nil {
				return res, err
			}
			for _, r := range recs {
				se, err := edgeRecord(r)
				if err != nil {
					return res, err
				}
				oldEdges[se.edge.ID] = se
			}
		}
	}
	mergedEdges := map[graph.ID]*graph.Edge{}
	for _, i := range p.edgeOrder {
		e := &b.Edges[i]
		cur := mergedEdges[e.ID]
		if cur == nil {
			if o, ok := oldEdges[e.ID]; ok {
				cur = &o.edge
			}
		}
		m := graph.MergeEdge(cur, e, p.claim, b.ObservedAt)
		if cur == nil {
			res.EdgesCreated++
		} else {
			res.EdgesUpdated++
		}
		mergedEdges[e.ID] = &m
	}
	type createGroup struct {
		ends edgeEnds
		rows []map[string]any
	}
	var creates []*createGroup
	createIdx := map[edgeEnds]*createGroup{}
	for _, k := range graph.EdgeKinds {
		var updates []map[string]any
		var moved []string
		for _, id := range p.edgeIDs[k] {
			e := mergedEdges[graph.ID(id)]
			props, err := edgeProps(e)
			if err != nil {
				return res, err
			}
			if o, ok := oldEdges[e.ID]; ok {
				if o.from == e.From && o.to == e.To {
					updates = append(updates, map[string]any{"id": id, "props": props})
					continue
				}
				moved = append(moved, id)
			}
			fk, _ := e.From.KindOf()
			tk, _ := e.To.KindOf()
			ends := edgeEnds{k, fk, tk}
			g := createIdx[ends]
			if g == nil {
				g = &createGroup{ends: ends}
				createIdx[ends] = g
				creates = append(creates, g)
			}
			g.rows = append(g.rows, map[string]any{"from": string(e.From), "to": string(e.To), "props": props})
		}
		for _, ids := range chunks(moved, p.rows) {
			if err := expect(count(cy.edgeDelete[k], map[string]any{"ids": ids}, "deleted"))(len(ids), "moved edges", string(k)); err != nil {
				return res, err
			}
		}
		for _, rows := range chunks(updates, p.rows) {
			if err := expect(count(cy.edgeUpdate[k], map[string]any{"rows": rows}, "written"))(len(rows), "edges", string(k)); err != nil {
				return res, err
			}
		}
	}
	for _, g := range creates {
		text, ok := cy.edgeCreate[g.ends]
		if !ok { // Validate checked Allows; this is a model/registry mismatch
			return res, errorf("apply", "no statement creates %s from %s to %s", g.ends.kind, g.ends.from, g.ends.to)
		}
		for _, rows := range chunks(g.rows, p.rows) {
			n, err := count(text, map[string]any{"rows": rows}, "written")
			if err != nil {
				return res, err
			}
			if n != len(rows) {
				// An end vanished after the check: a concurrent delete.
				return res, fmt.Errorf("%w: %d of %d %s edges lost an end node to a concurrent delete", graph.ErrInvalid, len(rows)-n, len(rows), g.ends.kind)
			}
		}
	}
	// 5. The run, so that Sweep knows it completed an Apply in this scope.
	if _, err := q(ctx, cyRunRecord, runParams(b.Scope, b.Run, b.ObservedAt, now)); err != nil {
		return res, err
	}
	return res, nil
}

// expect checks that a write statement touched every row it was given.
func expect(n int, err error) func(want int, what, label string) error {
	return func(want int, what, label string) error {
		if err != nil {
			return err
		}
		if n != want {
			return errorf("apply", "wrote %d of %d %s %s; the graph changed under the transaction", n, want, label, what)
		}
		return nil
	}
}

// edgeRecord decodes a record of (r, from, to).
func edgeRecord(r *neo4j.Record) (storedEdge, error) {
	rel, ok := r.Values[0].(dbtype.Relationship)
	if !ok {
		return storedEdge{}, errorf("read", "expected a relationship, found %T", r.Values[0])
	}
	from, _ := r.Values[1].(string)
	to, _ := r.Values[2].(string)
	e, err := decodeEdge(rel.Props, from, to)
	if err != nil {
		return storedEdge{}, errorf("read", "%v", err)
	}
	return storedEdge{edge: e, from: graph.ID(from), to: graph.ID(to)}, nil
}
