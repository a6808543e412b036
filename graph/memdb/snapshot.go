package memdb

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// A snapshot file snap-<seq>.rgs holds the whole state as of WAL record seq:
// a header frame, frames of up to snapChunk elements (nodes, then edges, in
// id order), the run book, and an end frame with the totals. Frames use the
// WAL's framing (magic, length, CRC-32C), so a flipped bit anywhere is
// caught. It is written to a temporary file, fsynced and renamed into place.

const (
	snapMagic = "RGSNAP"
	snapChunk = 4096
)

const (
	frameHead byte = iota + 1
	frameNodes
	frameEdges
	frameRuns
	frameEnd
)

func snapName(seq uint64) string { return fmt.Sprintf("snap-%016x.rgs", seq) }

func snapshots(dir string) ([]uint64, error) { return numbered(dir, "snap-", ".rgs") }

// writeSnapshot writes st to disk and then removes what it makes obsolete:
// snapshots older than the previous one and WAL segments the previous one
// no longer needs. The previous snapshot and its WAL are kept so that a
// damaged newest snapshot can be recovered from.
func (s *Store) writeSnapshot(st *state) error {
	start := time.Now()
	final := filepath.Join(s.dir, snapName(st.seq))
	tmp := final + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	err = encodeSnapshot(f, st)
	if err == nil && !s.opt.NoSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err == nil && !s.opt.NoSync {
		err = syncDir(s.dir)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("snapshot %s: %w", final, err)
	}
	s.mu.Lock()
	if st.seq > s.lastSnap {
		s.lastSnap = st.seq
	}
	s.mu.Unlock()
	s.log.Info("snapshot written", "seq", st.seq, "nodes", st.nodes.n, "edges", st.edges.n, "took", time.Since(start).Round(time.Millisecond))
	return s.prune(st.seq)
}

// prune keeps the newest two snapshots and the WAL after the older of them.
func (s *Store) prune(newest uint64) error {
	snaps, err := snapshots(s.dir)
	if err != nil {
		return err
	}
	keep := newest
	for _, q := range snaps {
		if q < newest {
			keep = q // ends as the newest snapshot older than newest
		}
	}
	for _, q := range snaps {
		if q < keep {
			os.Remove(filepath.Join(s.dir, snapName(q)))
		}
	}
	segs, err := segments(s.dir)
	if err != nil {
		return err
	}
	// A segment holds seqs [first, next first). It is obsolete when all of
	// them are covered by the older kept snapshot.
	for i := 0; i+1 < len(segs); i++ {
		if segs[i+1]-1 <= keep {
			os.Remove(filepath.Join(s.dir, segmentName(segs[i])))
		}
	}
	if s.opt.NoSync {
		return nil
	}
	return syncDir(s.dir)
}

func encodeSnapshot(w io.Writer, st *state) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var frameBuf []byte
	put := func(payload []byte) error {
		frameBuf = frame(frameBuf[:0], payload)
		_, err := bw.Write(frameBuf)
		return err
	}
	if _, err := bw.WriteString(snapMagic); err != nil {
		return err
	}
	var e encoder
	e.byte1(frameHead)
	e.uvarint(FormatVersion)
	e.uvarint(st.seq)
	e.uvarint(uint64(st.count.total(st.count.nodes)))
	e.uvarint(uint64(st.count.total(st.count.edges)))
	if err := put(e.b); err != nil {
		return err
	}
	var total [2]uint64
	var body encoder
	n := 0
	flush := func(typ byte) error {
		if n == 0 {
			return nil
		}
		var h encoder
		h.byte1(typ)
		h.uvarint(uint64(n))
		h.b = append(h.b, body.b...)
		n, body.b = 0, body.b[:0]
		return put(h.b)
	}
	// Nodes in id order (so loading inserts into go-memdb in key order),
	// edges in slot order.
	it, err := st.db.Txn(false).Get(tableNodes, indexID)
	if err != nil {
		return err
	}
	ordinal := make([]uint32, st.nodes.n)
	for o := it.Next(); o != nil; o = it.Next() {
		r := o.(*nodeRec)
		ordinal[r.slot] = uint32(total[0])
		if err := body.node(&r.Node); err != nil {
			return err
		}
		n++
		total[0]++
		if n == snapChunk {
			if err := flush(frameNodes); err != nil {
				return err
			}
		}
	}
	if err := flush(frameNodes); err != nil {
		return err
	}
	for i := uint32(0); i < st.edges.n; i++ {
		r := st.edges.at(i)
		if r == nil {
			continue
		}
		if err := body.snapEdge(&r.Edge, ordinal[r.from], ordinal[r.to]); err != nil {
			return err
		}
		n++
		total[1]++
		if n == snapChunk {
			if err := flush(frameEdges); err != nil {
				return err
			}
		}
	}
	if err := flush(frameEdges); err != nil {
		return err
	}
	e.b = e.b[:0]
	e.byte1(frameRuns)
	scopes := make([]graph.Scope, 0, len(st.runs))
	for sc := range st.runs {
		scopes = append(scopes, sc)
	}
	slices.SortFunc(scopes, func(a, b graph.Scope) int { return strings.Compare(a.String(), b.String()) })
	e.uvarint(uint64(len(scopes)))
	for _, sc := range scopes {
		e.str(sc.Source)
		e.str(sc.Key)
		runs := st.runs[sc]
		e.uvarint(uint64(len(runs)))
		for _, r := range runs {
			e.str(string(r.run))
			if r.failed {
				e.byte1(1)
			} else {
				e.byte1(0)
			}
			e.time(r.at)
		}
	}
	if err := put(e.b); err != nil {
		return err
	}
	e.b = e.b[:0]
	e.byte1(frameEnd)
	e.uvarint(total[0])
	e.uvarint(total[1])
	if err := put(e.b); err != nil {
		return err
	}
	return bw.Flush()
}

