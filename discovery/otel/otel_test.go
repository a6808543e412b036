package otel

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

// The fixtures are in the shape the OpenTelemetry SDKs and the collector's
// file exporter write: hex trace and span ids, 64-bit nanosecond times as
// strings, span kinds and status codes as numbers (and once as an enum
// name), resource and scope metadata, attributes under both the current
// and the older semantic-convention names.
const (
	shopJSON  = "testdata/shop.json"       // frontend → checkout → payment, one document
	shopJSONL = "testdata/shop-2.jsonl"    // inventory and frontend, one request per line
	edgeCases = "testdata/edge-cases.json" // resource after its spans, orphan, no service.name
	badDir    = "testdata/bad"             // truncated, wrong types, bad ids
)

func runFiles(t *testing.T, opt Options, paths ...string) (*discovery.Report, Stats) {
	t.Helper()
	if opt.Run == "" {
		opt.Run = "run-1"
	}
	rep, st, err := Run(context.Background(), paths, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Batch.Validate(); err != nil {
		t.Fatalf("batch does not validate: %v", err)
	}
	if len(rep.Dangling) > 0 {
		t.Errorf("dangling edges: %v", rep.Dangling)
	}
	return rep, st
}

func nodeOf(b graph.Batch, id graph.ID) (graph.Node, bool) {
	for _, n := range b.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return graph.Node{}, false
}

func edgeOf(b graph.Batch, k graph.EdgeKind, from, to graph.ID) (graph.Edge, bool) {
	for _, e := range b.Edges {
		if e.ID == graph.EdgeID(k, from, to) {
			return e, true
		}
	}
	return graph.Edge{}, false
}

var (
	frontend  = graph.ServiceID("prod", "frontend")
	checkout  = graph.ServiceID("prod", "checkout")
	payment   = graph.ServiceID("prod", "payment")
	inventory = graph.ServiceID("prod", "inventory")
)

func TestServicesCallsAPIsStoresAndThirdParties(t *testing.T) {
	rep, st := runFiles(t, Options{}, shopJSON, shopJSONL)
	if len(rep.Errors) != 0 {
		t.Fatalf("errors: %v", rep.Errors)
	}
	b := rep.Batch
	if b.Scope != (graph.Scope{Source: "otel", Key: "default"}) {
		t.Errorf("scope %v", b.Scope)
	}
	// Services get the ids the artifact agents give them (env from
	// deployment.environment.name), so traces and manifests line up.
	for _, id := range []graph.ID{frontend, checkout, payment, inventory} {
		n, ok := nodeOf(b, id)
		if !ok || n.Kind != graph.Service || n.Env != "prod" {
			t.Errorf("service %s: %+v %v", id, n, ok)
		}
	}
	if n, _ := nodeOf(b, checkout); n.Props.String("language") != "java" || n.FirstSeen.IsZero() || !n.LastSeen.After(n.FirstSeen) {
		t.Errorf("checkout node %+v", n)
	}
	type want struct {
		kind          graph.EdgeKind
		from, to      graph.ID
		calls, errors int64
		tables        []string
	}
	stripe := graph.ThirdPartyID("api.stripe.com")
	maps := graph.ThirdPartyID("maps.googleapis.com")
	ordersDB := graph.DataStoreID("prod", "orders-db") // net.peer.name orders-db.prod.svc.cluster.local
	cache := graph.DataStoreID("prod", "cache")        // server.address cache.prod.svc… and net.peer.name cache
	mongo := graph.DataStoreID("prod", "mongo")
	legacy := graph.ServiceID("prod", "legacy-billing") // peer.service, not instrumented
	for _, w := range []want{
		{graph.Calls, frontend, checkout, 1, 0, nil},  // client span with a server child
		{graph.Calls, checkout, payment, 1, 1, nil},   // gRPC, the server span failed
		{graph.Calls, frontend, inventory, 1, 1, nil}, // across two lines of the JSONL file
		{graph.Calls, checkout, stripe, 1, 0, nil},    // http.url + net.peer.name (old names)
		{graph.Calls, frontend, maps, 1, 0, nil},      // url.full only (current names)
		{graph.Calls, checkout, legacy, 1, 0, nil},
		{graph.Writes, checkout, ordersDB, 1, 0, []string{"orders"}},   // db.operation INSERT, db.sql.table
		{graph.Reads, checkout, ordersDB, 1, 0, []string{"customers"}}, // statement SELECT
		{graph.Reads, payment, cache, 1, 0, nil},                       // db.system.name redis GET
		{graph.Writes, payment, cache, 1, 0, nil},                      // db.statement SETEX
		{graph.Reads, inventory, mongo, 1, 0, []string{"items"}},       // db.collection.name, find
		{graph.Writes, inventory, mongo, 1, 0, []string{"stock"}},      // db.mongodb.collection, update
	} {
		e, ok := edgeOf(b, w.kind, w.from, w.to)
		if !ok {
			t.Errorf("missing %s %s → %s", w.kind, w.from, w.to)
			continue
		}
		if e.Props.Int(PropCalls) != w.calls || e.Props.Int(PropErrors) != w.errors ||
			e.Props.Float(PropErrorRate) != ErrorRate(w.calls, w.errors) || !slices.Equal(e.Props.Strings(PropTables), w.tables) {
			t.Errorf("%s %s → %s props %v, want calls %d errors %d tables %v", w.kind, w.from, w.to, e.Props, w.calls, w.errors, w.tables)
		}
		if e.FirstSeen.IsZero() || e.LastSeen.Before(e.FirstSeen) || len(e.Sources) != 1 || e.Sources[0].Agent != "otel" {
			t.Errorf("%s %s → %s seen %v..%v sources %v", w.kind, w.from, w.to, e.FirstSeen, e.LastSeen, e.Sources)
		}
	}
	// 2025-12-03T06:00:00Z + 6ms .. +101ms: the checkout server span.
	if e, _ := edgeOf(b, graph.Calls, frontend, checkout); !e.FirstSeen.Equal(time.Date(2025, 12, 3, 6, 0, 0, 6e6, time.UTC)) ||
		!e.LastSeen.Equal(time.Date(2025, 12, 3, 6, 0, 0, 101e6, time.UTC)) {
		t.Errorf("frontend → checkout seen %v .. %v", e.FirstSeen, e.LastSeen)
	}
	// No third party for in-cluster hosts, no edge for a service talking
	// to itself, no call edge where a client span's server child exists.
	for _, e := range b.Edges {
		if e.From == e.To {
			t.Errorf("self edge %v", e)
		}
	}
	if _, ok := nodeOf(b, graph.ThirdPartyID("checkout")); ok {
		t.Error("an in-cluster host became a third party")
	}
	if _, ok := edgeOf(b, graph.Calls, checkout, graph.ServiceID("prod", "payment")); !ok {
		t.Error("gRPC call missing")
	}
	// APIs: http.route with either method attribute, and gRPC as the
	// proto agent names it (GRPC /package.Service/Method).
	for _, a := range []struct {
		svc          graph.ID
		method, path string
		calls, errs  int64
	}{
		{frontend, "GET", "/checkout", 1, 0},
		{checkout, "POST", "/api/orders", 1, 0},
		{payment, "GRPC", "/payments.v1.PaymentService/Charge", 1, 1},
		{inventory, "GET", "/items/{sku}", 1, 1}, // status unset, HTTP 500
		{frontend, "GET", "/product/{id}", 1, 0},
	} {
		id := graph.APIID(a.svc, a.method, a.path)
		n, ok := nodeOf(b, id)
		if !ok || n.Kind != graph.API || n.Props.String("method") != a.method || n.Props.String("path") != a.path {
			t.Errorf("API %s %s: %+v %v", a.method, a.path, n, ok)
		}
		e, ok := edgeOf(b, graph.Exposes, a.svc, id)
		if !ok || e.Props.Int(PropCalls) != a.calls || e.Props.Int(PropErrors) != a.errs {
			t.Errorf("EXPOSES %s %s: %v %v", a.method, a.path, e.Props, ok)
		}
	}
	if n, _ := nodeOf(b, ordersDB); n.Props.String("engine") != "postgresql" || n.Props.String("database") != "shop" ||
		!n.FirstSeen.Equal(time.Date(2025, 12, 3, 6, 0, 0, 10e6, time.UTC)) || !n.LastSeen.Equal(time.Date(2025, 12, 3, 6, 0, 0, 22e6, time.UTC)) {
		t.Errorf("orders-db %+v", n)
	}
	if n, _ := nodeOf(b, legacy); n.Props.String("inferredFrom") != "peer.service" {
		t.Errorf("legacy-billing %+v", n)
	}
	if st.Spans != 18 || st.Calls != 3 || st.Orphans != 0 || st.Duplicates != 0 {
		t.Errorf("stats %+v", st)
	}
	if rep.NodesByKind["Service"] != 5 || rep.EdgesByKind["CALLS"] != 6 || rep.FilesRead["otel"] != 2 {
		t.Errorf("report counts %v %v %v", rep.NodesByKind, rep.EdgesByKind, rep.FilesRead)
	}
}

// A trace split across files joins the same as in one file, and reading
// the same spans twice counts them once.
func TestJoinAcrossFilesAndDuplicates(t *testing.T) {
	one, _ := runFiles(t, Options{}, shopJSON)
	var doc map[string][]json.RawMessage
	raw, err := os.ReadFile(shopJSON)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var paths []string
	for i, rs := range doc["resourceSpans"] {
		p := filepath.Join(dir, "part-"+string(rune('a'+i))+".json")
		b, _ := json.Marshal(map[string]any{"resourceSpans": []json.RawMessage{rs}})
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	split, st := runFiles(t, Options{}, append(paths, shopJSON)...)
	if st.Duplicates != st.Spans/2 {
		t.Errorf("stats %+v: every span was read twice", st)
	}
	if !sameGraph(one.Batch, split.Batch) {
		t.Errorf("split and whole files differ:\n%v\n%v", summary(one.Batch), summary(split.Batch))
	}
}

// The protobuf form of the same export (what OTLP/HTTP exporters send with
// application/x-protobuf), raw and gzip-compressed, gives the same graph.
func TestProtobufMatchesJSON(t *testing.T) {
	want, _ := runFiles(t, Options{}, shopJSON, shopJSONL)
	dir := t.TempDir()
	var paths []string
	for i, f := range []string{shopJSON, shopJSONL} {
		for j, td := range readAsProto(t, f) {
			b, err := proto.Marshal(td)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, strings.Repeat("x", i+1)+string(rune('0'+j))+".pb")
			if j == 1 { // and one gzip-compressed
				var z bytes.Buffer
				zw := gzip.NewWriter(&z)
				zw.Write(b)
				zw.Close()
				b = z.Bytes()
				p += ".gz"
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
		}
	}
	got, _ := runFiles(t, Options{}, paths...)
	if len(got.Errors) > 0 {
		t.Fatal(got.Errors)
	}
	if !sameGraph(want.Batch, got.Batch) {
		t.Errorf("protobuf and JSON differ:\n%v\n%v", summary(want.Batch), summary(got.Batch))
	}
}

// readAsProto decodes an OTLP/JSON file (one document per line or one in
// all) into messages with real binary ids, as an SDK holds them.
func readAsProto(t *testing.T, path string) []*tracepb.TracesData {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []*tracepb.TracesData
	dec := json.NewDecoder(bytes.NewReader(raw))
	for dec.More() {
		var m json.RawMessage
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		td := &tracepb.TracesData{}
		if err := protojson.Unmarshal(m, td); err != nil {
			t.Fatal(err)
		}
		for _, rs := range td.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, sp := range ss.Spans {
					fix := func(b []byte, n int) []byte {
						out, err := spanID(b, n, "id")
						if err != nil {
							t.Fatal(err)
						}
						return out
					}
					sp.TraceId, sp.SpanId, sp.ParentSpanId = fix(sp.TraceId, 16), fix(sp.SpanId, 8), fix(sp.ParentSpanId, 8)
				}
			}
		}
		out = append(out, td)
	}
	return out
}

