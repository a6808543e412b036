package wire

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
)

func decode(t *testing.T, doc string) (graph.Batch, error) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	return DecodeBatch(dec)
}

func TestDecodeBatchStream(t *testing.T) {
	b, err := decode(t, `{"source": "k8s", "scope": "prod", "run": "r1", "observedAt": "2026-12-03T08:00:00Z",
		"nodes": [{"id": "service:a", "kind": "Service", "name": "a", "props": {"port": 8080}},
		          {"id": "service:b", "kind": "Service", "name": "b", "dataClasses": ["PII"]}],
		"edges": [{"id": "calls:a:b", "kind": "CALLS", "from": "service:a", "to": "service:b", "sources": [{"agent": "k8s", "file": "a.yaml", "line": 3}]}],
		"delete": ["service:old"]}`)
	if err != nil {
		t.Fatal(err)
	}
	if b.Scope != (graph.Scope{Source: "k8s", Key: "prod"}) || b.Run != "r1" || b.ObservedAt.Hour() != 8 ||
		len(b.Nodes) != 2 || b.Nodes[1].DataClasses[0] != graph.PII || len(b.Edges) != 1 || b.Edges[0].Sources[0].Line != 3 ||
		len(b.Delete) != 1 {
		t.Fatalf("decoded %+v", b)
	}
	// The same batch through FromBatch and json.Marshal round-trips.
	raw, _ := json.Marshal(FromBatch(b))
	again, err := decode(t, string(raw))
	if err != nil || len(again.Nodes) != 2 || again.Nodes[0].Props.Int("port") != 8080 {
		t.Fatalf("round trip: %v %+v", err, again)
	}
	if b, err := decode(t, `{"source": "x", "scope": "y", "run": "z", "nodes": null}`); err != nil || b.Nodes != nil {
		t.Errorf("null nodes: %v %+v", err, b)
	}
}

func TestDecodeBatchErrors(t *testing.T) {
	for doc, want := range map[string]string{
		// a type error names the element and is an InputError: the stream was read on
		`{"nodes": [{"id": "a", "kind": "Service", "name": "a"}, {"id": "b", "kind": "Service", "name": 7}], "run": "r"}`: "field nodes[1].name: expected string, found JSON number",
		`{"edges": [{"id": "e", "kind": "CALLS", "from": "a", "to": "b", "weight": 2}]}`:                                  `edges[0]: json: unknown field "weight"`,
		`{"source": 5}`: "field source: expected string",
	} {
		_, err := decode(t, doc)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s:\n  got %v, want an InputError containing %q", doc, err, want)
		}
	}
	for doc, want := range map[string]string{
		`{"nodes": [{"id": "a", "kind": "Service", "name": "a"`: "unexpected EOF",
		`{"nodes": {"id": "a"}}`:                                "nodes: want an array",
		`{"colour": "blue"}`:                                    `unknown field "colour"`,
	} {
		_, err := decode(t, doc)
		var ie *InputError
		if err == nil || errors.As(err, &ie) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s:\n  got %v, want a fatal error containing %q", doc, err, want)
		}
	}
}
