package graph

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// ID is a stable identifier derived from an element's natural key, so that
// rediscovering the same thing upserts instead of duplicating it.
//
// An id is "<prefix>:<24 base32 characters>", where the prefix is the
// lower-cased kind (node kinds) or edge kind. The prefix lets a store list a
// kind as a prefix range of its primary index, so no per-kind index is needed.
type ID string

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// hashLen is the number of hash bytes in an id: 120 bits, collision-free for
// any estate this side of a billion elements.
const hashLen = 15

func keyID(prefix string, parts []string) ID {
	h := sha256.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0x1f})
		}
		h.Write([]byte(p))
	}
	var sum [sha256.Size]byte
	return ID(prefix + ":" + idEncoding.EncodeToString(h.Sum(sum[:0])[:hashLen]))
}

// NodeID returns the id of the node of kind k with the given natural key
// (for example env, namespace and name of a service; method, path and
// service id of an API; the purl of a package).
func NodeID(k Kind, key ...string) ID { return keyID(Prefix(k), key) }

// EdgeID returns the id of the edge of kind k between from and to. Extra key
// parts distinguish parallel edges of the same kind, which are rare.
func EdgeID(k EdgeKind, from, to ID, extra ...string) ID {
	return keyID(EdgePrefix(k), append([]string{string(from), string(to)}, extra...))
}

// InternetID is the id of the single Internet node.
var InternetID = NodeID(Internet, "internet")

// Prefix is the id prefix of node kind k.
func Prefix(k Kind) string { return strings.ToLower(string(k)) }

// EdgePrefix is the id prefix of edge kind k.
func EdgePrefix(k EdgeKind) string { return strings.ToLower(string(k)) }

// KindOf returns the node kind encoded in id, if it is a node id.
func (id ID) KindOf() (Kind, bool) {
	p, _, ok := strings.Cut(string(id), ":")
	if !ok {
		return "", false
	}
	k, ok := prefixKind[p]
	return k, ok
}

// EdgeKindOf returns the edge kind encoded in id, if it is an edge id.
func (id ID) EdgeKindOf() (EdgeKind, bool) {
	p, _, ok := strings.Cut(string(id), ":")
	if !ok {
		return "", false
	}
	k, ok := prefixEdgeKind[p]
	return k, ok
}

var (
	prefixKind     = map[string]Kind{}
	prefixEdgeKind = map[string]EdgeKind{}
)

func init() {
	for _, k := range Kinds {
		prefixKind[Prefix(k)] = k
	}
	for _, k := range EdgeKinds {
		prefixEdgeKind[EdgePrefix(k)] = k
	}
}
