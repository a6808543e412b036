package all

import "github.com/riskgraph/riskgraph/discovery/sbom"

// SBOM files, source trees and OCI layouts cataloged with syft, and the
// linker that attaches their packages to services.
func init() {
	fileAgents = append(fileAgents, sbom.Agent{})
	dirAgents = append(dirAgents, sbom.DirAgent{})
	linkers = append(linkers, sbom.Linker{})
}
