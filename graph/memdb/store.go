// Package memdb is riskgraph's embedded graph store: go-memdb tables for
// lookup and ordered listing, copy-on-write adjacency arrays for traversal,
// and a write-ahead log plus snapshots in a data directory for durability.
//
// Shape (after Nomad's state store): the schema is declared once
// (schema.go); every write goes through one transaction helper (applier);
// readers get an immutable state and never block the writer.
//
// Durability: Apply validates, builds the next state in a go-memdb write
// transaction, appends the batch to the WAL and fsyncs it, and only then
// commits and publishes the new state. A crash before the fsync loses an
// unacknowledged batch; a crash after it loses nothing, because recovery
// replays the WAL on top of the newest valid snapshot. Snapshots are written
// in the background from an immutable state while writes go on, and on
// Close.
//
// Recovery policy: a torn record at the end of the WAL is cut off (it was
// never acknowledged). A corrupt record with valid records after it, a gap
// in sequence numbers, or a store written by a newer format makes Open fail
// with an error naming the file. A corrupt newest snapshot falls back to the
// previous one, whose WAL is kept for that purpose.
package memdb

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/riskgraph/riskgraph/graph"
)

// FormatVersion is the on-disk format; Open refuses a directory written by
// a newer one.
const FormatVersion = 1

// Options tune a Store.
type Options struct {
	// SnapshotEvery is the WAL size after which a snapshot is written in the
	// background. Default 64 MiB; negative disables background snapshots.
	SnapshotEvery int64
	// NoSync skips fsync. Only for tests that do not test durability.
	NoSync bool
	Logger *slog.Logger
	// Now is the clock used for batches without ObservedAt.
	Now func() time.Time
}

// Store is the embedded graph.Store.
type Store struct {
	opt Options
	log *slog.Logger
	dir string

	db  *memdb.MemDB // written only under mu
	cur atomic.Pointer[state]
	// nodeIDs maps node ids to slots for the writer only (readers use their
	// memdb snapshot). The writer looks up both ends of every edge it
	// applies; a Go map does that several times faster than a radix tree.
	nodeIDs map[graph.ID]uint32
	edgeIDs *edgeIndex

	mu       sync.Mutex // serialises writers
	closed   bool
	broken   error
	wal      *wal
	walBytes int64 // since the last snapshot started
	enc      encoder
	snapWG   sync.WaitGroup
	snapBusy bool
	lock     *os.File
	lastSnap uint64 // seq of the newest snapshot on disk
}

var _ graph.Store = (*Store)(nil)

type nodeRec struct {
	slot uint32
	graph.Node
}

func (r *nodeRec) key() string { return string(r.ID) }

type edgeRec struct {
	slot, from, to uint32
	graph.Edge
}

func (r *edgeRec) key() string { return string(r.ID) }

// state is one immutable version of the graph.
type state struct {
	db    *memdb.MemDB
	nodes vec[*nodeRec]
	edges vec[*edgeRec]
	adj   vec[[]adj]
	count counts
	runs  runBook
	seq   uint64 // last WAL record applied
}

type counts struct {
	nodes [16]int
	edges [16]int
}

func (counts) total(by [16]int) (n int) {
	for _, c := range by {
		n += c
	}
	return n
}

// runBook keeps the recent runs of each scope, newest last, so that Sweep
// can tell a complete run from a failed or unknown one.
type runBook map[graph.Scope][]runEntry

type runEntry struct {
	run    graph.RunID
	failed bool
	at     time.Time
}

const runsKept = 32

func (rb runBook) find(scope graph.Scope, run graph.RunID) (runEntry, bool) {
	for _, e := range rb[scope] {
		if e.run == run {
			return e, true
		}
	}
	return runEntry{}, false
}

