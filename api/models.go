package api

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// JSON is a property map as stored. It is an output for node properties and
// an input for batch props, where it is normalised by the graph package.
type JSON map[string]any

// MarshalGQL writes the map as a JSON object.
func (j JSON) MarshalGQL(w io.Writer) {
	if j == nil {
		io.WriteString(w, "{}")
		return
	}
	b, err := json.Marshal(map[string]any(j))
	if err != nil {
		io.WriteString(w, "{}")
		return
	}
	w.Write(b)
}

// UnmarshalGQL accepts an object.
func (j *JSON) UnmarshalGQL(v any) error {
	if v == nil {
		*j = nil
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("JSON: want an object, got %T", v)
	}
	*j = m
	return nil
}

// nodeBase carries a stored node and answers the fields every Node type
// shares. The concrete types embed it; their kind-specific scalar fields are
// read from the node's properties by the methods below, and their neighbour
// fields are resolvers.
type nodeBase struct{ n graph.Node }

func (b nodeBase) IsNode() {}

func (b nodeBase) ID() graph.ID                   { return b.n.ID }
func (b nodeBase) Kind() graph.Kind               { return b.n.Kind }
func (b nodeBase) Name() string                   { return b.n.Name }
func (b nodeBase) Env() *string                   { return optString(b.n.Env) }
func (b nodeBase) DataClasses() []graph.DataClass { return nonNil(b.n.DataClasses) }
func (b nodeBase) Sources() []graph.Source        { return nonNil(b.n.Sources) }
func (b nodeBase) FirstSeen() *time.Time          { return optTime(b.n.FirstSeen) }
func (b nodeBase) LastSeen() *time.Time           { return optTime(b.n.LastSeen) }
func (b nodeBase) Properties() JSON               { return JSON(b.n.Props) }
func (b nodeBase) graphNode() graph.Node          { return b.n }
func (b nodeBase) str(key string) *string         { return optString(b.n.Props.String(key)) }
func (b nodeBase) strs(key string) []string       { return nonNil(b.n.Props.Strings(key)) }
func (b nodeBase) optBool(key string) *bool       { return optAny[bool](b.n.Props, key) }
func (b nodeBase) optFloat(key string) *float64 {
	if _, ok := b.n.Props[key]; !ok {
		return nil
	}
	f := b.n.Props.Float(key)
	return &f
}

// stored is implemented by every Node type.
type stored interface {
	Node
	graphNode() graph.Node
}

// Internet is the single entry point of exposure.
type Internet struct{ nodeBase }

// Service is a deployed workload.
type Service struct{ nodeBase }

func (s *Service) Namespace() *string { return s.str("namespace") }
func (s *Service) Image() *string     { return s.str("image") }
func (s *Service) Language() *string  { return s.str("language") }

// API is one operation a service exposes.
type API struct{ nodeBase }

func (a *API) Method() string           { return a.n.Props.String("method") }
func (a *API) Path() string             { return a.n.Props.String("path") }
func (a *API) OperationID() *string     { return a.str("operationId") }
func (a *API) Summary() *string         { return a.str("summary") }
func (a *API) Protocol() *string        { return a.str("protocol") }
func (a *API) Authenticated() bool      { return a.n.Props.Bool("authenticated") }
func (a *API) RequestFields() []string  { return a.strs("requestFields") }
func (a *API) ResponseFields() []string { return a.strs("responseFields") }

// Gateway is a load balancer, ingress, API gateway or reverse proxy.
type Gateway struct{ nodeBase }

func (g *Gateway) Type() *string   { return g.str("type") }
func (g *Gateway) Public() bool    { return g.n.Props.Bool("public") }
func (g *Gateway) Hosts() []string { return g.strs("hosts") }

// DataStore is a database, cache, queue or bucket.
type DataStore struct{ nodeBase }

func (d *DataStore) Engine() *string  { return d.str("engine") }
func (d *DataStore) Encrypted() *bool { return d.optBool("encrypted") }
func (d *DataStore) Managed() *bool   { return d.optBool("managed") }
func (d *DataStore) Host() *string    { return d.str("host") }
func (d *DataStore) Tables() []string { return d.strs("tables") }

// Package is a dependency, keyed by purl.
type Package struct{ nodeBase }

func (p *Package) Purl() string       { return p.n.Props.String("purl") }
func (p *Package) Version() *string   { return p.str("version") }
func (p *Package) Ecosystem() *string { return p.str("ecosystem") }
func (p *Package) Licenses() []string { return p.strs("licenses") }

// Vulnerability is an advisory.
type Vulnerability struct{ nodeBase }

