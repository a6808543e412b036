package scoring

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/riskgraph/riskgraph/graph"
)

// Engine answers scoring questions over one graph.View. It caches what it
// derives from the view (exposure of every node, facts about every finding,
// the data each workload reaches), so build one Engine per view and reuse
// it; Update derives the engine of the next view and keeps what a batch did
// not touch. An Engine is safe for concurrent use: queries are serialised.
type Engine struct {
	v graph.View
	p Profile

	mu sync.Mutex

	nodes map[graph.ID]*graph.Node  // node cache (not findings)
	outs  map[graph.ID][]graph.Edge // out-edge cache, all kinds
	ins   map[graph.ID][]graph.Edge // in-edge cache, all kinds
	carr  map[graph.ID][]graph.ID   // subject → services carrying it
	imp   map[graph.ID]*impactInfo  // service or store → data it reaches
	apps  map[graph.ID][]graph.ID   // service → applications
	teams map[graph.ID][]graph.ID   // node → owning teams
	vulns map[graph.ID]*graph.Node  // vulnerability nodes by id (nil: absent)
	alias map[string]graph.ID       // advisory id or alias (upper case) → vulnerability id

	exp *exposureIndex // built on first use
	rad *radiusIndex   // built on the first blast radius; holds scratch, so one engine's only

	// Findings: facts in gathering order (by id; Update appends), their
	// scores in the same order, and derived indexes. A removed finding
	// keeps its slot with removed set.
	facts   []*findingFacts
	idx     map[graph.ID]int      // finding id → slot
	scored  []Score               // parallel to facts; nil until scored
	ranked  []Score               // scored, highest risk first; nil when stale
	bySub   map[graph.ID][]int    // subject (or carrier) → slots
	riskBy  map[graph.ID]float64  // node → max open risk on or under it; nil when stale
	secrets map[string][]graph.ID // env/secret name → services mounting it
	onNode  map[graph.ID]*nodeFindings
	steps   map[graph.ID][]attackStep // attack-path steps out of a node
	subj    map[graph.ID]*subject     // per finding subject
}

// New returns an engine over v with profile p.
func New(v graph.View, p Profile) *Engine {
	return &Engine{v: v, p: p,
		nodes: map[graph.ID]*graph.Node{}, outs: map[graph.ID][]graph.Edge{}, ins: map[graph.ID][]graph.Edge{},
		carr: map[graph.ID][]graph.ID{}, imp: map[graph.ID]*impactInfo{}, apps: map[graph.ID][]graph.ID{},
		teams: map[graph.ID][]graph.ID{}, vulns: map[graph.ID]*graph.Node{},
	}
}

// Profile returns the engine's profile.
func (e *Engine) Profile() Profile { return e.p }

// View returns the engine's view.
func (e *Engine) View() graph.View { return e.v }

