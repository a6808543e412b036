package api

import (
	"context"
	"net/url"
	"strings"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/internal/purlrange"
)

// common are the filter fields every inventory list shares.
type common struct {
	internet     *bool
	classes      []graph.DataClass
	env          *string
	app          *string
	nameContains *string
	minRisk      *float64
}

func (c *catalog) match(e *entry, f common) bool {
	if f.internet != nil && e.internet != *f.internet {
		return false
	}
	if len(f.classes) > 0 && e.classes&classMask(f.classes) == 0 {
		return false
	}
	if f.env != nil && !strings.EqualFold(e.node.Env, *f.env) {
		return false
	}
	if f.app != nil && !c.inApp(e, *f.app) {
		return false
	}
	if f.nameContains != nil && !strings.Contains(strings.ToLower(e.node.Name), strings.ToLower(*f.nameContains)) {
		return false
	}
	return true
}

// listCatalog filters the catalog's nodes of kind k, in id order. minRisk
// is checked last because it asks the scoring engine.
func (r *Resolver) listCatalog(ctx context.Context, k graph.Kind, f common, extra func(*catalog, *entry) bool) ([]graph.ID, error) {
	c, err := r.cat(ctx)
	if err != nil {
		return nil, err
	}
	var out []graph.ID
	for _, e := range c.byKind[k] {
		if !c.match(e, f) || (extra != nil && !extra(c, e)) {
			continue
		}
		if f.minRisk != nil {
			risk, err := r.riskOf(ctx, e.node)
			if err != nil {
				return nil, err
			}
			if risk == nil || *risk < *f.minRisk {
				continue
			}
		}
		out = append(out, e.node.ID)
	}
	return out, nil
}

func (r *Resolver) services(ctx context.Context, f *ServiceFilter) ([]graph.ID, error) {
	if f == nil {
		f = &ServiceFilter{}
	}
	cf := common{f.InternetFacing, f.DataClasses, f.Env, f.Application, f.NameContains, f.MinRisk}
	return r.listCatalog(ctx, graph.Service, cf, func(c *catalog, e *entry) bool {
		return f.CallsThirdParty == nil || e.thirdPty == *f.CallsThirdParty
	})
}

func (r *Resolver) apis(ctx context.Context, f *APIFilter) ([]graph.ID, error) {
	if f == nil {
		f = &APIFilter{}
	}
	cf := common{f.InternetFacing, f.DataClasses, f.Env, f.Application, f.NameContains, f.MinRisk}
	return r.listCatalog(ctx, graph.API, cf, func(c *catalog, e *entry) bool {
		if f.Authenticated != nil && e.node.Props.Bool("authenticated") != *f.Authenticated {
			return false
		}
		if f.Method != nil && !strings.EqualFold(e.node.Props.String("method"), *f.Method) {
			return false
		}
		if f.Service != nil {
			s := c.index[e.service]
			if s == nil || !strings.EqualFold(s.node.Name, *f.Service) {
				return false
			}
		}
		return true
	})
}

func (r *Resolver) dataStores(ctx context.Context, f *DataStoreFilter) ([]graph.ID, error) {
	if f == nil {
		f = &DataStoreFilter{}
	}
	cf := common{f.InternetFacing, f.DataClasses, f.Env, f.Application, f.NameContains, f.MinRisk}
	return r.listCatalog(ctx, graph.DataStore, cf, func(c *catalog, e *entry) bool {
		return f.Engine == nil || strings.EqualFold(e.node.Props.String("engine"), *f.Engine)
	})
}

func (r *Resolver) packages(ctx context.Context, f *PackageFilter) ([]graph.ID, error) {
	v, err := r.view(ctx)
	if err != nil {
		return nil, err
	}
	nf := graph.NodeFilter{Kinds: []graph.Kind{graph.Package}, Props: map[string]any{}}
	if f == nil {
		f = &PackageFilter{}
	}
	if f.Ecosystem != nil {
		nf.Props["ecosystem"] = *f.Ecosystem
	}
	if f.Version != nil {
		nf.Props["version"] = *f.Version
	}
	if f.NameContains != nil {
		nf.NameContains = *f.NameContains
	}
	var rng *purlrange.Range
	if f.VersionRange != nil && strings.TrimSpace(*f.VersionRange) != "" {
		r, err := purlrange.Parse("pkg:any/any@" + strings.TrimSpace(*f.VersionRange))
		if err != nil {
			return nil, badInput("versionRange", "%q: want constraints like <2.17.1, >=2.0,<2.17.1 or <1.2|>=2.0,<2.3", *f.VersionRange)
		}
		rng = &r
	}
	var out []graph.ID
	var firstErr error
	err = eachNode(ctx, v, nf, func(n graph.Node) {
		if f.Name != nil && !packageNamed(n, *f.Name) {
			return
		}
		if rng != nil && !rng.Version(n.Props.String("version")) {
			return
		}
		if f.PurlPrefix != nil && !strings.HasPrefix(strings.ToLower(n.Props.String("purl")), strings.ToLower(*f.PurlPrefix)) {
			return
		}
		if f.Vulnerable != nil {
			pg, err := v.Edges(ctx, graph.EdgeFilter{From: n.ID, Kinds: []graph.EdgeKind{graph.AffectedBy}}, graph.Page{Limit: 1})
			if err != nil {
				firstErr = err
				return
			}
			if (len(pg.Edges) > 0) != *f.Vulnerable {
				return
			}
		}
		out = append(out, n.ID)
	})
	if err == nil {
		err = firstErr
	}
	return out, err
}

