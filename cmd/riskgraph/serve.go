package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/graph/neo4j"
	"github.com/riskgraph/riskgraph/internal/server"
	"github.com/riskgraph/riskgraph/testdata/demo"
)

// mounts lets the API and the UI add their handlers from files of their own.
var mounts []func(g *globals, st graph.Store, srv *server.Server, m mountOptions) error

// mountOptions tell mounted handlers how the server runs.
type mountOptions struct {
	Demo bool   // riskgraph demo: loopback, open for reading
	Addr string // the --addr given
}

type serveFlags struct {
	addr     string
	addrFile string
}

func (f *serveFlags) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to serve HTTP on (port 0 picks a free one)")
	cmd.Flags().StringVar(&f.addrFile, "addr-file", "", "write the bound address to this file once listening")
}

func newServeCmd(g *globals) *cobra.Command {
	var (
		sf      serveFlags
		dataDir string
		kind    string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the GraphQL API and the UI over a durable store",
		Args:  cobra.NoArgs,
	}
	sf.bind(cmd)
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "data directory of the embedded store (required with --store memdb)")
	cmd.Flags().StringVar(&kind, "store", "memdb", "store backend: memdb (embedded, durable in --data-dir) or neo4j")
	ncfg := neo4j.BindFlags(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := neo4j.ApplyEnv(cmd.Flags(), os.Getenv); err != nil {
			return err
		}
		var st graph.Store
		switch kind {
		case "memdb":
			if dataDir == "" {
				return errors.New("serve: --data-dir is required with the embedded store (or set RISKGRAPH_DATA_DIR)")
			}
			s, err := memdb.Open(dataDir, memdb.Options{Logger: g.logger})
			if err != nil {
				return err
			}
			st = s
		case "neo4j":
			if ncfg.URI == "" {
				return errors.New("serve: --neo4j-uri is required with --store neo4j (or set RISKGRAPH_NEO4J_URI)")
			}
			ncfg.Logger = g.logger
			s, err := neo4j.Open(cmd.Context(), *ncfg)
			if err != nil {
				return err
			}
			st = s
		default:
			return fmt.Errorf("serve: --store %q: want memdb or neo4j", kind)
		}
		return runServer(cmd.Context(), g, st, sf, mountOptions{Addr: sf.addr})
	}
	return cmd
}

func newDemoCmd(g *globals) *cobra.Command {
	var (
		sf      serveFlags
		dataDir string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Load the demo estate into a fresh embedded store and serve it",
		Long: "demo loads Larkspur, a fictional company of three applications and 25 services " +
			"(testdata/demo), into a fresh in-memory store and serves the API and UI on a loopback address.",
		Args: cobra.NoArgs,
	}
	sf.bind(cmd)
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "keep the demo store in this directory instead of in memory")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		s, err := memdb.Open(dataDir, memdb.Options{Logger: g.logger})
		if err != nil {
			return err
		}
		res, err := s.Apply(cmd.Context(), demo.Batch())
		if err != nil {
			s.Close()
			return fmt.Errorf("loading the demo estate: %w", err)
		}
		g.logger.Info("demo estate loaded", "nodes", res.NodesCreated+res.NodesUpdated, "edges", res.EdgesCreated+res.EdgesUpdated)
		return runServer(cmd.Context(), g, s, sf, mountOptions{Demo: true, Addr: sf.addr})
	}
	return cmd
}

// runServer serves st until ctx is cancelled (SIGINT, SIGTERM), then drains
// requests and closes the store, which flushes a snapshot.
func runServer(ctx context.Context, g *globals, st graph.Store, sf serveFlags, m mountOptions) (err error) {
	defer func() {
		start := time.Now()
		if cerr := st.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing the store: %w", cerr)
		}
		g.logger.Info("store closed", "took", time.Since(start).Round(time.Millisecond))
	}()
	srv := server.New(st, server.Options{Logger: g.logger})
	for _, mount := range mounts {
		if err := mount(g, st, srv, m); err != nil {
			return err
		}
	}
	srv.SetReady(true)
	return srv.Serve(ctx, sf.addr, func(a net.Addr) {
		if sf.addrFile == "" {
			return
		}
		tmp := sf.addrFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(a.String()), 0o644); err == nil {
			os.Rename(tmp, sf.addrFile)
		} else {
			g.logger.Error("writing --addr-file", "err", err)
		}
	})
}
