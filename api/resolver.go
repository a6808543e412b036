package api

import (
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/scoring"
)

// Resolver answers the schema over a store. Resolvers stay thin: lists come
// from the catalog (derived per store version), neighbours from the
// request's view, and risk questions from the scoring engine.
type Resolver struct {
	store   *Versioned
	catalog *catalogCache
	engines *engineCache
	limits  Limits
	sbom    SBOMFunc // nil: the sbom field answers FORBIDDEN
}

// NewResolver returns the root resolver for st.
func NewResolver(st *Versioned, l Limits, p scoring.Profile) *Resolver {
	return &Resolver{store: st, catalog: newCatalogCache(st), engines: newEngineCache(st, p), limits: l.withDefaults()}
}

// Store is the store the resolver reads and writes.
func (r *Resolver) Store() graph.Store { return r.store }
