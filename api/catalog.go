package api

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// The catalog is what list queries filter on: the nodes of the listed kinds
// with their derived attributes (internet exposure, applications, the
// exposing service), which no single stored node carries. Deriving them per
// request would walk the whole estate every time; the catalog is built once
// per store version and shared by every request that sees that version.

// catalogKinds are the kinds list queries filter with derived attributes.
var catalogKinds = []graph.Kind{graph.Service, graph.API, graph.DataStore, graph.Finding, graph.Application}

type entry struct {
	node     graph.Node
	classes  uint8 // bit i set: graph.DataClasses[i]
	internet bool  // reachable from the Internet over ROUTES_TO
	apps     []graph.ID
	service  graph.ID // API: the exposing service; Finding: the subject
	thirdPty bool     // Service: calls a third party
}

type catalog struct {
	version  uint64
	built    time.Time
	internet map[graph.ID]bool
	byKind   map[graph.Kind][]*entry // sorted by id
	index    map[graph.ID]*entry
	appNames map[string]graph.ID // lower-cased application name → id
}

func classMask(cs []graph.DataClass) uint8 {
	var m uint8
	for _, c := range cs {
		if i := slices.Index(graph.DataClasses, c); i >= 0 {
			m |= 1 << i
		}
	}
	return m
}

// pageSize is how many elements the catalog reads per store call.
const pageSize = graph.MaxPageLimit

func eachNode(ctx context.Context, v graph.View, f graph.NodeFilter, fn func(graph.Node)) error {
	p := graph.Page{Limit: pageSize}
	for {
		pg, err := v.Nodes(ctx, f, p)
		if err != nil {
			return err
		}
		for _, n := range pg.Nodes {
			fn(n)
		}
		if !pg.HasMore {
			return nil
		}
		p.After = pg.End
	}
}

func eachEdge(ctx context.Context, v graph.View, f graph.EdgeFilter, fn func(graph.Edge)) error {
	p := graph.Page{Limit: pageSize}
	for {
		pg, err := v.Edges(ctx, f, p)
		if err != nil {
			return err
		}
		for _, e := range pg.Edges {
			fn(e)
		}
		if !pg.HasMore {
			return nil
		}
		p.After = pg.End
	}
}

// internetFacing returns every node reachable from the Internet node over
// ROUTES_TO edges alone: the gateways, services and APIs traffic from
// outside can reach. CALLS are not followed: a service called by a public
// one is reachable, but not exposed — scoring handles that difference.
func internetFacing(ctx context.Context, v graph.View) (map[graph.ID]bool, error) {
	out := map[graph.ID]bool{}
	err := v.Walk(ctx, graph.Walk{From: []graph.ID{graph.InternetID}, Dir: graph.Out,
		Kinds: []graph.EdgeKind{graph.RoutesTo}}, func(s graph.Step) graph.Control {
		if s.Depth > 0 {
			out[s.Node] = true
		}
		return graph.Continue
	})
	if errors.Is(err, graph.ErrNotFound) {
		return out, nil // no Internet node yet: nothing is exposed
	}
	return out, err
}

