package findings

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// Trivy JSON. Trivy's own types (pkg/types in aquasecurity/trivy) pull in
// the whole scanner, so these structs hold only the fields used. They read
// schema 2 reports (image, fs, repo, config), the pre-schema-2 list of
// results, and `trivy k8s` reports (ClusterName with Vulnerabilities and
// Misconfigurations grouped per resource, or Resources).
type trivyDoc struct {
	SchemaVersion     int                      `json:"SchemaVersion"`
	ArtifactName      string                   `json:"ArtifactName"`
	Trivy             struct{ Version string } `json:"Trivy"`
	Results           []trivyResult            `json:"Results"`
	ClusterName       string                   `json:"ClusterName"`
	Vulnerabilities   []trivyResource          `json:"Vulnerabilities"`
	Misconfigurations []trivyResource          `json:"Misconfigurations"`
	Resources         []trivyResource          `json:"Resources"`
}

type trivyResource struct {
	Namespace string        `json:"Namespace"`
	Kind      string        `json:"Kind"`
	Name      string        `json:"Name"`
	Results   []trivyResult `json:"Results"`
}

type trivyResult struct {
	Target            string         `json:"Target"`
	Class             string         `json:"Class"`
	Type              string         `json:"Type"`
	Vulnerabilities   []trivyVuln    `json:"Vulnerabilities"`
	Misconfigurations []trivyMisconf `json:"Misconfigurations"`
	Secrets           []trivySecret  `json:"Secrets"`
}

type trivyVuln struct {
	VulnerabilityID string   `json:"VulnerabilityID"`
	VendorIDs       []string `json:"VendorIDs"`
	PkgName         string   `json:"PkgName"`
	PkgPath         string   `json:"PkgPath"`
	PkgIdentifier   struct {
		PURL string `json:"PURL"`
	} `json:"PkgIdentifier"`
	InstalledVersion string `json:"InstalledVersion"`
	FixedVersion     string `json:"FixedVersion"`
	Title            string `json:"Title"`
	Description      string `json:"Description"`
	Severity         string `json:"Severity"`
	CVSS             map[string]struct {
		V2Score   float64 `json:"V2Score"`
		V2Vector  string  `json:"V2Vector"`
		V3Score   float64 `json:"V3Score"`
		V3Vector  string  `json:"V3Vector"`
		V40Score  float64 `json:"V40Score"`
		V40Vector string  `json:"V40Vector"`
	} `json:"CVSS"`
}

type trivyMisconf struct {
	ID            string `json:"ID"`
	AVDID         string `json:"AVDID"`
	Title         string `json:"Title"`
	Message       string `json:"Message"`
	Severity      string `json:"Severity"`
	Status        string `json:"Status"`
	CauseMetadata struct {
		Resource  string `json:"Resource"`
		StartLine int    `json:"StartLine"`
	} `json:"CauseMetadata"`
}

type trivySecret struct {
	RuleID    string `json:"RuleID"`
	Category  string `json:"Category"`
	Severity  string `json:"Severity"`
	Title     string `json:"Title"`
	StartLine int    `json:"StartLine"`
	// Match (the matched text, masked or not) is deliberately not read:
	// riskgraph never stores secret values.
}

var trivySections = []string{"Results", "Vulnerabilities", "Misconfigurations", "Secrets", "Resources"}

func parseTrivy(file string, data []byte) (*Report, error) {
	if err := nullSections(file, data, trivySections...); err != nil {
		return nil, err
	}
	var doc trivyDoc
	legacy := bytes.HasPrefix(bytes.TrimSpace(data), []byte("["))
	if legacy {
		if err := decodeJSON(file, data, &doc.Results); err != nil {
			return nil, err
		}
	} else if err := decodeJSON(file, data, &doc); err != nil {
		return nil, err
	}
	scan := Scan{Tool: "trivy", Version: doc.Trivy.Version, Target: doc.ArtifactName}
	var err error
	add := func(base string, results []trivyResult, resource string) {
		for i, r := range results {
			if err != nil {
				return
			}
			err = trivyResultFindings(file, data, fmt.Sprintf("%s[%d]", base, i), r, resource, &scan)
		}
	}
	if legacy {
		add("$", doc.Results, "")
	} else {
		add("$.Results", doc.Results, "")
	}
	if doc.ClusterName != "" {
		scan.Target = doc.ClusterName
	}
	for _, sec := range []struct {
		key string
		rs  []trivyResource
	}{{"Vulnerabilities", doc.Vulnerabilities}, {"Misconfigurations", doc.Misconfigurations}, {"Resources", doc.Resources}} {
		for i, res := range sec.rs {
			resource := res.Kind + "/" + res.Namespace + "/" + res.Name
			add(fmt.Sprintf("$.%s[%d].Results", sec.key, i), res.Results, resource)
		}
	}
	if err != nil {
		return nil, err
	}
	return &Report{File: file, Format: FormatTrivy, Scans: []Scan{scan}}, nil
}

