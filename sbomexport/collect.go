// Package sbomexport writes software bills of materials for what the graph
// knows: the packages of a service (direct and transitive), of an
// application (the union of its services, each service a component with its
// own dependencies) or of an image, as CycloneDX (JSON or XML, 1.6 or 1.5),
// SPDX 2.3 (JSON or tag-value) or syft JSON.
//
// The documents are built as a syft sbom.SBOM and written by syft's own
// format encoders, so the output is what the ecosystem's tools already
// read (and what discovery/sbom reads back: export and re-ingest give the
// same packages and edges). riskgraph adds what syft's model has no room
// for, in the CycloneDX documents only, between syft's conversion to
// cyclonedx-go's model (cyclonedxhelpers.ToFormatModel, the body of syft's
// CycloneDX encoders) and cyclonedx-go's encoder: the subject as metadata
// component with its direct dependencies, riskgraph as a tool, and VEX
// vulnerabilities with the analysis state riskgraph derived. SPDX documents
// come from syft's encoders as they are, with the creation time, namespace
// and a note set afterwards.
//
// It is the only package besides discovery/sbom that links syft; api/ calls
// it through the hook in api.Options.
package sbomexport

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/riskgraph/riskgraph/graph"
)

// ErrSubject is wrapped by errors about a subject that exists but cannot
// have an SBOM (a data store, an API), and by ambiguous names.
var ErrSubject = errors.New("not an SBOM subject")

// Contents is what an SBOM of one subject is made of, read from a view.
type Contents struct {
	Subject graph.Node
	// Packages in id order, no duplicates.
	Packages []graph.Node
	// Direct lists the subject's own direct dependencies (for a service: its
	// DEPENDS_ON packages and those of the images it runs).
	Direct []graph.ID
	// Deps are package → package DEPENDS_ON edges between Packages, sorted.
	Deps [][2]graph.ID
	// Services are an application's services (components of their own),
	// each with its direct dependencies in ServiceDirect.
	Services      []graph.Node
	ServiceDirect map[graph.ID][]graph.ID
	// Carriers are the services (or, for an image nobody runs, the image)
	// whose exposure decides a vulnerability's analysis state.
	Carriers []graph.ID
}

// Resolve finds a subject by id, or by name: a service (NAME or ENV/NAME),
// an application, or an image reference. Unknown subjects are
// graph.ErrNotFound; ambiguous names and kinds without packages ErrSubject.
func Resolve(ctx context.Context, v graph.View, ref string) (graph.Node, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return graph.Node{}, fmt.Errorf("subject: empty: %w", ErrSubject)
	}
	if k, ok := graph.ID(ref).KindOf(); ok {
		n, err := v.Node(ctx, graph.ID(ref))
		if err != nil {
			return graph.Node{}, fmt.Errorf("subject %s: %w", ref, err)
		}
		if !subjectKind(k) {
			return graph.Node{}, fmt.Errorf("subject %s is a %s; SBOMs are for services, applications and images: %w", ref, k, ErrSubject)
		}
		return n, nil
	}
	ids := []graph.ID{graph.ApplicationID(ref), graph.ImageID(ref)}
	if env, name, ok := strings.Cut(ref, "/"); ok {
		ids = append(ids, graph.ServiceID(env, name))
	}
	var found []graph.Node
	for _, id := range ids {
		n, err := v.Node(ctx, id)
		switch {
		case err == nil:
			found = append(found, n)
		case !errors.Is(err, graph.ErrNotFound):
			return graph.Node{}, err
		}
	}
	// services by name, in any environment
	pg := graph.Page{Limit: graph.MaxPageLimit}
	for {
		res, err := v.Nodes(ctx, graph.NodeFilter{Kinds: []graph.Kind{graph.Service}, NameContains: ref}, pg)
		if err != nil {
			return graph.Node{}, err
		}
		for _, n := range res.Nodes {
			if strings.EqualFold(n.Name, ref) {
				found = append(found, n)
			}
		}
		if !res.HasMore {
			break
		}
		pg.After = res.End
	}
	switch len(found) {
	case 0:
		return graph.Node{}, fmt.Errorf("subject %q: no service, application or image of that name or id: %w", ref, graph.ErrNotFound)
	case 1:
		return found[0], nil
	}
	var names []string
	for _, n := range found {
		s := string(n.Kind) + " " + n.Name
		if n.Env != "" {
			s += " (env " + n.Env + ", say " + n.Env + "/" + n.Name + ")"
		}
		names = append(names, s+" "+string(n.ID))
	}
	return graph.Node{}, fmt.Errorf("subject %q is ambiguous: %s; give the id: %w", ref, strings.Join(names, "; "), ErrSubject)
}

func subjectKind(k graph.Kind) bool {
	return k == graph.Service || k == graph.Application || k == graph.Image
}

