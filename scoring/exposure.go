package scoring

import (
	"context"
	"slices"

	"github.com/riskgraph/riskgraph/graph"
)

// Exposure says how a node can be reached from the Internet.
type Exposure struct {
	Node graph.ID `json:"node"`
	// Reachable: some path leads from the Internet node to it over
	// ROUTES_TO, EXPOSES and CALLS (and from an API to the service that
	// implements it).
	Reachable bool `json:"reachable"`
	// Hops is the length of the shortest such path (-1 when unreachable).
	Hops int `json:"hops"`
	// Authenticated: reachable, but every path crosses an authentication
	// step (an API with a security requirement, a gateway authorizer).
	Authenticated bool `json:"authenticated"`
	// ServiceHops counts the service-to-service hops (CALLS) on Path, the
	// lateral part of the way in.
	ServiceHops int `json:"serviceHops"`
	// Controls are the network controls on Path and at the node
	// ("NetworkPolicy/name", "SecurityGroup/name", "Authorizer/name", "WAF/name").
	Controls []string `json:"controls,omitempty"`
	// InternetFacing: reachable from the Internet over ROUTES_TO alone (a
	// service: itself or one of its operations), as opposed to reachable
	// only through the services that call it.
	InternetFacing bool `json:"internetFacing"`
	// Env is the node's environment.
	Env string `json:"env,omitempty"`
	// Path is the way in: the unauthenticated path when there is one,
	// otherwise the shortest. It starts at the Internet node.
	Path []Hop `json:"path,omitempty"`
}

// Hop is one node of a path and the edge that led to it (empty for the
// first node).
type Hop struct {
	Node     graph.ID       `json:"node"`
	Kind     graph.Kind     `json:"kind"`
	Name     string         `json:"name"`
	Edge     graph.ID       `json:"edge,omitempty"`
	EdgeKind graph.EdgeKind `json:"edgeKind,omitempty"`
	// Reverse: the edge points the other way (an API leads to the service
	// that implements it over its EXPOSES edge).
	Reverse  bool       `json:"reverse,omitempty"`
	Findings []graph.ID `json:"findings,omitempty"`
}

// exposureIndex is the exposure of every node reachable from the Internet,
// computed once per view by two breadth-first searches over the exposure
// subgraph: one over every edge (shortest hops) and one that does not cross
// authentication steps (unauthenticated reachability). "Every path crosses
// authentication" is exactly "reachable, but not without crossing one".
type exposureIndex struct {
	m map[graph.ID]*expNode
}

type expNode struct {
	hops, uhops   int32
	reach, unauth bool
	routed        bool // reachable over ROUTES_TO alone (internet-facing)
	parent, upar  graph.ID
	via, uvia     graph.ID
	vk, uvk       graph.EdgeKind
	rev, urev     bool
}

// expEdge is one step of the exposure subgraph.
type expEdge struct {
	to   graph.ID
	id   graph.ID
	kind graph.EdgeKind
	rev  bool
	auth bool // crossing it is an authentication step
}

var exposureKinds = []graph.EdgeKind{graph.RoutesTo, graph.Exposes, graph.Calls}

// exposureEdges returns the steps out of n in the exposure subgraph.
func (e *Engine) exposureEdges(ctx context.Context, n graph.ID) ([]expEdge, error) {
	out, err := e.edgesOf(ctx, n, true, exposureKinds...)
	if err != nil {
		return nil, err
	}
	k := kindOf(n)
	gwAuth := false
	if k == graph.Gateway {
		gn, err := e.node(ctx, n)
		if err == nil && gatewayAuthorizer(gn) != "" {
			gwAuth = true
		}
	}
	var steps []expEdge
	for i := range out {
		ed := &out[i]
		s := expEdge{to: ed.To, id: ed.ID, kind: ed.Kind}
		if ed.Kind == graph.RoutesTo && (gwAuth || ed.Props.Bool("authenticated") || ed.Props.String("authorizer") != "") {
			s.auth = true
		}
		steps = append(steps, s)
	}
	if k == graph.API {
		// Sending a request to an operation runs code in the service that
		// implements it.
		in, err := e.edgesOf(ctx, n, false, graph.Exposes)
		if err != nil {
			return nil, err
		}
		for i := range in {
			if kindOf(in[i].From) == graph.Service {
				steps = append(steps, expEdge{to: in[i].From, id: in[i].ID, kind: graph.Exposes, rev: true})
			}
		}
	}
	return steps, nil
}

