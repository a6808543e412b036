package findings

import (
	"context"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
)

func TestKEVFormats(t *testing.T) {
	cat, err := LoadKEV(corpusFile(t, "kev-epss/cisa-kev-catalog-2025-08-25.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cat) != 1404 || cat["CVE-2025-48384"] != "2025-08-25" {
		t.Errorf("catalog: %d entries, CVE-2025-48384 added %q", len(cat), cat["CVE-2025-48384"])
	}
	bare, err := LoadKEV(corpusFile(t, "kev-epss/grype-kev-excerpt.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(bare) != 4 || bare["CVE-2025-24989"] != "2025-02-21" {
		t.Errorf("bare list: %v", bare)
	}
	if _, err := ParseKEV("kev.json", []byte(`{"vulnerabilities": [{"cveID": "not-a-cve"}]}`)); err == nil || !strings.Contains(err.Error(), "$.vulnerabilities[0].cveID") {
		t.Errorf("bad id error: %v", err)
	}
	if _, err := ParseKEV("kev.json", []byte(`{"title": "x"}`)); err == nil || !strings.Contains(err.Error(), "$.vulnerabilities") {
		t.Errorf("missing list error: %v", err)
	}
}

const epssCSV = `#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z
cve,epss,percentile
CVE-2021-44228,0.94358,0.99957
CVE-2022-28391,0.00512,0.66213
CVE-2021-45046,0.94,0.9991
`

func TestEPSSParse(t *testing.T) {
	e, err := ParseEPSS("epss.csv", strings.NewReader(epssCSV))
	if err != nil {
		t.Fatal(err)
	}
	if len(e) != 3 || e["CVE-2021-44228"].Probability != 0.94358 || e["CVE-2021-44228"].Percentile != 0.99957 {
		t.Errorf("parsed %v", e)
	}
	_, err = ParseEPSS("epss.csv", strings.NewReader("cve,epss,percentile\nCVE-2021-1,1.7,0.1\n"))
	if err == nil || !strings.Contains(err.Error(), "epss.csv:2") {
		t.Errorf("out-of-range error: %v", err)
	}
	_, err = ParseEPSS("epss.csv", strings.NewReader("id,score\n"))
	if err == nil || !strings.Contains(err.Error(), "want columns cve,epss,percentile") {
		t.Errorf("header error: %v", err)
	}
}

// The log4j CycloneDX report enriched with KEV and EPSS: Log4Shell is in
// KEV with its date and gets the EPSS of the CSV; a CVE missing from the
// catalog gets kev=false.
func TestImportEnriches(t *testing.T) {
	ctx := context.Background()
	in := readInput(t, corpusFile(t, "cyclonedx/cdx-1.4-grype-0.41-log4j.json"))
	kev, err := LoadKEV(corpusFile(t, "kev-epss/cisa-kev-catalog-2025-08-25.json"))
	if err != nil {
		t.Fatal(err)
	}
	epss, err := ParseEPSS("epss.csv", strings.NewReader(epssCSV))
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t)
	matchingEstate(t, s, parseAll(t, in)...)
	if _, err := Import(ctx, s, []Input{in}, Options{Now: clock(t0), KEV: kev, EPSS: epss}); err != nil {
		t.Fatal(err)
	}
	v, err := s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	l4s, err := v.Node(ctx, graph.VulnerabilityID("CVE-2021-44228"))
	if err != nil {
		t.Fatal(err)
	}
	p := l4s.Props
	if !p.Bool("kev") || p.String("kevDateAdded") != "2021-12-10" || p.Float("epss") != 0.94358 || p.Float("cvss") != 10 || p.String("severity") != "critical" {
		t.Errorf("Log4Shell props %v", p)
	}
	other, err := v.Node(ctx, graph.VulnerabilityID("CVE-2021-44832"))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := other.Props["kev"].(bool); !ok || v {
		t.Errorf("CVE-2021-44832 kev %v, want false", other.Props["kev"])
	}
	// The package is AFFECTED_BY each advisory.
	page, err := v.Edges(ctx, graph.EdgeFilter{Kinds: []graph.EdgeKind{graph.AffectedBy}}, graph.Page{})
	if err != nil || page.Total != 8 {
		t.Errorf("%d AFFECTED_BY edges (%v), want 8", page.Total, err)
	}
}

// Grype's own EPSS numbers (0.94 schema) land on the vulnerability without
// an EPSS file.
func TestGrypeEPSS(t *testing.T) {
	ctx := context.Background()
	s, _, _ := importedBusybox(t)
	v, err := s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	n, err := v.Node(ctx, graph.VulnerabilityID("CVE-2022-28391"))
	if err != nil {
		t.Fatal(err)
	}
	if n.Props.Float("epss") != 0.0719 || n.Props.Float("epssPercentile") != 0.91123 || n.Props.Float("cvss") != 8.8 {
		t.Errorf("props %v", n.Props)
	}
}