func sameGraph(a, b graph.Batch) bool {
	return reflect.DeepEqual(summary(a), summary(b))
}

// summary is what must agree between two batches: ids, kinds, names,
// properties and observation times of every node and edge.
func summary(b graph.Batch) map[graph.ID]string {
	out := map[graph.ID]string{}
	for _, n := range b.Nodes {
		p, _ := json.Marshal(n.Props)
		out[n.ID] = string(n.Kind) + " " + n.Name + " " + n.Env + " " + string(p) + " " + n.FirstSeen.String() + " " + n.LastSeen.String()
	}
	for _, e := range b.Edges {
		p, _ := json.Marshal(e.Props)
		out[e.ID] = string(e.Kind) + " " + string(e.From) + " " + string(e.To) + " " + string(p) + " " + e.FirstSeen.String() + " " + e.LastSeen.String()
	}
	return out
}

func TestEdgeCases(t *testing.T) {
	rep, st := runFiles(t, Options{Env: "staging"}, edgeCases)
	// The resource without service.name is reported (so the run does not
	// sweep) with its line, and the rest of the file is kept.
	if len(rep.Errors) != 1 || rep.Errors[0].File != edgeCases || rep.Errors[0].Line != 115 ||
		!strings.Contains(rep.Errors[0].Msg, "resourceSpans[1]: resource has no service.name attribute; its 1 span(s) were skipped") {
		t.Fatalf("errors: %v", rep.Errors)
	}
	// The resource came after its spans; the span's parent is not in the
	// input (an export window cut the trace); unknown attributes (arrays,
	// maps) are ignored. --env wins over deployment.environment.name.
	api := graph.APIID(graph.ServiceID("staging", "checkout"), "POST", "/api/orders")
	if _, ok := nodeOf(rep.Batch, api); !ok {
		t.Errorf("API of the late resource missing: %v", summary(rep.Batch))
	}
	if st.Orphans != 1 || st.Skipped != 1 || st.Spans != 1 || rep.EdgesByKind["CALLS"] != 0 {
		t.Errorf("stats %+v edges %v", st, rep.EdgesByKind)
	}
}