// Collect reads the subject's packages and dependency edges from v.
func Collect(ctx context.Context, v graph.View, subject graph.Node) (*Contents, error) {
	if !subjectKind(subject.Kind) {
		return nil, fmt.Errorf("subject %s is a %s; SBOMs are for services, applications and images: %w", subject.ID, subject.Kind, ErrSubject)
	}
	c := &Contents{Subject: subject}
	r := reader{ctx: ctx, v: v}
	var roots []graph.ID
	switch subject.Kind {
	case graph.Service:
		d, err := r.serviceDirect(subject.ID)
		if err != nil {
			return nil, err
		}
		c.Direct = d
		c.Carriers = []graph.ID{subject.ID}
		roots = d
	case graph.Image:
		d, err := r.neighbours(subject.ID, graph.Out, graph.DependsOn, graph.Package)
		if err != nil {
			return nil, err
		}
		c.Direct = d
		svcs, err := r.neighbours(subject.ID, graph.In, graph.RunsImage, graph.Service)
		if err != nil {
			return nil, err
		}
		c.Carriers = svcs
		if len(svcs) == 0 {
			c.Carriers = []graph.ID{subject.ID}
		}
		roots = d
	case graph.Application:
		svcs, err := r.neighbours(subject.ID, graph.In, graph.PartOf, graph.Service)
		if err != nil {
			return nil, err
		}
		c.ServiceDirect = map[graph.ID][]graph.ID{}
		for _, s := range svcs {
			n, err := v.Node(ctx, s)
			if err != nil {
				return nil, err
			}
			d, err := r.serviceDirect(s)
			if err != nil {
				return nil, err
			}
			c.Services = append(c.Services, n)
			c.ServiceDirect[s] = d
			roots = append(roots, d...)
		}
		c.Carriers = svcs
		// packages the application depends on itself
		d, err := r.neighbours(subject.ID, graph.Out, graph.DependsOn, graph.Package)
		if err != nil {
			return nil, err
		}
		c.Direct = d
		roots = append(roots, d...)
	}
	// the closure over package → package DEPENDS_ON
	seen := map[graph.ID]bool{}
	queue := make([]graph.ID, 0, len(roots))
	for _, id := range roots {
		if !seen[id] {
			seen[id] = true
			queue = append(queue, id)
		}
	}
	for i := 0; i < len(queue); i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		from := queue[i]
		n, err := v.Node(ctx, from)
		if err != nil {
			if errors.Is(err, graph.ErrNotFound) {
				continue
			}
			return nil, err
		}
		c.Packages = append(c.Packages, n)
		es, err := r.edges(graph.EdgeFilter{From: from, Kinds: []graph.EdgeKind{graph.DependsOn}})
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if k, _ := e.To.KindOf(); k != graph.Package || e.To == from {
				continue
			}
			c.Deps = append(c.Deps, [2]graph.ID{from, e.To})
			if !seen[e.To] {
				seen[e.To] = true
				queue = append(queue, e.To)
			}
		}
	}
	slices.SortFunc(c.Packages, func(a, b graph.Node) int { return strings.Compare(string(a.ID), string(b.ID)) })
	slices.SortFunc(c.Deps, func(a, b [2]graph.ID) int {
		if x := strings.Compare(string(a[0]), string(b[0])); x != 0 {
			return x
		}
		return strings.Compare(string(a[1]), string(b[1]))
	})
	c.Deps = slices.Compact(c.Deps)
	return c, nil
}

// reader pages through a view.
type reader struct {
	ctx context.Context
	v   graph.View
}

func (r reader) edges(f graph.EdgeFilter) ([]graph.Edge, error) {
	var out []graph.Edge
	p := graph.Page{Limit: graph.MaxPageLimit}
	for {
		pg, err := r.v.Edges(r.ctx, f, p)
		if err != nil {
			return nil, err
		}
		out = append(out, pg.Edges...)
		if !pg.HasMore {
			return out, nil
		}
		p.After = pg.End
	}
}

// neighbours lists the nodes of kind want over edges of kind k, sorted.
func (r reader) neighbours(id graph.ID, dir graph.Direction, k graph.EdgeKind, want graph.Kind) ([]graph.ID, error) {
	f := graph.EdgeFilter{Kinds: []graph.EdgeKind{k}}
	if dir == graph.Out {
		f.From = id
	} else {
		f.To = id
	}
	es, err := r.edges(f)
	if err != nil {
		return nil, err
	}
	var out []graph.ID
	for _, e := range es {
		other := e.To
		if dir != graph.Out {
			other = e.From
		}
		if kk, _ := other.KindOf(); kk == want {
			out = append(out, other)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// serviceDirect is a service's direct packages: its own DEPENDS_ON and
// those of the images it runs.
func (r reader) serviceDirect(svc graph.ID) ([]graph.ID, error) {
	d, err := r.neighbours(svc, graph.Out, graph.DependsOn, graph.Package)
	if err != nil {
		return nil, err
	}
	imgs, err := r.neighbours(svc, graph.Out, graph.RunsImage, graph.Image)
	if err != nil {
		return nil, err
	}
	for _, img := range imgs {
		p, err := r.neighbours(img, graph.Out, graph.DependsOn, graph.Package)
		if err != nil {
			return nil, err
		}
		d = append(d, p...)
	}
	slices.Sort(d)
	return slices.Compact(d), nil
}
