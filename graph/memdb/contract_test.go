package memdb

import (
	"testing"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/storetest"
)

func TestContractDurable(t *testing.T) {
	storetest.Run(t, func(t *testing.T) graph.Store {
		s, err := Open(t.TempDir(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestContractInMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) graph.Store {
		s, err := Open("", Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
