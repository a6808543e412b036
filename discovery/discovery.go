// Package discovery is the framework every discovery agent plugs into: an
// agent reads files (or whole directories such as a Helm chart), adds nodes
// and edges with their evidence to a Collector, and the runner turns what
// all agents found into one graph.Batch per source and scope.
//
// Agents live in sub-packages (discovery/k8s, discovery/compose, …). They
// never talk to a store: the runner decides whether a batch is applied to
// the embedded store, sent to a server or printed (--dry-run).
package discovery

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// File is one input file handed to an agent.
type File struct {
	Path string // path as reported in evidence (relative to the walked root when possible)
	Abs  string // absolute path on disk
	Data []byte
}

// Agent reads one kind of file.
type Agent interface {
	// Name is the agent's name, used as graph.Source.Agent and as the batch
	// scope's source.
	Name() string
	// Detect reports whether the agent reads f. It decides by content (a
	// Kubernetes manifest has apiVersion and kind; an OpenAPI document has
	// openapi or swagger), using the name only as a hint.
	Detect(f *File) bool
	// Read parses f and adds what it found to c. A broken file returns a
	// *FileError; what the agent added before the error is discarded by the
	// runner, so a bad file never contributes half its content.
	Read(ctx context.Context, f *File, c *Collector) error
}

// DirAgent reads a directory as a whole (a Helm chart, a Kustomize overlay).
// The runner offers every walked directory; when DetectDir is true the files
// below it are still offered to the file agents too.
type DirAgent interface {
	Name() string
	DetectDir(dir string) bool
	ReadDir(ctx context.Context, dir, rel string, c *Collector) error
}

// Linker runs once after every file was read, over everything all agents
// collected: it derives what no single file says (exposure through a proxy
// route, an OpenAPI spec matched to its service, data classes from fields).
type Linker interface {
	Name() string
	// Phase orders linkers: lower first. PhaseMatch attaches specs and
	// routes to services, PhaseClassify tags data classes, PhaseExposure
	// derives internet exposure, PhasePropagate rolls classes up (API →
	// service) once everything else is in place.
	Phase() int
	Link(ctx context.Context, c *Collector) error
}

// Linker phases.
const (
	// PhaseResolve turns what agents recorded as facts into nodes and
	// edges that need more than one file (a Deployment's env var naming a
	// Service defined elsewhere); it runs before everything else.
	PhaseResolve   = 5
	PhaseMatch     = 10
	PhaseClassify  = 20
	PhaseExposure  = 30
	PhasePropagate = 40
)