var k8sObjectInMessage = regexp.MustCompile(`\bof (\w+) '([^']+)'`)

func trivyResultFindings(file string, data []byte, path string, r trivyResult, resource string, scan *Scan) error {
	for j, v := range r.Vulnerabilities {
		p := fmt.Sprintf("%s.Vulnerabilities[%d]", path, j)
		if strings.TrimSpace(v.VulnerabilityID) == "" {
			return fieldError(file, data, p+".VulnerabilityID", "is empty (want the advisory id)")
		}
		if v.PkgName == "" && v.PkgIdentifier.PURL == "" {
			return fieldError(file, data, p+".PkgName", "is empty (want the package name)")
		}
		f := Finding{
			Category:   CategoryVulnerability,
			Rule:       v.VulnerabilityID,
			Purl:       v.PkgIdentifier.PURL,
			Ecosystem:  r.Type,
			PkgName:    v.PkgName,
			PkgVersion: v.InstalledVersion,
			Summary:    firstLine(v.Title),
			Resource:   resource,
			Path:       p,
		}
		if f.Purl == "" {
			f.Purl = purlFor(r.Type, v.PkgName, v.InstalledVersion)
		}
		if f.Summary == "" {
			f.Summary = firstLine(v.Description)
		}
		f.Advisory, f.Aliases = primaryAdvisory(v.VulnerabilityID, v.VendorIDs)
		for _, src := range []string{"nvd", "ghsa", "redhat"} {
			if c, ok := v.CVSS[src]; ok && f.CVSS == 0 {
				switch {
				case c.V40Score > 0:
					f.CVSS, f.CVSSVector = c.V40Score, c.V40Vector
				case c.V3Score > 0:
					f.CVSS, f.CVSSVector = c.V3Score, c.V3Vector
				}
			}
		}
		f.Severity = normSeverity(v.Severity)
		if !knownSeverity(v.Severity) && f.CVSS > 0 {
			f.Severity = severityFromScore(f.CVSS)
		}
		if v.FixedVersion != "" {
			f.FixVersions = strings.Split(v.FixedVersion, ", ")
		}
		switch {
		case v.PkgPath != "":
			f.File = v.PkgPath
		case r.Class == "lang-pkgs":
			f.File = r.Target
		}
		f.Title = f.Advisory + " in " + v.PkgName + " " + v.InstalledVersion
		f.Message = fmt.Sprintf("%s %s is affected by %s", v.PkgName, v.InstalledVersion, v.VulnerabilityID)
		if v.FixedVersion != "" {
			f.Message += "; fixed in " + v.FixedVersion
		}
		scan.Findings = append(scan.Findings, f)
	}
	for j, m := range r.Misconfigurations {
		p := fmt.Sprintf("%s.Misconfigurations[%d]", path, j)
		if m.Status != "" && !strings.EqualFold(m.Status, "FAIL") {
			continue // passed checks are listed with --include-non-failures
		}
		if m.ID == "" && m.AVDID == "" {
			return fieldError(file, data, p+".ID", "is empty (want the check id)")
		}
		rule := m.ID
		if rule == "" {
			rule = m.AVDID
		}
		f := Finding{
			Category: CategoryMisconfiguration,
			Rule:     rule,
			Title:    m.Title,
			Severity: normSeverity(m.Severity),
			Message:  m.Message,
			File:     r.Target,
			Line:     m.CauseMetadata.StartLine,
			Resource: resource,
			Path:     p,
		}
		if resource != "" {
			f.File = ""
		}
		if f.Resource == "" {
			if m.CauseMetadata.Resource != "" {
				f.Resource = m.CauseMetadata.Resource
			} else if mm := k8sObjectInMessage.FindStringSubmatch(m.Message); mm != nil && (r.Type == "kubernetes" || r.Type == "helm") {
				f.Resource = mm[1] + "//" + mm[2]
			}
		}
		scan.Findings = append(scan.Findings, f)
	}
	for j, s := range r.Secrets {
		p := fmt.Sprintf("%s.Secrets[%d]", path, j)
		if s.RuleID == "" {
			return fieldError(file, data, p+".RuleID", "is empty (want the secret rule id)")
		}
		scan.Findings = append(scan.Findings, Finding{
			Category: CategorySecret,
			Rule:     s.RuleID,
			Title:    s.Title,
			Severity: normSeverity(s.Severity),
			Message:  fmt.Sprintf("%s (%s) in %s line %d; the value is not stored", s.Title, s.Category, r.Target, s.StartLine),
			File:     r.Target,
			Line:     s.StartLine,
			Resource: resource,
			Path:     p,
		})
	}
	return nil
}
