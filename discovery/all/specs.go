package all

import (
	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/classify"
	"github.com/riskgraph/riskgraph/discovery/compose"
	"github.com/riskgraph/riskgraph/discovery/graphql"
	"github.com/riskgraph/riskgraph/discovery/openapi"
	"github.com/riskgraph/riskgraph/discovery/proto"
	"github.com/riskgraph/riskgraph/discovery/specmatch"
	"github.com/riskgraph/riskgraph/discovery/sqlddl"
)

// Compose files, API specs (OpenAPI, Swagger, gRPC, GraphQL), SQL DDL, and the
// linkers that match specs and DDL to what was deployed, classify data and
// roll the classes up.
func init() {
	fileAgents = append(fileAgents, specAgents()...)
	linkers = append(linkers, specLinkers()...)
}

func specAgents() []discovery.Agent {
	return []discovery.Agent{compose.Agent{}, openapi.Agent{}, proto.Agent{}, graphql.Agent{}, sqlddl.Agent{}}
}

func specLinkers() []discovery.Linker {
	return []discovery.Linker{specmatch.Linker{}, sqlddl.Linker{}, compose.Exposure{},
		classify.Linker{}, classify.Propagate{}}
}
