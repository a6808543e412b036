// Package neo4j is a graph.Store on Neo4j 5, for estates that outgrow one
// machine: the database is a Neo4j server, cluster or Aura instance and the
// riskgraph server in front of it is stateless.
//
// It keeps the embedded store's semantics (graph/memdb; both pass
// graph/storetest): an Apply is one managed write transaction that reads the
// stored state of the batch's elements under write locks, merges in Go with
// graph.MergeNode and graph.MergeEdge (so the merge rules are the model's
// own code, not a Cypher re-implementation), and writes the results back as
// UNWIND batches, one statement per label or relationship type. Labels and
// types come from the model's allow-list only; every statement is in
// cypher.go and checked by Neo4j's front end in the tests.
//
// Differences from the embedded store that callers can observe:
//   - A View is one read transaction. Neo4j isolates at read-committed, so
//     a view that issues several queries while Applies commit can see some
//     of them in later queries; each single query sees whole transactions.
//   - Walk visits a node's neighbours in edge-id order (the embedded store
//     uses insertion order). Both are breadth-first with shortest-path
//     parents.
package neo4j

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/riskgraph/riskgraph/graph"
)

// SchemaVersion is the version of the layout in Neo4j (labels, keys,
// constraints). Open records it and refuses a database with a newer one.
const SchemaVersion = 1

const schemaKey = "riskgraph"

// Store is the Neo4j graph.Store.
type Store struct {
	cfg    Config
	log    *slog.Logger
	driver neo4j.DriverWithContext
	rows   int

	mu     sync.RWMutex
	closed bool
}

var _ graph.Store = (*Store)(nil)

// Open connects, checks the server (reachable, credentials, Neo4j 5.23 or a
// later 5.x, or a 2025+ calendar release), creates the constraints and
// indexes the backend relies on if they do not exist, and records the
// schema version, refusing a database written by a newer riskgraph.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	pw, err := cfg.check()
	if err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RowsPerStatement <= 0 {
		cfg.RowsPerStatement = DefaultRowsPerStatement
	}
	if cfg.SweepBatch <= 0 {
		cfg.SweepBatch = DefaultSweepBatch
	}
	drv, err := neo4j.NewDriverWithContext(cfg.URI, neo4j.BasicAuth(cfg.User, pw, ""))
	if err != nil {
		return nil, mapError("open", err)
	}
	s := &Store{cfg: cfg, log: cfg.Logger, driver: drv, rows: cfg.RowsPerStatement}
	if err := s.start(ctx); err != nil {
		drv.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return s, nil
}

func (s *Store) start(ctx context.Context) error {
	if err := s.driver.VerifyConnectivity(ctx); err != nil {
		return mapError("connect", err)
	}
	info, err := s.driver.GetServerInfo(ctx)
	if err != nil {
		return mapError("connect", err)
	}
	if err := checkServerVersion(info.Agent()); err != nil {
		return err
	}
	sess := s.session(ctx, neo4j.AccessModeWrite)
	defer sess.Close(ctx)
	// Schema statements run one per auto-commit transaction: Neo4j does not
	// mix schema and data changes in one transaction.
	for _, q := range schemaStatements() {
		if _, err := s.autoCommit(ctx, sess, q, nil); err != nil {
			return mapError("create schema", err)
		}
	}
	if _, err := s.autoCommit(ctx, sess, cyAwaitIndexes, map[string]any{"seconds": 300}); err != nil {
		return mapError("await indexes", err)
	}
	_, err = sess.ExecuteWrite(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		recs, err := s.query(ctx, tx.Run, cySchemaRead, map[string]any{"key": schemaKey})
		if err != nil {
			return nil, err
		}
		if len(recs) > 0 {
			v, _ := recs[0].Get("version")
			have, ok := v.(int64)
			if !ok {
				return nil, errorf("open", "the schema version node holds %T, not a version number", v)
			}
			if have > SchemaVersion {
				return nil, errorf("open", "the database was written by a newer riskgraph (schema version %d, this binary knows %d); upgrade riskgraph", have, SchemaVersion)
			}
			if have == SchemaVersion {
				return nil, nil
			}
		}
		_, err = s.query(ctx, tx.Run, cySchemaWrite, map[string]any{"key": schemaKey, "version": int64(SchemaVersion), "now": s.cfg.Now().UTC()})
		return nil, err
	})
	if err != nil {
		return mapError("open", err)
	}
	s.log.Info("neo4j store opened", "config", s.cfg, "server", info.Agent(), "address", info.Address())
	return nil
}

