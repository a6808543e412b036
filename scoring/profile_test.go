package scoring

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
)

func TestLoadProfileOverridesAndKeepsDefaults(t *testing.T) {
	p, err := LoadProfile("testdata/profile.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := DefaultProfile()
	if p.Severity.EPSSWeight != 0.8 || p.Exploitability.InternetAuthenticated != 0.7 || p.AutoTriageBelow != 5 {
		t.Errorf("overrides not applied: %+v", p)
	}
	// Maps merge key by key: prod keeps its default next to the new staging.
	if p.Exploitability.Environments["staging"] != 0.9 || p.Exploitability.Environments["prod"] != 1.0 {
		t.Errorf("environments %v", p.Exploitability.Environments)
	}
	if p.Impact.DataClasses[graph.Financial] != 0.9 || p.Impact.DataClasses[graph.PCI] != d.Impact.DataClasses[graph.PCI] {
		t.Errorf("data classes %v", p.Impact.DataClasses)
	}
	if p.Severity.KEVBoost != d.Severity.KEVBoost || p.Paths != d.Paths {
		t.Errorf("unnamed weights changed: %+v", p)
	}
	if err := d.validate(nil); err != nil {
		t.Errorf("default profile invalid: %v", err)
	}
}

func TestLoadProfileErrors(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"severity:\n  epssWieght: 0.3\n", "line 2: field epssWieght not found"},
		{"impact:\n  noData: 0.1\n  dataClasses:\n    PII: 1.5\n", "line 4: impact.dataClasses.PII: 1.5 is out of range"},
		{"impact:\n  dataClasses:\n    SECRETS: 0.5\n", `line 3: impact.dataClasses: unknown data class "SECRETS"`},
		{"exploitability:\n  internetAuthenticated: 1\n  internetUnauthenticated: 0.5\n", "line 2: exploitability.internetAuthenticated (1) exceeds"},
		{"paths:\n  maxHops: 0\n", "line 2: paths.maxHops: 0"},
		{"autoTriageBelow: many\n", "line 1"},
		{"severity: [1, 2]\n", "line 1"},
	} {
		_, err := ParseProfile([]byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: want an error containing %q, got %v", c.yaml, c.want, err)
		}
	}
	path := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(path, []byte("bogus: 1\n"), 0o644)
	if _, err := LoadProfile(path); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("LoadProfile error must name the file and line: %v", err)
	}
	if _, err := LoadProfile(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("missing file: want an error")
	}
	if p, err := ParseProfile(nil); err != nil || p.Paths.Limit != DefaultProfile().Paths.Limit {
		t.Errorf("empty profile: %v", err)
	}
}

func FuzzParseProfile(f *testing.F) {
	seed, err := os.ReadFile("testdata/profile.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("severity:\n  levels: {critical: 1}\n"))
	f.Add([]byte("paths: {maxHops: 3, limit: 2}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProfile(data)
		if err != nil {
			return
		}
		// Whatever parses is within range: a second validation agrees.
		if err := p.validate(nil); err != nil {
			t.Fatalf("accepted an invalid profile: %v", err)
		}
	})
}
