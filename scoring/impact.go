package scoring

import (
	"context"
	"slices"

	"github.com/riskgraph/riskgraph/graph"
)

// impactInfo is what a compromise of a node reaches within one step: the
// data classes, for each class the store (and hops) that shows it, and the
// most critical application involved.
type impactInfo struct {
	classes  []graph.DataClass
	evidence map[graph.DataClass]dataEvidence
	app      graph.ID
	tier     string
}

type dataEvidence struct {
	store graph.ID // the node holding the class
	hops  []Hop    // from the compromised node to it (empty: the node itself)
}

// impactOf combines the impact of a finding's subject and its carriers.
func (e *Engine) impactOf(ctx context.Context, subject graph.ID, carriers []graph.ID) (*impactInfo, error) {
	nodes := carriers
	switch kindOf(subject) {
	case graph.DataStore, graph.Gateway, graph.Identity, graph.ThirdParty, graph.Internet, graph.Application, graph.Team, graph.Vulnerability, graph.Finding:
		nodes = []graph.ID{subject}
	case graph.API:
		nodes = append([]graph.ID{subject}, carriers...)
	}
	out := &impactInfo{evidence: map[graph.DataClass]dataEvidence{}}
	for _, n := range nodes {
		in, err := e.nodeImpact(ctx, n)
		if err != nil {
			return nil, err
		}
		for _, c := range in.classes {
			if _, ok := out.evidence[c]; !ok {
				out.evidence[c] = in.evidence[c]
				out.classes = append(out.classes, c)
			}
		}
	}
	out.classes = sortClasses(out.classes)
	// Criticality: the most critical application of the carriers (or of
	// the subject itself, or, for a data store, of the services using it).
	appNodes := slices.Concat([]graph.ID{subject}, carriers)
	for _, n := range appNodes {
		apps, err := e.appsOf(ctx, n)
		if err != nil {
			return nil, err
		}
		for _, a := range apps {
			an, err := e.node(ctx, a)
			if err != nil {
				continue
			}
			tier := an.Props.String("criticality")
			w, ok := e.p.Impact.Criticality[tier]
			if !ok {
				continue
			}
			cur, curOK := e.p.Impact.Criticality[out.tier]
			if out.app == "" || !curOK || w > cur || (w == cur && a < out.app) {
				out.app, out.tier = a, tier
			}
		}
	}
	return out, nil
}

// nodeImpact is the data one node reaches within one compromise step: its
// own classes; for a service, the stores it reads or writes and whatever its
// identities can access (RUNS_AS → CAN_ACCESS, through roles). Cached.
func (e *Engine) nodeImpact(ctx context.Context, id graph.ID) (*impactInfo, error) {
	if in, ok := e.imp[id]; ok {
		return in, nil
	}
	in := &impactInfo{evidence: map[graph.DataClass]dataEvidence{}}
	add := func(holder graph.ID, hops []Hop, cs ...graph.DataClass) {
		for _, c := range cs {
			if _, ok := in.evidence[c]; !ok {
				in.evidence[c] = dataEvidence{store: holder, hops: hops}
				in.classes = append(in.classes, c)
			}
		}
	}
	n, err := e.node(ctx, id)
	if err != nil {
		e.imp[id] = in
		return in, nil
	}
	add(id, nil, n.DataClasses...)
	if n.Kind == graph.Service {
		out, err := e.edgesOf(ctx, id, true, graph.Reads, graph.Writes, graph.RunsAs)
		if err != nil {
			return nil, err
		}
		// Stores first (a direct connection is the clearer evidence), in
		// edge order (by id), so the evidence is deterministic.
		for _, ed := range out {
			if ed.Kind == graph.RunsAs {
				continue
			}
			st, err := e.node(ctx, ed.To)
			if err != nil {
				continue
			}
			hop := Hop{Node: ed.To, Kind: st.Kind, Name: st.Name, Edge: ed.ID, EdgeKind: ed.Kind}
			add(ed.To, []Hop{hop}, st.DataClasses...)
			add(ed.To, []Hop{hop}, ed.DataClasses...)
		}
		for _, ed := range out {
			if ed.Kind != graph.RunsAs {
				continue
			}
			if err := e.identityReach(ctx, ed, nil, 0, add); err != nil {
				return nil, err
			}
		}
	}
	in.classes = sortClasses(in.classes)
	e.imp[id] = in
	return in, nil
}

// identityReach follows RUNS_AS and CAN_ACCESS (identity → role → store),
// up to three identity hops.
func (e *Engine) identityReach(ctx context.Context, ed graph.Edge, hops []Hop, depth int, add func(graph.ID, []Hop, ...graph.DataClass)) error {
	tn, err := e.node(ctx, ed.To)
	if err != nil {
		return nil
	}
	hops = append(slices.Clone(hops), Hop{Node: ed.To, Kind: tn.Kind, Name: tn.Name, Edge: ed.ID, EdgeKind: ed.Kind})
	if tn.Kind != graph.Identity {
		add(ed.To, hops, tn.DataClasses...)
		add(ed.To, hops, ed.DataClasses...)
		return nil
	}
	if depth >= 3 {
		return nil
	}
	next, err := e.edgesOf(ctx, ed.To, true, graph.CanAccess)
	if err != nil {
		return err
	}
	for _, nx := range next {
		if err := e.identityReach(ctx, nx, hops, depth+1, add); err != nil {
			return err
		}
	}
	return nil
}

// appsOf returns the applications a node is part of (sorted).
func (e *Engine) appsOf(ctx context.Context, id graph.ID) ([]graph.ID, error) {
	if a, ok := e.apps[id]; ok {
		return a, nil
	}
	var apps []graph.ID
	if kindOf(id) == graph.Application {
		apps = []graph.ID{id}
	} else {
		out, err := e.edgesOf(ctx, id, true, graph.PartOf)
		if err != nil {
			return nil, err
		}
		for _, ed := range out {
			apps = append(apps, ed.To)
		}
	}
	apps = sortIDs(apps)
	e.apps[id] = apps
	return apps, nil
}

// teamsOf returns the teams owning a node, directly or through its
// applications (sorted).
func (e *Engine) teamsOf(ctx context.Context, id graph.ID) ([]graph.ID, error) {
	if t, ok := e.teams[id]; ok {
		return t, nil
	}
	var teams []graph.ID
	out, err := e.edgesOf(ctx, id, true, graph.OwnedBy)
	if err != nil {
		return nil, err
	}
	for _, ed := range out {
		teams = append(teams, ed.To)
	}
	if len(teams) == 0 && kindOf(id) != graph.Application {
		apps, err := e.appsOf(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, a := range apps {
			at, err := e.teamsOf(ctx, a)
			if err != nil {
				return nil, err
			}
			teams = append(teams, at...)
		}
	}
	teams = sortIDs(teams)
	e.teams[id] = teams
	return teams, nil
}
