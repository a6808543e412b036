package memdb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// The durability tests crash the store for real: a child process (this
// test binary, re-executed) applies batches and prints "ack N" after each
// Apply returns; the parent kills it with SIGKILL at a random moment and
// checks the recovered store.

const crashEnv = "RISKGRAPH_CRASH_CHILD"

// genBatch is generation g: a service with its own APIs and an edge to the
// previous generation's service. All of it or none of it must be visible.
func genBatch(g int) graph.Batch {
	svc := graph.ServiceID("prod", fmt.Sprintf("gen-%d", g))
	b := graph.Batch{Scope: graph.Scope{Source: "crash", Key: "k"}, Run: "r",
		Nodes: []graph.Node{{ID: svc, Kind: graph.Service, Name: fmt.Sprintf("gen-%d", g), Props: graph.Props{"gen": int64(g)}}}}
	for i := range apisPerGen {
		api := graph.APIID(svc, "GET", fmt.Sprintf("/v1/items/%d", i))
		b.Nodes = append(b.Nodes, graph.Node{ID: api, Kind: graph.API, Name: fmt.Sprintf("GET /v1/items/%d", i), Props: graph.Props{"gen": int64(g)}})
		b.Edges = append(b.Edges, graph.NewEdge(graph.Exposes, svc, api))
	}
	if g > 0 {
		b.Edges = append(b.Edges, graph.NewEdge(graph.Calls, svc, graph.ServiceID("prod", fmt.Sprintf("gen-%d", g-1))))
	}
	return b
}

const apisPerGen = 40

// crashChild runs in the child process until it is killed.
func crashChild(dir string) {
	s, err := Open(dir, Options{SnapshotEvery: 48 << 10}) // snapshots happen while it runs
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	start := nextGen(s)
	out := bufio.NewWriter(os.Stdout)
	for g := start; ; g++ {
		if _, err := s.Apply(context.Background(), genBatch(g)); err != nil {
			fmt.Fprintln(out, "error:", err)
			out.Flush()
			os.Exit(4)
		}
		fmt.Fprintf(out, "ack %d\n", g)
		out.Flush()
	}
}

func nextGen(s *Store) int {
	v, _ := s.Read(context.Background())
	st, _ := v.Stats(context.Background())
	return st.NodesByKind[graph.Service]
}

// checkGenerations verifies that generations 0..n-1 are complete and that
// nothing else exists, and returns n.
func checkGenerations(t *testing.T, s *Store) int {
	t.Helper()
	ctx := context.Background()
	v, _ := s.Read(ctx)
	st, _ := v.Stats(ctx)
	n := st.NodesByKind[graph.Service]
	wantEdges := n * apisPerGen
	if n > 0 {
		wantEdges += n - 1
	}
	if st.NodesByKind[graph.API] != n*apisPerGen || st.Edges != wantEdges {
		t.Fatalf("partial batch visible: %d services, %d APIs, %d edges", n, st.NodesByKind[graph.API], st.Edges)
	}
	for g := range n {
		if _, err := v.Node(ctx, graph.ServiceID("prod", fmt.Sprintf("gen-%d", g))); err != nil {
			t.Fatalf("generation %d missing: %v", g, err)
		}
	}
	return n
}

func TestKillDuringApplies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 60 kill -9 cycles; skipped with -short")
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(7, 11))
	acked := -1
	for cycle := range 60 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after a random number of acknowledged batches, sometimes
		// before the first one (during recovery or the first write).
		killAfter := r.IntN(25)
		sc := bufio.NewScanner(stdout)
		got := 0
		deadline := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
		if killAfter == 0 {
			time.Sleep(time.Duration(r.IntN(20)) * time.Millisecond)
		} else {
			for sc.Scan() {
				line := sc.Text()
				if g, ok := strings.CutPrefix(line, "ack "); ok {
					n, _ := strconv.Atoi(g)
					acked = max(acked, n)
					if got++; got >= killAfter {
						break
					}
					continue
				}
				t.Fatalf("cycle %d: child said %q", cycle, line)
			}
		}
		cmd.Process.Signal(os.Kill)
		cmd.Wait()
		deadline.Stop()

		s, err := Open(dir, Options{SnapshotEvery: -1})
		if err != nil {
			t.Fatalf("cycle %d: reopen after kill: %v", cycle, err)
		}
		n := checkGenerations(t, s)
		if n < acked+1 {
			t.Fatalf("cycle %d: acknowledged generation %d lost (only %d present)", cycle, acked, n)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		acked = n - 1 // the child continues from what is there
	}
	if acked < 50 {
		t.Fatalf("only %d generations written in 60 cycles; the test did not exercise much", acked+1)
	}
}

