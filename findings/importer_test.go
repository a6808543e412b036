package findings

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

func parseAll(t testing.TB, ins ...Input) []*Report {
	t.Helper()
	var out []*Report
	for _, in := range ins {
		r, err := Parse(in.Name, in.Data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// Grype and Trivy scanned Debian 10 images; 68 of their (package, CVE)
// pairs coincide. Imported together they make one finding per pair, listing
// both tools and both sources.
func TestCrossToolDedup(t *testing.T) {
	g := readInput(t, corpusFile(t, "grype/grype-0.7-image-defectdojo-django-1.13.1.json"))
	tr := readInput(t, corpusFile(t, "trivy/trivy-legacy-list-format-debian.json"))
	s := newStore(t)
	matchingEstate(t, s, parseAll(t, g, tr)...)
	sum, err := Import(context.Background(), s, []Input{g, tr}, Options{Now: clock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	got := allFindings(t, s)
	if len(got) != 327+93-68 || sum.Findings != len(got) {
		t.Fatalf("%d findings (summary %d), want %d", len(got), sum.Findings, 327+93-68)
	}
	both := 0
	for _, n := range got {
		tools := n.Props.Strings("tools")
		if len(tools) == 2 {
			both++
			if !slices.Equal(tools, []string{"grype", "trivy"}) || n.Props.String("tool") != "grype" {
				t.Errorf("%s: tools %v tool %q", n.Name, tools, n.Props.String("tool"))
			}
			var agents []string
			for _, src := range n.Sources {
				agents = append(agents, src.Agent)
			}
			if !slices.Contains(agents, "grype") || !slices.Contains(agents, "trivy") {
				t.Errorf("%s: sources %v, want one per tool", n.Name, n.Sources)
			}
			if len(n.Props.Strings("scopes")) != 2 {
				t.Errorf("%s: scopes %v", n.Name, n.Props.Strings("scopes"))
			}
		}
	}
	if both != 68 {
		t.Errorf("%d findings reported by both tools, want 68", both)
	}
	// coreutils CVE-2017-18018 is one finding on one package with one vulnerability.
	fp := (&Finding{Category: CategoryVulnerability, Advisory: "CVE-2017-18018", Purl: "pkg:deb/debian/coreutils@8.30-3"}).Fingerprint("", "")
	n, ok := got[graph.FindingID(fp)]
	if !ok {
		t.Fatal("no finding for coreutils CVE-2017-18018 under the purl-based fingerprint")
	}
	if n.Props.String("vulnerability") != "CVE-2017-18018" || n.Props.String("status") != StatusOpen {
		t.Errorf("coreutils finding props %v", n.Props)
	}
}

// nodeContent is a node without what every upsert legitimately moves.
func nodeContent(n graph.Node) graph.Node {
	n.LastSeen, n.Claims = time.Time{}, nil
	return n
}

func snapshot(t testing.TB, s graph.Store) (map[graph.ID]graph.Node, map[graph.ID]graph.Edge) {
	t.Helper()
	ctx := context.Background()
	v, err := s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	nodes := map[graph.ID]graph.Node{}
	edges := map[graph.ID]graph.Edge{}
	if err := eachNode(ctx, v, graph.NodeFilter{}, func(n *graph.Node) { nodes[n.ID] = nodeContent(*n) }); err != nil {
		t.Fatal(err)
	}
	if err := eachEdge(ctx, v, graph.EdgeFilter{}, func(e *graph.Edge) {
		c := *e
		c.LastSeen, c.Claims = time.Time{}, nil
		edges[e.ID] = c
	}); err != nil {
		t.Fatal(err)
	}
	return nodes, edges
}

// Re-importing the same files a day later creates nothing, deletes
// nothing, and leaves every node and edge as it was except lastSeen: memdb
// counts every upsert as an update, so the counts of the second Result are
// only updates.
func TestReimportIdempotent(t *testing.T) {
	var ins []Input
	for _, f := range corpusFiles(t) {
		ins = append(ins, readInput(t, f))
	}
	s := newStore(t)
	matchingEstate(t, s, parseAll(t, ins...)...)
	ctx := context.Background()
	first, err := Import(ctx, s, ins, Options{Now: clock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	if first.Result.NodesCreated == 0 || first.New == 0 {
		t.Fatalf("first import created nothing: %+v", first.Result)
	}
	n1, e1 := snapshot(t, s)
	second, err := Import(ctx, s, ins, Options{Now: clock(t0.Add(24 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	r := second.Result
	if r.NodesCreated != 0 || r.EdgesCreated != 0 || r.Deleted != 0 {
		t.Errorf("re-import changed the graph: %+v", r)
	}
	if second.New != 0 || second.Fixed != 0 || second.Reopened != 0 || second.Seen != first.Findings {
		t.Errorf("re-import summary %+v, want every finding seen again", second)
	}
	n2, e2 := snapshot(t, s)
	if len(n1) != len(n2) || len(e1) != len(e2) {
		t.Fatalf("sizes changed: %d/%d nodes, %d/%d edges", len(n1), len(n2), len(e1), len(e2))
	}
	for id, a := range n1 {
		if b := n2[id]; !reflect.DeepEqual(a, b) {
			t.Errorf("node %s changed:\n%+v\n%+v", id, a, b)
			break
		}
	}
	for id, a := range e1 {
		if b := e2[id]; !reflect.DeepEqual(a, b) {
			t.Errorf("edge %s changed:\n%+v\n%+v", id, a, b)
			break
		}
	}
	// lastSeen moved, firstSeen did not.
	for _, n := range allFindings(t, s) {
		if !n.FirstSeen.Equal(t0) || !n.LastSeen.Equal(t0.Add(24*time.Hour)) {
			t.Fatalf("%s: firstSeen %v lastSeen %v", n.Name, n.FirstSeen, n.LastSeen)
		}
	}
}

// withoutMatches rewrites a Grype document keeping only the matches keep
// says yes to.
func withoutMatches(t testing.TB, in Input, drop func(advisory string) bool) Input {
	t.Helper()
	r, err := Parse(in.Name, in.Data)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := decodeJSON(in.Name, in.Data, &doc); err != nil {
		t.Fatal(err)
	}
	ms := doc["matches"].([]any)
	var kept []any
	for i, m := range ms {
		if !drop(r.Scans[0].Findings[i].Advisory) {
			kept = append(kept, m)
		}
	}
	doc["matches"] = kept
	return Input{Name: in.Name, Data: mustJSON(t, doc)}
}

func TestLifecycleFixedAndReopened(t *testing.T) {
	ctx := context.Background()
	full := readInput(t, corpusFile(t, "grype/grype-0.96-image-rhel8-xjoin-kafka-connect.json"))
	s := newStore(t)
	matchingEstate(t, s, parseAll(t, full)...)
	if _, err := Import(ctx, s, []Input{full}, Options{Now: clock(t0)}); err != nil {
		t.Fatal(err)
	}
	// CVE-2023-50868 was matched on four rpms; the next scan no longer has it.
	fixedDay := t0.Add(48 * time.Hour)
	less := withoutMatches(t, full, func(a string) bool { return a == "CVE-2023-50868" })
	sum, err := Import(ctx, s, []Input{less}, Options{Now: clock(fixedDay)})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Fixed != 4 {
		t.Errorf("fixed %d, want 4", sum.Fixed)
	}
	got := allFindings(t, s)
	if len(got) != 35 {
		t.Fatalf("%d findings after the fix, want 35 (fixed findings are kept)", len(got))
	}
	for _, n := range got {
		fixed := n.Props.String("vulnerability") == "CVE-2023-50868"
		if fixed != (n.Props.String("status") == StatusFixed) {
			t.Errorf("%s: status %s", n.Name, n.Props.String("status"))
		}
		if fixed {
			h := n.Props.Strings("statusHistory")
			if n.Props.String("fixedAt") != fixedDay.Format(time.RFC3339) || len(h) != 2 ||
				!strings.HasPrefix(h[1], fixedDay.Format(time.RFC3339)+" fixed import: no longer reported by grype:") {
				t.Errorf("%s: fixedAt %q history %q", n.Name, n.Props.String("fixedAt"), h)
			}
			if !n.LastSeen.Equal(t0) {
				t.Errorf("%s: lastSeen %v moved although the finding was not seen", n.Name, n.LastSeen)
			}
		}
	}
	// It comes back: reopened, fixedAt cleared, history of three entries.
	back := t0.Add(72 * time.Hour)
	sum, err = Import(ctx, s, []Input{full}, Options{Now: clock(back)})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Reopened != 4 || sum.Fixed != 0 {
		t.Errorf("reopened %d fixed %d, want 4 and 0", sum.Reopened, sum.Fixed)
	}
	for _, n := range allFindings(t, s) {
		if n.Props.String("status") != StatusOpen || n.Props.String("fixedAt") != "" {
			t.Errorf("%s: status %s fixedAt %q", n.Name, n.Props.String("status"), n.Props.String("fixedAt"))
		}
		if n.Props.String("vulnerability") == "CVE-2023-50868" && len(n.Props.Strings("statusHistory")) != 3 {
			t.Errorf("%s: history %q", n.Name, n.Props.Strings("statusHistory"))
		}
	}
}

// A finding two scopes report is fixed only when neither reports it.
func TestFixedNeedsEveryScope(t *testing.T) {
	ctx := context.Background()
	g := readInput(t, corpusFile(t, "grype/grype-0.7-image-defectdojo-django-1.13.1.json"))
	tr := readInput(t, corpusFile(t, "trivy/trivy-legacy-list-format-debian.json"))
	s := newStore(t)
	matchingEstate(t, s, parseAll(t, g, tr)...)
	if _, err := Import(ctx, s, []Input{g, tr}, Options{Now: clock(t0)}); err != nil {
		t.Fatal(err)
	}
	gone := func(a string) bool { return a == "CVE-2017-18018" }
	sum, err := Import(ctx, s, []Input{withoutMatches(t, g, gone)}, Options{Now: clock(t0.Add(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Fixed != 0 {
		t.Errorf("fixed %d although trivy still reports it", sum.Fixed)
	}
	fp := (&Finding{Category: CategoryVulnerability, Advisory: "CVE-2017-18018", Purl: "pkg:deb/debian/coreutils@8.30-3"}).Fingerprint("", "")
	n := allFindings(t, s)[graph.FindingID(fp)]
	if n.Props.String("status") != StatusOpen || len(n.Props.Strings("scopes")) != 1 || !strings.HasPrefix(n.Props.Strings("scopes")[0], "trivy:") {
		t.Errorf("status %s scopes %v", n.Props.String("status"), n.Props.Strings("scopes"))
	}
}

func TestMalformedNothingApplied(t *testing.T) {
	ctx := context.Background()
	good := readInput(t, corpusFile(t, "grype/grype-0.94-image-busybox-epss-kev.json"))
	sarifIn := readInput(t, corpusFile(t, "sarif/codeql-action-two-runs.sarif"))
	trivyIn := readInput(t, corpusFile(t, "trivy/trivy-fs-vuln-misconfig-secret.json"))
	cases := []struct {
		name     string
		in       Input
		wantPath string
		wantMsg  string
		line     int
	}{
		{"truncated grype", Input{Name: "grype-truncated.json", Data: good.Data[:len(good.Data)/2]},
			"$.matches[", "truncated JSON", 0},
		{"sarif 2.0.0", Input{Name: "old.sarif", Data: []byte(strings.Replace(string(sarifIn.Data), `"version": "2.1.0"`, `"version": "2.0.0"`, 1))},
			"$.version", `SARIF version "2.0.0" is not supported`, 3},
		{"trivy null Results", Input{Name: "trivy-null.json", Data: nullTrivy(t, trivyIn.Data, "Results")},
			"$.Results", "is null", 0},
		{"trivy null Vulnerabilities", Input{Name: "trivy-null-vulns.json", Data: nullTrivy(t, trivyIn.Data, "Vulnerabilities")},
			"$.Results[0].Vulnerabilities", "is null", 0},
		{"grype wrong type", Input{Name: "grype-type.json", Data: []byte(strings.Replace(string(good.Data), `"severity": "High"`, `"severity": 7`, 1))},
			"$.matches[", "want string", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			matchingEstate(t, s, parseAll(t, good)...)
			before, _ := snapshot(t, s)
			sum, err := Import(ctx, s, []Input{good, c.in}, Options{Now: clock(t0)})
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want a FileError", err)
			}
			if fe.File != c.in.Name || !strings.HasPrefix(fe.Path, c.wantPath) || !strings.Contains(fe.Msg, c.wantMsg) {
				t.Errorf("error %q: file %q path %q msg %q", err, fe.File, fe.Path, fe.Msg)
			}
			if c.line > 0 && fe.Line != c.line {
				t.Errorf("line %d, want %d", fe.Line, c.line)
			}
			if fe.Line == 0 {
				t.Errorf("no line in %q", err)
			}
			if !strings.Contains(err.Error(), c.in.Name) {
				t.Errorf("error does not name the file: %v", err)
			}
			after, _ := snapshot(t, s)
			if sum.Applied || len(after) != len(before) {
				t.Errorf("applied %v; %d nodes before, %d after", sum.Applied, len(before), len(after))
			}
		})
	}
}

func nullTrivy(t testing.TB, data []byte, section string) []byte {
	t.Helper()
	var doc map[string]any
	if err := decodeJSON("t", data, &doc); err != nil {
		t.Fatal(err)
	}
	if section == "Results" {
		doc["Results"] = nil
	} else {
		doc["Results"].([]any)[0].(map[string]any)[section] = nil
	}
	return mustJSON(t, doc)
}

// With --partial the good files are applied and nothing is marked fixed.
func TestPartialRun(t *testing.T) {
	ctx := context.Background()
	full := readInput(t, corpusFile(t, "grype/grype-0.96-image-rhel8-xjoin-kafka-connect.json"))
	s := newStore(t)
	matchingEstate(t, s, parseAll(t, full)...)
	if _, err := Import(ctx, s, []Input{full}, Options{Now: clock(t0)}); err != nil {
		t.Fatal(err)
	}
	bad := Input{Name: "broken.sarif", Data: []byte(`{"version": "2.1.0", "runs": [`)}
	less := withoutMatches(t, full, func(a string) bool { return a == "CVE-2023-50868" })
	sum, err := Import(ctx, s, []Input{less, bad}, Options{Now: clock(t0.Add(time.Hour)), Partial: true})
	if err == nil || !strings.Contains(err.Error(), "broken.sarif") {
		t.Fatalf("error %v, want one naming broken.sarif", err)
	}
	if !sum.Applied || sum.Fixed != 0 || sum.FixSkipped == "" || sum.Seen != 31 {
		t.Errorf("summary %+v: want applied, 31 seen, nothing fixed", sum)
	}
	for _, n := range allFindings(t, s) {
		if n.Props.String("status") != StatusOpen {
			t.Errorf("%s is %s after a partial run", n.Name, n.Props.String("status"))
		}
	}
	// Without --partial the same run applies nothing.
	sum, err = Import(ctx, s, []Input{less, bad}, Options{Now: clock(t0.Add(2 * time.Hour))})
	if err == nil || sum.Applied {
		t.Errorf("all-or-nothing run: err %v applied %v", err, sum.Applied)
	}
}

// TestSARIFSuppressionsAndRulelessResults: a result its tool reports as
// suppressed (nosec, checkov:skip, a baseline) is imported accepted, and
// reopened once the suppression is gone; a suppression under review leaves
// it open; passed checks are no findings; a result without ruleId (Gitleaks
// 7) is named by the rule its message starts with.
func TestSARIFSuppressionsAndRulelessResults(t *testing.T) {
	ctx := context.Background()
	result := func(rule, file string, suppressions ...map[string]any) map[string]any {
		r := map[string]any{"message": map[string]any{"text": "issue"},
			"locations": []any{map[string]any{"physicalLocation": map[string]any{
				"artifactLocation": map[string]any{"uri": file}, "region": map[string]any{"startLine": 3}}}}}
		if rule != "" {
			r["ruleId"] = rule
		}
		if suppressions != nil {
			r["suppressions"] = suppressions
		}
		return r
	}
	sarifDoc := func(results ...any) Input {
		return Input{Name: "scan.sarif", Data: mustJSON(t, map[string]any{"version": "2.1.0", "runs": []any{map[string]any{
			"tool":    map[string]any{"driver": map[string]any{"name": "Gitleaks", "rules": []any{map[string]any{"id": "AWS Access Key", "name": "AWS Access Key"}, map[string]any{"id": "Asymmetric Private Key", "name": "Asymmetric Private Key"}}}},
			"results": results}}})}
	}
	leak := result("", "app/config.py")
	leak["message"] = map[string]any{"text": "Asymmetric Private Key secret detected"}
	passed := result("R3", "c.py")
	passed["kind"] = "pass"
	first := sarifDoc(leak,
		result("R1", "a.py", map[string]any{"kind": "inSource", "justification": "test fixture"}),
		result("R2", "b.py", map[string]any{"kind": "external", "status": "underReview"}),
		passed)
	s := newStore(t)
	if _, err := Import(ctx, s, []Input{first}, Options{Now: clock(t0)}); err != nil {
		t.Fatal(err)
	}
	status := func() map[string]string {
		out := map[string]string{}
		for _, n := range allFindings(t, s) {
			out[n.Props.String("rule")] = n.Props.String("status")
		}
		return out
	}
	want := map[string]string{"Asymmetric Private Key": StatusOpen, "R1": StatusAccepted, "R2": StatusOpen}
	if got := status(); !maps.Equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	// The nosec comment is removed: R1 is reported again, unsuppressed.
	second := sarifDoc(leak, result("R1", "a.py"), result("R2", "b.py"))
	if _, err := Import(ctx, s, []Input{second}, Options{Now: clock(t0.Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	if got := status()["R1"]; got != StatusOpen {
		t.Errorf("R1 %s after its suppression was removed, want open", got)
	}
}
