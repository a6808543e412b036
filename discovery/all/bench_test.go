package all_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/all"
)

// BenchmarkDiscoverCorpus discovers every corpus application in one run
// with all registered agents and linkers.
func BenchmarkDiscoverCorpus(b *testing.B) {
	corpus := corpusDir(b)
	entries, err := os.ReadDir(corpus)
	if err != nil {
		b.Fatal(err)
	}
	var apps []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(corpus, e.Name(), "GROUND_TRUTH.md")); err == nil {
			apps = append(apps, filepath.Join(corpus, e.Name()))
		}
	}
	b.ReportAllocs()
	files := 0
	for b.Loop() {
		rep, err := discovery.Run(context.Background(), apps, discovery.Options{
			Env: "bench", Agents: all.Agents(), DirAgents: all.DirAgents(), Linkers: all.Linkers(),
		})
		if err != nil {
			b.Fatal(err)
		}
		files = rep.Files
	}
	b.ReportMetric(float64(files)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(files), "files/op")
}
