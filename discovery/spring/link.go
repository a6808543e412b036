package spring

import (
	"context"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/internal/endpoint"
	"github.com/riskgraph/riskgraph/graph"
)

// Linker attaches configuration files to the services the deployment
// artifacts define and adds what their properties connect to.
type Linker struct{}

func (Linker) Name() string { return "spring-link" }

// Phase: after the deployment agents' resolvers have defined the services,
// their environments and host aliases.
func (Linker) Phase() int { return discovery.PhaseResolve + 1 }

// outbound says whether a property can name something the service
// connects to; server.*, management.* and logging.* configure the service
// itself.
func outbound(key string) bool {
	for _, p := range []string{"server.", "management.", "logging.", "spring.application.", "spring.profiles", "spring.config.", "info.", "debug", "trace"} {
		if strings.HasPrefix(key, p) {
			return false
		}
	}
	return true
}

func (Linker) Link(ctx context.Context, c *discovery.Collector) error {
	envs := map[graph.ID]map[string]string{}
	for _, f := range c.Facts(discovery.EnvFactPrefix) {
		se, ok := f.Value.(discovery.ServiceEnv)
		if !ok {
			continue
		}
		if envs[se.Service] == nil {
			envs[se.Service] = map[string]string{}
		}
		for k, v := range se.Env {
			envs[se.Service][k] = v
		}
	}
	services := c.Nodes(graph.Service)
	// Who already uses each store (for the owner rule), read once.
	users := map[graph.ID]map[graph.ID]bool{}
	for _, e := range c.Edges(graph.Reads, graph.Writes) {
		if users[e.To] == nil {
			users[e.To] = map[graph.ID]bool{}
		}
		users[e.To][e.From] = true
	}
	for _, cfg := range merged(c) {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, svc := range servicesOf(services, cfg) {
			l := &link{c: c, svc: svc, cfg: cfg, env: envs[svc.ID], users: users}
			l.run()
		}
	}
	return nil
}

// merged joins the files of one module the way Spring layers them:
// bootstrap, then application, then the profile's application-{env} file,
// later settings winning. Each property keeps its own file as evidence.
func merged(c *discovery.Collector) []Config {
	byModule := map[string][]Config{}
	var order []string
	for _, f := range c.Facts(factPrefix) {
		cfg, ok := f.Value.(Config)
		if !ok {
			continue
		}
		key := path.Dir(cfg.File) + "|" + strings.ToLower(cfg.Service)
		if _, seen := byModule[key]; !seen {
			order = append(order, key)
		}
		byModule[key] = append(byModule[key], cfg)
	}
	rank := func(file string) int {
		base := path.Base(file)
		switch {
		case strings.HasPrefix(base, "bootstrap"):
			return 0
		case strings.Contains(base, "-"):
			return 2
		}
		return 1
	}
	var out []Config
	for _, key := range order {
		cfgs := byModule[key]
		sort.SliceStable(cfgs, func(i, j int) bool { return rank(cfgs[i].File) < rank(cfgs[j].File) })
		m := Config{File: cfgs[0].File, Service: cfgs[0].Service}
		for _, cfg := range cfgs {
			m.Named = m.Named || cfg.Named
			for _, p := range cfg.Props {
				p.File = cfg.File
				m.Props = append(m.Props, p)
			}
		}
		out = append(out, m)
	}
	return out
}

// servicesOf finds the deployed services a configuration belongs to: the
// services of that name in any environment, else the one service whose
// name carries it as a dash-separated part (crapi-identity for a module
// called identity). A configuration no deployment file names adds
// nothing: a module in a source tree is not proof that it runs.
func servicesOf(services []*graph.Node, cfg Config) []*graph.Node {
	name := strings.ToLower(cfg.Service)
	var exact, partial []*graph.Node
	for _, n := range services {
		sn := strings.ToLower(n.Name)
		switch {
		case sn == name:
			exact = append(exact, n)
		case strings.HasSuffix(sn, "-"+name) || strings.HasPrefix(sn, name+"-"):
			partial = append(partial, n)
		}
	}
	if len(exact) > 0 {
		return exact
	}
	names := map[string]bool{}
	for _, n := range partial {
		names[strings.ToLower(n.Name)] = true
	}
	if len(names) == 1 {
		return partial
	}
	return nil
}

type link struct {
	c     *discovery.Collector
	svc   *graph.Node
	cfg   Config
	env   map[string]string
	users map[graph.ID]map[graph.ID]bool // store → services reading or writing it
}

func (l *link) run() {
	last := map[string]Property{}
	for _, p := range l.cfg.Props {
		last[p.Key] = p
	}
	for _, key := range slices.Sorted(maps.Keys(last)) {
		p := last[key]
		if !outbound(key) || l.disabled(key) {
			continue
		}
		name := envName(key)
		if _, set := l.env[name]; set {
			// The deployment sets this property through its environment;
			// its resolver has read that value already.
			continue
		}
		value, ok := resolve(p.Value, l.cfg.Props, l.env)
		if !ok || inMemory(value) {
			continue
		}
		src := graph.Source{Agent: Name, File: p.File, Line: p.Line, Detail: "property " + key}
		for _, ep := range endpoint.Parse(name, value) {
			l.dependency(key, name, ep, src)
		}
	}
}