func buildCatalog(ctx context.Context, v graph.View, version uint64) (*catalog, error) {
	c := &catalog{version: version, built: time.Now(), byKind: map[graph.Kind][]*entry{},
		index: map[graph.ID]*entry{}, appNames: map[string]graph.ID{}}
	var err error
	if c.internet, err = internetFacing(ctx, v); err != nil {
		return nil, err
	}
	for _, k := range catalogKinds {
		err := eachNode(ctx, v, graph.NodeFilter{Kinds: []graph.Kind{k}}, func(n graph.Node) {
			e := &entry{node: n, classes: classMask(n.DataClasses), internet: c.internet[n.ID]}
			c.byKind[k] = append(c.byKind[k], e) // Nodes lists in id order
			c.index[n.ID] = e
			if k == graph.Application {
				c.appNames[strings.ToLower(n.Name)] = n.ID
			}
		})
		if err != nil {
			return nil, err
		}
	}
	// Applications: a node is part of an application directly (PART_OF) or
	// through the service that exposes, reads or is the subject of it.
	err = eachEdge(ctx, v, graph.EdgeFilter{Kinds: []graph.EdgeKind{graph.PartOf, graph.Exposes,
		graph.FoundOn, graph.Calls, graph.Reads, graph.Writes}}, func(e graph.Edge) {
		from, to := c.index[e.From], c.index[e.To]
		switch e.Kind {
		case graph.PartOf:
			if from != nil {
				from.apps = append(from.apps, e.To)
			}
		case graph.Exposes:
			if to != nil && to.service == "" {
				to.service = e.From
			}
		case graph.FoundOn:
			if from != nil {
				from.service = e.To
			}
		case graph.Calls:
			if from != nil && from.node.Kind == graph.Service {
				if k, _ := e.To.KindOf(); k == graph.ThirdParty {
					from.thirdPty = true
				}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	// Second pass: APIs inherit their service's applications, data stores
	// their readers' and writers', findings their subject's.
	inherit := func(e *entry, from graph.ID) {
		if len(e.apps) > 0 {
			return
		}
		if s := c.index[from]; s != nil {
			e.apps = s.apps
		}
	}
	for _, e := range c.byKind[graph.API] {
		inherit(e, e.service)
	}
	err = eachEdge(ctx, v, graph.EdgeFilter{Kinds: []graph.EdgeKind{graph.Reads, graph.Writes}}, func(ed graph.Edge) {
		ds, svc := c.index[ed.To], c.index[ed.From]
		if ds == nil || svc == nil || ds.node.Kind != graph.DataStore {
			return
		}
		for _, a := range svc.apps {
			if !slices.Contains(ds.apps, a) {
				ds.apps = append(ds.apps, a)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	for _, e := range c.byKind[graph.Finding] {
		subj := c.index[e.service]
		if subj != nil {
			e.internet = subj.internet
			if len(e.apps) == 0 {
				e.apps = subj.apps
			}
		} else {
			e.internet = c.internet[e.service]
		}
	}
	return c, nil
}

// inApp reports whether e belongs to the application named name.
func (c *catalog) inApp(e *entry, name string) bool {
	id, ok := c.appNames[strings.ToLower(strings.TrimSpace(name))]
	return ok && slices.Contains(e.apps, id)
}

// catalogCache keeps the catalog of the latest version.
type catalogCache struct {
	st     *Versioned
	maxAge time.Duration // > 0 when other writers may exist
	mu     sync.Mutex
	cur    *catalog
	build  *sync.Mutex // held while a build is in flight
}

func newCatalogCache(st *Versioned) *catalogCache {
	c := &catalogCache{st: st, build: &sync.Mutex{}}
	if st.shared {
		c.maxAge = 5 * time.Second
	}
	return c
}

func (cc *catalogCache) fresh(version uint64) *catalog {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	c := cc.cur
	if c == nil || c.version != version || (cc.maxAge > 0 && time.Since(c.built) > cc.maxAge) {
		return nil
	}
	return c
}

// get returns the catalog for the request's view. When the view's version
// is known and cached, it is shared; concurrent requests for a new version
// wait for one build instead of each building their own.
func (cc *catalogCache) get(ctx context.Context, rs *requestState) (*catalog, error) {
	if !rs.versionOK {
		return buildCatalog(ctx, rs.view, rs.version)
	}
	if c := cc.fresh(rs.version); c != nil {
		return c, nil
	}
	cc.build.Lock()
	defer cc.build.Unlock()
	if c := cc.fresh(rs.version); c != nil {
		return c, nil
	}
	c, err := buildCatalog(ctx, rs.view, rs.version)
	if err != nil {
		return nil, err
	}
	cc.mu.Lock()
	if cc.cur == nil || cc.cur.version <= c.version {
		cc.cur = c
	}
	cc.mu.Unlock()
	return c, nil
}