// loadSnapshot reads a snapshot into a fresh state, or says what is wrong
// with the file.
func (s *Store) loadSnapshot(path string) (err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	name := filepath.Base(path)
	if !strings.HasPrefix(string(data), snapMagic) {
		return fmt.Errorf("%s: not a riskgraph snapshot (bad magic)", name)
	}
	off := len(snapMagic)
	next := func() (byte, *decoder, error) {
		payload, n, err := parseFrame(data[off:])
		if err != nil {
			return 0, nil, fmt.Errorf("%s: frame at byte %d: %v", name, off, err)
		}
		off += n
		if len(payload) == 0 {
			return 0, nil, fmt.Errorf("%s: empty frame at byte %d", name, off)
		}
		return payload[0], &decoder{b: payload[1:]}, nil
	}
	typ, d, err := next()
	if err != nil {
		return err
	}
	if typ != frameHead {
		return fmt.Errorf("%s: missing header", name)
	}
	if v := d.uvarint(); v > FormatVersion {
		return fmt.Errorf("%s: format %d is newer than this riskgraph understands (%d)", name, v, FormatVersion)
	}
	seq := d.uvarint()
	nodeCount, edgeCount := d.uvarint(), d.uvarint()
	if d.err != nil || nodeCount > uint64(len(data)) || edgeCount > uint64(len(data)) {
		return fmt.Errorf("%s: bad header", name)
	}
	// Check every frame first, then decode nodes (into go-memdb) and edges
	// (into records) on two goroutines, then link.
	var nodeFrames, edgeFrames [][]byte
	var runsFrame, endFrame []byte
	for endFrame == nil {
		typ, d, err := next()
		if err != nil {
			return err
		}
		switch typ {
		case frameNodes:
			nodeFrames = append(nodeFrames, d.b)
		case frameEdges:
			edgeFrames = append(edgeFrames, d.b)
		case frameRuns:
			runsFrame = d.b
		case frameEnd:
			endFrame = d.b
		default:
			return fmt.Errorf("%s: unknown frame type %d", name, typ)
		}
	}
	if off != len(data) {
		return fmt.Errorf("%s: %d bytes after the trailer", name, len(data)-off)
	}
	a := s.begin()
	defer func() {
		if err != nil {
			a.abort()
		}
	}()
	// Load into private id maps, sized up front, that replace the store's
	// only when the whole file has been read.
	nodeIDs := make(map[graph.ID]uint32, nodeCount)
	edgeIDs := make(map[graph.ID]uint32, edgeCount)
	a.nodeIDs = idMap{m: nodeIDs}

	type loaded struct {
		recs []*edgeRec
		err  error
	}
	done := make(chan loaded, 1)
	go func() {
		var out loaded
		out.recs = make([]*edgeRec, 0, edgeCount)
		intern := map[string]string{}
		for _, fb := range edgeFrames {
			d := &decoder{b: fb, intern: intern}
			for range d.count() {
				r := &edgeRec{}
				from, to := d.snapEdge(&r.Edge)
				if d.err != nil {
					break
				}
				if from > nodeCount || to > nodeCount || from > 1<<32-1 || to > 1<<32-1 {
					out.err = fmt.Errorf("%s: edge %s names node %d/%d of %d", name, r.ID, from, to, nodeCount)
					done <- out
					return
				}
				r.from, r.to = uint32(from), uint32(to)
				if _, ok := edgeKindIndex[r.Kind]; !ok {
					out.err = fmt.Errorf("%s: edge %s has unknown kind %q", name, r.ID, r.Kind)
					done <- out
					return
				}
				r.slot = uint32(len(out.recs))
				edgeIDs[r.ID] = r.slot
				out.recs = append(out.recs, r)
			}
			if d.err != nil {
				out.err = fmt.Errorf("%s: edge frame: %v", name, d.err)
				break
			}
		}
		done <- out
	}()
	intern := map[string]string{}
	var nodeErr error
	for _, fb := range nodeFrames {
		d := &decoder{b: fb, intern: intern}
		for range d.count() {
			var node graph.Node
			d.node(&node)
			if d.err != nil {
				break
			}
			if err := a.loadNode(&node); err != nil {
				nodeErr = fmt.Errorf("%s: %w", name, err)
				break
			}
		}
		if d.err != nil && nodeErr == nil {
			nodeErr = fmt.Errorf("%s: node frame: %v", name, d.err)
		}
		if nodeErr != nil {
			break
		}
	}
	edges := <-done
	if nodeErr != nil {
		return nodeErr
	}
	if edges.err != nil {
		return edges.err
	}
	if runsFrame != nil {
		d := &decoder{b: runsFrame}
		for range d.count() {
			sc := graph.Scope{Source: d.istr(), Key: d.istr()}
			for range d.count() {
				a.runs = a.runs.with(sc, graph.RunID(d.istr()), d.byte1() == 1, d.time())
			}
		}
		if d.err != nil {
			return fmt.Errorf("%s: runs: %v", name, d.err)
		}
	}
	d = &decoder{b: endFrame}
	nodes, edgeTotal := d.uvarint(), d.uvarint()
	if d.err != nil {
		return fmt.Errorf("%s: trailer: %v", name, d.err)
	}
	if nodes != uint64(a.nodes.n) || edgeTotal != uint64(len(edges.recs)) || nodes != nodeCount {
		return fmt.Errorf("%s: holds %d nodes and %d edges, its trailer says %d and %d", name, a.nodes.n, len(edges.recs), nodes, edgeTotal)
	}
	for _, r := range edges.recs {
		if r.from >= a.nodes.n || r.to >= a.nodes.n {
			return fmt.Errorf("%s: edge %s names a node past the end", name, r.ID)
		}
		a.edges.push(r)
		a.count.edges[edgeKindIndex[r.Kind]]++
	}
	a.linkAll(edges.recs)
	s.publish(a, seq)
	s.nodeIDs = nodeIDs
	s.edgeIDs.mu.Lock()
	s.edgeIDs.m = edgeIDs
	s.edgeIDs.mu.Unlock()
	return nil
}

