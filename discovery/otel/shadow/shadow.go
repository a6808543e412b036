// Package shadow finds where runtime traces and artifacts disagree about a
// dependency — "shadow" dependencies:
//
//   - UNDECLARED: traces show a call, read, write or served API that no
//     artifact (manifest, compose file, spec, IaC, import) declares;
//   - UNOBSERVED: an artifact declares one that traces never showed,
//     although the caller is traced (a service nobody instruments says
//     nothing about its calls, so its declared edges are not listed).
//
// The gap is derived from the graph as it is, not stored: who claims an
// edge is already recorded (each scope's claim, kept by the store and
// removed by that scope's sweeps), so a dependency stops being undeclared
// the moment a manifest declaring it is discovered, and an artifact edge
// swept away stops being unobserved, with nothing to keep in step.
//
// Calls, reads and writes between the same two nodes count as one
// dependency: a manifest saying "orders uses orders-db" (CALLS) and a trace
// showing orders READS orders-db agree.
package shadow

import (
	"context"
	"errors"
	"slices"

	"github.com/riskgraph/riskgraph/graph"
)

// Kind of gap.
type Kind string

// Kinds.
const (
	Undeclared Kind = "UNDECLARED"
	Unobserved Kind = "UNOBSERVED"
)

// RuntimeSource is the scope source (and agent name) of runtime traces.
const RuntimeSource = "otel"

// Kinds of edges compared.
var edgeKinds = []graph.EdgeKind{graph.Calls, graph.Reads, graph.Writes, graph.Exposes}

// Gap is one shadow dependency.
type Gap struct {
	Kind Kind
	Edge graph.Edge
}

// witness says who stands behind an element: runtime traces, artifacts, or
// both. Claims are authoritative; sources are the fallback for elements
// whose backend keeps no claims.
func witness(claims []graph.Claim, sources []graph.Source) (observed, declared bool) {
	if len(claims) > 0 {
		for _, c := range claims {
			if c.Scope.Source == RuntimeSource {
				observed = true
			} else {
				declared = true
			}
		}
		return observed, declared
	}
	for _, s := range sources {
		if s.Agent == RuntimeSource {
			observed = true
		} else {
			declared = true
		}
	}
	return observed, declared
}

type pair struct {
	from, to graph.ID
	exposes  bool
}

// List returns the gaps in v, of kind k (both kinds when k is empty), in
// ascending edge id order.
func List(ctx context.Context, v graph.View, k Kind) ([]Gap, error) {
	var edges []graph.Edge
	var after graph.ID
	for {
		pg, err := v.Edges(ctx, graph.EdgeFilter{Kinds: edgeKinds}, graph.Page{After: after, Limit: graph.MaxPageLimit})
		if err != nil {
			return nil, err
		}
		edges = append(edges, pg.Edges...)
		if !pg.HasMore || len(pg.Edges) == 0 {
			break
		}
		after = pg.End
	}
	observedPair := map[pair]bool{}
	declaredPair := map[pair]bool{}
	obs := make([]bool, len(edges))
	dec := make([]bool, len(edges))
	for i, e := range edges {
		p := pair{e.From, e.To, e.Kind == graph.Exposes}
		obs[i], dec[i] = witness(e.Claims, e.Sources)
		if obs[i] {
			observedPair[p] = true
		}
		if dec[i] {
			declaredPair[p] = true
		}
	}
	traced := map[graph.ID]bool{}
	isTraced := func(id graph.ID) (bool, error) {
		if t, ok := traced[id]; ok {
			return t, nil
		}
		n, err := v.Node(ctx, id)
		if err != nil && !errors.Is(err, graph.ErrNotFound) {
			return false, err
		}
		o, _ := witness(n.Claims, n.Sources)
		traced[id] = o
		return o, nil
	}
	var out []Gap
	for i, e := range edges {
		p := pair{e.From, e.To, e.Kind == graph.Exposes}
		switch {
		case obs[i] && !declaredPair[p] && (k == "" || k == Undeclared):
			out = append(out, Gap{Undeclared, e})
		case dec[i] && !observedPair[p] && (k == "" || k == Unobserved):
			t, err := isTraced(e.From)
			if err != nil {
				return nil, err
			}
			if t {
				out = append(out, Gap{Unobserved, e})
			}
		}
	}
	slices.SortFunc(out, func(a, b Gap) int {
		switch {
		case a.Edge.ID < b.Edge.ID:
			return -1
		case a.Edge.ID > b.Edge.ID:
			return 1
		}
		return 0
	})
	return out, nil
}