// with returns a copy of rb recording run in scope (failed sticks).
func (rb runBook) with(scope graph.Scope, run graph.RunID, failed bool, at time.Time) runBook {
	out := make(runBook, len(rb)+1)
	for k, v := range rb {
		out[k] = v
	}
	list := slices.Clone(rb[scope])
	i := slices.IndexFunc(list, func(e runEntry) bool { return e.run == run })
	if i >= 0 {
		e := list[i]
		list = slices.Delete(list, i, i+1)
		failed = failed || e.failed
	}
	list = append(list, runEntry{run: run, failed: failed, at: at})
	if len(list) > runsKept {
		list = list[len(list)-runsKept:]
	}
	out[scope] = list
	return out
}

// Open opens or creates the store in dir, recovering from its snapshot and
// WAL. dir "" gives a store that lives only in memory.
func Open(dir string, opt Options) (*Store, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.SnapshotEvery == 0 {
		opt.SnapshotEvery = 64 << 20
	}
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		return nil, fmt.Errorf("memdb schema: %w", err)
	}
	// A Snapshot of a fresh MemDB is a non-primary database: its write
	// transactions skip watch-channel tracking, which riskgraph never uses
	// and which degrades badly past 8,192 changed radix nodes per commit.
	s := &Store{opt: opt, log: opt.Logger, dir: dir, db: db.Snapshot(),
		nodeIDs: map[graph.ID]uint32{}, edgeIDs: &edgeIndex{m: map[graph.ID]uint32{}}}
	st := &state{db: s.db.Snapshot(), runs: runBook{}}
	s.cur.Store(st)
	if dir == "" {
		return s, nil
	}
	if err := s.openDir(); err != nil {
		if s.lock != nil {
			s.lock.Close()
		}
		s.wal.close()
		return nil, err
	}
	return s, nil
}

