package scoring

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/riskgraph/riskgraph/graph"
)

// handOver moves e's caches into a new engine over the same view and
// leaves e cold (still correct for its view, it recomputes on demand).
// Callers hold e.mu.
func (e *Engine) handOver() *Engine {
	ne := &Engine{v: e.v, p: e.p, nodes: e.nodes, outs: e.outs, ins: e.ins, carr: e.carr, imp: e.imp,
		apps: e.apps, teams: e.teams, vulns: e.vulns, alias: e.alias, exp: e.exp, rad: e.rad,
		facts: e.facts, idx: e.idx, scored: e.scored, ranked: e.ranked, bySub: e.bySub, riskBy: e.riskBy, secrets: e.secrets,
		onNode: e.onNode, steps: e.steps, subj: e.subj}
	fresh := New(e.v, e.p)
	fresh.exp = e.exp // immutable once built
	e.nodes, e.outs, e.ins, e.carr, e.imp = fresh.nodes, fresh.outs, fresh.ins, fresh.carr, fresh.imp
	e.apps, e.teams, e.vulns, e.alias, e.rad = fresh.apps, fresh.teams, fresh.vulns, nil, nil
	e.facts, e.idx, e.scored, e.ranked, e.bySub, e.riskBy, e.secrets, e.onNode, e.steps, e.subj = nil, nil, nil, nil, nil, nil, nil, nil, nil, nil
	return ne
}

// findingOnly reports whether a batch changes nothing but findings and
// advisories: Finding and Vulnerability nodes, FOUND_ON and AFFECTED_BY
// edges, and deletions of findings. Such a batch (a scanner import, an
// EPSS or KEV refresh, a triage decision) leaves exposure, carriers and
// impact as they were.
func findingOnly(b *graph.Batch) bool {
	for i := range b.Nodes {
		if k := b.Nodes[i].Kind; k != graph.Finding && k != graph.Vulnerability {
			return false
		}
	}
	for i := range b.Edges {
		if k := b.Edges[i].Kind; k != graph.FoundOn && k != graph.AffectedBy {
			return false
		}
	}
	for _, id := range b.Delete {
		if kindOf(id) != graph.Finding {
			return false
		}
	}
	return true
}

// Update returns the engine of v, the view after batch b was applied to
// e's view, and the scores of the findings b changed (highest risk first).
//
// Incremental rescoring: when b touches only findings and advisories (see
// findingOnly) the new engine keeps e's exposure index, carriers, impact
// and the facts of every other finding, and re-gathers and rescores just
// the findings b added, changed or re-pointed and those whose advisory b
// changed. Any other batch can move exposure or reachable data anywhere
// downstream, so the new engine starts cold and scores everything on
// first use (the returned scores are then all findings). e's caches move
// to the new engine; e stays correct for its own view but cold.
func (e *Engine) Update(ctx context.Context, v graph.View, b graph.Batch) (*Engine, []Score, error) {
	e.mu.Lock()
	if !findingOnly(&b) || e.facts == nil || e.scored == nil {
		e.mu.Unlock()
		ne := New(v, e.p)
		ss, err := ne.ScoreAll(ctx)
		return ne, ss, err
	}
	ne := e.handOver()
	e.mu.Unlock()
	ne.v = v

	ne.mu.Lock()
	defer ne.mu.Unlock()
	changed := map[graph.ID]bool{}
	vulns := map[graph.ID]bool{}
	for i := range b.Nodes {
		n := &b.Nodes[i]
		delete(ne.nodes, n.ID)
		switch n.Kind {
		case graph.Finding:
			changed[n.ID] = true
		case graph.Vulnerability:
			vulns[n.ID] = true
		}
	}
	for i := range b.Edges {
		ed := &b.Edges[i]
		delete(ne.outs, ed.From)
		delete(ne.ins, ed.To)
		if ed.Kind == graph.FoundOn {
			changed[ed.From] = true
		}
	}
	for _, id := range b.Delete {
		delete(ne.outs, id)
		delete(ne.ins, id)
		delete(ne.nodes, id)
		changed[id] = true
	}
	for id := range vulns {
		delete(ne.vulns, id)
		n, err := v.Node(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		ne.vulns[id] = &n
		if ne.alias != nil {
			for _, a := range append(n.Props.Strings("aliases"), n.Name) {
				ne.alias[strings.ToUpper(strings.TrimSpace(a))] = id
			}
		}
	}
	if len(vulns) > 0 {
		for _, f := range ne.facts {
			if !f.removed && f.vuln != nil && vulns[f.vuln.ID] {
				changed[f.id] = true
			}
		}
		// Findings that named an advisory the graph did not have yet.
		for _, f := range ne.facts {
			if !f.removed && f.vuln == nil && f.props.String("vulnerability") != "" {
				changed[f.id] = true
			}
		}
	}
	ids := sortedKeys(changed)
	out := make([]Score, 0, len(ids))
	for _, id := range ids {
		n, err := v.Node(ctx, id)
		i, had := ne.idx[id]
		if errors.Is(err, graph.ErrNotFound) {
			if had {
				ne.facts[i].removed = true
				ne.forget(ne.facts[i])
				delete(ne.idx, id)
			}
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		f, err := ne.factsOf(ctx, &n)
		if err != nil {
			return nil, nil, err
		}
		s := ne.score(ctx, f)
		if had {
			old := ne.facts[i]
			old.removed = true // the old slot; indexes skip it
			ne.forget(old)
		}
		ne.forget(f)
		i = len(ne.facts)
		ne.facts = append(ne.facts, f)
		ne.scored = append(ne.scored, s)
		ne.idx[id] = i
		ne.index(i)
		out = append(out, s)
	}
	ne.ranked, ne.riskBy = nil, nil
	slices.SortFunc(out, compareScores)
	out = ne.decorateAll(out)
	return ne, out, nil
}

// forget drops the per-node finding summaries a finding appears in.
func (e *Engine) forget(f *findingFacts) {
	delete(e.onNode, f.subject)
	for _, c := range f.carriers {
		delete(e.onNode, c)
	}
}
