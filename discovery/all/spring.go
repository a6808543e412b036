package all

import "github.com/riskgraph/riskgraph/discovery/spring"

// Spring Boot configuration: the databases, brokers and peers a service's
// application.properties / application.yml name.
func init() {
	fileAgents = append(fileAgents, spring.Agent{})
	linkers = append(linkers, spring.Linker{})
}
