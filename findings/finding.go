package findings

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/riskgraph/riskgraph/graph"
)

// Categories of findings.
const (
	CategoryVulnerability    = "vulnerability"
	CategoryCode             = "code"
	CategoryMisconfiguration = "misconfiguration"
	CategorySecret           = "secret"
)

// Statuses of findings.
const (
	StatusOpen          = "open"
	StatusFixed         = "fixed"
	StatusAccepted      = "accepted"
	StatusFalsePositive = "false_positive"
)

// Format is an input format.
type Format string

// Formats the importer detects from content.
const (
	FormatSARIF     Format = "sarif"
	FormatGrype     Format = "grype"
	FormatTrivy     Format = "trivy"
	FormatOSV       Format = "osv-scanner"
	FormatCycloneDX Format = "cyclonedx"
)

// Report is what one input file says: one or more scans (a SARIF file can
// hold several runs of different tools).
type Report struct {
	File   string
	Format Format
	Scans  []Scan
}

// Scan is one tool's output for one target.
type Scan struct {
	Tool     string
	Version  string
	Target   string // image ref, directory, cluster, repository; "" when unknown
	Findings []Finding
}

// Finding is one result as a scanner reported it, before it is correlated
// with the graph.
type Finding struct {
	Category string
	Rule     string // rule id, or the advisory id as the tool named it
	Title    string
	Severity string // normalised: critical|high|medium|low|info
	Message  string

	// Package vulnerabilities.
	Advisory    string   // primary advisory id (the CVE when there is one)
	Aliases     []string // every other id of the advisory
	Summary     string
	CVSS        float64
	CVSSVector  string
	EPSS        float64
	EPSSPct     float64
	Purl        string // as reported (may be empty)
	Ecosystem   string // purl type, when the purl is unknown
	PkgName     string
	PkgVersion  string
	FixVersions []string

	// Locations.
	File     string
	Line     int
	Column   int
	Resource string // "Kind/namespace/name" or a Terraform address
	Product  string // a CycloneDX product reference that is not a package

	// UniqueID is the tool's own stable id for the result (SARIF
	// fingerprints), combined with fields into the fingerprint.
	UniqueID string

	VEXState         string
	VEXJustification string

	// Suppressed says how the tool's user suppressed the result (SARIF
	// suppressions: "inSource: reason" for a nosec or checkov:skip
	// comment, "external" for a baseline); such a finding is accepted.
	Suppressed string

	// Fixed is a fingerprint the producer computed with riskgraph's own
	// scheme (partialFingerprints "riskgraph/v1", as in the demo estate's
	// scan); it is used as is, so such a result updates its node.
	Fixed string
	// Subject is the node the producer says the result is about (SARIF
	// result properties.target {kind, env, name}, riskgraph's convention).
	Subject *SubjectRef

	// Where in the input it came from (JSON path).
	Path string
}

// SubjectRef names a node by kind and natural key.
type SubjectRef struct {
	Kind   string `json:"kind"`
	Env    string `json:"env"`
	Name   string `json:"name"`   // for an API: its service's name
	Method string `json:"method"` // API only
	Path   string `json:"path"`   // API only
}

var cveRe = cveMatcher{}

// cveMatcher tells CVE ids (CVE-YYYY-N…, any case) without a regexp: it
// runs for every advisory id and alias of every finding.
type cveMatcher struct{}

func (cveMatcher) MatchString(s string) bool {
	if len(s) < 10 || !strings.EqualFold(s[:4], "CVE-") || s[8] != '-' {
		return false
	}
	for i := 4; i < len(s); i++ {
		if i == 8 {
			continue
		}
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// primaryAdvisory picks the id a vulnerability node is keyed by: the first
// CVE among id and aliases, else id. The others become aliases.
func primaryAdvisory(id string, aliases []string) (string, []string) {
	id = strings.TrimSpace(id)
	all := append([]string{id}, aliases...)
	primary := id
	if !cveRe.MatchString(id) {
		for _, a := range aliases {
			if cveRe.MatchString(strings.TrimSpace(a)) {
				primary = strings.TrimSpace(a)
				break
			}
		}
	}
	primary = strings.ToUpper(primary)
	var rest []string
	for _, a := range all {
		a = strings.TrimSpace(a)
		if a == "" || strings.EqualFold(a, primary) || slices.Contains(rest, a) {
			continue
		}
		rest = append(rest, a)
	}
	slices.Sort(rest)
	return primary, rest
}

// subjectKey is what a package finding is about, normalised so that every
// tool names the same package the same way.
func (f *Finding) subjectKey() string {
	if f.Purl != "" {
		return NormalizePurl(f.Purl)
	}
	if f.PkgName != "" {
		return strings.ToLower(f.Ecosystem) + "/" + f.PkgName + "@" + f.PkgVersion
	}
	return f.Product
}

// Fingerprint is the finding's stable dedup key (see the package doc).
func (f *Finding) Fingerprint(tool, target string) string {
	if f.Fixed != "" {
		return f.Fixed
	}
	var parts []string
	switch {
	case f.Category == CategoryVulnerability && f.Advisory != "" && f.subjectKey() != "":
		parts = []string{"vuln", f.subjectKey(), strings.ToUpper(f.Advisory)}
		if f.Product != "" && f.Purl == "" && f.PkgName == "" {
			parts = append(parts, target)
		}
	case f.UniqueID != "":
		parts = []string{"uid", strings.ToLower(tool), target, f.Rule, f.File, f.UniqueID}
	default:
		parts = []string{f.Category, strings.ToLower(tool), target, f.Rule, f.Resource, f.File, itoa(f.Line), itoa(f.Column), f.Advisory, f.subjectKey()}
	}
	h := sha256.Sum256([]byte(strings.Join(parts, "\x1f")))
	return hex.EncodeToString(h[:16])
}

// ID is the Finding node id for a fingerprint.
func ID(fingerprint string) graph.ID { return graph.FindingID(fingerprint) }
