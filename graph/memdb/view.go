package memdb

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/riskgraph/riskgraph/graph"
)

// view is a graph.View over one immutable state. It is safe for concurrent
// use and never blocks writers.
type view struct {
	st    *state
	edges *edgeIndex

	// listed caches the last Edges listing (its filter and the matching
	// edges in id order): callers page through a listing with the same
	// filter, and without the cache every page would rescan and re-sort
	// every edge — quadratic over a million-edge export. The view is a
	// snapshot, so the list stays valid for the view's life.
	mu     sync.Mutex
	listed *edgeListing
}

type edgeListing struct {
	f    graph.EdgeFilter
	list []*graph.Edge
}

func sameEdgeFilter(a, b graph.EdgeFilter) bool {
	return a.From == b.From && a.To == b.To && slices.Equal(a.Kinds, b.Kinds)
}

func (v *view) txn() *memdb.Txn { return v.st.db.Txn(false) }

func (v *view) Node(ctx context.Context, id graph.ID) (graph.Node, error) {
	o, err := v.txn().First(tableNodes, indexID, string(id))
	if err != nil {
		return graph.Node{}, err
	}
	if o == nil {
		return graph.Node{}, fmt.Errorf("node %s: %w", id, graph.ErrNotFound)
	}
	return o.(*nodeRec).Node, nil
}

func (v *view) Edge(ctx context.Context, id graph.ID) (graph.Edge, error) {
	if slot, ok := v.edges.get(id); ok && slot < v.st.edges.n {
		if r := v.st.edges.at(slot); r != nil && r.ID == id {
			return r.Edge, nil
		}
	}
	return graph.Edge{}, fmt.Errorf("edge %s: %w", id, graph.ErrNotFound)
}

// scan calls fn for the rows of table whose id starts with prefix and is
// greater than after, in id order, until fn returns false.
func (v *view) scan(ctx context.Context, table, prefix string, after graph.ID, fn func(any) bool) error {
	start := prefix
	if string(after) > start {
		start = string(after)
	}
	it, err := v.txn().LowerBound(table, indexID, start)
	if err != nil {
		return err
	}
	for i := 0; ; i++ {
		o := it.Next()
		if o == nil {
			return nil
		}
		if i&1023 == 1023 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		k := o.(ided).key()
		if !strings.HasPrefix(k, prefix) {
			return nil
		}
		if k == string(after) {
			continue
		}
		if !fn(o) {
			return nil
		}
	}
}

func (v *view) Nodes(ctx context.Context, f graph.NodeFilter, p graph.Page) (graph.NodePage, error) {
	limit := p.EffectiveLimit()
	var page graph.NodePage
	take := func(n *graph.Node) bool {
		if !f.Match(n) {
			return true
		}
		page.Total++
		switch {
		case n.ID <= p.After:
		case len(page.Nodes) < limit:
			page.Nodes = append(page.Nodes, *n)
		default:
			page.HasMore = true
		}
		return true
	}
	// Total counts every match, also those before After, so that it does
	// not change from page to page.
	if len(f.IDs) > 0 {
		ids := slices.Clone(f.IDs)
		slices.Sort(ids)
		ids = slices.Compact(ids)
		txn := v.txn()
		for _, id := range ids {
			o, _ := txn.First(tableNodes, indexID, string(id))
			if o == nil {
				continue
			}
			n := &o.(*nodeRec).Node
			if !f.Match(n) {
				continue
			}
			page.Total++
			if id <= p.After {
				continue
			}
			if len(page.Nodes) < limit {
				page.Nodes = append(page.Nodes, *n)
			} else {
				page.HasMore = true
			}
		}
	} else if kindsOnly(f) {
		// Totals come from the counters; only the page itself is scanned.
		for _, k := range sortedKinds(f.Kinds) {
			page.Total += v.st.count.nodes[kindIndex[k]]
		}
		if len(f.Kinds) == 0 {
			for _, c := range v.st.count.nodes {
				page.Total += c
			}
		}
		for _, prefix := range prefixes(f.Kinds) {
			if err := v.scan(ctx, tableNodes, prefix, p.After, func(o any) bool {
				if len(page.Nodes) >= limit {
					page.HasMore = true
					return false
				}
				page.Nodes = append(page.Nodes, o.(*nodeRec).Node)
				return true
			}); err != nil {
				return graph.NodePage{}, err
			}
			if page.HasMore {
				break
			}
		}
	} else {
		for _, prefix := range prefixes(f.Kinds) {
			if err := v.scan(ctx, tableNodes, prefix, "", func(o any) bool {
				return take(&o.(*nodeRec).Node)
			}); err != nil {
				return graph.NodePage{}, err
			}
		}
	}
	if len(page.Nodes) > 0 {
		page.End = page.Nodes[len(page.Nodes)-1].ID
	}
	return page, nil
}

