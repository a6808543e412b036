package otel

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/riskgraph/riskgraph/graph"
)

// Accumulate adds what the store already holds for the batch's runtime
// edges to the batch, so that call and error counts are totals over every
// run rather than the last run's (the store's merge lets new property
// values win). Tables are unioned. first/last seen need nothing: the
// store's merge already widens them.
//
// Reading and applying must not interleave with another Accumulate for the
// same store (the OTLP receiver serialises its batches); re-reading the
// same export counts its spans again, which is why the discover command
// says so in its help.
func Accumulate(ctx context.Context, stored EdgeLookup, b *graph.Batch) error {
	for i := range b.Edges {
		e := &b.Edges[i]
		if _, ok := e.Props[PropCalls]; !ok {
			continue
		}
		old, err := stored(ctx, *e)
		if errors.Is(err, graph.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading stored edge %s: %w", e.ID, err)
		}
		calls := e.Props.Int(PropCalls) + old.Props.Int(PropCalls)
		errs := e.Props.Int(PropErrors) + old.Props.Int(PropErrors)
		props := graph.Props{PropCalls: calls, PropErrors: errs, PropErrorRate: ErrorRate(calls, errs)}
		if t := old.Props.Strings(PropTables); len(t) > 0 {
			u := append(slices.Clone(t), e.Props.Strings(PropTables)...)
			slices.Sort(u)
			props[PropTables] = slices.Compact(u)
		} else if t := e.Props.Strings(PropTables); len(t) > 0 {
			props[PropTables] = t
		}
		e.Props = props
	}
	return nil
}

// EdgeLookup returns the stored form of e (graph.ErrNotFound when absent).
type EdgeLookup func(ctx context.Context, e graph.Edge) (graph.Edge, error)

// ViewLookup looks edges up in a view.
func ViewLookup(v graph.View) EdgeLookup {
	return func(ctx context.Context, e graph.Edge) (graph.Edge, error) { return v.Edge(ctx, e.ID) }
}
