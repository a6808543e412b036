package findings

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

func importedBusybox(t *testing.T) (graph.Store, Input, map[graph.ID]graph.Node) {
	t.Helper()
	in := readInput(t, corpusFile(t, "grype/grype-0.94-image-busybox-epss-kev.json"))
	s := newStore(t)
	matchingEstate(t, s, parseAll(t, in)...)
	if _, err := Import(context.Background(), s, []Input{in}, Options{Now: clock(t0)}); err != nil {
		t.Fatal(err)
	}
	return s, in, allFindings(t, s)
}

func findingFor(t *testing.T, fs map[graph.ID]graph.Node, advisory string) graph.Node {
	t.Helper()
	for _, n := range fs {
		if n.Props.String("vulnerability") == advisory {
			return n
		}
	}
	t.Fatalf("no finding for %s", advisory)
	return graph.Node{}
}

func TestAcceptRiskExpiresOnImport(t *testing.T) {
	ctx := context.Background()
	s, in, fs := importedBusybox(t)
	n := findingFor(t, fs, "CVE-2022-28391")
	until := t0.Add(30 * 24 * time.Hour)
	got, err := AcceptRisk(ctx, s, n.ID, Acceptance{Owner: "alice@larkspur.example", Reason: "busybox is not in the request path", Until: until}, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	p := got.Props
	if p.String("status") != StatusAccepted || p.String("acceptedBy") != "alice@larkspur.example" ||
		p.String("acceptedUntil") != until.Format(time.RFC3339) || p.String("acceptedReason") == "" {
		t.Fatalf("accepted props %v", p)
	}
	h := p.Strings("statusHistory")
	if len(h) != 2 || !strings.HasPrefix(h[1], t0.Add(time.Hour).Format(time.RFC3339)+" accepted alice@larkspur.example: busybox") {
		t.Errorf("history %q", h)
	}
	if !got.LastSeen.Equal(t0) {
		t.Errorf("triage moved lastSeen to %v", got.LastSeen)
	}
	// Seen again before expiry: still accepted.
	if _, err := Import(ctx, s, []Input{in}, Options{Now: clock(t0.Add(24 * time.Hour))}); err != nil {
		t.Fatal(err)
	}
	if st := allFindings(t, s)[n.ID].Props.String("status"); st != StatusAccepted {
		t.Fatalf("status %s before expiry", st)
	}
	// Seen after expiry: reopened, with the reason in the history.
	sum, err := Import(ctx, s, []Input{in}, Options{Now: clock(until.Add(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	after := allFindings(t, s)[n.ID]
	h = after.Props.Strings("statusHistory")
	if after.Props.String("status") != StatusOpen || sum.Reopened != 1 || !strings.Contains(h[len(h)-1], "open import: risk acceptance expired") {
		t.Errorf("after expiry: status %s reopened %d history %q", after.Props.String("status"), sum.Reopened, h)
	}
}

func TestReopenExpiredPass(t *testing.T) {
	ctx := context.Background()
	s, _, fs := importedBusybox(t)
	a := findingFor(t, fs, "CVE-2022-28391")
	b := findingFor(t, fs, "CVE-2021-42374")
	for i, id := range []graph.ID{a.ID, b.ID} {
		if _, err := AcceptRisk(ctx, s, id, Acceptance{Owner: "bob", Reason: "compensating control", Until: t0.Add(time.Duration(i+1) * 24 * time.Hour)}, t0); err != nil {
			t.Fatal(err)
		}
	}
	n, err := ReopenExpired(ctx, s, t0.Add(36*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("reopened %d (%v), want 1", n, err)
	}
	got := allFindings(t, s)
	if got[a.ID].Props.String("status") != StatusOpen || got[b.ID].Props.String("status") != StatusAccepted {
		t.Errorf("statuses %s %s", got[a.ID].Props.String("status"), got[b.ID].Props.String("status"))
	}
}

func TestMarkFalsePositiveSurvivesImport(t *testing.T) {
	ctx := context.Background()
	s, in, fs := importedBusybox(t)
	n := findingFor(t, fs, "CVE-2022-28391")
	if _, err := MarkFalsePositive(ctx, s, n.ID, "carol", "busybox wget applet is removed from the image", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := Import(ctx, s, []Input{in}, Options{Now: clock(t0.Add(2 * time.Hour))}); err != nil {
		t.Fatal(err)
	}
	got := allFindings(t, s)[n.ID]
	if got.Props.String("status") != StatusFalsePositive || len(got.Props.Strings("statusHistory")) != 2 {
		t.Errorf("status %s history %q", got.Props.String("status"), got.Props.Strings("statusHistory"))
	}
}

func TestTriageRejectsBadRequests(t *testing.T) {
	ctx := context.Background()
	s, _, fs := importedBusybox(t)
	n := findingFor(t, fs, "CVE-2022-28391")
	cases := []error{}
	_, err := AcceptRisk(ctx, s, n.ID, Acceptance{Owner: "", Reason: "x", Until: t0.Add(time.Hour)}, t0)
	cases = append(cases, err)
	_, err = AcceptRisk(ctx, s, n.ID, Acceptance{Owner: "a", Reason: "x", Until: t0.Add(-time.Hour)}, t0)
	cases = append(cases, err)
	_, err = AcceptRisk(ctx, s, graph.FindingID("nope"), Acceptance{Owner: "a", Reason: "x", Until: t0.Add(time.Hour)}, t0)
	cases = append(cases, err)
	_, err = MarkFalsePositive(ctx, s, n.ID, "a", " ", t0)
	cases = append(cases, err)
	for i, err := range cases {
		if !errors.Is(err, ErrBadTriage) {
			t.Errorf("case %d: %v, want ErrBadTriage", i, err)
		}
	}
	if st := allFindings(t, s)[n.ID].Props.String("status"); st != StatusOpen {
		t.Errorf("a rejected request changed the status to %s", st)
	}
}
