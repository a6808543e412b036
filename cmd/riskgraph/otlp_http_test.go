package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/riskgraph/riskgraph/api"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/internal/auth"
)

const (
	ingestToken = "ingest-0123456789abcdef"
	readToken   = "read-0123456789abcdef01"
)

// exportRequest is an ExportTraceServiceRequest as an SDK's OTLP/HTTP
// exporter sends it: orders (Go) calls stock over HTTP and writes to
// Postgres; a batch job without service.name adds one span.
func exportRequest() []byte {
	str := func(k, v string) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
	}
	res := func(attrs ...*commonpb.KeyValue) *resourcepb.Resource { return &resourcepb.Resource{Attributes: attrs} }
	trace := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	id := func(b byte) []byte { return []byte{b, 0, 0, 0, 0, 0, 0, 1} }
	td := &tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{
		{Resource: res(str("service.name", "orders"), str("deployment.environment.name", "prod")),
			ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
				{TraceId: trace, SpanId: id(1), Name: "POST /orders", Kind: tracepb.Span_SPAN_KIND_SERVER, StartTimeUnixNano: 1764741600000000000, EndTimeUnixNano: 1764741600050000000,
					Attributes: []*commonpb.KeyValue{str("http.request.method", "POST"), str("http.route", "/orders")}},
				{TraceId: trace, SpanId: id(2), ParentSpanId: id(1), Name: "GET", Kind: tracepb.Span_SPAN_KIND_CLIENT, StartTimeUnixNano: 1764741600001000000, EndTimeUnixNano: 1764741600010000000,
					Attributes: []*commonpb.KeyValue{str("http.request.method", "GET"), str("server.address", "stock")}},
				{TraceId: trace, SpanId: id(3), ParentSpanId: id(1), Name: "INSERT", Kind: tracepb.Span_SPAN_KIND_CLIENT, StartTimeUnixNano: 1764741600011000000, EndTimeUnixNano: 1764741600020000000,
					Attributes: []*commonpb.KeyValue{str("db.system.name", "postgresql"), str("db.collection.name", "orders"), str("db.query.text", "INSERT INTO orders VALUES ($1)"), str("server.address", "orders-db")}},
			}}}},
		{Resource: res(str("service.name", "stock"), str("deployment.environment.name", "prod")),
			ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
				{TraceId: trace, SpanId: id(4), ParentSpanId: id(2), Name: "GET /stock/{sku}", Kind: tracepb.Span_SPAN_KIND_SERVER, StartTimeUnixNano: 1764741600002000000, EndTimeUnixNano: 1764741600009000000,
					Attributes: []*commonpb.KeyValue{str("http.method", "GET"), str("http.route", "/stock/{sku}")}, Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR}},
			}}}},
		{Resource: res(str("host.name", "batch-7")),
			ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{TraceId: trace, SpanId: id(9), Name: "job"}}}}},
	}}
	b, err := proto.Marshal(td)
	if err != nil {
		panic(err)
	}
	return b
}

type otlpEnv struct {
	url string
	st  *memdb.Store
}

func startOTLP(t *testing.T, maxBody int64) otlpEnv {
	t.Helper()
	st, err := memdb.Open("", memdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	toks, err := auth.ParseEnv(ingestToken + ":ingest," + readToken + ":read")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr, stop, err := serveOTLP(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), api.NewVersioned(st, false),
		&auth.Authenticator{Tokens: toks}, "127.0.0.1:0", false, maxBody)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); stop() })
	return otlpEnv{url: "http://" + addr.String() + "/v1/traces", st: st}
}

func post(t *testing.T, url, token, ctype, encoding string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// protoFields decodes a flat protobuf message: field → varint or bytes.
func protoFields(t *testing.T, b []byte) map[protowire.Number]any {
	t.Helper()
	out := map[protowire.Number]any{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad protobuf response %x", b)
		}
		b = b[n:]
		switch typ {
		case protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			out[num], b = v, b[m:]
		case protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			out[num], b = v, b[m:]
		default:
			t.Fatalf("unexpected wire type %d", typ)
		}
	}
	return out
}

func gz(b []byte) []byte {
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(b)
	w.Close()
	return z.Bytes()
}

