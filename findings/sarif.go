package findings

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

var (
	advisoryRule = regexp.MustCompile(`^(CVE-\d{4}-\d+|GHSA-[\w-]+|SNYK-[\w-]+|GO-\d{4}-\d+|PYSEC-\d{4}-\d+|RUSTSEC-\d{4}-\d+|OSV-[\w-]+)$`)
	cveInText    = regexp.MustCompile(`CVE-\d{4}-\d+`)
	trivyPkgMsg  = regexp.MustCompile(`(?m)^Package: (\S+)\s*$\s*^Installed Version: (\S+)`)
	inlinePkgMsg = regexp.MustCompile(`^Package (\S+) (\S+) in\b`)
	snykPkg      = regexp.MustCompile(`^(?:\(([^)]*)\)\s+)?(\S+)@(\S+)$`)
	snykManager  = regexp.MustCompile(`Package Manager: (\S+)`)
	tfResource   = regexp.MustCompile(`^\s*resource\s+"([^"]+)"\s+"([^"]+)"`)
	// cfnResource is a CloudFormation resource opening a snippet: its
	// logical id (YAML "Id:" or JSON "\"Id\": {") and, next, its Type.
	cfnResource    = regexp.MustCompile(`^\s*"?([A-Za-z0-9]+)"?\s*:\s*\{?\s*\r?\n\s*"?Type"?\s*:\s*["']?AWS::`)
	severityPrefix = regexp.MustCompile(`^(?i)(critical|high|medium|low) severity\b`)
)

// iacTools report misconfigurations, secretTools secrets; any other SARIF
// producer reports code findings unless its rules are advisories.
var (
	iacTools    = []string{"checkov", "kics", "tfsec", "terrascan", "kube-linter", "kubescape", "hadolint", "trivy-config", "defsec", "snyk iac", "cfn-lint", "cfn_nag"}
	secretTools = []string{"gitleaks", "trufflehog", "detect-secrets", "ggshield", "secretlint"}
)

