package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
)

// Props holds an element's typed properties. Values are one of: string,
// bool, int64, float64, []string, []int64, []float64, []bool, or a nested
// Props. Those are what every backend can store and give back unchanged
// (Neo4j stores nested maps serialised). Normalize converts the looser Go
// and JSON types callers have at hand into these.
//
// In a batch, a key set to nil removes that property on merge.
type Props map[string]any

// UnmarshalJSON decodes properties keeping integers as int64 (encoding/json
// would make every number a float64) and normalises arrays to typed slices.
func (p *Props) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	if raw == nil {
		*p = nil
		return nil
	}
	// Normalised in place: the decoded map is ours, and a copy of every
	// node's properties is what a large ingest can least afford.
	for k, v := range raw {
		if k == "" {
			return fmt.Errorf("props: empty property name")
		}
		nv, err := normalize(v, "props."+k)
		if err != nil {
			return err
		}
		raw[k] = nv
	}
	*p = raw
	return nil
}

// Keys returns the property names in sorted order.
func (p Props) Keys() []string { return slices.Sorted(maps.Keys(p)) }

// String returns p[key] if it is a string.
func (p Props) String(key string) string { s, _ := p[key].(string); return s }

// Bool returns p[key] if it is a bool.
func (p Props) Bool(key string) bool { b, _ := p[key].(bool); return b }

// Int returns p[key] if it is an integer.
func (p Props) Int(key string) int64 { i, _ := p[key].(int64); return i }

// Float returns p[key] as a float64 if it is a number.
func (p Props) Float(key string) float64 {
	switch v := p[key].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	}
	return 0
}

// Strings returns p[key] if it is a list of strings.
func (p Props) Strings(key string) []string { s, _ := p[key].([]string); return s }

// Normalize returns v as one of the property value types, or an error saying
// what was found. nil stays nil (a deletion marker in batches).
func Normalize(v any) (any, error) { return normalize(v, "value") }

// NormalizeProps normalises every value of p in place-free fashion: it
// returns a new map, or an error naming the offending key.
func NormalizeProps(p map[string]any) (Props, error) {
	if p == nil {
		return nil, nil
	}
	return normalizeMap(p, "props")
}

func normalizeMap(m map[string]any, path string) (Props, error) {
	out := make(Props, len(m))
	for k, v := range m {
		if k == "" {
			return nil, fmt.Errorf("%s: empty property name", path)
		}
		nv, err := normalize(v, path+"."+k)
		if err != nil {
			return nil, err
		}
		out[k] = nv
	}
	return out, nil
}

func normalize(v any, path string) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, int64, []string, []int64, []bool:
		return x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%s: %v is not a storable number", path, x)
		}
		return x, nil
	case []float64:
		for _, f := range x {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("%s: %v is not a storable number", path, f)
			}
		}
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return nil, fmt.Errorf("%s: %d overflows int64", path, x)
		}
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("%s: %d overflows int64", path, x)
		}
		return int64(x), nil
	case float32:
		return normalize(float64(x), path)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a number", path, x)
		}
		return normalize(f, path)
	case []int:
		out := make([]int64, len(x))
		for i, e := range x {
			out[i] = int64(e)
		}
		return out, nil
	case Props:
		return normalizeMap(x, path)
	case map[string]any:
		return normalizeMap(x, path)
	case map[string]string:
		out := make(Props, len(x))
		for k, e := range x {
			out[k] = e
		}
		return out, nil
	case []any:
		return normalizeList(x, path)
	}
	return nil, fmt.Errorf("%s: unsupported property type %T (want string, bool, integer, float, a list of one of those, or a map)", path, v)
}

// normalizeList turns a heterogeneous JSON array into a typed slice. All
// elements must have the same scalar type; integers mixed with floats become
// floats. An empty list becomes []string{} so that it still round-trips.
func normalizeList(xs []any, path string) (any, error) {
	if len(xs) == 0 {
		return []string{}, nil
	}
	norm := make([]any, len(xs))
	kind := ""
	for i, e := range xs {
		ne, err := normalize(e, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		var k string
		switch ne.(type) {
		case string:
			k = "string"
		case bool:
			k = "bool"
		case int64:
			k = "int"
		case float64:
			k = "float"
		default:
			return nil, fmt.Errorf("%s[%d]: lists may hold only strings, booleans or numbers, found %T", path, i, ne)
		}
		switch {
		case kind == "" || kind == k:
			kind = k
		case (kind == "int" && k == "float") || (kind == "float" && k == "int"):
			kind = "float"
		default:
			return nil, fmt.Errorf("%s[%d]: list mixes %s and %s values", path, i, kind, k)
		}
		norm[i] = ne
	}
	switch kind {
	case "string":
		out := make([]string, len(norm))
		for i, e := range norm {
			out[i] = e.(string)
		}
		return out, nil
	case "bool":
		out := make([]bool, len(norm))
		for i, e := range norm {
			out[i] = e.(bool)
		}
		return out, nil
	case "int":
		out := make([]int64, len(norm))
		for i, e := range norm {
			out[i] = e.(int64)
		}
		return out, nil
	default:
		out := make([]float64, len(norm))
		for i, e := range norm {
			switch n := e.(type) {
			case int64:
				out[i] = float64(n)
			case float64:
				out[i] = n
			}
		}
		return out, nil
	}
}

// mergeProps returns old with upd applied: keys in upd overwrite, nil values
// delete. Neither input is modified.
func mergeProps(old, upd Props) Props {
	if len(upd) == 0 {
		return old
	}
	out := make(Props, len(old)+len(upd))
	maps.Copy(out, old)
	for k, v := range upd {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// mergeClasses returns the sorted union of a and b.
func mergeClasses(a, b []DataClass) []DataClass {
	if len(b) == 0 {
		return a
	}
	out := append(slices.Clone(a), b...)
	sort.Slice(out, func(i, j int) bool { return classRank(out[i]) < classRank(out[j]) })
	return slices.Compact(out)
}

func classRank(c DataClass) int {
	if i := slices.Index(DataClasses, c); i >= 0 {
		return i
	}
	return len(DataClasses)
}

// MaxSources caps the evidence kept per element: enough to trace a claim,
// bounded so that an element seen by thousands of files stays small.
const MaxSources = 16

// mergeSources returns the union of a and b (b's entries first when over the
// cap, since they are the newest evidence), without duplicates.
func mergeSources(a, b []Source) []Source {
	if len(b) == 0 {
		return a
	}
	out := make([]Source, 0, len(a)+len(b))
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, s := range a {
		if len(out) >= MaxSources {
			break
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) > MaxSources {
		out = out[:MaxSources]
	}
	return out
}
