package neo4j

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"

	"github.com/riskgraph/riskgraph/graph"
)

// view is a graph.View over one explicit read transaction. A transaction
// runs one statement at a time, so statements are serialised (q holds mu
// for one statement only: Walk's visit may call the view again).
type view struct {
	s      *Store
	mu     sync.Mutex
	sess   neo4j.SessionWithContext
	tx     neo4j.ExplicitTransaction
	closed bool
}

func (v *view) q(ctx context.Context, text string, params map[string]any) ([]*neo4j.Record, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return nil, graph.ErrClosed
	}
	recs, err := v.s.query(ctx, v.tx.Run, text, params)
	return recs, mapError("read", err)
}

func (v *view) Node(ctx context.Context, id graph.ID) (graph.Node, error) {
	k, ok := id.KindOf()
	if !ok {
		return graph.Node{}, fmt.Errorf("node %s: %w", id, graph.ErrNotFound)
	}
	nodes, err := v.nodesByID(ctx, k, []string{string(id)}, noFilter())
	if err != nil {
		return graph.Node{}, err
	}
	if len(nodes) == 0 {
		return graph.Node{}, fmt.Errorf("node %s: %w", id, graph.ErrNotFound)
	}
	return nodes[0], nil
}

func (v *view) Edge(ctx context.Context, id graph.ID) (graph.Edge, error) {
	k, ok := id.EdgeKindOf()
	if !ok {
		return graph.Edge{}, fmt.Errorf("edge %s: %w", id, graph.ErrNotFound)
	}
	recs, err := v.q(ctx, cy.edgeGet[k], map[string]any{"id": string(id)})
	if err != nil {
		return graph.Edge{}, err
	}
	if len(recs) == 0 {
		return graph.Edge{}, fmt.Errorf("edge %s: %w", id, graph.ErrNotFound)
	}
	se, err := edgeRecord(recs[0])
	return se.edge, err
}

// filterParams are the nodeFilter parameters of f.
type filterParams map[string]any

func noFilter() filterParams {
	return filterParams{"env": nil, "name": nil, "classes": nil, "props": []map[string]any{}}
}

// nodeFilterParams returns the parameters for f; ok is false when f can
// match nothing.
func nodeFilterParams(f *graph.NodeFilter) (filterParams, bool, error) {
	p := noFilter()
	if f.Env != "" {
		p["env"] = f.Env
	}
	if f.NameContains != "" {
		p["name"] = strings.ToLower(f.NameContains)
	}
	if len(f.DataClasses) > 0 {
		cs := make([]string, len(f.DataClasses))
		for i, c := range f.DataClasses {
			cs[i] = string(c)
		}
		p["classes"] = cs
	}
	conds, ok, err := filterProps(f.Props)
	if err != nil || !ok {
		return nil, ok, err
	}
	p["props"] = conds
	return p, true, nil
}

