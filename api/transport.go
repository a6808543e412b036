package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/internal/wire"
)

// postTransport is gqlgen's POST transport with two changes that matter
// for large ingest batches:
//
//   - the batch variable of an ingest mutation is decoded straight into
//     graph types, instead of into generic maps first (which cost several
//     times the JSON's size) and then converted; the resolver takes the
//     decoded batch from the context;
//   - errors never echo the request body (gqlgen's does, which for a 64 MiB
//     batch is a 64 MiB error message).
type postTransport struct{ maxBody int64 }

var _ graphql.Transport = postTransport{}

func (postTransport) Supports(r *http.Request) bool {
	if r.Header.Get("Upgrade") != "" || r.Method != http.MethodPost {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && (mt == "application/json" || mt == "application/graphql-response+json")
}

// rawVars keeps each variable as the bytes of the body it came from: when
// json.Unmarshal fills it from a slice we own, the slices alias the body
// and nothing is copied.
type rawVars map[string]rawJSON

type rawJSON []byte

func (r *rawJSON) UnmarshalJSON(b []byte) error { *r = b; return nil }

type postBody struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     rawVars        `json:"variables"`
	Extensions    map[string]any `json:"extensions"`
}

type preDecodedKey struct{}

type preDecoded struct {
	batch graph.Batch
	err   error
}

func (t postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	w.Header().Set("Content-Type", "application/json")
	start := graphql.Now()
	lr := &lineReader{r: r.Body}
	pb, pre, err := readBody(lr)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, CodeLimitExceeded,
				"request body exceeds the limit of %d bytes (--max-body)", mbe.Limit)
			return
		}
		writeError(w, http.StatusBadRequest, CodeBadUserInput, "request body: %s", lr.describe(err))
		return
	}
	if pre != nil {
		ctx = context.WithValue(ctx, preDecodedKey{}, pre)
	}
	params := &graphql.RawParams{Query: pb.Query, OperationName: pb.OperationName,
		Extensions: pb.Extensions, Headers: r.Header, Variables: map[string]any{}}
	for k, v := range pb.Variables {
		d := json.NewDecoder(bytes.NewReader(v))
		d.UseNumber()
		var x any
		if err := d.Decode(&x); err != nil {
			writeError(w, http.StatusBadRequest, CodeBadUserInput, "variables.%s: %v", k, err)
			return
		}
		params.Variables[k] = x
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, opErr := exec.CreateOperationContext(ctx, params)
	if opErr != nil {
		w.WriteHeader(statusFor(opErr))
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr)
		writeJSON(w, resp)
		return
	}
	var responses graphql.ResponseHandler
	responses, ctx = exec.DispatchOperation(ctx, rc)
	writeJSON(w, responses(ctx))
}

// readBody reads the request object as a stream. The batch of an ingest
// mutation is decoded from the stream straight into graph types and never
// exists as a whole byte slice; every other variable is kept as raw JSON.
// When "variables" comes before "query" (JSON objects are unordered), the
// batch is held raw until the query says it is one.
func readBody(r io.Reader) (postBody, *preDecoded, error) {
	var pb postBody
	var pre *preDecoded
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields() // a misspelt batch field must not drop data silently
	if err := expectDelim(dec, '{'); err != nil {
		return pb, nil, err
	}
	pb.Variables = rawVars{}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return pb, nil, err
		}
		switch key {
		case "query":
			err = dec.Decode(&pb.Query)
		case "operationName":
			var op *string
			if err = dec.Decode(&op); op != nil {
				pb.OperationName = *op
			}
		case "extensions":
			err = dec.Decode(&pb.Extensions)
		case "variables":
			if t, terr := dec.Token(); terr != nil {
				return pb, nil, terr
			} else if t == nil {
				continue // "variables": null
			} else if t != json.Delim('{') {
				return pb, nil, fmt.Errorf("variables: want an object")
			}
			for dec.More() {
				name, err := dec.Token()
				if err != nil {
					return pb, nil, err
				}
				n, _ := name.(string)
				if pb.Query != "" && ingestVariable(pb.Query, pb.OperationName) == n {
					d := &preDecoded{}
					b, err := wire.DecodeBatch(dec)
					if err != nil {
						var ie *wire.InputError
						if !errors.As(err, &ie) {
							return pb, nil, err // the rest of the body cannot be read
						}
						d.err = badInput("variables.batch", "%v", ie.Err)
					} else {
						d.batch = b
					}
					pre = d
					pb.Variables[n] = rawJSON(batchStandIn)
					continue
				}
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return pb, nil, err
				}
				pb.Variables[n] = rawJSON(raw)
			}
			if _, err := dec.Token(); err != nil {
				return pb, nil, err
			}
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return pb, nil, err
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return pb, nil, err
	}
	if pre == nil {
		if v := ingestVariable(pb.Query, pb.OperationName); v != "" {
			if raw, ok := pb.Variables[v]; ok {
				b, err := decodeBatchVar(raw)
				pre = &preDecoded{batch: b, err: err}
				pb.Variables[v] = rawJSON(batchStandIn)
			}
		}
	}
	if pre != nil && pre.err != nil {
		var ce *codedError
		if !errors.As(pre.err, &ce) {
			pre.err = badInput("variables.batch", "%v", typeError(pre.err))
		}
	}
	return pb, pre, nil
}