func TestOTLPHTTPReceiver(t *testing.T) {
	env := startOTLP(t, 1<<20)
	req := exportRequest()

	// Authentication and authorisation, as on the other ingest endpoints.
	if resp, _ := post(t, env.url, "", "application/x-protobuf", "", req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: %s", resp.Status)
	}
	resp, body := post(t, env.url, readToken, "application/x-protobuf", "", req)
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Content-Type") != "application/x-protobuf" {
		t.Errorf("read token: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	} else if f := protoFields(t, body); f[1] != uint64(7) || !strings.Contains(string(f[2].([]byte)), "ingest") {
		t.Errorf("read token: google.rpc.Status %v", f)
	}

	// Protobuf, twice, the second time gzip-compressed: accepted, with a
	// partial success for the span without service.name.
	for i, enc := range []string{"", "gzip"} {
		b := req
		if enc == "gzip" {
			b = gz(req)
		}
		resp, body := post(t, env.url, ingestToken, "application/x-protobuf", enc, b)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Fatalf("export %d: %s %s", i, resp.Status, body)
		}
		ps, ok := protoFields(t, body)[1].([]byte)
		if !ok {
			t.Fatalf("export %d: no partial_success in %x", i, body)
		}
		f := protoFields(t, ps)
		if f[1] != uint64(1) || !strings.Contains(string(f[2].([]byte)), "no service.name") {
			t.Errorf("export %d: partial_success %v", i, f)
		}
	}
	v, err := env.st.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	orders, stock := graph.ServiceID("prod", "orders"), graph.ServiceID("prod", "stock")
	e, err := v.Edge(context.Background(), graph.EdgeID(graph.Calls, orders, stock))
	if err != nil || e.Props.Int("calls") != 2 || e.Props.Int("errors") != 2 || e.Claims[0].Scope != otlpScope {
		t.Errorf("orders → stock after two exports: %+v %v", e, err)
	}
	if e, err := v.Edge(context.Background(), graph.EdgeID(graph.Writes, orders, graph.DataStoreID("prod", "orders-db"))); err != nil || e.Props.Int("calls") != 2 {
		t.Errorf("orders WRITES orders-db: %+v %v", e, err)
	}
	if _, err := v.Node(context.Background(), graph.APIID(stock, "GET", "/stock/{sku}")); err != nil {
		t.Errorf("stock API: %v", err)
	}
	v.Close()

	// OTLP/JSON, in the real file shape, gzip-compressed: an empty
	// ExportTraceServiceResponse.
	shop, err := os.ReadFile("../../discovery/otel/testdata/shop.json")
	if err != nil {
		t.Fatal(err)
	}
	resp, body = post(t, env.url, ingestToken, "application/json; charset=utf-8", "gzip", gz(shop))
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "{}" {
		t.Errorf("JSON export: %s %s", resp.Status, body)
	}
	// JSON with a rejected span: partialSuccess, int64 as a string.
	resp, body = post(t, env.url, ingestToken, "application/json", "",
		[]byte(`{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"x"}]}]}]}`))
	var pr struct {
		PartialSuccess struct {
			RejectedSpans string `json:"rejectedSpans"`
			ErrorMessage  string `json:"errorMessage"`
		} `json:"partialSuccess"`
	}
	if err := json.Unmarshal(body, &pr); err != nil || resp.StatusCode != 200 || pr.PartialSuccess.RejectedSpans != "1" {
		t.Errorf("JSON partial success: %s %s %v", resp.Status, body, err)
	}

	// Bad requests change nothing and say why, in the request's encoding.
	before := stats(t, env.st)
	resp, body = post(t, env.url, ingestToken, "application/json", "", shop[:len(shop)/2])
	var st struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &st); err != nil || resp.StatusCode != http.StatusBadRequest || st.Code != 3 ||
		!strings.Contains(st.Message, "request:") || !strings.Contains(st.Message, "truncated") {
		t.Errorf("truncated JSON: %s %s", resp.Status, body)
	}
	resp, body = post(t, env.url, ingestToken, "application/x-protobuf", "", req[:len(req)-7])
	if f := protoFields(t, body); resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(f[2].([]byte)), "truncated") {
		t.Errorf("truncated protobuf: %s %v", resp.Status, f)
	}
	if resp, _ := post(t, env.url, ingestToken, "text/plain", "", req); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: %s", resp.Status)
	}
	if resp, _ := post(t, env.url, ingestToken, "application/x-protobuf", "br", req); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("brotli: %s", resp.Status)
	}
	if resp, _ := post(t, env.url, ingestToken, "application/x-protobuf", "gzip", req); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("not gzip: %s", resp.Status)
	}
	getReq, _ := http.NewRequest(http.MethodGet, env.url, nil)
	getReq.Header.Set("Authorization", "Bearer "+ingestToken)
	if resp, err := http.DefaultClient.Do(getReq); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %v %v", resp, err)
	}
	if after := stats(t, env.st); after != before {
		t.Errorf("bad requests changed the graph: %v → %v", before, after)
	}
}

func TestOTLPHTTPBodyLimit(t *testing.T) {
	env := startOTLP(t, 2048)
	big := bytes.Repeat([]byte(" "), 4096)
	big = append(big, []byte(`{"resourceSpans":[]}`)...)
	if resp, _ := post(t, env.url, ingestToken, "application/json", "", big); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("large body: %s", resp.Status)
	}
	// A small gzip body that inflates past the limit is refused too.
	if resp, _ := post(t, env.url, ingestToken, "application/json", "gzip", gz(big)); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("gzip bomb: %s", resp.Status)
	}
}

func TestOTLPHTTPRefusesOpenNonLoopback(t *testing.T) {
	_, _, err := serveOTLP(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), nil,
		&auth.Authenticator{Anonymous: auth.Admin}, "0.0.0.0:0", false, 1<<20)
	if err == nil || !strings.Contains(err.Error(), "not a loopback address and no tokens") {
		t.Errorf("open receiver on all interfaces: %v", err)
	}
}

func stats(t *testing.T, st graph.Store) string {
	t.Helper()
	v, err := st.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	s, err := v.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s.NodesByKind)
	e, _ := json.Marshal(s.EdgesByKind)
	return string(b) + string(e)
}