func (p filterParams) with(kv ...any) map[string]any {
	m := make(map[string]any, len(p)+len(kv)/2)
	for k, v := range p {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func (v *view) nodesByID(ctx context.Context, k graph.Kind, ids []string, fp filterParams) ([]graph.Node, error) {
	var out []graph.Node
	for _, chunk := range chunks(ids, v.s.rows) {
		recs, err := v.q(ctx, cy.nodesByID[k], fp.with("ids", chunk))
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			n, err := nodeRecord(r)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
	}
	return out, nil
}

func nodeRecord(r *neo4j.Record) (graph.Node, error) {
	n, ok := r.Values[0].(dbtype.Node)
	if !ok {
		return graph.Node{}, errorf("read", "expected a node, found %T", r.Values[0])
	}
	node, err := decodeNode(n.Props)
	if err != nil {
		return graph.Node{}, errorf("read", "%v", err)
	}
	return node, nil
}

// kindsInIDOrder returns the kinds to list (all when none are given), in the
// order their ids sort: an id starts with its kind's prefix and no prefix
// is a prefix of another, so listing kind after kind lists in id order.
func kindsInIDOrder(ks []graph.Kind) []graph.Kind {
	if len(ks) == 0 {
		ks = graph.Kinds
	}
	out := make([]graph.Kind, 0, len(ks))
	for _, k := range ks {
		if k.Valid() && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b graph.Kind) int { return strings.Compare(graph.Prefix(a)+":", graph.Prefix(b)+":") })
	return out
}

func (v *view) Nodes(ctx context.Context, f graph.NodeFilter, p graph.Page) (graph.NodePage, error) {
	limit := p.EffectiveLimit()
	var page graph.NodePage
	fp, ok, err := nodeFilterParams(&f)
	if err != nil || !ok {
		return page, err
	}
	kinds := kindsInIDOrder(f.Kinds)
	if len(f.IDs) > 0 {
		// Bounded by the ids asked for: fetch the matches, page in Go.
		byKind := map[graph.Kind][]string{}
		for _, id := range f.IDs {
			if k, ok := id.KindOf(); ok && slices.Contains(kinds, k) && !slices.Contains(byKind[k], string(id)) {
				byKind[k] = append(byKind[k], string(id))
			}
		}
		var all []graph.Node
		for _, k := range kinds {
			ns, err := v.nodesByID(ctx, k, byKind[k], fp)
			if err != nil {
				return page, err
			}
			all = append(all, ns...)
		}
		slices.SortFunc(all, func(a, b graph.Node) int { return strings.Compare(string(a.ID), string(b.ID)) })
		page.Total = len(all)
		for _, n := range all {
			if n.ID <= p.After {
				continue
			}
			if len(page.Nodes) == limit {
				page.HasMore = true
				break
			}
			page.Nodes = append(page.Nodes, n)
		}
	} else {
		filtered := f.Env != "" || f.NameContains != "" || len(f.DataClasses) > 0 || len(f.Props) > 0
		for _, k := range kinds {
			// Totals count every match, also those before After, so that
			// they do not change from page to page.
			var recs []*neo4j.Record
			if filtered {
				recs, err = v.q(ctx, cy.nodesCountF[k], fp.with())
			} else {
				recs, err = v.q(ctx, cy.nodeCount[k], nil)
			}
			if err != nil {
				return page, err
			}
			page.Total += sumInts(recs, "total")
			if page.HasMore {
				continue
			}
			want := limit - len(page.Nodes)
			recs, err = v.q(ctx, cy.nodesScan[k], fp.with("after", string(p.After), "limit", int64(want+1)))
			if err != nil {
				return page, err
			}
			for _, r := range recs {
				if len(page.Nodes) == limit {
					page.HasMore = true
					break
				}
				n, err := nodeRecord(r)
				if err != nil {
					return page, err
				}
				page.Nodes = append(page.Nodes, n)
			}
		}
	}
	if len(page.Nodes) > 0 {
		page.End = page.Nodes[len(page.Nodes)-1].ID
	}
	return page, nil
}

func (v *view) Edges(ctx context.Context, f graph.EdgeFilter, p graph.Page) (graph.EdgePage, error) {
	limit := p.EffectiveLimit()
	var page graph.EdgePage
	var kinds []string
	for _, k := range f.Kinds {
		kinds = append(kinds, string(k))
	}
	if f.From != "" || f.To != "" {
		// Through one end: every edge of one node, paged in Go (as the
		// embedded store does).
		end, text := f.From, cyEdgesFrom
		if end == "" {
			end, text = f.To, cyEdgesTo
		}
		eid, found, err := v.elementID(ctx, end)
		if err != nil || !found {
			return page, err
		}
		params := map[string]any{"eid": eid, "kinds": nilIfEmpty(kinds)}
		if text == cyEdgesFrom {
			params["to"] = nilIfEmptyID(f.To)
		}
		recs, err := v.q(ctx, text, params)
		if err != nil {
			return page, err
		}
		var all []graph.Edge
		for _, r := range recs {
			se, err := edgeRecord(r)
			if err != nil {
				return page, err
			}
			all = append(all, se.edge)
		}
		slices.SortFunc(all, func(a, b graph.Edge) int { return strings.Compare(string(a.ID), string(b.ID)) })
		page.Total = len(all)
		for _, e := range all {
			if e.ID <= p.After {
				continue
			}
			if len(page.Edges) == limit {
				page.HasMore = true
				break
			}
			page.Edges = append(page.Edges, e)
		}
	} else {
		eks := edgeKindsInIDOrder(f.Kinds)
		for _, k := range eks {
			recs, err := v.q(ctx, cy.edgeCount[k], nil)
			if err != nil {
				return page, err
			}
			page.Total += sumInts(recs, "total")
			if page.HasMore {
				continue
			}
			want := limit - len(page.Edges)
			recs, err = v.q(ctx, cy.edgesScan[k], map[string]any{"after": string(p.After), "limit": int64(want + 1)})
			if err != nil {
				return page, err
			}
			for _, r := range recs {
				if len(page.Edges) == limit {
					page.HasMore = true
					break
				}
				se, err := edgeRecord(r)
				if err != nil {
					return page, err
				}
				page.Edges = append(page.Edges, se.edge)
			}
		}
	}
	if len(page.Edges) > 0 {
		page.End = page.Edges[len(page.Edges)-1].ID
	}
	return page, nil
}

func edgeKindsInIDOrder(ks []graph.EdgeKind) []graph.EdgeKind {
	if len(ks) == 0 {
		ks = graph.EdgeKinds
	}
	out := make([]graph.EdgeKind, 0, len(ks))
	for _, k := range ks {
		if k.Valid() && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b graph.EdgeKind) int {
		return strings.Compare(graph.EdgePrefix(a)+":", graph.EdgePrefix(b)+":")
	})
	return out
}

