package scoring

import (
	"context"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/testdata/demo"
)

// openBatches loads batches into a fresh in-memory store and returns a view.
func openBatches(t testing.TB, bs ...graph.Batch) graph.View {
	t.Helper()
	s, err := memdb.Open("", memdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, b := range bs {
		if _, err := s.Apply(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	v, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func demoEngine(t testing.TB) *Engine {
	return New(openBatches(t, demo.Batch()), DefaultProfile())
}

var (
	prodSvc  = func(n string) graph.ID { return graph.ServiceID("prod", n) }
	prodAPI  = func(svc, m, p string) graph.ID { return graph.APIID(graph.ServiceID("prod", svc), m, p) }
	prodDS   = func(n string) graph.ID { return graph.DataStoreID("prod", n) }
	stageSvc = func(n string) graph.ID { return graph.ServiceID("staging", n) }
)
