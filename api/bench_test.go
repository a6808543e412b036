package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/api"
	"github.com/riskgraph/riskgraph/gen"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/internal/auth"
	"github.com/riskgraph/riskgraph/internal/wire"
)

// benchEstate is the generated estate (gen.Large: 10k services, 200k APIs,
// ~3M edges; RISKGRAPH_BENCH_SMALL=1 for gen.Small), loaded once per
// benchmark binary.
var benchEstate = sync.OnceValues(func() (*api.Handler, error) {
	cfg := gen.Large()
	if os.Getenv("RISKGRAPH_BENCH_SMALL") != "" {
		cfg = gen.Small
	}
	st, err := memdb.Open("", memdb.Options{})
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	err = cfg.Each(10_000, func(b graph.Batch) error { _, err := st.Apply(ctx, b); return err })
	if err != nil {
		return nil, err
	}
	return api.NewHandler(api.NewVersioned(st, false), api.Options{}), nil
})

func serve(h http.Handler, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequestWithContext(auth.WithRole(context.Background(), auth.Admin), http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// BenchmarkInternetFacingPII is the mission's first question end to end
// through the HTTP handler: parse, validate, filter 200k APIs, first page.
func BenchmarkInternetFacingPII(b *testing.B) {
	h, err := benchEstate()
	if err != nil {
		b.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"query": `{ apis(filter: {internetFacing: true, dataClasses: [PII]}, first: 50) { totalCount pageInfo { hasNextPage endCursor } nodes { method path service { name } dataClasses } } }`})
	first := time.Now()
	rec := serve(h, body)
	b.Logf("first query (builds the catalog for this store version): %v", time.Since(first))
	var r struct {
		Data struct{ APIs struct{ TotalCount int } }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || r.Data.APIs.TotalCount == 0 {
		b.Fatalf("answer: %.300s", rec.Body.String())
	}
	b.Logf("%d internet-facing APIs touching PII", r.Data.APIs.TotalCount)
	var lat []time.Duration
	b.ResetTimer()
	for b.Loop() {
		t := time.Now()
		serve(h, body)
		lat = append(lat, time.Since(t))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
}

// BenchmarkBlastRadiusAPI is a service's blast radius through the handler:
// "summary" asks how far and how bad (counts, classes, score, the
// internet-facing dependents), "full" also lists every reached node. Only
// selected lists are looked up, so the summary skips the per-node loads.
func BenchmarkBlastRadiusAPI(b *testing.B) {
	h, err := benchEstate()
	if err != nil {
		b.Fatal(err)
	}
	var first struct {
		Data struct {
			Services struct{ Nodes []struct{ ID string } }
		}
	}
	body, _ := json.Marshal(map[string]any{"query": `{ services(filter: {internetFacing: true}, first: 1) { nodes { id } } }`})
	if err := json.Unmarshal(serve(h, body).Body.Bytes(), &first); err != nil || len(first.Data.Services.Nodes) == 0 {
		b.Fatalf("no internet-facing service: %v", err)
	}
	from := first.Data.Services.Nodes[0].ID
	for _, c := range []struct{ name, sel string }{
		{"summary", `totalReached dataClasses score dependentsInternetFacing { name }`},
		{"full", `totalReached dataClasses score reached { node { id kind } depth } services { id } dataStores { id }`},
	} {
		b.Run(c.name, func(b *testing.B) {
			body, _ := json.Marshal(map[string]any{"query": `query($id: ID!) { blastRadius(from: $id) { ` + c.sel + ` } }`, "variables": map[string]any{"id": from}})
			rec := serve(h, body)
			var r struct {
				Data struct{ BlastRadius struct{ TotalReached int } }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || r.Data.BlastRadius.TotalReached == 0 {
				b.Fatalf("answer: %.300s", rec.Body.String())
			}
			var lat []time.Duration
			for b.Loop() {
				t := time.Now()
				serve(h, body)
				lat = append(lat, time.Since(t))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(r.Data.BlastRadius.TotalReached), "reached")
			b.ReportMetric(float64(rec.Body.Len()), "response-bytes")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		})
	}
}

// BenchmarkIngest64MiB sends a 64 MiB ingest mutation through the handler
// into a fresh store and reports the peak heap above the baseline as a
// multiple of the body size (peak-x) and what the store keeps (kept-x).
func BenchmarkIngest64MiB(b *testing.B) {
	const target = 64 << 20
	var nodes []wire.Node
	var edges []wire.Edge
	size := 0
	for i := 0; size < target-(1<<20); i++ {
		svc := graph.ServiceID("prod", fmt.Sprintf("svc-%06d", i))
		n := wire.Node{ID: svc, Kind: graph.Service, Name: fmt.Sprintf("svc-%06d", i), Env: "prod",
			Props:       graph.Props{"namespace": "shop", "image": fmt.Sprintf("registry.example/shop/svc-%06d:1.%d.0", i, i%40), "replicas": int64(3), "port": int64(8080)},
			DataClasses: []graph.DataClass{graph.PII},
			Sources:     []graph.Source{{Agent: "k8s", File: fmt.Sprintf("deploy/prod/svc-%06d.yaml", i), Line: 12}}}
		nodes = append(nodes, n)
		if i > 0 {
			edges = append(edges, wire.Edge{ID: graph.EdgeID(graph.Calls, svc, nodes[i-1].ID), Kind: graph.Calls, From: svc, To: nodes[i-1].ID,
				Props: graph.Props{"via": "UPSTREAM_ADDR"}, Sources: []graph.Source{{Agent: "k8s", File: "x.yaml", Line: 30}}})
		}
		size += 560 // approximate; the real size is measured below
		if i%10000 == 0 {
			raw, _ := json.Marshal(wire.Batch{Nodes: nodes, Edges: edges})
			size = len(raw)
		}
	}
	body, err := json.Marshal(map[string]any{"query": `mutation($b: BatchInput!) { ingest(batch: $b) { nodesCreated edgesCreated } }`,
		"variables": map[string]any{"b": wire.Batch{Source: "bench", Scope: "ingest", Run: "r1", Nodes: nodes, Edges: edges}}})
	if err != nil {
		b.Fatal(err)
	}
	nodes, edges = nil, nil
	b.Logf("body %.1f MiB", float64(len(body))/(1<<20))
	b.SetBytes(int64(len(body)))
	var peakX, keptX float64
	for b.Loop() {
		st, err := memdb.Open("", memdb.Options{})
		if err != nil {
			b.Fatal(err)
		}
		h := api.NewHandler(api.NewVersioned(st, false), api.Options{})
		runtime.GC()
		base := heapBytes()
		stop := make(chan struct{})
		peak := base
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
					peak = max(peak, heapBytes())
				}
			}
		}()
		rec := serve(h, body)
		close(stop)
		wg.Wait()
		if !bytes.Contains(rec.Body.Bytes(), []byte(`"nodesCreated"`)) {
			b.Fatalf("ingest: %.300s", rec.Body.String())
		}
		runtime.GC()
		kept := heapBytes()
		peakX = float64(peak-base) / float64(len(body))
		keptX = float64(kept-base) / float64(len(body))
		h.Close()
		st.Close()
	}
	b.ReportMetric(peakX, "peak-x")
	b.ReportMetric(keptX, "kept-x")
}

// heapBytes reads live heap objects without stopping the world.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
