package neo4j

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// How the model maps onto Neo4j properties.
//
// Fixed fields have fixed keys: id, name, env, dataClasses (list of
// strings), firstSeen and lastSeen (DATETIME in UTC), sources (JSON, the
// model's own encoding), claimScopes and claimRuns (parallel lists, so that
// Sweep can filter them in Cypher), and nameKey (the lower-cased name, for
// the text index NameContains uses).
//
// Each user property k is stored under a key that says how to read it back:
//
//	p.k   a string, boolean, integer, float, or non-empty list of one of
//	      those: stored natively (Neo4j lists are homogeneous, as are the
//	      model's)
//	pl.k  an empty list: the value names the element type ("string", "int",
//	      "float", "bool"), which an empty Neo4j list cannot carry
//	pm.k  a nested map: a JSON string in a typed encoding (floats always
//	      carry a decimal point or exponent; lists start with their element
//	      type) so that integers and floats, and empty lists, come back as
//	      the types they were
//
// The three prefixes differ before their dot, so no user key can make one
// stored key look like another.
const (
	keyID          = "id"
	keyName        = "name"
	keyNameKey     = "nameKey"
	keyEnv         = "env"
	keyDataClasses = "dataClasses"
	keySources     = "sources"
	keyFirstSeen   = "firstSeen"
	keyLastSeen    = "lastSeen"
	keyClaimScopes = "claimScopes"
	keyClaimRuns   = "claimRuns"

	prefixProp  = "p."
	prefixEmpty = "pl."
	prefixMap   = "pm."
)

// claimScope is a scope as stored in claimScopes: a JSON pair, so that no
// source or key can make two scopes look alike.
func claimScope(s graph.Scope) string {
	b, _ := json.Marshal([2]string{s.Source, s.Key})
	return string(b)
}

func parseClaimScope(s string) (graph.Scope, error) {
	var p [2]string
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return graph.Scope{}, fmt.Errorf("claim scope %q: %w", s, err)
	}
	return graph.Scope{Source: p[0], Key: p[1]}, nil
}

// nodeProps returns the Neo4j property map of a merged node.
func nodeProps(n *graph.Node) (map[string]any, error) {
	m := make(map[string]any, 10+len(n.Props))
	m[keyID] = string(n.ID)
	m[keyName] = n.Name
	m[keyNameKey] = strings.ToLower(n.Name)
	if n.Env != "" {
		m[keyEnv] = n.Env
	}
	if err := commonProps(m, n.Props, n.DataClasses, n.Sources, n.FirstSeen, n.LastSeen, n.Claims); err != nil {
		return nil, fmt.Errorf("node %s: %w", n.ID, err)
	}
	return m, nil
}

// edgeProps returns the Neo4j property map of a merged edge. Its kind is the
// relationship type and its ends are the relationship's nodes.
func edgeProps(e *graph.Edge) (map[string]any, error) {
	m := make(map[string]any, 8+len(e.Props))
	m[keyID] = string(e.ID)
	if err := commonProps(m, e.Props, e.DataClasses, e.Sources, e.FirstSeen, e.LastSeen, e.Claims); err != nil {
		return nil, fmt.Errorf("edge %s: %w", e.ID, err)
	}
	return m, nil
}

func commonProps(m map[string]any, props graph.Props, classes []graph.DataClass, sources []graph.Source, first, last time.Time, claims []graph.Claim) error {
	if classes != nil {
		cs := make([]string, len(classes))
		for i, c := range classes {
			cs[i] = string(c)
		}
		m[keyDataClasses] = cs
	}
	if sources != nil {
		b, err := json.Marshal(sources)
		if err != nil {
			return err
		}
		m[keySources] = string(b)
	}
	if !first.IsZero() {
		m[keyFirstSeen] = first.UTC()
	}
	if !last.IsZero() {
		m[keyLastSeen] = last.UTC()
	}
	if claims != nil {
		scopes, runs := make([]string, len(claims)), make([]string, len(claims))
		for i, c := range claims {
			scopes[i], runs[i] = claimScope(c.Scope), string(c.Run)
		}
		m[keyClaimScopes], m[keyClaimRuns] = scopes, runs
	}
	for k, v := range props {
		if err := putProp(m, k, v); err != nil {
			return err
		}
	}
	return nil
}

