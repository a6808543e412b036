package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/findings"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/internal/client"
)

func init() { extraCommands = append(extraCommands, newImportCmd) }

type importFlags struct {
	dataDir, server, token string
	service, scope         string
	kev, epss              string
	partial                bool
	output                 string
}

func newImportCmd(g *globals) *cobra.Command {
	var f importFlags
	cmd := &cobra.Command{
		Use:   "import [flags] FILE...",
		Short: "Import scanner findings (SARIF, Grype, Trivy, OSV-Scanner, CycloneDX VEX) and pin them to the graph",
		Long: "import reads scanner outputs (format detected from content), deduplicates their findings, attaches\n" +
			"each to the package, service or resource node it is about, and applies everything as one batch.\n" +
			"A complete import of a scope (tool + target, or --scope) marks fixed what that scope no longer reports.\n" +
			"With a bad file nothing is applied unless --partial is given; a partial run marks nothing fixed.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd, g, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dataDir, "data-dir", "", "data directory of the embedded store")
	fl.StringVar(&f.server, "server", "", "riskgraph server URL (remote import)")
	fl.StringVar(&f.token, "token", "", "API token for --server")
	fl.StringVar(&f.service, "service", "", `attach code, secret and misconfiguration findings to this service ("name" or "env/name")`)
	fl.StringVar(&f.scope, "scope", "", "scope key of this import (default: tool and target of each scan)")
	fl.StringVar(&f.kev, "kev", "", "CISA KEV catalog JSON to enrich vulnerabilities with")
	fl.StringVar(&f.epss, "epss", "", "FIRST EPSS CSV to enrich vulnerabilities with")
	fl.BoolVar(&f.partial, "partial", false, "apply the findings of the good files when some files are bad")
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	return cmd
}

func runImport(cmd *cobra.Command, g *globals, f importFlags, files []string) error {
	switch {
	case f.output != "text" && f.output != "json":
		return fmt.Errorf("import: --output %q: want text or json", f.output)
	case f.server != "" && f.dataDir != "":
		return fmt.Errorf("import: give --data-dir or --server, not both")
	case f.dataDir == "" && f.server == "":
		return fmt.Errorf("import: --data-dir (or --server) is required")
	}
	inputs := make([]findings.Input, 0, len(files))
	for _, name := range files {
		in, err := readInput(name)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		inputs = append(inputs, in)
	}
	if f.server != "" {
		return runRemoteImport(cmd, f, inputs)
	}
	opt := findings.Options{Service: f.service, Scope: f.scope, Partial: f.partial}
	var err error
	if f.kev != "" {
		if opt.KEV, err = findings.LoadKEV(f.kev); err != nil {
			return fmt.Errorf("import: --kev: %w", err)
		}
	}
	if f.epss != "" {
		if opt.EPSS, err = findings.LoadEPSS(f.epss); err != nil {
			return fmt.Errorf("import: --epss: %w", err)
		}
	}
	s, err := memdb.Open(f.dataDir, memdb.Options{Logger: g.logger})
	if err != nil {
		return err
	}
	defer s.Close()
	sum, ierr := findings.Import(cmd.Context(), s, inputs, opt)
	return reportImport(cmd, f, sum, ierr)
}

func readInput(name string) (findings.Input, error) {
	data, err := os.ReadFile(name)
	return findings.Input{Name: name, Data: data}, err
}

// runRemoteImport posts the files to the server, which correlates and
// applies them against its graph (internal/client.ImportPath). KEV and EPSS
// files go along unparsed: the server reads them as a local import would.
func runRemoteImport(cmd *cobra.Command, f importFlags, inputs []findings.Input) error {
	req := client.ImportRequest{Files: inputs, Service: f.service, Scope: f.scope, Partial: f.partial}
	for _, extra := range []struct {
		flag, name string
		dst        **findings.Input
	}{{"kev", f.kev, &req.KEV}, {"epss", f.epss, &req.EPSS}} {
		if extra.name == "" {
			continue
		}
		in, err := readInput(extra.name)
		if err != nil {
			return fmt.Errorf("import: --%s: %w", extra.flag, err)
		}
		*extra.dst = &in
	}
	sum, ierr := client.New(f.server, f.token).ImportFindings(cmd.Context(), req)
	if sum == nil {
		return fmt.Errorf("import: %w", ierr)
	}
	return reportImport(cmd, f, sum, ierr)
}

func reportImport(cmd *cobra.Command, f importFlags, sum *findings.Summary, ierr error) error {
	if f.output == "json" {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else if err := printImportSummary(cmd.OutOrStdout(), sum); err != nil {
		return err
	}
	if ierr != nil {
		return fmt.Errorf("import: %w", ierr)
	}
	return nil
}

// maxUnresolvedShown bounds the unresolved list in text output; -o json
// has all of them.
const maxUnresolvedShown = 20

func printImportSummary(w io.Writer, sum *findings.Summary) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tFORMAT\tTOOL\tSCOPE\tRESULTS\tFINDINGS\t")
	for _, f := range sum.Files {
		if f.Error != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\tERROR\t\n", f.File)
			continue
		}
		for _, s := range f.Scans {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t\n", f.File, f.Format, s.Tool, s.Scope, s.Results, s.Findings)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, f := range sum.Files {
		if f.Error != "" {
			fmt.Fprintf(w, "error: %s\n", f.Error)
		}
	}
	state := "applied"
	if !sum.Applied {
		state = "NOT applied"
	}
	fmt.Fprintf(w, "%d findings (%s): %d new, %d seen again, %d reopened, %d fixed, %d unresolved\n",
		sum.Findings, state, sum.New, sum.Seen, sum.Reopened, sum.Fixed, len(sum.Unresolved))
	if sum.FixSkipped != "" {
		fmt.Fprintf(w, "nothing marked fixed: %s\n", sum.FixSkipped)
	}
	if len(sum.Unresolved) > 0 {
		fmt.Fprintln(w, "unresolved (no node in the graph; kept with unresolved=true):")
		for i, u := range sum.Unresolved {
			if i == maxUnresolvedShown {
				fmt.Fprintf(w, "  … and %d more (-o json lists all)\n", len(sum.Unresolved)-i)
				break
			}
			fmt.Fprintf(w, "  %s  %s  [%s %s] %s\n", u.ID, u.Title, u.Tool, u.Category, u.What)
		}
	}
	return nil
}
