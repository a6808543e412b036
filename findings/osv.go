package findings

import (
	"fmt"
	"strings"
)

// OSV-Scanner JSON (`osv-scanner --format json`). The scanner's Go types
// (github.com/google/osv-scanner/pkg/models) bring the scanner's module
// graph along, so these structs hold only the fields used. One finding is
// made per group (a group is one advisory under all its ids), not per
// listed vulnerability record.
type osvDoc struct {
	Results []struct {
		Source struct {
			Path string `json:"path"`
			Type string `json:"type"`
		} `json:"source"`
		Packages []struct {
			Package struct {
				Name      string `json:"name"`
				Version   string `json:"version"`
				Ecosystem string `json:"ecosystem"`
				Purl      string `json:"purl"`
				Commit    string `json:"commit"`
			} `json:"package"`
			Vulnerabilities []osvVuln `json:"vulnerabilities"`
			Groups          []struct {
				IDs         []string `json:"ids"`
				Aliases     []string `json:"aliases"`
				MaxSeverity string   `json:"max_severity"`
			} `json:"groups"`
		} `json:"packages"`
	} `json:"results"`
}

type osvVuln struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases"`
	Summary  string   `json:"summary"`
	Details  string   `json:"details"`
	Severity []struct {
		Type  string `json:"type"`
		Score string `json:"score"`
	} `json:"severity"`
	DatabaseSpecific struct {
		Severity string `json:"severity"`
	} `json:"database_specific"`
	Affected []struct {
		Ranges []struct {
			Events []struct {
				Fixed string `json:"fixed"`
			} `json:"events"`
		} `json:"ranges"`
	} `json:"affected"`
}

func parseOSV(file string, data []byte) (*Report, error) {
	var doc osvDoc
	if err := decodeJSON(file, data, &doc); err != nil {
		return nil, err
	}
	scan := Scan{Tool: "osv-scanner"}
	var sources []string
	for i, r := range doc.Results {
		sources = append(sources, r.Source.Path)
		for j, p := range r.Packages {
			path := fmt.Sprintf("$.results[%d].packages[%d]", i, j)
			if p.Package.Name == "" && p.Package.Commit == "" {
				return nil, fieldError(file, data, path+".package.name", "is empty (want the package name, or a commit for a git source)")
			}
			byID := map[string]*osvVuln{}
			for k := range p.Vulnerabilities {
				byID[p.Vulnerabilities[k].ID] = &p.Vulnerabilities[k]
			}
			groups := p.Groups
			if len(groups) == 0 { // older output: one group per record
				for _, v := range p.Vulnerabilities {
					groups = append(groups, struct {
						IDs         []string `json:"ids"`
						Aliases     []string `json:"aliases"`
						MaxSeverity string   `json:"max_severity"`
					}{IDs: []string{v.ID}, Aliases: v.Aliases})
				}
			}
			for k, g := range groups {
				gp := fmt.Sprintf("%s.groups[%d]", path, k)
				if len(g.IDs) == 0 {
					return nil, fieldError(file, data, gp+".ids", "is empty (want the advisory ids of the group)")
				}
				f := Finding{
					Category:   CategoryVulnerability,
					Rule:       g.IDs[0],
					Purl:       p.Package.Purl,
					Ecosystem:  osvEcosystemType(p.Package.Ecosystem),
					PkgName:    p.Package.Name,
					PkgVersion: p.Package.Version,
					File:       r.Source.Path,
					Path:       gp,
				}
				switch {
				case p.Package.Name == "":
					// a git source matched by commit: the repository is the subject
					f.PkgName, f.PkgVersion = "", ""
					f.Product = strings.TrimSuffix(r.Source.Path, "/") + "@" + p.Package.Commit
				case f.Purl == "":
					f.Purl = osvPurl(p.Package.Ecosystem, p.Package.Name, p.Package.Version)
				}
				f.Advisory, f.Aliases = primaryAdvisory(g.IDs[0], append(append([]string{}, g.IDs[1:]...), g.Aliases...))
				sevWord := ""
				for _, id := range g.IDs {
					v := byID[id]
					if v == nil {
						continue
					}
					if f.Summary == "" {
						f.Summary = firstLine(v.Summary)
						if f.Summary == "" {
							f.Summary = firstLine(v.Details)
						}
					}
					for _, s := range v.Severity {
						if sc, ok := cvss3Score(s.Score); ok && sc > f.CVSS {
							f.CVSS, f.CVSSVector = sc, s.Score
						} else if strings.HasPrefix(s.Score, "CVSS:4") && f.CVSSVector == "" {
							f.CVSSVector = s.Score
						}
					}
					if sevWord == "" && knownSeverity(v.DatabaseSpecific.Severity) {
						sevWord = v.DatabaseSpecific.Severity
					}
					for _, a := range v.Affected {
						for _, rg := range a.Ranges {
							for _, e := range rg.Events {
								if e.Fixed != "" && !contains(f.FixVersions, e.Fixed) {
									f.FixVersions = append(f.FixVersions, e.Fixed)
								}
							}
						}
					}
				}
				if ms, ok := parseFloat(g.MaxSeverity); ok && ms > f.CVSS {
					f.CVSS = ms
				}
				switch {
				case f.CVSS > 0:
					f.Severity = severityFromScore(f.CVSS)
				case sevWord != "":
					f.Severity = normSeverity(sevWord)
				default:
					f.Severity = "info"
				}
				what := strings.TrimSpace(p.Package.Name + " " + p.Package.Version)
				if f.Product != "" {
					what = f.Product
				}
				f.Title = f.Advisory + " in " + what
				f.Message = fmt.Sprintf("%s (%s, %s) is affected by %s", what, p.Package.Ecosystem, r.Source.Path, strings.Join(g.IDs, ", "))
				scan.Findings = append(scan.Findings, f)
			}
		}
	}
	if len(sources) == 1 {
		scan.Target = sources[0]
	}
	return &Report{File: file, Format: FormatOSV, Scans: []Scan{scan}}, nil
}

func contains(xs []string, x string) bool {
	for _, e := range xs {
		if e == x {
			return true
		}
	}
	return false
}
