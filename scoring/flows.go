package scoring

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/riskgraph/riskgraph/graph"
)

// FlowStep is one hop data of a class takes. From and To follow the data
// (an operation hands it to its service; a store read hands it to the
// reader), so From → To may run against the edge's own direction; Edge
// names the edge.
type FlowStep struct {
	From        graph.ID          `json:"from"`
	To          graph.ID          `json:"to"`
	Kind        graph.EdgeKind    `json:"kind"`
	Edge        graph.ID          `json:"edge"`
	DataClasses []graph.DataClass `json:"dataClasses"`
	Sources     []graph.Source    `json:"sources,omitempty"`
}

// DataFlow is where data of one class moves.
type DataFlow struct {
	DataClass    graph.DataClass `json:"dataClass"`
	APIs         []graph.ID      `json:"apis"`
	Services     []graph.ID      `json:"services"`
	DataStores   []graph.ID      `json:"dataStores"`
	ThirdParties []graph.ID      `json:"thirdParties"`
	Steps        []FlowStep      `json:"steps"`
	// ServicesToThirdParties answers "which services with this data talk
	// to third parties": the services of the flow with a step to one.
	ServicesToThirdParties []graph.ID `json:"servicesToThirdParties"`
}

// DataFlows traces data of class c: the APIs that accept or return it, the
// services that implement them or otherwise handle it, the stores they
// read it from or write it to, the services they pass it to, and the third
// parties they call. A third-party call carries the class when the CALLS
// edge lists it, or lists no classes at all (the service handles the class
// and nothing says otherwise).
func (e *Engine) DataFlows(ctx context.Context, c graph.DataClass) (DataFlow, error) {
	if !c.Valid() {
		return DataFlow{}, fmt.Errorf("scoring: unknown data class %q, want one of %v", c, graph.DataClasses)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	df := DataFlow{DataClass: c}
	var steps []FlowStep
	svcSet := map[graph.ID]bool{}
	one := []graph.DataClass{c}
	err := e.eachNode(ctx, graph.NodeFilter{Kinds: []graph.Kind{graph.API}, DataClasses: one}, func(n *graph.Node) error {
		df.APIs = append(df.APIs, n.ID)
		in, err := e.edgesOf(ctx, n.ID, false, graph.Exposes)
		if err != nil {
			return err
		}
		for _, ed := range in {
			if kindOf(ed.From) != graph.Service {
				continue
			}
			svcSet[ed.From] = true
			steps = append(steps, FlowStep{From: n.ID, To: ed.From, Kind: ed.Kind, Edge: ed.ID, DataClasses: one, Sources: ed.Sources})
		}
		return nil
	})
	if err != nil {
		return df, err
	}
	err = e.eachNode(ctx, graph.NodeFilter{Kinds: []graph.Kind{graph.Service}, DataClasses: one}, func(n *graph.Node) error {
		svcSet[n.ID] = true
		return nil
	})
	if err != nil {
		return df, err
	}
	stores, tps, toTP := map[graph.ID]bool{}, map[graph.ID]bool{}, map[graph.ID]bool{}
	for _, s := range sortedKeys(svcSet) {
		df.Services = append(df.Services, s)
		out, err := e.edgesOf(ctx, s, true, graph.Reads, graph.Writes, graph.Calls)
		if err != nil {
			return df, err
		}
		for _, ed := range out {
			holds, err := e.holds(ctx, ed, c)
			if err != nil {
				return df, err
			}
			switch {
			case ed.Kind == graph.Writes && holds:
				stores[ed.To] = true
				steps = append(steps, FlowStep{From: s, To: ed.To, Kind: ed.Kind, Edge: ed.ID, DataClasses: one, Sources: ed.Sources})
			case ed.Kind == graph.Reads && holds:
				stores[ed.To] = true
				steps = append(steps, FlowStep{From: ed.To, To: s, Kind: ed.Kind, Edge: ed.ID, DataClasses: one, Sources: ed.Sources})
			case ed.Kind == graph.Calls && kindOf(ed.To) == graph.ThirdParty && (len(ed.DataClasses) == 0 || slices.Contains(ed.DataClasses, c)):
				tps[ed.To], toTP[s] = true, true
				steps = append(steps, FlowStep{From: s, To: ed.To, Kind: ed.Kind, Edge: ed.ID, DataClasses: one, Sources: ed.Sources})
			case ed.Kind == graph.Calls && svcSet[ed.To] && (len(ed.DataClasses) == 0 || slices.Contains(ed.DataClasses, c)):
				steps = append(steps, FlowStep{From: s, To: ed.To, Kind: ed.Kind, Edge: ed.ID, DataClasses: one, Sources: ed.Sources})
			}
		}
	}
	df.DataStores = sortedKeys(stores)
	df.ThirdParties = sortedKeys(tps)
	df.ServicesToThirdParties = sortedKeys(toTP)
	slices.SortFunc(steps, func(a, b FlowStep) int {
		if x := strings.Compare(string(a.From), string(b.From)); x != 0 {
			return x
		}
		if x := strings.Compare(string(a.To), string(b.To)); x != 0 {
			return x
		}
		return strings.Compare(string(a.Kind), string(b.Kind))
	})
	df.Steps = steps
	if df.APIs == nil {
		df.APIs = []graph.ID{}
	}
	return df, nil
}

// holds reports whether a READS/WRITES edge moves class c: the edge lists
// it, or the store holds it.
func (e *Engine) holds(ctx context.Context, ed graph.Edge, c graph.DataClass) (bool, error) {
	if ed.Kind != graph.Reads && ed.Kind != graph.Writes {
		return false, nil
	}
	if slices.Contains(ed.DataClasses, c) {
		return true, nil
	}
	n, err := e.node(ctx, ed.To)
	if err != nil {
		return false, nil
	}
	return slices.Contains(n.DataClasses, c), nil
}
