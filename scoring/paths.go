package scoring

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/riskgraph/riskgraph/graph"
)

// PathQuery asks for attack paths.
type PathQuery struct {
	// To: data stores holding any of these classes are targets. Empty with
	// no ToNode: every data store holding classified data.
	To []graph.DataClass `json:"to,omitempty"`
	// ToNode: this node is the target (To is then ignored).
	ToNode graph.ID `json:"toNode,omitempty"`
	// From is where the attacker starts; default the Internet node.
	From graph.ID `json:"from,omitempty"`
	// Limit is how many paths to return (default the profile's paths.limit).
	Limit int `json:"limit,omitempty"`
	// MaxHops bounds path length (default the profile's paths.maxHops).
	MaxHops int `json:"maxHops,omitempty"`
}

// AttackPath is one way from the start to sensitive data.
type AttackPath struct {
	Hops        []Hop             `json:"hops"`
	Target      graph.ID          `json:"target"`
	DataClasses []graph.DataClass `json:"dataClasses"`
	// Score = 100 × the path's probability × the weight of the most
	// sensitive target class (see AttackPaths).
	Score float64 `json:"score"`
	// Authenticated: the path crosses an authentication step.
	Authenticated bool       `json:"authenticated"`
	Findings      []graph.ID `json:"findings"`
}

// label is one partial path in the best-first search.
type label struct {
	node    graph.ID
	prev    *label
	edge    graph.ID
	kind    graph.EdgeKind
	rev     bool
	p       float64
	hops    int
	auth    bool
	finding bool
	idx     int // heap index
	seq     int // insertion order, the last tie-breaker
}

type labelHeap []*label

func (h labelHeap) Len() int { return len(h) }
func (h labelHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if a.p != b.p {
		return a.p > b.p
	}
	if a.hops != b.hops {
		return a.hops < b.hops
	}
	if a.node != b.node {
		return a.node < b.node
	}
	return a.seq < b.seq
}
func (h labelHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].idx = i; h[j].idx = j }
func (h *labelHeap) Push(x any)   { l := x.(*label); l.idx = len(*h); *h = append(*h, l) }
func (h *labelHeap) Pop() any {
	old := *h
	l := old[len(old)-1]
	*h = old[:len(old)-1]
	return l
}

func (l *label) contains(id graph.ID) bool {
	for c := l; c != nil; c = c.prev {
		if c.node == id {
			return true
		}
	}
	return false
}

