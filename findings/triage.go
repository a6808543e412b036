package findings

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// TriageScope is the graph.Scope of triage decisions (risk acceptance,
// false positives, reopening expired acceptances).
var TriageScope = graph.Scope{Source: "findings-triage", Key: "triage"}

// Acceptance is a risk exception: who accepts, why, and until when.
type Acceptance struct {
	Owner  string
	Reason string
	Until  time.Time
}

// ErrBadTriage is matched by errors for triage requests that cannot be
// honoured (unknown finding, missing owner or reason, expiry in the past).
var ErrBadTriage = errors.New("bad triage request")

// AcceptRisk marks finding id accepted until acc.Until, recording owner and
// reason in the finding and its status history. now is the clock (for the
// history entry and the expiry check).
func AcceptRisk(ctx context.Context, store graph.Store, id graph.ID, acc Acceptance, now time.Time) (graph.Node, error) {
	if strings.TrimSpace(acc.Owner) == "" || strings.TrimSpace(acc.Reason) == "" {
		return graph.Node{}, fmt.Errorf("%w: accepting a risk needs an owner and a reason", ErrBadTriage)
	}
	if !acc.Until.After(now) {
		return graph.Node{}, fmt.Errorf("%w: expiry %s is not in the future", ErrBadTriage, acc.Until.UTC().Format(time.RFC3339))
	}
	until := acc.Until.UTC().Format(time.RFC3339)
	return triage(ctx, store, id, now, func(old *graph.Node) (graph.Props, error) {
		if old.Props.String("status") == StatusFixed {
			return nil, fmt.Errorf("%w: finding %s is fixed; there is no risk left to accept", ErrBadTriage, id)
		}
		return graph.Props{
			"status":         StatusAccepted,
			"acceptedBy":     acc.Owner,
			"acceptedReason": acc.Reason,
			"acceptedUntil":  until,
			"statusHistory": append(slices.Clone(old.Props.Strings("statusHistory")),
				now.UTC().Format(time.RFC3339)+" "+StatusAccepted+" "+acc.Owner+": "+acc.Reason+" (until "+until+")"),
		}, nil
	})
}

// MarkFalsePositive marks finding id a false positive.
func MarkFalsePositive(ctx context.Context, store graph.Store, id graph.ID, actor, reason string, now time.Time) (graph.Node, error) {
	if strings.TrimSpace(actor) == "" || strings.TrimSpace(reason) == "" {
		return graph.Node{}, fmt.Errorf("%w: marking a false positive needs who and why", ErrBadTriage)
	}
	return triage(ctx, store, id, now, func(old *graph.Node) (graph.Props, error) {
		return graph.Props{
			"status": StatusFalsePositive,
			"statusHistory": append(slices.Clone(old.Props.Strings("statusHistory")),
				now.UTC().Format(time.RFC3339)+" "+StatusFalsePositive+" "+actor+": "+reason),
		}, nil
	})
}

func triage(ctx context.Context, store graph.Store, id graph.ID, now time.Time, change func(*graph.Node) (graph.Props, error)) (graph.Node, error) {
	v, err := store.Read(ctx)
	if err != nil {
		return graph.Node{}, err
	}
	old, err := v.Node(ctx, id)
	v.Close()
	if errors.Is(err, graph.ErrNotFound) || err == nil && old.Kind != graph.Finding {
		return graph.Node{}, fmt.Errorf("%w: no finding %s", ErrBadTriage, id)
	}
	if err != nil {
		return graph.Node{}, err
	}
	props, err := change(&old)
	if err != nil {
		return graph.Node{}, err
	}
	n := graph.Node{ID: id, Kind: graph.Finding, Name: old.Name, Props: props, FirstSeen: old.FirstSeen, LastSeen: old.LastSeen}
	b := graph.Batch{Scope: TriageScope, Run: triageRun(now), Nodes: []graph.Node{n}, ObservedAt: now}
	if _, err := store.Apply(ctx, b); err != nil {
		return graph.Node{}, err
	}
	v, err = store.Read(ctx)
	if err != nil {
		return graph.Node{}, err
	}
	defer v.Close()
	return v.Node(ctx, id)
}

func triageRun(now time.Time) graph.RunID {
	return graph.RunID("triage-" + now.UTC().Format("20060102T150405.000000000Z"))
}

// ReopenExpired reopens every accepted finding whose acceptance expired by
// now, and returns how many it reopened.
func ReopenExpired(ctx context.Context, store graph.Store, now time.Time) (int, error) {
	v, err := store.Read(ctx)
	if err != nil {
		return 0, err
	}
	var b graph.Batch
	err = eachNode(ctx, v, graph.NodeFilter{Kinds: []graph.Kind{graph.Finding}, Props: map[string]any{"status": StatusAccepted}}, func(n *graph.Node) {
		until := n.Props.String("acceptedUntil")
		if !expired(until, now) {
			return
		}
		b.Nodes = append(b.Nodes, graph.Node{ID: n.ID, Kind: graph.Finding, Name: n.Name, FirstSeen: n.FirstSeen, LastSeen: n.LastSeen,
			Props: graph.Props{"status": StatusOpen, "statusHistory": append(slices.Clone(n.Props.Strings("statusHistory")),
				now.UTC().Format(time.RFC3339)+" "+StatusOpen+" reopen-expired: risk acceptance expired "+until)}})
	})
	v.Close()
	if err != nil || len(b.Nodes) == 0 {
		return 0, err
	}
	b.Scope, b.Run, b.ObservedAt = TriageScope, triageRun(now), now
	if _, err := store.Apply(ctx, b); err != nil {
		return 0, err
	}
	return len(b.Nodes), nil
}
