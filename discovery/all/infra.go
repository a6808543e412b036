package all

import (
	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/cloudformation"
	"github.com/riskgraph/riskgraph/discovery/terraform"
)

// Infrastructure as code: Terraform modules (read a directory at a time so
// references across files resolve) and CloudFormation/SAM templates, and
// the linker that routes an API gateway to the operations of the spec that
// defines it.
func init() {
	fileAgents = append(fileAgents, infraAgents()...)
	dirAgents = append(dirAgents, infraDirAgents()...)
	linkers = append(linkers, infraLinkers()...)
}

func infraAgents() []discovery.Agent { return []discovery.Agent{cloudformation.Agent{}} }

func infraDirAgents() []discovery.DirAgent { return []discovery.DirAgent{terraform.Agent{}} }

func infraLinkers() []discovery.Linker {
	return []discovery.Linker{cloudformation.CrossStack{}, cloudformation.Specs{}}
}
