package otel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// TestFastSpanFieldNames: the fast decoder's field tables are the OTLP
// messages' fields, by both their JSON and proto names, numbered as in
// the descriptors of the OTLP module this build uses.
func TestFastSpanFieldNames(t *testing.T) {
	for _, c := range []struct {
		msg    protoreflect.MessageDescriptor
		fields map[string]int
	}{
		{(&tracepb.Span{}).ProtoReflect().Descriptor(), spanFields},
		{(&tracepb.Span_Event{}).ProtoReflect().Descriptor(), eventFields},
		{(&tracepb.Span_Link{}).ProtoReflect().Descriptor(), linkFields},
		{(&tracepb.Status{}).ProtoReflect().Descriptor(), statusFields},
		{(&commonpb.KeyValue{}).ProtoReflect().Descriptor(), keyValueFields},
		{(&commonpb.AnyValue{}).ProtoReflect().Descriptor(), anyValueFields},
		{(&commonpb.ArrayValue{}).ProtoReflect().Descriptor(), listFields},
		{(&commonpb.KeyValueList{}).ProtoReflect().Descriptor(), listFields},
	} {
		want := map[string]int{}
		fds := c.msg.Fields()
		for i := 0; i < fds.Len(); i++ {
			fd := fds.Get(i)
			want[fd.JSONName()] = int(fd.Number())
			want[string(fd.Name())] = int(fd.Number())
		}
		if !maps.Equal(want, c.fields) {
			t.Errorf("%s: fields %v, the table has %v", c.msg.FullName(), want, c.fields)
		}
	}
	for name, n := range spanKinds {
		if v := tracepb.Span_SpanKind_value[name]; v != n {
			t.Errorf("span kind %s = %d, the table has %d", name, v, n)
		}
	}
	if len(spanKinds) != len(tracepb.Span_SpanKind_value) || len(statusCodes) != len(tracepb.Status_StatusCode_value) {
		t.Error("an enum table misses values")
	}
	for name, n := range statusCodes {
		if v := tracepb.Status_StatusCode_value[name]; v != n {
			t.Errorf("status code %s = %d, the table has %d", name, v, n)
		}
	}
}

// viaProtojson decodes a span the slow way: protojson, then fromSpan.
func viaProtojson(raw []byte) (spanData, error) {
	var sp tracepb.Span
	var sd spanData
	if err := unmarshalJSON.Unmarshal(raw, &sp); err != nil {
		return sd, err
	}
	sd.fromSpan(&sp)
	return sd, nil
}

// sameSpan compares two decodings as addSpan sees them (ids normalised by
// spanID: protojson leaves hex ids as their base64 reading).
func sameSpan(a, b *spanData) string {
	norm := func(sd *spanData) string {
		var ids []string
		for _, id := range []struct {
			b []byte
			n int
		}{{sd.traceID, 16}, {sd.spanID, 8}, {sd.parentID, 8}} {
			v, err := spanID(id.b, id.n, "id")
			ids = append(ids, fmt.Sprintf("%x/%v", v, err))
		}
		s := fmt.Sprintf("ids %v kind %d start %d end %d status %d nattrs %d", ids, sd.kind, sd.start, sd.end, sd.status, sd.nattrs)
		for i, a := range sd.attrs {
			if a.set {
				s += fmt.Sprintf(" [%d %q %d %v]", i, a.b, a.i, a.isInt)
			}
		}
		return s
	}
	if x, y := norm(a), norm(b); x != y {
		return fmt.Sprintf("fast: %s\nprotojson: %s", x, y)
	}
	return ""
}

// goodSpans are spans in the shapes exporters write; the fast path must
// take every one and agree with protojson.
var goodSpans = []string{
	// The SDKs' and the collector's file exporter: hex ids, times as strings, kind as a number.
	`{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"eee19b7ec3c1b173",
	  "name":"GET /api/orders/{id}","kind":2,"startTimeUnixNano":"1764741600000000000","endTimeUnixNano":"1764741600150000000",
	  "attributes":[{"key":"http.request.method","value":{"stringValue":"GET"}},{"key":"http.route","value":{"stringValue":"/api/orders/{id}"}},
	    {"key":"http.response.status_code","value":{"intValue":"503"}},{"key":"net.host.port","value":{"intValue":8080}},
	    {"key":"sampled","value":{"boolValue":true}},{"key":"ratio","value":{"doubleValue":0.25}}],
	  "droppedAttributesCount":0,"events":[],"droppedEventsCount":0,"links":[],"droppedLinksCount":0,"status":{"code":2,"message":"boom"},"flags":257}`,
	// Upper-case hex, enum names, numbers as numbers, snake_case names, no parent.
	`{"trace_id":"5B8EFFF798038103D269B633813FC60C","span_id":"EEE19B7EC3C1B174","parent_span_id":"","name":"SELECT orders",
	  "kind":"SPAN_KIND_CLIENT","start_time_unix_nano":1764741600000000000,"end_time_unix_nano":1764741600000000001,
	  "attributes":[{"key":"db.system","value":{"string_value":"postgresql"}},{"key":"db.statement","value":{"stringValue":"SELECT \"id\" FROM orders WHERE note = 'caf\u00e9\n'"}},
	    {"key":"db.name","value":{"stringValue":"shop"}},{"key":"db.name","value":{"stringValue":"second wins nothing"}}],
	  "status":{"code":"STATUS_CODE_OK"}}`,
	// protojson's own output: base64 ids; unknown fields, nulls and an unknown enum name.
	`{"traceId":"W47/95gDgQPSabYzgT/GDA==","spanId":"7uGbfsPBsXQ=","kind":"SPAN_KIND_FUTURE","x-vendor":{"a":[1,2.5,"é",null,true]},
	  "traceState":null,"attributes":null,"status":null,"name":"naïve ✓"}`,
	// Events and links with attributes; nested array and kvlist values; bytes.
	`{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","kind":5,"startTimeUnixNano":"1","endTimeUnixNano":"0",
	  "events":[{"timeUnixNano":"1764741600000000500","name":"exception","attributes":[{"key":"exception.message","value":{"stringValue":"x"}}],"droppedAttributesCount":1}],
	  "links":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7","traceState":"rojo=00f067aa0ba902b7","attributes":[],"flags":1}],
	  "attributes":[{"key":"messaging.system","value":{"stringValue":"kafka"}},{"key":"messaging.destination.name","value":{"stringValue":"orders"}},
	    {"key":"messaging.operation.type","value":{"stringValue":"receive"}},
	    {"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"2"},{"arrayValue":{"values":[]}}]}}},
	    {"key":"map","value":{"kvlistValue":{"values":[{"key":"k","value":{"bytesValue":"AAEC"}}]}}},
	    {"key":"empty","value":{}},{"key":"peer.service","value":{"stringValue":"payments","intValue":null}}]}`,
	// An empty span and whitespace everywhere.
	" { } ",
	`{"kind":"2"}`, // a string is an enum name: unknown, so discarded
	`{"attributes":[{"keyStrindex":3,"value":{"stringValueStrindex":"4"}}]}`,
	"{\n \"spanId\" : \"eee19b7ec3c1b174\" ,\r\n \"kind\" : -1 }",
}

