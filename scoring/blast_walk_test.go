package scoring

import (
	"context"
	"slices"
	"strings"

	"github.com/riskgraph/riskgraph/graph"
)

// blastByWalk is BlastRadius as it was before the radius index: every step
// through View.Walk and the engine's edge cache. Tests compare the two.
func (e *Engine) blastByWalk(ctx context.Context, from []graph.ID, maxDepth int) (BlastRadius, error) {
	br := BlastRadius{From: from}
	if len(from) == 0 {
		return br, nil
	}
	seen := make(map[graph.ID]int, 256)
	var reached []Reached
	walk := func(seeds []graph.ID, base int) error {
		w := graph.Walk{From: seeds, Dir: graph.Out, Kinds: lateralKinds}
		if maxDepth > 0 {
			w.MaxDepth = maxDepth - base
		}
		return e.v.Walk(ctx, w, func(s graph.Step) graph.Control {
			if _, ok := seen[s.Node]; ok {
				if s.Depth == 0 {
					return graph.Continue // a seed of this round
				}
				// Found by an earlier walk, which expanded it already.
				return graph.Skip
			}
			seen[s.Node] = len(reached)
			reached = append(reached, Reached{Node: s.Node, Kind: s.Kind, Depth: base + s.Depth, Parent: s.Parent, Via: s.ViaKind})
			return graph.Continue
		})
	}
	if err := walk(from, 0); err != nil {
		return br, err
	}
	// Lateral hops without edges, in rounds, until nothing new is found.
	// Each round looks only at what the previous one reached, plus the
	// stores not yet found writable (a later round may reach a writer):
	// whatever else an earlier node leads to was added in its own round.
	var lat walkLateralState
	for round := 0; round < 8; round++ {
		// Walk order depends on the backend's adjacency order; lateral
		// hops are derived in (depth, id) order so that they do not.
		extra, err := e.lateralByWalk(ctx, reached, &lat, seen, maxDepth)
		if err != nil {
			return br, err
		}
		if len(extra) == 0 {
			break
		}
		byDepth := map[int][]graph.ID{}
		for _, r := range extra {
			seen[r.Node] = len(reached)
			reached = append(reached, r)
			byDepth[r.Depth] = append(byDepth[r.Depth], r.Node)
		}
		for _, d := range sortedInts(byDepth) {
			if maxDepth > 0 && d >= maxDepth {
				continue
			}
			if err := walk(byDepth[d], d); err != nil {
				return br, err
			}
		}
	}
	sorted := make([]Reached, len(reached))
	for i, j := range walkOrder(reached) {
		sorted[i] = reached[j]
	}
	reached = sorted
	x, err := e.exposure(ctx)
	if err != nil {
		return br, err
	}
	var svcs []graph.ID
	for i := range reached {
		r := &reached[i]
		switch r.Kind {
		case graph.Service:
			br.Services = append(br.Services, r.Node)
			svcs = append(svcs, r.Node)
		case graph.API:
			br.APIs = append(br.APIs, r.Node)
		case graph.DataStore:
			br.DataStores = append(br.DataStores, r.Node)
		case graph.Identity:
			br.Identities = append(br.Identities, r.Node)
		case graph.ThirdParty:
			br.ThirdParties = append(br.ThirdParties, r.Node)
		}
		if r.Kind == graph.Service || r.Kind == graph.API {
			if xn, ok := x.m[r.Node]; ok && xn.routed {
				br.InternetFacing = append(br.InternetFacing, r.Node)
			}
		}
		if r.Kind == graph.Service || r.Kind == graph.DataStore || r.Kind == graph.ThirdParty || len(reached) <= 5000 {
			// Names cost a lookup each; very large radii name the nodes
			// that matter and leave operations and identities by id.
			r.Name = e.name(ctx, r.Node)
			if n, err := e.node(ctx, r.Node); err == nil && (r.Kind == graph.Service || r.Kind == graph.DataStore) {
				br.DataClasses = addClasses(br.DataClasses, n.DataClasses...)
			}
		}
	}
	br.Reached = reached
	// Applications and teams of the reached services: one walk.
	if len(svcs) > 0 {
		err := e.v.Walk(ctx, graph.Walk{From: svcs, Dir: graph.Out, Kinds: []graph.EdgeKind{graph.PartOf, graph.OwnedBy}, MaxDepth: 1},
			func(s graph.Step) graph.Control {
				switch s.Kind {
				case graph.Application:
					br.Applications = append(br.Applications, s.Node)
				case graph.Team:
					br.Teams = append(br.Teams, s.Node)
				}
				return graph.Continue
			})
		if err != nil {
			return br, err
		}
	}
	// The kind lists follow Reached (nearest first, then by id); sorting
	// them again by id would double the cost of a large radius.
	for _, f := range []*[]graph.ID{&br.Applications, &br.Teams} {
		*f = sortIDs(*f)
	}
	br.DataClasses = sortClasses(br.DataClasses)
	br.Score = e.blastScore(ctx, &br)
	return br, nil
}