// FileError is a problem in one input file: where and what was expected.
type FileError struct {
	File string
	Line int // 0 when unknown
	Msg  string
	Err  error // underlying error, if any
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

func (e *FileError) Unwrap() error { return e.Err }

// Errorf returns a *FileError for file at line.
func Errorf(file string, line int, format string, args ...any) *FileError {
	return &FileError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// Collector accumulates nodes and edges from many agents and files. Adding
// the same id twice merges the two (properties, data classes and sources are
// unioned), so a workload seen in a manifest, an overlay and a chart becomes
// one node with three pieces of evidence. It is safe for concurrent use.
type Collector struct {
	mu    sync.Mutex
	nodes map[graph.ID]*graph.Node
	edges map[graph.ID]*graph.Edge
	// nodeAgent and edgeAgent record which agent first produced an element
	// (for the run summary).
	nodeAgent map[graph.ID]string
	edgeAgent map[graph.ID]string
	env       string
	facts     map[string]Fact
	warnings  []*FileError
}

// NewCollector returns an empty collector. env is the environment name the
// user gave (--env); agents use it for ids when the file does not say.
func NewCollector(env string) *Collector {
	return &Collector{
		nodes: map[graph.ID]*graph.Node{}, edges: map[graph.ID]*graph.Edge{},
		nodeAgent: map[graph.ID]string{}, edgeAgent: map[graph.ID]string{},
		env: env,
	}
}

// Env is the environment discovered elements belong to by default.
func (c *Collector) Env() string { return c.env }

// AddNode adds or merges n. agent is the name of the agent that saw it.
func (c *Collector) AddNode(agent string, n graph.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.nodes[n.ID]; ok {
		m := graph.MergeNode(old, &n, graph.Claim{}, time.Time{})
		m.Claims = nil
		*old = m
		return
	}
	n.Claims = nil
	c.nodes[n.ID] = &n
	c.nodeAgent[n.ID] = agent
}

// AddEdge adds or merges e.
func (c *Collector) AddEdge(agent string, e graph.Edge) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.edges[e.ID]; ok {
		m := graph.MergeEdge(old, &e, graph.Claim{}, time.Time{})
		m.Claims = nil
		*old = m
		return
	}
	e.Claims = nil
	c.edges[e.ID] = &e
	c.edgeAgent[e.ID] = agent
}

// Node returns the collected node with id, if any. The pointer stays valid;
// linkers may change it in place (under no concurrent agents).
func (c *Collector) Node(id graph.ID) (*graph.Node, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.nodes[id]
	return n, ok
}

// Edge returns the collected edge with id, if any.
func (c *Collector) Edge(id graph.ID) (*graph.Edge, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.edges[id]
	return e, ok
}

// Nodes returns the collected nodes of the given kinds (all when none), in
// id order.
func (c *Collector) Nodes(kinds ...graph.Kind) []*graph.Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*graph.Node
	for _, n := range c.nodes {
		if len(kinds) == 0 || containsKind(kinds, n.Kind) {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Edges returns the collected edges of the given kinds (all when none), in
// id order.
func (c *Collector) Edges(kinds ...graph.EdgeKind) []*graph.Edge {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*graph.Edge
	for _, e := range c.edges {
		if len(kinds) == 0 || containsEdgeKind(kinds, e.Kind) {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Len is the number of nodes and edges collected.
func (c *Collector) Len() (nodes, edges int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.nodes), len(c.edges)
}

// Merge adds everything in o to c (used to commit one file's result after it
// was read without error).
func (c *Collector) Merge(o *Collector) {
	for _, n := range o.Nodes() {
		c.AddNode(o.agentOfNode(n.ID), *n)
	}
	for _, e := range o.Edges() {
		c.AddEdge(o.agentOfEdge(e.ID), *e)
	}
	c.mergeFacts(o)
}

func (c *Collector) agentOfNode(id graph.ID) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodeAgent[id]
}

func (c *Collector) agentOfEdge(id graph.ID) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.edgeAgent[id]
}

// Batch returns everything collected as one batch for scope and run. One
// batch, not one per agent, because agents reference each other's nodes (a
// proxy route to a compose service, a spec matched to a Deployment) and a
// store checks edge endpoints per batch; each element's Sources still name
// the agent and file that saw it. An edge whose endpoint nobody found is left
// out and returned in dangling, so the batch never fails validation for a
// reference to something unseen. The Internet node is added when an edge
// uses it.
func (c *Collector) Batch(scope graph.Scope, run graph.RunID) (b graph.Batch, dangling []graph.Edge) {
	b = graph.Batch{Scope: scope, Run: run}
	for _, n := range c.Nodes() {
		b.Nodes = append(b.Nodes, *n)
	}
	internet := false
	if _, ok := c.Node(graph.InternetID); ok {
		internet = true
	}
	for _, e := range c.Edges() {
		_, okF := c.Node(e.From)
		_, okT := c.Node(e.To)
		if (!okF && e.From != graph.InternetID) || (!okT && e.To != graph.InternetID) {
			dangling = append(dangling, *e)
			continue
		}
		if !internet && (e.From == graph.InternetID || e.To == graph.InternetID) {
			internet = true
			b.Nodes = append(b.Nodes, graph.Node{ID: graph.InternetID, Kind: graph.Internet, Name: "Internet"})
		}
		b.Edges = append(b.Edges, *e)
	}
	return b, dangling
}

func containsKind(ks []graph.Kind, k graph.Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func containsEdgeKind(ks []graph.EdgeKind, k graph.EdgeKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}
