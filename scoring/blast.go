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
// maxDepth steps (0: unbounded). The main traversal is one View.Walk over
// CALLS, READS, WRITES, RUNS_AS, CAN_ACCESS and EXPOSES; then lateral hops
// the graph has no edge for are added: services mounting a secret a
// reached service mounts (props secretRefs), and services reading a store
// the attacker can write. Nodes reached that way are walked from in turn
// with the depth left. Each node is reported once, at the depth it was
// first found.
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
	var lat lateralState
	for round := 0; round < 8; round++ {
		// Walk order depends on the backend's adjacency order; lateral
		// hops are derived in (depth, id) order so that they do not.
		extra, err := e.lateral(ctx, reached, &lat, seen, maxDepth)
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
	for i, j := range order(reached) {
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

// lateral finds the nodes one lateral hop without an edge away from the
// reached set: secret-sharing services and readers of writable stores.
func compareReached(a, b Reached) int {
	if a.Depth != b.Depth {
		return a.Depth - b.Depth
	}
	return strings.Compare(string(a.Node), string(b.Node))
}

// order returns the indexes of reached sorted by depth, then id (sorting
// the indexes moves 4 bytes per swap instead of a whole Reached).
func order(reached []Reached) []int32 {
	idx := make([]int32, len(reached))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int { return compareReached(reached[a], reached[b]) })
	return idx
}

// lateralFromScratch makes every round look at the whole radius again
// (tests compare the incremental rounds against it).
var lateralFromScratch = false

// lateralState carries what lateral has looked at between rounds.
type lateralState struct {
	done    int   // reached[:done] were looked at
	pending []int // data stores among them that no reached node writes yet
}

func (e *Engine) lateral(ctx context.Context, reached []Reached, st *lateralState, seen map[graph.ID]int, maxDepth int) ([]Reached, error) {
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

func sortedInts[V any](m map[int]V) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
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
