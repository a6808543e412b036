package findings

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// parseCycloneDX reads a CycloneDX JSON document's vulnerabilities (scanner
// output such as `grype -o cyclonedx-json` or `trivy --format cyclonedx`,
// or a VEX document) through cyclonedx-go's types. One finding is made per
// vulnerability and affected reference; a reference that is not a package
// (a product in a VEX) is split further by the affected versions listed.
// Refs may be bom-refs of components in the document, purls, or BOM-Links
// (urn:cdx:serial/version#ref) into another document.
func parseCycloneDX(file string, data []byte) (*Report, error) {
	var bom cdx.BOM
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '<' {
		if err := cdx.NewBOMDecoder(bytes.NewReader(t), cdx.BOMFileFormatXML).Decode(&bom); err != nil {
			e := &FileError{File: file, Msg: "CycloneDX XML: " + err.Error()}
			var syn *xml.SyntaxError
			if errors.As(err, &syn) {
				e.Line = syn.Line
			}
			return nil, e
		}
	} else if err := decodeJSON(file, data, &bom); err != nil {
		return nil, err
	}
	comps := map[string]cdx.Component{}
	var walk func(cs *[]cdx.Component)
	walk = func(cs *[]cdx.Component) {
		if cs == nil {
			return
		}
		for _, c := range *cs {
			if c.BOMRef != "" {
				comps[c.BOMRef] = c
			}
			walk(c.Components)
		}
	}
	scan := Scan{Tool: "cyclonedx"}
	if bom.Metadata != nil {
		if c := bom.Metadata.Component; c != nil {
			if c.BOMRef != "" {
				comps[c.BOMRef] = *c
			}
			scan.Target = c.Name
			if c.Version != "" {
				scan.Target += "@" + c.Version
			}
		}
		if t := bom.Metadata.Tools; t != nil {
			if t.Tools != nil && len(*t.Tools) > 0 {
				scan.Tool, scan.Version = strings.ToLower((*t.Tools)[0].Name), (*t.Tools)[0].Version
			} else if t.Components != nil && len(*t.Components) > 0 {
				scan.Tool, scan.Version = strings.ToLower((*t.Components)[0].Name), (*t.Components)[0].Version
			}
		}
	}
	walk(bom.Components)
	if bom.Vulnerabilities == nil {
		return &Report{File: file, Format: FormatCycloneDX, Scans: []Scan{scan}}, nil
	}
	for i, v := range *bom.Vulnerabilities {
		path := fmt.Sprintf("$.vulnerabilities[%d]", i)
		if strings.TrimSpace(v.ID) == "" {
			return nil, fieldError(file, data, path+".id", "is empty (want the advisory id)")
		}
		if v.Affects == nil || len(*v.Affects) == 0 {
			return nil, fieldError(file, data, path, "has no affects (want the components or products it applies to)")
		}
		var aliases []string
		if v.References != nil {
			for _, r := range *v.References {
				aliases = append(aliases, r.ID)
			}
		}
		base := Finding{Category: CategoryVulnerability, Rule: v.ID, Summary: firstLine(v.Description)}
		if base.Summary == "" {
			base.Summary = firstLine(v.Detail)
		}
		base.Advisory, base.Aliases = primaryAdvisory(v.ID, aliases)
		base.CVSS, base.CVSSVector, base.Severity = cdxRating(v.Ratings)
		if v.Analysis != nil {
			base.VEXState = cdxState(v.Analysis.State)
			base.VEXJustification = string(v.Analysis.Justification)
		}
		for j, a := range *v.Affects {
			ap := fmt.Sprintf("%s.affects[%d]", path, j)
			if strings.TrimSpace(a.Ref) == "" {
				return nil, fieldError(file, data, ap+".ref", "is empty (want a bom-ref, purl or BOM-Link)")
			}
			ref := bomLinkRef(a.Ref)
			f := base
			f.Path = ap
			f.Aliases = slices.Clone(base.Aliases)
			if c, ok := comps[ref]; ok {
				f.Purl, f.PkgName, f.PkgVersion = c.PackageURL, c.Name, c.Version
				if c.Group != "" {
					f.PkgName = c.Group + ":" + c.Name
				}
			} else if strings.HasPrefix(ref, "pkg:") {
				f.Purl = ref
			}
			if f.Purl == "" && f.PkgName == "" || f.Purl == "" && comps[ref].Type == cdx.ComponentTypeApplication {
				// a product, not a package
				name := ref
				if c, ok := comps[ref]; ok {
					name = c.Name
				}
				f.PkgName, f.PkgVersion = "", ""
				if a.Range == nil || len(*a.Range) == 0 {
					f.Product = name
					scan.Findings = append(scan.Findings, cdxTitled(f, name))
					continue
				}
				for k, r := range *a.Range {
					g := f
					g.Path = fmt.Sprintf("%s.versions[%d]", ap, k)
					ver := r.Version
					if ver == "" {
						ver = r.Range
					}
					g.Product = name + "@" + ver
					if r.Status == cdx.VulnerabilityStatusNotAffected && g.VEXState != "resolved" {
						g.VEXState = "not_affected"
					}
					scan.Findings = append(scan.Findings, cdxTitled(g, g.Product))
				}
				continue
			}
			if f.PkgName == "" {
				f.PkgName, f.PkgVersion = purlNameVersion(f.Purl)
			}
			scan.Findings = append(scan.Findings, cdxTitled(f, f.PkgName+" "+f.PkgVersion))
		}
	}
	return &Report{File: file, Format: FormatCycloneDX, Scans: []Scan{scan}}, nil
}

