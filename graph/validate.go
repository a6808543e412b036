package graph

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// ValidationError names one bad element of a batch: where it is, which
// field, and what was expected.
type ValidationError struct {
	Element string // "nodes[3]", "edges[12]", "delete[0]", "batch"
	ID      ID     // the element's id when it has one
	Field   string
	Msg     string
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(e.Element)
	if e.ID != "" {
		fmt.Fprintf(&b, " (id %s)", e.ID)
	}
	if e.Field != "" {
		b.WriteString(" field ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// ErrInvalid is matched (errors.Is) by every batch validation failure.
var ErrInvalid = errors.New("invalid batch")

// InvalidBatchError carries every problem found in a batch (up to
// maxReported of them). Nothing of such a batch is applied.
type InvalidBatchError struct {
	Problems []*ValidationError
	Omitted  int
}

const maxReported = 50

func (e *InvalidBatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid batch: %d problem(s)", len(e.Problems)+e.Omitted)
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	if e.Omitted > 0 {
		fmt.Fprintf(&b, "; and %d more", e.Omitted)
	}
	return b.String()
}

func (e *InvalidBatchError) Is(target error) bool { return target == ErrInvalid }

type problems struct{ InvalidBatchError }

func (p *problems) add(elem string, id ID, field, format string, args ...any) {
	if len(p.Problems) >= maxReported {
		p.Omitted++
		return
	}
	p.Problems = append(p.Problems, &ValidationError{Element: elem, ID: id, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (p *problems) err() error {
	if len(p.Problems) == 0 {
		return nil
	}
	e := p.InvalidBatchError
	return &e
}

// Validate checks everything about b that does not need the store: scope and
// run present, known kinds, ids present and matching their kind, edge
// endpoints of admissible kinds, storable properties, known data classes.
// It normalises property values in place (int → int64, []any → typed list).
// Stores call it, then check with CheckEndpoints that every edge's ends
// exist; a batch failing either is rejected whole.
func (b *Batch) Validate() error {
	var p problems
	if b.Scope.Source == "" {
		p.add("batch", "", "scope.source", "is empty (want the agent or importer name)")
	}
	if b.Run == "" {
		p.add("batch", "", "run", "is empty (want the run id)")
	}
	for i := range b.Nodes {
		n := &b.Nodes[i]
		el := fmt.Sprintf("nodes[%d]", i)
		if !n.Kind.Valid() {
			p.add(el, n.ID, "kind", "unknown node kind %q (want one of %s)", n.Kind, joinKinds(Kinds))
		}
		switch {
		case n.ID == "":
			p.add(el, "", "id", "is empty (derive it with graph.NodeID from the natural key)")
		case n.Kind.Valid() && !strings.HasPrefix(string(n.ID), Prefix(n.Kind)+":"):
			p.add(el, n.ID, "id", "does not match kind %s (want prefix %q)", n.Kind, Prefix(n.Kind)+":")
		}
		if strings.TrimSpace(n.Name) == "" {
			p.add(el, n.ID, "name", "is empty")
		}
		checkCommon(&p, el, n.ID, &n.Props, n.DataClasses, n.Sources)
	}
	for i := range b.Edges {
		e := &b.Edges[i]
		el := fmt.Sprintf("edges[%d]", i)
		if !e.Kind.Valid() {
			p.add(el, e.ID, "kind", "unknown edge kind %q (want one of %s)", e.Kind, joinKinds(EdgeKinds))
		}
		switch {
		case e.ID == "":
			p.add(el, "", "id", "is empty (derive it with graph.EdgeID or graph.NewEdge)")
		case e.Kind.Valid() && !strings.HasPrefix(string(e.ID), EdgePrefix(e.Kind)+":"):
			p.add(el, e.ID, "id", "does not match kind %s (want prefix %q)", e.Kind, EdgePrefix(e.Kind)+":")
		}
		fk, fok := e.From.KindOf()
		tk, tok := e.To.KindOf()
		if e.From == "" {
			p.add(el, e.ID, "from", "is empty")
		} else if !fok {
			p.add(el, e.ID, "from", "%q is not a node id", e.From)
		}
		if e.To == "" {
			p.add(el, e.ID, "to", "is empty")
		} else if !tok {
			p.add(el, e.ID, "to", "%q is not a node id", e.To)
		}
		if fok && tok && e.Kind.Valid() && !e.Kind.Allows(fk, tk) {
			p.add(el, e.ID, "kind", "%s may not connect %s → %s", e.Kind, fk, tk)
		}
		checkCommon(&p, el, e.ID, &e.Props, e.DataClasses, e.Sources)
	}
	for i, id := range b.Delete {
		el := fmt.Sprintf("delete[%d]", i)
		if id == "" {
			p.add(el, "", "id", "is empty")
			continue
		}
		if _, ok := id.KindOf(); !ok {
			if _, ok := id.EdgeKindOf(); !ok {
				p.add(el, id, "id", "is neither a node nor an edge id")
			}
		}
	}
	return p.err()
}

func checkCommon(p *problems, el string, id ID, props *Props, classes []DataClass, sources []Source) {
	if *props != nil && !normalized(*props) {
		np, err := normalizeMap(*props, "props")
		if err != nil {
			p.add(el, id, "props", "%v", err)
		} else {
			*props = np
		}
	}
	for j, c := range classes {
		if !c.Valid() {
			p.add(el, id, fmt.Sprintf("dataClasses[%d]", j), "unknown data class %q (want one of %s)", c, joinKinds(DataClasses))
		}
	}
	for j, s := range sources {
		if s.Agent == "" {
			p.add(el, id, fmt.Sprintf("sources[%d].agent", j), "is empty")
		}
	}
}

// normalized reports whether every value of p already has a property type,
// so that the common case costs no copy.
func normalized(p Props) bool {
	for k, v := range p {
		if k == "" {
			return false
		}
		switch x := v.(type) {
		case nil, string, bool, int64, []string, []int64, []bool:
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return false
			}
		case Props:
			if !normalized(x) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// CheckEndpoints reports every edge of b whose from or to node is neither
// among b's nodes nor already stored (exists), or that b itself deletes.
func (b *Batch) CheckEndpoints(exists func(ID) bool) error {
	var p problems
	inBatch := make(map[ID]struct{}, len(b.Nodes))
	for i := range b.Nodes {
		inBatch[b.Nodes[i].ID] = struct{}{}
	}
	deleted := make(map[ID]struct{}, len(b.Delete))
	for _, id := range b.Delete {
		deleted[id] = struct{}{}
	}
	present := func(id ID) bool {
		if _, ok := deleted[id]; ok {
			_, re := inBatch[id]
			return re // deleted then re-created in the same batch
		}
		if _, ok := inBatch[id]; ok {
			return true
		}
		return exists(id)
	}
	for i := range b.Edges {
		e := &b.Edges[i]
		if !present(e.From) {
			p.add(fmt.Sprintf("edges[%d]", i), e.ID, "from", "dangling: node %s is neither in the batch nor in the store", e.From)
		}
		if !present(e.To) {
			p.add(fmt.Sprintf("edges[%d]", i), e.ID, "to", "dangling: node %s is neither in the batch nor in the store", e.To)
		}
	}
	return p.err()
}

func joinKinds[T ~string](ks []T) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}
