package terraform

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
)

// BenchmarkTerraGoat reads TerraGoat's AWS module (14 files, 1,528 lines):
// parse, evaluate, join exposure, IAM reach.
func BenchmarkTerraGoat(b *testing.B) {
	dir := filepath.Join(corpusDir(b), "terragoat-aws", "terraform", "aws")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c := discovery.NewCollector("")
		if err := (Agent{}).ReadDir(context.Background(), dir, "aws", c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(14*b.N)/b.Elapsed().Seconds(), "files/s")
}
