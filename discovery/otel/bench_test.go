package otel

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

// BenchmarkOTLPIngest measures the target of issue 9: one million spans of
// an OTLP/protobuf export read, joined and turned into the batch of nodes
// and edges (not applying it: that is the store's benchmark).
func BenchmarkOTLPIngest(b *testing.B) {
	const spans = 1_000_000
	data, err := proto.Marshal(synthetic(spans, 60))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	cpu := cpuTime()
	for b.Loop() {
		ingest(b, data, Protobuf, spans)
	}
	b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkOTLPIngestJSON is the same export as OTLP/JSON, as the SDKs'
// OTLP/HTTP JSON exporters and the collector's file exporter write it (hex
// ids; protojson alone would write them in base64).
func BenchmarkOTLPIngestJSON(b *testing.B) {
	const spans = 1_000_000
	data, err := protojson.Marshal(synthetic(spans, 60))
	if err != nil {
		b.Fatal(err)
	}
	data = hexIDs(data)
	b.SetBytes(int64(len(data)))
	cpu := cpuTime()
	for b.Loop() {
		ingest(b, data, JSON, spans)
	}
	b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
}

// cpuTime is the process's user+system CPU time: on a machine shared with
// other builds wall time says more about the neighbours than the code.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ingest(b *testing.B, data []byte, f Format, spans int) {
	o := NewObserver("")
	if _, ferr := o.Read("bench", f, BytesOpener(data)); ferr != nil {
		b.Fatal(ferr)
	}
	c := discovery.NewCollector("")
	st := o.Build(c)
	batch, dangling := c.Batch(graph.Scope{Source: AgentName, Key: "bench"}, "r")
	if st.Spans < spans || len(batch.Edges) == 0 || len(dangling) > 0 {
		b.Fatalf("%+v: %d edges, %d dangling", st, len(batch.Edges), len(dangling))
	}
}

var idField = regexp.MustCompile(`"(traceId|spanId|parentSpanId)":"([^"]*)"`)

// hexIDs rewrites protojson's base64 ids as OTLP/JSON's hex ones.
func hexIDs(data []byte) []byte {
	return idField.ReplaceAllFunc(data, func(m []byte) []byte {
		sub := idField.FindSubmatch(m)
		raw, err := base64.StdEncoding.DecodeString(string(sub[2]))
		if err != nil {
			panic(err)
		}
		return fmt.Appendf(nil, `"%s":"%x"`, sub[1], raw)
	})
}
