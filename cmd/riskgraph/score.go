package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/scoring"
)

func init() {
	extraCommands = append(extraCommands, newScoreCmd, newPathsCmd, newBlastCmd, newFlowsCmd, newKPIsCmd)
}

// scoringFlags are the flags every scoring command has.
// They read the embedded store in-process; against a server (or a Neo4j
// deployment) the same answers come from the GraphQL fields attackPaths,
// blastRadius, dataFlows, topRisks and kpis, e.g.
// riskgraph query --server URL --token T '{ kpis { open fixRate } }'.
type scoringFlags struct {
	dataDir, output, profile string
}

func (f *scoringFlags) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.dataDir, "data-dir", "", "data directory of the embedded store")
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	cmd.Flags().StringVar(&f.profile, "profile", "", "YAML scoring profile (weights; see package scoring); default built-in weights")
}

// run opens the store read-only for the command, builds an engine and
// calls fn with it.
func (f *scoringFlags) run(cmd *cobra.Command, g *globals, name string, fn func(ctx context.Context, e *scoring.Engine) (any, func(io.Writer) error, error)) error {
	if f.output != "text" && f.output != "json" {
		return fmt.Errorf("%s: --output %q: want text or json", name, f.output)
	}
	if f.dataDir == "" {
		return fmt.Errorf("%s: --data-dir is required (for a server, ask its GraphQL API: riskgraph query --server URL --token T 'QUERY')", name)
	}
	p := scoring.DefaultProfile()
	if f.profile != "" {
		var err error
		if p, err = scoring.LoadProfile(f.profile); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	s, err := memdb.Open(f.dataDir, memdb.Options{Logger: g.logger})
	if err != nil {
		return err
	}
	defer s.Close()
	v, err := s.Read(cmd.Context())
	if err != nil {
		return err
	}
	defer v.Close()
	res, text, err := fn(cmd.Context(), scoring.New(v, p))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	w := cmd.OutOrStdout()
	if f.output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return text(w)
}

func newScoreCmd(g *globals) *cobra.Command {
	var (
		f            scoringFlags
		limit, risks int
		showAll, why bool
	)
	cmd := &cobra.Command{
		Use:   "score",
		Short: "Score every finding (risk 0–100 with its factors) and name the top risks",
		Long: "score ranks findings by risk = 100 × severity × exploitability × impact, each with the factors " +
			"and the evidence path behind it, then lists the top risks (one per root cause). " +
			"--profile FILE changes the weights (YAML; unknown keys are rejected with their line).",
		Args: cobra.NoArgs,
	}
	f.bind(cmd)
	cmd.Flags().IntVar(&limit, "limit", 20, "findings to list (0: all)")
	cmd.Flags().IntVar(&risks, "risks", 3, "top risks to list")
	cmd.Flags().BoolVar(&showAll, "all", false, "also list findings that are not open (they score 0)")
	cmd.Flags().BoolVar(&why, "why", false, "print each finding's factors and path")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return f.run(cmd, g, "score", func(ctx context.Context, e *scoring.Engine) (any, func(io.Writer) error, error) {
			ss, err := e.ScoreAll(ctx)
			if err != nil {
				return nil, nil, err
			}
			if !showAll {
				open := ss[:0:0]
				for _, s := range ss {
					if s.Open {
						open = append(open, s)
					}
				}
				ss = open
			}
			if limit > 0 && len(ss) > limit {
				ss = ss[:limit]
			}
			rs, err := e.TopRisks(ctx, risks)
			if err != nil {
				return nil, nil, err
			}
			names := map[graph.ID]string{}
			for _, s := range ss {
				if n, err := e.View().Node(ctx, s.Finding); err == nil {
					names[s.Finding] = n.Name
				}
			}
			res := struct {
				TopRisks []scoring.Risk  `json:"topRisks"`
				Findings []scoring.Score `json:"findings"`
			}{rs, ss}
			return res, func(w io.Writer) error {
				fmt.Fprintln(w, "Top risks:")
				for i, r := range rs {
					fmt.Fprintf(w, "%d. %6.2f  %s\n", i+1, r.Risk, r.Title)
					if p := hopsText(r.Path); p != "" {
						fmt.Fprintf(w, "            path: %s\n", p)
					}
				}
				fmt.Fprintln(w, "\nFindings:")
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "RISK\tSEV\tEXPL\tIMPACT\tFINDING\tDATA")
				for _, s := range ss {
					fmt.Fprintf(tw, "%.2f\t%.2f\t%.2f\t%.2f\t%s\t%s\n", s.Risk, s.Severity, s.Exploitability, s.Impact, names[s.Finding], classesText(s.ReachableData))
					if why {
						for _, fc := range s.Factors {
							fmt.Fprintf(tw, "\t\t\t\t  %s %.3f: %s\t\n", fc.Name, fc.Value, fc.Detail)
						}
					}
				}
				return tw.Flush()
			}, nil
		})
	}
	return cmd
}

