// Package testcorpus finds the shared corpus of real applications for
// tests: $RISKGRAPH_CORPUS, or shared/corpus in a directory above the
// package. Absent, a test skips with the reason — except under CI=true,
// where a missing prerequisite fails.
package testcorpus

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the corpus directory or ends the test.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("RISKGRAPH_CORPUS"); d != "" {
		return d
	}
	dir, _ := os.Getwd()
	for {
		c := filepath.Join(dir, "shared", "corpus")
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("corpus not found: set RISKGRAPH_CORPUS or check out shared/corpus beside the repository")
	}
	t.Skip("corpus not found (set RISKGRAPH_CORPUS)")
	return ""
}