func (s *Store) openDir() error {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("data dir %s: %w", s.dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(s.dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("data dir %s is not writable: %w", s.dir, err)
	}
	s.lock = lock
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fmt.Errorf("data dir %s is in use by another riskgraph process (%v)", s.dir, err)
	}
	if err := checkFormat(s.dir); err != nil {
		return err
	}
	start := time.Now()
	defer relaxGC(s.dir)()
	if err := s.recover(); err != nil {
		return err
	}
	st := s.cur.Load()
	s.log.Info("store opened", "dir", s.dir, "nodes", st.nodes.n, "seq", st.seq, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// relaxGC turns the proportional garbage collector off while a store is
// recovered, and returns what restores it. Recovery allocates the whole
// graph and produces little garbage, so collecting along the way is wasted
// work (a third of the time to open a million-node store). A memory limit of
// several times the size of the files on disk keeps a machine that is short
// of memory collecting anyway; a lower GOMEMLIMIT set by the user wins. Both
// settings are process-wide, hence restored at once.
func relaxGC(dir string) func() {
	var size int64
	if ents, err := os.ReadDir(dir); err == nil {
		for _, e := range ents {
			if info, err := e.Info(); err == nil {
				size += info.Size()
			}
		}
	}
	prevLimit := debug.SetMemoryLimit(-1)
	limit := 8*size + 1<<30
	if prevLimit < limit {
		limit = prevLimit
	}
	debug.SetMemoryLimit(limit)
	prevGC := debug.SetGCPercent(-1)
	return func() {
		debug.SetGCPercent(prevGC)
		debug.SetMemoryLimit(prevLimit)
	}
}

func checkFormat(dir string) error {
	path := filepath.Join(dir, "FORMAT")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(strconv.Itoa(FormatVersion)+"\n"), 0o644); err != nil {
			return fmt.Errorf("data dir %s is not writable: %w", dir, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("data dir %s: %w", dir, err)
		}
		return syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("data dir %s: %w", dir, err)
	}
	v, err := strconv.Atoi(string(trimSpace(b)))
	if err != nil {
		return fmt.Errorf("%s: %q is not a format version", path, b)
	}
	if v > FormatVersion {
		return fmt.Errorf("%s: store format %d is newer than this riskgraph understands (%d); upgrade riskgraph", path, v, FormatVersion)
	}
	return nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func (s *Store) check() error {
	if s.closed {
		return graph.ErrClosed
	}
	if s.broken != nil {
		return s.broken
	}
	return nil
}

// Apply implements graph.Store.
func (s *Store) Apply(ctx context.Context, b graph.Batch) (graph.Result, error) {
	if err := ctx.Err(); err != nil {
		return graph.Result{}, err
	}
	verr := b.Validate()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(); err != nil {
		return graph.Result{}, err
	}
	if b.ObservedAt.IsZero() {
		b.ObservedAt = s.opt.Now()
	}
	b.ObservedAt = b.ObservedAt.UTC()
	if verr == nil {
		verr = b.CheckEndpoints(func(id graph.ID) bool {
			_, ok := s.nodeIDs[id]
			return ok
		})
	}
	if verr != nil {
		s.markFailed(b.Scope, b.Run, b.ObservedAt)
		return graph.Result{}, verr
	}
	seq := s.cur.Load().seq + 1
	// Encode the WAL record on another core while the batch is applied in
	// memory: both only read the batch.
	// An in-memory store (no directory) has no WAL: encoding a record
	// nobody writes cost a 410k-element import a second and a gigabyte.
	var e *encoder
	encoded := make(chan error, 1)
	if s.dir != "" {
		e = s.record(recBatch, seq)
		go func() { encoded <- e.batch(&b) }()
	} else {
		encoded <- nil
	}
	a := s.begin()
	err := a.batch(&b)
	if eerr := <-encoded; err == nil {
		err = eerr
	}
	if err != nil {
		a.abort()
		if errors.Is(err, graph.ErrInvalid) {
			s.markFailed(b.Scope, b.Run, b.ObservedAt)
		}
		return graph.Result{}, err
	}
	if e != nil {
		if err := s.logRecord(e.b); err != nil {
			a.abort()
			return graph.Result{}, err
		}
	}
	a.runs = a.runs.with(b.Scope, b.Run, false, b.ObservedAt)
	s.publish(a, seq)
	s.maybeSnapshot()
	return a.res, nil
}

// markFailed records that run failed in scope, durably when possible, so
// that a later Sweep of that run refuses even after a restart.
func (s *Store) markFailed(scope graph.Scope, run graph.RunID, at time.Time) {
	if scope.Source == "" || run == "" {
		return
	}
	st := s.cur.Load()
	if e, ok := st.runs.find(scope, run); ok && e.failed {
		return
	}
	seq := st.seq + 1
	e := s.record(recRunFailed, seq)
	e.str(scope.Source)
	e.str(scope.Key)
	e.str(string(run))
	e.time(at)
	next := *st
	next.runs = st.runs.with(scope, run, true, at)
	if err := s.logRecord(e.b); err != nil {
		// Kept in memory only; the sequence must not advance without a record.
		s.log.Warn("could not record failed run", "scope", scope.String(), "run", run, "err", err)
	} else {
		next.seq = seq
	}
	s.cur.Store(&next)
}

// record starts a WAL record of type typ in the store's reusable buffer,
// with room for the frame header. Called with mu held.
func (s *Store) record(typ byte, seq uint64) *encoder {
	if cap(s.enc.b) > 64<<20 {
		s.enc.b = nil // do not pin a huge buffer after one huge batch
	}
	s.enc.b = append(s.enc.b[:0], make([]byte, frameHeader)...)
	s.enc.byte1(typ)
	s.enc.uvarint(seq)
	return &s.enc
}

func (s *Store) logRecord(rec []byte) error {
	if s.wal == nil {
		return nil
	}
	if err := s.wal.append(rec); err != nil {
		if errors.Is(err, errBroken) {
			s.broken = err
		}
		return err
	}
	s.walBytes += int64(len(rec))
	return nil
}

// Sweep implements graph.Store.
func (s *Store) Sweep(ctx context.Context, scope graph.Scope, run graph.RunID) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(); err != nil {
		return 0, err
	}
	st := s.cur.Load()
	e, ok := st.runs.find(scope, run)
	switch {
	case !ok:
		return 0, fmt.Errorf("sweep %s run %s: %w", scope, run, graph.ErrUnknownRun)
	case e.failed:
		return 0, fmt.Errorf("sweep %s run %s: %w", scope, run, graph.ErrRunFailed)
	case st.runs[scope][len(st.runs[scope])-1].run != run:
		return 0, fmt.Errorf("sweep %s run %s: %w", scope, run, graph.ErrStaleRun)
	}
	seq := st.seq + 1
	a := s.begin()
	n, err := a.sweep(scope, run)
	if err != nil || (n == 0 && !a.changed) {
		a.abort()
		return 0, err
	}
	enc := s.record(recSweep, seq)
	enc.str(scope.Source)
	enc.str(scope.Key)
	enc.str(string(run))
	if err := s.logRecord(enc.b); err != nil {
		a.abort()
		return 0, err
	}
	s.publish(a, seq)
	s.maybeSnapshot()
	return n, nil
}

// Read implements graph.Store.
func (s *Store) Read(ctx context.Context) (graph.View, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, graph.ErrClosed
	}
	return &view{st: s.cur.Load(), edges: s.edgeIDs}, nil
}

