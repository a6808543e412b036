package graph

import (
	"slices"
	"strings"
)

// Match reports whether n satisfies f. Backends that filter in memory use it
// so that every backend agrees on what a filter means.
func (f *NodeFilter) Match(n *Node) bool {
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, n.Kind) {
		return false
	}
	if len(f.IDs) > 0 && !slices.Contains(f.IDs, n.ID) {
		return false
	}
	if f.Env != "" && n.Env != f.Env {
		return false
	}
	if f.NameContains != "" && !containsFold(n.Name, f.NameContains) {
		return false
	}
	if len(f.DataClasses) > 0 && !slices.ContainsFunc(n.DataClasses, func(c DataClass) bool { return slices.Contains(f.DataClasses, c) }) {
		return false
	}
	for k, want := range f.Props {
		if !scalarEqual(n.Props[k], want) {
			return false
		}
	}
	return true
}

// Match reports whether e satisfies f.
func (f *EdgeFilter) Match(e *Edge) bool {
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, e.Kind) {
		return false
	}
	if f.From != "" && e.From != f.From {
		return false
	}
	if f.To != "" && e.To != f.To {
		return false
	}
	return true
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func scalarEqual(have, want any) bool {
	if w, err := Normalize(want); err == nil {
		want = w
	}
	switch h := have.(type) {
	case int64:
		if f, ok := want.(float64); ok {
			return float64(h) == f
		}
	case float64:
		if i, ok := want.(int64); ok {
			return h == float64(i)
		}
	case []string:
		// A list property matches a scalar it contains.
		if s, ok := want.(string); ok {
			return slices.Contains(h, s)
		}
		return false
	case Props, []int64, []float64, []bool:
		return false
	}
	return have == want
}
