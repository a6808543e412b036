package findings

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// The same BOM as XML gives the same findings as its JSON.
func TestCycloneDXXML(t *testing.T) {
	in := readInput(t, corpusFile(t, "cyclonedx/cdx-1.4-vex-cisa-case3-mixed.json"))
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(in.Data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	bom.XMLNS = "http://cyclonedx.org/schema/bom/1.4"
	var xmlDoc bytes.Buffer
	if err := cdx.NewBOMEncoder(&xmlDoc, cdx.BOMFileFormatXML).Encode(&bom); err != nil {
		t.Fatal(err)
	}
	fromJSON, err := Parse(in.Name, in.Data)
	if err != nil {
		t.Fatal(err)
	}
	fromXML, err := Parse("vex.xml", xmlDoc.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	a, b := fromJSON.Scans[0].Findings, fromXML.Scans[0].Findings
	if len(a) != 19 || len(b) != len(a) {
		t.Fatalf("%d findings from JSON, %d from XML", len(a), len(b))
	}
	for i := range a {
		if a[i].Fingerprint("t", "x") != b[i].Fingerprint("t", "x") || a[i].VEXState != b[i].VEXState || a[i].Severity != b[i].Severity {
			t.Errorf("finding %d differs: %+v / %+v", i, a[i], b[i])
		}
	}
	if _, err := Parse("broken.xml", []byte(`<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><vulnerabilities><vulnerability>`)); err == nil {
		t.Error("truncated XML accepted")
	}
}

// Absolute file URIs under the run's %SRCROOT% become repository-relative.
func TestSARIFSourceRoot(t *testing.T) {
	in := readInput(t, corpusFile(t, "sarif/codeql-action-two-runs.sarif"))
	s := strings.Replace(string(in.Data), `"uri": "main.js"`, `"uri": "file:///home/runner/work/app/main.js"`, -1)
	s = strings.Replace(s, `"results": [`, `"originalUriBaseIds": {"%SRCROOT%": {"uri": "file:///home/runner/work/app/"}}, "results": [`, 1)
	r, err := Parse("abs.sarif", []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	if f := r.Scans[0].Findings[0].File; f != "main.js" {
		t.Errorf("file %q, want main.js", f)
	}
}

func TestDetectRejects(t *testing.T) {
	cases := map[string]string{
		`{"foo": 1}`:       "unknown format",
		`{"runs": [`:       "unknown format", // keys are seen, format not recognised
		`not json`:         "invalid character",
		``:                 "is empty",
		`[{"a": 1}]`:       "legacy Trivy",
		`<html></html>`:    "not a CycloneDX BOM",
		`{"matches": [1]}`: "$.matches[0]",
	}
	for in, want := range cases {
		_, err := Parse("in.json", []byte(in))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "in.json") {
			t.Errorf("Parse(%q) = %v, want an error naming in.json and containing %q", in, err, want)
		}
	}
}

// TestGrypeWontFix: versions listed under fix state "wont-fix" or
// "not-fixed" are not fixes.
func TestGrypeWontFix(t *testing.T) {
	match := func(id, state string, versions ...string) map[string]any {
		return map[string]any{
			"vulnerability": map[string]any{"id": id, "severity": "High", "fix": map[string]any{"state": state, "versions": versions}},
			"artifact":      map[string]any{"name": "redis", "version": "4.0.2", "type": "python", "purl": "pkg:pypi/redis@4.0.2"},
		}
	}
	data, err := json.Marshal(map[string]any{"matches": []any{
		match("CVE-2021-32626", "wont-fix", "fix_1"),
		match("CVE-2021-32627", "fixed", "4.1.0"),
	}, "source": map[string]any{"type": "image", "target": map[string]any{"userInput": "app:1"}}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Parse("grype.json", data)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, f := range rep.Scans[0].Findings {
		got[f.Rule] = f.FixVersions
	}
	if len(got["CVE-2021-32626"]) != 0 || !slices.Equal(got["CVE-2021-32627"], []string{"4.1.0"}) {
		t.Errorf("fix versions %v", got)
	}
}