// Close writes a final snapshot (so the next Open is fast), closes the WAL
// and releases the data directory.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.snapWG.Wait()
	var err error
	if s.wal != nil && s.broken == nil {
		st := s.cur.Load()
		if st.seq > s.lastSnap {
			err = s.rotateAndSnapshot(st)
		}
	}
	if cerr := s.wal.close(); cerr != nil && err == nil {
		err = cerr
	}
	if s.lock != nil {
		s.lock.Close()
	}
	return err
}

// Snapshot writes a snapshot of the current state now and waits for it.
func (s *Store) Snapshot() error {
	s.mu.Lock()
	for s.snapBusy {
		s.mu.Unlock()
		s.snapWG.Wait()
		s.mu.Lock()
	}
	if err := s.check(); err != nil || s.wal == nil {
		s.mu.Unlock()
		return err
	}
	st := s.cur.Load()
	if err := s.rotate(st.seq + 1); err != nil {
		s.mu.Unlock()
		return err
	}
	s.snapBusy = true
	s.mu.Unlock()
	err := s.writeSnapshot(st)
	s.mu.Lock()
	s.snapBusy = false
	s.mu.Unlock()
	return err
}

// maybeSnapshot starts a background snapshot when the WAL has grown past
// SnapshotEvery. Called with mu held.
func (s *Store) maybeSnapshot() {
	if s.wal == nil || s.opt.SnapshotEvery < 0 || s.snapBusy || s.walBytes < s.opt.SnapshotEvery {
		return
	}
	st := s.cur.Load()
	if err := s.rotate(st.seq + 1); err != nil {
		s.log.Error("snapshot: rotating the WAL failed; will retry", "err", err)
		return
	}
	s.snapBusy = true
	s.snapWG.Add(1)
	go func() {
		defer s.snapWG.Done()
		err := s.writeSnapshot(st)
		s.mu.Lock()
		s.snapBusy = false
		s.mu.Unlock()
		if err != nil {
			s.log.Error("background snapshot failed; the WAL keeps everything", "err", err)
		}
	}()
}

// rotate starts a new WAL segment whose first record will be next.
func (s *Store) rotate(next uint64) error {
	if s.wal != nil && s.wal.size == 0 && s.wal.first == next {
		return nil
	}
	w, err := openSegment(s.dir, next, !s.opt.NoSync)
	if err != nil {
		return err
	}
	old := s.wal
	s.wal = w
	s.walBytes = 0
	return old.close()
}

