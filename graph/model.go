// Package graph is riskgraph's property-graph model: node and edge kinds,
// data classes, stable ids, the Batch an agent emits, and the narrow Store
// and View interfaces every backend implements.
//
// The model is deliberately closed: kinds, edge kinds and data classes come
// from the allow-lists below. Backends rely on that (Neo4j labels and
// relationship types are never taken from input), and validation rejects
// anything outside them before a batch touches a store.
package graph

import (
	"slices"
	"time"
)

// Kind is a node label.
type Kind string

// Node kinds. The string is the label used in every backend and in the API.
const (
	Internet      Kind = "Internet"
	Application   Kind = "Application"
	Service       Kind = "Service"
	API           Kind = "API"
	Gateway       Kind = "Gateway"
	DataStore     Kind = "DataStore"
	Package       Kind = "Package"
	Vulnerability Kind = "Vulnerability"
	Finding       Kind = "Finding"
	Identity      Kind = "Identity"
	ThirdParty    Kind = "ThirdParty"
	Repository    Kind = "Repository"
	Image         Kind = "Image"
	Team          Kind = "Team"
)

// Kinds lists every node kind in a fixed order.
var Kinds = []Kind{Internet, Application, Service, API, Gateway, DataStore, Package,
	Vulnerability, Finding, Identity, ThirdParty, Repository, Image, Team}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// EdgeKind is a relationship type.
type EdgeKind string

// Edge kinds.
const (
	RoutesTo   EdgeKind = "ROUTES_TO"   // Internet/Gateway → Gateway/Service/API
	Exposes    EdgeKind = "EXPOSES"     // Service/Gateway → API
	Calls      EdgeKind = "CALLS"       // Service → Service/API/ThirdParty/Gateway
	Reads      EdgeKind = "READS"       // Service → DataStore
	Writes     EdgeKind = "WRITES"      // Service → DataStore
	DependsOn  EdgeKind = "DEPENDS_ON"  // Service/Image/Repository → Package, Package → Package
	AffectedBy EdgeKind = "AFFECTED_BY" // Package → Vulnerability
	FoundOn    EdgeKind = "FOUND_ON"    // Finding → any node
	RunsAs     EdgeKind = "RUNS_AS"     // Service → Identity
	CanAccess  EdgeKind = "CAN_ACCESS"  // Identity → DataStore/Service/API/…
	PartOf     EdgeKind = "PART_OF"     // → Application
	OwnedBy    EdgeKind = "OWNED_BY"    // → Team
	BuiltFrom  EdgeKind = "BUILT_FROM"  // Image → Repository
	RunsImage  EdgeKind = "RUNS_IMAGE"  // Service → Image
)

// EdgeKinds lists every edge kind in a fixed order.
var EdgeKinds = []EdgeKind{RoutesTo, Exposes, Calls, Reads, Writes, DependsOn, AffectedBy,
	FoundOn, RunsAs, CanAccess, PartOf, OwnedBy, BuiltFrom, RunsImage}

// Valid reports whether k is one of EdgeKinds.
func (k EdgeKind) Valid() bool { return slices.Contains(EdgeKinds, k) }

// anyKind in an endpoint rule admits every node kind.
var anyKind = Kinds

// endpoints says which node kinds an edge kind may connect. It catches agent
// bugs (a READS edge into a Package) at validation time instead of letting
// scoring walk nonsense. It is generous where real estates are varied.
var endpoints = map[EdgeKind]struct{ from, to []Kind }{
	RoutesTo:   {[]Kind{Internet, Gateway, Service}, []Kind{Gateway, Service, API}},
	Exposes:    {[]Kind{Service, Gateway}, []Kind{API}},
	Calls:      {[]Kind{Service, API, Gateway}, []Kind{Service, API, Gateway, ThirdParty, DataStore}},
	Reads:      {[]Kind{Service, API, Identity}, []Kind{DataStore, ThirdParty}},
	Writes:     {[]Kind{Service, API, Identity}, []Kind{DataStore, ThirdParty}},
	DependsOn:  {[]Kind{Service, Image, Repository, Package, Application}, []Kind{Package}},
	AffectedBy: {[]Kind{Package, Image, Service}, []Kind{Vulnerability}},
	FoundOn:    {[]Kind{Finding}, anyKind},
	RunsAs:     {[]Kind{Service}, []Kind{Identity}},
	CanAccess:  {[]Kind{Identity}, []Kind{DataStore, Service, API, Gateway, ThirdParty, Identity}},
	PartOf:     {anyKind, []Kind{Application}},
	OwnedBy:    {anyKind, []Kind{Team}},
	BuiltFrom:  {[]Kind{Image, Service, Package}, []Kind{Repository}},
	RunsImage:  {[]Kind{Service}, []Kind{Image}},
}

