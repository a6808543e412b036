package all

import "github.com/riskgraph/riskgraph/discovery/k8s"

func init() {
	fileAgents = append(fileAgents, k8s.Agent{})
	linkers = append(linkers, k8s.Resolver{})
}
