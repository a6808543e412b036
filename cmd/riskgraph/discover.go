package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/all"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/internal/client"
)

func init() { extraCommands = append(extraCommands, newDiscoverCmd) }

// errPartial is returned when some files could not be read: what the good
// files gave was applied, nothing was swept, and the exit status says so.
var errPartial = errors.New("discover: some files could not be read; applied what the others gave and did not sweep")

func newDiscoverCmd(g *globals) *cobra.Command {
	var (
		env, scope string
		values     []string
		df         deliverFlags
	)
	cmd := &cobra.Command{
		Use:   "discover [--data-dir DIR | --server URL --token T] [--env NAME] PATH...",
		Short: "Discover services, exposure, calls and data stores from deployment files and specs",
		Long: `discover walks the paths (files or directories), detects each file's kind by its
content, runs every agent that applies (Kubernetes manifests, Helm charts,
Kustomize overlays, reverse-proxy configs, …) and applies one batch for the
scope. A run with unreadable files applies what the good files gave, lists the
bad ones, exits non-zero and does not sweep.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := df.check(g, "discover"); err != nil {
				return err
			}
			ctx := cmd.Context()
			run := graph.RunID("discover-" + time.Now().UTC().Format("20060102T150405.000000000Z"))
			var done, total atomic.Int64
			stop := progress(cmd.ErrOrStderr(), &done, &total)
			rep, err := discovery.Run(ctx, args, discovery.Options{
				Env: env, Scope: scope, Run: run, Values: values,
				Agents: all.Agents(), DirAgents: all.DirAgents(), Linkers: all.Linkers(),
				Progress: func(d, t int) { done.Store(int64(d)); total.Store(int64(t)) },
			})
			stop()
			if err != nil {
				return err
			}
			return df.deliver(cmd, g, rep, run)
		},
	}
	for _, sub := range discoverSubcommands {
		cmd.AddCommand(sub(g))
	}
	f := cmd.Flags()
	df.bind(f)
	f.StringVar(&env, "env", "", "environment the discovered elements belong to (prod, staging, …)")
	f.StringVar(&scope, "scope", "", "batch scope key (default: the env and the absolute paths walked)")
	f.StringArrayVar(&values, "values", nil, "Helm values file applied over every chart's defaults (repeatable)")
	return cmd
}

// discoverSubcommands are the agents that read a live source rather than
// files (discover aws, discover otel); each registers itself from its own
// file and delivers its report with deliverFlags.
var discoverSubcommands []func(*globals) *cobra.Command

// deliverFlags say where a discovery report goes: the embedded store
// (--data-dir), a server (--server, --token) or stdout (--dry-run).
type deliverFlags struct {
	dataDir, server, token, output string
	dryRun                         bool
	// noSweep, when set, says why this run never sweeps (traces are a
	// sample: a window that missed an element is no proof it is gone).
	noSweep string
	// prepare, when set, adjusts the batch against the target before it is
	// applied (otel adds the call counts already stored).
	prepare func(ctx context.Context, t batchTarget, b *graph.Batch) error
}

func (df *deliverFlags) bind(f *pflag.FlagSet) {
	f.StringVar(&df.dataDir, "data-dir", "", "data directory of the embedded store to apply to")
	f.StringVar(&df.server, "server", "", "riskgraph server URL to send the batch to")
	f.StringVar(&df.token, "token", "", "API token for --server")
	f.BoolVar(&df.dryRun, "dry-run", false, "print what was found instead of applying it")
	f.StringVarP(&df.output, "output", "o", "text", "output format: text or json")
}

// check validates the flags and sets the key secret values are
// fingerprinted with, before any agent runs.
func (df *deliverFlags) check(g *globals, name string) error {
	if df.output != "text" && df.output != "json" {
		return fmt.Errorf("%s: --output %q: want text or json", name, df.output)
	}
	if df.server != "" && df.dataDir != "" {
		return fmt.Errorf("%s: give --data-dir or --server, not both", name)
	}
	if df.dataDir == "" && df.server == "" && !df.dryRun {
		return fmt.Errorf("%s: --data-dir (or --server, or --dry-run) is required", name)
	}
	key, err := df.fingerprintKey(g, name)
	if err != nil {
		return err
	}
	discovery.SetFingerprintKey(key)
	return nil
}

// fingerprintKeyEnv names the estate's fingerprint key for runs that send
// their batch to a server: every machine discovering into one server sets
// the same value, so that one credential gets one fingerprint.
const fingerprintKeyEnv = "RISKGRAPH_FINGERPRINT_KEY"

// fingerprintKey is the key of this run's fingerprints: $RISKGRAPH_FINGERPRINT_KEY
// when set; else the data directory's own key (fingerprint.key, created on
// first use, readable by its owner only); else a key for this run alone
// (--dry-run, or --server without the variable: said in a warning, as
// fingerprints then match nothing stored before).
func (df *deliverFlags) fingerprintKey(g *globals, name string) ([]byte, error) {
	if k := os.Getenv(fingerprintKeyEnv); k != "" {
		return []byte(k), nil
	}
	if df.dataDir != "" {
		return dataDirKey(df.dataDir)
	}
	if df.server != "" {
		g.logger.Warn(name+": "+fingerprintKeyEnv+" is not set: secret fingerprints of this run are keyed for it alone and will not match those already stored",
			"server", df.server)
	}
	k := make([]byte, 32)
	_, err := rand.Read(k)
	return k, err
}

// dataDirKey reads the data directory's fingerprint key, making it on
// first use.
func dataDirKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, "fingerprint.key")
	if b, err := os.ReadFile(path); err == nil {
		// The text itself is the key, so that $RISKGRAPH_FINGERPRINT_KEY set
		// to it gives the same fingerprints.
		k := strings.TrimSpace(string(b))
		if _, err := hex.DecodeString(k); err != nil || len(k) < 32 {
			return nil, fmt.Errorf("%s: want the hex of at least 16 random bytes (delete it to make a new key; stored fingerprints then stop matching)", path)
		}
		return []byte(k), nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	// O_EXCL: of two runs starting at once, one writes the key and the
	// other reads it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return dataDirKey(dir)
	}
	if err != nil {
		return nil, err
	}
	text := hex.EncodeToString(k)
	if _, err := f.WriteString(text + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	return []byte(text), f.Close()
}

// deliver applies rep.Batch to the target, sweeps the run's scope only when
// the run had no errors, and prints the outcome. A run with errors returns
// errPartial after applying what the good inputs gave.
func (df *deliverFlags) deliver(cmd *cobra.Command, g *globals, rep *discovery.Report, run graph.RunID) error {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	if df.dryRun {
		if df.output == "json" {
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			if err := enc.Encode(rep.Batch); err != nil {
				return err
			}
		} else {
			printDiscover(out, rep, nil, 0, false)
		}
		if len(rep.Errors) > 0 {
			printErrors(cmd.ErrOrStderr(), rep)
			return errPartial
		}
		return nil
	}
	var s batchTarget
	if df.server != "" {
		s = remoteTarget{client.New(df.server, df.token)}
	} else {
		ms, err := memdb.Open(df.dataDir, memdb.Options{Logger: g.logger})
		if err != nil {
			return err
		}
		defer ms.Close()
		s = ms
	}
	if df.prepare != nil {
		if err := df.prepare(ctx, s, &rep.Batch); err != nil {
			return fmt.Errorf("discover: %w", err)
		}
	}
	res, err := s.Apply(ctx, rep.Batch)
	if err != nil {
		return fmt.Errorf("discover: apply: %w", err)
	}
	swept, sweep := 0, len(rep.Errors) == 0 && df.noSweep == ""
	if sweep {
		if swept, err = s.Sweep(ctx, rep.Scope, run); err != nil {
			return fmt.Errorf("discover: sweep: %w", err)
		}
	}
	if df.output == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			*discovery.Report
			Applied graph.Result `json:"applied"`
			Swept   int          `json:"swept"`
		}{rep, res, swept}); err != nil {
			return err
		}
	} else {
		printDiscover(out, rep, &res, swept, sweep)
		if len(rep.Errors) == 0 && df.noSweep != "" {
			fmt.Fprintf(out, "  %s\n", df.noSweep)
		}
	}
	if len(rep.Errors) > 0 {
		return errPartial
	}
	return nil
}

// progress prints "n/m files" on w every half second once a run has taken
// more than a second; the returned func stops it.
func progress(w io.Writer, done, total *atomic.Int64) func() {
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case <-quit:
			return
		case <-time.After(time.Second):
		}
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			fmt.Fprintf(w, "\rdiscover: %d/%d files and directories", done.Load(), total.Load())
			select {
			case <-quit:
				fmt.Fprintln(w)
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(quit); <-finished }
}

func printDiscover(w io.Writer, rep *discovery.Report, res *graph.Result, swept int, sweep bool) {
	fmt.Fprintf(w, "scope %s\n", rep.Scope)
	read := 0
	var agents []string
	for a, n := range rep.FilesRead {
		read += n
		agents = append(agents, a)
	}
	sort.Strings(agents)
	fmt.Fprintf(w, "files: %d walked, %d unrecognized, %d skipped, %d with errors\n", rep.Files, rep.Unrecognized, len(rep.Skipped), len(rep.Errors))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, a := range agents {
		fmt.Fprintf(tw, "  read by %s\t%d\n", a, rep.FilesRead[a])
	}
	tw.Flush()
	nodes, edges := 0, 0
	for _, n := range rep.NodesByKind {
		nodes += n
	}
	for _, n := range rep.EdgesByKind {
		edges += n
	}
	fmt.Fprintf(w, "nodes: %d  %s\n", nodes, counts(rep.NodesByKind))
	fmt.Fprintf(w, "edges: %d  %s\n", edges, counts(rep.EdgesByKind))
	if len(rep.Dangling) > 0 {
		fmt.Fprintf(w, "left out: %d edges to something no file defines\n", len(rep.Dangling))
	}
	if len(rep.Skipped) > 0 {
		fmt.Fprintln(w, "skipped:")
		for _, s := range rep.Skipped {
			fmt.Fprintf(w, "  %s: %s\n", s.Path, s.Reason)
		}
	}
	if len(rep.Errors) > 0 {
		fmt.Fprintln(w, "errors:")
		for _, e := range rep.Errors {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	if res != nil {
		fmt.Fprintf(w, "applied: %d nodes created, %d updated; %d edges created, %d updated\n",
			res.NodesCreated, res.NodesUpdated, res.EdgesCreated, res.EdgesUpdated)
		if sweep {
			fmt.Fprintf(w, "swept: %d elements no longer found\n", swept)
		} else if len(rep.Errors) > 0 {
			fmt.Fprintln(w, "not swept: some files had errors")
		} else {
			fmt.Fprintln(w, "not swept")
		}
	}
}

func printErrors(w io.Writer, rep *discovery.Report) {
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "%s\n", e)
	}
}

func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// batchTarget is where a discovery run goes: the embedded store, or a
// server through the GraphQL ingest and sweep mutations.
type batchTarget interface {
	Apply(ctx context.Context, b graph.Batch) (graph.Result, error)
	Sweep(ctx context.Context, scope graph.Scope, run graph.RunID) (int, error)
}

type remoteTarget struct{ c *client.Client }

func (r remoteTarget) Apply(ctx context.Context, b graph.Batch) (graph.Result, error) {
	return r.c.Ingest(ctx, b)
}

func (r remoteTarget) Sweep(ctx context.Context, scope graph.Scope, run graph.RunID) (int, error) {
	return r.c.Sweep(ctx, scope, run)
}