func parseSARIF(file string, data []byte) (*Report, error) {
	rep, err := sarif.FromBytes(data)
	if err != nil {
		return nil, jsonError(file, data, err)
	}
	if rep.Version != "2.1.0" {
		return nil, fieldError(file, data, "$.version", "SARIF version %q is not supported (want \"2.1.0\")", rep.Version)
	}
	out := &Report{File: file, Format: FormatSARIF}
	var indexes map[[2]int]bool // results (run, result) with a ruleIndex, read when needed
	for i, run := range rep.Runs {
		rp := fmt.Sprintf("$.runs[%d]", i)
		if run == nil || run.Tool == nil || run.Tool.Driver == nil || deref(run.Tool.Driver.Name) == "" {
			return nil, fieldError(file, data, rp+".tool.driver.name", "is missing (want the name of the tool that produced the run)")
		}
		drv := run.Tool.Driver
		scan := Scan{Tool: strings.ToLower(deref(drv.Name)), Version: deref(drv.Version)}
		if scan.Version == "" {
			scan.Version = deref(drv.SemanticVersion)
		}
		scan.Target = sarifTarget(run)
		rules := map[string]*sarif.ReportingDescriptor{}
		for _, comp := range append([]*sarif.ToolComponent{drv}, run.Tool.Extensions...) {
			if comp == nil {
				continue
			}
			for _, r := range comp.Rules {
				if r != nil && r.ID != nil {
					if _, dup := rules[*r.ID]; !dup {
						rules[*r.ID] = r
					}
				}
			}
		}
		category := CategoryCode
		lname := scan.Tool
		switch {
		case slices.ContainsFunc(iacTools, func(t string) bool { return strings.Contains(lname, t) }):
			category = CategoryMisconfiguration
		case slices.ContainsFunc(secretTools, func(t string) bool { return strings.Contains(lname, t) }):
			category = CategorySecret
		}
		for j, res := range run.Results {
			p := fmt.Sprintf("%s.results[%d]", rp, j)
			if res == nil {
				return nil, fieldError(file, data, p, "is null (want a result object)")
			}
			// A check that passed or did not apply, or a result gone since
			// the baseline, is no finding.
			if res.Kind == "pass" || res.Kind == "notApplicable" || deref(res.BaselineState) == "absent" {
				continue
			}
			ruleID := deref(res.RuleID)
			if ruleID == "" && res.Rule != nil {
				ruleID = deref(res.Rule.ID)
			}
			if ruleID == "" && res.RuleIndex >= 0 && res.RuleIndex < len(drv.Rules) && drv.Rules[res.RuleIndex] != nil {
				// ruleIndex decodes as 0 when absent: trust it only when
				// the result really has one.
				if indexes == nil {
					indexes = ruleIndexes(data)
				}
				if indexes[[2]int{i, j}] {
					ruleID = deref(drv.Rules[res.RuleIndex].ID)
				}
			}
			if ruleID == "" {
				ruleID = ruleFromMessage(drv.Rules, res.Message)
			}
			if ruleID == "" {
				return nil, fieldError(file, data, p, "has no ruleId and no message naming a rule (want the id of the rule the result violates)")
			}
			rule := rules[ruleID]
			f := Finding{Category: category, Rule: ruleID, Path: p}
			if res.Message != nil {
				f.Message = strings.TrimSpace(deref(res.Message.Text))
			}
			f.Title = sarifTitle(rule, ruleID)
			f.File, f.Line, f.Column, f.Resource = sarifLocation(run, res)
			f.Severity, f.CVSS = sarifSeverity(res, rule)
			f.UniqueID = sarifUniqueID(res)
			f.Suppressed = sarifSuppressed(res)
			f.Fixed = res.PartialFingerprints["riskgraph/v1"]
			if res.Properties != nil {
				props := res.Properties.Properties
				if s, ok := props["severity"].(string); ok && knownSeverity(s) {
					f.Severity = normSeverity(s)
				}
				if t, ok := props["target"].(map[string]any); ok {
					ref := SubjectRef{}
					ref.Kind, _ = t["kind"].(string)
					ref.Env, _ = t["env"].(string)
					ref.Name, _ = t["name"].(string)
					ref.Method, _ = t["method"].(string)
					ref.Path, _ = t["path"].(string)
					if ref.Kind != "" && ref.Name != "" {
						f.Subject = &ref
					}
				}
			}
			if category == CategoryCode && (advisoryRule.MatchString(ruleID) || trivyPkgMsg.MatchString(f.Message)) {
				f.Category = CategoryVulnerability
				sarifPackage(&f, rule)
				if f.Fixed != "" {
					f.UniqueID = ""
				}
			}
			if f.Message == "" {
				f.Message = f.Title
			}
			scan.Findings = append(scan.Findings, f)
		}
		out.Scans = append(out.Scans, scan)
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// sarifTarget is what the run scanned, when the log says: the automation
// id, the repository, or (Trivy) the image name.
func sarifTarget(run *sarif.Run) string {
	if run.Properties != nil {
		if s, ok := run.Properties.Properties["imageName"].(string); ok && s != "" {
			return s
		}
	}
	for _, v := range run.VersionControlProvenance {
		if v != nil && v.RepositoryURI != nil && *v.RepositoryURI != "" {
			return *v.RepositoryURI
		}
	}
	if run.AutomationDetails != nil && run.AutomationDetails.ID != nil {
		return *run.AutomationDetails.ID
	}
	return ""
}

func sarifTitle(rule *sarif.ReportingDescriptor, id string) string {
	if rule != nil {
		if rule.ShortDescription != nil && deref(rule.ShortDescription.Text) != "" {
			return firstLine(deref(rule.ShortDescription.Text))
		}
		if n := deref(rule.Name); n != "" && n != id {
			return n
		}
	}
	return id
}

// ruleIndexes lists the results (run and result index) that carry a
// ruleIndex.
func ruleIndexes(data []byte) map[[2]int]bool {
	var doc struct {
		Runs []struct {
			Results []struct {
				RuleIndex *int `json:"ruleIndex"`
			} `json:"results"`
		} `json:"runs"`
	}
	out := map[[2]int]bool{}
	if json.Unmarshal(data, &doc) != nil {
		return out
	}
	for i, r := range doc.Runs {
		for j, res := range r.Results {
			if res.RuleIndex != nil {
				out[[2]int{i, j}] = true
			}
		}
	}
	return out
}

// ruleFromMessage names the rule of a result without ruleId (Gitleaks 7
// writes only "AWS Access Key secret detected"): the longest rule whose id
// or name starts the message, else the message itself.
func ruleFromMessage(rules []*sarif.ReportingDescriptor, msg *sarif.Message) string {
	if msg == nil {
		return ""
	}
	text := strings.TrimSpace(deref(msg.Text))
	best := ""
	for _, r := range rules {
		if r == nil || r.ID == nil {
			continue
		}
		for _, n := range []string{*r.ID, deref(r.Name)} {
			if n != "" && strings.HasPrefix(text, n) && len(*r.ID) > len(best) {
				best = *r.ID
			}
		}
	}
	if best != "" {
		return best
	}
	if len(text) > 200 {
		return ""
	}
	return text
}

// sarifSuppressed describes the first suppression of a result that is in
// force (status absent or "accepted"; "underReview" and "rejected" leave
// the result open): its kind and justification.
func sarifSuppressed(res *sarif.Result) string {
	for _, s := range res.Suppressions {
		if s == nil {
			continue
		}
		if st := deref(s.Status); st != "" && st != "accepted" {
			continue
		}
		out := deref(s.Kind)
		if out == "" {
			out = "suppressed"
		}
		if j := strings.TrimSpace(deref(s.Justification)); j != "" {
			out += ": " + j
		}
		return out
	}
	return ""
}

// sarifLocation returns the primary location's file (repository-relative,
// percent-decoded, artifacts[] index resolved), its start line, and for IaC
// results whose snippet opens a Terraform block the resource address (a
// CloudFormation resource: its logical id).
func sarifLocation(run *sarif.Run, res *sarif.Result) (string, int, int, string) {
	if len(res.Locations) == 0 || res.Locations[0] == nil || res.Locations[0].PhysicalLocation == nil {
		return "", 0, 0, ""
	}
	pl := res.Locations[0].PhysicalLocation
	file := ""
	if al := pl.ArtifactLocation; al != nil {
		file = deref(al.URI)
		if file == "" && al.Index >= 0 && al.Index < len(run.Artifacts) && run.Artifacts[al.Index] != nil && run.Artifacts[al.Index].Location != nil {
			file = deref(run.Artifacts[al.Index].Location.URI)
		}
	}
	file = cleanURI(relativeTo(run, file))
	line, col := 0, 0
	resource := ""
	if r := pl.Region; r != nil {
		if r.StartLine != nil {
			line = *r.StartLine
		}
		if r.StartColumn != nil {
			col = *r.StartColumn
		}
		if r.Snippet != nil {
			if m := tfResource.FindStringSubmatch(deref(r.Snippet.Text)); m != nil {
				resource = m[1] + "." + m[2]
			} else if m := cfnResource.FindStringSubmatch(deref(r.Snippet.Text)); m != nil {
				resource = m[1]
			}
		}
	}
	return file, line, col, resource
}

// relativeTo strips the run's source root (originalUriBaseIds) from an
// absolute file URI, so that files compare with repository-relative source
// trees.
func relativeTo(run *sarif.Run, u string) string {
	if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "/") {
		return u
	}
	for _, base := range []string{"%SRCROOT%", "SRCROOT", "ROOTPATH", "PROJECTROOT"} {
		if al, ok := run.OriginalUriBaseIds[base]; ok && al.URI != nil && *al.URI != "" {
			root := strings.TrimSuffix(*al.URI, "/") + "/"
			if rest, ok := strings.CutPrefix(u, root); ok {
				return rest
			}
			if rest, ok := strings.CutPrefix(u, strings.TrimPrefix(root, "file://")); ok {
				return rest
			}
		}
	}
	return u
}

func cleanURI(u string) string {
	if u == "" {
		return ""
	}
	u = strings.TrimPrefix(u, "file://")
	if d, err := url.PathUnescape(u); err == nil {
		u = d
	}
	u = strings.TrimPrefix(path.Clean("/"+u), "/")
	return u
}

// sarifSeverity: a numeric security-severity (result, then rule properties;
// the GitHub code scanning convention) wins; then a severity word in the
// rule (gosec tags, Snyk's "High severity - …"); then the result level,
// then the rule's default level; then SARIF's default, warning.
func sarifSeverity(res *sarif.Result, rule *sarif.ReportingDescriptor) (string, float64) {
	for _, bag := range []*sarif.PropertyBag{res.Properties, ruleProps(rule)} {
		if bag == nil {
			continue
		}
		var s string
		switch v := bag.Properties["security-severity"].(type) {
		case string:
			s = v
		case float64:
			s = fmt.Sprint(v)
		}
		if f, ok := parseFloat(s); ok {
			return severityFromScore(f), f
		}
	}
	if rule != nil {
		if bag := rule.Properties; bag != nil {
			for _, t := range bag.Tags {
				if knownSeverity(t) && t == strings.ToUpper(t) {
					return normSeverity(t), 0
				}
			}
		}
		if rule.ShortDescription != nil {
			if m := severityPrefix.FindStringSubmatch(deref(rule.ShortDescription.Text)); m != nil {
				return normSeverity(m[1]), 0
			}
		}
	}
	level := res.Level
	if level == "" && rule != nil && rule.DefaultConfiguration != nil {
		level = rule.DefaultConfiguration.Level
	}
	switch level {
	case "error":
		return "high", 0
	case "note":
		return "low", 0
	case "none":
		return "info", 0
	}
	return "medium", 0
}

func ruleProps(rule *sarif.ReportingDescriptor) *sarif.PropertyBag {
	if rule == nil {
		return nil
	}
	return rule.Properties
}

// sarifUniqueID joins the result's fingerprints (stable across line moves
// by design) in key order; "" when the tool gave none.
func sarifUniqueID(res *sarif.Result) string {
	var parts []string
	for _, m := range []map[string]string{res.Fingerprints, res.PartialFingerprints} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			parts = append(parts, k+"="+m[k])
		}
	}
	return strings.Join(parts, ";")
}