// AttackPaths returns the highest-scoring paths from q.From to data stores
// holding q.To, each through at least one node with an open finding.
//
// The search is best-first on path probability, a product of step factors:
// entering a node over an authentication step multiplies by
// paths.authenticatedStep; each service-to-service CALLS hop by
// exploitability.hopDecay; and moving on from a service to its stores or
// identities (which needs the service compromised) by the best open
// finding there (its severity, near zero when VEX says not_affected) or by
// paths.noFindingStep when it has none. Probabilities only fall along a
// path, so the first paths to reach a target are the best ones (as in
// Dijkstra); each node is settled at most Limit times (k-shortest paths),
// paths stay simple, and a path longer than MaxHops is dropped. Paths that
// reach the same target through the same first compromised node are one
// root cause: only the best of them is returned.
func (e *Engine) AttackPaths(ctx context.Context, q PathQuery) ([]AttackPath, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.gather(ctx); err != nil {
		return nil, err
	}
	if q.From == "" {
		q.From = graph.InternetID
	}
	if q.Limit <= 0 {
		q.Limit = e.p.Paths.Limit
	}
	if q.MaxHops <= 0 {
		q.MaxHops = e.p.Paths.MaxHops
	}
	for _, c := range q.To {
		if !c.Valid() {
			return nil, fmt.Errorf("scoring: unknown data class %q, want one of %v", c, graph.DataClasses)
		}
	}
	if _, err := e.node(ctx, q.From); err != nil {
		return nil, err
	}
	if q.ToNode != "" {
		if _, err := e.node(ctx, q.ToNode); err != nil {
			return nil, err
		}
	}
	type popKey struct {
		node    graph.ID
		finding bool
	}
	var (
		h      labelHeap
		seq    int
		pops   = map[popKey]int{}
		out    []AttackPath
		causes = map[string]bool{}
	)
	push := func(l *label) { seq++; l.seq = seq; heap.Push(&h, l) }
	push(&label{node: q.From, p: 1})
	for h.Len() > 0 && len(out) < q.Limit {
		if seq&1023 == 1023 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		l := heap.Pop(&h).(*label)
		key := popKey{l.node, l.finding}
		if pops[key] >= q.Limit {
			continue
		}
		pops[key]++
		if l.hops > 0 && l.finding {
			cls, ok, err := e.targetClasses(ctx, l, q)
			if err != nil {
				return nil, err
			}
			if ok {
				cause := string(l.node) + "|" + string(firstPivot(l))
				if !causes[cause] {
					causes[cause] = true
					out = append(out, e.makePath(ctx, l, cls))
				}
				continue
			}
		}
		if l.hops >= q.MaxHops {
			continue
		}
		steps, err := e.attackSteps(ctx, l.node)
		if err != nil {
			return nil, err
		}
		for _, s := range steps {
			if l.contains(s.to) {
				continue
			}
			f, found, err := e.stepFactor(ctx, l.node, s)
			if err != nil {
				return nil, err
			}
			nl := &label{node: s.to, prev: l, edge: s.id, kind: s.kind, rev: s.rev, p: l.p * f,
				hops: l.hops + 1, auth: l.auth, finding: l.finding || found}
			if s.authStep {
				nl.auth = true
			}
			if nl.p <= 0 {
				continue
			}
			push(nl)
		}
	}
	slices.SortStableFunc(out, func(a, b AttackPath) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		if len(a.Hops) != len(b.Hops) {
			return len(a.Hops) - len(b.Hops)
		}
		return strings.Compare(pathKey(a), pathKey(b))
	})
	return out, nil
}

func pathKey(p AttackPath) string {
	var b strings.Builder
	for _, h := range p.Hops {
		b.WriteString(string(h.Node))
		b.WriteByte('|')
	}
	return b.String()
}

// firstPivot is the first node on the path whose findings the path uses.
func firstPivot(l *label) graph.ID {
	var first graph.ID
	for c := l; c != nil; c = c.prev {
		if c.prev != nil && c.finding && !c.prev.finding {
			first = c.node
			if c.kind == graph.Reads || c.kind == graph.Writes || c.kind == graph.RunsAs {
				first = c.prev.node // the compromised service, not what it reached
			}
		}
	}
	return first
}

// attackStep is one edge an attacker can take.
type attackStep struct {
	expEdge
	authStep bool
}

// attackSteps are the exposure steps plus, from a service, READS, WRITES
// and RUNS_AS, and from an identity, CAN_ACCESS. Cached per node: they
// depend on the graph only.
func (e *Engine) attackSteps(ctx context.Context, n graph.ID) ([]attackStep, error) {
	if st, ok := e.steps[n]; ok {
		return st, nil
	}
	st, err := e.attackStepsOf(ctx, n)
	if err != nil {
		return nil, err
	}
	if e.steps == nil {
		e.steps = map[graph.ID][]attackStep{}
	}
	e.steps[n] = st
	return st, nil
}

