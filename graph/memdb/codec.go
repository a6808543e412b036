package memdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// A compact binary codec for WAL records and snapshots. encoding/json or gob
// would be simpler, but recovery decodes millions of elements and must stay
// within seconds; this codec is varint-based, allocation-light, and interns
// the strings that repeat (kinds, agents, files, scopes, runs).

type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) byte1(v byte)     { e.b = append(e.b, v) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }

func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.byte1(0)
		return
	}
	e.byte1(1)
	e.varint(t.Unix())
	e.uvarint(uint64(t.Nanosecond()))
}

// Property value tags.
const (
	tagString byte = iota + 1
	tagBool
	tagInt
	tagFloat
	tagStrings
	tagInts
	tagFloats
	tagBools
	tagMap
)

func (e *encoder) props(p graph.Props) error {
	e.uvarint(uint64(len(p)))
	for _, k := range sortedKeys(p) { // sorted: deterministic bytes
		e.str(k)
		if err := e.value(p[k]); err != nil {
			return fmt.Errorf("property %q: %w", k, err)
		}
	}
	return nil
}

func (e *encoder) value(v any) error {
	switch x := v.(type) {
	case string:
		e.byte1(tagString)
		e.str(x)
	case bool:
		e.byte1(tagBool)
		if x {
			e.byte1(1)
		} else {
			e.byte1(0)
		}
	case int64:
		e.byte1(tagInt)
		e.varint(x)
	case float64:
		e.byte1(tagFloat)
		e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(x))
	case []string:
		e.byte1(tagStrings)
		e.uvarint(uint64(len(x)))
		for _, s := range x {
			e.str(s)
		}
	case []int64:
		e.byte1(tagInts)
		e.uvarint(uint64(len(x)))
		for _, i := range x {
			e.varint(i)
		}
	case []float64:
		e.byte1(tagFloats)
		e.uvarint(uint64(len(x)))
		for _, f := range x {
			e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(f))
		}
	case []bool:
		e.byte1(tagBools)
		e.uvarint(uint64(len(x)))
		for _, b := range x {
			if b {
				e.byte1(1)
			} else {
				e.byte1(0)
			}
		}
	case graph.Props:
		e.byte1(tagMap)
		return e.props(x)
	case nil:
		e.byte1(0) // a deletion marker inside a batch
	default:
		return fmt.Errorf("unsupported type %T", v)
	}
	return nil
}

func (e *encoder) classes(cs []graph.DataClass) {
	e.uvarint(uint64(len(cs)))
	for _, c := range cs {
		e.str(string(c))
	}
}

func (e *encoder) sources(ss []graph.Source) {
	e.uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s.Agent)
		e.str(s.File)
		e.varint(int64(s.Line))
		e.str(s.Detail)
	}
}

func (e *encoder) claims(cs []graph.Claim) {
	e.uvarint(uint64(len(cs)))
	for _, c := range cs {
		e.str(c.Scope.Source)
		e.str(c.Scope.Key)
		e.str(string(c.Run))
	}
}

func (e *encoder) node(n *graph.Node) error {
	e.str(string(n.ID))
	e.str(string(n.Kind))
	e.str(n.Name)
	e.str(n.Env)
	if err := e.props(n.Props); err != nil {
		return fmt.Errorf("node %s: %w", n.ID, err)
	}
	e.classes(n.DataClasses)
	e.sources(n.Sources)
	e.time(n.FirstSeen)
	e.time(n.LastSeen)
	e.claims(n.Claims)
	return nil
}

func (e *encoder) edge(x *graph.Edge) error {
	e.str(string(x.ID))
	e.str(string(x.Kind))
	e.str(string(x.From))
	e.str(string(x.To))
	return e.edgeRest(x)
}

// snapEdge encodes an edge for a snapshot, naming its ends by their ordinal
// in the snapshot's node order: recovery then needs no id lookup per edge.
func (e *encoder) snapEdge(x *graph.Edge, from, to uint32) error {
	e.str(string(x.ID))
	e.str(string(x.Kind))
	e.uvarint(uint64(from))
	e.uvarint(uint64(to))
	return e.edgeRest(x)
}

func (e *encoder) edgeRest(x *graph.Edge) error {
	if err := e.props(x.Props); err != nil {
		return fmt.Errorf("edge %s: %w", x.ID, err)
	}
	e.classes(x.DataClasses)
	e.sources(x.Sources)
	e.time(x.FirstSeen)
	e.time(x.LastSeen)
	e.claims(x.Claims)
	return nil
}

func (e *encoder) batch(b *graph.Batch) error {
	e.str(b.Scope.Source)
	e.str(b.Scope.Key)
	e.str(string(b.Run))
	e.time(b.ObservedAt)
	e.uvarint(uint64(len(b.Nodes)))
	for i := range b.Nodes {
		if err := e.node(&b.Nodes[i]); err != nil {
			return err
		}
	}
	e.uvarint(uint64(len(b.Edges)))
	for i := range b.Edges {
		if err := e.edge(&b.Edges[i]); err != nil {
			return err
		}
	}
	e.uvarint(uint64(len(b.Delete)))
	for _, id := range b.Delete {
		e.str(string(id))
	}
	return nil
}

// sortedKeys returns p's keys in order. Most elements have a handful of
// properties: those are sorted in a stack array without allocating.
func sortedKeys(p graph.Props) []string {
	if len(p) > 8 {
		return p.Keys()
	}
	var buf [8]string
	keys := buf[:0]
	for k := range p {
		i := len(keys)
		keys = append(keys, k)
		for ; i > 0 && keys[i-1] > k; i-- {
			keys[i] = keys[i-1]
		}
		keys[i] = k
	}
	return keys
}

var errShort = errors.New("record ends early")