// schemaStatements lists the constraints and indexes in creation order.
func schemaStatements() []string {
	out := []string{cyConstraintRun, cyConstraintSchema}
	for _, k := range graph.Kinds {
		out = append(out, cy.constraintNodeID[k], cy.indexNodeEnv[k], cy.indexNodeName[k])
	}
	for _, k := range graph.EdgeKinds {
		out = append(out, cy.constraintEdgeID[k])
	}
	return out
}

// checkServerVersion accepts Neo4j 5.23 and later 5.x (the statements use
// CALL (…) { } scopes, new in 5.23) and calendar-versioned releases
// (2025.01 and later, Neo4j 5's successors, which still run Cypher 5).
func checkServerVersion(agent string) error {
	product, version, _ := strings.Cut(agent, "/")
	if product != "Neo4j" {
		return errorf("open", "server %q is not Neo4j", agent)
	}
	parts := strings.Split(version, ".")
	major, err1 := strconv.Atoi(parts[0])
	minor := 0
	var err2 error
	if len(parts) > 1 {
		minor, err2 = strconv.Atoi(strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	}
	if err1 != nil || err2 != nil {
		return errorf("open", "cannot read the server version from %q", agent)
	}
	switch {
	case major == 5 && minor >= 23, major >= 2025:
		return nil
	}
	return errorf("open", "server is %s; riskgraph needs Neo4j 5.23 or later (5.26 LTS or a 2025.x release recommended)", agent)
}

func (s *Store) session(ctx context.Context, mode neo4j.AccessMode) neo4j.SessionWithContext {
	return s.driver.NewSession(ctx, neo4j.SessionConfig{AccessMode: mode, DatabaseName: s.cfg.Database})
}

// runFunc is the Run of a transaction, managed or explicit.
type runFunc func(ctx context.Context, cypher string, params map[string]any) (neo4j.ResultWithContext, error)

// query runs a registered statement and collects its records. Every
// statement the package sends goes through here or autoCommit.
func (s *Store) query(ctx context.Context, run runFunc, text string, params map[string]any) ([]*neo4j.Record, error) {
	if !knownStatement(text) {
		return nil, fmt.Errorf("neo4j: refusing a statement that is not in the checked registry")
	}
	res, err := run(ctx, text, params)
	if err != nil {
		return nil, err
	}
	return res.Collect(ctx)
}

// autoCommit runs a registered statement in its own implicit transaction:
// needed for schema statements and CALL { … } IN TRANSACTIONS.
func (s *Store) autoCommit(ctx context.Context, sess neo4j.SessionWithContext, text string, params map[string]any) ([]*neo4j.Record, error) {
	return s.query(ctx, func(ctx context.Context, cypher string, params map[string]any) (neo4j.ResultWithContext, error) {
		return sess.Run(ctx, cypher, params)
	}, text, params)
}

func (s *Store) check() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return graph.ErrClosed
	}
	return nil
}

// maxConstraintRetries bounds how often an Apply that lost a race to create
// the same relationship is retried.
const maxConstraintRetries = 3

// Apply implements graph.Store: one managed write transaction (retried by
// the driver on transient errors, and here when a concurrent Apply created
// the same element first).
func (s *Store) Apply(ctx context.Context, b graph.Batch) (graph.Result, error) {
	if err := ctx.Err(); err != nil {
		return graph.Result{}, err
	}
	if err := s.check(); err != nil {
		return graph.Result{}, err
	}
	verr := b.Validate()
	if b.ObservedAt.IsZero() {
		b.ObservedAt = s.cfg.Now()
	}
	b.ObservedAt = b.ObservedAt.UTC()
	if verr != nil {
		s.markFailed(ctx, b.Scope, b.Run, b.ObservedAt)
		return graph.Result{}, verr
	}
	p := newPlan(&b, s.rows)
	sess := s.session(ctx, neo4j.AccessModeWrite)
	defer sess.Close(ctx)
	for attempt := 0; ; attempt++ {
		out, err := sess.ExecuteWrite(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
			return p.apply(ctx, func(ctx context.Context, text string, params map[string]any) ([]*neo4j.Record, error) {
				return s.query(ctx, tx.Run, text, params)
			}, s.cfg.Now().UTC())
		})
		if err == nil {
			return out.(graph.Result), nil
		}
		if errors.Is(err, graph.ErrInvalid) {
			s.markFailed(ctx, b.Scope, b.Run, b.ObservedAt)
			return graph.Result{}, err
		}
		merr := mapError("apply", err)
		if errors.Is(merr, ErrConstraint) && attempt < maxConstraintRetries && ctx.Err() == nil {
			continue
		}
		s.markFailed(ctx, b.Scope, b.Run, b.ObservedAt)
		return graph.Result{}, merr
	}
}