func (v *Vulnerability) Cvss() *float64    { return v.optFloat("cvss") }
func (v *Vulnerability) Severity() *string { return v.str("severity") }
func (v *Vulnerability) Aliases() []string { return v.strs("aliases") }
func (v *Vulnerability) Summary() *string  { return v.str("summary") }
func (v *Vulnerability) Kev() bool         { return v.n.Props.Bool("kev") }
func (v *Vulnerability) Epss() *float64    { return v.optFloat("epss") }

// Finding is what a scanner reported, pinned to its subject.
type Finding struct{ nodeBase }

func (f *Finding) Tool() *string     { return f.str("tool") }
func (f *Finding) Rule() *string     { return f.str("rule") }
func (f *Finding) Severity() *string { return f.str("severity") }
func (f *Finding) Category() *string { return f.str("category") }
func (f *Finding) Message() *string  { return f.str("message") }
func (f *Finding) Fingerprint() *string {
	return f.str("fingerprint")
}

// Tools lists every tool that reported the finding.
func (f *Finding) Tools() []string {
	if t := f.strs("tools"); len(t) > 0 {
		return t
	}
	if t := f.n.Props.String("tool"); t != "" {
		return []string{t}
	}
	return []string{}
}

// Status is open unless the importer or a user said otherwise.
func (f *Finding) Status() string { return findingStatus(f.n) }

func findingStatus(n graph.Node) string {
	if s := n.Props.String("status"); s != "" {
		return s
	}
	return "open"
}

// Identity is a service account or cloud role.
type Identity struct{ nodeBase }

func (i *Identity) Provider() *string { return i.str("provider") }
func (i *Identity) Type() *string     { return i.str("type") }
func (i *Identity) Arn() *string      { return i.str("arn") }

// ThirdParty is an external service the estate calls.
type ThirdParty struct{ nodeBase }

func (t *ThirdParty) Host() *string     { return t.str("host") }
func (t *ThirdParty) Category() *string { return t.str("category") }

// Application groups services.
type Application struct{ nodeBase }

func (a *Application) Criticality() *string { return a.str("criticality") }
func (a *Application) Description() *string { return a.str("description") }

// Repository is a source repository.
type Repository struct{ nodeBase }

func (r *Repository) URL() *string      { return r.str("url") }
func (r *Repository) Language() *string { return r.str("language") }

// Image is a container image.
type Image struct{ nodeBase }

func (i *Image) Ref() *string      { return i.str("ref") }
func (i *Image) Registry() *string { return i.str("registry") }
func (i *Image) Tag() *string      { return i.str("tag") }

// Team owns services.
type Team struct{ nodeBase }

func (t *Team) Contact() *string { return t.str("contact") }

// Relationship is a stored edge.
type Relationship struct{ e graph.Edge }

func (r *Relationship) ID() graph.ID                   { return r.e.ID }
func (r *Relationship) Kind() graph.EdgeKind           { return r.e.Kind }
func (r *Relationship) From() graph.ID                 { return r.e.From }
func (r *Relationship) To() graph.ID                   { return r.e.To }
func (r *Relationship) DataClasses() []graph.DataClass { return nonNil(r.e.DataClasses) }
func (r *Relationship) Sources() []graph.Source        { return nonNil(r.e.Sources) }
func (r *Relationship) Properties() JSON               { return JSON(r.e.Props) }
func (r *Relationship) FirstSeen() *time.Time          { return optTime(r.e.FirstSeen) }
func (r *Relationship) LastSeen() *time.Time           { return optTime(r.e.LastSeen) }

// wrap returns the GraphQL type for a stored node.
func wrap(n graph.Node) stored {
	b := nodeBase{n}
	switch n.Kind {
	case graph.Internet:
		return &Internet{b}
	case graph.Service:
		return &Service{b}
	case graph.API:
		return &API{b}
	case graph.Gateway:
		return &Gateway{b}
	case graph.DataStore:
		return &DataStore{b}
	case graph.Package:
		return &Package{b}
	case graph.Vulnerability:
		return &Vulnerability{b}
	case graph.Finding:
		return &Finding{b}
	case graph.Identity:
		return &Identity{b}
	case graph.ThirdParty:
		return &ThirdParty{b}
	case graph.Application:
		return &Application{b}
	case graph.Repository:
		return &Repository{b}
	case graph.Image:
		return &Image{b}
	default:
		return &Team{b}
	}
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func optAny[T any](p graph.Props, key string) *T {
	v, ok := p[key].(T)
	if !ok {
		return nil
	}
	return &v
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
