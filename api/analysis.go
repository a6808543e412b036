package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/99designs/gqlgen/graphql"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/scoring"
)

// Bounds on the analysis arguments: the searches are pruned, but a client
// must not be able to ask for an unbounded one.
const (
	maxPathLimit = 100
	maxPathHops  = 16
	maxBlastDeep = 12
	maxTopRisks  = 100
)

func intArg(name string, v *int, def, lo, hi int) (int, error) {
	if v == nil {
		return def, nil
	}
	if *v < lo || *v > hi {
		return 0, badInput(name, "must be between %d and %d (got %d)", lo, hi, *v)
	}
	return *v, nil
}

// nodesOf loads ids as GraphQL nodes (missing ones skipped).
func (r *Resolver) nodesOf(ctx context.Context, ids []graph.ID) ([]Node, error) {
	return loadAll(ctx, r, ids, func(n graph.Node) Node { return wrap(n) })
}

func (r *Resolver) findingsOf(ctx context.Context, ids []graph.ID) ([]Finding, error) {
	return loadAll(ctx, r, ids, asFinding)
}

func (r *Resolver) hops(ctx context.Context, hs []scoring.Hop) ([]Hop, error) {
	out := make([]Hop, 0, len(hs))
	for _, h := range hs {
		hop := Hop{ID: h.Node, Kind: h.Kind, Name: h.Name}
		if n, ok, err := r.node(ctx, h.Node); err != nil {
			return nil, err
		} else if ok {
			hop.Node = wrap(n)
		}
		if h.Edge != "" {
			e, k := h.Edge, h.EdgeKind
			hop.Edge, hop.EdgeKind = &e, &k
		}
		fs, err := r.findingsOf(ctx, h.Findings)
		if err != nil {
			return nil, err
		}
		hop.Findings = fs
		out = append(out, hop)
	}
	return out, nil
}

func (r *Resolver) attackPaths(ctx context.Context, to *PathTarget, from *graph.ID, limit, maxHops *int) ([]AttackPath, error) {
	q := scoring.PathQuery{}
	var err error
	if q.Limit, err = intArg("limit", limit, 10, 1, maxPathLimit); err != nil {
		return nil, err
	}
	if q.MaxHops, err = intArg("maxHops", maxHops, 8, 1, maxPathHops); err != nil {
		return nil, err
	}
	if to != nil {
		q.To = to.DataClasses
		if to.Node != nil {
			q.ToNode = *to.Node
		}
	}
	if from != nil {
		if _, ok, err := r.node(ctx, *from); err != nil {
			return nil, err
		} else if !ok {
			return nil, notFound("from: no node %s", *from)
		}
		q.From = *from
	}
	a, err := r.engine(ctx)
	if err != nil {
		return nil, err
	}
	paths, err := a.e.AttackPaths(ctx, q)
	if err != nil {
		return nil, scoringError(err)
	}
	out := make([]AttackPath, 0, len(paths))
	for _, p := range paths {
		hs, err := r.hops(ctx, p.Hops)
		if err != nil {
			return nil, err
		}
		ap := AttackPath{Hops: hs, Length: max(len(hs)-1, 0), DataClasses: nonNil(p.DataClasses), Score: p.Score, Authenticated: p.Authenticated}
		if n, ok, err := r.node(ctx, p.Target); err != nil {
			return nil, err
		} else if ok {
			ap.Target = wrap(n)
		}
		if ap.Findings, err = r.findingsOf(ctx, p.Findings); err != nil {
			return nil, err
		}
		out = append(out, ap)
	}
	return out, nil
}

