package sbom

import (
	"slices"
	"sort"
	"strings"

	"github.com/anchore/packageurl-go"
	"github.com/anchore/syft/syft/artifact"
	"github.com/anchore/syft/syft/pkg"
	syftsbom "github.com/anchore/syft/syft/sbom"
	"github.com/anchore/syft/syft/source"

	"github.com/riskgraph/riskgraph/graph"
)

// Package is one component of an SBOM in graph terms.
type Package struct {
	ID        graph.ID
	Purl      string // empty when the SBOM gave none
	Name      string // as the ecosystem writes it (group:artifact for Maven)
	Version   string
	Ecosystem string // the purl type; syft's package type when there is no purl
	Licenses  []string
}

// Node returns p as a Package node with the property names of the demo
// estate's convention.
func (p *Package) Node(src graph.Source) graph.Node {
	props := graph.Props{"name": p.Name}
	if p.Purl != "" {
		props["purl"] = p.Purl
	}
	if p.Version != "" {
		props["version"] = p.Version
	}
	if p.Ecosystem != "" {
		props["ecosystem"] = p.Ecosystem
	}
	if len(p.Licenses) > 0 {
		props["licenses"] = slices.Clone(p.Licenses)
	}
	name := p.Name
	if p.Version != "" {
		name += "@" + p.Version
	}
	return graph.Node{ID: p.ID, Kind: graph.Package, Name: name, Props: props, Sources: []graph.Source{src}}
}

// Subject is what an SBOM describes.
type Subject struct {
	Kind    string // "image", "application", "directory", "file" or "" when the SBOM does not say
	Name    string // image reference, component or directory name
	Version string
	VCS     string // source repository URL, when the SBOM names one
}

// Parsed is an SBOM reduced to what the graph keeps: packages, which of them
// the subject depends on directly, and the dependency edges between them.
type Parsed struct {
	Subject  Subject
	Packages []Package     // sorted by id, no duplicates
	Direct   []graph.ID    // sorted
	Deps     [][2]graph.ID // [dependent, dependency], sorted
	// DirectKnown is false when the SBOM has no dependency graph, so every
	// package was taken as a direct dependency of the subject.
	DirectKnown bool
	// NoPurl counts packages that had no purl and got a name-based id.
	NoPurl int
}

// NoPurlKey is the natural key of a package without a purl: its ecosystem
// (when known), name and version, marked so it can never equal a real purl.
func NoPurlKey(ecosystem, name, version string) string {
	return "nopurl:" + ecosystem + "/" + name + "@" + version
}

// displayName is a package's name as its ecosystem writes it, from its purl.
func displayName(p packageurl.PackageURL) string {
	switch {
	case p.Namespace == "":
		return p.Name
	case p.Type == "maven":
		return p.Namespace + ":" + p.Name
	}
	return p.Namespace + "/" + p.Name
}

// packageOf converts one syft package.
func packageOf(p *pkg.Package) Package {
	out := Package{Name: p.Name, Version: p.Version, Ecosystem: string(p.Type)}
	if purl := strings.TrimSpace(p.PURL); purl != "" {
		if u, err := packageurl.FromString(purl); err == nil {
			out.Purl = purl
			out.Name = displayName(u)
			out.Ecosystem = u.Type
			if u.Version != "" {
				out.Version = u.Version
			}
		}
	}
	if out.Ecosystem == string(pkg.UnknownPkg) {
		out.Ecosystem = ""
	}
	for _, l := range p.Licenses.ToSlice() {
		v := l.SPDXExpression
		if v == "" {
			v = l.Value
		}
		if v != "" && !slices.Contains(out.Licenses, v) {
			out.Licenses = append(out.Licenses, v)
		}
	}
	sort.Strings(out.Licenses)
	if out.Purl != "" {
		out.ID = graph.PackageID(out.Purl)
	} else {
		out.ID = graph.PackageID(NoPurlKey(out.Ecosystem, out.Name, out.Version))
	}
	return out
}

