package findings

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Grype JSON: anchore publishes no small Go type package for its output (the
// types live inside grype itself), so these structs hold only the fields
// used. They read every schema from 0.7 (links, cvssV2) to 0.9x (cvss[],
// epss[], relatedVulnerabilities).
type grypeDoc struct {
	Matches    []grypeMatch    `json:"matches"`
	Source     grypeSource     `json:"source"`
	Descriptor grypeDescriptor `json:"descriptor"`
}

type grypeDescriptor struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type grypeSource struct {
	Type   string          `json:"type"`
	Target json.RawMessage `json:"target"`
}

type grypeMatch struct {
	Vulnerability grypeVuln     `json:"vulnerability"`
	Related       []grypeVuln   `json:"relatedVulnerabilities"`
	Artifact      grypeArtifact `json:"artifact"`
}

type grypeVuln struct {
	ID          string `json:"id"`
	Severity    string `json:"severity"`
	Description string `json:"description"`
	CVSS        []struct {
		Version string `json:"version"`
		Vector  string `json:"vector"`
		Metrics struct {
			BaseScore float64 `json:"baseScore"`
		} `json:"metrics"`
	} `json:"cvss"`
	CVSSV3 *struct {
		BaseScore float64 `json:"baseScore"`
		Vector    string  `json:"vector"`
	} `json:"cvssV3"`
	CVSSV2 *struct {
		BaseScore float64 `json:"baseScore"`
		Vector    string  `json:"vector"`
	} `json:"cvssV2"`
	Fix struct {
		Versions []string `json:"versions"`
		State    string   `json:"state"` // fixed, not-fixed, wont-fix, unknown
	} `json:"fix"`
	EPSS []struct {
		CVE        string  `json:"cve"`
		EPSS       float64 `json:"epss"`
		Percentile float64 `json:"percentile"`
	} `json:"epss"`
}

type grypeArtifact struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Type      string `json:"type"`
	Purl      string `json:"purl"`
	Locations []struct {
		Path string `json:"path"`
	} `json:"locations"`
}

func parseGrype(file string, data []byte) (*Report, error) {
	var doc grypeDoc
	if err := decodeJSON(file, data, &doc); err != nil {
		return nil, err
	}
	scan := Scan{Tool: "grype", Version: doc.Descriptor.Version, Target: grypeTarget(doc.Source)}
	scan.Findings = make([]Finding, 0, len(doc.Matches))
	for i, m := range doc.Matches {
		path := fmt.Sprintf("$.matches[%d]", i)
		v := m.Vulnerability
		if strings.TrimSpace(v.ID) == "" {
			return nil, fieldError(file, data, path+".vulnerability.id", "is empty (want the advisory id)")
		}
		a := m.Artifact
		if a.Name == "" && a.Purl == "" {
			return nil, fieldError(file, data, path+".artifact", "has neither name nor purl")
		}
		var aliases []string
		for _, r := range m.Related {
			aliases = append(aliases, r.ID)
		}
		f := Finding{
			Category:   CategoryVulnerability,
			Rule:       v.ID,
			Purl:       a.Purl,
			Ecosystem:  a.Type,
			PkgName:    a.Name,
			PkgVersion: a.Version,
			Summary:    firstLine(v.Description),
			Path:       path,
		}
		f.Advisory, f.Aliases = primaryAdvisory(v.ID, aliases)
		f.CVSS, f.CVSSVector = grypeCVSS(v)
		if f.CVSS == 0 {
			for _, r := range m.Related {
				if s, vec := grypeCVSS(r); s > 0 {
					f.CVSS, f.CVSSVector = s, vec
					break
				}
			}
		}
		sev := v.Severity
		if !knownSeverity(sev) {
			for _, r := range m.Related {
				if knownSeverity(r.Severity) {
					sev = r.Severity
					break
				}
			}
		}
		f.Severity = normSeverity(sev)
		if !knownSeverity(sev) && f.CVSS > 0 {
			f.Severity = severityFromScore(f.CVSS)
		}
		if s := strings.ToLower(v.Fix.State); s != "not-fixed" && s != "wont-fix" {
			f.FixVersions = v.Fix.Versions // a version listed with "wont-fix" is no fix
		}
		for _, e := range v.EPSS {
			f.EPSS, f.EPSSPct = e.EPSS, e.Percentile
		}
		if len(a.Locations) > 0 {
			f.File = a.Locations[0].Path
		}
		f.Title = f.Advisory + " in " + a.Name + " " + a.Version
		f.Message = fmt.Sprintf("%s %s is affected by %s", a.Name, a.Version, v.ID)
		if len(f.FixVersions) > 0 {
			f.Message += "; fixed in " + strings.Join(f.FixVersions, ", ")
		}
		scan.Findings = append(scan.Findings, f)
	}
	return &Report{File: file, Format: FormatGrype, Scans: []Scan{scan}}, nil
}

// grypeCVSS picks the highest v3+ base score, else v2.
func grypeCVSS(v grypeVuln) (float64, string) {
	var best float64
	var vec string
	for _, c := range v.CVSS {
		if strings.HasPrefix(c.Version, "2") {
			continue
		}
		if c.Metrics.BaseScore > best {
			best, vec = c.Metrics.BaseScore, c.Vector
		}
	}
	if best == 0 && v.CVSSV3 != nil {
		best, vec = v.CVSSV3.BaseScore, v.CVSSV3.Vector
	}
	if best == 0 {
		for _, c := range v.CVSS {
			if c.Metrics.BaseScore > best {
				best, vec = c.Metrics.BaseScore, c.Vector
			}
		}
	}
	if best == 0 && v.CVSSV2 != nil {
		best, vec = v.CVSSV2.BaseScore, v.CVSSV2.Vector
	}
	return best, vec
}

// grypeTarget is the scanned thing: the image as the user named it, or the
// directory path.
func grypeTarget(s grypeSource) string {
	var str string
	if json.Unmarshal(s.Target, &str) == nil {
		return strings.Trim(str, `"`)
	}
	var img struct {
		UserInput string   `json:"userInput"`
		Tags      []string `json:"tags"`
		Path      string   `json:"path"`
	}
	if json.Unmarshal(s.Target, &img) == nil {
		switch {
		case img.UserInput != "":
			return img.UserInput
		case len(img.Tags) > 0:
			return img.Tags[0]
		case img.Path != "":
			return img.Path
		}
	}
	return ""
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
