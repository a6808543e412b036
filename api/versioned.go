package api

import (
	"context"
	"sync/atomic"

	"github.com/riskgraph/riskgraph/graph"
)

// Versioned wraps a store and counts its writes, so what the API derives
// from the graph (the catalog, scores) is computed once per version instead
// of once per request. The counter works like a seqlock: odd while a write
// is in flight, so a view opened during a write is never paired with a
// catalog from before it.
//
// It only sees writes made through it. The embedded store is single-process
// (its directory is locked), so that is every write; a Neo4j database may be
// written by other servers, so with Neo4j derived data also expires after
// MaxAge (set by the caller).
type Versioned struct {
	graph.Store
	seq atomic.Uint64
	// shared is true when other processes may write the same database.
	shared bool
}

// NewVersioned wraps st. shared says whether other writers exist.
func NewVersioned(st graph.Store, shared bool) *Versioned {
	return &Versioned{Store: st, shared: shared}
}

// Apply applies b and bumps the version.
func (v *Versioned) Apply(ctx context.Context, b graph.Batch) (graph.Result, error) {
	v.seq.Add(1)
	defer v.seq.Add(1)
	return v.Store.Apply(ctx, b)
}

// Sweep sweeps and bumps the version.
func (v *Versioned) Sweep(ctx context.Context, s graph.Scope, run graph.RunID) (int, error) {
	v.seq.Add(1)
	defer v.seq.Add(1)
	return v.Store.Sweep(ctx, s, run)
}

// ReadVersion opens a view and returns the version it shows, or ok=false
// when a write was in flight (the view is still consistent, but derived
// data must be computed from it directly).
func (v *Versioned) ReadVersion(ctx context.Context) (graph.View, uint64, bool, error) {
	before := v.seq.Load()
	view, err := v.Store.Read(ctx)
	if err != nil {
		return nil, 0, false, err
	}
	after := v.seq.Load()
	return view, before, before == after && before%2 == 0, nil
}
