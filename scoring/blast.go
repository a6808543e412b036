package scoring

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/riskgraph/riskgraph/graph"
)

// Reached is one node a compromise reaches.
type Reached struct {
	Node   graph.ID       `json:"node"`
	Kind   graph.Kind     `json:"kind"`
	Name   string         `json:"name"`
	Depth  int            `json:"depth"`
	Parent graph.ID       `json:"parent,omitempty"`
	Via    graph.EdgeKind `json:"via,omitempty"`
	// Lateral names a hop that is no edge of the graph: "shared-secret"
	// (both services mount the secret named in Parent's secretRefs) or
	// "shared-store" (Parent is a store the attacker can write, Node reads it).
	Lateral string `json:"lateral,omitempty"`
}

// BlastRadius is everything a compromise of From reaches.
type BlastRadius struct {
	From    []graph.ID `json:"from"`
	Reached []Reached  `json:"reached"`
	// By kind, in Reached order: nearest first, then by id (From included);
	// Applications and Teams by id.
	Services     []graph.ID        `json:"services"`
	APIs         []graph.ID        `json:"apis"`
	DataStores   []graph.ID        `json:"dataStores"`
	Identities   []graph.ID        `json:"identities"`
	ThirdParties []graph.ID        `json:"thirdParties"`
	Applications []graph.ID        `json:"applications"`
	Teams        []graph.ID        `json:"teams"`
	DataClasses  []graph.DataClass `json:"dataClasses"`
	// InternetFacing: the reached services and APIs (From included) that are
	// internet-facing (Exposure.InternetFacing), in Reached order.
	InternetFacing []graph.ID `json:"internetFacing"`
	// Score (0–100) = 100 × data weight × criticality × breadth, where data
	// weight is the most sensitive class reached (impact.dataClasses, plus
	// the breadth bonus), criticality the most critical application reached,
	// and breadth 0.5 + 0.5 × min(1, log10(1 + services + data stores) / 2).
	Score float64 `json:"score"`
	// Dependents (package and vulnerability radii only): every service that
	// depends on the package, directly or transitively; From holds the same.
	Dependents []graph.ID `json:"dependents,omitempty"`
	// DependentsInternetFacing: the dependents that are internet-facing.
	DependentsInternetFacing []graph.ID `json:"dependentsInternetFacing,omitempty"`
}

// lateralKinds are the edges a compromise moves over: calls, the stores a
// workload reads and writes, its identities and what they can access, and
// the operations a service implements.
var lateralKinds = []graph.EdgeKind{graph.Calls, graph.Reads, graph.Writes, graph.RunsAs, graph.CanAccess, graph.Exposes}

// BlastRadius returns what a compromise of the from nodes reaches within
// maxDepth steps (0: unbounded). The main traversal is breadth first over
// CALLS, READS, WRITES, RUNS_AS, CAN_ACCESS and EXPOSES; then lateral hops
// the graph has no edge for are added: services mounting a secret a
// reached service mounts (props secretRefs), and services reading a store
// the attacker can write. Nodes reached that way are walked from in turn
// with the depth left. Each node is reported once, at the depth it was
// first found. It runs over the engine's radius index (see radiusIndex),
// built from the view on the first call.
func (e *Engine) BlastRadius(ctx context.Context, from []graph.ID, maxDepth int) (BlastRadius, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, id := range from {
		if _, err := e.node(ctx, id); err != nil {
			return BlastRadius{}, err
		}
	}
	return e.blast(ctx, sortIDs(slices.Clone(from)), maxDepth)
}

