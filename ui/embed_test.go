package ui

import (
	"io/fs"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestHandler(t *testing.T) {
	files := fstest.MapFS{
		"index.html":            {Data: []byte("<!doctype html><title>riskgraph</title>")},
		"graphiql.html":         {Data: []byte("<!doctype html><title>riskgraph GraphQL</title>")},
		"assets/index-abc1.js":  {Data: []byte("console.log(1)")},
		"assets/index-abc1.css": {Data: []byte("body{}")},
		"robots.txt":            {Data: []byte("User-agent: *")},
	}
	h := Handler(files)
	do := func(method, path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec
	}
	for _, c := range []struct {
		method, path string
		code         int
		ctype, cache string
		body         string
	}{
		{"GET", "/", 200, "text/html", "no-cache", "<!doctype html>"},
		{"GET", "/index.html", 200, "text/html", "no-cache", "<!doctype html>"},
		{"GET", "/inventory", 200, "text/html", "no-cache", "<!doctype html>"},
		{"GET", "/flows/", 200, "text/html", "no-cache", "<!doctype html>"},
		{"GET", "/graphiql", 200, "text/html", "no-cache", "<!doctype html><title>riskgraph GraphQL"},
		{"GET", "/graphiql.html", 200, "text/html", "no-cache", "<!doctype html><title>riskgraph GraphQL"},
		{"GET", "/assets/index-abc1.js", 200, "text/javascript", "immutable", "console.log"},
		{"GET", "/assets/index-abc1.css", 200, "text/css", "immutable", "body{}"},
		{"GET", "/robots.txt", 200, "text/plain", "no-cache", "User-agent"},
		{"HEAD", "/", 200, "text/html", "no-cache", ""},
		{"GET", "/assets/gone-123.js", 404, "", "", ""},
		{"GET", "/api/v1/nope", 404, "", "", ""},
		{"GET", "/graphql/x", 404, "", "", ""},
		{"GET", "/../../etc/passwd", 200, "text/html", "no-cache", "<!doctype html>"}, // cleaned to /etc/passwd: an app route
		{"POST", "/", 405, "", "", ""},
	} {
		rec := do(c.method, c.path)
		if rec.Code != c.code {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, rec.Code, c.code)
			continue
		}
		if c.code != 200 {
			continue
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, c.ctype) {
			t.Errorf("%s %s: Content-Type %q, want %s", c.method, c.path, ct, c.ctype)
		}
		if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, c.cache) {
			t.Errorf("%s %s: Cache-Control %q, want %s", c.method, c.path, cc, c.cache)
		}
		if !strings.HasPrefix(rec.Body.String(), c.body) {
			t.Errorf("%s %s: body %.40q", c.method, c.path, rec.Body.String())
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: no nosniff", c.method, c.path)
		}
	}
	for _, p := range []string{"/", "/graphiql"} {
		if csp := do("GET", p).Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
	}
}

// The embedded build is a real app: an index that loads hashed assets
// that are embedded too.
func TestAssetsEmbedded(t *testing.T) {
	a := Assets()
	index, err := fs.ReadFile(a, "index.html")
	if err != nil {
		t.Fatalf("ui/dist/index.html is not embedded (run npm ci && npm run build in ui/): %v", err)
	}
	assets, err := fs.Glob(a, "assets/index-*.js")
	if err != nil || len(assets) != 1 {
		t.Fatalf("want one hashed script in ui/dist/assets, got %v (%v)", assets, err)
	}
	if !strings.Contains(string(index), "/"+assets[0]) {
		t.Errorf("index.html does not load %s", assets[0])
	}
	if strings.Contains(string(index), "/src/main.ts") {
		t.Error("ui/dist/index.html is the source page, not the build")
	}
	// GraphiQL is bundled too: its page loads its own hashed script.
	page, err := fs.ReadFile(a, "graphiql.html")
	if err != nil {
		t.Fatalf("ui/dist/graphiql.html is not embedded: %v", err)
	}
	gq, err := fs.Glob(a, "assets/graphiql-*.js")
	if err != nil || len(gq) != 1 || !strings.Contains(string(page), "/"+gq[0]) {
		t.Errorf("graphiql.html does not load a hashed graphiql script: %v (%v)", gq, err)
	}
	// Nothing is loaded from elsewhere: no page or stylesheet names another
	// origin, and no script names a CDN.
	fs.WalkDir(a, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(a, p)
		for _, cdn := range []string{"://unpkg.com", "://cdn.jsdelivr.net", "://cdnjs.cloudflare.com", "://fonts.googleapis.com", "://fonts.gstatic.com"} {
			if strings.Contains(string(b), cdn) {
				t.Errorf("%s names %s", p, cdn)
			}
		}
		if (strings.HasSuffix(p, ".html") || strings.HasSuffix(p, ".css")) && strings.Contains(string(b), "://") {
			t.Errorf("%s refers to another origin", p)
		}
		return nil
	})
}