// walkOrder returns the indexes of reached sorted by depth, then id (sorting
// the indexes moves 4 bytes per swap instead of a whole Reached).
func walkOrder(reached []Reached) []int32 {
	idx := make([]int32, len(reached))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int { return compareReached(reached[a], reached[b]) })
	return idx
}

// walkLateralState carries what lateral has looked at between rounds.
type walkLateralState struct {
	done    int   // reached[:done] were looked at
	pending []int // data stores among them that no reached node writes yet
}

func (e *Engine) lateralByWalk(ctx context.Context, reached []Reached, st *walkLateralState, seen map[graph.ID]int, maxDepth int) ([]Reached, error) {
	// Each candidate keeps its best (shallowest, then smallest-id) parent,
	// so the result does not depend on the order reached is in.
	added := map[graph.ID]int{}
	var extra []Reached
	add := func(r Reached) {
		if _, ok := seen[r.Node]; ok {
			return
		}
		if maxDepth > 0 && r.Depth > maxDepth {
			return
		}
		if i, ok := added[r.Node]; ok {
			o := &extra[i]
			if r.Depth < o.Depth || (r.Depth == o.Depth && r.Parent < o.Parent) {
				*o = r
			}
			return
		}
		added[r.Node] = len(extra)
		extra = append(extra, r)
	}
	if err := e.loadSecrets(ctx); err != nil {
		return nil, err
	}
	if lateralFromScratch {
		st.done, st.pending = 0, nil
	}
	todo := st.pending
	st.pending = nil
	for i := st.done; i < len(reached); i++ {
		todo = append(todo, i)
	}
	st.done = len(reached)
	for _, i := range todo {
		r := &reached[i]
		switch r.Kind {
		case graph.Service:
			if len(e.secrets) == 0 {
				continue
			}
			n, err := e.node(ctx, r.Node)
			if err != nil {
				continue
			}
			for _, sec := range n.Props.Strings("secretRefs") {
				for _, peer := range e.secrets[n.Env+"/"+sec] {
					add(Reached{Node: peer, Kind: graph.Service, Depth: r.Depth + 1, Parent: r.Node, Lateral: "shared-secret"})
				}
			}
		case graph.DataStore:
			// Writable: some reached node writes it (or may access it).
			in, err := e.edges(ctx, r.Node, false)
			if err != nil {
				return nil, err
			}
			writable := false
			for _, ed := range in {
				if ed.Kind != graph.Writes && ed.Kind != graph.CanAccess {
					continue
				}
				if _, ok := seen[ed.From]; ok {
					writable = true
					break
				}
			}
			if !writable {
				st.pending = append(st.pending, i)
				continue
			}
			for _, ed := range in {
				if ed.Kind != graph.Reads {
					continue
				}
				add(Reached{Node: ed.From, Kind: kindOf(ed.From), Depth: r.Depth + 1, Parent: r.Node, Via: graph.Reads, Lateral: "shared-store"})
			}
		}
	}
	slices.SortFunc(extra, func(a, b Reached) int {
		if a.Depth != b.Depth {
			return a.Depth - b.Depth
		}
		return strings.Compare(string(a.Node), string(b.Node))
	})
	return extra, nil
}

func sortedInts[V any](m map[int]V) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
