package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
)

func newStatsCmd(g *globals) *cobra.Command {
	var dataDir, output string
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Count the nodes and edges of an embedded store by kind",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dataDir == "" {
				return fmt.Errorf("stats: --data-dir is required")
			}
			if output != "text" && output != "json" {
				return fmt.Errorf("stats: --output %q: want text or json", output)
			}
			s, err := memdb.Open(dataDir, memdb.Options{Logger: g.logger})
			if err != nil {
				return err
			}
			defer s.Close()
			v, err := s.Read(cmd.Context())
			if err != nil {
				return err
			}
			defer v.Close()
			st, err := v.Stats(cmd.Context())
			if err != nil {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			return printStats(cmd.OutOrStdout(), st)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "data directory of the embedded store")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

func printStats(w io.Writer, st graph.Stats) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "nodes\t%d\t\n", st.Nodes)
	for _, k := range graph.Kinds {
		if n := st.NodesByKind[k]; n > 0 {
			fmt.Fprintf(tw, "  %s\t%d\t\n", k, n)
		}
	}
	fmt.Fprintf(tw, "edges\t%d\t\n", st.Edges)
	for _, k := range graph.EdgeKinds {
		if n := st.EdgesByKind[k]; n > 0 {
			fmt.Fprintf(tw, "  %s\t%d\t\n", k, n)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	runs := slices.Clone(st.Runs)
	if len(runs) > 0 {
		fmt.Fprintln(w, "last runs:")
	}
	for _, r := range runs {
		state := "ok"
		if r.Failed {
			state = "FAILED"
		}
		fmt.Fprintf(w, "  %s  %s  %s  %s\n", r.Scope, r.Run, r.At, state)
	}
	return nil
}