// nodes answers the generic list. Without derived filters it pages in the
// store directly; with them it filters every match.
func (r *Resolver) nodes(ctx context.Context, f *NodeFilter, first *int, after *string) (*NodeConnection, error) {
	if f == nil {
		f = &NodeFilter{}
	}
	nf := graph.NodeFilter{Kinds: f.Kinds, DataClasses: f.DataClasses}
	if f.Env != nil {
		nf.Env = *f.Env
	}
	if f.NameContains != nil {
		nf.NameContains = *f.NameContains
	}
	v, err := r.view(ctx)
	if err != nil {
		return nil, err
	}
	if f.InternetFacing == nil && f.Application == nil {
		p, err := r.pageArgs(first, after)
		if err != nil {
			return nil, err
		}
		pg, err := v.Nodes(ctx, nf, p)
		if err != nil {
			return nil, err
		}
		c := &NodeConnection{}
		c.Nodes, c.Edges, c.PageInfo, c.TotalCount = conn(pg.Nodes, pageOf[graph.ID]{total: pg.Total, hasMore: pg.HasMore, hasPrev: p.After != ""},
			asNode, func(cur string, n Node) NodeEdge { return NodeEdge{Cursor: cur, Node: n} })
		return c, nil
	}
	c, err := r.cat(ctx)
	if err != nil {
		return nil, err
	}
	var ids []graph.ID
	var walkErr error
	err = eachNode(ctx, v, nf, func(n graph.Node) {
		if f.InternetFacing != nil && c.internet[n.ID] != *f.InternetFacing {
			return
		}
		if f.Application != nil {
			e := c.index[n.ID]
			if e == nil {
				apps, err := r.neighbourIDs(ctx, n.ID, graph.Out, []graph.EdgeKind{graph.PartOf})
				if err != nil {
					walkErr = err
					return
				}
				e = &entry{apps: apps}
			}
			if !c.inApp(e, *f.Application) {
				return
			}
		}
		ids = append(ids, n.ID)
	})
	if err == nil {
		err = walkErr
	}
	if err != nil {
		return nil, err
	}
	return r.nodeConn(ctx, ids, first, after)
}

func (r *Resolver) relationships(ctx context.Context, f *RelationshipFilter, first *int, after *string) (*RelationshipConnection, error) {
	v, err := r.view(ctx)
	if err != nil {
		return nil, err
	}
	ef := graph.EdgeFilter{}
	if f != nil {
		ef.Kinds = f.Kinds
		if f.From != nil {
			ef.From = *f.From
		}
		if f.To != nil {
			ef.To = *f.To
		}
	}
	p, err := r.pageArgs(first, after)
	if err != nil {
		return nil, err
	}
	pg, err := v.Edges(ctx, ef, p)
	if err != nil {
		return nil, err
	}
	c := &RelationshipConnection{TotalCount: pg.Total}
	for _, e := range pg.Edges {
		rel := &Relationship{e}
		c.Nodes = append(c.Nodes, *rel)
		c.Edges = append(c.Edges, RelationshipEdge{Cursor: encodeCursor(e.ID), Node: rel})
	}
	if c.Nodes == nil {
		c.Nodes, c.Edges = []Relationship{}, []RelationshipEdge{}
	}
	var firstID, lastID graph.ID
	if len(pg.Edges) > 0 {
		firstID, lastID = pg.Edges[0].ID, pg.Edges[len(pg.Edges)-1].ID
	}
	c.PageInfo = pageInfo(firstID, lastID, pg.HasMore, p.After != "")
	return c, nil
}

// packageNamed matches a package by its stored name (npm "@scope/x",
// Maven "group:artifact") or by the purl's bare name, so that
// "log4j-core" finds pkg:maven/org.apache.logging.log4j/log4j-core.
func packageNamed(n graph.Node, name string) bool {
	if strings.EqualFold(n.Props.String("name"), name) {
		return true
	}
	return strings.EqualFold(purlName(n.Props.String("purl")), name)
}

// purlName is the name segment of a package URL (type and namespace,
// version, qualifiers and subpath removed, percent-decoding applied).
func purlName(purl string) string {
	s := strings.TrimPrefix(purl, "pkg:")
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i > strings.LastIndexByte(s, '/') {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	if u, err := url.PathUnescape(s); err == nil {
		s = u
	}
	return s
}

// serviceByName finds a service by name, and env when given. Ids are
// derived from (env, name), so with env it is one lookup.
func (r *Resolver) serviceByName(ctx context.Context, name string, env *string) (*Service, error) {
	if env != nil {
		n, ok, err := r.node(ctx, graph.ServiceID(*env, name))
		if !ok || err != nil {
			return nil, err
		}
		return &Service{nodeBase{n}}, nil
	}
	c, err := r.cat(ctx)
	if err != nil {
		return nil, err
	}
	var found []*entry
	for _, e := range c.byKind[graph.Service] {
		if strings.EqualFold(e.node.Name, name) {
			found = append(found, e)
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return &Service{nodeBase{found[0].node}}, nil
	}
	var envs []string
	for _, e := range found {
		envs = append(envs, e.node.Env)
	}
	return nil, badInput("env", "service %q exists in %s; say which", name, strings.Join(envs, ", "))
}
