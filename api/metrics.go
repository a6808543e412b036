package api

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics records request counts and latencies per operation. The label is
// the operation's name (clients name their operations; anonymous ones are
// "anonymous"), truncated so a client cannot blow up the label set with
// long names.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "riskgraph_graphql_requests_total",
			Help: "GraphQL operations by operation name, type and outcome.",
		}, []string{"operation", "type", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "riskgraph_graphql_request_duration_seconds",
			Help:    "GraphQL operation latency by operation name and type.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"operation", "type"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = (*metrics)(nil)

func (*metrics) ExtensionName() string                   { return "Metrics" }
func (*metrics) Validate(graphql.ExecutableSchema) error { return nil }

func (m *metrics) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	start := time.Now()
	resp := next(ctx)
	name, typ := "anonymous", "unknown"
	if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Operation != nil {
		if oc.Operation.Name != "" {
			name = oc.Operation.Name
		}
		typ = string(oc.Operation.Operation)
	}
	if len(name) > 64 {
		name = name[:64]
	}
	outcome := "ok"
	if resp != nil && len(resp.Errors) > 0 {
		outcome = "error"
	}
	m.requests.WithLabelValues(name, typ, outcome).Inc()
	m.latency.WithLabelValues(name, typ).Observe(time.Since(start).Seconds())
	return resp
}
