package otel

import (
	"os"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/riskgraph/riskgraph/discovery"
)

// FuzzRead feeds arbitrary bytes to both decoders: they return an error or
// spans, never panic, and a rejected input leaves the observer as it was.
func FuzzRead(f *testing.F) {
	for _, p := range []string{shopJSON, shopJSONL, edgeCases, "testdata/bad/truncated.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	td := synthetic(50, 4)
	b, _ := proto.Marshal(td)
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []Format{Detect, JSON, Protobuf} {
			o := NewObserver("")
			_, ferr := o.Read("fuzz", format, BytesOpener(data))
			if ferr != nil && (len(o.recs) != 0 || o.Spans != 0) {
				t.Fatalf("a rejected input left %d records", len(o.recs))
			}
			o.Build(discovery.NewCollector(""))
		}
	})
}