// markFailed records that run failed in scope, so that Sweep refuses it.
// Best effort: if the server is unreachable the run is not recorded at all,
// and Sweep refuses it as unknown unless another Apply of it succeeded.
func (s *Store) markFailed(ctx context.Context, scope graph.Scope, run graph.RunID, at time.Time) {
	if scope.Source == "" || run == "" {
		return
	}
	ctx = context.WithoutCancel(ctx)
	sess := s.session(ctx, neo4j.AccessModeWrite)
	defer sess.Close(ctx)
	_, err := sess.ExecuteWrite(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		return s.query(ctx, tx.Run, cyRunFail, runParams(scope, run, at, s.cfg.Now().UTC()))
	})
	if err != nil {
		s.log.Warn("could not record a failed run", "scope", scope.String(), "run", run, "err", mapError("record failed run", err))
	}
}

func runKey(scope graph.Scope, run graph.RunID) string {
	return claimScope(scope) + "\x1f" + string(run)
}

func runParams(scope graph.Scope, run graph.RunID, at, now time.Time) map[string]any {
	return map[string]any{"key": runKey(scope, run), "source": scope.Source, "scopeKey": scope.Key,
		"run": string(run), "at": at, "now": now}
}

// Sweep implements graph.Store. The deletes run as CALL { … } IN
// TRANSACTIONS in auto-commit transactions, so a sweep of any size commits
// in bounded pieces. Edges go first, then nodes (with whatever edges other
// scopes still claim on them), as in the embedded store.
func (s *Store) Sweep(ctx context.Context, scope graph.Scope, run graph.RunID) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := s.check(); err != nil {
		return 0, err
	}
	sess := s.session(ctx, neo4j.AccessModeWrite)
	defer sess.Close(ctx)
	failed, err := sess.ExecuteRead(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		recs, err := s.query(ctx, tx.Run, cyRunFind, map[string]any{"key": runKey(scope, run)})
		if err != nil || len(recs) == 0 {
			return nil, err
		}
		f, _ := recs[0].Get("failed")
		if stale, _ := recs[0].Get("stale"); stale == true && f != true {
			return "stale", nil // a newer run of the scope has applied since
		}
		return f == true, nil
	})
	switch {
	case err != nil:
		return 0, mapError("sweep", err)
	case failed == nil:
		return 0, fmt.Errorf("sweep %s run %s: %w", scope, run, graph.ErrUnknownRun)
	case failed == true:
		return 0, fmt.Errorf("sweep %s run %s: %w", scope, run, graph.ErrRunFailed)
	case failed == "stale":
		return 0, fmt.Errorf("sweep %s run %s: %w", scope, run, graph.ErrStaleRun)
	}
	params := map[string]any{"scope": claimScope(scope), "run": string(run), "batch": int64(s.cfg.SweepBatch)}
	removed := 0
	for _, q := range []string{cySweepEdgesDelete, cySweepEdgesPrune, cySweepNodesDelete, cySweepNodesPrune} {
		recs, err := s.autoCommit(ctx, sess, q, params)
		if err != nil {
			return removed, mapError("sweep", err)
		}
		removed += sumInts(recs, "removed", "nodes", "rels")
	}
	return removed, nil
}

// sumInts adds the integer columns named keys over recs (absent or null
// columns count 0).
func sumInts(recs []*neo4j.Record, keys ...string) int {
	n := 0
	for _, r := range recs {
		for _, k := range keys {
			if v, ok := r.Get(k); ok {
				if i, ok := v.(int64); ok {
					n += int(i)
				}
			}
		}
	}
	return n
}

// Read implements graph.Store: the view is one read transaction, routed to
// a reader in a cluster.
func (s *Store) Read(ctx context.Context) (graph.View, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	sess := s.session(ctx, neo4j.AccessModeRead)
	tx, err := sess.BeginTransaction(ctx)
	if err != nil {
		sess.Close(ctx)
		return nil, mapError("read", err)
	}
	return &view{s: s, sess: sess, tx: tx}, nil
}

// Close closes the driver and its connections.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	return mapError("close", s.driver.Close(context.Background()))
}

// wipe deletes everything riskgraph stored, for tests against a live
// server.
func (s *Store) wipe(ctx context.Context) error {
	labels := make([]string, len(graph.Kinds))
	for i, k := range graph.Kinds {
		labels[i] = string(k)
	}
	sess := s.session(ctx, neo4j.AccessModeWrite)
	defer sess.Close(ctx)
	_, err := s.autoCommit(ctx, sess, cyWipe, map[string]any{"labels": labels, "batch": int64(s.cfg.SweepBatch)})
	return mapError("wipe", err)
}