func newPathsCmd(g *globals) *cobra.Command {
	var (
		f              scoringFlags
		to             []string
		toNode, from   string
		limit, maxHops int
	)
	cmd := &cobra.Command{
		Use:   "paths --to CLASS[,CLASS]",
		Short: "Rank attack paths from the Internet to data stores holding a data class",
		Args:  cobra.NoArgs,
	}
	f.bind(cmd)
	cmd.Flags().StringSliceVar(&to, "to", nil, "target data classes (PII, PCI, PHI, CREDENTIALS, FINANCIAL, INTERNAL)")
	cmd.Flags().StringVar(&toNode, "to-node", "", "target node id instead of data classes")
	cmd.Flags().StringVar(&from, "from", "", "start node id (default the Internet)")
	cmd.Flags().IntVar(&limit, "limit", 10, "paths to return")
	cmd.Flags().IntVar(&maxHops, "max-hops", 0, "longest path (default the profile's)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		q := scoring.PathQuery{ToNode: graph.ID(toNode), From: graph.ID(from), Limit: limit, MaxHops: maxHops}
		for _, c := range to {
			dc := graph.DataClass(strings.ToUpper(strings.TrimSpace(c)))
			if !dc.Valid() {
				return fmt.Errorf("paths: --to %q: want one of %v", c, graph.DataClasses)
			}
			q.To = append(q.To, dc)
		}
		return f.run(cmd, g, "paths", func(ctx context.Context, e *scoring.Engine) (any, func(io.Writer) error, error) {
			ps, err := e.AttackPaths(ctx, q)
			if err != nil {
				return nil, nil, err
			}
			return ps, func(w io.Writer) error {
				if len(ps) == 0 {
					fmt.Fprintln(w, "no attack path found")
				}
				for i, p := range ps {
					auth := "unauthenticated"
					if p.Authenticated {
						auth = "crosses authentication"
					}
					fmt.Fprintf(w, "%d. %6.2f  %s  [%s; %d findings]\n", i+1, p.Score, classesText(p.DataClasses), auth, len(p.Findings))
					fmt.Fprintf(w, "     %s\n", hopsText(p.Hops))
				}
				return nil
			}, nil
		})
	}
	return cmd
}

func newBlastCmd(g *globals) *cobra.Command {
	var (
		f         scoringFlags
		purl, cve string
		depth     int
	)
	cmd := &cobra.Command{
		Use:   "blast [NODE-ID...] | --purl PURL | --cve ID",
		Short: "Show what a compromise of a node, a package or a vulnerability reaches",
		Args: func(cmd *cobra.Command, args []string) error {
			n := 0
			if len(args) > 0 {
				n++
			}
			if purl != "" {
				n++
			}
			if cve != "" {
				n++
			}
			if n != 1 {
				return fmt.Errorf("blast: give node ids, or --purl, or --cve (exactly one of them)")
			}
			return nil
		},
	}
	f.bind(cmd)
	cmd.Flags().StringVar(&purl, "purl", "", "package URL: every service depending on it and their union radius")
	cmd.Flags().StringVar(&cve, "cve", "", "advisory id or alias: the radius of every package it affects")
	cmd.Flags().IntVar(&depth, "depth", 6, "steps to follow (0: unbounded)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return f.run(cmd, g, "blast", func(ctx context.Context, e *scoring.Engine) (any, func(io.Writer) error, error) {
			var br scoring.BlastRadius
			var err error
			switch {
			case purl != "":
				br, err = e.BlastRadiusOfPackage(ctx, purl, depth)
			case cve != "":
				br, err = e.BlastRadiusOfVulnerability(ctx, cve, depth)
			default:
				ids := make([]graph.ID, len(args))
				for i, a := range args {
					ids[i] = graph.ID(a)
				}
				br, err = e.BlastRadius(ctx, ids, depth)
			}
			if err != nil {
				return nil, nil, err
			}
			return br, func(w io.Writer) error {
				name := func(id graph.ID) string {
					if n, err := e.View().Node(ctx, id); err == nil {
						if n.Env != "" {
							return n.Name + " (" + n.Env + ")"
						}
						return n.Name
					}
					return string(id)
				}
				list := func(label string, ids []graph.ID) {
					names := make([]string, len(ids))
					for i, id := range ids {
						names[i] = name(id)
					}
					fmt.Fprintf(w, "%-16s %d  %s\n", label, len(ids), strings.Join(names, ", "))
				}
				fmt.Fprintf(w, "score %.2f\n", br.Score)
				if br.Dependents != nil {
					list("dependents", br.Dependents)
					list("  internet-facing", br.DependentsInternetFacing)
				}
				list("internet-facing", br.InternetFacing)
				list("services", br.Services)
				list("apis", br.APIs)
				list("data stores", br.DataStores)
				fmt.Fprintf(w, "%-16s %d  %s\n", "data classes", len(br.DataClasses), classesText(br.DataClasses))
				list("identities", br.Identities)
				list("third parties", br.ThirdParties)
				list("applications", br.Applications)
				list("teams", br.Teams)
				return nil
			}, nil
		})
	}
	return cmd
}

