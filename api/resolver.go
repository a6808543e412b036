package api

import (
	"github.com/riskgraph/riskgraph/graph"
)

// Resolver answers the schema over a store. Resolvers stay thin: lists come
// from the catalog (derived per store version), neighbours from the
// request's view, and risk questions from the scoring engine.
type Resolver struct {
	store   *Versioned
	catalog *catalogCache
	limits  Limits
}

// NewResolver returns the root resolver for st.
func NewResolver(st *Versioned, l Limits) *Resolver {
	return &Resolver{store: st, catalog: newCatalogCache(st), limits: l.withDefaults()}
}

// Store is the store the resolver reads and writes.
func (r *Resolver) Store() graph.Store { return r.store }