// node returns a node (cached). Callers hold e.mu.
func (e *Engine) node(ctx context.Context, id graph.ID) (*graph.Node, error) {
	if n, ok := e.nodes[id]; ok {
		if n == nil {
			return nil, fmt.Errorf("node %s: %w", id, graph.ErrNotFound)
		}
		return n, nil
	}
	n, err := e.v.Node(ctx, id)
	if errors.Is(err, graph.ErrNotFound) {
		e.nodes[id] = nil
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	e.nodes[id] = &n
	return &n, nil
}

// name returns a node's name, or its id when it is absent.
func (e *Engine) name(ctx context.Context, id graph.ID) string {
	if n, err := e.node(ctx, id); err == nil {
		return n.Name
	}
	return string(id)
}

// edges lists all edges of a node in one direction (cached).
func (e *Engine) edges(ctx context.Context, id graph.ID, out bool) ([]graph.Edge, error) {
	cache := e.ins
	if out {
		cache = e.outs
	}
	if es, ok := cache[id]; ok {
		return es, nil
	}
	f := graph.EdgeFilter{To: id}
	if out {
		f = graph.EdgeFilter{From: id}
	}
	var all []graph.Edge
	p := graph.Page{Limit: graph.MaxPageLimit}
	for {
		pg, err := e.v.Edges(ctx, f, p)
		if err != nil {
			return nil, err
		}
		all = append(all, pg.Edges...)
		if !pg.HasMore {
			break
		}
		p.After = pg.End
	}
	cache[id] = all
	return all, nil
}

// edgesOf returns the edges of a node of the given kinds in one direction.
func (e *Engine) edgesOf(ctx context.Context, id graph.ID, out bool, kinds ...graph.EdgeKind) ([]graph.Edge, error) {
	all, err := e.edges(ctx, id, out)
	if err != nil {
		return nil, err
	}
	var es []graph.Edge
	for i := range all {
		if slices.Contains(kinds, all[i].Kind) {
			es = append(es, all[i])
		}
	}
	return es, nil
}

// kindOf returns the kind encoded in a node id.
func kindOf(id graph.ID) graph.Kind { k, _ := id.KindOf(); return k }

// vulnerability resolves an advisory id or alias to its node (nil when the
// graph does not have it).
func (e *Engine) vulnerability(ctx context.Context, advisory string) (*graph.Node, error) {
	if advisory == "" {
		return nil, nil
	}
	id := graph.VulnerabilityID(advisory)
	if n, ok := e.vulns[id]; ok {
		if n != nil {
			return n, nil
		}
	} else {
		n, err := e.v.Node(ctx, id)
		switch {
		case err == nil:
			e.vulns[id] = &n
			return &n, nil
		case errors.Is(err, graph.ErrNotFound):
			e.vulns[id] = nil
		default:
			return nil, err
		}
	}
	if err := e.loadAliases(ctx); err != nil {
		return nil, err
	}
	if vid, ok := e.alias[strings.ToUpper(strings.TrimSpace(advisory))]; ok {
		return e.vulns[vid], nil
	}
	return nil, nil
}

// loadAliases indexes every vulnerability's aliases once.
func (e *Engine) loadAliases(ctx context.Context) error {
	if e.alias != nil {
		return nil
	}
	e.alias = map[string]graph.ID{}
	return e.eachNode(ctx, graph.NodeFilter{Kinds: []graph.Kind{graph.Vulnerability}}, func(n *graph.Node) error {
		nn := *n
		e.vulns[n.ID] = &nn
		for _, a := range n.Props.Strings("aliases") {
			a = strings.ToUpper(strings.TrimSpace(a))
			if _, dup := e.alias[a]; !dup {
				e.alias[a] = n.ID
			}
		}
		e.alias[strings.ToUpper(n.Name)] = n.ID
		return nil
	})
}

// eachNode pages through the nodes matching f.
func (e *Engine) eachNode(ctx context.Context, f graph.NodeFilter, fn func(*graph.Node) error) error {
	p := graph.Page{Limit: graph.MaxPageLimit}
	for {
		pg, err := e.v.Nodes(ctx, f, p)
		if err != nil {
			return err
		}
		for i := range pg.Nodes {
			if err := fn(&pg.Nodes[i]); err != nil {
				return err
			}
		}
		if !pg.HasMore {
			return nil
		}
		p.After = pg.End
	}
}

// classRank orders data classes as graph.DataClasses does (most sensitive
// first).
func classRank(c graph.DataClass) int {
	if i := slices.Index(graph.DataClasses, c); i >= 0 {
		return i
	}
	return len(graph.DataClasses)
}

func sortClasses(cs []graph.DataClass) []graph.DataClass {
	slices.SortFunc(cs, func(a, b graph.DataClass) int { return classRank(a) - classRank(b) })
	return slices.Compact(cs)
}

func addClasses(dst []graph.DataClass, src ...graph.DataClass) []graph.DataClass {
	for _, c := range src {
		if !slices.Contains(dst, c) {
			dst = append(dst, c)
		}
	}
	return dst
}

func sortIDs(ids []graph.ID) []graph.ID {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// round2 keeps two decimals, so that scores print and compare stably.
func round2(x float64) float64 {
	if x < 0 {
		return 0
	}
	return float64(int64(x*100+0.5)) / 100
}
