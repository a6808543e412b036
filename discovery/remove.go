package discovery

import "github.com/riskgraph/riskgraph/graph"

// RemoveNode deletes the node with id and every edge touching it from c. A
// linker uses it to replace a provisional element (an API spec read before
// its service was known) by the final one; agents never need it.
func (c *Collector) RemoveNode(id graph.ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.nodes, id)
	delete(c.nodeAgent, id)
	for eid, e := range c.edges {
		if e.From == id || e.To == id {
			delete(c.edges, eid)
			delete(c.edgeAgent, eid)
		}
	}
}

// AgentOf returns the name of the agent that first added the node id ("" if
// unknown), so a linker re-keying a node can keep its attribution.
func (c *Collector) AgentOf(id graph.ID) string { return c.agentOfNode(id) }