// badSpans are spans protojson rejects: the fast path must hand them over.
var badSpans = []string{
	`{"traceId":"5b8efff798038103d269b633813fc60c","trace_id":"5b8efff798038103d269b633813fc60c"}`, // duplicate field
	`{"kind":2.5}`,
	`{"kind":4294967296}`,
	`{"name":5}`,
	`{"startTimeUnixNano":"-1"}`,
	`{"startTimeUnixNano":"01"}`,
	`{"startTimeUnixNano":" 1"}`,
	`{"flags":4294967296}`,
	`{"spanId":"***"}`,
	`{"attributes":{}}`,
	`{"attributes":[null]}`,
	`{"attributes":[{"key":"a","value":{"stringValue":"x","intValue":"1"}}]}`, // the oneof twice
	`{"attributes":[{"key":"a","value":{"boolValue":"true"}}]}`,
	`{"attributes":[{"key":"a","value":{"intValue":"9223372036854775808"}}]}`,
	`{"attributes":[{"key":"a","value":{"doubleValue":1e999}}]}`,
	`{"attributes":[{"key":5}]}`,
	`{"status":{"code":true}}`,
	`{"events":[{"timeUnixNano":"x"}]}`,
	`{"links":[{"spanId":"!!"}]}`,
	"{\"name\":\"\xff\"}",        // invalid UTF-8
	"{\"unknown\":\"\xc3\x28\"}", // also in a skipped field
	`[]`,
	`"span"`,
}

func TestFastSpanMatchesProtojson(t *testing.T) {
	// Spans as protojson writes them, in both name styles and with every
	// field emitted.
	var marshalled []string
	for _, o := range []protojson.MarshalOptions{{}, {UseProtoNames: true}, {EmitUnpopulated: true, UseEnumNumbers: true}} {
		for _, rs := range synthetic(300, 5).ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, sp := range ss.Spans {
					b, err := o.Marshal(sp)
					if err != nil {
						t.Fatal(err)
					}
					marshalled = append(marshalled, string(b))
				}
			}
		}
	}
	var ids idScratch
	for i, raw := range append(slices.Clone(goodSpans), marshalled...) {
		want, err := viaProtojson([]byte(raw))
		if err != nil {
			t.Fatalf("span %d: protojson rejects a good span: %v\n%s", i, err, raw)
		}
		var got spanData
		if !fastSpan([]byte(raw), &got, &ids) {
			t.Errorf("span %d: the fast path handed over a common span:\n%.300s", i, raw)
			continue
		}
		if d := sameSpan(&got, &want); d != "" {
			t.Errorf("span %d: %s\n%.300s", i, d, raw)
		}
	}
	for _, raw := range badSpans {
		if _, err := viaProtojson([]byte(raw)); err == nil {
			t.Errorf("protojson accepts %q: not a bad span", raw)
		}
		var got spanData
		if fastSpan([]byte(raw), &got, &ids) {
			t.Errorf("the fast path accepts %q, which protojson rejects", raw)
		}
	}
}

// FuzzFastSpan: on any JSON value, the fast path either hands over or
// decodes what protojson decodes; it never accepts what protojson rejects.
func FuzzFastSpan(f *testing.F) {
	for _, s := range append(slices.Clone(goodSpans), badSpans...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return // the walker hands over only values encoding/json has read
		}
		var got spanData
		var ids idScratch
		ok := fastSpan(bytes.Clone(raw), &got, &ids)
		want, err := viaProtojson(raw)
		switch {
		case ok && err != nil:
			t.Fatalf("fast path accepts what protojson rejects (%v): %q", err, raw)
		case ok:
			if d := sameSpan(&got, &want); d != "" {
				t.Fatalf("%s\n%q", d, raw)
			}
		}
	})
}