func nilIfEmpty(xs []string) any {
	if len(xs) == 0 {
		return nil
	}
	return xs
}

func nilIfEmptyID(id graph.ID) any {
	if id == "" {
		return nil
	}
	return string(id)
}

// elementIDs resolves node ids to element ids (valid in this transaction),
// keeping the order of ids and dropping unknown ones.
func (v *view) elementIDs(ctx context.Context, ids []graph.ID) ([]graph.ID, []string, error) {
	byKind := map[graph.Kind][]string{}
	for _, id := range ids {
		if k, ok := id.KindOf(); ok {
			byKind[k] = append(byKind[k], string(id))
		}
	}
	eids := map[string]string{}
	for _, k := range graph.Kinds {
		for _, chunk := range chunks(byKind[k], v.s.rows) {
			recs, err := v.q(ctx, cy.nodeFind[k], map[string]any{"ids": chunk})
			if err != nil {
				return nil, nil, err
			}
			for _, r := range recs {
				id, _ := r.Values[0].(string)
				eid, _ := r.Values[1].(string)
				eids[id] = eid
			}
		}
	}
	var found []graph.ID
	var out []string
	for _, id := range ids {
		if e, ok := eids[string(id)]; ok {
			found = append(found, id)
			out = append(out, e)
		}
	}
	return found, out, nil
}

func (v *view) elementID(ctx context.Context, id graph.ID) (string, bool, error) {
	_, eids, err := v.elementIDs(ctx, []graph.ID{id})
	if err != nil || len(eids) == 0 {
		return "", false, err
	}
	return eids[0], true, nil
}

