package sbomexport

import (
	"context"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/anchore/packageurl-go"
	"github.com/anchore/syft/syft/artifact"
	"github.com/anchore/syft/syft/pkg"
	"github.com/anchore/syft/syft/sbom"
	"github.com/anchore/syft/syft/source"

	"github.com/riskgraph/riskgraph/graph"
)

// foundByService marks the syft packages that stand for an application's
// services (syft writes FoundBy as the property syft:package:foundBy, by
// which the CycloneDX pass recognises them and makes them application
// components).
const foundByService = "riskgraph:service"

type syftPkg = pkg.Package

// syftVersion is the version of syft linked in, for the tool list.
var syftVersion = func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/anchore/syft" {
				if d.Replace != nil {
					return d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return "" // not known in binaries built without module information
}()

// toSyft builds the syft SBOM of c. It returns the syft package of each
// graph package (and service) id.
func toSyft(ctx context.Context, c *Contents, toolVersion string) (sbom.SBOM, map[graph.ID]pkg.Package) {
	byID := make(map[graph.ID]pkg.Package, len(c.Packages)+len(c.Services))
	pkgs := make([]pkg.Package, 0, len(c.Packages)+len(c.Services))
	licenses := map[string]pkg.License{} // parsing an SPDX expression is not free
	for i := range c.Packages {
		p := syftPackage(ctx, &c.Packages[i], licenses)
		byID[c.Packages[i].ID] = p
		pkgs = append(pkgs, p)
	}
	var rels []artifact.Relationship
	dependsOn := func(parent, dep pkg.Package) {
		// syft's direction: the dependency is a dependency-of its parent
		rels = append(rels, artifact.Relationship{From: dep, To: parent, Type: artifact.DependencyOfRelationship})
	}
	for _, s := range c.Services {
		p := pkg.Package{Name: s.Name, Version: s.Props.String("version"), FoundBy: foundByService}
		p.SetID()
		byID[s.ID] = p
		pkgs = append(pkgs, p)
		for _, d := range c.ServiceDirect[s.ID] {
			if dp, ok := byID[d]; ok {
				dependsOn(p, dp)
			}
		}
	}
	for _, d := range c.Deps {
		parent, ok1 := byID[d[0]]
		dep, ok2 := byID[d[1]]
		if ok1 && ok2 {
			dependsOn(parent, dep)
		}
	}
	desc := source.Description{ID: string(c.Subject.ID), Name: c.Subject.Name, Version: c.Subject.Props.String("version")}
	if c.Subject.Kind == graph.Image {
		ref := c.Subject.Props.String("ref")
		if ref == "" {
			ref = c.Subject.Name
		}
		desc.Metadata = source.ImageMetadata{UserInput: ref, ManifestDigest: c.Subject.Props.String("digest")}
	}
	return sbom.SBOM{
		Artifacts:     sbom.Artifacts{Packages: pkg.NewCollection(pkgs...)},
		Relationships: rels,
		Source:        desc,
		Descriptor:    sbom.Descriptor{Name: "riskgraph", Version: toolVersion},
	}, byID
}

// syftPackage converts a Package node (props purl, name, version,
// ecosystem, licenses: the discovery/sbom convention).
func syftPackage(ctx context.Context, n *graph.Node, cache map[string]pkg.License) pkg.Package {
	purl := n.Props.String("purl")
	name := n.Props.String("name")
	version := n.Props.String("version")
	p := pkg.Package{Name: name, Version: version, PURL: purl}
	if purl != "" {
		p.Type = pkg.TypeFromPURL(purl)
		if name == "" || version == "" {
			// the purl's name (Maven group and npm scope stay in the purl)
			if u, err := packageurl.FromString(purl); err == nil {
				if name == "" {
					name = u.Name
				}
				if version == "" {
					p.Version = u.Version
				}
			}
		}
	} else if eco := n.Props.String("ecosystem"); eco != "" {
		p.Type = pkg.TypeByName(eco)
	}
	if name == "" {
		name, _, _ = strings.Cut(n.Name, "@")
	}
	p.Name = name
	if ls := n.Props.Strings("licenses"); len(ls) > 0 {
		var lic []pkg.License
		for _, l := range slices.Sorted(slices.Values(ls)) {
			pl, ok := cache[l]
			if !ok {
				pl = pkg.NewLicenseWithContext(ctx, l)
				cache[l] = pl
			}
			lic = append(lic, pl)
		}
		p.Licenses = pkg.NewLicenseSet(lic...)
	}
	p.SetID()
	return p
}
