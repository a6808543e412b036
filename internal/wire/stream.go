package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// DecodeBatch reads a batch object from dec one node and one edge at a
// time. json.Decoder buffers each value it decodes whole, so decoding the
// batch as one value held the entire request body (and its doubling
// growth) in the decoder next to the decoded batch; element by element
// the buffer holds one node.
//
// Unknown fields are refused if dec refuses them. A syntax error ends the
// decode; a type error (a number where a string belongs) is reported with
// the element it is in, after the rest of the batch was read.
func DecodeBatch(dec *json.Decoder) (graph.Batch, error) {
	var b graph.Batch
	var firstErr error
	keep := func(where string, err error) {
		if firstErr == nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				field := te.Field
				if field != "" {
					field = "." + field
				}
				err = fmt.Errorf("field %s%s: expected %s, found JSON %s", where, field, te.Type, te.Value)
			} else {
				err = fmt.Errorf("%s: %w", where, err)
			}
			firstErr = &InputError{err}
		}
	}
	if err := delim(dec, '{', "batch"); err != nil {
		return b, err
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return b, err
		}
		key, _ := kt.(string)
		switch key {
		case "source":
			err = dec.Decode(&b.Scope.Source)
		case "scope":
			err = dec.Decode(&b.Scope.Key)
		case "run":
			err = dec.Decode(&b.Run)
		case "observedAt":
			var at *time.Time
			if err = dec.Decode(&at); err == nil && at != nil {
				b.ObservedAt = *at
			}
		case "delete":
			err = dec.Decode(&b.Delete)
		case "nodes":
			err = elements(dec, key, keep, func() error {
				var n Node
				if err := dec.Decode(&n); err != nil {
					return err
				}
				b.Nodes = append(b.Nodes, graph.Node{ID: n.ID, Kind: n.Kind, Name: n.Name, Env: n.Env, Props: n.Props, DataClasses: n.DataClasses, Sources: n.Sources})
				return nil
			})
		case "edges":
			err = elements(dec, key, keep, func() error {
				var e Edge
				if err := dec.Decode(&e); err != nil {
					return err
				}
				b.Edges = append(b.Edges, graph.Edge{ID: e.ID, Kind: e.Kind, From: e.From, To: e.To, Props: e.Props, DataClasses: e.DataClasses, Sources: e.Sources})
				return nil
			})
		default:
			return b, fmt.Errorf("json: unknown field %q in the batch", key)
		}
		if err != nil {
			if fatal(err) {
				return b, err
			}
			keep(key, err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return b, err
	}
	return b, firstErr
}

// InputError is a problem with one field or element of a batch that was
// otherwise read to its end: the request body can still be read on.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// elements decodes a JSON array (or null) element by element.
func elements(dec *json.Decoder, name string, keep func(string, error), one func() error) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t == nil {
		return nil
	}
	if t != json.Delim('[') {
		return fmt.Errorf("%s: want an array, found %v", name, t)
	}
	for i := 0; dec.More(); i++ {
		if err := one(); err != nil {
			if fatal(err) {
				return err
			}
			keep(fmt.Sprintf("%s[%d]", name, i), err)
		}
	}
	_, err = dec.Token()
	return err
}

// fatal reports errors after which the stream cannot be read on.
func fatal(err error) bool {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	return errors.As(err, &se) || !errors.As(err, &te) && !isUnknownField(err)
}

func isUnknownField(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "json: unknown field ")
}

func delim(dec *json.Decoder, want json.Delim, what string) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != want {
		return fmt.Errorf("%s: want %q, found %v", what, string(want), t)
	}
	return nil
}
