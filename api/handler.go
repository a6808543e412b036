package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/scoring"
)

// Options configure the GraphQL handler.
type Options struct {
	Limits Limits
	Logger *slog.Logger
	// Registry receives the request metrics (nil: none are recorded).
	Registry prometheus.Registerer
	// Profile weighs risk scores (zero value: scoring.DefaultProfile()).
	Profile *scoring.Profile
	// SBOM writes the documents of the sbom field (nil: not available).
	SBOM SBOMFunc
	// GraphiQLPath is where a browser asking /graphql for HTML is sent: the
	// GraphiQL page the web UI bundles (no CDN). Empty: no page.
	GraphiQLPath string
}

// Handler serves POST /graphql (and GET for queries) and sends browsers
// asking for HTML to the GraphiQL page.
type Handler struct {
	gql      *handler.Server
	graphiql string
	limits   Limits
	resolver *Resolver
}

// NewHandler returns the GraphQL handler over st.
func NewHandler(st *Versioned, opt Options) *Handler {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	lim := opt.Limits.withDefaults()
	p := scoring.DefaultProfile()
	if opt.Profile != nil {
		p = *opt.Profile
	}
	r := NewResolver(st, lim, p)
	r.sbom = opt.SBOM
	cfg := Config{Resolvers: r}
	connectionComplexity(&cfg.Complexity, lim.DefaultPageSize)
	// The map is up to MaxMapElements in one answer: it costs half the
	// complexity budget, so one request holds one map (aliases cannot ask
	// for the same whole map many times over).
	cfg.Complexity.Query.EstateMap = func(child int, _ []graph.Kind, _ []graph.EdgeKind) int {
		return lim.MaxComplexity/2 + child
	}
	es := NewExecutableSchema(cfg)

	srv := handler.New(es)
	srv.AddTransport(transport.GET{})
	srv.AddTransport(postTransport{maxBody: lim.MaxBodyBytes})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if !lim.NoIntrospection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(depthLimit{max: lim.MaxDepth})
	srv.Use(complexityLimit{extension.FixedComplexityLimit(lim.MaxComplexity)})
	if opt.Registry != nil {
		srv.Use(newMetrics(opt.Registry))
	}
	srv.Use(viewPerOperation{r})
	srv.SetErrorPresenter(presentError(opt.Logger))
	srv.SetRecoverFunc(recoverPanic(opt.Logger))
	return &Handler{
		gql:      srv,
		graphiql: opt.GraphiQLPath,
		limits:   lim,
		resolver: r,
	}
}

// Close releases the views the handler's caches hold.
func (h *Handler) Close() { h.resolver.engines.Close() }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.graphiql != "" && r.Method == http.MethodGet && r.URL.RawQuery == "" && strings.Contains(r.Header.Get("Accept"), "text/html") {
		http.Redirect(w, r, h.graphiql, http.StatusFound)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.limits.Timeout)
	defer cancel()
	r = r.WithContext(ctx)
	if r.ContentLength > h.limits.MaxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, CodeLimitExceeded,
			"request body is %d bytes; the limit is %d (--max-body)", r.ContentLength, h.limits.MaxBodyBytes)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.limits.MaxBodyBytes)
	h.gql.ServeHTTP(w, r)
}

// complexityLimit wraps gqlgen's limit so its error carries our code.
type complexityLimit struct{ *extension.ComplexityLimit }

func (c complexityLimit) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	err := c.ComplexityLimit.MutateOperationContext(ctx, rc)
	if err != nil {
		if err.Extensions == nil {
			err.Extensions = map[string]any{}
		}
		err.Extensions["code"] = CodeLimitExceeded
	}
	return err
}
