// Package wire is the JSON shape of the GraphQL BatchInput, shared by the
// server's streaming ingest path and the client that sends batches, so the
// two cannot drift apart.
package wire

import (
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Batch is BatchInput.
type Batch struct {
	Source     string      `json:"source"`
	Scope      string      `json:"scope"`
	Run        graph.RunID `json:"run"`
	Nodes      []Node      `json:"nodes,omitempty"`
	Edges      []Edge      `json:"edges,omitempty"`
	Delete     []graph.ID  `json:"delete,omitempty"`
	ObservedAt *time.Time  `json:"observedAt,omitempty"`
}

// Node is NodeInput.
type Node struct {
	ID          graph.ID          `json:"id"`
	Kind        graph.Kind        `json:"kind"`
	Name        string            `json:"name"`
	Env         string            `json:"env,omitempty"`
	Props       graph.Props       `json:"props,omitempty"`
	DataClasses []graph.DataClass `json:"dataClasses,omitempty"`
	Sources     []graph.Source    `json:"sources,omitempty"`
}

// Edge is EdgeInput.
type Edge struct {
	ID          graph.ID          `json:"id"`
	Kind        graph.EdgeKind    `json:"kind"`
	From        graph.ID          `json:"from"`
	To          graph.ID          `json:"to"`
	Props       graph.Props       `json:"props,omitempty"`
	DataClasses []graph.DataClass `json:"dataClasses,omitempty"`
	Sources     []graph.Source    `json:"sources,omitempty"`
}

// FromBatch converts a graph batch to its wire shape.
func FromBatch(b graph.Batch) Batch {
	w := Batch{Source: b.Scope.Source, Scope: b.Scope.Key, Run: b.Run, Delete: b.Delete,
		Nodes: make([]Node, len(b.Nodes)), Edges: make([]Edge, len(b.Edges))}
	if !b.ObservedAt.IsZero() {
		t := b.ObservedAt
		w.ObservedAt = &t
	}
	for i, n := range b.Nodes {
		w.Nodes[i] = Node{ID: n.ID, Kind: n.Kind, Name: n.Name, Env: n.Env, Props: n.Props, DataClasses: n.DataClasses, Sources: n.Sources}
	}
	for i, e := range b.Edges {
		w.Edges[i] = Edge{ID: e.ID, Kind: e.Kind, From: e.From, To: e.To, Props: e.Props, DataClasses: e.DataClasses, Sources: e.Sources}
	}
	return w
}

// ToBatch converts the wire shape to a graph batch. It empties w's slices
// as it goes so a large batch is not held twice.
func (w *Batch) ToBatch() graph.Batch {
	b := graph.Batch{Scope: graph.Scope{Source: w.Source, Key: w.Scope}, Run: w.Run, Delete: w.Delete}
	if w.ObservedAt != nil {
		b.ObservedAt = *w.ObservedAt
	}
	b.Nodes = make([]graph.Node, len(w.Nodes))
	for i, n := range w.Nodes {
		b.Nodes[i] = graph.Node{ID: n.ID, Kind: n.Kind, Name: n.Name, Env: n.Env, Props: n.Props, DataClasses: n.DataClasses, Sources: n.Sources}
	}
	w.Nodes = nil
	b.Edges = make([]graph.Edge, len(w.Edges))
	for i, e := range w.Edges {
		b.Edges[i] = graph.Edge{ID: e.ID, Kind: e.Kind, From: e.From, To: e.To, Props: e.Props, DataClasses: e.DataClasses, Sources: e.Sources}
	}
	w.Edges = nil
	return b
}