func (s *Store) rotateAndSnapshot(st *state) error {
	if err := s.rotate(st.seq + 1); err != nil {
		return err
	}
	return s.writeSnapshot(st)
}

// begin starts a write transaction on the current state. Called with mu held.
func (s *Store) begin() *applier {
	st := s.cur.Load()
	return &applier{
		txn:     s.db.Txn(true),
		nodes:   st.nodes.txn(),
		edges:   st.edges.txn(),
		adj:     st.adj.txn(),
		count:   st.count,
		runs:    st.runs,
		nodeIDs: idMap{m: s.nodeIDs, keep: true},
		edgeIDs: idMap{m: s.edgeIDs.m, mu: &s.edgeIDs.mu},
	}
}

func (s *Store) publish(a *applier, seq uint64) {
	a.txn.Commit()
	s.cur.Store(&state{
		db:    s.db.Snapshot(),
		nodes: a.nodes.commit(),
		edges: a.edges.commit(),
		adj:   a.adj.commit(),
		count: a.count,
		runs:  a.runs,
		seq:   seq,
	})
}

// applier builds the next state inside one go-memdb write transaction.
type applier struct {
	txn     *memdb.Txn
	nodes   *vecTxn[*nodeRec]
	edges   *vecTxn[*edgeRec]
	adj     *vecTxn[[]adj]
	count   counts
	runs    runBook
	res     graph.Result
	changed bool
	nodeIDs idMap
	edgeIDs idMap
}

// idMap is a transaction's access to an id → slot map. Writes go straight
// into the map; for the node map an undo log restores it on abort. The edge
// map is shared with readers and is never undone: an entry left by an
// aborted batch points at a slot that holds another edge or nothing, and
// every lookup checks the record's id (see edgeIndex).
type idMap struct {
	m    map[graph.ID]uint32
	mu   *sync.RWMutex // set for the shared edge map
	undo []undoEntry   // node map only
	keep bool          // record undo entries
}

type undoEntry struct {
	id      graph.ID
	slot    uint32
	existed bool
}

func (o *idMap) get(id graph.ID) (uint32, bool) {
	v, ok := o.m[id] // only the writer mutates the map, so it reads without the lock
	return v, ok
}

func (o *idMap) put(id graph.ID, slot uint32) {
	if o.keep {
		old, existed := o.m[id]
		o.undo = append(o.undo, undoEntry{id, old, existed})
	}
	if o.mu != nil {
		o.mu.Lock()
		o.m[id] = slot
		o.mu.Unlock()
		return
	}
	o.m[id] = slot
}

func (o *idMap) remove(id graph.ID) {
	old, existed := o.m[id]
	if !existed {
		return
	}
	if o.keep {
		o.undo = append(o.undo, undoEntry{id, old, true})
	}
	delete(o.m, id)
}

// rollback restores the node map as it was before the transaction.
func (o *idMap) rollback() {
	for i := len(o.undo) - 1; i >= 0; i-- {
		u := o.undo[i]
		if u.existed {
			o.m[u.id] = u.slot
		} else {
			delete(o.m, u.id)
		}
	}
	o.undo = nil
}

// edgeIndex maps edge ids to slots for writer and readers alike. An id keeps
// its slot for the life of the process, also after the edge is deleted
// (re-creating it reuses the slot), so a reader resolves an id through the
// latest map and then reads the slot in its own version of the edge array:
// nil, out of range or a record with another id means absent in that
// version. Deleted ids are dropped when a snapshot is loaded.
type edgeIndex struct {
	mu sync.RWMutex
	m  map[graph.ID]uint32
}

func (x *edgeIndex) get(id graph.ID) (uint32, bool) {
	x.mu.RLock()
	v, ok := x.m[id]
	x.mu.RUnlock()
	return v, ok
}

func (a *applier) abort() {
	a.txn.Abort()
	a.nodeIDs.rollback()
}

func (a *applier) node(id graph.ID) *nodeRec {
	if slot, ok := a.nodeIDs.get(id); ok {
		return a.nodes.at(slot)
	}
	return nil
}