// loadNode inserts a stored node as it is (no merge): snapshots hold
// finished records.
func (a *applier) loadNode(n *graph.Node) error {
	k, ok := kindIndex[n.Kind]
	if !ok {
		return fmt.Errorf("node %s has unknown kind %q", n.ID, n.Kind)
	}
	rec := &nodeRec{Node: *n}
	rec.slot = a.nodes.push(rec)
	a.adj.grow(rec.slot)
	a.adj.n = a.nodes.n
	a.nodeIDs.put(rec.ID, rec.slot)
	a.count.nodes[k]++
	return a.txn.Insert(tableNodes, rec)
}

// linkAll builds the adjacency of loaded edges. The lists are carved, in
// slot order and with exact capacity, out of one array: as compact as a
// compressed-sparse-row graph, which is what keeps walks fast. A list that
// later grows moves out of the array (its capacity is full), so the array
// is never written past a list's end; it is freed when no list uses it.
func (a *applier) linkAll(edges []*edgeRec) {
	degree := make([]uint32, a.nodes.n)
	for _, r := range edges {
		degree[r.from]++
		degree[r.to]++
	}
	arena := make([]adj, 2*len(edges))
	off := 0
	for slot, d := range degree {
		if d > 0 {
			a.adj.set(uint32(slot), arena[off:off:off+int(d)])
			off += int(d)
		}
	}
	for _, r := range edges {
		from, to := a.nodes.at(r.from), a.nodes.at(r.to)
		r.From, r.To = from.ID, to.ID
		a.link(r, from, to)
	}
}

