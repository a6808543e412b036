package memdb

import (
	"fmt"
	"math/rand/v2"

	"github.com/riskgraph/riskgraph/graph"
)

func benchEstate(nNodes int) []graph.Batch {
	r := rand.New(rand.NewPCG(1, 2))
	ids := make([]graph.ID, nNodes)
	var bs []graph.Batch
	cur := graph.Batch{Scope: graph.Scope{Source: "gen", Key: "x"}, Run: "r1"}
	flush := func() { bs = append(bs, cur); cur = graph.Batch{Scope: cur.Scope, Run: "r1"} }
	for i := range ids {
		ids[i] = graph.ServiceID("prod", fmt.Sprintf("svc-%d", i))
		cur.Nodes = append(cur.Nodes, graph.Node{ID: ids[i], Kind: graph.Service, Name: fmt.Sprintf("svc-%d", i), Env: "prod",
			Props: graph.Props{"replicas": int64(3)}, Sources: []graph.Source{{Agent: "gen", File: "x.yaml", Line: i % 100}}})
		if len(cur.Nodes) == 50000 {
			flush()
		}
	}
	flush()
	for i := 0; i < 3*nNodes; i++ {
		a, b := ids[r.IntN(nNodes)], ids[r.IntN(nNodes)]
		e := graph.NewEdge(graph.Calls, a, b)
		e.Sources = []graph.Source{{Agent: "gen", File: "x.yaml"}}
		cur.Edges = append(cur.Edges, e)
		if len(cur.Edges) == 50000 {
			flush()
		}
	}
	flush()
	return bs
}
