package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/findings"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
)

func init() { extraCommands = append(extraCommands, newFindingsCmd) }

func newFindingsCmd(g *globals) *cobra.Command {
	var (
		dataDir, output, order, minSev, tool, env, service, vuln, text string
		status, severity, category                                     []string
		unresolved                                                     bool
		limit                                                          int
	)
	cmd := &cobra.Command{
		Use:   "findings",
		Short: "List imported findings, most severe first; accept risks and mark false positives",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "text" && output != "json" {
				return fmt.Errorf("findings: --output %q: want text or json", output)
			}
			f := findings.Filter{Status: status, Severity: severity, MinSeverity: minSev, Category: category,
				Tool: tool, Env: env, Vulnerability: vuln, Service: service, Text: text}
			if cmd.Flags().Changed("unresolved") {
				f.Unresolved = &unresolved
			}
			s, err := openStore(g, dataDir)
			if err != nil {
				return err
			}
			defer s.Close()
			v, err := s.Read(cmd.Context())
			if err != nil {
				return err
			}
			defer v.Close()
			items, err := findings.List(cmd.Context(), v, f, findings.Order(order), limit)
			if err != nil {
				return fmt.Errorf("findings: %w", err)
			}
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(items)
			}
			return printFindings(cmd.OutOrStdout(), items)
		},
	}
	fl := cmd.PersistentFlags()
	fl.StringVar(&dataDir, "data-dir", "", "data directory of the embedded store")
	lf := cmd.Flags()
	lf.StringVarP(&output, "output", "o", "text", "output format: text or json")
	lf.StringSliceVar(&status, "status", nil, "only these statuses (open, fixed, accepted, false_positive)")
	lf.StringSliceVar(&severity, "severity", nil, "only these severities (critical, high, medium, low, info)")
	lf.StringVar(&minSev, "min-severity", "", "only findings at least this severe")
	lf.StringSliceVar(&category, "category", nil, "only these categories (vulnerability, code, misconfiguration, secret)")
	lf.StringVar(&tool, "tool", "", "only findings reported by this tool")
	lf.StringVar(&env, "env", "", "only findings in this environment")
	lf.StringVar(&service, "service", "", `only findings on this service ("name" or "env/name")`)
	lf.StringVar(&vuln, "vulnerability", "", "only findings of this advisory")
	lf.StringVar(&text, "text", "", "only findings whose title, rule or message contains this")
	lf.BoolVar(&unresolved, "unresolved", false, "only findings with (true) or without (false) a subject in the graph")
	lf.StringVar(&order, "order", "severity", "order: severity, firstSeen or lastSeen")
	lf.IntVar(&limit, "limit", 0, "at most this many findings (0: all)")
	cmd.AddCommand(newAcceptCmd(g, &dataDir), newFalsePositiveCmd(g, &dataDir), newReopenExpiredCmd(g, &dataDir))
	return cmd
}

func openStore(g *globals, dataDir string) (*memdb.Store, error) {
	if dataDir == "" {
		return nil, fmt.Errorf("findings: --data-dir is required")
	}
	return memdb.Open(dataDir, memdb.Options{Logger: g.logger})
}

func printFindings(w io.Writer, items []findings.Item) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tSTATUS\tTOOLS\tCATEGORY\tTITLE\tON\tID\t")
	for _, it := range items {
		p := it.Finding.Props
		var on []string
		for _, s := range it.Subjects {
			on = append(on, string(s.Kind)+" "+s.Name)
		}
		where := strings.Join(on, ", ")
		if where == "" {
			where = "(unresolved)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", p.String("severity"), p.String("status"),
			strings.Join(p.Strings("tools"), ","), p.String("category"), clip(it.Finding.Name, 70), clip(where, 60), it.Finding.ID)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d findings\n", len(items))
	return err
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func newAcceptCmd(g *globals, dataDir *string) *cobra.Command {
	var owner, reason, until string
	cmd := &cobra.Command{
		Use:   "accept FINDING-ID",
		Short: "Accept the risk of a finding until a date (it reopens when the acceptance expires)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := time.Parse(time.RFC3339, until)
			if err != nil {
				if d, derr := time.Parse("2006-01-02", until); derr == nil {
					t = d
				} else {
					return fmt.Errorf("findings accept: --until %q: want RFC 3339 or YYYY-MM-DD", until)
				}
			}
			s, err := openStore(g, *dataDir)
			if err != nil {
				return err
			}
			defer s.Close()
			n, err := findings.AcceptRisk(cmd.Context(), s, graph.ID(args[0]), findings.Acceptance{Owner: owner, Reason: reason, Until: t}, time.Now())
			if err != nil {
				return fmt.Errorf("findings accept: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s accepted by %s until %s\n", n.ID, owner, n.Props.String("acceptedUntil"))
			return nil
		},
	}
	cmd.Flags().StringVar(&owner, "owner", "", "who accepts the risk (required)")
	cmd.Flags().StringVar(&reason, "reason", "", "why (required)")
	cmd.Flags().StringVar(&until, "until", "", "expiry, RFC 3339 or YYYY-MM-DD (required)")
	return cmd
}

func newFalsePositiveCmd(g *globals, dataDir *string) *cobra.Command {
	var by, reason string
	cmd := &cobra.Command{
		Use:   "false-positive FINDING-ID",
		Short: "Mark a finding a false positive",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := openStore(g, *dataDir)
			if err != nil {
				return err
			}
			defer s.Close()
			n, err := findings.MarkFalsePositive(cmd.Context(), s, graph.ID(args[0]), by, reason, time.Now())
			if err != nil {
				return fmt.Errorf("findings false-positive: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s marked false_positive by %s\n", n.ID, by)
			return nil
		},
	}
	cmd.Flags().StringVar(&by, "by", "", "who decides (required)")
	cmd.Flags().StringVar(&reason, "reason", "", "why (required)")
	return cmd
}

func newReopenExpiredCmd(g *globals, dataDir *string) *cobra.Command {
	return &cobra.Command{
		Use:   "reopen-expired",
		Short: "Reopen every finding whose risk acceptance has expired",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := openStore(g, *dataDir)
			if err != nil {
				return err
			}
			defer s.Close()
			n, err := findings.ReopenExpired(cmd.Context(), s, time.Now())
			if err != nil {
				return fmt.Errorf("findings reopen-expired: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d findings reopened\n", n)
			return nil
		},
	}
}
