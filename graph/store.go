package graph

import (
	"context"
	"errors"
)

// Store is a graph backend. It is deliberately small: domain questions
// (exposure, attack paths, blast radius) are answered in scoring/ over a
// View, so a new question never means a new method on every backend.
type Store interface {
	// Apply validates b and applies it atomically: all of it or nothing.
	// Upserts are idempotent. When Apply returns nil the batch is durable.
	Apply(ctx context.Context, b Batch) (Result, error)
	// Sweep removes what scope claimed in earlier runs but run no longer
	// saw, and returns how many elements it removed. It refuses (ErrRunFailed)
	// when any Apply of run failed, and (ErrUnknownRun) when run applied
	// nothing in scope, and (ErrStaleRun) when a newer run has applied in
	// scope since — a failed, partial or superseded run never deletes anything.
	Sweep(ctx context.Context, scope Scope, run RunID) (int, error)
	// Read returns a consistent snapshot: writes after Read are not seen.
	// The caller closes it.
	Read(ctx context.Context) (View, error)
	Close() error
}

// View is a consistent, read-only snapshot of the graph.
type View interface {
	Node(ctx context.Context, id ID) (Node, error) // ErrNotFound when absent
	Edge(ctx context.Context, id ID) (Edge, error) // ErrNotFound when absent
	// Nodes lists nodes matching f in ascending id order, a page at a time.
	Nodes(ctx context.Context, f NodeFilter, p Page) (NodePage, error)
	// Edges lists edges matching f in ascending id order, a page at a time.
	Edges(ctx context.Context, f EdgeFilter, p Page) (EdgePage, error)
	// Walk runs a breadth-first traversal from w.From and calls visit once
	// per reached node, nearest first. It is the one traversal primitive:
	// backends implement it natively (adjacency arrays, Cypher
	// variable-length patterns) and scoring builds paths and radii on it.
	Walk(ctx context.Context, w Walk, visit func(Step) Control) error
	Stats(ctx context.Context) (Stats, error)
	Close() error
}

// Errors every backend returns (wrapped) for the same situations.
var (
	ErrNotFound   = errors.New("not found")
	ErrRunFailed  = errors.New("run had a failed apply; refusing to sweep")
	ErrUnknownRun = errors.New("run applied nothing in this scope; refusing to sweep")
	ErrStaleRun   = errors.New("a newer run has applied in this scope; refusing to sweep an older one")
	ErrClosed     = errors.New("store is closed")
)

// NodeFilter selects nodes. Empty fields match everything; set fields combine
// with AND; list fields match any of their values.
type NodeFilter struct {
	Kinds        []Kind
	IDs          []ID // restrict to these ids
	Env          string
	NameContains string // case-insensitive substring
	DataClasses  []DataClass
	// Props holds exact-match conditions on property values (scalars).
	Props map[string]any
}

// EdgeFilter selects edges.
type EdgeFilter struct {
	Kinds []EdgeKind
	From  ID // edges leaving this node
	To    ID // edges entering this node
}

// Page asks for up to Limit elements with ids greater than After. Paging by
// id keeps pages stable while the graph changes: an element present before
// and after is listed exactly once.
type Page struct {
	After ID
	Limit int // 0 means DefaultPageLimit; capped at MaxPageLimit
}

// Page limits.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 10000
)

// EffectiveLimit returns the limit a backend must apply for p.
func (p Page) EffectiveLimit() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageLimit
	case p.Limit > MaxPageLimit:
		return MaxPageLimit
	}
	return p.Limit
}

// NodePage is one page of nodes.
type NodePage struct {
	Nodes   []Node
	Total   int  // how many nodes match the filter in all
	HasMore bool // whether a page after this one exists
	End     ID   // id of the last node, the After of the next page
}

// EdgePage is one page of edges.
type EdgePage struct {
	Edges   []Edge
	Total   int
	HasMore bool
	End     ID
}

// Direction of a traversal.
type Direction uint8

// Directions.
const (
	Out  Direction = iota // follow edges from → to
	In                    // follow edges to → from
	Both                  // either way
)

// Walk describes a breadth-first traversal.
type Walk struct {
	From     []ID
	Dir      Direction
	Kinds    []EdgeKind // edge kinds to follow; empty follows all
	MaxDepth int        // 0: unbounded
}

// Step is one node reached by a Walk. Start nodes come with Depth 0 and no
// Via. Parent and Via describe one shortest way the node was reached, so a
// caller can rebuild paths by following parents.
type Step struct {
	Node    ID
	Kind    Kind
	Depth   int
	Parent  ID // the node it was reached from
	Via     ID // the edge it was reached over
	ViaKind EdgeKind
}

// Control tells Walk how to go on after a Step.
type Control uint8

// Controls.
const (
	Continue Control = iota // expand this node's neighbours
	Skip                    // do not expand this node, go on with others
	Stop                    // end the walk
)

// Stats counts what a view holds.
type Stats struct {
	Nodes       int              `json:"nodes"`
	Edges       int              `json:"edges"`
	NodesByKind map[Kind]int     `json:"nodesByKind"`
	EdgesByKind map[EdgeKind]int `json:"edgesByKind"`
	// Runs is the last applied run per scope.
	Runs []RunInfo `json:"runs,omitempty"`
}

// RunInfo describes the latest run of a scope.
type RunInfo struct {
	Scope  Scope  `json:"scope"`
	Run    RunID  `json:"run"`
	Failed bool   `json:"failed,omitempty"`
	At     string `json:"at,omitempty"` // RFC 3339
}