func cdxTitled(f Finding, what string) Finding {
	f.Title = f.Advisory + " in " + strings.TrimSpace(what)
	f.Message = strings.TrimSpace(what) + " is affected by " + f.Rule
	if f.VEXState != "" {
		f.Message += " (VEX: " + f.VEXState
		if f.VEXJustification != "" {
			f.Message += ", " + f.VEXJustification
		}
		f.Message += ")"
	}
	return f
}

// bomLinkRef returns the bom-ref a BOM-Link points at (the fragment of
// urn:cdx:serial/version#ref, percent-decoded), or ref itself.
func bomLinkRef(ref string) string {
	ref = strings.TrimSpace(ref)
	if !strings.HasPrefix(ref, "urn:cdx:") {
		return ref
	}
	_, frag, ok := strings.Cut(ref, "#")
	if !ok {
		return ref
	}
	if d, err := url.QueryUnescape(frag); err == nil && !strings.Contains(frag, "+") {
		return d
	}
	if d, err := url.PathUnescape(frag); err == nil {
		return d
	}
	return frag
}

func cdxState(s cdx.ImpactAnalysisState) string {
	switch s {
	case cdx.IASResolvedWithPedigree:
		return "resolved"
	case "":
		return ""
	}
	return string(s)
}

// cdxRating takes the highest CVSS v3+ score (and its severity), else the
// first rating with a known severity.
func cdxRating(rs *[]cdx.VulnerabilityRating) (float64, string, string) {
	if rs == nil {
		return 0, "", "info"
	}
	var best float64
	var vec, sev string
	for _, r := range *rs {
		m := strings.ToUpper(string(r.Method))
		if r.Score == nil || !(strings.HasPrefix(m, "CVSSV3") || strings.HasPrefix(m, "CVSSV4")) {
			continue
		}
		if *r.Score > best {
			best, vec, sev = *r.Score, r.Vector, string(r.Severity)
		}
	}
	if best > 0 {
		if !knownSeverity(sev) {
			sev = severityFromScore(best)
		}
		return best, vec, normSeverity(sev)
	}
	for _, r := range *rs {
		if knownSeverity(string(r.Severity)) {
			return 0, "", normSeverity(string(r.Severity))
		}
	}
	return 0, "", "info"
}

// purlNameVersion extracts name and version from a purl for display.
func purlNameVersion(p string) (string, string) {
	n := NormalizePurl(p)
	rest := strings.TrimPrefix(n, "pkg:")
	_, path, _ := strings.Cut(rest, "/")
	name, ver := path, ""
	if i := strings.LastIndexByte(path, '@'); i > strings.LastIndexByte(path, '/') {
		name, ver = path[:i], path[i+1:]
	}
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if d, err := url.PathUnescape(name); err == nil {
		name = d
	}
	if d, err := url.PathUnescape(ver); err == nil {
		ver = d
	}
	return name, ver
}
