package aws

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/discovery/aws/awsfake"
)

func TestSmoke(t *testing.T) {
	s := awsfake.New("testdata/estate")
	defer s.Close()
	rep, err := Discover(context.Background(), Options{Config: s.Config(), Regions: []string{"us-east-1"}, Timeout: 5 * time.Second, MaxBackoff: 10 * time.Millisecond, Run: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rep.Errors {
		t.Log(e)
	}
	b, _ := json.MarshalIndent(rep.Batch, "", " ")
	os.WriteFile("/tmp/aws-batch.json", b, 0o644)
	t.Log(rep.NodesByKind, rep.EdgesByKind, len(rep.Dangling))
	for _, d := range rep.Dangling {
		t.Log("dangling", d.Kind, d.From, d.To)
	}
	t.Log(s.Ops())
}
