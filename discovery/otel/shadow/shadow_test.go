package shadow_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/compose"
	"github.com/riskgraph/riskgraph/discovery/otel"
	"github.com/riskgraph/riskgraph/discovery/otel/shadow"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
)

func discoverCompose(t *testing.T, st graph.Store, path string, run graph.RunID) {
	t.Helper()
	ctx := context.Background()
	rep, err := discovery.Run(ctx, []string{path}, discovery.Options{Env: "prod", Scope: "shop", Run: run, Agents: []discovery.Agent{compose.Agent{}}})
	if err != nil || len(rep.Errors) > 0 {
		t.Fatalf("%v %v", err, rep.Errors)
	}
	if _, err := st.Apply(ctx, rep.Batch); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Sweep(ctx, rep.Scope, run); err != nil {
		t.Fatal(err)
	}
}

func gaps(t *testing.T, st graph.Store, k shadow.Kind) []string {
	t.Helper()
	ctx := context.Background()
	v, err := st.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	gs, err := shadow.List(ctx, v, k)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, g := range gs {
		from, _ := v.Node(ctx, g.Edge.From)
		to, _ := v.Node(ctx, g.Edge.To)
		out = append(out, string(g.Kind)+" "+string(g.Edge.Kind)+" "+from.Name+" → "+to.Name)
	}
	slices.Sort(out)
	return out
}

func TestShadowDependencies(t *testing.T) {
	ctx := context.Background()
	st, err := memdb.Open("", memdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	discoverCompose(t, st, "testdata/compose.yml", "c1")
	// Nothing is traced yet: no gap either way (an untraced estate says
	// nothing about its calls).
	if g := gaps(t, st, ""); len(g) != 0 {
		t.Errorf("gaps before any trace: %v", g)
	}
	rep, _, err := otel.Run(ctx, []string{"../testdata/shop.json"}, otel.Options{Run: "o1"})
	if err != nil || len(rep.Errors) > 0 {
		t.Fatal(err, rep.Errors)
	}
	if _, err := st.Apply(ctx, rep.Batch); err != nil {
		t.Fatal(err)
	}
	want := []string{
		// Seen at runtime, declared nowhere.
		"UNDECLARED CALLS checkout → api.stripe.com",
		"UNDECLARED CALLS checkout → legacy-billing",
		"UNDECLARED CALLS checkout → payment",
		"UNDECLARED EXPOSES checkout → POST /api/orders",
		"UNDECLARED EXPOSES frontend → GET /checkout",
		"UNDECLARED EXPOSES payment → GRPC /payments.v1.PaymentService/Charge",
		"UNDECLARED READS payment → cache",
		"UNDECLARED WRITES payment → cache",
		// Declared, and the caller is traced, but never seen. reports →
		// orders-db is not listed: reports is not instrumented.
		"UNOBSERVED CALLS checkout → fraud",
	}
	if got := gaps(t, st, ""); !slices.Equal(got, want) {
		t.Errorf("gaps:\n%q\nwant\n%q", got, want)
	}
	if got := gaps(t, st, shadow.Unobserved); !slices.Equal(got, want[len(want)-1:]) {
		t.Errorf("unobserved only: %q", got)
	}
	// frontend → checkout and checkout → orders-db (compose: READS and
	// WRITES; traces: INSERT and SELECT) agree, so they are no gap. Now
	// the compose file drops checkout's database: after its sweep the
	// traced reads and writes are undeclared.
	dir := t.TempDir()
	b, err := os.ReadFile("testdata/compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	edited := filepath.Join(dir, "compose.yml")
	if err := os.WriteFile(edited, []byte(strings.Replace(string(b), "      DATABASE_URL: postgres://app@orders-db:5432/shop\n", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	// Same scope key: the second compose run replaces the first.
	discoverCompose(t, st, edited, "c2")
	got := gaps(t, st, shadow.Undeclared)
	for _, w := range []string{"UNDECLARED READS checkout → orders-db", "UNDECLARED WRITES checkout → orders-db"} {
		if !slices.Contains(got, w) {
			t.Errorf("after the sweep, missing %q in %q", w, got)
		}
	}
}
