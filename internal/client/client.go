// Package client talks to a riskgraph server's GraphQL API: the CLI's
// --server mode for query, discover and import.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/internal/wire"
)

// Client is a GraphQL client for one server.
type Client struct {
	URL   string // server base URL (http://host:port) or the /graphql endpoint
	Token string
	HTTP  *http.Client
}

// New returns a client for url with a bearer token (may be empty).
func New(url, token string) *Client {
	return &Client{URL: url, Token: token, HTTP: &http.Client{Timeout: 10 * time.Minute}}
}

func (c *Client) endpoint() string {
	u := strings.TrimRight(c.URL, "/")
	if !strings.HasSuffix(u, "/graphql") {
		u += "/graphql"
	}
	return u
}

// Error is a GraphQL error answered by the server.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// Errors is the list of GraphQL errors of a response.
type Errors []Error

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteString("; ")
		}
		if code, _ := e.Extensions["code"].(string); code != "" {
			fmt.Fprintf(&b, "%s: ", code)
		}
		b.WriteString(e.Message)
	}
	return b.String()
}

// Response is a raw GraphQL response.
type Response struct {
	Data   json.RawMessage `json:"data"`
	Errors Errors          `json:"errors,omitempty"`
}

// Do runs query with variables and returns the whole response; err is set
// for transport failures only (GraphQL errors are in the response).
func (c *Client) Do(ctx context.Context, query string, vars map[string]any) (*Response, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	return c.post(ctx, bytes.NewReader(body))
}

func (c *Client) post(ctx context.Context, body io.Reader) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.endpoint(), err)
	}
	defer resp.Body.Close()
	var out Response
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("%s: HTTP %d with a body that is not a GraphQL response: %w", c.endpoint(), resp.StatusCode, err)
	}
	return &out, nil
}

const ingestMutation = `mutation Ingest($batch: BatchInput!) {
  ingest(batch: $batch) { nodesCreated nodesUpdated edgesCreated edgesUpdated deleted }
}`

// Ingest sends b as one atomic batch. The request body is encoded while it
// is sent, so a large batch is not held twice in memory.
func (c *Client) Ingest(ctx context.Context, b graph.Batch) (graph.Result, error) {
	pr, pw := io.Pipe()
	go func() {
		enc := json.NewEncoder(pw)
		pw.CloseWithError(enc.Encode(map[string]any{
			"query":         ingestMutation,
			"operationName": "Ingest",
			"variables":     map[string]any{"batch": wire.FromBatch(b)},
		}))
	}()
	resp, err := c.post(ctx, pr)
	pr.Close()
	if err != nil {
		return graph.Result{}, err
	}
	if len(resp.Errors) > 0 {
		return graph.Result{}, resp.Errors
	}
	var data struct {
		Ingest graph.Result `json:"ingest"`
	}
	if err := json.Unmarshal(resp.Data, &data); err != nil {
		return graph.Result{}, err
	}
	return data.Ingest, nil
}

// Sweep asks the server to sweep scope after run.
func (c *Client) Sweep(ctx context.Context, scope graph.Scope, run graph.RunID) (int, error) {
	resp, err := c.Do(ctx, `mutation Sweep($s: String!, $k: String!, $r: ID!) { sweep(source: $s, scope: $k, run: $r) { removed } }`,
		map[string]any{"s": scope.Source, "k": scope.Key, "r": string(run)})
	if err != nil {
		return 0, err
	}
	if len(resp.Errors) > 0 {
		return 0, resp.Errors
	}
	var data struct {
		Sweep struct{ Removed int } `json:"sweep"`
	}
	if err := json.Unmarshal(resp.Data, &data); err != nil {
		return 0, err
	}
	return data.Sweep.Removed, nil
}

// ErrCode returns the extensions.code of the first GraphQL error in err.
func ErrCode(err error) string {
	var es Errors
	if errors.As(err, &es) && len(es) > 0 {
		c, _ := es[0].Extensions["code"].(string)
		return c
	}
	return ""
}
