package scoring

import (
	"context"
	"math/bits"
	"slices"

	"github.com/riskgraph/riskgraph/graph"
)

// radiusIndex is the part of the graph a blast radius moves over, with its
// nodes numbered 0..n-1 in id order (so comparing slots compares ids) and
// its edges as adjacency arrays. A radius of 50,000 nodes on a million-node
// estate then costs array reads and bitset tests instead of a map lookup
// and a store call per node. It is derived from the view once per engine,
// like the exposure index, whatever the backend: one listing of the edge
// kinds below and of the services, stores and third parties.
type radiusIndex struct {
	ids  []graph.ID
	slot map[graph.ID]int32
	kind []uint8 // index into graph.Kinds

	out     adjacency // lateral edges (lateralKinds) out of a node, by target slot
	writers adjacency // into a node: WRITES and CAN_ACCESS, by source slot
	readers adjacency // into a node: READS, by source slot
	owners  adjacency // out of a node: PART_OF to applications, OWNED_BY to teams
	secrets adjacency // service → secret groups (services of one env mounting one secret)
	members adjacency // secret group → its services

	routed  bitset // internet-facing (Exposure.InternetFacing)
	names   map[int32]string
	classes map[int32][]graph.DataClass // services and data stores with data classes

	// Scratch for one radius at a time (the engine serialises queries).
	seen, mark bitset
	pos        []int32 // slot → index in hits, valid for slots in seen
	hits       []hit
	queue      []int32
}

// hit is one node of a radius while it is being computed.
type hit struct {
	slot, parent int32 // parent -1: a start node
	depth        int32
	via          int8 // index into graph.EdgeKinds, -1: none
	lateral      uint8
}

const (
	noLateral uint8 = iota
	sharedSecret
	sharedStore
)

var lateralNames = [...]string{"", "shared-secret", "shared-store"}

// adjacency is a compressed sparse row list: the neighbours of slot s are
// to[off[s]:off[s+1]], reached over the edge kinds kind[off[s]:off[s+1]].
type adjacency struct {
	off  []int32
	to   []int32
	kind []int8
}

func (a *adjacency) of(s int32) ([]int32, []int8) {
	lo, hi := a.off[s], a.off[s+1]
	return a.to[lo:hi], a.kind[lo:hi]
}

type arc struct {
	from, to int32
	kind     int8
}

// buildAdjacency sorts arcs by source, then target, and packs them.
func buildAdjacency(n int, arcs []arc) adjacency {
	slices.SortFunc(arcs, func(a, b arc) int {
		if a.from != b.from {
			return int(a.from - b.from)
		}
		if a.to != b.to {
			return int(a.to - b.to)
		}
		return int(a.kind - b.kind)
	})
	a := adjacency{off: make([]int32, n+1), to: make([]int32, len(arcs)), kind: make([]int8, len(arcs))}
	for i, r := range arcs {
		a.off[r.from+1]++
		a.to[i], a.kind[i] = r.to, r.kind
	}
	for s := 0; s < n; s++ {
		a.off[s+1] += a.off[s]
	}
	return a
}

type bitset []uint64

func (b bitset) has(i int32) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }
func (b bitset) set(i int32)      { b[i>>6] |= 1 << (uint(i) & 63) }

func kindIndex(k graph.Kind) uint8 {
	if i := slices.Index(graph.Kinds, k); i >= 0 {
		return uint8(i)
	}
	return 255
}

func edgeKindIndex(k graph.EdgeKind) int8 { return int8(slices.Index(graph.EdgeKinds, k)) }

var (
	idxReads, idxWrites, idxCanAccess = edgeKindIndex(graph.Reads), edgeKindIndex(graph.Writes), edgeKindIndex(graph.CanAccess)
	idxPartOf, idxOwnedBy             = edgeKindIndex(graph.PartOf), edgeKindIndex(graph.OwnedBy)
)