// inMemoryRe matches JDBC URLs of databases that live inside the
// service's process (H2, HSQLDB, Derby in memory): no data store another
// element could reach, and nothing kept.
var inMemoryRe = regexp.MustCompile(`(?i)^\s*jdbc:(?:h2:mem:|hsqldb:mem:|derby:memory:|sqlite::memory:|sqlite:file::memory:)`)

func inMemory(v string) bool { return inMemoryRe.MatchString(v) }

// disabled reports whether a parent of key has enabled=false
// (spring.zipkin.enabled=false turns spring.zipkin.baseUrl off).
func (l *link) disabled(key string) bool {
	for i := strings.LastIndexByte(key, '.'); i > 0; i = strings.LastIndexByte(key[:i], '.') {
		v := lookup(l.cfg.Props, key[:i]+".enabled")
		if v == "" {
			continue
		}
		if r, ok := resolve(v, l.cfg.Props, l.env); ok && strings.EqualFold(strings.TrimSpace(r), "false") {
			return true
		}
	}
	return false
}

func (l *link) target(host string) (graph.ID, graph.Kind) {
	label := endpoint.ServiceLabel(host)
	for _, f := range l.c.Facts(discovery.AliasFactPrefix + label) {
		if a, ok := f.Value.(discovery.HostAlias); ok && a.Name == label {
			for _, t := range a.Targets {
				if k, _ := t.KindOf(); k == graph.Service || k == graph.DataStore {
					return t, k
				}
			}
		}
	}
	if n, ok := l.c.Node(graph.DataStoreID(l.svc.Env, label)); ok {
		return n.ID, graph.DataStore
	}
	if n, ok := l.c.Node(graph.ServiceID(l.svc.Env, label)); ok {
		return n.ID, graph.Service
	}
	return "", ""
}

func (l *link) dependency(key, name string, ep endpoint.Endpoint, src graph.Source) {
	if endpoint.ClusterLocal(ep.Host) {
		if id, kind := l.target(ep.Host); id != "" {
			switch {
			case id == l.svc.ID:
			case kind == graph.DataStore:
				n, _ := l.c.Node(id)
				engine := ep.Engine
				if n != nil && engine == "" {
					engine = n.Props.String("engine")
				}
				l.use(id, endpoint.StoreName(ep.Host), engine, key, name, src)
			default:
				props := graph.Props{"via": key}
				if ep.Port > 0 {
					props["port"] = ep.Port
				}
				l.c.AddEdge(Name, graph.Edge{ID: graph.EdgeID(graph.Calls, l.svc.ID, id), Kind: graph.Calls, From: l.svc.ID, To: id, Props: props, Sources: []graph.Source{src}})
			}
			return
		}
	}
	if ep.Engine != "" {
		store := endpoint.StoreName(ep.Host)
		id := graph.DataStoreID(l.svc.Env, store)
		props := graph.Props{"engine": ep.Engine, "host": ep.Host, "managed": !endpoint.ClusterLocal(ep.Host)}
		if ep.Engine == "rds" {
			props["engine"] = endpoint.RDSEngine(ep)
		}
		if ep.Port > 0 {
			props["port"] = ep.Port
		}
		l.c.AddNode(Name, graph.Node{ID: id, Kind: graph.DataStore, Name: store, Env: l.svc.Env, Props: props, Sources: []graph.Source{src}})
		l.use(id, store, props.String("engine"), key, name, src)
		return
	}
	if !endpoint.ClusterLocal(ep.Host) {
		id := graph.ThirdPartyID(ep.Host)
		l.c.AddNode(Name, graph.Node{ID: id, Kind: graph.ThirdParty, Name: ep.Host, Props: graph.Props{"host": ep.Host}, Sources: []graph.Source{src}})
		l.c.AddEdge(Name, graph.Edge{ID: graph.EdgeID(graph.Calls, l.svc.ID, id), Kind: graph.Calls, From: l.svc.ID, To: id, Props: graph.Props{"via": key}, Sources: []graph.Source{src}})
	}
	// An in-cluster name no deployment file defines: left out rather than
	// a call to nothing.
}

// use adds READS and WRITES by the rule every agent applies
// (endpoint.Access); the service owns a database named after it or that
// no other service uses.
func (l *link) use(store graph.ID, storeName, engine, key, name string, src graph.Source) {
	owned := endpoint.NamedAfter(storeName, l.svc.Name) || l.onlyUser(store)
	read, write := endpoint.Access(engine, name, owned)
	if l.users[store] == nil {
		l.users[store] = map[graph.ID]bool{}
	}
	l.users[store][l.svc.ID] = true
	props := graph.Props{"via": key}
	if read {
		l.c.AddEdge(Name, graph.Edge{ID: graph.EdgeID(graph.Reads, l.svc.ID, store), Kind: graph.Reads, From: l.svc.ID, To: store, Props: props, Sources: []graph.Source{src}})
	}
	if write {
		l.c.AddEdge(Name, graph.Edge{ID: graph.EdgeID(graph.Writes, l.svc.ID, store), Kind: graph.Writes, From: l.svc.ID, To: store, Props: props, Sources: []graph.Source{src}})
	}
}

// onlyUser reports whether no other service reads or writes store.
func (l *link) onlyUser(store graph.ID) bool {
	for u := range l.users[store] {
		if u != l.svc.ID {
			return false
		}
	}
	return true
}
