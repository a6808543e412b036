package main

import (
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/internal/server"
	"github.com/riskgraph/riskgraph/ui"
)

// The web UI at /: static files only, so it is public; the data it shows
// comes from /graphql, which keeps its token check.
func init() {
	mounts = append(mounts, func(g *globals, st graph.Store, srv *server.Server, m mountOptions) error {
		srv.HandlePublic("/", ui.Handler(ui.Assets()))
		return nil
	})
}
