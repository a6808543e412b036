package api

import (
	"context"
	"encoding/base64"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/riskgraph/riskgraph/graph"
)

// requestState is what one GraphQL operation reads: a single view, so every
// field of a response comes from the same snapshot and a reader never sees
// half of a batch that was applied while the response was being built.
type requestState struct {
	view      graph.View
	version   uint64
	versionOK bool

	once sync.Once
	cat  *catalog
	err  error

	engOnce sync.Once
	eng     *analysis
	engErr  error

	mu   sync.Mutex
	done []func()
}

// onDone runs f when the operation's response has been written.
func (rs *requestState) onDone(f func()) {
	rs.mu.Lock()
	rs.done = append(rs.done, f)
	rs.mu.Unlock()
}

func (rs *requestState) finish() {
	rs.mu.Lock()
	done := rs.done
	rs.done = nil
	rs.mu.Unlock()
	for _, f := range done {
		f()
	}
	rs.view.Close()
}

type stateKey struct{}

// viewPerOperation opens a view for each operation and closes it once the
// response is written.
type viewPerOperation struct{ r *Resolver }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = viewPerOperation{}

func (viewPerOperation) ExtensionName() string                   { return "ViewPerOperation" }
func (viewPerOperation) Validate(graphql.ExecutableSchema) error { return nil }

func (x viewPerOperation) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	v, ver, ok, err := x.r.store.ReadVersion(ctx)
	if err != nil {
		return graphql.OneShot(graphql.ErrorResponse(ctx, "%s", publicMessage(err)))
	}
	rs := &requestState{view: v, version: ver, versionOK: ok}
	rh := next(context.WithValue(ctx, stateKey{}, rs))
	done := false
	return func(ctx context.Context) *graphql.Response {
		resp := rh(ctx)
		if !done {
			done = true
			rs.finish()
		}
		return resp
	}
}

func state(ctx context.Context) *requestState {
	rs, _ := ctx.Value(stateKey{}).(*requestState)
	return rs
}

// view returns the operation's view.
func (r *Resolver) view(ctx context.Context) (graph.View, error) {
	rs := state(ctx)
	if rs == nil {
		return nil, errInternal("no view for this request")
	}
	return rs.view, nil
}

// cat returns the catalog for the operation's view.
func (r *Resolver) cat(ctx context.Context) (*catalog, error) {
	rs := state(ctx)
	if rs == nil {
		return nil, errInternal("no view for this request")
	}
	rs.once.Do(func() { rs.cat, rs.err = r.catalog.get(ctx, rs) })
	return rs.cat, rs.err
}

// Cursors are the element id, base64-encoded so clients treat them as opaque.

func encodeCursor(id graph.ID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(id))
}

func decodeCursor(s *string) (graph.ID, error) {
	if s == nil || *s == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*s)
	if err != nil || !strings.Contains(string(b), ":") {
		return "", badInput("after", "not a cursor returned by this API")
	}
	return graph.ID(b), nil
}

// pageArgs validates first/after against the limits.
func (r *Resolver) pageArgs(first *int, after *string) (graph.Page, error) {
	p := graph.Page{Limit: r.limits.DefaultPageSize}
	if first != nil {
		switch {
		case *first < 0:
			return p, badInput("first", "must not be negative")
		case *first > r.limits.MaxPageSize:
			return p, limitExceeded("first: at most %d per page (asked for %d)", r.limits.MaxPageSize, *first)
		}
		p.Limit = *first
	}
	a, err := decodeCursor(after)
	if err != nil {
		return p, err
	}
	p.After = a
	return p, nil
}

// pageOf cuts one page from ids sorted ascending.
type pageOf[T any] struct {
	items   []T
	total   int
	hasMore bool
	hasPrev bool
}

func cut[T any](all []T, id func(T) graph.ID, p graph.Page) pageOf[T] {
	start := 0
	if p.After != "" {
		lo, hi := 0, len(all)
		for lo < hi {
			m := (lo + hi) / 2
			if id(all[m]) <= p.After {
				lo = m + 1
			} else {
				hi = m
			}
		}
		start = lo
	}
	end := min(start+p.Limit, len(all))
	return pageOf[T]{items: all[start:end], total: len(all), hasMore: end < len(all), hasPrev: start > 0}
}

func pageInfo(first, last graph.ID, hasMore, hasPrev bool) *PageInfo {
	pi := &PageInfo{HasNextPage: hasMore, HasPreviousPage: hasPrev}
	if first != "" {
		s, e := encodeCursor(first), encodeCursor(last)
		pi.StartCursor, pi.EndCursor = &s, &e
	}
	return pi
}
