package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/discovery/aws/awsfake"
	"github.com/riskgraph/riskgraph/graph"
)

const awsEstate = "../../discovery/aws/testdata/estate"

// awsEnv gives the SDK static credentials and keeps it away from the
// user's AWS configuration and from instance metadata.
func awsEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFAKEFAKEFAKEFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestDiscoverAWSDryRunJSON(t *testing.T) {
	awsEnv(t)
	s := awsfake.New(awsEstate)
	defer s.Close()
	out, err := run(t, "discover", "aws", "--dry-run", "-o", "json", "--endpoint-url", s.URL, "--all-regions", "--timeout", "20s")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var b graph.Batch
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatalf("dry-run output is not a batch: %v\n%.500s", err, out)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	// --all-regions asked EC2; the account came from STS.
	if b.Scope != (graph.Scope{Source: "aws", Key: "123456789012:eu-north-1,us-east-1"}) || !strings.HasPrefix(string(b.Run), "discover-aws-") {
		t.Errorf("scope %v run %q", b.Scope, b.Run)
	}
	var webhook *graph.Node
	for i, n := range b.Nodes {
		if n.ID == graph.ServiceID("aws", "webhook") {
			webhook = &b.Nodes[i]
		}
	}
	if webhook == nil || webhook.Props.String("functionUrlAuth") != "NONE" || webhook.Props.String("region") != "us-east-1" {
		t.Fatalf("webhook function: %+v", webhook)
	}
	if strings.Contains(out, "AKIAIOSFODNN7EXAMPLE") {
		t.Error("a plaintext secret reached the output")
	}
	if w := s.Writes(); len(w) > 0 {
		t.Errorf("non-read calls: %v", w)
	}
}

func TestDiscoverAWSApplyPartialAndSweep(t *testing.T) {
	awsEnv(t)
	// A copy of the estate the test can change between runs.
	src := t.TempDir()
	if err := os.CopyFS(src, os.DirFS(awsEstate)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	args := func(url string) []string {
		return []string{"discover", "aws", "--data-dir", dir, "--endpoint-url", url, "--region", "us-east-1", "--timeout", "20s"}
	}
	stores := func() float64 {
		t.Helper()
		out, err := run(t, "stats", "--data-dir", dir, "--output", "json")
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			NodesByKind map[string]float64 `json:"nodesByKind"`
		}
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatal(err)
		}
		return m.NodesByKind["DataStore"]
	}

	s := awsfake.New(src)
	out, err := run(t, args(s.URL)...)
	s.Close()
	if err != nil || !strings.Contains(out, "swept: 0") {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	// 3 tables, 4 buckets, 4 databases (ledger-1 belongs to its cluster).
	if n := stores(); n != 11 {
		t.Fatalf("after the first run: %v data stores, want 11", n)
	}

	// The sessions table is deleted; RDS denies the reader. The run applies
	// what it read, reports RDS, exits non-zero and sweeps nothing.
	if err := os.WriteFile(filepath.Join(src, "dynamodb", "ListTables.orders.json"), []byte(`{"TableNames":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	s = awsfake.New(src)
	s.Deny("rds")
	out, err = run(t, args(s.URL)...)
	s.Close()
	if err == nil || !strings.Contains(out, "aws:us-east-1:rds: access denied") || !strings.Contains(out, "not swept") {
		t.Fatalf("partial run: err %v\n%s", err, out)
	}
	if n := stores(); n != 11 {
		t.Fatalf("after the partial run: %v data stores, want 11 (nothing swept)", n)
	}

	// A complete run sweeps the deleted table, and only that.
	s = awsfake.New(src)
	out, err = run(t, args(s.URL)...)
	s.Close()
	if err != nil || !strings.Contains(out, "swept: ") {
		t.Fatalf("clean run: %v\n%s", err, out)
	}
	if n := stores(); n != 10 {
		t.Fatalf("after the clean run: %v data stores, want 10\n%s", n, out)
	}
}

func TestDiscoverAWSFlags(t *testing.T) {
	awsEnv(t)
	if _, err := run(t, "discover", "aws", "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "--data-dir") {
		t.Errorf("no target: %v", err)
	}
	if _, err := run(t, "discover", "aws", "--dry-run", "--region", "us-east-1", "--all-regions"); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("--region with --all-regions: %v", err)
	}
	if _, err := run(t, "discover", "aws", "--dry-run", "--endpoint-url", "http://127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "no region") {
		t.Errorf("no region anywhere: %v", err)
	}
	_, err := run(t, "discover", "aws", "--dry-run", "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:1", "--timeout", "2s", "--max-attempts", "1")
	if err == nil || !strings.Contains(err.Error(), "GetCallerIdentity") {
		t.Errorf("unreachable endpoint: %v", err)
	}
}

func TestDiscoverAWSRoleARN(t *testing.T) {
	awsEnv(t)
	s := awsfake.New(awsEstate)
	defer s.Close()
	out, err := run(t, "discover", "aws", "--dry-run", "--endpoint-url", s.URL, "--region", "us-east-1",
		"--role-arn", "arn:aws:iam::123456789012:role/riskgraph-reader")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// The base credentials only assume the role (once: the credentials are
	// cached); every read is signed with the role's.
	signers := s.Signers()
	if got := signers["AKIDFAKEFAKEFAKEFAKE"]; len(got) != 1 || got[0] != "sts:AssumeRole" {
		t.Errorf("base credentials signed %v", got)
	}
	if n := len(signers["ASIAFAKEASSUMEDROLE1"]); n < 50 || len(signers) != 2 {
		t.Errorf("assumed-role credentials signed %d calls; signers %d", n, len(signers))
	}
	if w := s.Writes(); len(w) != 1 || w[0] != "sts:AssumeRole" {
		t.Errorf("non-read calls %v", w)
	}
}