// radius returns the engine's radius index, building it on first use.
// Callers hold e.mu.
func (e *Engine) radius(ctx context.Context) (*radiusIndex, error) {
	if e.rad != nil {
		return e.rad, nil
	}
	x, err := e.exposure(ctx)
	if err != nil {
		return nil, err
	}
	if err := e.loadSecrets(ctx); err != nil {
		return nil, err
	}
	type edge struct {
		from, to graph.ID
		kind     int8
	}
	var edges []edge
	ids := map[graph.ID]int32{}
	kinds := append(slices.Clone(lateralKinds), graph.PartOf, graph.OwnedBy)
	p := graph.Page{Limit: graph.MaxPageLimit}
	for {
		pg, err := e.v.Edges(ctx, graph.EdgeFilter{Kinds: kinds}, p)
		if err != nil {
			return nil, err
		}
		for i := range pg.Edges {
			ed := &pg.Edges[i]
			edges = append(edges, edge{ed.From, ed.To, edgeKindIndex(ed.Kind)})
			ids[ed.From], ids[ed.To] = 0, 0
		}
		if !pg.HasMore {
			break
		}
		p.After = pg.End
	}
	r := &radiusIndex{names: map[int32]string{}, classes: map[int32][]graph.DataClass{}}
	// Services, stores and third parties are named in every radius, and any
	// service can be reached over a shared secret without having an edge.
	var named []graph.Node
	err = e.eachNode(ctx, graph.NodeFilter{Kinds: []graph.Kind{graph.Service, graph.DataStore, graph.ThirdParty}}, func(n *graph.Node) error {
		named = append(named, graph.Node{ID: n.ID, Name: n.Name, DataClasses: n.DataClasses, Kind: n.Kind})
		ids[n.ID] = 0
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.ids = make([]graph.ID, 0, len(ids))
	for id := range ids {
		r.ids = append(r.ids, id)
	}
	slices.Sort(r.ids)
	n := len(r.ids)
	r.kind = make([]uint8, n)
	for i, id := range r.ids {
		ids[id] = int32(i)
		r.kind[i] = kindIndex(kindOf(id))
	}
	r.slot = ids
	var out, wr, rd, own []arc
	for _, ed := range edges {
		a := arc{from: ids[ed.from], to: ids[ed.to], kind: ed.kind}
		switch ed.kind {
		case idxPartOf, idxOwnedBy:
			own = append(own, a)
			continue
		case idxReads:
			rd = append(rd, arc{from: a.to, to: a.from, kind: a.kind})
		case idxWrites, idxCanAccess:
			wr = append(wr, arc{from: a.to, to: a.from, kind: a.kind})
		}
		out = append(out, a)
	}
	edges = nil
	r.out, r.writers, r.readers, r.owners = buildAdjacency(n, out), buildAdjacency(n, wr), buildAdjacency(n, rd), buildAdjacency(n, own)
	for _, nd := range named {
		s := ids[nd.ID]
		r.names[s] = nd.Name
		if len(nd.DataClasses) > 0 && nd.Kind != graph.ThirdParty {
			r.classes[s] = nd.DataClasses
		}
	}
	// Secret groups: one per env/secret mounted by two services or more.
	keys := make([]string, 0, len(e.secrets))
	for k, svcs := range e.secrets {
		if len(svcs) > 1 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var mem, sec []arc
	for g, k := range keys {
		for _, id := range e.secrets[k] {
			if s, ok := ids[id]; ok {
				mem = append(mem, arc{from: int32(g), to: s})
				sec = append(sec, arc{from: s, to: int32(g)})
			}
		}
	}
	r.members, r.secrets = buildAdjacency(len(keys), mem), buildAdjacency(n, sec)
	r.routed = make(bitset, (n+63)/64)
	for id, xn := range x.m {
		if s, ok := ids[id]; ok && xn.routed {
			r.routed.set(s)
		}
	}
	r.seen, r.mark = make(bitset, (n+63)/64), make(bitset, (n+63)/64)
	r.pos = make([]int32, n)
	e.rad = r
	return r, nil
}

// lateralFromScratch makes every lateral round look at the whole radius
// again (tests compare the incremental rounds against it).
var lateralFromScratch = false

// kindAt returns the kind of the node in slot s.
func (r *radiusIndex) kindAt(s int32) graph.Kind {
	if k := r.kind[s]; int(k) < len(graph.Kinds) {
		return graph.Kinds[k]
	}
	return ""
}

// spread computes the nodes a compromise of seeds reaches (see
// Engine.BlastRadius for the rules), in r.hits, in no particular order.
// Seeds must be distinct slots.
func (r *radiusIndex) spread(ctx context.Context, seeds []int32, maxDepth int) error {
	clear(r.seen)
	r.hits = r.hits[:0]
	add := func(h hit) {
		r.seen.set(h.slot)
		r.pos[h.slot] = int32(len(r.hits))
		r.hits = append(r.hits, h)
	}
	// walk is a breadth-first walk over r.out from seeds at depth base. A
	// node found before (by this walk or an earlier one) is not expanded
	// again; seeds are expanded whether found before or not. The queue
	// holds indexes into r.hits.
	queue := r.queue[:0]
	defer func() { r.queue = queue[:0] }()
	walk := func(seeds []int32, base int32) error {
		queue = queue[:0]
		for _, s := range seeds {
			if !r.seen.has(s) {
				add(hit{slot: s, parent: -1, depth: base, via: -1})
			}
			queue = append(queue, r.pos[s])
		}
		for head := 0; head < len(queue); head++ {
			if head&4095 == 4095 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			h := r.hits[queue[head]]
			if maxDepth > 0 && int(h.depth) >= maxDepth {
				continue
			}
			to, kinds := r.out.of(h.slot)
			for i, t := range to {
				if r.seen[t>>6]&(1<<(uint(t)&63)) != 0 {
					continue
				}
				r.seen[t>>6] |= 1 << (uint(t) & 63)
				r.pos[t] = int32(len(r.hits))
				queue = append(queue, int32(len(r.hits)))
				r.hits = append(r.hits, hit{slot: t, parent: h.slot, depth: h.depth + 1, via: kinds[i]})
			}
		}
		return nil
	}
	if err := walk(seeds, 0); err != nil {
		return err
	}
	// Lateral hops without edges, in rounds, until nothing new is found.
	// Each round looks only at what the previous one reached, plus the
	// stores not yet found writable (a later round may reach a writer):
	// whatever else an earlier node leads to was added in its own round.
	done := 0
	var pending, todo []int32
	var extra []hit
	added := map[int32]int{}
	for round := 0; round < 8; round++ {
		clear(added)
		extra = extra[:0]
		// Each candidate keeps its best (shallowest, then smallest-id)
		// parent, so the result does not depend on the order of hits.
		cand := func(h hit) {
			if r.seen.has(h.slot) || (maxDepth > 0 && int(h.depth) > maxDepth) {
				return
			}
			if i, ok := added[h.slot]; ok {
				o := &extra[i]
				if h.depth < o.depth || (h.depth == o.depth && h.parent < o.parent) {
					*o = h
				}
				return
			}
			added[h.slot] = len(extra)
			extra = append(extra, h)
		}
		if lateralFromScratch {
			done, pending = 0, nil
		}
		todo = append(todo[:0], pending...)
		pending = pending[:0]
		for i := done; i < len(r.hits); i++ {
			todo = append(todo, int32(i))
		}
		done = len(r.hits)
		for _, i := range todo {
			h := r.hits[i]
			switch r.kindAt(h.slot) {
			case graph.Service:
				groups, _ := r.secrets.of(h.slot)
				for _, g := range groups {
					peers, _ := r.members.of(g)
					for _, p := range peers {
						cand(hit{slot: p, parent: h.slot, depth: h.depth + 1, via: -1, lateral: sharedSecret})
					}
				}
			case graph.DataStore:
				// Writable: some reached node writes it (or may access it).
				ws, _ := r.writers.of(h.slot)
				writable := false
				for _, w := range ws {
					if r.seen.has(w) {
						writable = true
						break
					}
				}
				if !writable {
					pending = append(pending, i)
					continue
				}
				rs, _ := r.readers.of(h.slot)
				for _, x := range rs {
					cand(hit{slot: x, parent: h.slot, depth: h.depth + 1, via: idxReads, lateral: sharedStore})
				}
			}
		}
		if len(extra) == 0 {
			break
		}
		slices.SortFunc(extra, func(a, b hit) int {
			if a.depth != b.depth {
				return int(a.depth - b.depth)
			}
			return int(a.slot - b.slot)
		})
		for _, h := range extra {
			add(h)
		}
		for lo := 0; lo < len(extra); {
			d := extra[lo].depth
			hi := lo
			var seeds []int32
			for ; hi < len(extra) && extra[hi].depth == d; hi++ {
				seeds = append(seeds, extra[hi].slot)
			}
			lo = hi
			if maxDepth > 0 && int(d) >= maxDepth {
				continue
			}
			if err := walk(seeds, d); err != nil {
				return err
			}
		}
	}
	return nil
}

// ordered returns the hits' slots by depth, then slot (that is, id). Within
// a depth the slots are read back from a bitset in one pass over it, which
// is cheaper than sorting tens of thousands of them.
func (r *radiusIndex) ordered() []int32 {
	maxD := int32(0)
	for i := range r.hits {
		maxD = max(maxD, r.hits[i].depth)
	}
	out := make([]int32, 0, len(r.hits))
	if int(maxD) > 64 || len(r.hits) < len(r.mark)/8 {
		for i := range r.hits {
			out = append(out, r.hits[i].slot)
		}
		slices.SortFunc(out, func(a, b int32) int {
			if da, db := r.hits[r.pos[a]].depth, r.hits[r.pos[b]].depth; da != db {
				return int(da - db)
			}
			return int(a - b)
		})
		return out
	}
	for d := int32(0); d <= maxD; d++ {
		for i := range r.hits {
			if r.hits[i].depth == d {
				r.mark.set(r.hits[i].slot)
			}
		}
		for w, word := range r.mark {
			for word != 0 {
				out = append(out, int32(w<<6+bits.TrailingZeros64(word)))
				word &= word - 1
			}
			r.mark[w] = 0
		}
	}
	return out
}
