package api

import (
	"context"
	"slices"
	"strings"

	"github.com/riskgraph/riskgraph/graph"
)

// The estate map: the nodes and edges an architecture map draws, in one
// response instead of one page per kind (a 10,000-node estate took the UI
// ~30 requests). Derived attributes (internet exposure, applications, the
// exposing service) come from the catalog, as the list filters' do.

var (
	mapKinds     = []graph.Kind{graph.Internet, graph.Gateway, graph.Service, graph.API, graph.DataStore, graph.ThirdParty}
	mapEdgeKinds = []graph.EdgeKind{graph.RoutesTo, graph.Exposes, graph.Calls, graph.Reads, graph.Writes}
)

// EstateMap is the answer of Query.estateMap; its risks are resolved only
// when asked for, since they need the scoring engine.
type EstateMap struct {
	Nodes []MapNode
	Edges []MapEdge
}

func (r *Resolver) estateMap(ctx context.Context, kinds []graph.Kind, edgeKinds []graph.EdgeKind) (*EstateMap, error) {
	if len(kinds) == 0 {
		kinds = mapKinds
	}
	if len(edgeKinds) == 0 {
		edgeKinds = mapEdgeKinds
	}
	kinds = slices.Compact(slices.Sorted(slices.Values(kinds)))
	edgeKinds = slices.Compact(slices.Sorted(slices.Values(edgeKinds)))
	v, err := r.view(ctx)
	if err != nil {
		return nil, err
	}
	// Refuse before reading anything when the answer would be too large.
	st, err := v.Stats(ctx)
	if err != nil {
		return nil, err
	}
	var nn, ne int
	for _, k := range kinds {
		nn += st.NodesByKind[k]
	}
	for _, k := range edgeKinds {
		ne += st.EdgesByKind[k]
	}
	if lim := r.limits.MaxMapElements; nn+ne > lim {
		return nil, limitExceeded("estateMap: %d nodes and %d edges exceed this server's limit of %d elements in one response; page through nodes and relationships instead", nn, ne, lim)
	}
	c, err := r.cat(ctx)
	if err != nil {
		return nil, err
	}
	appName := map[graph.ID]string{}
	for _, e := range c.byKind[graph.Application] {
		appName[e.node.ID] = e.node.Name
	}
	out := &EstateMap{Nodes: make([]MapNode, 0, nn), Edges: make([]MapEdge, 0, ne)}
	in := make(map[graph.ID]bool, nn)
	add := func(n graph.Node) {
		m := MapNode{ID: n.ID, Kind: n.Kind, Name: n.Name, Env: optString(n.Env), DataClasses: nonNil(n.DataClasses),
			InternetFacing: c.internet[n.ID], Applications: []string{}}
		if e := c.index[n.ID]; e != nil {
			for _, a := range e.apps {
				if name, ok := appName[a]; ok && !slices.Contains(m.Applications, name) {
					m.Applications = append(m.Applications, name)
				}
			}
			slices.Sort(m.Applications)
			if n.Kind == graph.API && e.service != "" {
				s := e.service
				m.Service = &s
			}
		}
		if n.Kind == graph.API {
			method, path, auth := n.Props.String("method"), n.Props.String("path"), n.Props.Bool("authenticated")
			m.Method, m.Path, m.Authenticated = &method, &path, &auth
		}
		in[n.ID] = true
		out.Nodes = append(out.Nodes, m)
	}
	// The catalog already holds the services, APIs and data stores of this
	// version (most of a map); only the other kinds are read from the store.
	var rest []graph.Kind
	for _, k := range kinds {
		if !slices.Contains(catalogKinds, k) {
			rest = append(rest, k)
			continue
		}
		for _, e := range c.byKind[k] {
			add(e.node)
		}
	}
	if len(rest) > 0 {
		if err := eachNode(ctx, v, graph.NodeFilter{Kinds: rest}, add); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out.Nodes, func(a, b MapNode) int { return strings.Compare(string(a.ID), string(b.ID)) })
	err = eachEdge(ctx, v, graph.EdgeFilter{Kinds: slices.Clone(edgeKinds)}, func(e graph.Edge) {
		if in[e.From] && in[e.To] {
			out.Edges = append(out.Edges, MapEdge{ID: e.ID, Kind: e.Kind, From: e.From, To: e.To})
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// mapRisks scores the map's services and APIs.
func (r *Resolver) mapRisks(ctx context.Context, m *EstateMap) ([]NodeRisk, error) {
	a, err := r.engine(ctx)
	if err != nil {
		return nil, err
	}
	out := []NodeRisk{}
	for _, n := range m.Nodes {
		if n.Kind != graph.Service && n.Kind != graph.API {
			continue
		}
		risk, err := a.e.RiskOfNode(ctx, n.ID)
		if err != nil {
			return nil, err
		}
		if risk > 0 {
			out = append(out, NodeRisk{ID: n.ID, Risk: risk})
		}
	}
	return out, nil
}