func (e *Engine) attackStepsOf(ctx context.Context, n graph.ID) ([]attackStep, error) {
	var out []attackStep
	switch kindOf(n) {
	case graph.DataStore, graph.ThirdParty:
		return nil, nil // sinks
	case graph.Identity:
		es, err := e.edgesOf(ctx, n, true, graph.CanAccess)
		if err != nil {
			return nil, err
		}
		for _, ed := range es {
			out = append(out, attackStep{expEdge: expEdge{to: ed.To, id: ed.ID, kind: ed.Kind}})
		}
		return out, nil
	}
	ex, err := e.exposureEdges(ctx, n)
	if err != nil {
		return nil, err
	}
	for _, s := range ex {
		a, err := e.entryIsAuth(ctx, s)
		if err != nil {
			return nil, err
		}
		out = append(out, attackStep{expEdge: s, authStep: a})
	}
	if kindOf(n) == graph.Service {
		es, err := e.edgesOf(ctx, n, true, graph.Reads, graph.Writes, graph.RunsAs)
		if err != nil {
			return nil, err
		}
		for _, ed := range es {
			out = append(out, attackStep{expEdge: expEdge{to: ed.To, id: ed.ID, kind: ed.Kind}})
		}
	}
	return out, nil
}

// stepFactor is the probability factor of taking step s out of node from,
// and whether it used an open finding.
func (e *Engine) stepFactor(ctx context.Context, from graph.ID, s attackStep) (float64, bool, error) {
	f := 1.0
	if s.authStep {
		f *= e.p.Paths.AuthenticatedStep
	}
	switch s.kind {
	case graph.Calls:
		f *= e.p.Exploitability.HopDecay
	case graph.Reads, graph.Writes, graph.RunsAs:
		c, ok := e.compromise(from)
		return f * c, ok, nil
	}
	// Entering a node that has a finding of its own (an injectable API, a
	// misconfigured store) uses it.
	if kindOf(s.to) == graph.API || kindOf(s.to) == graph.DataStore {
		if c, ok := e.compromise(s.to); ok && c > e.p.Paths.NoFindingStep {
			return f, true, nil
		}
	}
	return f, false, nil
}

// compromise is the chance an attacker takes over node n: the best open
// finding's severity there (VEX not_affected findings barely count), or
// paths.noFindingStep when it has none.
func (e *Engine) compromise(n graph.ID) (float64, bool) {
	nf := e.findingsOn(n)
	return nf.best, nf.found
}

// targetClasses returns the query classes the label's node holds, and
// whether it is a target.
func (e *Engine) targetClasses(ctx context.Context, l *label, q PathQuery) ([]graph.DataClass, bool, error) {
	if q.ToNode != "" {
		if l.node != q.ToNode {
			return nil, false, nil
		}
		n, err := e.node(ctx, l.node)
		if err != nil {
			return nil, false, err
		}
		return sortClasses(slices.Clone(n.DataClasses)), true, nil
	}
	if kindOf(l.node) != graph.DataStore {
		return nil, false, nil
	}
	n, err := e.node(ctx, l.node)
	if err != nil {
		return nil, false, nil
	}
	var cs []graph.DataClass
	for _, c := range n.DataClasses {
		if len(q.To) == 0 || slices.Contains(q.To, c) {
			cs = append(cs, c)
		}
	}
	return sortClasses(cs), len(cs) > 0, nil
}

// makePath turns a settled label into an AttackPath.
func (e *Engine) makePath(ctx context.Context, l *label, cls []graph.DataClass) AttackPath {
	var hops []Hop
	var findings []graph.ID
	for c := l; c != nil; c = c.prev {
		h := Hop{Node: c.node, Kind: kindOf(c.node), Name: e.name(ctx, c.node), Edge: c.edge, EdgeKind: c.kind, Reverse: c.rev,
			Findings: e.findingsAt(c.node)}
		findings = append(findings, h.Findings...)
		hops = append(hops, h)
	}
	slices.Reverse(hops)
	w := 0.0
	for _, c := range cls {
		w = math.Max(w, e.p.Impact.DataClasses[c])
	}
	if len(cls) == 0 {
		w = e.p.Impact.NoData
	}
	return AttackPath{Hops: hops, Target: l.node, DataClasses: cls, Score: round2(100 * l.p * w),
		Authenticated: l.auth, Findings: sortIDs(findings)}
}