// gatewayAuthorizer returns the authorizer a gateway enforces ("" for none):
// props authorizer (string) or authenticated (bool).
func gatewayAuthorizer(n *graph.Node) string {
	if a := n.Props.String("authorizer"); a != "" {
		return a
	}
	if n.Props.Bool("authenticated") {
		return "authenticated"
	}
	return ""
}

// entryIsAuth reports whether entering node to over s is an authentication
// step: an API with a security requirement, any route through an
// authorizing gateway, or a route straight to a service some of whose
// operations are routed too (the routes to those operations decide).
func (e *Engine) entryIsAuth(ctx context.Context, s expEdge) (bool, error) {
	if s.auth {
		return true, nil
	}
	switch kindOf(s.to) {
	case graph.API:
		if s.rev {
			return false, nil
		}
		n, err := e.node(ctx, s.to)
		if err != nil {
			return false, nil
		}
		return n.Props.Bool("authenticated"), nil
	case graph.Service:
		if s.kind != graph.RoutesTo {
			return false, nil
		}
		// The routes to the service's operations decide, when there are
		// any; a route to a service whose operations nobody routes (or
		// that documents none) is taken as open.
		ops, err := e.edgesOf(ctx, s.to, true, graph.Exposes)
		if err != nil {
			return false, err
		}
		for _, op := range ops {
			routes, err := e.edgesOf(ctx, op.To, false, graph.RoutesTo)
			if err != nil {
				return false, err
			}
			if len(routes) > 0 {
				return true, nil
			}
		}
		return false, nil
	}
	return false, nil
}

// exposure builds the index on first use. Callers hold e.mu.
func (e *Engine) exposure(ctx context.Context) (*exposureIndex, error) {
	if e.exp != nil {
		return e.exp, nil
	}
	x := &exposureIndex{m: map[graph.ID]*expNode{}}
	if _, err := e.node(ctx, graph.InternetID); err != nil {
		e.exp = x // no Internet node: nothing is exposed
		return x, nil
	}
	adj := map[graph.ID][]expEdge{}
	steps := func(n graph.ID) ([]expEdge, error) {
		if s, ok := adj[n]; ok {
			return s, nil
		}
		s, err := e.exposureEdges(ctx, n)
		if err != nil {
			return nil, err
		}
		adj[n] = s
		return s, nil
	}
	x.m[graph.InternetID] = &expNode{reach: true, unauth: true}
	queue := []graph.ID{graph.InternetID}
	for head := 0; head < len(queue); head++ {
		if head&1023 == 1023 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		u := queue[head]
		ss, err := steps(u)
		if err != nil {
			return nil, err
		}
		hu := x.m[u].hops
		for _, s := range ss {
			if _, seen := x.m[s.to]; seen {
				continue
			}
			x.m[s.to] = &expNode{reach: true, hops: hu + 1, parent: u, via: s.id, vk: s.kind, rev: s.rev}
			queue = append(queue, s.to)
		}
	}
	// Second search: only over steps that are not authentication steps.
	queue = append(queue[:0], graph.InternetID)
	for head := 0; head < len(queue); head++ {
		u := queue[head]
		hu := x.m[u].uhops
		for _, s := range adj[u] {
			t := x.m[s.to]
			if t.unauth {
				continue
			}
			auth, err := e.entryIsAuth(ctx, s)
			if err != nil {
				return nil, err
			}
			if auth {
				continue
			}
			t.unauth, t.uhops, t.upar, t.uvia, t.uvk, t.urev = true, hu+1, u, s.id, s.kind, s.rev
			queue = append(queue, s.to)
		}
	}
	// Third: internet-facing, over ROUTES_TO alone; a service is
	// internet-facing when one of its routed operations is.
	x.m[graph.InternetID].routed = true
	queue = append(queue[:0], graph.InternetID)
	for head := 0; head < len(queue); head++ {
		u := queue[head]
		for _, s := range adj[u] {
			if s.kind != graph.RoutesTo || x.m[s.to].routed {
				continue
			}
			x.m[s.to].routed = true
			queue = append(queue, s.to)
			if kindOf(s.to) == graph.API {
				for _, b := range adj[s.to] {
					if b.rev {
						x.m[b.to].routed = true
					}
				}
			}
		}
	}
	e.exp = x
	return x, nil
}

