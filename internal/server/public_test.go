package server

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/internal/auth"
)

// A public mount at "/" serves without a token while /graphql, /metrics and
// the stats endpoint stay behind the token, even though "/" matches them
// as a prefix.
func TestHandlePublic(t *testing.T) {
	st, err := memdb.Open("", memdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	toks, err := auth.ParseEnv("0123456789abcdef0123:read")
	if err != nil {
		t.Fatal(err)
	}
	s := New(st, Options{Auth: &auth.Authenticator{Tokens: toks, Anonymous: auth.None}})
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(r.URL.Path)) })
	s.Handle("/graphql", ok)
	s.Handle("GET /metrics", ok)
	s.HandlePublic("/", ok)
	h := s.Handler()
	do := func(method, path, token string) int {
		req := httptest.NewRequest(method, path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for _, c := range []struct {
		method, path, token string
		want                int
	}{
		{"GET", "/", "", 200},
		{"GET", "/assets/index-abc.js", "", 200},
		{"GET", "/inventory", "", 200}, // SPA route
		{"HEAD", "/", "", 200},
		{"GET", "/graphql", "", 401},
		{"POST", "/graphql", "", 401},
		{"GET", "/graphql?query=%7Bstats%7Bnodes%7D%7D", "", 401},
		{"GET", "/metrics", "", 401},
		{"GET", "/api/v1/stats", "", 401},
		{"POST", "/graphql", "0123456789abcdef0123", 200},
		{"GET", "/api/v1/stats", "0123456789abcdef0123", 200},
		{"GET", "/healthz", "", 200},
	} {
		if got := do(c.method, c.path, c.token); got != c.want {
			t.Errorf("%s %s (token %t): %d, want %d", c.method, c.path, c.token != "", got, c.want)
		}
	}
}
