package scoring

import (
	"context"
	"fmt"
	"testing"
)

func TestSmokeDemo(t *testing.T) {
	e := demoEngine(t)
	ss, err := e.ScoreAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		fmt.Printf("%6.2f S=%.2f E=%.3f I=%.2f %s\n", s.Risk, s.Severity, s.Exploitability, s.Impact, e.name(context.Background(), s.Finding))
		for _, f := range s.Factors {
			fmt.Printf("        %-12s %.3f %s\n", f.Name, f.Value, f.Detail)
		}
	}
}