func kindsOnly(f graph.NodeFilter) bool {
	if f.Env != "" || f.NameContains != "" || len(f.DataClasses) > 0 || len(f.Props) > 0 {
		return false
	}
	for _, k := range f.Kinds {
		if !k.Valid() {
			return false
		}
	}
	return true
}

func sortedKinds(ks []graph.Kind) []graph.Kind {
	ks = slices.Clone(ks)
	slices.Sort(ks)
	return slices.Compact(ks)
}

// prefixes returns the id prefixes to scan for kinds, in id order; no kinds
// means one scan of everything.
func prefixes(ks []graph.Kind) []string {
	if len(ks) == 0 {
		return []string{""}
	}
	out := make([]string, 0, len(ks))
	for _, k := range ks {
		out = append(out, graph.Prefix(k)+":")
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func edgePrefixes(ks []graph.EdgeKind) []string {
	if len(ks) == 0 {
		return []string{""}
	}
	out := make([]string, 0, len(ks))
	for _, k := range ks {
		out = append(out, graph.EdgePrefix(k)+":")
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (v *view) Edges(ctx context.Context, f graph.EdgeFilter, p graph.Page) (graph.EdgePage, error) {
	limit := p.EffectiveLimit()
	var page graph.EdgePage
	add := func(e *graph.Edge) {
		page.Total++
		if e.ID <= p.After {
			return
		}
		if len(page.Edges) < limit {
			page.Edges = append(page.Edges, *e)
		} else {
			page.HasMore = true
		}
	}
	if f.From == "" && f.To == "" {
		list, err := v.scanEdges(ctx, f)
		if err != nil {
			return graph.EdgePage{}, err
		}
		// Skip to the first id after the cursor; Total counts all.
		i, _ := slices.BinarySearchFunc(list, p.After, func(e *graph.Edge, after graph.ID) int {
			if e.ID <= after {
				return -1
			}
			return 1
		})
		rest := list[i:]
		page.Total, page.HasMore = len(list), len(rest) > limit
		rest = rest[:min(limit, len(rest))]
		page.Edges = make([]graph.Edge, len(rest))
		for j, e := range rest {
			page.Edges[j] = *e
		}
		if len(page.Edges) > 0 {
			page.End = page.Edges[len(page.Edges)-1].ID
		}
		return page, nil
	}
	var list []*graph.Edge
	{
		// Through the adjacency of one endpoint.
		end, out := f.From, true
		if end == "" {
			end, out = f.To, false
		}
		o, _ := v.txn().First(tableNodes, indexID, string(end))
		if o != nil {
			for _, a := range v.st.adj.at(o.(*nodeRec).slot) {
				if a.out != out {
					continue
				}
				if e := &v.st.edges.at(a.edge).Edge; f.Match(e) {
					list = append(list, e)
				}
			}
		}
	}
	slices.SortFunc(list, func(x, y *graph.Edge) int { return strings.Compare(string(x.ID), string(y.ID)) })
	for _, e := range list {
		add(e)
	}
	if len(page.Edges) > 0 {
		page.End = page.Edges[len(page.Edges)-1].ID
	}
	return page, nil
}

// scanEdges returns the edges matching f (no endpoint set) in id order,
// from the view's cache when the previous listing had the same filter.
func (v *view) scanEdges(ctx context.Context, f graph.EdgeFilter) ([]*graph.Edge, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.listed != nil && sameEdgeFilter(v.listed.f, f) {
		return v.listed.list, nil
	}
	// A scan of the edge array: edges are not kept in id order (see
	// schema.go), and listing all of them is an export, not a query.
	var list []*graph.Edge
	for i := uint32(0); i < v.st.edges.n; i++ {
		if i&4095 == 4095 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if r := v.st.edges.at(i); r != nil && f.Match(&r.Edge) {
			list = append(list, &r.Edge)
		}
	}
	slices.SortFunc(list, func(x, y *graph.Edge) int { return strings.Compare(string(x.ID), string(y.ID)) })
	v.listed = &edgeListing{f: graph.EdgeFilter{Kinds: slices.Clone(f.Kinds)}, list: list}
	return list, nil
}

// walkBuf holds a walk's visited bits and queue between walks: a walk over
// a large estate would otherwise allocate megabytes each time.
type walkBuf struct {
	seen  []uint64
	queue []walkItem
}

type walkItem struct {
	id    graph.ID
	slot  uint32
	depth uint32
}

var walkBufs = sync.Pool{New: func() any { return new(walkBuf) }}

// Walk is a breadth-first search that reads only adjacency lists and a
// visited bit set: the ids and kinds a Step reports are in the adjacency
// entries, so no node or edge record is touched.
func (v *view) Walk(ctx context.Context, w graph.Walk, visit func(graph.Step) graph.Control) error {
	st := v.st
	mask := maskOf(w.Kinds)
	buf := walkBufs.Get().(*walkBuf)
	defer walkBufs.Put(buf)
	words := int(st.nodes.n+63) / 64
	if cap(buf.seen) < words {
		buf.seen = make([]uint64, words)
	}
	seen := buf.seen[:words]
	clear(seen)
	queue := buf.queue[:0]
	defer func() { buf.queue = queue[:0] }()
	txn := v.txn()
	for _, id := range w.From {
		o, _ := txn.First(tableNodes, indexID, string(id))
		if o == nil {
			continue // unknown start ids are ignored
		}
		r := o.(*nodeRec)
		if seen[r.slot/64]&(1<<(r.slot%64)) != 0 {
			continue
		}
		seen[r.slot/64] |= 1 << (r.slot % 64)
		switch visit(graph.Step{Node: r.ID, Kind: r.Kind}) {
		case graph.Stop:
			return nil
		case graph.Skip:
			continue
		}
		queue = append(queue, walkItem{id: r.ID, slot: r.slot})
	}
	outOnly, inOnly := w.Dir == graph.Out, w.Dir == graph.In
	for head := 0; head < len(queue); head++ {
		it := queue[head]
		if head&4095 == 4095 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if w.MaxDepth > 0 && int(it.depth) >= w.MaxDepth {
			continue
		}
		list := st.adj.at(it.slot)
		for i := range list {
			a := &list[i]
			if (outOnly && !a.out) || (inOnly && a.out) || !mask.has(a.kind) {
				continue
			}
			bit := uint64(1) << (a.other % 64)
			if seen[a.other/64]&bit != 0 {
				continue
			}
			seen[a.other/64] |= bit
			id := a.otherID
			switch visit(graph.Step{Node: id, Kind: graph.Kinds[a.okind], Depth: int(it.depth) + 1, Parent: it.id, Via: a.edgeID, ViaKind: graph.EdgeKinds[a.kind]}) {
			case graph.Stop:
				return nil
			case graph.Skip:
				continue
			}
			queue = append(queue, walkItem{id: id, slot: a.other, depth: it.depth + 1})
		}
	}
	return nil
}

func (v *view) Stats(ctx context.Context) (graph.Stats, error) {
	s := graph.Stats{NodesByKind: map[graph.Kind]int{}, EdgesByKind: map[graph.EdgeKind]int{}}
	for i, k := range graph.Kinds {
		if c := v.st.count.nodes[i]; c > 0 {
			s.NodesByKind[k] = c
			s.Nodes += c
		}
	}
	for i, k := range graph.EdgeKinds {
		if c := v.st.count.edges[i]; c > 0 {
			s.EdgesByKind[k] = c
			s.Edges += c
		}
	}
	for scope, runs := range v.st.runs {
		if len(runs) == 0 {
			continue
		}
		last := runs[len(runs)-1]
		s.Runs = append(s.Runs, graph.RunInfo{Scope: scope, Run: last.run, Failed: last.failed, At: last.at.UTC().Format(time.RFC3339)})
	}
	slices.SortFunc(s.Runs, func(a, b graph.RunInfo) int { return strings.Compare(a.Scope.String(), b.Scope.String()) })
	return s, nil
}

func (v *view) Close() error { return nil }
