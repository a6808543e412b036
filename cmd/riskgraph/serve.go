package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/riskgraph/riskgraph/api"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/graph/neo4j"
	"github.com/riskgraph/riskgraph/internal/auth"
	"github.com/riskgraph/riskgraph/internal/server"
	"github.com/riskgraph/riskgraph/testdata/demo"
)

// mounts lets the API and the UI add their handlers from files of their own.
var mounts []func(g *globals, st graph.Store, srv *server.Server, m mountOptions) error

// mountOptions tell mounted handlers how the server runs.
type mountOptions struct {
	Demo   bool   // riskgraph demo: loopback, open for reading
	Addr   string // the --addr given
	Shared bool   // other processes may write the store (Neo4j)
}

type serveFlags struct {
	addr           string
	addrFile       string
	tokensFile     string
	insecureNoAuth bool
	limits         api.Limits
	otlpHTTP       string // serve only: OTLP/HTTP trace receiver address (otlp_http.go)
}

func (f *serveFlags) bind(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to serve HTTP on (port 0 picks a free one)")
	fs.StringVar(&f.addrFile, "addr-file", "", "write the bound address to this file once listening")
	fs.StringVar(&f.tokensFile, "tokens-file", "", "file of bearer tokens, one token:role per line (roles: read, ingest, admin); RISKGRAPH_TOKENS adds comma-separated pairs")
	fs.BoolVar(&f.insecureNoAuth, "insecure-no-auth", false, "serve without tokens on a non-loopback address (everyone is admin)")
	bindLimits(fs, &f.limits)
	fs.Int64Var(&f.limits.MaxBodyBytes, "max-body", 64<<20, "largest request body in bytes (ingest batches)")
	fs.DurationVar(&f.limits.Timeout, "request-timeout", 30*time.Second, "time limit per GraphQL request")
	fs.IntVar(&f.limits.MaxPageSize, "max-page-size", 1000, "largest page (first:) a list accepts")
	fs.BoolVar(&f.limits.NoIntrospection, "no-introspection", false, "turn GraphQL schema introspection off")
}

// bindLimits adds the query cost flags shared by serve, demo and query.
func bindLimits(fs *pflag.FlagSet, l *api.Limits) {
	fs.IntVar(&l.MaxDepth, "max-depth", 12, "deepest GraphQL selection accepted (introspection excluded)")
	fs.IntVar(&l.MaxComplexity, "max-complexity", 200_000, "largest GraphQL query complexity accepted (connections count first × selection)")
}

// authFor decides who may do what. Without tokens, serve on loopback (or
// with --insecure-no-auth) is open to everyone as admin, and demo is open
// for reading; with tokens, every request but the probes needs one.
func authFor(sf serveFlags, demoMode bool) (*auth.Authenticator, error) {
	toks, err := auth.Load(sf.tokensFile, os.Getenv("RISKGRAPH_TOKENS"))
	if err != nil {
		return nil, err
	}
	loopback := isLoopback(sf.addr)
	if demoMode && !loopback {
		return nil, fmt.Errorf("demo: --addr %s is not a loopback address; the demo is open for reading and binds loopback only (use serve with tokens to share an estate)", sf.addr)
	}
	a := &auth.Authenticator{Tokens: toks}
	switch {
	case toks.Len() > 0:
		a.Anonymous = auth.None
	case demoMode:
		a.Anonymous = auth.Read
	case loopback || sf.insecureNoAuth:
		a.Anonymous = auth.Admin
	default:
		return nil, fmt.Errorf("serve: --addr %s is not a loopback address and no tokens are configured: give --tokens-file or RISKGRAPH_TOKENS, or --insecure-no-auth to serve without authentication", sf.addr)
	}
	return a, nil
}

// isLoopback reports whether addr (host:port) only accepts local clients.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
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
	cmd.Flags().StringVar(&sf.otlpHTTP, "otlp-http", "", "also accept OTLP/HTTP trace exports (POST /v1/traces) on this address, e.g. 127.0.0.1:4318 (ingest role)")
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
		return runServer(cmd.Context(), g, st, sf, mountOptions{Addr: sf.addr, Shared: kind == "neo4j"})
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
		if _, err := authFor(sf, true); err != nil {
			return err
		}
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
	a, err := authFor(sf, m.Demo)
	if err != nil {
		return err
	}
	srv := server.New(st, server.Options{Logger: g.logger, Auth: a, MaxBodyBytes: sf.limits.MaxBodyBytes})
	// Writes go through the versioned store so the API's derived data
	// (exposure, scores) is recomputed once per change.
	vst := api.NewVersioned(st, m.Shared)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gql := api.NewHandler(vst, api.Options{
		Limits: sf.limits, Logger: g.logger, Registry: reg, SBOM: sbomHook,
		GraphiQLPath: "/graphiql", // served by the UI mount (ui.go)
	})
	srv.Handle("/graphql", gql)
	srv.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	for _, mount := range mounts {
		if err := mount(g, vst, srv, m); err != nil {
			return err
		}
	}
	if sf.otlpHTTP != "" {
		_, stop, err := serveOTLP(ctx, g.logger, vst, a, sf.otlpHTTP, sf.insecureNoAuth, sf.limits.MaxBodyBytes)
		if err != nil {
			return err
		}
		defer stop()
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