func TestBadInputsNameFileAndPlace(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	td := readAsProto(t, shopJSON)[0]
	pb, err := proto.Marshal(td)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		filepath.Join(badDir, "truncated.json"):                                                         `truncated.json:295: column 15: truncated: input ends in resourceSpans[1].scopeSpans[0].spans[2] before the JSON is complete`,
		filepath.Join(badDir, "wrong-type.json"):                                                        `wrong-type.json:300: resourceSpans[1].scopeSpans[0].spans[2]: invalid value for string field name: 42`,
		filepath.Join(badDir, "scopespans-object.json"):                                                 `scopespans-object.json:44: column 21: resourceSpans[0].scopeSpans: want an array, found {`,
		filepath.Join(badDir, "bad-traceid.json"):                                                       `bad-traceid.json:581: column 13: resourceSpans[2].scopeSpans[0].spans[1]: traceId: want 32 hex digits (16 bytes), found 10 bytes`,
		write("truncated.pb", pb[:len(pb)-100]):                                                         `truncated.pb: truncated: input ends inside resourceSpans[2]`,
		write("empty.json", nil):                                                                        `empty.json: empty input`,
		write("array.json", []byte("[1, 2]")):                                                           `array.json:1: column 1: want an OTLP/JSON object ({"resourceSpans": [...]}), found [`,
		write("rs-string.json", []byte(`{"resourceSpans": "x"}`)):                                       `rs-string.json:1: column 19: resourceSpans: want an array, found string "x"`,
		write("garbage.json", []byte("{\n  \"resourceSpans\": [ {\"resource\": {\"attributes\": [}\n")): `garbage.json:2: column 51: invalid JSON in resourceSpans[0].resource: invalid character '}' looking for beginning of value`,
	}
	var paths []string
	for p := range cases {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	rep, _ := runFiles(t, Options{}, append(paths, shopJSONL)...)
	// One bad file never aborts the others: the good one is read.
	if rep.FilesRead["otel"] != 1 || rep.NodesByKind["Service"] != 2 {
		t.Errorf("good file not read: %v %v", rep.FilesRead, rep.NodesByKind)
	}
	got := map[string]string{}
	for _, e := range rep.Errors {
		got[e.File] = e.Error()
	}
	for p, want := range cases {
		if !strings.Contains(got[p], want) {
			t.Errorf("%s:\n got %q\nwant %q", p, got[p], want)
		}
	}
	if len(rep.Errors) != len(cases) {
		t.Errorf("%d errors for %d bad files: %v", len(rep.Errors), len(cases), rep.Errors)
	}
	// A broken file contributes nothing, not even what came before the
	// break: truncated.json's first resources are complete but absent.
	if _, ok := nodeOf(rep.Batch, checkout); ok {
		t.Error("the truncated file's spans were kept")
	}
}