func newFlowsCmd(g *globals) *cobra.Command {
	var (
		f      scoringFlags
		thirds bool
	)
	cmd := &cobra.Command{
		Use:   "flows CLASS",
		Short: "Trace where data of a class moves: APIs, services, data stores, third parties",
		Args:  cobra.ExactArgs(1),
	}
	f.bind(cmd)
	cmd.Flags().BoolVar(&thirds, "third-parties", false, "list only the services with this data that talk to third parties")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		dc := graph.DataClass(strings.ToUpper(strings.TrimSpace(args[0])))
		if !dc.Valid() {
			return fmt.Errorf("flows: %q: want one of %v", args[0], graph.DataClasses)
		}
		return f.run(cmd, g, "flows", func(ctx context.Context, e *scoring.Engine) (any, func(io.Writer) error, error) {
			df, err := e.DataFlows(ctx, dc)
			if err != nil {
				return nil, nil, err
			}
			name := func(id graph.ID) string {
				if n, err := e.View().Node(ctx, id); err == nil {
					if n.Env != "" {
						return n.Name + " (" + n.Env + ")"
					}
					return n.Name
				}
				return string(id)
			}
			if thirds {
				return df.ServicesToThirdParties, func(w io.Writer) error {
					for _, s := range df.ServicesToThirdParties {
						fmt.Fprintln(w, name(s))
					}
					return nil
				}, nil
			}
			return df, func(w io.Writer) error {
				fmt.Fprintf(w, "%s: %d APIs, %d services, %d data stores, %d third parties\n",
					dc, len(df.APIs), len(df.Services), len(df.DataStores), len(df.ThirdParties))
				for _, s := range df.Steps {
					ev := ""
					if len(s.Sources) > 0 && s.Sources[0].File != "" {
						ev = fmt.Sprintf("  (%s:%d)", s.Sources[0].File, s.Sources[0].Line)
					}
					fmt.Fprintf(w, "  %s -> %s  [%s]%s\n", name(s.From), name(s.To), s.Kind, ev)
				}
				return nil
			}, nil
		})
	}
	return cmd
}

func newKPIsCmd(g *globals) *cobra.Command {
	var f scoringFlags
	cmd := &cobra.Command{
		Use:   "kpis",
		Short: "Program KPIs: exploitable and reachable findings, critical application risk, MTTR, fix rate, auto-triage",
		Args:  cobra.NoArgs,
	}
	f.bind(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return f.run(cmd, g, "kpis", func(ctx context.Context, e *scoring.Engine) (any, func(io.Writer) error, error) {
			k, err := e.KPIs(ctx)
			if err != nil {
				return nil, nil, err
			}
			return k, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintf(tw, "findings\t%d\n", k.Findings)
				fmt.Fprintf(tw, "open\t%d\n", k.Open)
				fmt.Fprintf(tw, "open, exploitable and reachable\t%d\n", k.OpenExploitableReachable)
				fmt.Fprintf(tw, "critical application risk\t%.2f\n", k.CriticalApplicationRisk)
				fmt.Fprintf(tw, "fixed\t%d\n", k.Fixed)
				fmt.Fprintf(tw, "fix rate\t%.1f%%\n", 100*k.FixRate)
				if k.MTTRSamples > 0 {
					fmt.Fprintf(tw, "MTTR\t%.1f h (%d fixed findings)\n", k.MTTRHours, k.MTTRSamples)
				} else {
					fmt.Fprintf(tw, "MTTR\tn/a (no fixed finding records fixedAt)\n")
				}
				fmt.Fprintf(tw, "auto-triaged\t%d (%.1f%% of open)\n", k.AutoTriaged, 100*k.AutoTriagedShare)
				for _, a := range k.Applications {
					fmt.Fprintf(tw, "  %s (%s)\t%.2f\n", a.Name, a.Criticality, a.Risk)
				}
				return tw.Flush()
			}, nil
		})
	}
	return cmd
}

func hopsText(hs []scoring.Hop) string {
	names := make([]string, len(hs))
	for i, h := range hs {
		names[i] = h.Name
		if len(h.Findings) > 0 {
			names[i] += fmt.Sprintf(" [%d finding(s)]", len(h.Findings))
		}
	}
	return strings.Join(names, " → ")
}

func classesText(cs []graph.DataClass) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ",")
}
