package sbomexport

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/scoring"
)

// vexEntry is one vulnerability of the subject with the analysis riskgraph
// derived for it.
type vexEntry struct {
	id            string // advisory id
	vuln          *graph.Node
	packages      []graph.ID // affected packages of the SBOM
	findings      []graph.ID // the open findings behind it
	on            []graph.ID // services the findings are on themselves
	state         cdx.ImpactAnalysisState
	justification cdx.ImpactAnalysisJustification
	detail        string
}

func isOpenFinding(p graph.Props) bool {
	s := strings.ToLower(p.String("status"))
	return s == "" || s == "open"
}

// analyse gathers the open vulnerability findings on the subject's packages
// and derives each one's VEX analysis:
//
//   - a state the finding already carries (an imported VEX statement or a
//     triage: vexState, vexJustification) is kept;
//   - exploitable when exposure analysis finds a way in from the Internet
//     to a service that carries the package (the attack path is the detail);
//   - not_affected, justification code_not_reachable, when the services
//     carrying it are known and none is reachable from the Internet or
//     from a reachable service;
//   - in_triage otherwise (an image no service runs: exposure unknown).
func analyse(ctx context.Context, v graph.View, c *Contents, eng *scoring.Engine) ([]vexEntry, error) {
	if eng == nil {
		eng = scoring.New(v, scoring.DefaultProfile())
	}
	r := reader{ctx: ctx, v: v}
	byAdv := map[string]*vexEntry{}
	inSBOM := make(map[graph.ID]bool, len(c.Packages))
	for _, p := range c.Packages {
		inSBOM[p.ID] = true
	}
	// findings on the packages, and on the subject and its services and
	// images (scanners that report per image or workload)
	targets := make([]graph.ID, 0, len(c.Packages)+len(c.Services)+len(c.Carriers)+1)
	for _, p := range c.Packages {
		targets = append(targets, p.ID)
	}
	targets = append(targets, c.Subject.ID)
	for _, s := range c.Services {
		targets = append(targets, s.ID)
	}
	targets = append(targets, c.Carriers...)
	slices.Sort(targets)
	targets = slices.Compact(targets)
	for _, t := range targets {
		es, err := r.edges(graph.EdgeFilter{To: t, Kinds: []graph.EdgeKind{graph.FoundOn}})
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			f, err := v.Node(ctx, e.From)
			if err != nil {
				if errors.Is(err, graph.ErrNotFound) {
					continue
				}
				return nil, err
			}
			if f.Kind != graph.Finding || !isOpenFinding(f.Props) {
				continue
			}
			adv := f.Props.String("vulnerability")
			if adv == "" && f.Props.String("category") == "vulnerability" {
				adv = f.Props.String("rule")
			}
			if adv == "" {
				continue
			}
			adv = strings.ToUpper(strings.TrimSpace(adv))
			ve := byAdv[adv]
			if ve == nil {
				ve = &vexEntry{id: adv}
				byAdv[adv] = ve
			}
			ve.findings = append(ve.findings, f.ID)
			if inSBOM[t] {
				ve.packages = append(ve.packages, t)
				continue
			}
			if k, _ := t.KindOf(); k == graph.Service {
				ve.on = append(ve.on, t)
			}
			// a finding on a workload: the package it names, else the
			// SBOM's packages affected by the advisory
			if purl := f.Props.String("purl"); purl != "" && inSBOM[graph.PackageID(purl)] {
				ve.packages = append(ve.packages, graph.PackageID(purl))
				continue
			}
			affected, err := r.neighbours(graph.VulnerabilityID(adv), graph.In, graph.AffectedBy, graph.Package)
			if err != nil {
				return nil, err
			}
			for _, p := range affected {
				if inSBOM[p] {
					ve.packages = append(ve.packages, p)
				}
			}
		}
	}
	// which services carry each package (applications: per service)
	carriersOf := func(pkgID graph.ID) []graph.ID { return c.Carriers }
	if c.Subject.Kind == graph.Application {
		closure := serviceClosures(c)
		carriersOf = func(pkgID graph.ID) []graph.ID {
			var out []graph.ID
			for _, s := range c.Services {
				if closure[s.ID][pkgID] {
					out = append(out, s.ID)
				}
			}
			return out
		}
	}
	out := make([]vexEntry, 0, len(byAdv))
	for _, adv := range sortedKeys(byAdv) {
		ve := byAdv[adv]
		slices.Sort(ve.packages)
		ve.packages = slices.Compact(ve.packages)
		slices.Sort(ve.findings)
		ve.findings = slices.Compact(ve.findings)
		if n, err := v.Node(ctx, graph.VulnerabilityID(adv)); err == nil {
			ve.vuln = &n
		} else if !errors.Is(err, graph.ErrNotFound) {
			return nil, err
		}
		if err := decide(ctx, v, eng, ve, carriersOf); err != nil {
			return nil, err
		}
		out = append(out, *ve)
	}
	return out, nil
}

