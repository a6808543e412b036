// Package sbom is the discovery agent for software bills of materials: what
// each service is built from. It reads existing SBOM files (CycloneDX JSON
// and XML, SPDX JSON and tag-value, syft JSON) with syft's format decoders,
// runs syft's catalogers in-process over source trees (Go, npm, Python,
// Java/Maven, .NET, Ruby, Rust manifests and lock files) and over OCI image
// layouts, and turns the result into Package nodes keyed by purl with
// DEPENDS_ON edges.
//
// syft is large, so it is imported here (and by the export package and the
// command) only: graph/, api/ and scoring/ never link it.
//
// # Who depends on the packages
//
// An SBOM describes a subject: an image, an application or a source tree.
// The agent anchors the subject's direct dependencies to a node it can name
// without guessing: the Image (by reference) for image SBOMs and OCI
// layouts, and a Repository for everything else (by the repository URL the
// SBOM or the tree's .git/config names, else by the file or directory path,
// kept in the "path" property). Repository/Image -DEPENDS_ON-> Package.
//
// The Linker then attaches anchors to services, per the estate convention
// Service -DEPENDS_ON-> direct Package:
//
//   - an Image: every service that runs it (RUNS_IMAGE, or its image property);
//   - a Repository: the service whose compose buildContext is that directory,
//     or a service a mapping file names (see Mapping) — both certain;
//   - otherwise a service whose name equals the SBOM's subject name or the
//     last element of the directory or repository URL. That is a guess, and
//     the edge's evidence says so ("guess: …").
package sbom

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

// AgentName is the name of the agent, in evidence and batch scopes.
const AgentName = "sbom"

// Agent reads SBOM files.
type Agent struct{}

// Name implements discovery.Agent.
func (Agent) Name() string { return AgentName }

// Detect reports whether f is an SBOM document (by content).
func (Agent) Detect(f *discovery.File) bool { return sniff(f.Data) != kindNone }

// Read decodes f and adds its packages.
func (Agent) Read(ctx context.Context, f *discovery.File, c *discovery.Collector) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := Decode(f.Path, f.Data)
	if err != nil {
		return &discovery.FileError{File: f.Path, Msg: strings.TrimPrefix(err.Error(), f.Path+": "), Err: err}
	}
	Emit(c, p, anchorOfFile(f.Path, p.Subject), graph.Source{Agent: AgentName, File: f.Path})
	return nil
}

// Anchor is the node an SBOM's subject is represented by.
type Anchor struct {
	ID   graph.ID
	Node graph.Node
	// Guess names the services the anchor may belong to by name, when no
	// certain link exists (subject or directory name).
	Guess string
}

// anchorOfFile is the anchor of an SBOM file's subject.
func anchorOfFile(file string, s Subject) Anchor {
	if s.Kind == "image" && s.Name != "" {
		return imageAnchor(s.Name, file)
	}
	name := s.Name
	if name == "" {
		name = strings.TrimSuffix(path.Base(file), path.Ext(file))
		name = strings.TrimSuffix(strings.TrimSuffix(name, ".cdx"), ".spdx")
	}
	return repoAnchor(s.VCS, file, name)
}

// repoAnchor is a Repository keyed by its URL when known, else by path.
func repoAnchor(vcs, p, name string) Anchor {
	u := normalizeRepoURL(vcs)
	props := graph.Props{"path": p}
	key := p
	display := p
	if u != "" {
		key, display = u, u
		props["url"] = "https://" + u
	}
	if name == "" {
		name = path.Base(strings.TrimSuffix(display, "/"))
	}
	props["subject"] = name
	id := graph.RepositoryID(key)
	return Anchor{ID: id, Guess: name, Node: graph.Node{ID: id, Kind: graph.Repository, Name: display, Props: props}}
}

func imageAnchor(ref, p string) Anchor {
	reg, tag := imageParts(ref)
	props := graph.Props{"ref": ref, "registry": reg}
	if tag != "" {
		props["tag"] = tag
	}
	if p != "" {
		props["path"] = p
	}
	id := graph.ImageID(ref)
	return Anchor{ID: id, Node: graph.Node{ID: id, Kind: graph.Image, Name: ref, Props: props}}
}

// imageParts splits an image reference into registry and tag the way the
// compose agent does (docker.io when the first element is not a host).
func imageParts(ref string) (registry, tag string) {
	registry = "docker.io"
	if first, _, ok := strings.Cut(ref, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		registry = first
	}
	name := ref
	if i := strings.Index(name, "@"); i >= 0 {
		name = name[:i]
	}
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		tag = name[i+1:]
	}
	return registry, tag
}

// normalizeRepoURL turns https://github.com/a/b.git, git@github.com:a/b and
// the like into github.com/a/b, the form Repository ids are keyed by.
func normalizeRepoURL(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	s = strings.TrimPrefix(s, "git+")
	if strings.HasPrefix(s, "git@") {
		s = strings.Replace(strings.TrimPrefix(s, "git@"), ":", "/", 1)
	} else if u, err := url.Parse(s); err == nil && u.Host != "" {
		s = u.Host + u.Path
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git")
	return strings.ToLower(s)
}

// Emit adds p's packages and edges to c, with a DEPENDS_ON edge from the
// anchor to each direct dependency.
func Emit(c *discovery.Collector, p Parsed, a Anchor, src graph.Source) {
	a.Node.Sources = []graph.Source{src}
	c.AddNode(AgentName, a.Node)
	for i := range p.Packages {
		s := src
		if p.Packages[i].Purl == "" {
			s.Detail = "no purl in the SBOM: id derived from ecosystem, name and version"
		}
		c.AddNode(AgentName, p.Packages[i].Node(s))
	}
	ds := src
	if !p.DirectKnown {
		ds.Detail = "the SBOM has no dependency graph: every package taken as a direct dependency"
	}
	for _, d := range p.Direct {
		e := graph.NewEdge(graph.DependsOn, a.ID, d)
		e.Sources = []graph.Source{ds}
		c.AddEdge(AgentName, e)
	}
	for _, d := range p.Deps {
		e := graph.NewEdge(graph.DependsOn, d[0], d[1])
		e.Sources = []graph.Source{src}
		c.AddEdge(AgentName, e)
	}
}

// errorf wraps a problem with a directory as a FileError.
func errorf(rel string, err error, format string, args ...any) error {
	return &discovery.FileError{File: rel, Msg: fmt.Sprintf(format, args...), Err: err}
}