// batchStandIn replaces a pre-decoded batch for the executor, which still
// validates the variable against BatchInput; a minimal valid object keeps
// that cheap.
const batchStandIn = `{"source":"-","scope":"-","run":"-"}`

func expectDelim(dec *json.Decoder, d json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != d {
		return fmt.Errorf("want %q, found %v", string(d), t)
	}
	return nil
}

func typeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %s: expected %s, found JSON %s", te.Field, te.Type, te.Value)
	}
	return err
}

// lineReader remembers where lines start in what it has read, so stream
// errors can name a line and column without keeping the body.
type lineReader struct {
	r     io.Reader
	off   int64
	lines []int64 // offsets just after each newline
}

func (l *lineReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			l.lines = append(l.lines, l.off+int64(i)+1)
		}
	}
	l.off += int64(n)
	return n, err
}

func (l *lineReader) describe(err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		off = l.off
		err = errors.New("unexpected end of input (truncated?)")
	}
	if off < 0 {
		return typeError(err).Error()
	}
	line := sort.Search(len(l.lines), func(i int) bool { return l.lines[i] > off })
	col := off + 1
	if line > 0 {
		col = off - l.lines[line-1] + 1
	}
	return fmt.Sprintf("line %d column %d: %v", line+1, col, err)
}

// ingestVariable returns the name of the variable passed as ingest's batch
// argument when the operation to run is a mutation whose only field is
// ingest, and "" otherwise.
func ingestVariable(query, opName string) string {
	if len(query) > 64<<10 {
		return "" // an ingest mutation's text is short; do not parse a huge one twice
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return ""
	}
	var op *ast.OperationDefinition
	switch {
	case opName != "":
		op = doc.Operations.ForName(opName)
	case len(doc.Operations) == 1:
		op = doc.Operations[0]
	}
	if op == nil || op.Operation != ast.Mutation || len(op.SelectionSet) != 1 {
		return ""
	}
	f, ok := op.SelectionSet[0].(*ast.Field)
	if !ok || f.Name != "ingest" {
		return ""
	}
	a := f.Arguments.ForName("batch")
	if a == nil || a.Value.Kind != ast.Variable {
		return ""
	}
	return a.Value.Raw
}

func decodeBatchVar(raw []byte) (graph.Batch, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	var w wire.Batch
	if err := d.Decode(&w); err != nil {
		return graph.Batch{}, badInput("variables.batch", "%s", describeJSONError(raw, err))
	}
	return w.ToBatch(), nil
}

// describeJSONError names the line and column of a JSON error in data.
func describeJSONError(data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		err = fmt.Errorf("field %s: expected %s, found JSON %s", te.Field, te.Type, te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		off = int64(len(data))
		err = errors.New("unexpected end of input (truncated?)")
	}
	if off < 0 {
		return err.Error()
	}
	line, col := 1, 1
	for _, c := range data[:min(off, int64(len(data)))] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("line %d column %d: %v", line, col, err)
}

func statusFor(errs gqlerror.List) int {
	for _, e := range errs {
		if c, _ := e.Extensions["code"].(string); c == CodeLimitExceeded {
			return http.StatusRequestEntityTooLarge
		}
	}
	return http.StatusUnprocessableEntity
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.Encode(v)
}

// writeError answers a request that never reached the executor.
func writeError(w http.ResponseWriter, status int, code, format string, args ...any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	writeJSON(w, map[string]any{"errors": []map[string]any{{
		"message": fmt.Sprintf(format, args...), "extensions": map[string]any{"code": code},
	}}})
}