// putProp stores user property k (see the key scheme above).
func putProp(m map[string]any, k string, v any) error {
	switch x := v.(type) {
	case nil:
		// merged properties hold no nils (nil deletes on merge)
	case string, bool, int64, float64:
		m[prefixProp+k] = x
	case []string:
		putList(m, k, x, len(x), "string")
	case []int64:
		putList(m, k, x, len(x), "int")
	case []float64:
		putList(m, k, x, len(x), "float")
	case []bool:
		putList(m, k, x, len(x), "bool")
	case graph.Props:
		var b bytes.Buffer
		if err := encodeMap(&b, x); err != nil {
			return fmt.Errorf("props.%s: %w", k, err)
		}
		m[prefixMap+k] = b.String()
	default:
		return fmt.Errorf("props.%s: %T is not a property type (was the batch validated?)", k, v)
	}
	return nil
}

func putList(m map[string]any, k string, v any, n int, elem string) {
	if n == 0 {
		m[prefixEmpty+k] = elem
		return
	}
	m[prefixProp+k] = v
}

// decodeNode reads a node back from its Neo4j properties.
func decodeNode(p map[string]any) (graph.Node, error) {
	var n graph.Node
	id, ok := p[keyID].(string)
	if !ok {
		return n, fmt.Errorf("stored node has no string id")
	}
	n.ID = graph.ID(id)
	k, ok := n.ID.KindOf()
	if !ok {
		return n, fmt.Errorf("stored node %s: id names no node kind", id)
	}
	n.Kind = k
	n.Name, _ = p[keyName].(string)
	n.Env, _ = p[keyEnv].(string)
	c, err := decodeCommon(p)
	if err != nil {
		return n, fmt.Errorf("stored node %s: %w", id, err)
	}
	n.Props, n.DataClasses, n.Sources, n.FirstSeen, n.LastSeen, n.Claims = c.props, c.classes, c.sources, c.first, c.last, c.claims
	return n, nil
}

// decodeEdge reads an edge back from its properties and its ends' ids.
func decodeEdge(p map[string]any, from, to string) (graph.Edge, error) {
	var e graph.Edge
	id, ok := p[keyID].(string)
	if !ok {
		return e, fmt.Errorf("stored edge has no string id")
	}
	e.ID = graph.ID(id)
	k, ok := e.ID.EdgeKindOf()
	if !ok {
		return e, fmt.Errorf("stored edge %s: id names no edge kind", id)
	}
	e.Kind, e.From, e.To = k, graph.ID(from), graph.ID(to)
	c, err := decodeCommon(p)
	if err != nil {
		return e, fmt.Errorf("stored edge %s: %w", id, err)
	}
	e.Props, e.DataClasses, e.Sources, e.FirstSeen, e.LastSeen, e.Claims = c.props, c.classes, c.sources, c.first, c.last, c.claims
	return e, nil
}

type common struct {
	props       graph.Props
	classes     []graph.DataClass
	sources     []graph.Source
	first, last time.Time
	claims      []graph.Claim
}

