package k8s

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

// FuzzReadStream feeds arbitrary bytes to the manifest reader and the
// resolver: a file error or nothing, never a panic.
func FuzzReadStream(f *testing.F) {
	seeds, _ := filepath.Glob("../../testdata/demo/k8s/prod/*/*.yaml")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n  spec: {type: NodePort, selector: {app: a}}\n"))
	f.Add([]byte("apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata: {name: v}\nspec:\n  gateways: [g]\n  hosts: ['*']\n  http:\n  - match: [{uri: {prefix: /api}}]\n    route: [{destination: {host: api}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := discovery.NewCollector("fuzz")
		if err := readStream("fuzz.yaml", data, "", c); err != nil {
			if _, ok := err.(*discovery.FileError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if err := (Resolver{}).Link(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		b, _ := c.Batch(graph.Scope{Source: "discover", Key: "fuzz"}, "fuzz")
		if err := b.Validate(); err != nil {
			t.Fatalf("the batch does not validate: %v", err)
		}
	})
}
