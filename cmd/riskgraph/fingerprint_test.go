package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
)

const fpManifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: orders, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  template:
    metadata: {labels: {app: orders}}
    spec:
      containers:
        - name: orders
          image: shop/orders:1
          env:
            - {name: DB_PASSWORD, value: hunter2-correct-horse}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: billing, namespace: shop}
spec:
  selector: {matchLabels: {app: billing}}
  template:
    metadata: {labels: {app: billing}}
    spec:
      containers:
        - name: billing
          image: shop/billing:1
          env:
            - {name: DB_PASSWORD, value: hunter2-correct-horse}
`

func hmacHex(key, v string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(v))
	return "DB_PASSWORD=hmac-sha256:" + hex.EncodeToString(m.Sum(nil))
}

func fingerprintsOf(t *testing.T, nodes []graph.Node, name string) []string {
	t.Helper()
	for _, n := range nodes {
		if n.ID == graph.ServiceID("prod", name) {
			return n.Props.Strings("credentialFingerprints")
		}
	}
	t.Fatalf("no service %s", name)
	return nil
}

// Secret values are fingerprinted with the estate's key: the data
// directory's own (made once, owner-only) or $RISKGRAPH_FINGERPRINT_KEY for
// runs into a server; one credential gets one fingerprint across workloads
// and runs, and never its plain digest.
func TestDiscoverFingerprintKey(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "shop.yaml")
	if err := os.WriteFile(manifest, []byte(fpManifest), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := sha256.Sum256([]byte("hunter2-correct-horse"))

	// The environment's key, on a dry run.
	t.Setenv(fingerprintKeyEnv, "estate-key-0123456789abcdef0123456789")
	out, err := run(t, "discover", "--dry-run", "-o", "json", "--env", "prod", manifest)
	if err != nil {
		t.Fatal(err)
	}
	var b graph.Batch
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatal(err)
	}
	want := hmacHex("estate-key-0123456789abcdef0123456789", "hunter2-correct-horse")
	for _, svc := range []string{"orders", "billing"} {
		if fps := fingerprintsOf(t, b.Nodes, svc); !slices.Equal(fps, []string{want}) {
			t.Errorf("%s: fingerprints %v, want %s", svc, fps, want)
		}
	}
	if strings.Contains(out, hex.EncodeToString(plain[:])) || strings.Contains(out, "hunter2") {
		t.Error("the value or its plain sha256 is in the batch")
	}

	// The data directory's key: made on the first run, kept after.
	t.Setenv(fingerprintKeyEnv, "")
	data := filepath.Join(dir, "data")
	stored := func() []string {
		t.Helper()
		if _, err := run(t, "discover", "--data-dir", data, "--env", "prod", manifest); err != nil {
			t.Fatal(err)
		}
		st, err := memdb.Open(data, memdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		v, err := st.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		n, err := v.Node(context.Background(), graph.ServiceID("prod", "orders"))
		if err != nil {
			t.Fatal(err)
		}
		return n.Props.Strings("credentialFingerprints")
	}
	first := stored()
	keyFile := filepath.Join(data, "fingerprint.key")
	info, err := os.Stat(keyFile)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", info, err)
	}
	key, _ := os.ReadFile(keyFile)
	if second := stored(); !slices.Equal(first, second) || len(first) != 1 ||
		first[0] != hmacHex(strings.TrimSpace(string(key)), "hunter2-correct-horse") {
		t.Errorf("fingerprints across runs: %v then %v (key file %q)", first, second, key)
	}
	if first[0] == want {
		t.Error("the data directory's key is the environment's")
	}

	// A damaged key file is an error that says what to do, not a new key.
	if err := os.WriteFile(keyFile, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "discover", "--data-dir", data, "--env", "prod", manifest); err == nil || !strings.Contains(err.Error(), "fingerprint.key") {
		t.Errorf("damaged key file: %v", err)
	}
}