func TestDBOperations(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT * FROM t": "READ", "select 1": "READ", " with x as (select 1) select * from x": "READ",
		"INSERT INTO t VALUES (1)": "WRITE", "update t set a=1": "WRITE", "findAndModify": "WRITE",
		"HGETALL k": "READ", "find": "READ", "PutItem": "WRITE", "EVAL script": "", "": "",
	} {
		if got := dbOperation([]byte(in)); got != want {
			t.Errorf("dbOperation(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSpanIDs(t *testing.T) {
	// 32 hex digits as protojson decodes them (base64 → 24 bytes).
	b, err := protojson.Marshal(&tracepb.Span{})
	_ = b
	if err != nil {
		t.Fatal(err)
	}
	var sp tracepb.Span
	if err := protojson.Unmarshal([]byte(`{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174"}`), &sp); err != nil {
		t.Fatal(err)
	}
	tid, err := spanID(sp.TraceId, 16, "traceId")
	if err != nil || !bytes.Equal(tid, []byte{0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6, 0x0c}) {
		t.Errorf("traceId %x %v", tid, err)
	}
	sid, err := spanID(sp.SpanId, 8, "spanId")
	if err != nil || !bytes.Equal(sid, []byte{0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74}) {
		t.Errorf("spanId %x %v", sid, err)
	}
	if _, err := spanID(make([]byte, 5), 8, "spanId"); err == nil || !strings.Contains(err.Error(), "want 16 hex digits") {
		t.Errorf("5-byte span id: %v", err)
	}
}

func TestFormatDetection(t *testing.T) {
	for in, want := range map[string]bool{
		`{"resourceSpans":[]}`:            true,
		"\n  {\n  \"resourceSpans\": []}": true,
		"  {}":                            true,
		"\n{\n\x22\x0a\x04x":              false, // protobuf: field 1 of 123 bytes, resource of 34 bytes
		"\x0a\x7b\x0a\x05":                false,
		"\x0a\x10\x0a\x0e":                false,
		"":                                false,
	} {
		if got := looksJSON([]byte(in)); got != want {
			t.Errorf("looksJSON(%q) = %v", in, got)
		}
	}
	for name, want := range map[string]Format{"a.json": JSON, "b.JSONL.gz": JSON, "c.pb": Protobuf, "d.binpb.gz": Protobuf, "traces": Detect, "x.txt": Detect} {
		if got := FormatOf(name); got != want {
			t.Errorf("FormatOf(%q) = %v, want %v", name, got, want)
		}
	}
	// Without an extension the content decides, protobuf included.
	td := readAsProto(t, shopJSON)[0]
	pb, _ := proto.Marshal(td)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "export"), pb, 0o644)
	raw, _ := os.ReadFile(shopJSON)
	os.WriteFile(filepath.Join(dir, "export2"), raw, 0o644)
	rep, st := runFiles(t, Options{}, dir)
	if len(rep.Errors) > 0 || st.Spans != 24 || st.Duplicates != 12 {
		t.Errorf("errors %v stats %+v", rep.Errors, st)
	}
}