func (e *Engine) blast(ctx context.Context, from []graph.ID, maxDepth int) (BlastRadius, error) {
	br := BlastRadius{From: from}
	if len(from) == 0 {
		return br, nil
	}
	r, err := e.radius(ctx)
	if err != nil {
		return br, err
	}
	// Start nodes outside the index (no edge of the kinds it holds, and
	// not a service, store or third party) reach nothing but themselves.
	var seeds []int32
	var loose []Reached
	for _, id := range from {
		if s, ok := r.slot[id]; ok {
			seeds = append(seeds, s)
		} else if n, err := e.node(ctx, id); err == nil {
			loose = append(loose, Reached{Node: id, Kind: n.Kind})
		}
	}
	if err := r.spread(ctx, seeds, maxDepth); err != nil {
		return br, err
	}
	order := r.ordered()
	reached := make([]Reached, 0, len(order)+len(loose))
	for _, s := range order {
		h := &r.hits[r.pos[s]]
		rc := Reached{Node: r.ids[s], Kind: r.kindAt(s), Depth: int(h.depth), Lateral: lateralNames[h.lateral]}
		if h.parent >= 0 {
			rc.Parent = r.ids[h.parent]
		}
		if h.via >= 0 {
			rc.Via = graph.EdgeKinds[h.via]
		}
		reached = append(reached, rc)
	}
	slots := order // parallel to reached; -1: not in the index
	if len(loose) > 0 {
		reached = append(reached, loose...)
		slices.SortFunc(reached, compareReached)
		slots = make([]int32, len(reached))
		for i := range reached {
			if s, ok := r.slot[reached[i].Node]; ok {
				slots[i] = s
			} else {
				slots[i] = -1
			}
		}
	}
	// The kind lists are sized first: growing a 50,000-id list by
	// doubling copies it a dozen times.
	var count [256]int // by kind index
	for i, s := range slots {
		if s >= 0 {
			count[r.kind[s]]++
		} else {
			count[kindIndex(reached[i].Kind)]++
		}
	}
	for k, f := range map[graph.Kind]*[]graph.ID{graph.Service: &br.Services, graph.API: &br.APIs,
		graph.DataStore: &br.DataStores, graph.Identity: &br.Identities, graph.ThirdParty: &br.ThirdParties} {
		if c := count[kindIndex(k)]; c > 0 {
			*f = make([]graph.ID, 0, c)
		}
	}
	var owners []int32
	for i := range reached {
		rc := &reached[i]
		s := slots[i]
		inIndex := s >= 0
		switch rc.Kind {
		case graph.Service:
			br.Services = append(br.Services, rc.Node)
			if inIndex {
				os, _ := r.owners.of(s)
				owners = append(owners, os...)
			}
		case graph.API:
			br.APIs = append(br.APIs, rc.Node)
		case graph.DataStore:
			br.DataStores = append(br.DataStores, rc.Node)
		case graph.Identity:
			br.Identities = append(br.Identities, rc.Node)
		case graph.ThirdParty:
			br.ThirdParties = append(br.ThirdParties, rc.Node)
		}
		if !inIndex {
			rc.Name = e.name(ctx, rc.Node)
			continue
		}
		if (rc.Kind == graph.Service || rc.Kind == graph.API) && r.routed.has(s) {
			br.InternetFacing = append(br.InternetFacing, rc.Node)
		}
		if name, ok := r.names[s]; ok {
			rc.Name = name
			br.DataClasses = addClasses(br.DataClasses, r.classes[s]...)
		} else if len(reached) <= 5000 {
			// Other names cost a lookup each; very large radii name the
			// nodes that matter and leave operations and identities by id.
			rc.Name = e.name(ctx, rc.Node)
		}
	}
	br.Reached = reached
	// Applications and teams of the reached services, by id (slot order).
	slices.Sort(owners)
	for _, s := range slices.Compact(owners) {
		switch r.kindAt(s) {
		case graph.Application:
			br.Applications = append(br.Applications, r.ids[s])
		case graph.Team:
			br.Teams = append(br.Teams, r.ids[s])
		}
	}
	br.DataClasses = sortClasses(br.DataClasses)
	br.Score = e.blastScore(ctx, &br)
	return br, nil
}

func (e *Engine) blastScore(ctx context.Context, br *BlastRadius) float64 {
	im := &e.p.Impact
	data := im.NoData
	for _, c := range br.DataClasses {
		data = math.Max(data, im.DataClasses[c])
	}
	if len(br.DataClasses) > 1 {
		data = math.Min(1, data+im.BreadthBonus*float64(len(br.DataClasses)-1))
	}
	crit, found := 0.0, false
	for _, a := range br.Applications {
		if n, err := e.node(ctx, a); err == nil {
			if w, ok := im.Criticality[n.Props.String("criticality")]; ok {
				crit, found = math.Max(crit, w), true
			}
		}
	}
	if !found {
		crit = im.UnknownCriticality
	}
	breadth := 0.5 + 0.5*math.Min(1, math.Log10(1+float64(len(br.Services)+len(br.DataStores)))/2)
	return round2(100 * data * crit * breadth)
}

