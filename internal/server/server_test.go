package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
)

func TestEndpoints(t *testing.T) {
	st, err := memdb.Open("", memdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := graph.ServiceID("prod", "checkout")
	_, err = st.Apply(context.Background(), graph.Batch{Scope: graph.Scope{Source: "t", Key: "k"}, Run: "r1",
		Nodes: []graph.Node{
			{ID: svc, Kind: graph.Service, Name: "checkout"},
			{ID: graph.DataStoreID("prod", "orders"), Kind: graph.DataStore, Name: "orders"},
		},
		Edges: []graph.Edge{graph.NewEdge(graph.Writes, svc, graph.DataStoreID("prod", "orders"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := New(st, Options{MaxBodyBytes: 16})
	s.Handle("POST /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 64)
		if _, err := r.Body.Read(buf); err != nil && !strings.Contains(err.Error(), "EOF") {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		}
	}))
	h := s.Handler()
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec
	}
	if rec := get("/healthz"); rec.Code != 200 {
		t.Fatalf("healthz %d", rec.Code)
	}
	if rec := get("/readyz"); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("readyz before SetReady: %d", rec.Code)
	}
	s.SetReady(true)
	if rec := get("/readyz"); rec.Code != 200 {
		t.Fatalf("readyz after SetReady: %d", rec.Code)
	}
	rec := get("/api/v1/stats")
	var stats graph.Stats
	if err := json.Unmarshal(rec.Body.Bytes(), &stats); err != nil || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("stats: %v %q", err, rec.Body.String())
	}
	if stats.Nodes != 2 || stats.EdgesByKind[graph.Writes] != 1 || stats.NodesByKind[graph.Service] != 1 {
		t.Fatalf("stats %+v", stats)
	}
	if rec := get("/nope"); rec.Code != 404 {
		t.Fatalf("unknown path: %d", rec.Code)
	}
	big := httptest.NewRecorder()
	h.ServeHTTP(big, httptest.NewRequest("POST", "/echo", strings.NewReader(strings.Repeat("x", 100))))
	if big.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %d", big.Code)
	}
	st.Close()
	if rec := get("/api/v1/stats"); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("stats on a closed store: %d", rec.Code)
	}
}