// FromSyft reduces a syft SBOM. rootRef, when not empty, is the id syft gave
// the SBOM's own subject (a CycloneDX metadata component is decoded as a
// package with its bom-ref as id): it is taken out of the packages and its
// dependencies become the direct ones.
func FromSyft(s *syftsbom.SBOM, rootRef string) Parsed {
	var out Parsed
	out.Subject = subjectOf(s.Source)
	byArtifact := map[artifact.ID]graph.ID{}
	seen := map[graph.ID]int{}
	var rootPkg *pkg.Package
	for p := range s.Artifacts.Packages.Enumerate() {
		if rootRef != "" && string(p.ID()) == rootRef {
			rp := p
			rootPkg = &rp
			continue
		}
		gp := packageOf(&p)
		byArtifact[p.ID()] = gp.ID
		if i, ok := seen[gp.ID]; ok {
			// the same purl twice (an image with two copies of a jar): one node
			for _, l := range gp.Licenses {
				if !slices.Contains(out.Packages[i].Licenses, l) {
					out.Packages[i].Licenses = append(out.Packages[i].Licenses, l)
				}
			}
			continue
		}
		if gp.Purl == "" {
			out.NoPurl++
		}
		seen[gp.ID] = len(out.Packages)
		out.Packages = append(out.Packages, gp)
	}
	if rootPkg != nil && out.Subject.Kind == "" {
		out.Subject = Subject{Kind: "application", Name: rootPkg.Name, Version: rootPkg.Version}
	}
	deps := map[[2]graph.ID]bool{}
	direct := map[graph.ID]bool{}
	dependedOn := map[graph.ID]bool{}
	for _, r := range s.Relationships {
		if r.Type != artifact.DependencyOfRelationship {
			continue
		}
		dep, okDep := byArtifact[r.From.ID()]
		if !okDep {
			continue
		}
		if rootRef != "" && string(r.To.ID()) == rootRef {
			direct[dep] = true
			continue
		}
		parent, ok := byArtifact[r.To.ID()]
		if !ok || parent == dep {
			continue
		}
		deps[[2]graph.ID{parent, dep}] = true
		dependedOn[dep] = true
	}
	out.DirectKnown = len(direct) > 0 || len(deps) > 0
	if len(direct) == 0 {
		// no root entry: the subject's direct dependencies are the packages
		// nothing else depends on (all of them when there is no graph)
		for _, p := range out.Packages {
			if !dependedOn[p.ID] {
				direct[p.ID] = true
			}
		}
	}
	for id := range direct {
		out.Direct = append(out.Direct, id)
	}
	slices.Sort(out.Direct)
	for d := range deps {
		out.Deps = append(out.Deps, d)
	}
	sort.Slice(out.Deps, func(i, j int) bool {
		if out.Deps[i][0] != out.Deps[j][0] {
			return out.Deps[i][0] < out.Deps[j][0]
		}
		return out.Deps[i][1] < out.Deps[j][1]
	})
	sort.Slice(out.Packages, func(i, j int) bool { return out.Packages[i].ID < out.Packages[j].ID })
	return out
}

func subjectOf(d source.Description) Subject {
	switch m := d.Metadata.(type) {
	case source.ImageMetadata:
		ref := m.UserInput
		if ref == "" && len(m.Tags) > 0 {
			ref = m.Tags[0]
		}
		return Subject{Kind: "image", Name: ref, Version: m.ManifestDigest}
	case source.DirectoryMetadata:
		return Subject{Kind: "directory", Name: d.Name, Version: d.Version}
	case source.FileMetadata:
		return Subject{Kind: "file", Name: m.Path, Version: d.Version}
	}
	if d.Name != "" {
		return Subject{Kind: "application", Name: d.Name, Version: d.Version}
	}
	return Subject{}
}

type syftSBOM = syftsbom.SBOM
