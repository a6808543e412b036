package api

import (
	"context"

	"github.com/riskgraph/riskgraph/graph"
)

// analysis answers risk questions for one request (replaced by the scoring
// engine when it lands).
type analysis struct{}

func (r *Resolver) engine(ctx context.Context) (*analysis, error) { return &analysis{}, nil }

func (a *analysis) riskOf(ctx context.Context, n graph.Node) (*float64, error) { return nil, nil }

func (a *analysis) reachableData(ctx context.Context, finding graph.Node) ([]graph.DataClass, error) {
	return nil, nil
}
