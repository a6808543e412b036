package otel

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// synthetic builds an export of about n spans in the shape real SDKs
// batch them: one ResourceSpans per service per batch of traces, each trace
// a server span per hop, client spans to the next service, database spans
// and calls to a few third parties. Seeded: the same n gives the same data.
func synthetic(n, services int) *tracepb.TracesData {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	str := func(k, v string) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
	}
	num := func(k string, v int64) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
	}
	name := func(i int) string { return fmt.Sprintf("svc-%03d", i) }
	dbs := []string{"postgresql", "mysql", "redis", "mongodb"}
	externals := []string{"api.stripe.com", "api.twilio.com", "hooks.slack.com", "maps.googleapis.com"}
	td := &tracepb.TracesData{}
	byService := map[int]*tracepb.ScopeSpans{}
	flush := func() {
		for i := 0; i < services; i++ {
			ss := byService[i]
			if ss == nil || len(ss.Spans) == 0 {
				continue
			}
			td.ResourceSpans = append(td.ResourceSpans, &tracepb.ResourceSpans{
				Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
					str("service.name", name(i)), str("deployment.environment.name", "prod"),
					str("telemetry.sdk.language", "go"), str("host.name", fmt.Sprintf("node-%d", i%7))}},
				ScopeSpans: []*tracepb.ScopeSpans{ss}})
		}
		byService = map[int]*tracepb.ScopeSpans{}
	}
	var spanSeq uint64
	newID := func() []byte {
		spanSeq++
		b := make([]byte, 8)
		binary.BigEndian.PutUint64(b, spanSeq)
		return b
	}
	add := func(svc int, sp *tracepb.Span) {
		ss := byService[svc]
		if ss == nil {
			ss = &tracepb.ScopeSpans{Scope: &commonpb.InstrumentationScope{Name: "otelhttp", Version: "0.60.0"}}
			byService[svc] = ss
		}
		ss.Spans = append(ss.Spans, sp)
	}
	t0 := uint64(1764741600000000000)
	total := 0
	for tr := 0; total < n; tr++ {
		trace := make([]byte, 16)
		binary.BigEndian.PutUint64(trace, uint64(tr)+1)
		binary.BigEndian.PutUint64(trace[8:], rng.Uint64())
		start := t0 + uint64(tr)*1_000_000
		svc := rng.IntN(services)
		root := &tracepb.Span{TraceId: trace, SpanId: newID(), Name: "GET /api/items/{id}", Kind: tracepb.Span_SPAN_KIND_SERVER,
			StartTimeUnixNano: start, EndTimeUnixNano: start + 900_000,
			Attributes: []*commonpb.KeyValue{str("http.request.method", "GET"), str("http.route", fmt.Sprintf("/api/r%d/{id}", svc%5)), num("http.response.status_code", 200)}}
		add(svc, root)
		total++
		parent := root
		for hop := 0; hop < 3 && total < n; hop++ {
			next := (svc + 1 + rng.IntN(services-1)) % services
			st := start + uint64(hop+1)*10_000
			cl := &tracepb.Span{TraceId: trace, SpanId: newID(), ParentSpanId: parent.SpanId, Name: "POST", Kind: tracepb.Span_SPAN_KIND_CLIENT,
				StartTimeUnixNano: st, EndTimeUnixNano: st + 500_000,
				Attributes: []*commonpb.KeyValue{str("http.request.method", "POST"), str("server.address", name(next)), str("url.full", "http://"+name(next)+"/rpc")}}
			sv := &tracepb.Span{TraceId: trace, SpanId: newID(), ParentSpanId: cl.SpanId, Name: "POST /rpc", Kind: tracepb.Span_SPAN_KIND_SERVER,
				StartTimeUnixNano: st + 1000, EndTimeUnixNano: st + 400_000,
				Attributes: []*commonpb.KeyValue{str("http.request.method", "POST"), str("http.route", "/rpc"), num("http.response.status_code", 200)}}
			if rng.IntN(50) == 0 {
				sv.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR}
			}
			add(svc, cl)
			add(next, sv)
			db := dbs[next%len(dbs)]
			q := &tracepb.Span{TraceId: trace, SpanId: newID(), ParentSpanId: sv.SpanId, Name: "SELECT", Kind: tracepb.Span_SPAN_KIND_CLIENT,
				StartTimeUnixNano: st + 2000, EndTimeUnixNano: st + 50_000,
				Attributes: []*commonpb.KeyValue{str("db.system", db), str("db.namespace", "app"), str("db.collection.name", fmt.Sprintf("t%d", rng.IntN(4))),
					str("db.operation.name", []string{"SELECT", "INSERT"}[rng.IntN(2)]), str("server.address", name(next)+"-db")}}
			add(next, q)
			total += 3
			svc, parent = next, sv
		}
		if total < n {
			ext := externals[rng.IntN(len(externals))]
			add(svc, &tracepb.Span{TraceId: trace, SpanId: newID(), ParentSpanId: parent.SpanId, Name: "POST", Kind: tracepb.Span_SPAN_KIND_CLIENT,
				StartTimeUnixNano: start + 100_000, EndTimeUnixNano: start + 300_000,
				Attributes: []*commonpb.KeyValue{str("http.request.method", "POST"), str("url.full", "https://"+ext+"/v1/x"), str("server.address", ext)}})
			total++
		}
		if tr%200 == 199 {
			flush()
		}
	}
	flush()
	return td
}