func compareReached(a, b Reached) int {
	if a.Depth != b.Depth {
		return a.Depth - b.Depth
	}
	return strings.Compare(string(a.Node), string(b.Node))
}

// loadSecrets indexes which services mount which secret (per environment:
// same-named secrets in different environments are different secrets).
func (e *Engine) loadSecrets(ctx context.Context) error {
	if e.secrets != nil {
		return nil
	}
	e.secrets = map[string][]graph.ID{}
	return e.eachNode(ctx, graph.NodeFilter{Kinds: []graph.Kind{graph.Service}}, func(n *graph.Node) error {
		for _, s := range n.Props.Strings("secretRefs") {
			k := n.Env + "/" + s
			e.secrets[k] = append(e.secrets[k], n.ID)
		}
		return nil
	})
}

// BlastRadiusOfPackage is the incident view of a package ("Log4Shell
// day"): every service depending on it, directly or transitively (through
// other packages or an image), which of them are internet-facing, and the
// union blast radius of them all.
func (e *Engine) BlastRadiusOfPackage(ctx context.Context, purl string, maxDepth int) (BlastRadius, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	id := graph.PackageID(purl)
	if _, err := e.node(ctx, id); err != nil {
		return BlastRadius{}, fmt.Errorf("package %s: %w", purl, err)
	}
	return e.blastOfSubjects(ctx, []graph.ID{id}, nil, maxDepth)
}

// BlastRadiusOfVulnerability is BlastRadiusOfPackage for every package (or
// image, or service) affected by an advisory; id may be any of its aliases.
// Services with an open finding naming the advisory count as dependents too.
func (e *Engine) BlastRadiusOfVulnerability(ctx context.Context, id string, maxDepth int) (BlastRadius, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, err := e.vulnerability(ctx, id)
	if err != nil {
		return BlastRadius{}, err
	}
	names := []string{strings.ToUpper(strings.TrimSpace(id))}
	var subjects []graph.ID
	if v != nil {
		names = append(names, strings.ToUpper(v.Name))
		for _, a := range v.Props.Strings("aliases") {
			names = append(names, strings.ToUpper(a))
		}
		in, err := e.edgesOf(ctx, v.ID, false, graph.AffectedBy)
		if err != nil {
			return BlastRadius{}, err
		}
		for _, ed := range in {
			subjects = append(subjects, ed.From)
		}
	}
	// Findings naming the advisory, on whatever subject they sit.
	var direct []graph.ID
	err = e.eachNode(ctx, graph.NodeFilter{Kinds: []graph.Kind{graph.Finding}}, func(n *graph.Node) error {
		adv := strings.ToUpper(n.Props.String("vulnerability"))
		if adv == "" || !slices.Contains(names, adv) || !isOpen(n.Props) {
			return nil
		}
		pg, err := e.v.Edges(ctx, graph.EdgeFilter{From: n.ID, Kinds: []graph.EdgeKind{graph.FoundOn}}, graph.Page{Limit: graph.MaxPageLimit})
		if err != nil {
			return err
		}
		for _, ed := range pg.Edges {
			direct = append(direct, ed.To)
		}
		return nil
	})
	if err != nil {
		return BlastRadius{}, err
	}
	if v == nil && len(direct) == 0 {
		return BlastRadius{}, fmt.Errorf("vulnerability %s: %w", id, graph.ErrNotFound)
	}
	return e.blastOfSubjects(ctx, subjects, direct, maxDepth)
}

// blastOfSubjects resolves subjects (packages, images, services, …) to the
// services carrying them and returns their union radius.
func (e *Engine) blastOfSubjects(ctx context.Context, subjects, direct []graph.ID, maxDepth int) (BlastRadius, error) {
	var svcs []graph.ID
	for _, s := range slices.Concat(subjects, direct) {
		cs, err := e.carriers(ctx, s)
		if err != nil {
			return BlastRadius{}, err
		}
		svcs = append(svcs, cs...)
	}
	svcs = sortIDs(svcs)
	br, err := e.blast(ctx, svcs, maxDepth)
	if err != nil {
		return br, err
	}
	br.Dependents = svcs
	x, err := e.exposure(ctx)
	if err != nil {
		return br, err
	}
	for _, s := range svcs {
		if xn, ok := x.m[s]; ok && xn.routed {
			br.DependentsInternetFacing = append(br.DependentsInternetFacing, s)
		}
	}
	return br, nil
}
