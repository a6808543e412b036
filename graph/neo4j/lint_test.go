package neo4j

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// lintDir is the Node.js project that wraps Neo4j's Cypher front end.
var lintDir = filepath.Join("..", "..", "tools", "cypherlint")

// requireLinter skips (or, under CI=true, fails) when node or the pinned
// npm package is missing.
func requireLinter(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node is not installed"
	default:
		if _, err := os.Stat(filepath.Join(lintDir, "node_modules", "@neo4j-cypher", "language-support", "package.json")); err != nil {
			missing = "tools/cypherlint has no node_modules (run npm ci there)"
		}
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Cypher front-end check cannot run in CI: %s", missing)
		}
		t.Skipf("skipping Cypher front-end check: %s", missing)
	}
	return node
}

type lintResult struct {
	Name        string `json:"name"`
	Diagnostics []struct {
		Severity  int    `json:"severity"`
		Message   string `json:"message"`
		Line      int    `json:"line"`
		Character int    `json:"character"`
	} `json:"diagnostics"`
}

func lint(t *testing.T, node, language string, sts []Statement) []lintResult {
	t.Helper()
	labels, types, keys := Vocabulary()
	in, err := json.Marshal(map[string]any{
		"language": language, "labels": labels, "relationshipTypes": types, "propertyKeys": keys,
		"statements": sts,
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "lint.mjs")
	cmd.Dir = lintDir
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cypherlint: %v\n%s", err, stderr.String())
	}
	var res struct{ Results []lintResult }
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("cypherlint output: %v", err)
	}
	if len(res.Results) != len(sts) {
		t.Fatalf("cypherlint checked %d statements, sent %d", len(res.Results), len(sts))
	}
	return res.Results
}

// TestCypherFrontEnd checks every statement the backend can emit with Neo4j's
// parser and semantic analysis, for Cypher 5 (what Neo4j 5 runs) and Cypher
// 25 (what 2025.x servers run when their default language is switched).
// Errors and warnings (deprecations, unknown labels, types or keys) fail.
func TestCypherFrontEnd(t *testing.T) {
	node := requireLinter(t)
	sts := Statements()
	// The front end itself must reject a broken statement, or a pass
	// would mean nothing.
	probe := []Statement{{Name: "probe/deprecated", Text: "MATCH (n:Service) RETURN id(n)"},
		{Name: "probe/syntax", Text: "MATCH (n:Service RETURN n"}}
	// The two language versions are checked in parallel: each is one node
	// process busy for about 25 s.
	for _, lang := range []string{"CYPHER 5", "CYPHER 25"} {
		t.Run(strings.ReplaceAll(lang, " ", "_"), func(t *testing.T) {
			t.Parallel()
			res := lint(t, node, lang, append(append([]Statement{}, probe...), sts...))
			for _, p := range res[:len(probe)] {
				if len(p.Diagnostics) == 0 {
					t.Fatalf("%s: the front end accepted %s; the check is not working", lang, p.Name)
				}
			}
			for i, r := range res[len(probe):] {
				for _, d := range r.Diagnostics {
					kind := "error"
					if d.Severity != 1 {
						kind = "warning"
					}
					t.Errorf("%s: statement %s: %s at %d:%d: %s\n  %s", lang, r.Name, kind, d.Line+1, d.Character+1, d.Message, excerpt(sts[i].Text, d.Character))
				}
			}
		})
	}
}

func excerpt(s string, at int) string {
	lo, hi := max(0, at-40), min(len(s), at+40)
	return strings.TrimSpace(s[lo:hi])
}