// Allows reports whether an edge of kind k may go from a node of kind from to
// a node of kind to.
func (k EdgeKind) Allows(from, to Kind) bool {
	r, ok := endpoints[k]
	return ok && slices.Contains(r.from, from) && slices.Contains(r.to, to)
}

// DataClass is a category of sensitive data.
type DataClass string

// Data classes, most sensitive first.
const (
	PII         DataClass = "PII"
	PCI         DataClass = "PCI"
	PHI         DataClass = "PHI"
	Credentials DataClass = "CREDENTIALS"
	Financial   DataClass = "FINANCIAL"
	Internal    DataClass = "INTERNAL"
)

// DataClasses lists every data class.
var DataClasses = []DataClass{PII, PCI, PHI, Credentials, Financial, Internal}

// Valid reports whether c is one of DataClasses.
func (c DataClass) Valid() bool { return slices.Contains(DataClasses, c) }

// Source is evidence: which agent said so, from which file (or API call) and
// line. Every claim in the graph can be traced back through its sources.
type Source struct {
	Agent  string `json:"agent"`
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// Claim records that a source scope saw an element in a run. Sweeps use
// claims: an element whose only claim is by a scope whose latest complete run
// did not see it is removed.
type Claim struct {
	Scope Scope `json:"scope"`
	Run   RunID `json:"run"`
}

// Scope is what one discovery run covers: a source (agent) and a key such as
// a cluster, an account/region or a path. Sweeps never leave their scope.
type Scope struct {
	Source string `json:"source"`
	Key    string `json:"key"`
}

func (s Scope) String() string { return s.Source + "/" + s.Key }

// RunID identifies one discovery or import run.
type RunID string

// Node is a vertex of the graph.
type Node struct {
	ID          ID          `json:"id"`
	Kind        Kind        `json:"kind"`
	Name        string      `json:"name"`
	Env         string      `json:"env,omitempty"`
	Props       Props       `json:"props,omitempty"`
	DataClasses []DataClass `json:"dataClasses,omitempty"`
	Sources     []Source    `json:"sources,omitempty"`
	FirstSeen   time.Time   `json:"firstSeen,omitzero"`
	LastSeen    time.Time   `json:"lastSeen,omitzero"`
	// Claims is maintained by the store; values in a batch are ignored.
	Claims []Claim `json:"claims,omitempty"`
}

// Edge is a directed relationship.
type Edge struct {
	ID          ID          `json:"id"`
	Kind        EdgeKind    `json:"kind"`
	From        ID          `json:"from"`
	To          ID          `json:"to"`
	Props       Props       `json:"props,omitempty"`
	DataClasses []DataClass `json:"dataClasses,omitempty"`
	Sources     []Source    `json:"sources,omitempty"`
	FirstSeen   time.Time   `json:"firstSeen,omitzero"`
	LastSeen    time.Time   `json:"lastSeen,omitzero"`
	Claims      []Claim     `json:"claims,omitempty"`
}

// NewEdge returns an edge of kind k from → to with its natural-key id.
func NewEdge(k EdgeKind, from, to ID) Edge {
	return Edge{ID: EdgeID(k, from, to), Kind: k, From: from, To: to}
}

// Batch is what one agent hands over in one go: upserts, deletions and
// where they came from. A store applies a batch atomically or not at all.
type Batch struct {
	Scope Scope  `json:"scope"`
	Run   RunID  `json:"run"`
	Nodes []Node `json:"nodes,omitempty"`
	Edges []Edge `json:"edges,omitempty"`
	// Delete lists node or edge ids to remove. Deleting a node removes its edges.
	Delete []ID `json:"delete,omitempty"`
	// ObservedAt is when the source saw this state; the store's clock is used
	// when it is zero.
	ObservedAt time.Time `json:"observedAt,omitzero"`
}

// Len is the number of elements in the batch.
func (b *Batch) Len() int { return len(b.Nodes) + len(b.Edges) + len(b.Delete) }

// Result says what an Apply changed.
type Result struct {
	NodesCreated int `json:"nodesCreated"`
	NodesUpdated int `json:"nodesUpdated"`
	EdgesCreated int `json:"edgesCreated"`
	EdgesUpdated int `json:"edgesUpdated"`
	Deleted      int `json:"deleted"`
}