// recover loads the newest readable snapshot and replays the WAL after it.
func (s *Store) recover() error {
	snaps, err := snapshots(s.dir)
	if err != nil {
		return fmt.Errorf("data dir %s: %w", s.dir, err)
	}
	loaded := false
	var bad []string
	for i := len(snaps) - 1; i >= 0; i-- {
		path := filepath.Join(s.dir, snapName(snaps[i]))
		if err := s.loadSnapshot(path); err != nil {
			s.log.Warn("snapshot unreadable; trying an older one", "file", path, "err", err)
			bad = append(bad, err.Error())
			continue
		}
		loaded = true
		s.lastSnap = snaps[i]
		break
	}
	segs, err := segments(s.dir)
	if err != nil {
		return fmt.Errorf("data dir %s: %w", s.dir, err)
	}
	base := s.cur.Load().seq
	if len(snaps) > 0 && !loaded && (len(segs) == 0 || segs[0] > 1) {
		return fmt.Errorf("data dir %s: no readable snapshot (%s) and the WAL does not reach back to the beginning; restore the data dir from a backup", s.dir, strings.Join(bad, "; "))
	}
	for i, first := range segs {
		path := filepath.Join(s.dir, segmentName(first))
		last := i == len(segs)-1
		if i+1 < len(segs) && segs[i+1]-1 <= base {
			continue // wholly covered by the snapshot
		}
		recs, tornAt, err := readSegment(path)
		if err != nil {
			return fmt.Errorf("data dir %s: %w", s.dir, err)
		}
		if tornAt >= 0 {
			if !last {
				return fmt.Errorf("data dir %s: %s is cut short at byte %d but later segments exist; refusing to drop acknowledged batches", s.dir, filepath.Base(path), tornAt)
			}
			s.log.Warn("dropping a torn record at the end of the WAL (it was never acknowledged)", "file", path, "offset", tornAt)
			if err := os.Truncate(path, tornAt); err != nil {
				return fmt.Errorf("data dir %s: cutting off the torn tail of %s: %w", s.dir, filepath.Base(path), err)
			}
		}
		for _, r := range recs {
			cur := s.cur.Load().seq
			if r.seq <= cur {
				continue
			}
			if r.seq != cur+1 {
				return fmt.Errorf("data dir %s: %s: record %d follows record %d; WAL records are missing", s.dir, filepath.Base(path), r.seq, cur)
			}
			if err := s.replay(r); err != nil {
				return fmt.Errorf("data dir %s: %s byte %d: %w", s.dir, filepath.Base(path), r.offset, err)
			}
		}
	}
	next := s.cur.Load().seq + 1
	if len(segs) > 0 {
		w, err := openSegment(s.dir, segs[len(segs)-1], !s.opt.NoSync)
		if err != nil {
			return err
		}
		s.wal = w
	} else {
		w, err := openSegment(s.dir, next, !s.opt.NoSync)
		if err != nil {
			return fmt.Errorf("data dir %s is not writable: %w", s.dir, err)
		}
		s.wal = w
	}
	return nil
}

// replay applies one WAL record exactly as it was applied the first time.
func (s *Store) replay(r walRecord) error {
	d := &decoder{b: r.body}
	switch r.typ {
	case recBatch:
		b := d.batch()
		if d.err != nil {
			return fmt.Errorf("batch record %d: %v", r.seq, d.err)
		}
		a := s.begin()
		if err := a.batch(&b); err != nil {
			a.abort()
			return fmt.Errorf("batch record %d does not apply: %w", r.seq, err)
		}
		a.runs = a.runs.with(b.Scope, b.Run, false, b.ObservedAt)
		s.publish(a, r.seq)
	case recSweep:
		scope := graph.Scope{Source: d.str(), Key: d.str()}
		run := graph.RunID(d.str())
		if d.err != nil {
			return fmt.Errorf("sweep record %d: %v", r.seq, d.err)
		}
		a := s.begin()
		if _, err := a.sweep(scope, run); err != nil {
			a.abort()
			return fmt.Errorf("sweep record %d does not apply: %w", r.seq, err)
		}
		s.publish(a, r.seq)
	case recRunFailed:
		scope := graph.Scope{Source: d.str(), Key: d.str()}
		run := graph.RunID(d.str())
		at := d.time()
		if d.err != nil {
			return fmt.Errorf("run record %d: %v", r.seq, d.err)
		}
		st := *s.cur.Load()
		st.runs = st.runs.with(scope, run, true, at)
		st.seq = r.seq
		s.cur.Store(&st)
	default:
		return fmt.Errorf("record %d has unknown type %d", r.seq, r.typ)
	}
	return nil
}
