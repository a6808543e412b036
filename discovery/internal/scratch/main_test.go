package scratch

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/riskgraph/riskgraph/discovery/all"
	"github.com/riskgraph/riskgraph/discovery/internal/runtest"
	"github.com/riskgraph/riskgraph/graph"
)

func TestDump(t *testing.T) {
	env := os.Getenv("DENV")
	res, err := runtest.Run(context.Background(), env, os.Getenv("DREL"), []string{os.Getenv("DROOT")},
		all.Agents(), all.Linkers())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		fmt.Println("ERR", e)
	}
	b, _ := res.C.Batch(graph.Scope{}, "x")
	for _, n := range b.Nodes {
		p, _ := json.Marshal(n.Props)
		fmt.Println(n.Kind, n.Env, n.Name, n.DataClasses, string(p), n.Sources)
	}
	for _, e := range b.Edges {
		f, _ := res.C.Node(e.From)
		to, _ := res.C.Node(e.To)
		fn, tn := "?", "?"
		if f != nil {
			fn = f.Name
		}
		if to != nil {
			tn = to.Name
		}
		p, _ := json.Marshal(e.Props)
		fmt.Println(e.Kind, fn, "->", tn, e.DataClasses, string(p))
	}
}
