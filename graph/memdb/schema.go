package memdb

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
)

// The go-memdb schema, declared once: one table of nodes with only its
// primary index. At a million rows every go-memdb index costs about 500
// bytes per row and a microsecond per insert, so there are no secondary
// indexes: listing a kind is a prefix scan of the primary index (ids start
// with the kind, see graph.ID). Edges are not in go-memdb at all. There are
// three of them per node, nobody lists them in id order, and they are
// reached through the adjacency arrays (cow.go) or by id through edgeIndex;
// keeping them out of the radix trees halves the memory per element and
// makes recovery four times faster.
const (
	tableNodes = "nodes"
	indexID    = "id"
)

func schema() *memdb.DBSchema {
	return &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		tableNodes: {Name: tableNodes, Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: idIndexer{}},
		}},
	}}
}

// idIndexer indexes a row by its id string. It is hand-written instead of
// memdb.StringFieldIndex because that one reflects on every call, which
// dominates bulk loads.
type idIndexer struct{}

type ided interface{ key() string }

func (idIndexer) FromObject(obj any) (bool, []byte, error) {
	r, ok := obj.(ided)
	if !ok {
		return false, nil, fmt.Errorf("memdb: cannot index %T", obj)
	}
	k := r.key()
	b := make([]byte, len(k)+1)
	copy(b, k)
	return true, b, nil
}

func (idIndexer) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("memdb: want one id argument, got %d", len(args))
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("memdb: id argument is %T, want string", args[0])
	}
	b := make([]byte, len(s)+1)
	copy(b, s)
	return b, nil
}

// PrefixFromArgs lets First/Get with the "id_prefix" index scan a kind.
func (idIndexer) PrefixFromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("memdb: want one prefix argument, got %d", len(args))
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("memdb: prefix argument is %T, want string", args[0])
	}
	return []byte(s), nil
}
