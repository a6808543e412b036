package api_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/api"
	"github.com/riskgraph/riskgraph/graph"
)

// TestTriageMutations walks a finding through its lifecycle over HTTP:
// only admins triage, bad requests get BAD_USER_INPUT or NOT_FOUND, and the
// new status shows in the findings list at once (the catalog is rebuilt
// for the new store version).
func TestTriageMutations(t *testing.T) {
	e := newEnv(t, api.Limits{})
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	clock := now
	defer api.SetTriageClock(func() time.Time { return clock })()

	var open []graph.ID
	for _, n := range e.batch.Nodes {
		if n.Kind == graph.Finding && n.Props.String("severity") == "critical" {
			open = append(open, n.ID)
		}
	}
	if len(open) < 2 {
		t.Fatalf("the demo estate has %d critical findings, want at least 2", len(open))
	}
	slices.Sort(open)
	acc, fp := open[0], open[1]

	accept := `mutation($f: ID!, $u: Time!, $o: String!) { acceptRisk(finding: $f, owner: $o, reason: "compensating WAF rule", until: $u) { id status properties } }`
	vars := map[string]any{"f": acc, "u": now.Add(30 * 24 * time.Hour).Format(time.RFC3339), "o": "alice@larkspur.example"}
	if r := e.query(ingestTok, accept, vars); r.code() != api.CodeForbidden {
		t.Fatalf("ingest token on acceptRisk: want FORBIDDEN, got %+v", r.Errors)
	}
	r := e.query(adminTok, accept, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("acceptRisk: %+v", r.Errors)
	}
	var got struct {
		ID, Status string
		Properties map[string]any
	}
	mustJSON(t, r.Data["acceptRisk"], &got)
	if got.ID != string(acc) || got.Status != "accepted" || got.Properties["acceptedBy"] != "alice@larkspur.example" ||
		got.Properties["acceptedUntil"] != "2027-01-02T09:00:00Z" {
		t.Fatalf("acceptRisk returned %+v", got)
	}

	bad := map[string]map[string]any{
		api.CodeBadUserInput: {"f": acc, "u": now.Add(-time.Hour).Format(time.RFC3339), "o": "alice"},
		api.CodeNotFound:     {"f": graph.FindingID("no-such-fingerprint"), "u": now.Add(time.Hour).Format(time.RFC3339), "o": "alice"},
	}
	for code, v := range bad {
		if r := e.query(adminTok, accept, v); r.code() != code {
			t.Errorf("acceptRisk %v: want %s, got %+v", v, code, r.Errors)
		}
	}
	if r := e.query(adminTok, accept, map[string]any{"f": acc, "u": now.Add(time.Hour).Format(time.RFC3339), "o": " "}); r.code() != api.CodeBadUserInput {
		t.Errorf("acceptRisk without an owner: want BAD_USER_INPUT, got %+v", r.Errors)
	}

	r = e.query(adminTok, `mutation($f: ID!) { markFalsePositive(finding: $f, actor: "bob", reason: "test fixture, not shipped") { status properties } }`, map[string]any{"f": fp})
	if len(r.Errors) > 0 {
		t.Fatalf("markFalsePositive: %+v", r.Errors)
	}
	mustJSON(t, r.Data["markFalsePositive"], &got)
	hist, _ := got.Properties["statusHistory"].([]any)
	if got.Status != "false_positive" || len(hist) == 0 || !strings.Contains(hist[len(hist)-1].(string), "bob: test fixture") {
		t.Fatalf("markFalsePositive returned %+v", got)
	}

	listed := func(status string) []string {
		var l struct {
			Findings struct{ Nodes []struct{ ID string } }
		}
		e.ok(`query($s: [FindingStatus!]) { findings(filter: {statuses: $s}, first: 500) { nodes { id } } }`, map[string]any{"s": []string{status}}, &l)
		return ids(l.Findings.Nodes, func(n struct{ ID string }) string { return n.ID })
	}
	if l := listed("ACCEPTED"); !slices.Equal(l, []string{string(acc)}) {
		t.Errorf("accepted findings: %v, want [%s]", l, acc)
	}
	if l := listed("FALSE_POSITIVE"); !slices.Equal(l, []string{string(fp)}) {
		t.Errorf("false positives: %v, want [%s]", l, fp)
	}

	// Nothing has expired yet; 31 days later the acceptance has.
	reopen := `mutation { reopenExpiredAcceptances }`
	if r := e.query(adminTok, reopen, nil); string(r.Data["reopenExpiredAcceptances"]) != "0" {
		t.Errorf("reopen before expiry: %s %+v", r.Data["reopenExpiredAcceptances"], r.Errors)
	}
	clock = now.Add(31 * 24 * time.Hour)
	if r := e.query(adminTok, reopen, nil); string(r.Data["reopenExpiredAcceptances"]) != "1" {
		t.Errorf("reopen after expiry: %s %+v", r.Data["reopenExpiredAcceptances"], r.Errors)
	}
	if l := listed("ACCEPTED"); len(l) != 0 {
		t.Errorf("accepted findings after expiry: %v", l)
	}
	if l := listed("OPEN"); !slices.Contains(l, string(acc)) {
		t.Errorf("the expired acceptance %s is not open again", acc)
	}
}

func mustJSON(t *testing.T, raw []byte, out any) {
	t.Helper()
	if err := jsonUnmarshal(raw, out); err != nil {
		t.Fatalf("%v: %.300s", err, raw)
	}
}