func decodeCommon(p map[string]any) (common, error) {
	var c common
	if v, ok := p[keyDataClasses]; ok {
		l, err := stringList(v)
		if err != nil {
			return c, fmt.Errorf("%s: %w", keyDataClasses, err)
		}
		c.classes = make([]graph.DataClass, len(l))
		for i, s := range l {
			c.classes[i] = graph.DataClass(s)
		}
	}
	if v, ok := p[keySources].(string); ok {
		if err := json.Unmarshal([]byte(v), &c.sources); err != nil {
			return c, fmt.Errorf("%s: %w", keySources, err)
		}
	}
	var err error
	if c.first, err = timeProp(p, keyFirstSeen); err != nil {
		return c, err
	}
	if c.last, err = timeProp(p, keyLastSeen); err != nil {
		return c, err
	}
	if v, ok := p[keyClaimScopes]; ok {
		scopes, err := stringList(v)
		if err != nil {
			return c, fmt.Errorf("%s: %w", keyClaimScopes, err)
		}
		runs, err := stringList(p[keyClaimRuns])
		if err != nil || len(runs) != len(scopes) {
			return c, fmt.Errorf("%s does not match %s", keyClaimRuns, keyClaimScopes)
		}
		c.claims = make([]graph.Claim, len(scopes))
		for i := range scopes {
			sc, err := parseClaimScope(scopes[i])
			if err != nil {
				return c, err
			}
			c.claims[i] = graph.Claim{Scope: sc, Run: graph.RunID(runs[i])}
		}
	}
	for k, v := range p {
		var name string
		var val any
		switch {
		case strings.HasPrefix(k, prefixProp):
			name = k[len(prefixProp):]
			val, err = fromDriver(v)
		case strings.HasPrefix(k, prefixEmpty):
			name = k[len(prefixEmpty):]
			val, err = emptyList(v)
		case strings.HasPrefix(k, prefixMap):
			name = k[len(prefixMap):]
			s, ok := v.(string)
			if !ok {
				err = fmt.Errorf("want a JSON string, found %T", v)
				break
			}
			val, err = decodeMap([]byte(s))
		default:
			continue // a fixed field, or a property riskgraph did not write
		}
		if err != nil {
			return c, fmt.Errorf("props.%s: %w", name, err)
		}
		if c.props == nil {
			c.props = graph.Props{}
		}
		c.props[name] = val
	}
	return c, nil
}

func timeProp(p map[string]any, k string) (time.Time, error) {
	v, ok := p[k]
	if !ok || v == nil {
		return time.Time{}, nil
	}
	t, ok := v.(time.Time)
	if !ok {
		return time.Time{}, fmt.Errorf("%s: want a DATETIME, found %T", k, v)
	}
	return t.UTC(), nil
}

func stringList(v any) ([]string, error) {
	switch l := v.(type) {
	case []string:
		return l, nil
	case []any:
		out := make([]string, len(l))
		for i, e := range l {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("want a list of strings, found %T at %d", e, i)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a list of strings, found %T", v)
}

// fromDriver converts a value as the driver returns it (lists as []any,
// integers as int64) to the model's property types.
func fromDriver(v any) (any, error) {
	switch x := v.(type) {
	case string, bool, int64, float64, []string, []int64, []float64, []bool:
		return x, nil
	case []any:
		if len(x) == 0 {
			return []string{}, nil
		}
		switch x[0].(type) {
		case string:
			return typedList[string](x)
		case int64:
			return typedList[int64](x)
		case float64:
			return typedList[float64](x)
		case bool:
			return typedList[bool](x)
		}
		return nil, fmt.Errorf("lists of %T are not a property type", x[0])
	}
	return nil, fmt.Errorf("%T is not a property type", v)
}

func typedList[T any](xs []any) ([]T, error) {
	out := make([]T, len(xs))
	for i, e := range xs {
		t, ok := e.(T)
		if !ok {
			return nil, fmt.Errorf("list mixes %T and %T", xs[0], e)
		}
		out[i] = t
	}
	return out, nil
}

func emptyList(v any) (any, error) {
	switch v {
	case "string":
		return []string{}, nil
	case "int":
		return []int64{}, nil
	case "float":
		return []float64{}, nil
	case "bool":
		return []bool{}, nil
	}
	return nil, fmt.Errorf("unknown empty-list type %v", v)
}

// encodeMap writes a nested map in the typed JSON encoding, keys sorted.
func encodeMap(b *bytes.Buffer, m graph.Props) error {
	keys := m.Keys()
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		if err := encodeValue(b, m[k]); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	b.WriteByte('}')
	return nil
}

func encodeValue(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		s, _ := json.Marshal(x)
		b.Write(s)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		return encodeFloat(b, x)
	case []string:
		return encodeList(b, "string", x)
	case []int64:
		return encodeList(b, "int", x)
	case []float64:
		return encodeList(b, "float", x)
	case []bool:
		return encodeList(b, "bool", x)
	case graph.Props:
		return encodeMap(b, x)
	default:
		return fmt.Errorf("%T is not a property type", v)
	}
	return nil
}

// encodeFloat writes f so that it reads back as a float: with a decimal
// point or an exponent even when it is integral.
func encodeFloat(b *bytes.Buffer, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("%v is not a storable number", f)
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	b.WriteString(s)
	if !strings.ContainsAny(s, ".eE") {
		b.WriteString(".0")
	}
	return nil
}

func encodeList[T any](b *bytes.Buffer, elem string, xs []T) error {
	b.WriteString(`["` + elem + `"`)
	for _, x := range xs {
		b.WriteByte(',')
		if err := encodeValue(b, any(x)); err != nil {
			return err
		}
	}
	b.WriteByte(']')
	return nil
}

func decodeMap(data []byte) (graph.Props, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, fmt.Errorf("want a JSON object")
	}
	return typedMap(raw)
}