// Exposure returns how id can be reached from the Internet. For a node
// outside the exposure subgraph (a data store, package, image, repository)
// it is the exposure of the best-exposed service carrying it (see
// carriers), one hop further.
func (e *Engine) Exposure(ctx context.Context, id graph.ID) (Exposure, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, err := e.node(ctx, id); err != nil {
		return Exposure{}, err
	}
	return e.exposureOf(ctx, id)
}

// exposureOf is Exposure without the lock.
func (e *Engine) exposureOf(ctx context.Context, id graph.ID) (Exposure, error) {
	x, err := e.exposure(ctx)
	if err != nil {
		return Exposure{}, err
	}
	if xn, ok := x.m[id]; ok {
		return e.describe(ctx, x, id, xn)
	}
	// Not in the exposure subgraph itself: through what carries it.
	cs, err := e.carriers(ctx, id)
	if err != nil {
		return Exposure{}, err
	}
	best := Exposure{Node: id, Hops: -1}
	var bestRank [4]int
	for _, c := range cs {
		if c == id {
			continue
		}
		xn, ok := x.m[c]
		if !ok {
			continue
		}
		ex, err := e.describe(ctx, x, c, xn)
		if err != nil {
			return Exposure{}, err
		}
		r := exposureRank(ex)
		if !best.Reachable || rankLess(r, bestRank) {
			best, bestRank = ex, r
		}
	}
	if best.Reachable {
		best.Node = id
		best.Hops++
		hop, err := e.carrierHop(ctx, best.Path[len(best.Path)-1].Node, id)
		if err != nil {
			return Exposure{}, err
		}
		best.Path = append(best.Path, hop)
	}
	if n, err := e.node(ctx, id); err == nil && n.Env != "" {
		best.Env = n.Env
	}
	return best, nil
}

// exposureRank orders exposures, most exposed first: unauthenticated
// before authenticated, then fewer service hops, fewer hops.
func exposureRank(x Exposure) [4]int {
	a := 1
	if x.Authenticated {
		a = 2
	}
	if !x.Reachable {
		a = 3
	}
	return [4]int{a, x.ServiceHops, x.Hops, len(x.Controls)}
}

