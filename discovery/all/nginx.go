package all

import "github.com/riskgraph/riskgraph/discovery/nginx"

func init() {
	fileAgents = append(fileAgents, nginx.Agent{})
	linkers = append(linkers, nginx.Linker{})
}
