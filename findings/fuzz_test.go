package findings

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// seedCorpus adds the corpus files of one format (small ones, so that the
// seed run stays fast) and a few broken shapes.
func seedCorpus(f *testing.F, sub string, extra ...string) {
	files, _ := filepath.Glob(filepath.Join(corpusDirOrEmpty(), sub, "*"))
	for _, file := range files {
		if fi, err := os.Stat(file); err == nil && fi.Size() < 64<<10 {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	for _, e := range extra {
		f.Add([]byte(e))
	}
}

// corpusDirOrEmpty is corpusDir without skipping: fuzz seeds are optional.
func corpusDirOrEmpty() string {
	if d := os.Getenv("RISKGRAPH_CORPUS"); d != "" {
		return filepath.Join(d, "findings")
	}
	dir, _ := os.Getwd()
	for dir != filepath.Dir(dir) {
		if fi, err := os.Stat(filepath.Join(dir, "shared", "corpus")); err == nil && fi.IsDir() {
			return filepath.Join(dir, "shared", "corpus", "findings")
		}
		dir = filepath.Dir(dir)
	}
	return ""
}

// checkParse is the property every parser keeps: it returns a report or a
// FileError naming the input, never panics, and every finding it returns
// has a rule, a category and a normalised severity.
func checkParse(t *testing.T, parse func(string, []byte) (*Report, error), data []byte) {
	r, err := parse("fuzz.json", data)
	if err != nil {
		var fe *FileError
		if !errors.As(err, &fe) || fe.File != "fuzz.json" {
			t.Fatalf("error %v (%T) is not a FileError naming the input", err, err)
		}
		return
	}
	for _, s := range r.Scans {
		for _, f := range s.Findings {
			if f.Rule == "" || f.Category == "" {
				t.Fatalf("finding without rule or category: %+v", f)
			}
			if _, ok := sevRank[f.Severity]; !ok {
				t.Fatalf("severity %q", f.Severity)
			}
			_ = f.Fingerprint(s.Tool, s.Target)
		}
	}
}

func FuzzParseSARIF(f *testing.F) {
	seedCorpus(f, "sarif", `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"ruleIndex":3}]}]}`,
		`{"version":"2.1.0","runs":[null]}`, `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x","rules":[null]}},"results":[null]}]}`)
	f.Fuzz(func(t *testing.T, data []byte) { checkParse(t, parseSARIF, data) })
}

func FuzzParseGrype(f *testing.F) {
	seedCorpus(f, "grype", `{"matches":[{"vulnerability":{"id":"CVE-1"},"artifact":{"name":"a"}}],"source":{"target":1}}`)
	f.Fuzz(func(t *testing.T, data []byte) { checkParse(t, parseGrype, data) })
}

func FuzzParseTrivy(f *testing.F) {
	seedCorpus(f, "trivy", `[{"Target":"x","Vulnerabilities":[null]}]`, `{"ClusterName":"c","Resources":[{"Results":null}]}`)
	f.Fuzz(func(t *testing.T, data []byte) { checkParse(t, parseTrivy, data) })
}

func FuzzParseOSV(f *testing.F) {
	seedCorpus(f, "osv", `{"results":[{"packages":[{"package":{"commit":"abc"},"groups":[{"ids":[]}]}]}]}`)
	f.Fuzz(func(t *testing.T, data []byte) { checkParse(t, parseOSV, data) })
}

func FuzzParseCycloneDX(f *testing.F) {
	seedCorpus(f, "cyclonedx", `{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"CVE-1","affects":[{"ref":"urn:cdx:x/1#%zz"}]}]}`)
	f.Fuzz(func(t *testing.T, data []byte) { checkParse(t, parseCycloneDX, data) })
}

func FuzzDetectAndParse(f *testing.F) {
	for _, sub := range []string{"sarif", "grype", "trivy", "osv", "cyclonedx"} {
		seedCorpus(f, sub)
	}
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"runs":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) { checkParse(t, Parse, data) })
}

func FuzzNormalizePurl(f *testing.F) {
	for _, s := range []string{"pkg:npm/%40a/b@1?x=y#z", "pkg:golang/x@v1+incompatible", "pkg:", "pkg:/@", "PKG:PyPI/A_B@1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizePurl(s)
		if NormalizePurl(n) != n {
			t.Fatalf("not idempotent: %q → %q → %q", s, n, NormalizePurl(n))
		}
	})
}