func rankLess(a, b [4]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// describe turns an index entry into an Exposure with its path.
func (e *Engine) describe(ctx context.Context, x *exposureIndex, id graph.ID, xn *expNode) (Exposure, error) {
	ex := Exposure{Node: id, Reachable: xn.reach, Hops: int(xn.hops), Authenticated: xn.reach && !xn.unauth, InternetFacing: xn.routed}
	if n, err := e.node(ctx, id); err == nil {
		ex.Env = n.Env
	}
	// Walk parents back to the Internet.
	var rev []Hop
	cur := id
	for guard := 0; cur != "" && guard < 1<<16; guard++ {
		c := x.m[cur]
		h := Hop{Node: cur, Kind: kindOf(cur), Name: e.name(ctx, cur)}
		next := graph.ID("")
		if xn.unauth {
			if cur != graph.InternetID {
				h.Edge, h.EdgeKind, h.Reverse, next = c.uvia, c.uvk, c.urev, c.upar
			}
		} else if cur != graph.InternetID {
			h.Edge, h.EdgeKind, h.Reverse, next = c.via, c.vk, c.rev, c.parent
		}
		if h.EdgeKind == graph.Calls {
			ex.ServiceHops++
		}
		rev = append(rev, h)
		cur = next
	}
	slices.Reverse(rev)
	ex.Path = rev
	for _, h := range rev {
		n, err := e.node(ctx, h.Node)
		if err != nil {
			continue
		}
		ex.Controls = append(ex.Controls, controlsOf(n)...)
	}
	slices.Sort(ex.Controls)
	ex.Controls = slices.Compact(ex.Controls)
	return ex, nil
}

// controlsOf lists the network controls a node documents.
func controlsOf(n *graph.Node) []string {
	var cs []string
	for _, p := range n.Props.Strings("networkPolicies") {
		cs = append(cs, "NetworkPolicy/"+p)
	}
	for _, p := range n.Props.Strings("securityGroups") {
		cs = append(cs, "SecurityGroup/"+p)
	}
	if n.Kind == graph.Gateway {
		if a := gatewayAuthorizer(n); a != "" {
			cs = append(cs, "Authorizer/"+a)
		}
		if w := n.Props.String("waf"); w != "" {
			cs = append(cs, "WAF/"+w)
		}
	}
	return cs
}

// carriers returns the services that run id: id itself for a service, the
// service implementing an API, the services that depend on a package
// (directly or transitively), run an image, or run an image built from a
// repository, and the services that read or write a data store. Sorted.
func (e *Engine) carriers(ctx context.Context, id graph.ID) ([]graph.ID, error) {
	if cs, ok := e.carr[id]; ok {
		return cs, nil
	}
	var cs []graph.ID
	switch kindOf(id) {
	case graph.Service:
		cs = []graph.ID{id}
	case graph.API:
		in, err := e.edgesOf(ctx, id, false, graph.Exposes)
		if err != nil {
			return nil, err
		}
		for _, ed := range in {
			if kindOf(ed.From) == graph.Service {
				cs = append(cs, ed.From)
			}
		}
	case graph.DataStore:
		in, err := e.edgesOf(ctx, id, false, graph.Reads, graph.Writes)
		if err != nil {
			return nil, err
		}
		for _, ed := range in {
			if kindOf(ed.From) == graph.Service {
				cs = append(cs, ed.From)
			}
		}
	case graph.Package, graph.Image, graph.Repository:
		err := e.v.Walk(ctx, graph.Walk{From: []graph.ID{id}, Dir: graph.In,
			Kinds: []graph.EdgeKind{graph.DependsOn, graph.RunsImage, graph.BuiltFrom}},
			func(s graph.Step) graph.Control {
				if s.Kind == graph.Service {
					cs = append(cs, s.Node)
					return graph.Skip
				}
				return graph.Continue
			})
		if err != nil {
			return nil, err
		}
	}
	cs = sortIDs(cs)
	e.carr[id] = cs
	return cs, nil
}

// carrierHop is the hop from a carrier service to the node it carries.
func (e *Engine) carrierHop(ctx context.Context, svc, id graph.ID) (Hop, error) {
	h := Hop{Node: id, Kind: kindOf(id), Name: e.name(ctx, id)}
	out, err := e.edges(ctx, svc, true)
	if err != nil {
		return h, err
	}
	for _, ed := range out {
		if ed.To == id {
			h.Edge, h.EdgeKind = ed.ID, ed.Kind
			return h, nil
		}
	}
	in, err := e.edges(ctx, svc, false)
	if err != nil {
		return h, err
	}
	for _, ed := range in {
		if ed.From == id {
			h.Edge, h.EdgeKind, h.Reverse = ed.ID, ed.Kind, true
			return h, nil
		}
	}
	// Transitive (a package deep in the tree, an image's repository): the
	// hop names the kind of relation without one edge.
	switch kindOf(id) {
	case graph.Package:
		h.EdgeKind = graph.DependsOn
	case graph.Image:
		h.EdgeKind = graph.RunsImage
	case graph.Repository:
		h.EdgeKind = graph.BuiltFrom
	}
	return h, nil
}
