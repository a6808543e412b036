package api

import (
	"context"
	"reflect"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/riskgraph/riskgraph/graph"
)

// Limits bound what one request may cost. The defaults let every documented
// query run (the deepest, attack paths with findings on each hop and their
// subjects, is 6 levels) and reject abuse such as a 15-level nested query or
// a page of a million nodes.
type Limits struct {
	MaxDepth        int           // selection depth, introspection excluded (default 12)
	MaxComplexity   int           // gqlgen complexity: connections count first × children (default 200,000)
	Timeout         time.Duration // per request (default 30 s)
	DefaultPageSize int           // first when not given (default 50)
	MaxPageSize     int           // largest first accepted (default 1,000)
	MaxBodyBytes    int64         // request body cap (default 64 MiB)
	MaxMapElements  int           // nodes + edges estateMap answers in one response (default 100 × MaxPageSize)
	NoIntrospection bool          // turn schema introspection off
}

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = 12
	}
	if l.MaxComplexity <= 0 {
		l.MaxComplexity = 200_000
	}
	if l.Timeout <= 0 {
		l.Timeout = 30 * time.Second
	}
	if l.DefaultPageSize <= 0 {
		l.DefaultPageSize = 50
	}
	if l.MaxPageSize <= 0 {
		l.MaxPageSize = 1000
	}
	if l.DefaultPageSize > l.MaxPageSize {
		l.DefaultPageSize = l.MaxPageSize
	}
	if l.MaxMapElements <= 0 {
		// As many elements as 100 of the largest pages: a server that pages
		// less also answers smaller maps, so the map is no way around paging.
		l.MaxMapElements = 100 * l.MaxPageSize
	}
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = 64 << 20
	}
	return l
}

// depthLimit rejects operations nested deeper than max before any resolver
// runs. gqlgen's complexity limit alone does not: a deep chain of
// single-object fields is cheap by complexity but walks the graph at every
// level.
type depthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	depth := selectionDepth(rc.Operation.SelectionSet, rc.Doc.Fragments, 0, map[string]bool{})
	if depth > d.max {
		err := gqlerror.Errorf("query depth %d exceeds the limit of %d", depth, d.max)
		err.Extensions = map[string]any{"code": CodeLimitExceeded}
		return err
	}
	return nil
}

func selectionDepth(set ast.SelectionSet, frags ast.FragmentDefinitionList, level int, seen map[string]bool) int {
	deepest := level
	for _, s := range set {
		var d int
		switch s := s.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue // introspection: GraphiQL's own query is deep by design
			}
			d = selectionDepth(s.SelectionSet, frags, level+1, seen)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, frags, level, seen)
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue // a fragment cycle is a validation error reported elsewhere
			}
			f := frags.ForName(s.Name)
			if f == nil {
				continue
			}
			seen[s.Name] = true
			d = selectionDepth(f.SelectionSet, frags, level, seen)
			delete(seen, s.Name)
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// connectionComplexity makes every connection field (one taking first and
// after) cost first × its selection, so asking for 1,000 services each with
// 1,000 calls is measured as what it is. It is set by reflection over the
// generated ComplexityRoot so a new connection field in the schema is
// covered without editing a list.
func connectionComplexity(root *ComplexityRoot, defaultPage int) {
	intPtr := reflect.TypeFor[*int]()
	strPtr := reflect.TypeFor[*string]()
	rv := reflect.ValueOf(root).Elem()
	for i := range rv.NumField() {
		obj := rv.Field(i)
		if obj.Kind() != reflect.Struct {
			continue
		}
		for j := range obj.NumField() {
			f := obj.Field(j)
			ft := f.Type()
			n := ft.NumIn()
			if ft.Kind() != reflect.Func || n < 3 || ft.In(n-2) != intPtr || ft.In(n-1) != strPtr {
				continue
			}
			f.Set(reflect.MakeFunc(ft, func(args []reflect.Value) []reflect.Value {
				child := int(args[0].Int())
				page := defaultPage
				if p := args[n-2]; !p.IsNil() {
					page = int(p.Elem().Int())
				}
				return []reflect.Value{reflect.ValueOf(1 + max(page, 1)*child)}
			}))
		}
	}
	root.Query.AttackPaths = func(child int, _ *PathTarget, _ *graph.ID, limit *int, _ *int) int {
		l := 10
		if limit != nil {
			l = *limit
		}
		return 10 + max(l, 1)*child
	}
	root.Query.TopRisks = func(child int, limit *int) int {
		l := 3
		if limit != nil {
			l = *limit
		}
		return 10 + max(l, 1)*child
	}
}
