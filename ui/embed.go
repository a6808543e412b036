// Package ui serves riskgraph's web UI: the built single-page app in dist/
// (committed, so the binary shows the UI on a machine without Node). It
// holds no data; the app reads everything through POST /graphql.
package ui

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// Assets is the built app (index.html at its root, hashed files in assets/).
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded at build time; a missing one fails the build
	}
	return sub
}

// csp allows only the app's own scripts and the API on the same origin.
// Styles may be inline: the graph library sizes its canvas with a style
// element. Fonts may be data: URLs: GraphiQL's stylesheet embeds its fonts.
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; " +
	"img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// Handler serves the app from files: existing files as they are, hashed
// assets as immutable, /graphiql as the bundled GraphiQL page (where
// /graphql sends browsers), and any other path without a file extension as
// index.html so that the app's own routes survive a reload. API paths that
// reach it (an unknown /api/... or /graphql/...) are 404, never the app.
func Handler(files fs.FS) http.Handler {
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := path.Clean("/" + r.URL.Path)
		for _, api := range []string{"/api", "/graphql", "/metrics", "/healthz", "/readyz"} {
			if p == api || strings.HasPrefix(p, api+"/") {
				http.NotFound(w, r)
				return
			}
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		name := strings.TrimPrefix(p, "/")
		if name != "" {
			if st, err := fs.Stat(files, name); err == nil && !st.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					// Vite puts a content hash in every asset name.
					h.Set("Cache-Control", "public, max-age=31536000, immutable")
				} else {
					h.Set("Cache-Control", "no-cache")
				}
				if name == "index.html" || name == "graphiql.html" {
					servePage(w, r, files, name)
					return
				}
				fileServer.ServeHTTP(w, r)
				return
			}
			if name == "graphiql" {
				servePage(w, r, files, "graphiql.html")
				return
			}
			if path.Ext(name) != "" {
				http.NotFound(w, r)
				return
			}
		}
		servePage(w, r, files, "index.html")
	})
}

// servePage serves one of the app's HTML pages with its security headers.
func servePage(w http.ResponseWriter, r *http.Request, files fs.FS, name string) {
	b, err := fs.ReadFile(files, name)
	if err != nil {
		http.Error(w, "the UI is not built (run npm ci && npm run build in ui/)", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if r.Method == http.MethodHead {
		return
	}
	w.Write(b)
}