func (r *Resolver) blastRadius(ctx context.Context, maxDepth *int, run func(*scoring.Engine, int) (scoring.BlastRadius, error)) (*BlastRadius, error) {
	depth, err := intArg("maxDepth", maxDepth, 6, 1, maxBlastDeep)
	if err != nil {
		return nil, err
	}
	a, err := r.engine(ctx)
	if err != nil {
		return nil, err
	}
	br, err := run(a.e, depth)
	if err != nil {
		return nil, scoringError(err)
	}
	// Only the lists the query selects are loaded: the radius of a common
	// package reaches tens of thousands of nodes, and "how far, how bad"
	// (totalReached, dataClasses, score) should not look each one up.
	asked := map[string]bool{}
	for _, f := range graphql.CollectAllFields(ctx) {
		asked[f] = true
	}
	out := &BlastRadius{
		TotalReached: len(br.Reached), DataClasses: nonNil(br.DataClasses), Score: br.Score,
		From: []Node{}, Reached: []Reached{}, Services: []Service{}, Apis: []API{}, DataStores: []DataStore{},
		Identities: []Identity{}, ThirdParties: []ThirdParty{}, Applications: []Application{}, Teams: []Team{},
		InternetFacing: []Node{}, Dependents: []Service{}, DependentsInternetFacing: []Service{},
	}
	if asked["from"] {
		if out.From, err = r.nodesOf(ctx, br.From); err != nil {
			return nil, err
		}
	}
	if asked["reached"] {
		for _, rc := range br.Reached {
			n, ok, err := r.node(ctx, rc.Node)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			re := Reached{Node: wrap(n), Depth: rc.Depth}
			if rc.Parent != "" {
				p := rc.Parent
				re.Parent = &p
			}
			if rc.Via != "" {
				v := rc.Via
				re.Via = &v
			}
			re.Lateral = optString(rc.Lateral)
			out.Reached = append(out.Reached, re)
		}
	}
	for _, l := range []struct {
		field string
		f     func() error
	}{
		{"services", func() (err error) { out.Services, err = loadAll(ctx, r, br.Services, asService); return }},
		{"apis", func() (err error) { out.Apis, err = loadAll(ctx, r, br.APIs, asAPI); return }},
		{"dataStores", func() (err error) { out.DataStores, err = loadAll(ctx, r, br.DataStores, asDataStore); return }},
		{"identities", func() (err error) {
			out.Identities, err = loadAll(ctx, r, br.Identities, func(n graph.Node) Identity { return Identity{nodeBase{n}} })
			return
		}},
		{"thirdParties", func() (err error) {
			out.ThirdParties, err = loadAll(ctx, r, br.ThirdParties, func(n graph.Node) ThirdParty { return ThirdParty{nodeBase{n}} })
			return
		}},
		{"applications", func() (err error) {
			out.Applications, err = loadAll(ctx, r, br.Applications, func(n graph.Node) Application { return Application{nodeBase{n}} })
			return
		}},
		{"teams", func() (err error) {
			out.Teams, err = loadAll(ctx, r, br.Teams, func(n graph.Node) Team { return Team{nodeBase{n}} })
			return
		}},
		{"internetFacing", func() (err error) { out.InternetFacing, err = r.nodesOf(ctx, br.InternetFacing); return }},
		{"dependents", func() (err error) { out.Dependents, err = loadAll(ctx, r, br.Dependents, asService); return }},
		{"dependentsInternetFacing", func() (err error) {
			out.DependentsInternetFacing, err = loadAll(ctx, r, br.DependentsInternetFacing, asService)
			return
		}},
	} {
		if !asked[l.field] {
			continue
		}
		if err := l.f(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *Resolver) dataFlows(ctx context.Context, c graph.DataClass) (*DataFlow, error) {
	a, err := r.engine(ctx)
	if err != nil {
		return nil, err
	}
	df, err := a.e.DataFlows(ctx, c)
	if err != nil {
		return nil, scoringError(err)
	}
	out := &DataFlow{DataClass: c, Steps: []FlowStep{}}
	if out.ServicesToThirdParties, err = loadAll(ctx, r, df.ServicesToThirdParties, asService); err != nil {
		return nil, err
	}
	if out.Apis, err = loadAll(ctx, r, df.APIs, asAPI); err != nil {
		return nil, err
	}
	if out.Services, err = loadAll(ctx, r, df.Services, asService); err != nil {
		return nil, err
	}
	if out.DataStores, err = loadAll(ctx, r, df.DataStores, asDataStore); err != nil {
		return nil, err
	}
	if out.ThirdParties, err = loadAll(ctx, r, df.ThirdParties, func(n graph.Node) ThirdParty { return ThirdParty{nodeBase{n}} }); err != nil {
		return nil, err
	}
	for _, s := range df.Steps {
		from, ok1, err := r.node(ctx, s.From)
		if err != nil {
			return nil, err
		}
		to, ok2, err := r.node(ctx, s.To)
		if err != nil {
			return nil, err
		}
		if !ok1 || !ok2 {
			continue
		}
		out.Steps = append(out.Steps, FlowStep{From: wrap(from), To: wrap(to), Kind: s.Kind,
			DataClasses: nonNil(s.DataClasses), Sources: nonNil(s.Sources)})
	}
	return out, nil
}

func factors(fs []scoring.Factor) []Factor {
	out := make([]Factor, len(fs))
	for i, f := range fs {
		out[i] = Factor{Name: f.Name, Value: f.Value, Detail: optString(f.Detail)}
	}
	return out
}

func (r *Resolver) topRisks(ctx context.Context, limit *int) ([]Risk, error) {
	l, err := intArg("limit", limit, 3, 1, maxTopRisks)
	if err != nil {
		return nil, err
	}
	a, err := r.engine(ctx)
	if err != nil {
		return nil, err
	}
	risks, err := a.e.TopRisks(ctx, l)
	if err != nil {
		return nil, scoringError(err)
	}
	out := make([]Risk, 0, len(risks))
	for _, rk := range risks {
		x := Risk{ID: graph.ID(rk.ID), Title: rk.Title, Risk: rk.Risk, DataClasses: nonNil(rk.DataClasses), Factors: factors(rk.Factors)}
		if rk.Subject != "" {
			if n, ok, err := r.node(ctx, rk.Subject); err != nil {
				return nil, err
			} else if ok {
				x.Subject = wrap(n)
			}
		}
		if x.Findings, err = r.findingsOf(ctx, rk.Findings); err != nil {
			return nil, err
		}
		if x.Path, err = r.hops(ctx, rk.Path); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

func (r *Resolver) findingScore(ctx context.Context, f graph.Node) (*Score, error) {
	a, err := r.engine(ctx)
	if err != nil {
		return nil, err
	}
	s, err := a.e.ScoreFinding(ctx, f.ID)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, scoringError(err)
	}
	out := &Score{Risk: s.Risk, Severity: s.Severity, Exploitability: s.Exploitability, Impact: s.Impact,
		Factors: factors(s.Factors), ReachableData: nonNil(s.ReachableData)}
	if out.Path, err = r.hops(ctx, s.Path); err != nil {
		return nil, err
	}
	return out, nil
}

func (r *Resolver) kpis(ctx context.Context) (*scoring.KPIs, error) {
	a, err := r.engine(ctx)
	if err != nil {
		return nil, err
	}
	k, err := a.e.KPIs(ctx)
	if err != nil {
		return nil, scoringError(err)
	}
	if k.Applications == nil {
		k.Applications = []scoring.AppRisk{}
	}
	return &k, nil
}

// scoringError maps "no such package / vulnerability / node" to NOT_FOUND.
func scoringError(err error) error {
	if errors.Is(err, graph.ErrNotFound) {
		return notFound("%s", trimNotFound(err))
	}
	return err
}

func trimNotFound(err error) string {
	return fmt.Sprint(err)
}
