package api

import (
	"context"
	"fmt"
	"runtime"
	"strings"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/internal/auth"
)

// require checks the caller's role.
func require(ctx context.Context, want auth.Role) error {
	if got := auth.RoleOf(ctx); got < want {
		return forbidden("this operation needs the %s role; the token has %s", want, got)
	}
	return nil
}

// batchFromInput converts BatchInput given inline (not through the
// transport's fast path).
func batchFromInput(in BatchInput) (graph.Batch, error) {
	b := graph.Batch{Scope: graph.Scope{Source: in.Source, Key: in.Scope}, Run: graph.RunID(in.Run), Delete: in.Delete}
	if in.ObservedAt != nil {
		b.ObservedAt = *in.ObservedAt
	}
	for i, n := range in.Nodes {
		props, err := graph.NormalizeProps(n.Props)
		if err != nil {
			return b, badInput(fmt.Sprintf("batch.nodes[%d].props", i), "%v", err)
		}
		gn := graph.Node{ID: n.ID, Kind: n.Kind, Name: n.Name, Props: props, DataClasses: n.DataClasses, Sources: toSources(n.Sources)}
		if n.Env != nil {
			gn.Env = *n.Env
		}
		b.Nodes = append(b.Nodes, gn)
	}
	for i, e := range in.Edges {
		props, err := graph.NormalizeProps(e.Props)
		if err != nil {
			return b, badInput(fmt.Sprintf("batch.edges[%d].props", i), "%v", err)
		}
		b.Edges = append(b.Edges, graph.Edge{ID: e.ID, Kind: e.Kind, From: e.From, To: e.To, Props: props,
			DataClasses: e.DataClasses, Sources: toSources(e.Sources)})
	}
	return b, nil
}

func toSources(in []SourceInput) []graph.Source {
	var out []graph.Source
	for _, s := range in {
		src := graph.Source{Agent: s.Agent}
		if s.File != nil {
			src.File = *s.File
		}
		if s.Line != nil {
			src.Line = *s.Line
		}
		if s.Detail != nil {
			src.Detail = *s.Detail
		}
		out = append(out, src)
	}
	return out
}

// bulkElements is the batch size from which ingest collects garbage first.
const bulkElements = 50_000

func (r *Resolver) ingest(ctx context.Context, in BatchInput) (*IngestResult, error) {
	if err := require(ctx, auth.Ingest); err != nil {
		return nil, err
	}
	var b graph.Batch
	if pre, ok := ctx.Value(preDecodedKey{}).(*preDecoded); ok {
		if pre.err != nil {
			return nil, pre.err
		}
		b = pre.batch
	} else {
		var err error
		if b, err = batchFromInput(in); err != nil {
			return nil, err
		}
	}
	if len(b.Nodes)+len(b.Edges) >= bulkElements {
		// A bulk load: collect what decoding it left behind before the
		// store builds its records, so that garbage and the new records do
		// not add up at the peak. A forced collection costs milliseconds
		// next to applying this many elements.
		runtime.GC()
	}
	res, err := r.store.Apply(ctx, b)
	if err != nil {
		return nil, err
	}
	return &IngestResult{NodesCreated: res.NodesCreated, NodesUpdated: res.NodesUpdated,
		EdgesCreated: res.EdgesCreated, EdgesUpdated: res.EdgesUpdated, Deleted: res.Deleted}, nil
}

func (r *Resolver) sweep(ctx context.Context, source, scope string, run graph.ID) (*SweepResult, error) {
	if err := require(ctx, auth.Ingest); err != nil {
		return nil, err
	}
	if strings.TrimSpace(source) == "" || strings.TrimSpace(scope) == "" {
		return nil, badInput("sweep", "source and scope must not be empty")
	}
	n, err := r.store.Sweep(ctx, graph.Scope{Source: source, Key: scope}, graph.RunID(run))
	if err != nil {
		return nil, err
	}
	return &SweepResult{Removed: n}, nil
}

func (r *Resolver) stats(ctx context.Context) (*Stats, error) {
	v, err := r.view(ctx)
	if err != nil {
		return nil, err
	}
	st, err := v.Stats(ctx)
	if err != nil {
		return nil, err
	}
	out := &Stats{Nodes: st.Nodes, Edges: st.Edges, NodesByKind: []KindCount{}, EdgesByKind: []KindCount{}, Runs: []RunInfo{}}
	for _, k := range graph.Kinds {
		if n := st.NodesByKind[k]; n > 0 {
			out.NodesByKind = append(out.NodesByKind, KindCount{Kind: string(k), Count: n})
		}
	}
	for _, k := range graph.EdgeKinds {
		if n := st.EdgesByKind[k]; n > 0 {
			out.EdgesByKind = append(out.EdgesByKind, KindCount{Kind: string(k), Count: n})
		}
	}
	for _, ri := range st.Runs {
		out.Runs = append(out.Runs, RunInfo{Source: ri.Scope.Source, Scope: ri.Scope.Key, Run: graph.ID(ri.Run),
			Failed: ri.Failed, At: optString(ri.At)})
	}
	return out, nil
}