// A client span to an IP address or localhost names nobody: it is counted,
// not turned into a node. A span without ids is an error naming the span.
func TestUnresolvedHostsAndMissingIDs(t *testing.T) {
	dir := t.TempDir()
	span := func(id, host string) string {
		return `{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"` + id + `","kind":3,"attributes":[{"key":"server.address","value":{"stringValue":"` + host + `"}}]}`
	}
	doc := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"batch"}}]},"scopeSpans":[{"spans":[` +
		span("0000000000000001", "10.1.2.3") + "," + span("0000000000000002", "localhost") + "," + span("0000000000000003", "10.1.2.3") + "]}]}]}"
	ok := filepath.Join(dir, "ip.json")
	os.WriteFile(ok, []byte(doc), 0o644)
	bad := filepath.Join(dir, "noid.json")
	os.WriteFile(bad, []byte(strings.Replace(doc, `"spanId":"0000000000000003",`, "", 1)), 0o644)
	rep, st := runFiles(t, Options{}, ok, bad)
	if st.Unresolved != 3 || rep.EdgesByKind["CALLS"] != 0 || rep.NodesByKind["Service"] != 1 {
		t.Errorf("stats %+v nodes %v edges %v", st, rep.NodesByKind, rep.EdgesByKind)
	}
	if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Error(), "noid.json:1: column 446: resourceSpans[0].scopeSpans[0].spans[2]: spanId is missing (want 16 hex digits)") {
		t.Errorf("errors %v", rep.Errors)
	}
}

// Messaging: the producer writes to the broker and the consumer reads from
// it (a kafka container is a data store to the artifact agents), and the
// consumer span's parent in another service is the call between them.
// Current (messaging.destination.name, messaging.operation.type) and older
// (messaging.destination, messaging.operation) names.
func TestMessaging(t *testing.T) {
	rep, _ := runFiles(t, Options{}, "testdata/messaging.json")
	shipping := graph.ServiceID("prod", "shipping")
	kafka := graph.DataStoreID("prod", "kafka")
	if n, ok := nodeOf(rep.Batch, kafka); !ok || n.Props.String("engine") != "kafka" {
		t.Errorf("kafka %+v %v", n, ok)
	}
	for _, w := range []struct {
		k        graph.EdgeKind
		from, to graph.ID
		topics   []string
	}{{graph.Writes, checkout, kafka, []string{"orders"}}, {graph.Reads, shipping, kafka, []string{"orders"}}, {graph.Calls, checkout, shipping, nil}} {
		e, ok := edgeOf(rep.Batch, w.k, w.from, w.to)
		if !ok || e.Props.Int(PropCalls) != 1 || !slices.Equal(e.Props.Strings(PropTables), w.topics) {
			t.Errorf("%s %s → %s: %v %v", w.k, w.from, w.to, e.Props, ok)
		}
	}
	if _, ok := edgeOf(rep.Batch, graph.Calls, checkout, kafka); ok {
		t.Error("the broker is also called as a service")
	}
	if rep.EdgesByKind["CALLS"] != 1 || rep.NodesByKind["API"] != 1 {
		t.Errorf("%v %v", rep.EdgesByKind, rep.NodesByKind)
	}
}

func TestRouteTemplate(t *testing.T) {
	for in, want := range map[string]string{
		"/users/:id":                 "/users/{id}",
		"/users/:id/orders/:orderId": "/users/{id}/orders/{orderId}",
		"/files/<path:name>":         "/files/{name}",
		"/items/<sku>":               "/items/{sku}",
		"/api/{id:int}/x":            "/api/{id}/x",
		"/items/{sku}":               "/items/{sku}",
		"health":                     "/health",
		"/a/:b?":                     "/a/{b}",
	} {
		if got := routeTemplate(in); got != want {
			t.Errorf("routeTemplate(%q) = %q, want %q", in, got, want)
		}
	}
}
