// Package specmatch attaches API specifications (OpenAPI documents, gRPC
// .proto services) to the services that serve them.
//
// A spec file rarely says which deployment serves it, and the deployment is
// usually found by another agent from another file (a compose file, a
// Kubernetes manifest). So a spec agent records its operations under a
// provisional service, keyed by the spec file and the spec's own name, and
// the Linker here (discovery.PhaseMatch) re-keys them once every file was
// read: each operation becomes graph.APIID(service, method, path) of every
// service the spec matches, and the provisional nodes are removed. Everything
// travels as ordinary nodes and edges, so it survives the runner's per-file
// collectors being merged.
//
// Matching, first rule that finds a service wins:
//  1. server URL host: the host, or its first DNS label, is a service name
//     (http://cart-service:8080, http://cart-service.shop.svc.cluster.local);
//  2. file location: the spec lies inside a service's build context, or inside
//     a directory named like a service (services/user/apispec/user.json);
//  3. name: the spec's title, its proto service name or its file name equals a
//     service name, compared without case, punctuation and a trailing
//     "service", "svc", "api" or "server".
//
// A spec matching a service name in several environments is attached to each.
// When nothing matches, the service is created from the spec in the
// collector's environment and the evidence Detail says so.
package specmatch

import (
	"context"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

// ProvisionalEnv is the environment of provisional spec services. It cannot
// clash with a user's --env because it is not a valid environment name.
const ProvisionalEnv = "~spec"

// Property names on a provisional service node.
const (
	propProvisional = "specProvisional" // bool, true
	propFile        = "specFile"        // spec file path (as reported)
	propTitle       = "specTitle"       // OpenAPI info.title or proto service name
	propHosts       = "specHosts"       // server URL hosts
	propKind        = "specKind"        // "openapi" or "proto"
)

// Spec is what a spec agent hands over: the spec's identity and its
// operations as API nodes (ids are assigned here).
type Spec struct {
	Agent string
	Kind  string // "openapi", "proto" or "graphql"
	File  string // path as reported in evidence
	Line  int    // line of the spec's title / service declaration
	Title string
	Hosts []string
	Ops   []graph.Node // Kind API, Props must hold method and path
}

// ServiceKey returns the provisional service id of the spec.
func (s *Spec) ServiceKey() graph.ID { return graph.ServiceID(ProvisionalEnv, s.File+"#"+s.Title) }

// Add records s in c under its provisional service.
func (s *Spec) Add(c *discovery.Collector) {
	sid := s.ServiceKey()
	c.AddNode(s.Agent, graph.Node{ID: sid, Kind: graph.Service, Name: s.Title, Env: ProvisionalEnv,
		Props: graph.Props{propProvisional: true, propFile: s.File, propTitle: s.Title,
			propHosts: slices.Clone(s.Hosts), propKind: s.Kind},
		Sources: []graph.Source{{Agent: s.Agent, File: s.File, Line: s.Line, Detail: specWord(s.Kind) + " " + s.Title}}})
	for _, op := range s.Ops {
		op.ID = graph.APIID(sid, op.Props.String("method"), op.Props.String("path"))
		op.Env = ProvisionalEnv
		c.AddNode(s.Agent, op)
		e := graph.NewEdge(graph.Exposes, sid, op.ID)
		e.Sources = op.Sources
		c.AddEdge(s.Agent, e)
	}
}

func specWord(kind string) string {
	switch kind {
	case "proto":
		return "gRPC service"
	case "graphql":
		return "GraphQL schema"
	}
	return "OpenAPI spec of"
}

// IsProvisional reports whether n is a provisional spec service or API.
func IsProvisional(n *graph.Node) bool { return n.Env == ProvisionalEnv }

// Linker matches provisional specs to services.
type Linker struct{}

func (Linker) Name() string { return "specmatch" }
func (Linker) Phase() int   { return discovery.PhaseMatch }

// Link re-keys every provisional spec onto the services it matches.
func (Linker) Link(ctx context.Context, c *discovery.Collector) error {
	var real, specs []*graph.Node
	for _, n := range c.Nodes(graph.Service) {
		if IsProvisional(n) {
			specs = append(specs, n)
		} else {
			real = append(real, n)
		}
	}
	idx := newIndex(real)
	for _, sp := range specs {
		if err := ctx.Err(); err != nil {
			return err
		}
		ops := opsOf(c, sp)
		targets, why := idx.matchLocation(sp)
		if len(targets) == 0 {
			// A spec for several services behind one proxy (/identity/…,
			// /workshop/…): each operation goes to the service its first
			// path segment names.
			rest := ops[:0:0]
			for seg, group := range groupBySegment(ops) {
				if s := idx.lookupSegment(seg); seg != "" && len(s) > 0 {
					rekey(c, sp, group, s, "path prefix /"+seg, false)
					continue
				}
				rest = append(rest, group...)
			}
			if len(rest) < len(ops) {
				sortNodes(rest)
				ops = rest
			}
			targets, why = idx.matchName(sp)
		}
		created := false
		if len(targets) == 0 && len(ops) > 0 {
			env := c.Env()
			if env == "" {
				env = "default"
			}
			name := serviceName(sp)
			sid := graph.ServiceID(env, name)
			if n, ok := c.Node(sid); ok && !IsProvisional(n) {
				targets = []*graph.Node{n}
				why = "same name as a service created from another spec"
			} else {
				n := graph.Node{ID: sid, Kind: graph.Service, Name: name, Env: env}
				c.AddNode(c.AgentOf(sp.ID), n)
				nn, _ := c.Node(sid)
				targets = []*graph.Node{nn}
				created = true
			}
		}
		if len(targets) > 0 {
			rekey(c, sp, ops, targets, why, created)
		}
		for _, op := range opsOf(c, sp) {
			c.RemoveNode(op.ID)
		}
		c.RemoveNode(sp.ID)
	}
	return nil
}

func opsOf(c *discovery.Collector, sp *graph.Node) []*graph.Node {
	var ops []*graph.Node
	for _, e := range c.Edges(graph.Exposes) {
		if e.From == sp.ID {
			if n, ok := c.Node(e.To); ok {
				ops = append(ops, n)
			}
		}
	}
	return ops
}

func sortNodes(ns []*graph.Node) { sort.Slice(ns, func(i, j int) bool { return ns[i].ID < ns[j].ID }) }

// groupBySegment groups HTTP operations by the first segment of their path
// after the spec's base path (/api/identity/… with basePath /api groups
// under identity).
func groupBySegment(ops []*graph.Node) map[string][]*graph.Node {
	out := map[string][]*graph.Node{}
	for _, op := range ops {
		seg := ""
		if op.Props.String("protocol") != "grpc" {
			p := strings.TrimPrefix(op.Props.String("path"), op.Props.String("basePath"))
			p = strings.TrimPrefix(p, "/")
			seg, _, _ = strings.Cut(p, "/")
			if strings.Contains(seg, "{") {
				seg = ""
			}
		}
		out[seg] = append(out[seg], op)
	}
	return out
}

// serviceName is the name a service created from a spec gets: the title for
// proto services and for titles that look like names, else the file stem.
func serviceName(sp *graph.Node) string {
	title := strings.TrimSpace(sp.Props.String(propTitle))
	if sp.Props.String(propKind) == "proto" {
		return strings.ToLower(title)
	}
	if title != "" && !strings.ContainsAny(title, " \t/") && len(title) <= 63 {
		return strings.ToLower(title)
	}
	stem := fileStem(sp.Props.String(propFile))
	for d := path.Dir(sp.Props.String(propFile)); generic[normalize(stem)] && d != "." && d != "/"; d = path.Dir(d) {
		stem = path.Base(d)
	}
	if title != "" && generic[normalize(stem)] {
		return strings.ToLower(strings.Join(strings.Fields(title), "-"))
	}
	return strings.ToLower(stem)
}

// generic file stems say nothing about the service.
var generic = map[string]bool{"openapi": true, "swagger": true, "api": true, "spec": true,
	"apispec": true, "openapispec": true, "apispecs": true, "resources": true, "schema": true, "definition": true, "docs": true}

func rekey(c *discovery.Collector, sp *graph.Node, ops, targets []*graph.Node, why string, created bool) {
	agent := c.AgentOf(sp.ID)
	for _, t := range targets {
		src := graph.Source{Agent: agent}
		if len(sp.Sources) > 0 {
			src = sp.Sources[0]
		}
		if created {
			src.Detail += "; no discovered service matched, service created from the spec"
		} else {
			src.Detail += "; matched by " + why
		}
		c.AddNode(agent, graph.Node{ID: t.ID, Kind: graph.Service, Name: t.Name, Env: t.Env, Sources: []graph.Source{src}})
		for _, op := range ops {
			n := *op
			n.ID = graph.APIID(t.ID, op.Props.String("method"), op.Props.String("path"))
			n.Env = t.Env
			n.Props = clone(op.Props)
			n.Sources = slices.Clone(op.Sources)
			n.DataClasses = slices.Clone(op.DataClasses)
			c.AddNode(agent, n)
			e := graph.NewEdge(graph.Exposes, t.ID, n.ID)
			e.Sources = slices.Clone(op.Sources)
			c.AddEdge(agent, e)
		}
	}
}

func clone(p graph.Props) graph.Props {
	if p == nil {
		return nil
	}
	out := make(graph.Props, len(p))
	for k, v := range p {
		switch x := v.(type) {
		case []string:
			out[k] = slices.Clone(x)
		case graph.Props:
			out[k] = clone(x)
		default:
			out[k] = v
		}
	}
	return out
}

// index finds services by normalised name and by directory.
type index struct {
	byName map[string][]*graph.Node
	byDir  map[string][]*graph.Node // build context → services
	all    []*graph.Node
}

func newIndex(svcs []*graph.Node) *index {
	ix := &index{byName: map[string][]*graph.Node{}, byDir: map[string][]*graph.Node{}, all: svcs}
	for _, s := range svcs {
		for _, k := range nameKeys(s.Name) {
			ix.byName[k] = appendOnce(ix.byName[k], s)
		}
		if bc := s.Props.String("buildContext"); bc != "" {
			d := path.Clean(bc)
			ix.byDir[d] = appendOnce(ix.byDir[d], s)
		}
	}
	return ix
}

func appendOnce(xs []*graph.Node, n *graph.Node) []*graph.Node {
	for _, x := range xs {
		if x.ID == n.ID {
			return xs
		}
	}
	return append(xs, n)
}

func (ix *index) lookup(name string) []*graph.Node {
	for _, k := range nameKeys(name) {
		if s := ix.byName[k]; len(s) > 0 {
			return s
		}
	}
	return nil
}

// matchLocation matches by server host and file location.
func (ix *index) matchLocation(sp *graph.Node) ([]*graph.Node, string) {
	for _, h := range sp.Props.Strings(propHosts) {
		if ignoredHost(h) {
			continue
		}
		if s := ix.lookup(h); len(s) > 0 {
			return s, "server URL host " + h
		}
		label, _, _ := strings.Cut(h, ".")
		if s := ix.lookup(label); len(s) > 0 {
			return s, "server URL host " + h
		}
	}
	file := sp.Props.String(propFile)
	for d := path.Dir(path.Clean(file)); d != "." && d != "/" && d != ""; d = path.Dir(d) {
		if s := ix.byDir[d]; len(s) > 0 {
			return s, "spec inside build context " + d
		}
	}
	for d := path.Dir(path.Clean(file)); d != "." && d != "/" && d != ""; d = path.Dir(d) {
		base := path.Base(d)
		if generic[normalize(base)] || normalize(base) == "" {
			continue
		}
		if s := ix.lookup(base); len(s) > 0 {
			return s, "spec inside directory " + d
		}
	}
	return nil, ""
}

// matchName matches by the spec's title or file name.
func (ix *index) matchName(sp *graph.Node) ([]*graph.Node, string) {
	if t := sp.Props.String(propTitle); t != "" {
		if s := ix.lookup(t); len(s) > 0 {
			return s, "title " + t
		}
	}
	file := sp.Props.String(propFile)
	if stem := fileStem(file); !generic[normalize(stem)] {
		if s := ix.lookup(stem); len(s) > 0 {
			return s, "file name " + path.Base(file)
		}
	}
	return nil, ""
}

// lookupSegment finds the services a path segment names: the name itself,
// or a name made of a project prefix and the segment (crapi-identity for
// /identity).
func (ix *index) lookupSegment(seg string) []*graph.Node {
	k := normalize(seg)
	if len(k) < 3 || commonSegments[k] {
		return nil
	}
	if s := ix.lookup(seg); len(s) > 0 {
		return s
	}
	var out []*graph.Node
	for _, n := range ix.all {
		parts := strings.FieldsFunc(strings.ToLower(n.Name), func(r rune) bool { return r == '-' || r == '_' || r == '.' })
		if len(parts) > 1 && (normalize(parts[len(parts)-1]) == k || normalize(parts[0]) == k) {
			out = appendOnce(out, n)
		}
	}
	return out
}

// commonSegments are path prefixes that name no service.
var commonSegments = map[string]bool{"api": true, "apis": true, "v1": true, "v2": true, "v3": true, "rest": true,
	"internal": true, "public": true, "admin": true, "health": true, "healthz": true, "metrics": true, "static": true,
	"web": true, "app": true, "backend": true, "service": true, "services": true}

func ignoredHost(h string) bool {
	h = strings.ToLower(h)
	return h == "" || h == "localhost" || strings.HasPrefix(h, "127.") || h == "0.0.0.0" || h == "::1" ||
		strings.Contains(h, "{") || strings.HasSuffix(h, "example.com") || strings.HasSuffix(h, ".example")
}

func fileStem(p string) string {
	b := path.Base(p)
	if i := strings.Index(b, "."); i > 0 {
		b = b[:i]
	}
	return b
}

// normalize lower-cases s and drops everything but letters and digits.
func normalize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// nameKeys returns the keys a name is indexed and looked up under: its
// normalised form and that form without a generic suffix.
func nameKeys(s string) []string {
	n := normalize(s)
	if n == "" {
		return nil
	}
	keys := []string{n}
	for _, suf := range []string{"service", "svc", "api", "server", "app"} {
		if t := strings.TrimSuffix(n, suf); t != n && len(t) >= 3 {
			keys = append(keys, "~"+t)
			break
		}
	}
	if len(keys) == 1 {
		keys = append(keys, "~"+n)
	}
	sort.Strings(keys[1:])
	return keys
}