func (a *applier) edge(id graph.ID) *edgeRec {
	if slot, ok := a.edgeIDs.get(id); ok && slot < a.edges.n {
		if r := a.edges.at(slot); r != nil && r.ID == id {
			return r
		}
	}
	return nil
}

func (a *applier) batch(b *graph.Batch) error {
	claim := graph.Claim{Scope: b.Scope, Run: b.Run}
	for _, id := range b.Delete {
		if err := a.deleteID(id); err != nil {
			return err
		}
	}
	for _, i := range sortedOrder(len(b.Nodes), func(i int) graph.ID { return b.Nodes[i].ID }) {
		if err := a.upsertNode(&b.Nodes[i], claim, b.ObservedAt); err != nil {
			return err
		}
	}
	for i := range b.Edges { // edges are not in go-memdb: no need to sort
		if err := a.upsertEdge(&b.Edges[i], claim, b.ObservedAt, i); err != nil {
			return err
		}
	}
	return nil
}

// sortedOrder returns 0..n-1 ordered by id, stable for duplicates. Inserting
// in key order keeps go-memdb's per-transaction node cache hot, which is
// what makes 50,000-element batches cheap.
func sortedOrder(n int, id func(int) graph.ID) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return cmp.Compare(id(x), id(y)) })
	return order
}

func (a *applier) deleteID(id graph.ID) error {
	if _, ok := id.KindOf(); ok {
		if r := a.node(id); r != nil {
			return a.deleteNode(r)
		}
		return nil
	}
	if r := a.edge(id); r != nil {
		a.deleteEdge(r)
	}
	return nil
}

func (a *applier) deleteNode(r *nodeRec) error {
	for _, e := range slices.Clone(a.adj.at(r.slot)) {
		if er := a.edges.at(e.edge); er != nil {
			a.deleteEdge(er)
		}
	}
	if err := a.txn.Delete(tableNodes, r); err != nil {
		return fmt.Errorf("delete node %s: %w", r.ID, err)
	}
	a.nodes.set(r.slot, nil)
	a.adj.set(r.slot, nil)
	a.nodeIDs.remove(r.ID)
	a.count.nodes[kindIndex[r.Kind]]--
	a.res.Deleted++
	return nil
}

func (a *applier) deleteEdge(r *edgeRec) {
	a.unlink(r)
	a.edges.set(r.slot, nil) // the id keeps its slot, see edgeIndex
	a.count.edges[edgeKindIndex[r.Kind]]--
	a.res.Deleted++
}

func (a *applier) unlink(r *edgeRec) {
	a.adj.set(r.from, removeAdj(a.adj.at(r.from), r.slot))
	if r.to != r.from {
		a.adj.set(r.to, removeAdj(a.adj.at(r.to), r.slot))
	}
}

func (a *applier) upsertNode(n *graph.Node, c graph.Claim, seen time.Time) error {
	old := a.node(n.ID)
	var rec *nodeRec
	if old == nil {
		rec = &nodeRec{Node: graph.MergeNode(nil, n, c, seen)}
		rec.slot = a.nodes.push(rec)
		a.adj.grow(rec.slot)
		a.adj.n = a.nodes.n
		a.nodeIDs.put(rec.ID, rec.slot)
		a.count.nodes[kindIndex[rec.Kind]]++
		a.res.NodesCreated++
	} else {
		if old.Kind != n.Kind {
			return fmt.Errorf("%w: node %s is a %s, not a %s", graph.ErrInvalid, n.ID, old.Kind, n.Kind)
		}
		rec = &nodeRec{slot: old.slot, Node: graph.MergeNode(&old.Node, n, c, seen)}
		rec.ID = old.ID
		a.nodes.set(rec.slot, rec)
		a.res.NodesUpdated++
	}
	if err := a.txn.Insert(tableNodes, rec); err != nil {
		return fmt.Errorf("insert node %s: %w", n.ID, err)
	}
	return nil
}

