package memdb

import (
	"slices"

	"github.com/riskgraph/riskgraph/graph"
)

// Elements are numbered by dense slots, and three copy-on-write arrays map a
// slot to its node, its edge and its adjacency list. A traversal then costs
// one array index per edge visited, never a radix-tree lookup; readers hold
// an immutable version while the single writer builds the next one, copying
// only the chunks it touches.

const (
	chunkBits = 10
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1
)

// vec is an immutable version of a slot-indexed array.
type vec[T any] struct {
	chunks []*[chunkSize]T
	n      uint32 // slots in use (the next free slot)
}

func (v *vec[T]) at(i uint32) T {
	return v.chunks[i>>chunkBits][i&chunkMask]
}

// vecTxn is a writer's view of a vec: reads fall through to the base
// version, writes copy the chunk they land in once per transaction.
type vecTxn[T any] struct {
	chunks []*[chunkSize]T
	n      uint32
	copied bool   // chunks slice already copied
	owned  []bool // by chunk: allocated or copied by this txn
}

func (v vec[T]) txn() *vecTxn[T] {
	return &vecTxn[T]{chunks: v.chunks, n: v.n}
}

func (t *vecTxn[T]) at(i uint32) T {
	return t.chunks[i>>chunkBits][i&chunkMask]
}

func (t *vecTxn[T]) set(i uint32, val T) {
	c := i >> chunkBits
	if int(c) >= len(t.owned) || !t.owned[c] {
		t.own(c)
	}
	t.chunks[c][i&chunkMask] = val
}

// own makes chunk c private to this transaction, copying it once.
func (t *vecTxn[T]) own(c uint32) {
	if !t.copied {
		t.chunks = slices.Clone(t.chunks)
		t.copied = true
	}
	for len(t.owned) < len(t.chunks) {
		t.owned = append(t.owned, false)
	}
	fresh := new([chunkSize]T)
	if t.chunks[c] != nil {
		*fresh = *t.chunks[c]
	}
	t.chunks[c] = fresh
	t.owned[c] = true
}

// grow makes slot i addressable.
func (t *vecTxn[T]) grow(i uint32) {
	c := int(i >> chunkBits)
	for len(t.chunks) <= c {
		if !t.copied {
			t.chunks = slices.Clone(t.chunks)
			t.copied = true
		}
		t.chunks = append(t.chunks, nil)
	}
	if t.chunks[c] == nil {
		t.own(uint32(c))
	}
}

// push appends val at the next free slot and returns the slot.
func (t *vecTxn[T]) push(val T) uint32 {
	i := t.n
	t.grow(i)
	t.set(i, val)
	t.n++
	return i
}

func (t *vecTxn[T]) commit() vec[T] { return vec[T]{chunks: t.chunks, n: t.n} }

// adj is one adjacency entry: the edge and the node at its other end, by
// slot and by id (string headers shared with the records), the edge kind,
// the other node's kind, and whether the edge leaves (out) or enters this
// node. Carrying the ids costs 32 bytes per entry but lets a walk build its
// steps from the entries it is reading anyway: with ids in separate arrays
// every reached node cost two more cache misses (189 ms against 151 ms for a
// full walk of gen.Large).
type adj struct {
	otherID graph.ID
	edgeID  graph.ID
	edge    uint32
	other   uint32
	kind    uint8 // index into graph.EdgeKinds
	okind   uint8 // index into graph.Kinds
	out     bool
}

// removeAdj returns a copy of list without the entry for edge slot e.
func removeAdj(list []adj, e uint32) []adj {
	i := slices.IndexFunc(list, func(a adj) bool { return a.edge == e })
	if i < 0 {
		return list
	}
	out := make([]adj, 0, len(list)-1)
	out = append(out, list[:i]...)
	return append(out, list[i+1:]...)
}

var (
	kindIndex     = map[graph.Kind]uint8{}
	edgeKindIndex = map[graph.EdgeKind]uint8{}
)

func init() {
	for i, k := range graph.Kinds {
		kindIndex[k] = uint8(i)
	}
	for i, k := range graph.EdgeKinds {
		edgeKindIndex[k] = uint8(i)
	}
}

// kindMask is a bit set of edge kinds; zero means every kind.
type kindMask uint32

func maskOf(kinds []graph.EdgeKind) kindMask {
	var m kindMask
	for _, k := range kinds {
		if i, ok := edgeKindIndex[k]; ok {
			m |= 1 << i
		} else {
			m |= 1 << 31 // an unknown kind matches nothing, but keeps the mask non-zero
		}
	}
	return m
}

func (m kindMask) has(k uint8) bool { return m == 0 || m&(1<<k) != 0 }
