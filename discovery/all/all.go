// Package all lists every discovery agent and linker the `discover` command
// runs. Each group of agents registers itself from a file of its own here
// (k8s.go, specs.go, …), so adding an agent never edits a shared list.
package all

import (
	"sort"

	"github.com/riskgraph/riskgraph/discovery"
)

var (
	fileAgents []discovery.Agent
	dirAgents  []discovery.DirAgent
	linkers    []discovery.Linker
)

// Agents returns the file agents, in registration order.
func Agents() []discovery.Agent { return append([]discovery.Agent(nil), fileAgents...) }

// DirAgents returns the directory agents (Helm charts, Kustomize overlays).
func DirAgents() []discovery.DirAgent { return append([]discovery.DirAgent(nil), dirAgents...) }

// Linkers returns the linkers ordered by phase (stable within a phase).
func Linkers() []discovery.Linker {
	out := append([]discovery.Linker(nil), linkers...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Phase() < out[j].Phase() })
	return out
}
