// Command write renders the demo estate's artifact files into
// testdata/demo (run through `go generate ./testdata/demo`). It replaces the
// generated directories wholesale so that a file dropped from the estate
// disappears from disk too.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/riskgraph/riskgraph/testdata/demo"
)

// generated are the directories under testdata/demo that write owns.
var generated = []string{"k8s", "compose", "openapi", "sbom", "sql", "findings"}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "write:", err)
		os.Exit(1)
	}
}

func run() error {
	// go generate runs in the package directory; refuse to write elsewhere.
	if _, err := os.Stat("estate.go"); err != nil {
		return fmt.Errorf("run me from testdata/demo (go generate ./testdata/demo): %w", err)
	}
	for _, d := range generated {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	for _, f := range demo.Artifacts() {
		rel, ok := strings.CutPrefix(f.Path, demo.Root+"/")
		if !ok {
			return fmt.Errorf("artifact %s is outside %s", f.Path, demo.Root)
		}
		if err := os.MkdirAll(filepath.Dir(rel), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(rel, f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