func (a *applier) upsertEdge(e *graph.Edge, c graph.Claim, seen time.Time, i int) error {
	from, to := a.node(e.From), a.node(e.To)
	if from == nil || to == nil {
		return fmt.Errorf("%w: edges[%d] (id %s): dangling endpoint", graph.ErrInvalid, i, e.ID)
	}
	old := a.edge(e.ID)
	var rec *edgeRec
	if old == nil {
		rec = &edgeRec{from: from.slot, to: to.slot, Edge: graph.MergeEdge(nil, e, c, seen)}
		if slot, ok := a.edgeIDs.get(e.ID); ok && slot < a.edges.n && a.edges.at(slot) == nil {
			rec.slot = slot // deleted earlier: the id keeps its slot
			a.edges.set(slot, rec)
		} else {
			rec.slot = a.edges.push(rec)
			a.edgeIDs.put(rec.ID, rec.slot)
		}
		a.count.edges[edgeKindIndex[rec.Kind]]++
		a.res.EdgesCreated++
	} else {
		rec = &edgeRec{slot: old.slot, from: from.slot, to: to.slot, Edge: graph.MergeEdge(&old.Edge, e, c, seen)}
		rec.ID = old.ID
		a.edges.set(rec.slot, rec)
		a.res.EdgesUpdated++
		if old.from == from.slot && old.to == to.slot {
			rec.From, rec.To = from.ID, to.ID
			return nil
		}
		a.unlink(old)
	}
	// Share the endpoint id strings with the node records.
	rec.From, rec.To = from.ID, to.ID
	a.link(rec, from, to)
	return nil
}

// link appends the edge to both ends' adjacency lists. When a backing array
// has spare capacity the entry is written in place: the versions readers
// hold end before that index, so they never see it (and an aborted writer's
// entry is simply overwritten by the next one).
func (a *applier) link(rec *edgeRec, from, to *nodeRec) {
	k := edgeKindIndex[rec.Kind]
	a.adj.set(from.slot, append(a.adj.at(from.slot), adj{otherID: to.ID, edgeID: rec.ID, edge: rec.slot, other: to.slot, kind: k, okind: kindIndex[to.Kind], out: true}))
	a.adj.set(to.slot, append(a.adj.at(to.slot), adj{otherID: from.ID, edgeID: rec.ID, edge: rec.slot, other: from.slot, kind: k, okind: kindIndex[from.Kind], out: false}))
}

// sweep drops scope's claims from older runs and removes what is left
// unclaimed. It returns the number of elements removed.
func (a *applier) sweep(scope graph.Scope, run graph.RunID) (int, error) {
	before := a.res.Deleted
	// Edges first, then nodes: an edge can lose its claim while both its
	// ends stay; a removed node takes its remaining edges with it.
	for i := uint32(0); i < a.edges.n; i++ {
		r := a.edges.at(i)
		if r == nil {
			continue
		}
		rest, changed, remove := graph.SweepClaims(r.Claims, scope, run)
		switch {
		case remove:
			a.deleteEdge(r)
		case changed:
			nr := *r
			nr.Claims = rest
			a.edges.set(i, &nr)
			a.changed = true
		}
	}
	for i := uint32(0); i < a.nodes.n; i++ {
		r := a.nodes.at(i)
		if r == nil {
			continue
		}
		rest, changed, remove := graph.SweepClaims(r.Claims, scope, run)
		switch {
		case remove:
			if err := a.deleteNode(r); err != nil {
				return 0, err
			}
		case changed:
			nr := *r
			nr.Claims = rest
			a.nodes.set(i, &nr)
			if err := a.txn.Insert(tableNodes, &nr); err != nil {
				return 0, fmt.Errorf("sweep: node %s: %w", r.ID, err)
			}
			a.changed = true
		}
	}
	return a.res.Deleted - before, nil
}
