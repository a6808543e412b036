package discovery

import (
	"sort"

	"github.com/riskgraph/riskgraph/graph"
)

// Fact is something an agent read that is not itself a node or an edge but
// that a linker needs to resolve references across files: a Kubernetes
// Service's selector, a ConfigMap's keys, an nginx location. Facts travel
// with the per-file Collector, so a bad file contributes no facts either,
// and they never reach a batch.
type Fact struct {
	Agent string
	// Key identifies the fact; adding a fact with the same key again
	// replaces it (the same document read twice is one fact).
	Key   string
	Value any
}

// AddFact records v under key.
func (c *Collector) AddFact(agent, key string, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.facts == nil {
		c.facts = map[string]Fact{}
	}
	c.facts[key] = Fact{Agent: agent, Key: key, Value: v}
}

// Facts returns the facts whose key starts with prefix, in key order.
func (c *Collector) Facts(prefix string) []Fact {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Fact
	for k, f := range c.facts {
		if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func (c *Collector) mergeFacts(o *Collector) {
	for _, f := range o.Facts("") {
		c.AddFact(f.Agent, f.Key, f.Value)
	}
	for _, e := range o.Errors() {
		c.AddError(e)
	}
}

// AddError records a problem in part of an input that the agent read
// around (a chart template that does not render while the rest of the
// chart does). The run reports it like any file error, so it exits
// non-zero and does not sweep, but keeps what the agent did read.
func (c *Collector) AddError(e *FileError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.warnings = append(c.warnings, e)
}

// Errors returns the errors recorded with AddError.
func (c *Collector) Errors() []*FileError {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*FileError(nil), c.warnings...)
}

// Shared fact kinds: agents that know a service's environment or the names
// it answers to publish them, so linkers of other agents (a reverse proxy
// whose config says proxy_pass http://${API_HOST}) can resolve against
// them without depending on the agent that found the service.

// EnvFactPrefix prefixes ServiceEnv facts (EnvFactPrefix + service id).
const EnvFactPrefix = "env/"

// ServiceEnv is the environment a service runs with, references resolved
// (secret values are never included).
type ServiceEnv struct {
	Service graph.ID
	Name    string
	Image   string
	Env     map[string]string
}

// AliasFactPrefix prefixes HostAlias facts (AliasFactPrefix + name).
const AliasFactPrefix = "alias/"

// HostAlias says which nodes a host name stands for (a Kubernetes Service
// name stands for the workloads it selects).
type HostAlias struct {
	Name    string
	Targets []graph.ID
}