// crash abandons a store as a killed process would: no snapshot, no close
// of the WAL beyond what the OS does.
func crash(s *Store) {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.snapWG.Wait()
	s.wal.close()
	s.lock.Close()
}

func openT(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{SnapshotEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func applyGens(t *testing.T, s *Store, from, to int) {
	t.Helper()
	for g := from; g < to; g++ {
		if _, err := s.Apply(context.Background(), genBatch(g)); err != nil {
			t.Fatal(err)
		}
	}
}

func lastSegment(t *testing.T, dir string) string {
	segs, err := segments(dir)
	if err != nil || len(segs) == 0 {
		t.Fatalf("no WAL segments: %v", err)
	}
	return filepath.Join(dir, segmentName(segs[len(segs)-1]))
}

func TestTornWALTailIsDropped(t *testing.T) {
	for _, cut := range []int64{1, 5, frameHeader, 100} {
		t.Run(fmt.Sprint("cut ", cut), func(t *testing.T) {
			dir := t.TempDir()
			s := openT(t, dir)
			applyGens(t, s, 0, 5)
			crash(s)
			seg := lastSegment(t, dir)
			st, _ := os.Stat(seg)
			if err := os.Truncate(seg, st.Size()-cut); err != nil {
				t.Fatal(err)
			}
			s = openT(t, dir)
			defer s.Close()
			if n := checkGenerations(t, s); n != 4 {
				t.Fatalf("after a torn last record: %d generations, want 4", n)
			}
			applyGens(t, s, 4, 6) // and the log goes on cleanly
			if n := checkGenerations(t, s); n != 6 {
				t.Fatalf("%d generations after more writes, want 6", n)
			}
		})
	}
}

func TestTornTailWithGarbageIsDropped(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	applyGens(t, s, 0, 3)
	crash(s)
	f, _ := os.OpenFile(lastSegment(t, dir), os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte("\x31\x57\x47\x52garbage that is no record"))
	f.Close()
	s = openT(t, dir)
	defer s.Close()
	if n := checkGenerations(t, s); n != 3 {
		t.Fatalf("%d generations, want 3", n)
	}
}

func TestCorruptWALRecordBeforeValidOnesRefusesToOpen(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	applyGens(t, s, 0, 5)
	crash(s)
	seg := lastSegment(t, dir)
	data, _ := os.ReadFile(seg)
	data[frameHeader+20] ^= 0xff // inside the first record's payload
	os.WriteFile(seg, data, 0o644)
	_, err := Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), filepath.Base(seg)) {
		t.Fatalf("want a refusal naming %s, got %v", filepath.Base(seg), err)
	}
}

func TestCorruptNewestSnapshotFallsBackToPrevious(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	applyGens(t, s, 0, 3)
	if err := s.Snapshot(); err != nil {
		t.Fatal(err)
	}
	applyGens(t, s, 3, 6)
	if err := s.Snapshot(); err != nil {
		t.Fatal(err)
	}
	applyGens(t, s, 6, 8)
	crash(s)
	snaps, _ := snapshots(dir)
	if len(snaps) != 2 {
		t.Fatalf("want two snapshots kept, have %v", snaps)
	}
	newest := filepath.Join(dir, snapName(snaps[1]))
	data, _ := os.ReadFile(newest)
	data[len(data)/2] ^= 0x01
	os.WriteFile(newest, data, 0o644)
	s = openT(t, dir)
	defer s.Close()
	if n := checkGenerations(t, s); n != 8 {
		t.Fatalf("%d generations after falling back, want 8", n)
	}
}

func TestNoReadableSnapshotAndPrunedWALRefuses(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	for g := range 4 {
		applyGens(t, s, g, g+1)
		if err := s.Snapshot(); err != nil {
			t.Fatal(err)
		}
	}
	crash(s)
	snaps, _ := snapshots(dir)
	for _, q := range snaps {
		os.WriteFile(filepath.Join(dir, snapName(q)), []byte("RGSNAPxx"), 0o644)
	}
	_, err := Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "no readable snapshot") {
		t.Fatalf("want a refusal, got %v", err)
	}
}

