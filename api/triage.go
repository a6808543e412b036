package api

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/riskgraph/riskgraph/findings"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/internal/auth"
)

// Triage mutations go through the findings package, which owns the
// lifecycle rules (who may accept what, history entries, expiry), and write
// through the versioned store so catalogs and scores see the new status.

// triageClock is the clock triage decisions are stamped with (tests pin it).
var triageClock = time.Now

func triageError(field string, err error) error {
	if errors.Is(err, findings.ErrBadTriage) {
		msg := strings.TrimPrefix(err.Error(), findings.ErrBadTriage.Error()+": ")
		if strings.HasPrefix(msg, "no finding ") {
			return notFound("%s", msg)
		}
		return badInput(field, "%s", msg)
	}
	return err
}

func (r *Resolver) acceptRisk(ctx context.Context, id graph.ID, owner, reason string, until time.Time) (*Finding, error) {
	if err := require(ctx, auth.Admin); err != nil {
		return nil, err
	}
	n, err := findings.AcceptRisk(ctx, r.store, id, findings.Acceptance{Owner: owner, Reason: reason, Until: until}, triageClock())
	if err != nil {
		return nil, triageError("acceptRisk", err)
	}
	return &Finding{nodeBase{n}}, nil
}

func (r *Resolver) markFalsePositive(ctx context.Context, id graph.ID, actor, reason string) (*Finding, error) {
	if err := require(ctx, auth.Admin); err != nil {
		return nil, err
	}
	n, err := findings.MarkFalsePositive(ctx, r.store, id, actor, reason, triageClock())
	if err != nil {
		return nil, triageError("markFalsePositive", err)
	}
	return &Finding{nodeBase{n}}, nil
}

func (r *Resolver) reopenExpired(ctx context.Context) (int, error) {
	if err := require(ctx, auth.Admin); err != nil {
		return 0, err
	}
	return findings.ReopenExpired(ctx, r.store, triageClock())
}
