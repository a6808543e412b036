package api_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/riskgraph/riskgraph/api"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/internal/client"
)

// 50 clients query while batches of 20 services are ingested. Every
// response must come from one snapshot: the catalog-backed list, the
// store-paged list and the stats agree, and counts move in whole batches.
func TestConcurrentReadersSeeWholeBatches(t *testing.T) {
	e := newEnv(t, api.Limits{})
	base := statsNodes(t, e)
	const perBatch = 20
	batches, readers, reads := 30, 50, 12
	if testing.Short() {
		batches, reads = 10, 6
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, readers*reads+batches)
	wg.Add(1)
	go func() {
		defer wg.Done()
		c := client.New(e.url, ingestTok)
		for i := range batches {
			b := graph.Batch{Scope: graph.Scope{Source: "conc", Key: "k"}, Run: graph.RunID(fmt.Sprint("r", i))}
			for j := range perBatch {
				name := fmt.Sprintf("conc-%03d-%02d", i, j)
				b.Nodes = append(b.Nodes, graph.Node{ID: graph.ServiceID("prod", name), Kind: graph.Service, Name: name, Env: "prod"})
			}
			if _, err := c.Ingest(ctx, b); err != nil {
				errs <- fmt.Errorf("ingest %d: %w", i, err)
				return
			}
		}
	}()
	q := `{ a: services(filter: {nameContains: "conc-"}) { totalCount }
	        b: nodes(filter: {kinds: [Service], nameContains: "conc-"}) { totalCount }
	        stats { nodes } }`
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := client.New(e.url, readTok)
			for range reads {
				resp, err := c.Do(ctx, q, nil)
				if err != nil {
					errs <- err
					return
				}
				if len(resp.Errors) > 0 {
					errs <- resp.Errors
					return
				}
				var d struct {
					A, B  struct{ TotalCount int }
					Stats struct{ Nodes int }
				}
				if err := jsonUnmarshal(resp.Data, &d); err != nil {
					errs <- err
					return
				}
				if d.A.TotalCount != d.B.TotalCount || d.A.TotalCount%perBatch != 0 || d.Stats.Nodes-base != d.A.TotalCount {
					errs <- fmt.Errorf("inconsistent snapshot: catalog %d, store %d, stats +%d", d.A.TotalCount, d.B.TotalCount, d.Stats.Nodes-base)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := statsNodes(t, e) - base; got != batches*perBatch {
		t.Errorf("after all batches: +%d nodes, want %d", got, batches*perBatch)
	}
}
