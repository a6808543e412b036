package findings

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// golden is what importing one corpus file into a matching estate gives:
// distinct findings after dedup, their severities, and how many have no
// subject even in the matching graph.
type golden struct {
	findings   int
	severity   string // "critical/high/medium/low/info"
	unresolved int
}

// Counts were checked against independent counts of the raw files (unique
// package × advisory pairs, groups, results); see the commit message.
var goldens = map[string]golden{
	"cdx-1.3-bom-for-vex-bomlink.json":                {0, "0/0/0/0/0", 0},
	"cdx-1.4-grype-0.41-log4j.json":                   {8, "4/1/3/0/0", 0},
	"cdx-1.4-vex-bomlink.json":                        {1, "0/1/0/0/0", 0},
	"cdx-1.4-vex-cisa-case3-mixed.json":               {19, "2/2/6/0/9", 0},
	"cdx-1.4-vex-cisa-case8-versions.json":            {22, "4/0/5/0/13", 0},
	"cdx-1.5-trivy-0.48.1-vulns.json":                 {14, "0/5/7/2/0", 0},
	"grype-0.24-dir-yarn-lock.json":                   {9, "2/2/5/0/0", 0},
	"grype-0.7-image-busybox-no-matches.json":         {0, "0/0/0/0/0", 0},
	"grype-0.7-image-defectdojo-django-1.13.1.json":   {327, "5/24/155/27/116", 0},
	"grype-0.94-image-busybox-epss-kev.json":          {15, "1/10/2/2/0", 0},
	"grype-0.96-image-rhel8-xjoin-kafka-connect.json": {35, "1/19/13/2/0", 0},
	"osv-scanner-go-call-analysis.json":               {3, "0/0/0/0/3", 0},
	"osv-scanner-multi-lockfile.json":                 {37, "5/20/12/0/0", 0},
	"osv-scanner-yarn-single.json":                    {1, "0/0/0/0/1", 0},
	"checkov-2.0.418-aws-rds.sarif":                   {20, "0/20/0/0/0", 0},
	"checkov-3.2.495-terraform-azure.sarif":           {11, "0/11/0/0/0", 0},
	"codeql-2.12.1-js-zero-results.sarif":             {0, "0/0/0/0/0", 0},
	"codeql-2.5.4-python.sarif":                       {72, "0/11/4/57/0", 0},
	"codeql-action-two-runs.sarif":                    {3, "0/0/0/3/0", 0},
	"gosec-2.24.7-gowaves.sarif":                      {1358, "0/1347/6/5/0", 0},
	"semgrep-oss-1.69.0-js.sarif":                     {77, "0/35/42/0/0", 0},
	"snyk-code-issue9270.sarif.json":                  {39, "0/12/24/3/0", 0},
	"snyk-open-source-maven.sarif":                    {41, "0/31/10/0/0", 0},
	"trivy-image-alpine310.sarif":                     {4, "0/0/4/0/0", 0},
	"trivy-config-helm-chart.json":                    {18, "0/3/4/11/0", 0},
	"trivy-fs-vuln-misconfig-secret.json":             {5, "2/2/1/0/0", 0},
	"trivy-image-debian10-example-app.json":           {13, "0/0/1/12/0", 0},
	"trivy-image-spring4shell-jre11.json":             {1, "1/0/0/0/0", 0},
	"trivy-k8s-cluster-eks-legacy.json":               {15, "0/0/5/10/0", 0},
	"trivy-legacy-list-format-debian.json":            {93, "0/18/9/65/1", 0},
}

func sevString(m map[string]int) string {
	return fmt.Sprintf("%d/%d/%d/%d/%d", m["critical"], m["high"], m["medium"], m["low"], m["info"])
}

func TestGoldenCorpus(t *testing.T) {
	for _, file := range corpusFiles(t) {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			in := readInput(t, file)
			rep, err := Parse(in.Name, in.Data)
			if err != nil {
				t.Fatal(err)
			}
			s := newStore(t)
			matchingEstate(t, s, rep)
			sum, err := Import(context.Background(), s, []Input{in}, Options{Now: clock(t0)})
			if err != nil {
				t.Fatal(err)
			}
			got := allFindings(t, s)
			sev := map[string]int{}
			for _, n := range got {
				sev[n.Props.String("severity")]++
			}
			g := golden{findings: len(got), severity: sevString(sev), unresolved: len(sum.Unresolved)}
			want, ok := goldens[name]
			if !ok {
				t.Errorf("no golden for %s (got %+v)", name, g)
			}
			if ok && g != want {
				t.Errorf("got %+v, want %+v", g, want)
			}
			if sum.Findings != len(got) || sum.New != len(got) {
				t.Errorf("summary says %d findings, %d new; store has %d", sum.Findings, sum.New, len(got))
			}
			// Every package finding is on the Package with its purl, and
			// through DEPENDS_ON on the service using it.
			for _, n := range got {
				subj := foundOn(t, s, n.ID)
				if n.Props.Bool("unresolved") != (len(subj) == 0) {
					t.Errorf("%s: unresolved=%v with %d subjects", n.Name, n.Props.Bool("unresolved"), len(subj))
				}
				if p := n.Props.String("purl"); p != "" && n.Props.String("category") == CategoryVulnerability {
					var pkgs, svcs []string
					for _, sn := range subj {
						switch sn.Kind {
						case "Package":
							pkgs = append(pkgs, NormalizePurl(sn.Props.String("purl")))
						case "Service":
							svcs = append(svcs, sn.Name)
						}
					}
					if !slices.Contains(pkgs, NormalizePurl(p)) || !slices.Contains(svcs, "app") {
						t.Errorf("%s (purl %s): found on packages %v services %v, want the package and app", n.Name, p, pkgs, svcs)
					}
				}
				if n.Props.String("category") == CategoryCode && len(subj) != 1 {
					t.Errorf("%s: code finding on %d subjects, want the app service", n.Name, len(subj))
				}
				if n.Props.String("category") == CategorySecret && strings.Contains(n.Props.String("message"), "*****") {
					t.Errorf("%s: secret match stored", n.Name)
				}
			}
		})
	}
}
