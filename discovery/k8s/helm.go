package k8s

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	netv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"

	"github.com/riskgraph/riskgraph/discovery"
)

// HelmAgent renders a Helm chart in-process (chart loader and template
// engine, no cluster) with its default values plus the values files the
// user named, and reads the result like plain manifests. The release is
// named after the chart, in namespace "default".
type HelmAgent struct{}

func (HelmAgent) Name() string { return "helm" }

// DetectDir is true for a directory holding a Chart.yaml that is not a
// subchart (charts/x below another chart is rendered with its parent).
func (HelmAgent) DetectDir(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
		return false
	}
	parent := filepath.Dir(dir)
	if filepath.Base(parent) == "charts" {
		if _, err := os.Stat(filepath.Join(filepath.Dir(parent), "Chart.yaml")); err == nil {
			return false
		}
	}
	return true
}

func (HelmAgent) ReadDir(ctx context.Context, dir, rel string, c *discovery.Collector) error {
	chartFile := path.Join(rel, "Chart.yaml")
	chrt, err := loader.Load(dir)
	if err != nil {
		return &discovery.FileError{File: chartFile, Msg: "cannot load Helm chart: " + err.Error(), Err: err}
	}
	vals := map[string]any{}
	var valueNames []string
	for _, vf := range discovery.ValuesFiles(ctx) {
		v, err := chartutil.ReadValuesFile(vf)
		if err != nil {
			return &discovery.FileError{File: vf, Msg: "cannot read Helm values: " + err.Error(), Err: err}
		}
		vals = chartutil.CoalesceTables(v.AsMap(), vals)
		valueNames = append(valueNames, filepath.Base(vf))
	}
	dirs := map[string]string{}
	aliasDirs(chrt, "", "", dirs)
	if err := chartutil.ProcessDependenciesWithMerge(chrt, vals); err != nil {
		return &discovery.FileError{File: chartFile, Msg: "Helm chart dependencies: " + err.Error(), Err: err}
	}
	opts := chartutil.ReleaseOptions{Name: chrt.Name(), Namespace: "default", Revision: 1, IsInstall: true}
	rv, err := chartutil.ToRenderValues(chrt, vals, opts, capabilities)
	if err != nil {
		return &discovery.FileError{File: chartFile, Msg: "Helm values: " + err.Error(), Err: err}
	}
	out, err := renderDropping(chrt, rv, rel, dirs, c)
	if err != nil {
		return &discovery.FileError{File: chartFile, Msg: "cannot render Helm chart: " + err.Error(), Err: err}
	}
	variant := "helm chart " + chrt.Name()
	if len(valueNames) > 0 {
		variant += " with " + strings.Join(valueNames, ", ")
	}
	names := make([]string, 0, len(out))
	for n := range out {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		body := out[n]
		if strings.HasSuffix(n, "NOTES.txt") || strings.TrimSpace(body) == "" {
			continue
		}
		// n is "chart/templates/x.yaml" (or "chart/charts/sub/templates/…").
		file := path.Join(rel, sourcePath(dirs, strings.TrimPrefix(n, chrt.Name()+"/")))
		if err := readStream(file, []byte(body), variant, c); err != nil {
			// One rendered template that reads as nothing does not hide the
			// rest of the chart.
			c.AddError(asFileError(file, 0, err))
		}
	}
	return nil
}

// reTemplate finds the template a render error is in: "template:
// shop/templates/x.yaml:12:3: …" for a parse or execution error, and
// "execution error at (shop/templates/x.yaml:6:15): …" for required and
// fail.
// aliasDirs maps the directories subcharts are rendered under, by alias
// ("charts/orders"), to the directories of their names ("charts/api"),
// at every depth; it must be read before dependencies are processed,
// which renames aliased subcharts.
func aliasDirs(c *chart.Chart, rendered, source string, out map[string]string) {
	if c.Metadata == nil {
		return
	}
	for _, sub := range c.Dependencies() {
		r, s := rendered+"charts/"+sub.Name(), source+"charts/"+sub.Name()
		aliasDirs(sub, r+"/", s+"/", out)
		for _, d := range c.Metadata.Dependencies {
			if d.Name == sub.Name() && d.Alias != "" {
				ra := rendered + "charts/" + d.Alias
				out[ra] = s
				aliasDirs(sub, ra+"/", s+"/", out)
			}
		}
	}
}

// sourcePath turns the name of a rendered template ("charts/orders/
// templates/x.yaml") into its path in the chart's directory.
func sourcePath(dirs map[string]string, name string) string {
	best := ""
	for r := range dirs {
		if strings.HasPrefix(name, r+"/") && len(r) > len(best) {
			best = r
		}
	}
	if best == "" {
		return name
	}
	return dirs[best] + strings.TrimPrefix(name, best)
}

// capabilities are those of a current cluster. Helm's defaults without a
// cluster (Kubernetes 1.20, API versions without their kinds) make charts
// that test .Capabilities.APIVersions.Has "networking.k8s.io/v1/Ingress"
// or the Kubernetes version render what no cluster of today gets: a
// LoadBalancer instead of an Ingress, a legacy API instead of the current.
var capabilities = func() *chartutil.Capabilities {
	c := chartutil.DefaultCapabilities.Copy()
	c.KubeVersion = chartutil.KubeVersion{Version: "v1.30.0", Major: "1", Minor: "30"}
	sch := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme,
		netv1.AddToScheme, policyv1.AddToScheme, autoscalingv2.AddToScheme, rbacv1.AddToScheme} {
		_ = add(sch)
	}
	vs := append(chartutil.VersionSet{}, c.APIVersions...)
	for gvk := range sch.AllKnownTypes() {
		vs = append(vs, gvk.GroupVersion().String()+"/"+gvk.Kind)
	}
	slices.Sort(vs)
	c.APIVersions = slices.Compact(vs)
	return c
}()

var reTemplate = regexp.MustCompile(`(?:template: |execution error at \()([^:\s()]+):(\d+)`)

// renderDropping renders the chart; when a template fails (a helper the
// chart's author never committed, a value that must be set), it drops that
// template, records the error and renders the rest, so one broken template
// does not hide a whole chart.
func renderDropping(chrt *chart.Chart, rv chartutil.Values, rel string, dirs map[string]string, c *discovery.Collector) (map[string]string, error) {
	for {
		out, err := engine.Engine{}.Render(chrt, rv)
		if err == nil {
			return out, nil
		}
		m := reTemplate.FindStringSubmatch(err.Error())
		if m == nil {
			return nil, err
		}
		name := strings.TrimPrefix(m[1], chrt.Name()+"/")
		if !dropTemplate(chrt, name) {
			return nil, err
		}
		line, _ := strconv.Atoi(m[2])
		c.AddError(&discovery.FileError{File: path.Join(rel, sourcePath(dirs, name)), Line: line, Msg: "Helm template does not render, left out: " + err.Error(), Err: err})
	}
}

// dropTemplate removes the template named name ("templates/x.yaml", or
// "charts/sub/templates/x.yaml" in a subchart) from chart c.
func dropTemplate(c *chart.Chart, name string) bool {
	if sub, rest, ok := strings.Cut(strings.TrimPrefix(name, "charts/"), "/"); ok && strings.HasPrefix(name, "charts/") {
		for _, d := range c.Dependencies() {
			if d.Name() == sub {
				return dropTemplate(d, rest)
			}
		}
	}
	kept := c.Templates[:0:0]
	for _, t := range c.Templates {
		if t.Name != name {
			kept = append(kept, t)
		}
	}
	if len(kept) == len(c.Templates) {
		return false
	}
	c.Templates = kept
	return true
}
