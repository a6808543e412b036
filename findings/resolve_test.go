package findings

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/testdata/demo"
)

func subjectsByFinding(t *testing.T, s graph.Store) map[graph.ID][]graph.ID {
	t.Helper()
	out := map[graph.ID][]graph.ID{}
	for id := range allFindings(t, s) {
		for _, n := range foundOn(t, s, id) {
			out[id] = append(out[id], n.ID)
		}
	}
	return out
}

// Code findings go to the service whose source tree holds the file; the
// deepest tree wins.
func TestCodeFindingsBySourceTree(t *testing.T) {
	ctx := context.Background()
	in := readInput(t, corpusFile(t, "sarif/gosec-2.24.7-gowaves.sarif"))
	node := graph.ServiceID("prod", "gowaves-node")
	ride := graph.ServiceID("prod", "ride-engine")
	s := newStore(t)
	apply(t, s, []graph.Node{
		{ID: node, Kind: graph.Service, Name: "gowaves-node", Env: "prod", Props: graph.Props{"repoPath": "./"}},
		{ID: ride, Kind: graph.Service, Name: "ride-engine", Env: "prod", Props: graph.Props{"sourcePath": "pkg/ride/"}},
	}, nil)
	sum, err := Import(ctx, s, []Input{in}, Options{Now: clock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Unresolved) != 0 {
		t.Fatalf("%d unresolved", len(sum.Unresolved))
	}
	onRide := 0
	subj := subjectsByFinding(t, s)
	for id, n := range allFindings(t, s) {
		want := node
		if strings.HasPrefix(n.Props.String("file"), "pkg/ride/") {
			want = ride
			onRide++
		}
		if got := subj[id]; len(got) != 1 || got[0] != want {
			t.Fatalf("%s (%s): on %v, want %s", n.Name, n.Props.String("file"), got, want)
		}
		if n.Env != "prod" {
			t.Fatalf("env %q", n.Env)
		}
	}
	if onRide != 200 {
		t.Errorf("%d findings in pkg/ride, want 200", onRide)
	}
}

// --service forces the subject of code findings.
func TestForcedService(t *testing.T) {
	ctx := context.Background()
	in := readInput(t, corpusFile(t, "sarif/codeql-2.5.4-python.sarif"))
	api := graph.ServiceID("staging", "api")
	s := newStore(t)
	apply(t, s, []graph.Node{
		{ID: api, Kind: graph.Service, Name: "api", Env: "staging"},
		{ID: graph.ServiceID("prod", "api"), Kind: graph.Service, Name: "api", Env: "prod", Props: graph.Props{"sourcePath": "."}},
	}, nil)
	if _, err := Import(ctx, s, []Input{in}, Options{Now: clock(t0), Service: "staging/api"}); err != nil {
		t.Fatal(err)
	}
	for id, subj := range subjectsByFinding(t, s) {
		if len(subj) != 1 || subj[0] != api {
			t.Fatalf("%s on %v, want staging/api", id, subj)
		}
	}
}

// Misconfigurations attach to the node discovery made from the resource:
// a workload in its namespace (not a namesake in another namespace), a
// Terraform address.
func TestMisconfigurationByResource(t *testing.T) {
	ctx := context.Background()
	k8s := readInput(t, corpusFile(t, "trivy/trivy-k8s-cluster-eks-legacy.json"))
	tf := readInput(t, corpusFile(t, "sarif/checkov-3.2.495-terraform-azure.sarif"))
	s := newStore(t)
	matchingEstate(t, s, parseAll(t, k8s)...)
	decoy := graph.ServiceID("dev", "redis-follower")
	storage := graph.DataStoreID("azure", "this")
	apply(t, s, []graph.Node{
		{ID: decoy, Kind: graph.Service, Name: "redis-follower", Env: "dev", Props: graph.Props{"namespace": "other"}},
		{ID: storage, Kind: graph.DataStore, Name: "this", Env: "azure", Props: graph.Props{"address": "azurerm_storage_account.this", "engine": "azure-storage"}},
	}, nil)
	if _, err := Import(ctx, s, []Input{k8s, tf}, Options{Now: clock(t0)}); err != nil {
		t.Fatal(err)
	}
	subj := subjectsByFinding(t, s)
	misconf := 0
	for id, n := range allFindings(t, s) {
		switch {
		case n.Props.String("tool") == "checkov":
			if len(subj[id]) != 1 || subj[id][0] != storage || n.Props.String("resource") != "azurerm_storage_account.this" {
				t.Errorf("checkov %s on %v resource %q", n.Props.String("rule"), subj[id], n.Props.String("resource"))
			}
		case n.Props.String("category") == CategoryMisconfiguration:
			misconf++
			parts := strings.Split(n.Props.String("resource"), "/")
			if len(subj[id]) != 1 || subj[id][0] != graph.ServiceID("prod", parts[2]) {
				t.Errorf("%s (%s) on %v", n.Name, n.Props.String("resource"), subj[id])
			}
		}
	}
	if misconf != 10 {
		t.Errorf("%d k8s misconfigurations, want 10", misconf)
	}
}

// Package findings whose package the graph does not have fall back to the
// scanned image and the services running it; with nothing to attach to
// they are kept and listed as unresolved.
func TestImageFallbackAndUnresolved(t *testing.T) {
	ctx := context.Background()
	in := readInput(t, corpusFile(t, "grype/grype-0.94-image-busybox-epss-kev.json"))

	s := newStore(t)
	sum, err := Import(ctx, s, []Input{in}, Options{Now: clock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Unresolved) != 15 {
		t.Fatalf("%d unresolved, want 15", len(sum.Unresolved))
	}
	if u := sum.Unresolved[0]; u.What != "pkg:generic/busybox@1.32.1" || u.Tool != "grype" {
		t.Errorf("unresolved entry %+v", u)
	}
	for _, n := range allFindings(t, s) {
		if !n.Props.Bool("unresolved") {
			t.Errorf("%s not marked unresolved", n.Name)
		}
	}

	// The image appears in the graph: the next import attaches to it and
	// to the service running it, and clears unresolved.
	img := graph.ImageID("busybox:1.32.1")
	svc := graph.ServiceID("prod", "edge-proxy")
	apply(t, s, []graph.Node{
		{ID: img, Kind: graph.Image, Name: "busybox:1.32.1", Props: graph.Props{"ref": "busybox:1.32.1"}},
		{ID: svc, Kind: graph.Service, Name: "edge-proxy", Env: "prod"},
	}, []graph.Edge{graph.NewEdge(graph.RunsImage, svc, img)})
	sum, err = Import(ctx, s, []Input{in}, Options{Now: clock(t0.Add(1))})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Unresolved) != 0 {
		t.Fatalf("%d unresolved after the image appeared", len(sum.Unresolved))
	}
	for id, n := range allFindings(t, s) {
		subj := subjectsByFinding(t, s)[id]
		if n.Props.Bool("unresolved") || len(subj) != 2 || n.Env != "prod" {
			t.Fatalf("%s: unresolved=%v on %v env %q", n.Name, n.Props.Bool("unresolved"), subj, n.Env)
		}
	}
}

// A VEX statement about a package and advisory a scanner reported lands on
// the same finding and moves its status.
func TestVEXUpdatesScannerFinding(t *testing.T) {
	ctx := context.Background()
	scan := readInput(t, corpusFile(t, "cyclonedx/cdx-1.4-grype-0.41-log4j.json"))
	var doc map[string]any
	if err := json.Unmarshal(scan.Data, &doc); err != nil {
		t.Fatal(err)
	}
	vulns := doc["vulnerabilities"].([]any)
	first := vulns[0].(map[string]any)
	first["analysis"] = map[string]any{"state": "not_affected", "justification": "code_not_reachable", "detail": "JNDI lookups disabled"}
	doc["vulnerabilities"] = []any{first}
	doc["metadata"] = map[string]any{"timestamp": "2026-11-21T00:00:00Z"}
	vex := Input{Name: "vex.json", Data: mustJSON(t, doc)}

	s := newStore(t)
	matchingEstate(t, s, parseAll(t, scan)...)
	if _, err := Import(ctx, s, []Input{scan}, Options{Now: clock(t0)}); err != nil {
		t.Fatal(err)
	}
	sum, err := Import(ctx, s, []Input{vex}, Options{Now: clock(t0.Add(1))})
	if err != nil {
		t.Fatal(err)
	}
	if sum.New != 0 || sum.Seen != 1 {
		t.Fatalf("VEX made %d new findings, %d seen", sum.New, sum.Seen)
	}
	var fp, open int
	for _, n := range allFindings(t, s) {
		switch n.Props.String("status") {
		case StatusFalsePositive:
			fp++
			h := n.Props.Strings("statusHistory")
			if n.Props.String("vulnerability") != "CVE-2021-44228" || n.Props.String("vexState") != "not_affected" ||
				n.Props.String("vexJustification") != "code_not_reachable" || !strings.Contains(h[len(h)-1], "false_positive vex: VEX not_affected") {
				t.Errorf("VEX'd finding %v", n.Props)
			}
			if tools := n.Props.Strings("tools"); len(tools) != 2 || tools[0] != "grype" || tools[1] != "cyclonedx" {
				t.Errorf("tools %v", tools)
			}
		case StatusOpen:
			open++
		}
	}
	if fp != 1 || open != 7 {
		t.Errorf("%d false positives, %d open; want 1 and 7", fp, open)
	}
}

// The demo estate's own scan (SARIF written with riskgraph fingerprints
// and targets) updates the demo's findings instead of duplicating them.
func TestDemoScanUpdatesDemoFindings(t *testing.T) {
	ctx := context.Background()
	in := readInput(t, "../testdata/demo/findings/scan.sarif")
	s := newStore(t)
	b := demo.Batch()
	if _, err := s.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	before := allFindings(t, s)
	sum, err := Import(ctx, s, []Input{in}, Options{Now: clock(demo.ObservedAt.Add(1))})
	if err != nil {
		t.Fatal(err)
	}
	after := allFindings(t, s)
	if sum.New != 0 || len(after) != len(before) || sum.Seen != len(before) {
		t.Fatalf("demo scan: %d new, %d seen; %d findings before, %d after", sum.New, sum.Seen, len(before), len(after))
	}
	subj := subjectsByFinding(t, s)
	for id, n := range after {
		if len(subj[id]) == 0 || n.Props.String("status") != StatusOpen || n.Props.String("severity") != before[id].Props.String("severity") {
			t.Errorf("%s: on %v status %q severity %q (demo %q)", n.Name, subj[id], n.Props.String("status"), n.Props.String("severity"), before[id].Props.String("severity"))
		}
	}
}

// IaC misconfigurations name their resource by Terraform address or
// CloudFormation logical id; the same name in two modules or two templates
// is told apart by the file the scanner reports, and a logical id goes to
// the template the finding is in, not another template's resource. An
// instance address (aws_s3_bucket.data["eu"]) is its resource's.
func TestIaCResourceByFile(t *testing.T) {
	ctx := context.Background()
	src := func(file string) []graph.Source { return []graph.Source{{Agent: "test", File: file, Line: 3}} }
	cfnA := graph.DataStoreID("prod", "orders/Bucket")
	cfnB := graph.DataStoreID("prod", "users/Bucket")
	tfDev := graph.DataStoreID("prod", "terraform:envs/dev:aws_s3_bucket.data")
	tfProd := graph.DataStoreID("prod", "terraform:envs/prod:aws_s3_bucket.data")
	s := newStore(t)
	apply(t, s, []graph.Node{
		{ID: cfnA, Kind: graph.DataStore, Name: "orders/Bucket", Env: "prod", Props: graph.Props{"logicalId": "Bucket", "stack": "orders"}, Sources: src("infra/orders/template.yaml")},
		{ID: cfnB, Kind: graph.DataStore, Name: "users/Bucket", Env: "prod", Props: graph.Props{"logicalId": "Bucket", "stack": "users"}, Sources: src("infra/users/template.yaml")},
		{ID: tfDev, Kind: graph.DataStore, Name: "aws_s3_bucket.data", Env: "prod", Props: graph.Props{"address": "aws_s3_bucket.data"}, Sources: src("envs/dev/s3.tf")},
		{ID: tfProd, Kind: graph.DataStore, Name: "aws_s3_bucket.data", Env: "prod", Props: graph.Props{"address": "aws_s3_bucket.data"}, Sources: src("envs/prod/s3.tf")},
	}, nil)
	misconf := func(id, resource string) map[string]any {
		return map[string]any{"ID": id, "Title": id, "Severity": "HIGH", "Status": "FAIL",
			"CauseMetadata": map[string]any{"Resource": resource, "StartLine": 3}}
	}
	trivy := map[string]any{"SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "filesystem", "Results": []any{
		map[string]any{"Target": "orders/template.yaml", "Class": "config", "Type": "cloudformation",
			"Misconfigurations": []any{misconf("AVD-AWS-0088", "Bucket")}},
		map[string]any{"Target": "envs/dev/s3.tf", "Class": "config", "Type": "terraform",
			"Misconfigurations": []any{misconf("AVD-AWS-0089", "aws_s3_bucket.data")}},
		map[string]any{"Target": "other/template.yaml", "Class": "config", "Type": "cloudformation",
			"Misconfigurations": []any{misconf("AVD-AWS-0090", "Bucket")}},
		map[string]any{"Target": "envs/prod/s3.tf", "Class": "config", "Type": "terraform",
			"Misconfigurations": []any{misconf("AVD-AWS-0091", `aws_s3_bucket.data["eu"]`)}},
	}}
	checkov := map[string]any{"version": "2.1.0", "runs": []any{map[string]any{
		"tool": map[string]any{"driver": map[string]any{"name": "Checkov", "rules": []any{map[string]any{"id": "CKV_AWS_18"}}}},
		"results": []any{map[string]any{"ruleId": "CKV_AWS_18", "level": "error", "message": map[string]any{"text": "access logging"},
			"locations": []any{map[string]any{"physicalLocation": map[string]any{
				"artifactLocation": map[string]any{"uri": "users/template.yaml"},
				"region":           map[string]any{"startLine": 3, "snippet": map[string]any{"text": "  Bucket:\n    Type: AWS::S3::Bucket\n    Properties: {}\n"}}}}}}},
	}}}
	ins := []Input{{Name: "trivy.json", Data: mustJSON(t, trivy)}, {Name: "checkov.sarif", Data: mustJSON(t, checkov)}}
	sum, err := Import(ctx, s, ins, Options{Now: clock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]graph.ID{"AVD-AWS-0088": {cfnA}, "AVD-AWS-0089": {tfDev}, "AVD-AWS-0090": nil, "AVD-AWS-0091": {tfProd}, "CKV_AWS_18": {cfnB}}
	subj := subjectsByFinding(t, s)
	for id, n := range allFindings(t, s) {
		rule := n.Props.String("rule")
		if got := subj[id]; !slices.Equal(got, want[rule]) {
			t.Errorf("%s on %v, want %v", rule, got, want[rule])
		}
	}
	if len(sum.Unresolved) != 1 {
		t.Errorf("%d unresolved, want 1 (the logical id of a template not in the graph)", len(sum.Unresolved))
	}
}
