package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/api"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/internal/auth"
	"github.com/riskgraph/riskgraph/internal/client"
)

func init() { extraCommands = append(extraCommands, newQueryCmd) }

func newQueryCmd(g *globals) *cobra.Command {
	var (
		dataDir, server, token string
		vars                   []string
		limits                 api.Limits
	)
	cmd := &cobra.Command{
		Use:   "query [flags] 'GRAPHQL'",
		Short: "Run a GraphQL query against the embedded store or a server and print the JSON result",
		Long: "query runs one GraphQL operation in-process against --data-dir (no server needed), or against " +
			"--server with --token. The query may be given as '-' to read it from standard input. " +
			"Exit status is 1 when the response has errors.",
		Example: `  riskgraph query --data-dir ./data '{ apis(filter: {internetFacing: true, dataClasses: [PII]}) { totalCount nodes { method path service { name } } } }'
  riskgraph query --data-dir ./data 'query($id: ID!) { blastRadius(from: $id) { totalReached } }' --var id=service:...`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := args[0]
			if q == "-" {
				b, err := io.ReadAll(cmd.InOrStdin())
				if err != nil {
					return err
				}
				q = string(b)
			}
			vm, err := parseVars(vars)
			if err != nil {
				return err
			}
			var raw []byte
			switch {
			case server != "" && dataDir != "":
				return errors.New("query: give --data-dir or --server, not both")
			case server != "":
				resp, err := client.New(server, token).Do(cmd.Context(), q, vm)
				if err != nil {
					return err
				}
				raw, _ = json.Marshal(resp)
			case dataDir != "":
				raw, err = queryLocal(cmd.Context(), g, dataDir, q, vm, limits)
				if err != nil {
					return err
				}
			default:
				return errors.New("query: --data-dir or --server is required (or set RISKGRAPH_DATA_DIR / RISKGRAPH_SERVER)")
			}
			var out bytes.Buffer
			if err := json.Indent(&out, raw, "", "  "); err != nil {
				return fmt.Errorf("query: response is not JSON: %w", err)
			}
			out.WriteByte('\n')
			cmd.OutOrStdout().Write(out.Bytes())
			var probe struct {
				Errors []json.RawMessage `json:"errors"`
			}
			json.Unmarshal(raw, &probe)
			if len(probe.Errors) > 0 {
				return errors.New("query: the response has errors")
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&dataDir, "data-dir", "", "data directory of the embedded store")
	fs.StringVar(&server, "server", "", "URL of a riskgraph server (instead of --data-dir)")
	fs.StringVar(&token, "token", "", "bearer token for --server")
	fs.StringArrayVar(&vars, "var", nil, "variable name=value; value is JSON when it parses as JSON, else a string (repeatable)")
	bindLimits(fs, &limits)
	return cmd
}

// parseVars reads name=value pairs.
func parseVars(pairs []string) (map[string]any, error) {
	vm := map[string]any{}
	for _, p := range pairs {
		name, val, ok := strings.Cut(p, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--var %q: want name=value", p)
		}
		var v any
		if err := json.Unmarshal([]byte(val), &v); err != nil {
			v = val
		}
		vm[name] = v
	}
	return vm, nil
}

// queryLocal runs the query through the same handler the server uses, in
// process, as admin: whoever can open the data directory owns the data.
func queryLocal(ctx context.Context, g *globals, dir, q string, vars map[string]any, l api.Limits) ([]byte, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("query: --data-dir: %w", err)
	}
	st, err := memdb.Open(dir, memdb.Options{Logger: g.logger})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	h := api.NewHandler(api.NewVersioned(st, false), api.Options{Limits: l, Logger: g.logger, SBOM: sbomHook})
	body, err := json.Marshal(map[string]any{"query": q, "variables": vars})
	if err != nil {
		return nil, err
	}
	req := httptest.NewRequestWithContext(auth.WithRole(ctx, auth.Admin), http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Body.Bytes(), nil
}