// decide sets the analysis of ve.
func decide(ctx context.Context, v graph.View, eng *scoring.Engine, ve *vexEntry, carriersOf func(graph.ID) []graph.ID) error {
	for _, fid := range ve.findings {
		f, err := v.Node(ctx, fid)
		if err != nil {
			return err
		}
		if st := cdx.ImpactAnalysisState(strings.ToLower(f.Props.String("vexState"))); validStates[st] {
			ve.state = st
			if j := cdx.ImpactAnalysisJustification(strings.ToLower(f.Props.String("vexJustification"))); validJustifications[j] {
				ve.justification = j
			}
			ve.detail = fmt.Sprintf("stated by %s (finding %s)", orUnknown(f.Props.String("tool")), fid)
			return nil
		}
	}
	carriers := slices.Clone(ve.on)
	for _, p := range ve.packages {
		carriers = append(carriers, carriersOf(p)...)
	}
	slices.Sort(carriers)
	carriers = slices.Compact(carriers)
	var services []graph.ID
	for _, id := range carriers {
		if k, _ := id.KindOf(); k == graph.Service {
			services = append(services, id)
		}
	}
	if len(services) == 0 {
		ve.state = cdx.IASInTriage
		ve.detail = "riskgraph knows no service that runs this: its exposure is unknown"
		return nil
	}
	var best *scoring.Exposure
	for _, s := range services {
		x, err := eng.Exposure(ctx, s)
		if err != nil {
			if errors.Is(err, graph.ErrNotFound) {
				continue
			}
			return err
		}
		if x.Reachable && (best == nil || (best.Authenticated && !x.Authenticated) ||
			(best.Authenticated == x.Authenticated && x.Hops < best.Hops)) {
			xx := x
			best = &xx
		}
	}
	if best == nil {
		ve.state = cdx.IASNotAffected
		ve.justification = cdx.IAJCodeNotReachable
		ve.detail = "riskgraph exposure analysis: no path from the Internet (routes, exposed APIs, service calls) reaches " +
			names(ctx, v, services) + ", the services that carry the vulnerable package"
		return nil
	}
	ve.state = cdx.IASExploitable
	var hops []string
	for _, h := range best.Path {
		hops = append(hops, h.Name)
	}
	how := "without authentication"
	if best.Authenticated {
		how = "behind authentication"
	}
	ve.detail = "riskgraph attack path (" + how + "): " + strings.Join(hops, " → ")
	if len(best.Controls) > 0 {
		ve.detail += "; controls on the way: " + strings.Join(best.Controls, ", ")
	}
	return nil
}

var validStates = map[cdx.ImpactAnalysisState]bool{cdx.IASResolved: true, cdx.IASResolvedWithPedigree: true,
	cdx.IASExploitable: true, cdx.IASInTriage: true, cdx.IASFalsePositive: true, cdx.IASNotAffected: true}

var validJustifications = map[cdx.ImpactAnalysisJustification]bool{cdx.IAJCodeNotPresent: true, cdx.IAJCodeNotReachable: true,
	cdx.IAJRequiresConfiguration: true, cdx.IAJRequiresDependency: true, cdx.IAJRequiresEnvironment: true,
	cdx.IAJProtectedByCompiler: true, cdx.IAJProtectedAtRuntime: true, cdx.IAJProtectedAtPerimeter: true,
	cdx.IAJProtectedByMitigatingControl: true}

func orUnknown(s string) string {
	if s == "" {
		return "an unnamed tool"
	}
	return s
}

