package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/discovery/otel"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/internal/client"
)

func init() { discoverSubcommands = append(discoverSubcommands, newDiscoverOtelCmd) }

func newDiscoverOtelCmd(g *globals) *cobra.Command {
	var (
		env, scope string
		sweep      bool
		df         deliverFlags
	)
	cmd := &cobra.Command{
		Use:   "otel [--data-dir DIR | --server URL --token T] [--env NAME] FILE...",
		Short: "Discover services, calls, APIs and data stores from OpenTelemetry trace exports",
		Long: `otel reads OTLP trace exports — OTLP/JSON (one request per file or per line, as
the collector's file exporter writes) and OTLP/protobuf, either gzip-compressed —
and applies what services really did: CALLS edges with call and error counts,
APIs served, data stores read and written, third parties called. Directories
are read file by file.

Call and error counts add up over runs (re-reading the same export counts it
again). Traces are a sample of a time window, so a run never removes what it
did not see unless --sweep says the files are the whole picture of the scope.
A file that cannot be read is listed, contributes nothing, and the run exits
non-zero.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := df.check(g, "discover otel"); err != nil {
				return err
			}
			run := graph.RunID("otel-" + time.Now().UTC().Format("20060102T150405.000000000Z"))
			rep, st, err := otel.Run(cmd.Context(), args, otel.Options{Env: env, Scope: scope, Run: run})
			if err != nil {
				return fmt.Errorf("discover otel: %w", err)
			}
			if df.output == "text" {
				fmt.Fprintf(cmd.ErrOrStderr(), "spans: %d read, %d cross-service calls, %d with a parent outside the input, %d duplicates, %d without service.name\n",
					st.Spans, st.Calls, st.Orphans, st.Duplicates, st.Skipped)
			}
			if !sweep {
				df.noSweep = "traces are a sample: what this window did not see is kept (--sweep removes it)"
			}
			df.prepare = accumulateCounts
			return df.deliver(cmd, g, rep, run)
		},
	}
	f := cmd.Flags()
	df.bind(f)
	f.StringVar(&env, "env", "", "environment of the traced services (default: each resource's deployment.environment.name)")
	f.StringVar(&scope, "scope", "", "batch scope key (default: the env, or \"default\")")
	f.BoolVar(&sweep, "sweep", false, "after a run without errors, remove what this scope saw before but these files did not")
	return cmd
}

// accumulateCounts adds the call counts the target already holds to the
// batch's, through a view for the embedded store and GraphQL for a server.
func accumulateCounts(ctx context.Context, t batchTarget, b *graph.Batch) error {
	switch s := t.(type) {
	case interface {
		Read(context.Context) (graph.View, error)
	}:
		v, err := s.Read(ctx)
		if err != nil {
			return err
		}
		defer v.Close()
		return otel.Accumulate(ctx, otel.ViewLookup(v), b)
	case remoteTarget:
		return otel.Accumulate(ctx, remoteEdges{s.c}.lookup, b)
	}
	return nil
}

// remoteEdges looks stored edges up on a server with its relationships
// query (one request per runtime edge: a run has hundreds, not millions).
type remoteEdges struct{ c *client.Client }

const relQuery = `query($k: [EdgeKind!], $f: ID, $t: ID) {
  relationships(filter: {kinds: $k, from: $f, to: $t}, first: 1) { nodes { properties } }
}`

func (r remoteEdges) lookup(ctx context.Context, e graph.Edge) (graph.Edge, error) {
	resp, err := r.c.Do(ctx, relQuery, map[string]any{"k": []string{string(e.Kind)}, "f": e.From, "t": e.To})
	if err != nil {
		return graph.Edge{}, err
	}
	if len(resp.Errors) > 0 {
		return graph.Edge{}, resp.Errors
	}
	var data struct {
		Relationships struct {
			Nodes []struct {
				Properties graph.Props `json:"properties"`
			} `json:"nodes"`
		} `json:"relationships"`
	}
	if err := json.Unmarshal(resp.Data, &data); err != nil {
		return graph.Edge{}, err
	}
	if len(data.Relationships.Nodes) == 0 {
		return graph.Edge{}, graph.ErrNotFound
	}
	return graph.Edge{ID: e.ID, Kind: e.Kind, From: e.From, To: e.To, Props: data.Relationships.Nodes[0].Properties}, nil
}
