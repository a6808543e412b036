package findings

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/riskgraph/riskgraph/graph"
)

// Filter selects findings; empty fields match everything.
type Filter struct {
	Status        []string // open, fixed, accepted, false_positive
	Severity      []string // exact severities
	MinSeverity   string   // at least this severity
	Category      []string
	Tool          string // reported by this tool (any of tools)
	Env           string
	Vulnerability string   // advisory id or alias
	Subject       graph.ID // FOUND_ON this node
	Service       string   // FOUND_ON this service ("name" or "env/name")
	Text          string   // in the name, rule or message (case-insensitive)
	Unresolved    *bool
}

// Order of a listing.
type Order string

// Orders.
const (
	BySeverity  Order = "severity"  // most severe first, then cvss, then id
	ByFirstSeen Order = "firstSeen" // oldest first
	ByLastSeen  Order = "lastSeen"  // most recent first
)

// Item is one listed finding with the nodes it is found on.
type Item struct {
	Finding  graph.Node
	Subjects []graph.Node
}

// List returns the findings in v matching f, ordered, at most limit (0:
// all).
func List(ctx context.Context, v graph.View, f Filter, order Order, limit int) ([]Item, error) {
	switch order {
	case "", BySeverity, ByFirstSeen, ByLastSeen:
	default:
		return nil, fmt.Errorf("order %q: want severity, firstSeen or lastSeen", order)
	}
	if f.MinSeverity != "" {
		if _, ok := sevRank[f.MinSeverity]; !ok {
			return nil, fmt.Errorf("min severity %q: want critical, high, medium, low or info", f.MinSeverity)
		}
	}
	var subjectFilter map[graph.ID]bool
	if f.Service != "" || f.Subject != "" {
		subjectFilter = map[graph.ID]bool{}
		targets := []graph.ID{}
		if f.Subject != "" {
			targets = append(targets, f.Subject)
		}
		if f.Service != "" {
			env, name, ok := strings.Cut(f.Service, "/")
			if !ok {
				env, name = "", f.Service
			}
			err := eachNode(ctx, v, graph.NodeFilter{Kinds: []graph.Kind{graph.Service}}, func(n *graph.Node) {
				if strings.EqualFold(n.Name, name) && (env == "" || strings.EqualFold(n.Env, env)) {
					targets = append(targets, n.ID)
				}
			})
			if err != nil {
				return nil, err
			}
		}
		for _, t := range targets {
			if err := eachEdge(ctx, v, graph.EdgeFilter{Kinds: []graph.EdgeKind{graph.FoundOn}, To: t}, func(e *graph.Edge) {
				subjectFilter[e.From] = true
			}); err != nil {
				return nil, err
			}
		}
	}
	nf := graph.NodeFilter{Kinds: []graph.Kind{graph.Finding}, Env: f.Env}
	var out []Item
	err := eachNode(ctx, v, nf, func(n *graph.Node) {
		if subjectFilter != nil && !subjectFilter[n.ID] || !f.match(n) {
			return
		}
		out = append(out, Item{Finding: *n})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Item) int {
		x, y := &a.Finding, &b.Finding
		switch order {
		case ByFirstSeen:
			if c := x.FirstSeen.Compare(y.FirstSeen); c != 0 {
				return c
			}
		case ByLastSeen:
			if c := y.LastSeen.Compare(x.LastSeen); c != 0 {
				return c
			}
		default:
			if c := cmp.Compare(sevRank[y.Props.String("severity")], sevRank[x.Props.String("severity")]); c != 0 {
				return c
			}
			if c := cmp.Compare(y.Props.Float("cvss"), x.Props.Float("cvss")); c != 0 {
				return c
			}
		}
		return cmp.Compare(x.ID, y.ID)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	for i := range out {
		if err := eachEdge(ctx, v, graph.EdgeFilter{Kinds: []graph.EdgeKind{graph.FoundOn}, From: out[i].Finding.ID}, func(e *graph.Edge) {
			if n, err := v.Node(ctx, e.To); err == nil {
				out[i].Subjects = append(out[i].Subjects, n)
			}
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (f *Filter) match(n *graph.Node) bool {
	p := n.Props
	if len(f.Status) > 0 && !slices.Contains(f.Status, p.String("status")) {
		return false
	}
	sev := p.String("severity")
	if len(f.Severity) > 0 && !slices.Contains(f.Severity, sev) {
		return false
	}
	if f.MinSeverity != "" && sevRank[sev] < sevRank[f.MinSeverity] {
		return false
	}
	if len(f.Category) > 0 && !slices.Contains(f.Category, p.String("category")) {
		return false
	}
	if f.Tool != "" && !slices.ContainsFunc(p.Strings("tools"), func(t string) bool { return strings.EqualFold(t, f.Tool) }) && !strings.EqualFold(p.String("tool"), f.Tool) {
		return false
	}
	if f.Vulnerability != "" && !strings.EqualFold(p.String("vulnerability"), f.Vulnerability) {
		return false
	}
	if f.Unresolved != nil && p.Bool("unresolved") != *f.Unresolved {
		return false
	}
	if f.Text != "" {
		t := strings.ToLower(f.Text)
		if !strings.Contains(strings.ToLower(n.Name), t) && !strings.Contains(strings.ToLower(p.String("rule")), t) && !strings.Contains(strings.ToLower(p.String("message")), t) {
			return false
		}
	}
	return true
}

func eachEdge(ctx context.Context, v graph.View, f graph.EdgeFilter, fn func(*graph.Edge)) error {
	after := graph.ID("")
	for {
		p, err := v.Edges(ctx, f, graph.Page{After: after, Limit: graph.MaxPageLimit})
		if err != nil {
			return err
		}
		for i := range p.Edges {
			fn(&p.Edges[i])
		}
		if !p.HasMore || len(p.Edges) == 0 {
			return nil
		}
		after = p.End
	}
}
