package findings

import (
	"os"
	"path/filepath"
	"testing"
)

// corpusDir finds shared/corpus/findings: $RISKGRAPH_CORPUS, else the first
// ancestor of the package directory that holds shared/corpus. Outside CI a
// missing corpus skips the test; under CI=true it fails.
func corpusDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("RISKGRAPH_CORPUS"); d != "" {
		return filepath.Join(d, "findings")
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		c := filepath.Join(dir, "shared", "corpus")
		if fi, err := os.Stat(c); err == nil && fi.IsDir() {
			return filepath.Join(c, "findings")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("corpus not found: no shared/corpus above the package directory and RISKGRAPH_CORPUS unset")
	}
	t.Skip("corpus not found (shared/corpus above the package dir, or RISKGRAPH_CORPUS)")
	return ""
}

func corpusFile(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(corpusDir(t), rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("corpus file %s: %v", rel, err)
	}
	return p
}