func names(ctx context.Context, v graph.View, ids []graph.ID) string {
	var out []string
	for _, id := range ids {
		if n, err := v.Node(ctx, id); err == nil {
			out = append(out, n.Name)
		} else {
			out = append(out, string(id))
		}
	}
	return strings.Join(out, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// serviceClosures is, per service of an application, the set of packages
// it depends on directly or transitively.
func serviceClosures(c *Contents) map[graph.ID]map[graph.ID]bool {
	adj := map[graph.ID][]graph.ID{}
	for _, d := range c.Deps {
		adj[d[0]] = append(adj[d[0]], d[1])
	}
	out := map[graph.ID]map[graph.ID]bool{}
	for _, s := range c.Services {
		seen := map[graph.ID]bool{}
		queue := slices.Clone(c.ServiceDirect[s.ID])
		for _, q := range queue {
			seen[q] = true
		}
		for i := 0; i < len(queue); i++ {
			for _, n := range adj[queue[i]] {
				if !seen[n] {
					seen[n] = true
					queue = append(queue, n)
				}
			}
		}
		out[s.ID] = seen
	}
	return out
}

// vexVulnerabilities turns the entries into CycloneDX vulnerabilities.
func vexVulnerabilities(vs []vexEntry, refOf func(graph.ID) string, rootRef string) []cdx.Vulnerability {
	out := make([]cdx.Vulnerability, 0, len(vs))
	for _, ve := range vs {
		cv := cdx.Vulnerability{BOMRef: "vuln:" + ve.id, ID: ve.id, Source: advisorySource(ve.id)}
		var affects []cdx.Affects
		for _, p := range ve.packages {
			if r := refOf(p); r != "" {
				affects = append(affects, cdx.Affects{Ref: r})
			}
		}
		if len(affects) == 0 {
			affects = append(affects, cdx.Affects{Ref: rootRef})
		}
		cv.Affects = &affects
		if n := ve.vuln; n != nil {
			cv.Description = n.Props.String("summary")
			rating := cdx.VulnerabilityRating{Severity: severity(n.Props.String("severity"))}
			if score, ok := n.Props["cvss"].(float64); ok {
				rating.Score = &score
				rating.Vector = n.Props.String("cvssVector")
				rating.Method = cvssMethod(rating.Vector)
			}
			if rating.Severity != "" || rating.Score != nil {
				cv.Ratings = &[]cdx.VulnerabilityRating{rating}
			}
			var props []cdx.Property
			if n.Props.Bool("kev") {
				props = append(props, cdx.Property{Name: "riskgraph:kev", Value: "true"})
			}
			for _, a := range n.Props.Strings("aliases") {
				props = append(props, cdx.Property{Name: "riskgraph:alias", Value: a})
			}
			if len(props) > 0 {
				cv.Properties = &props
			}
		}
		cv.Analysis = &cdx.VulnerabilityAnalysis{State: ve.state, Justification: ve.justification, Detail: ve.detail}
		for _, f := range ve.findings {
			addProperty(&cv.Properties, "riskgraph:finding", string(f))
		}
		out = append(out, cv)
	}
	return out
}

func advisorySource(id string) *cdx.Source {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return &cdx.Source{Name: "NVD", URL: "https://nvd.nist.gov/vuln/detail/" + id}
	case strings.HasPrefix(id, "GHSA-"):
		return &cdx.Source{Name: "GitHub", URL: "https://github.com/advisories/" + strings.ToLower(id)}
	}
	return &cdx.Source{Name: "OSV", URL: "https://osv.dev/vulnerability/" + id}
}

func severity(s string) cdx.Severity {
	switch strings.ToLower(s) {
	case "critical":
		return cdx.SeverityCritical
	case "high":
		return cdx.SeverityHigh
	case "medium", "moderate":
		return cdx.SeverityMedium
	case "low":
		return cdx.SeverityLow
	case "info", "informational", "negligible":
		return cdx.SeverityInfo
	case "":
		return ""
	}
	return cdx.SeverityUnknown
}

func cvssMethod(vector string) cdx.ScoringMethod {
	switch {
	case strings.HasPrefix(vector, "CVSS:4"):
		return cdx.ScoringMethodCVSSv4
	case strings.HasPrefix(vector, "CVSS:3.1"):
		return cdx.ScoringMethodCVSSv31
	case strings.HasPrefix(vector, "CVSS:3"):
		return cdx.ScoringMethodCVSSv3
	case vector != "":
		return cdx.ScoringMethodCVSSv2
	}
	return ""
}