func typedMap(raw map[string]any) (graph.Props, error) {
	out := make(graph.Props, len(raw))
	for k, v := range raw {
		tv, err := typedValue(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = tv
	}
	return out, nil
}

func typedValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool:
		return x, nil
	case json.Number:
		return number(x)
	case map[string]any:
		return typedMap(x)
	case []any:
		if len(x) == 0 {
			return nil, fmt.Errorf("list without its element type")
		}
		elem, _ := x[0].(string)
		rest := x[1:]
		switch elem {
		case "string":
			return convList(rest, func(e any) (string, bool) { s, ok := e.(string); return s, ok })
		case "bool":
			return convList(rest, func(e any) (bool, bool) { b, ok := e.(bool); return b, ok })
		case "int":
			return convList(rest, func(e any) (int64, bool) {
				n, ok := e.(json.Number)
				if !ok {
					return 0, false
				}
				i, err := n.Int64()
				return i, err == nil
			})
		case "float":
			return convList(rest, func(e any) (float64, bool) {
				n, ok := e.(json.Number)
				if !ok {
					return 0, false
				}
				f, err := n.Float64()
				return f, err == nil
			})
		}
		return nil, fmt.Errorf("unknown list element type %v", x[0])
	}
	return nil, fmt.Errorf("unexpected JSON %T", v)
}

func number(n json.Number) (any, error) {
	if strings.ContainsAny(string(n), ".eE") {
		return n.Float64()
	}
	return n.Int64()
}

func convList[T any](xs []any, conv func(any) (T, bool)) ([]T, error) {
	out := make([]T, len(xs))
	for i, e := range xs {
		t, ok := conv(e)
		if !ok {
			return nil, fmt.Errorf("list element %d: unexpected %v", i, e)
		}
		out[i] = t
	}
	return out, nil
}

// filterProps turns NodeFilter.Props into the $props parameter of
// nodeFilter. ok is false when a condition can never match (graph's Match
// never matches a list or map wanted value).
func filterProps(f map[string]any) (conds []map[string]any, ok bool, err error) {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	conds = []map[string]any{}
	for _, k := range keys {
		want, err := graph.Normalize(f[k])
		if err != nil {
			return nil, false, fmt.Errorf("filter props.%s: %w", k, err)
		}
		switch want.(type) {
		case nil, string, bool, int64, float64:
		default:
			return nil, false, nil
		}
		_, isString := want.(string)
		conds = append(conds, map[string]any{
			"key": prefixProp + k, "mapKey": prefixMap + k, "emptyKey": prefixEmpty + k,
			"value": want, "isString": isString,
		})
	}
	return conds, true, nil
}
