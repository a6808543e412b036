package cloudformation

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
)

// BenchmarkServerlessTemplates reads the serverless e-commerce sample's
// ten templates (4,400 lines of YAML).
func BenchmarkServerlessTemplates(b *testing.B) {
	root := filepath.Join(corpusDir(b), "aws-serverless-ecommerce")
	var files []*discovery.File
	_ = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		data, _ := os.ReadFile(p)
		f := &discovery.File{Path: p, Data: data}
		if (Agent{}).Detect(f) {
			files = append(files, f)
		}
		return nil
	})
	if len(files) != 10 {
		b.Fatalf("%d templates, want 10", len(files))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := discovery.NewCollector("")
		for _, f := range files {
			if err := (Agent{}).Read(context.Background(), f, c); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(files)*b.N)/b.Elapsed().Seconds(), "files/s")
}