// Walk is a breadth-first search run level by level: each level's
// expansion is one Cypher statement over the whole frontier (by element
// id), and visit is called in Go between levels. That keeps the exact
// semantics of Skip and Stop, which a single variable-length or SHORTEST
// pattern cannot (the caller decides per node whether to expand it), at one
// round trip per depth instead of one per node, and never pulls more than
// the frontier's edges. The parents reported are shortest-path parents: a
// node is reported once, from the first node of the previous level (in
// visiting order) that reaches it, over the lowest edge id.
func (v *view) Walk(ctx context.Context, w graph.Walk, visit func(graph.Step) graph.Control) error {
	var kinds []string
	for _, k := range w.Kinds {
		kinds = append(kinds, string(k))
	}
	text := cyWalkOut
	switch w.Dir {
	case graph.In:
		text = cyWalkIn
	case graph.Both:
		text = cyWalkBoth
	}
	// Distinct start ids, in the order given.
	var starts []graph.ID
	for _, id := range w.From {
		if !slices.Contains(starts, id) {
			starts = append(starts, id)
		}
	}
	ids, eids, err := v.elementIDs(ctx, starts)
	if err != nil {
		return err
	}
	seen := map[graph.ID]bool{}
	type item struct {
		id  graph.ID
		eid string
	}
	var frontier []item
	for i, id := range ids {
		seen[id] = true
		k, _ := id.KindOf()
		switch visit(graph.Step{Node: id, Kind: k}) {
		case graph.Stop:
			return nil
		case graph.Skip:
			continue
		}
		frontier = append(frontier, item{id, eids[i]})
	}
	type hop struct {
		via     graph.ID
		viaKind graph.EdgeKind
		node    graph.ID
		eid     string
	}
	for depth := 1; len(frontier) > 0 && (w.MaxDepth == 0 || depth <= w.MaxDepth); depth++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		hops := map[string][]hop{}
		fe := make([]string, len(frontier))
		for i, it := range frontier {
			fe[i] = it.eid
		}
		for _, chunk := range chunks(fe, v.s.rows) {
			recs, err := v.q(ctx, text, map[string]any{"eids": chunk, "kinds": nilIfEmpty(kinds)})
			if err != nil {
				return err
			}
			for _, r := range recs {
				from, _ := r.Values[0].(string)
				via, _ := r.Values[1].(string)
				vk, _ := r.Values[2].(string)
				node, _ := r.Values[3].(string)
				next, _ := r.Values[4].(string)
				hops[from] = append(hops[from], hop{graph.ID(via), graph.EdgeKind(vk), graph.ID(node), next})
			}
		}
		var nextFrontier []item
		for _, it := range frontier {
			hs := hops[it.eid]
			slices.SortFunc(hs, func(a, b hop) int {
				if c := strings.Compare(string(a.via), string(b.via)); c != 0 {
					return c
				}
				return strings.Compare(string(a.node), string(b.node))
			})
			for _, h := range hs {
				if seen[h.node] {
					continue
				}
				seen[h.node] = true
				k, _ := h.node.KindOf()
				switch visit(graph.Step{Node: h.node, Kind: k, Depth: depth, Parent: it.id, Via: h.via, ViaKind: h.viaKind}) {
				case graph.Stop:
					return nil
				case graph.Skip:
					continue
				}
				nextFrontier = append(nextFrontier, item{h.node, h.eid})
			}
		}
		frontier = nextFrontier
	}
	return nil
}

func (v *view) Stats(ctx context.Context) (graph.Stats, error) {
	s := graph.Stats{NodesByKind: map[graph.Kind]int{}, EdgesByKind: map[graph.EdgeKind]int{}}
	for _, k := range graph.Kinds {
		recs, err := v.q(ctx, cy.nodeCount[k], nil)
		if err != nil {
			return s, err
		}
		if c := sumInts(recs, "total"); c > 0 {
			s.NodesByKind[k] = c
			s.Nodes += c
		}
	}
	for _, k := range graph.EdgeKinds {
		recs, err := v.q(ctx, cy.edgeCount[k], nil)
		if err != nil {
			return s, err
		}
		if c := sumInts(recs, "total"); c > 0 {
			s.EdgesByKind[k] = c
			s.Edges += c
		}
	}
	recs, err := v.q(ctx, cyRunsLast, nil)
	if err != nil {
		return s, err
	}
	for _, r := range recs {
		source, _ := r.Values[0].(string)
		key, _ := r.Values[1].(string)
		run, _ := r.Values[2].(string)
		failed, _ := r.Values[3].(bool)
		ri := graph.RunInfo{Scope: graph.Scope{Source: source, Key: key}, Run: graph.RunID(run), Failed: failed}
		if at, ok := r.Values[4].(time.Time); ok {
			ri.At = at.UTC().Format(time.RFC3339)
		}
		s.Runs = append(s.Runs, ri)
	}
	slices.SortFunc(s.Runs, func(a, b graph.RunInfo) int { return strings.Compare(a.Scope.String(), b.Scope.String()) })
	return s, nil
}

// Close ends the read transaction and its session.
func (v *view) Close() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return nil
	}
	v.closed = true
	ctx := context.Background()
	err := v.tx.Rollback(ctx) // read-only: nothing to commit
	if cerr := v.sess.Close(ctx); err == nil {
		err = cerr
	}
	return mapError("read", err)
}
