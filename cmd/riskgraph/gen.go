package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/gen"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
)

func newGenCmd(g *globals) *cobra.Command {
	var (
		dataDir, preset, output string
		seed                    int64
		services, batchSize     int
	)
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Generate a large synthetic estate into a store or as JSON batches",
		Long: "gen produces a deterministic synthetic estate (by --seed) for load tests and benchmarks: " +
			"--preset small (~6.5k nodes) or large (~1M nodes, ~3M edges), optionally resized with --services. " +
			"With --data-dir it loads the estate into an embedded store; with --output json it writes one batch per line.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var cfg gen.Config
			switch preset {
			case "small":
				cfg = gen.Small
			case "large":
				cfg = gen.Large()
			default:
				return fmt.Errorf("gen: --preset %q: want small or large", preset)
			}
			cfg.Seed = seed
			if services > 0 {
				scale := float64(services) / float64(cfg.Services)
				cfg.Services = services
				cfg.DataStores = max(1, int(float64(cfg.DataStores)*scale))
				cfg.Packages = max(1, int(float64(cfg.Packages)*scale))
				cfg.Findings = max(1, int(float64(cfg.Findings)*scale))
				cfg.Vulnerabilities = max(1, int(float64(cfg.Vulnerabilities)*scale))
			}
			switch {
			case output == "json":
				enc := json.NewEncoder(cmd.OutOrStdout())
				return cfg.Each(batchSize, func(b graph.Batch) error { return enc.Encode(b) })
			case output != "":
				return fmt.Errorf("gen: --output %q: want json", output)
			case dataDir == "":
				return fmt.Errorf("gen: give --data-dir DIR to load the estate, or --output json")
			}
			s, err := memdb.Open(dataDir, memdb.Options{Logger: g.logger})
			if err != nil {
				return err
			}
			var nodes, edges int
			err = cfg.Each(batchSize, func(b graph.Batch) error {
				r, err := s.Apply(cmd.Context(), b)
				nodes += r.NodesCreated + r.NodesUpdated
				edges += r.EdgesCreated + r.EdgesUpdated
				return err
			})
			if cerr := s.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "generated %d nodes and %d edges into %s\n", nodes, edges, dataDir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "load the estate into the embedded store in this directory")
	cmd.Flags().StringVar(&preset, "preset", "small", "size preset: small or large")
	cmd.Flags().StringVarP(&output, "output", "o", "", "json: write the batches to stdout, one per line")
	cmd.Flags().Int64Var(&seed, "seed", 1, "random seed; the same seed gives the same estate")
	cmd.Flags().IntVar(&services, "services", 0, "number of services (scales data stores, packages, findings)")
	cmd.Flags().IntVar(&batchSize, "batch-size", 50000, "elements per batch")
	return cmd
}