func TestNewerFormatRefuses(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "FORMAT"), []byte("99\n"), 0o644)
	_, err := Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("want a format refusal, got %v", err)
	}
}

func TestSecondOpenOfSameDirRefuses(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	defer s.Close()
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("want 'in use', got %v", err)
	}
}

func TestUnwritableDataDir(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	_, err := Open(filepath.Join(f, "data"), Options{}) // a path under a regular file
	if err == nil || !strings.Contains(err.Error(), "data dir") {
		t.Fatalf("want a data dir error, got %v", err)
	}
}

// TestDiskFullLeavesStoreUnchanged makes the WAL write fail with ENOSPC
// (/dev/full) and checks that the batch is refused, the graph is as it was,
// and the store works again once space is back.
func TestDiskFullLeavesStoreUnchanged(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full on this system")
	}
	dir := t.TempDir()
	s := openT(t, dir)
	applyGens(t, s, 0, 2)
	good := s.wal.f
	s.wal.f = full
	_, err = s.Apply(context.Background(), genBatch(2))
	if err == nil || !strings.Contains(err.Error(), "no space") {
		t.Fatalf("want ENOSPC, got %v", err)
	}
	if n := checkGenerations(t, s); n != 2 {
		t.Fatalf("%d generations after a failed write, want 2", n)
	}
	full.Close()
	s.wal.f = good
	applyGens(t, s, 2, 3)
	crash(s)
	s = openT(t, dir)
	defer s.Close()
	if n := checkGenerations(t, s); n != 3 {
		t.Fatalf("%d generations after reopen, want 3", n)
	}
}

func TestClosedStoreRefuses(t *testing.T) {
	s := openT(t, t.TempDir())
	s.Close()
	if _, err := s.Apply(context.Background(), genBatch(0)); !errors.Is(err, graph.ErrClosed) {
		t.Fatalf("apply after close: %v", err)
	}
	if _, err := s.Read(context.Background()); !errors.Is(err, graph.ErrClosed) {
		t.Fatalf("read after close: %v", err)
	}
}

// TestLargeBatchIsAtomic applies a 50,000-element batch whose last edge is
// dangling (nothing may change), then the same batch fixed (all of it).
func TestLargeBatchIsAtomic(t *testing.T) {
	s := openT(t, t.TempDir())
	defer s.Close()
	applyGens(t, s, 0, 1)
	b := graph.Batch{Scope: graph.Scope{Source: "big", Key: "k"}, Run: "r"}
	prev := graph.ServiceID("prod", "gen-0")
	for i := range 25_000 {
		id := graph.ServiceID("big", fmt.Sprintf("svc-%d", i))
		b.Nodes = append(b.Nodes, graph.Node{ID: id, Kind: graph.Service, Name: fmt.Sprintf("svc-%d", i)})
		b.Edges = append(b.Edges, graph.NewEdge(graph.Calls, id, prev))
		prev = id
	}
	b.Edges[len(b.Edges)-1] = graph.NewEdge(graph.Calls, prev, graph.ServiceID("big", "missing"))
	if _, err := s.Apply(context.Background(), b); !errors.Is(err, graph.ErrInvalid) || !strings.Contains(err.Error(), "edges[24999]") {
		t.Fatalf("want the dangling edge named, got %v", err)
	}
	if n := checkGenerations(t, s); n != 1 {
		t.Fatalf("a rejected 50k batch changed the store")
	}
	b.Edges[len(b.Edges)-1] = graph.NewEdge(graph.Calls, prev, graph.ServiceID("prod", "gen-0"))
	b.Run = "r2"
	r, err := s.Apply(context.Background(), b)
	if err != nil || r.NodesCreated != 25_000 || r.EdgesCreated != 25_000 {
		t.Fatalf("fixed batch: %+v %v", r, err)
	}
	v, _ := s.Read(context.Background())
	reached := 0
	v.Walk(context.Background(), graph.Walk{From: []graph.ID{graph.ServiceID("prod", "gen-0")}, Dir: graph.In, Kinds: []graph.EdgeKind{graph.Calls}}, func(graph.Step) graph.Control {
		reached++
		return graph.Continue
	})
	if reached != 25_001 {
		t.Fatalf("the call chain reaches %d services, want 25001", reached)
	}
}
