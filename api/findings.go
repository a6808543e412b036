package api

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/riskgraph/riskgraph/graph"
)

var severityRank = map[string]int{"critical": 5, "high": 4, "medium": 3, "low": 2, "info": 1}

func (r *Resolver) findings(ctx context.Context, f *FindingFilter, order *FindingOrder, first *int, after *string) (*FindingConnection, error) {
	if f == nil {
		f = &FindingFilter{}
	}
	if order == nil {
		order = &FindingOrder{Field: FindingOrderFieldRisk, Direction: OrderDirectionDesc}
	}
	c, err := r.cat(ctx)
	if err != nil {
		return nil, err
	}
	type row struct {
		e    *entry
		risk float64
	}
	needRisk := f.MinRisk != nil || order.Field == FindingOrderFieldRisk
	var rows []row
	for _, e := range c.byKind[graph.Finding] {
		n := e.node
		if len(f.Severities) > 0 && !slices.ContainsFunc(f.Severities, func(s Severity) bool {
			return strings.EqualFold(string(s), n.Props.String("severity"))
		}) {
			continue
		}
		if len(f.Statuses) > 0 && !slices.ContainsFunc(f.Statuses, func(s FindingStatus) bool {
			return strings.EqualFold(string(s), findingStatus(n))
		}) {
			continue
		}
		if f.Tool != nil && !slices.ContainsFunc((&Finding{nodeBase{n}}).Tools(), func(t string) bool { return strings.EqualFold(t, *f.Tool) }) {
			continue
		}
		if f.Category != nil && !strings.EqualFold(n.Props.String("category"), *f.Category) {
			continue
		}
		if f.Subject != nil && e.service != *f.Subject {
			continue
		}
		if !c.match(e, common{internet: f.InternetFacing, env: f.Env, app: f.Application, nameContains: f.NameContains}) {
			continue
		}
		if len(f.DataClasses) > 0 {
			reach, err := r.reachableData(ctx, n)
			if err != nil {
				return nil, err
			}
			if classMask(reach)&classMask(f.DataClasses) == 0 {
				continue
			}
		}
		rw := row{e: e}
		if needRisk {
			risk, err := r.riskOf(ctx, n)
			if err != nil {
				return nil, err
			}
			if risk != nil {
				rw.risk = *risk
			}
			if f.MinRisk != nil && (risk == nil || *risk < *f.MinRisk) {
				continue
			}
		}
		rows = append(rows, rw)
	}
	desc := order.Direction == OrderDirectionDesc
	slices.SortStableFunc(rows, func(a, b row) int {
		var d int
		switch order.Field {
		case FindingOrderFieldRisk:
			d = cmp.Compare(a.risk, b.risk)
		case FindingOrderFieldSeverity:
			d = cmp.Compare(severityRank[a.e.node.Props.String("severity")], severityRank[b.e.node.Props.String("severity")])
		case FindingOrderFieldLastSeen:
			d = a.e.node.LastSeen.Compare(b.e.node.LastSeen)
		}
		if desc {
			d = -d
		}
		if d == 0 {
			d = cmp.Compare(a.e.node.ID, b.e.node.ID) // ties in id order, always ascending
		}
		return d
	})
	p, err := r.pageArgs(first, after)
	if err != nil {
		return nil, err
	}
	// The order is not by id, so the cursor's position is looked up.
	start := 0
	if p.After != "" {
		i := slices.IndexFunc(rows, func(rw row) bool { return rw.e.node.ID == p.After })
		if i < 0 {
			return nil, badInput("after", "the cursor's finding is no longer in this list")
		}
		start = i + 1
	}
	end := min(start+p.Limit, len(rows))
	nodes := make([]graph.Node, 0, end-start)
	for _, rw := range rows[start:end] {
		nodes = append(nodes, rw.e.node)
	}
	out := &FindingConnection{}
	out.Nodes, out.Edges, out.PageInfo, out.TotalCount = conn(nodes, pageOf[graph.ID]{total: len(rows), hasMore: end < len(rows), hasPrev: start > 0},
		asFinding, func(cur string, n Finding) FindingEdge { return FindingEdge{Cursor: cur, Node: &n} })
	return out, nil
}

// reachableData is the data a finding's subject can reach (scoring), or the
// subject's own classes without scoring.
func (r *Resolver) reachableData(ctx context.Context, finding graph.Node) ([]graph.DataClass, error) {
	e, err := r.engine(ctx)
	if err != nil {
		return nil, err
	}
	return e.reachableData(ctx, finding)
}
