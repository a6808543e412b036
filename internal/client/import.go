package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/riskgraph/riskgraph/findings"
)

// ImportPath is the server endpoint scanner outputs are posted to. The
// import runs on the server because it correlates findings with the graph
// (purls, file paths, resources) and must apply as one atomic batch.
const ImportPath = "/api/v1/findings/import"

// ImportRequest is one remote import: the scanner files, the same options
// as a local import, and optional KEV / EPSS files for enrichment.
type ImportRequest struct {
	Files   []findings.Input
	Service string
	Scope   string
	Partial bool
	KEV     *findings.Input
	EPSS    *findings.Input
}

// ImportResponse is the server's answer: the summary of what was read and
// applied, and the import's error (bad files), if any.
type ImportResponse struct {
	Summary *findings.Summary `json:"summary"`
	Error   string            `json:"error,omitempty"`
}

func (c *Client) base() string {
	return strings.TrimSuffix(strings.TrimRight(c.URL, "/"), "/graphql")
}

// ImportFindings posts the files as multipart/form-data, streamed so that
// large scanner outputs are not held twice. A refused import (bad files,
// no permission) returns the server's summary when it sent one, and an
// error saying what went wrong.
func (c *Client) ImportFindings(ctx context.Context, r ImportRequest) (*findings.Summary, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(writeImport(mw, r))
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base()+ImportPath, pr)
	if err != nil {
		pr.Close()
		return nil, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	pr.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.base()+ImportPath, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	var out ImportResponse
	if err := json.Unmarshal(raw, &out); err != nil || (out.Summary == nil && out.Error == "") {
		// Auth failures answer in the GraphQL error shape.
		var gr Response
		if json.Unmarshal(raw, &gr) == nil && len(gr.Errors) > 0 {
			return nil, fmt.Errorf("HTTP %d: %w", resp.StatusCode, gr.Errors)
		}
		return nil, fmt.Errorf("%s: HTTP %d: %.300s", c.base()+ImportPath, resp.StatusCode, raw)
	}
	if out.Error != "" {
		return out.Summary, fmt.Errorf("server (HTTP %d): %s", resp.StatusCode, out.Error)
	}
	if resp.StatusCode != http.StatusOK {
		return out.Summary, fmt.Errorf("server answered HTTP %d", resp.StatusCode)
	}
	return out.Summary, nil
}

func writeImport(mw *multipart.Writer, r ImportRequest) error {
	fields := map[string]string{"service": r.Service, "scope": r.Scope, "partial": strconv.FormatBool(r.Partial)}
	for _, k := range []string{"service", "scope", "partial"} {
		if err := mw.WriteField(k, fields[k]); err != nil {
			return err
		}
	}
	part := func(field string, in findings.Input) error {
		w, err := mw.CreateFormFile(field, in.Name)
		if err != nil {
			return err
		}
		_, err = w.Write(in.Data)
		return err
	}
	for _, f := range r.Files {
		if err := part("file", f); err != nil {
			return err
		}
	}
	if r.KEV != nil {
		if err := part("kev", *r.KEV); err != nil {
			return err
		}
	}
	if r.EPSS != nil {
		if err := part("epss", *r.EPSS); err != nil {
			return err
		}
	}
	return mw.Close()
}
