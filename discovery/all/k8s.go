package all

import "github.com/riskgraph/riskgraph/discovery/k8s"

func init() {
	fileAgents = append(fileAgents, k8s.Agent{})
	dirAgents = append(dirAgents, k8s.HelmAgent{}, k8s.KustomizeAgent{})
	linkers = append(linkers, k8s.Resolver{})
}