// sarifPackage fills the package and advisory of a vulnerability result
// from what SARIF producers put in text: Trivy's "Package: … Installed
// Version: …" message, Snyk Open Source's "(CVE-…) group:artifact@version"
// full description.
func sarifPackage(f *Finding, rule *sarif.ReportingDescriptor) {
	f.Advisory, f.Aliases = primaryAdvisory(f.Rule, nil)
	f.UniqueID = ""
	if m := trivyPkgMsg.FindStringSubmatch(f.Message); m != nil {
		f.PkgName, f.PkgVersion = m[1], m[2]
	} else if m := inlinePkgMsg.FindStringSubmatch(f.Message); m != nil {
		f.PkgName, f.PkgVersion = m[1], m[2]
		if strings.Contains(m[1], ":") {
			f.Purl = purlFor("maven", m[1], m[2])
		}
	}
	if rule != nil && rule.FullDescription != nil {
		if m := snykPkg.FindStringSubmatch(strings.TrimSpace(deref(rule.FullDescription.Text))); m != nil {
			f.PkgName, f.PkgVersion = m[2], m[3]
			var cves []string
			cves = append(cves, cveInText.FindAllString(m[1], -1)...)
			f.Advisory, f.Aliases = primaryAdvisory(f.Rule, cves)
			if rule.Help != nil {
				if mm := snykManager.FindStringSubmatch(deref(rule.Help.Markdown)); mm != nil {
					f.Ecosystem = mm[1]
					f.Purl = purlFor(mm[1], m[2], m[3])
				}
			}
		}
	}
	if rule != nil && rule.ShortDescription != nil {
		f.Summary = firstLine(deref(rule.ShortDescription.Text))
	}
	if f.PkgName != "" {
		f.Title = f.Advisory + " in " + f.PkgName + " " + f.PkgVersion
	}
}