// decoder reads what encoder wrote. It never panics on bad input: every
// read is bounds-checked and the first failure sticks in err.
type decoder struct {
	b      []byte
	err    error
	intern map[string]string
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte1() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 1 {
		d.fail(errShort)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) bytesN(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if uint64(len(d.b)) < n {
		d.fail(errShort)
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

// count reads a length and checks it against what is left, so a corrupt
// length cannot make the decoder allocate gigabytes.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail(fmt.Errorf("length %d exceeds the %d bytes left", n, len(d.b)))
		return 0
	}
	return int(n)
}

func (d *decoder) str() string { return string(d.bytesN(d.uvarint())) }

// istr reads a string that repeats across records and returns one shared copy.
func (d *decoder) istr() string {
	b := d.bytesN(d.uvarint())
	if len(b) == 0 {
		return ""
	}
	if d.intern == nil {
		d.intern = make(map[string]string)
	}
	if s, ok := d.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	d.intern[s] = s
	return s
}

func (d *decoder) time() time.Time {
	switch d.byte1() {
	case 0:
		return time.Time{}
	case 1:
		sec := d.varint()
		ns := d.uvarint()
		if ns >= 1e9 {
			d.fail(fmt.Errorf("bad nanoseconds %d", ns))
		}
		return time.Unix(sec, int64(ns)).UTC()
	default:
		d.fail(errors.New("bad time tag"))
		return time.Time{}
	}
}

func (d *decoder) f64() float64 {
	b := d.bytesN(8)
	if b == nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

func (d *decoder) props(depth int) graph.Props {
	n := d.count()
	if n == 0 || d.err != nil {
		return nil
	}
	if depth > 32 {
		d.fail(errors.New("properties nested too deep"))
		return nil
	}
	p := make(graph.Props, n)
	for range n {
		k := d.istr()
		p[k] = d.value(depth)
		if d.err != nil {
			return nil
		}
	}
	return p
}

func (d *decoder) value(depth int) any {
	switch t := d.byte1(); t {
	case 0:
		return nil
	case tagString:
		return d.str()
	case tagBool:
		return d.byte1() == 1
	case tagInt:
		return d.varint()
	case tagFloat:
		return d.f64()
	case tagStrings:
		n := d.count()
		out := make([]string, 0, n)
		for range n {
			out = append(out, d.str())
		}
		return out
	case tagInts:
		n := d.count()
		out := make([]int64, 0, n)
		for range n {
			out = append(out, d.varint())
		}
		return out
	case tagFloats:
		n := d.count()
		out := make([]float64, 0, n)
		for range n {
			out = append(out, d.f64())
		}
		return out
	case tagBools:
		n := d.count()
		out := make([]bool, 0, n)
		for range n {
			out = append(out, d.byte1() == 1)
		}
		return out
	case tagMap:
		p := d.props(depth + 1)
		if p == nil {
			p = graph.Props{}
		}
		return p
	default:
		d.fail(fmt.Errorf("unknown value tag %d", t))
		return nil
	}
}

func (d *decoder) classes() []graph.DataClass {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]graph.DataClass, 0, n)
	for range n {
		out = append(out, graph.DataClass(d.istr()))
	}
	return out
}

func (d *decoder) sources() []graph.Source {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]graph.Source, 0, n)
	for range n {
		out = append(out, graph.Source{Agent: d.istr(), File: d.istr(), Line: int(d.varint()), Detail: d.str()})
	}
	return out
}

func (d *decoder) claims() []graph.Claim {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]graph.Claim, 0, n)
	for range n {
		out = append(out, graph.Claim{Scope: graph.Scope{Source: d.istr(), Key: d.istr()}, Run: graph.RunID(d.istr())})
	}
	return out
}

func (d *decoder) node(n *graph.Node) {
	n.ID = graph.ID(d.str())
	n.Kind = graph.Kind(d.istr())
	n.Name = d.str()
	n.Env = d.istr()
	n.Props = d.props(0)
	n.DataClasses = d.classes()
	n.Sources = d.sources()
	n.FirstSeen = d.time()
	n.LastSeen = d.time()
	n.Claims = d.claims()
}

func (d *decoder) edge(e *graph.Edge) {
	e.ID = graph.ID(d.str())
	e.Kind = graph.EdgeKind(d.istr())
	e.From = graph.ID(d.str())
	e.To = graph.ID(d.str())
	d.edgeRest(e)
}

func (d *decoder) snapEdge(e *graph.Edge) (from, to uint64) {
	e.ID = graph.ID(d.str())
	e.Kind = graph.EdgeKind(d.istr())
	from, to = d.uvarint(), d.uvarint()
	d.edgeRest(e)
	return from, to
}

func (d *decoder) edgeRest(e *graph.Edge) {
	e.Props = d.props(0)
	e.DataClasses = d.classes()
	e.Sources = d.sources()
	e.FirstSeen = d.time()
	e.LastSeen = d.time()
	e.Claims = d.claims()
}

func (d *decoder) batch() graph.Batch {
	var b graph.Batch
	b.Scope.Source = d.istr()
	b.Scope.Key = d.istr()
	b.Run = graph.RunID(d.istr())
	b.ObservedAt = d.time()
	if n := d.count(); n > 0 {
		b.Nodes = make([]graph.Node, n)
		for i := range b.Nodes {
			d.node(&b.Nodes[i])
		}
	}
	if n := d.count(); n > 0 {
		b.Edges = make([]graph.Edge, n)
		for i := range b.Edges {
			d.edge(&b.Edges[i])
		}
	}
	if n := d.count(); n > 0 {
		b.Delete = make([]graph.ID, n)
		for i := range b.Delete {
			b.Delete[i] = graph.ID(d.str())
		}
	}
	return b
}
