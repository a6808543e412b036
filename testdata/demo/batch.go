package demo

import (
	"slices"
	"strconv"
	"strings"

	"github.com/riskgraph/riskgraph/graph"
)

// Batch returns the demo estate as one batch: nodes first, then edges, in a
// fixed order, every element with evidence pointing into the artifacts.
// Each call builds a fresh batch, so callers may modify it.
func Batch() graph.Batch {
	r := rendered()
	b := &builder{r: r, seen: map[graph.ID]int{}, seenEdge: map[graph.ID]int{}}
	b.nodes()
	b.edges()
	return graph.Batch{Scope: Scope, Run: Run, Nodes: b.ns, Edges: b.es, ObservedAt: ObservedAt}
}

type builder struct {
	r        *rendering
	ns       []graph.Node
	es       []graph.Edge
	seen     map[graph.ID]int // node id → index in ns
	seenEdge map[graph.ID]int
}

func (b *builder) node(n graph.Node) {
	n.FirstSeen, n.LastSeen = ObservedAt, ObservedAt
	if i, ok := b.seen[n.ID]; ok {
		// The same thing seen in a second place: one node, more evidence.
		old := &b.ns[i]
		for _, s := range n.Sources {
			if !slices.Contains(old.Sources, s) && len(old.Sources) < graph.MaxSources {
				old.Sources = append(old.Sources, s)
			}
		}
		return
	}
	b.seen[n.ID] = len(b.ns)
	b.ns = append(b.ns, n)
}

func (b *builder) edge(k graph.EdgeKind, from, to graph.ID, props graph.Props, src ...graph.Source) *graph.Edge {
	e := graph.NewEdge(k, from, to)
	if i, ok := b.seenEdge[e.ID]; ok {
		old := &b.es[i]
		for _, s := range src {
			if !slices.Contains(old.Sources, s) {
				old.Sources = append(old.Sources, s)
			}
		}
		return old
	}
	e.Props, e.Sources = props, src
	e.FirstSeen, e.LastSeen = ObservedAt, ObservedAt
	b.seenEdge[e.ID] = len(b.es)
	b.es = append(b.es, e)
	return &b.es[len(b.es)-1]
}

func (b *builder) src(key string) graph.Source { return b.r.src(key) }

// opClasses returns the data classes of an operation's fields.
func opClasses(o *op) []graph.DataClass {
	var cs []graph.DataClass
	for _, f := range slices.Concat(o.Req, o.Resp, o.Query) {
		if c, ok := classify(f); ok && !slices.Contains(cs, c) {
			cs = append(cs, c)
		}
	}
	return sortClasses(cs)
}

func sortClasses(cs []graph.DataClass) []graph.DataClass {
	slices.SortFunc(cs, func(a, b graph.DataClass) int {
		return slices.Index(graph.DataClasses, a) - slices.Index(graph.DataClasses, b)
	})
	return slices.Compact(cs)
}

// storeClasses returns a store's data classes: its columns' and the
// declared ones.
func storeClasses(s *store) []graph.DataClass {
	cs := slices.Clone(s.Classes)
	for _, t := range s.Tables {
		for _, c := range t.Columns {
			if dc, ok := classify(c); ok {
				cs = append(cs, dc)
			}
		}
	}
	return sortClasses(cs)
}

func svcKey(env, name string) string { return "svc/" + env + "/" + name }

func namespaceOf(d *deployment) string {
	if d.Env == staging {
		return "larkspur-staging"
	}
	return d.Namespace
}

func saName(d *deployment) string { return d.Namespace + "/" + d.Name }

func (b *builder) nodes() {
	b.node(graph.Node{ID: graph.InternetID, Kind: graph.Internet, Name: "Internet",
		Sources: []graph.Source{b.src("internet/public-lb"), b.src("published/" + svcKey(staging, "web-frontend"))}})
	for _, a := range applications {
		b.node(graph.Node{ID: graph.ApplicationID(a.Name), Kind: graph.Application, Name: a.Name,
			Props:   graph.Props{"criticality": a.Criticality, "description": a.Description},
			Sources: []graph.Source{b.src("app/" + a.Name), b.src("crit/" + a.Name)}})
	}
	for _, t := range teams {
		b.node(graph.Node{ID: graph.TeamID(t.Name), Kind: graph.Team, Name: t.Name,
			Props: graph.Props{"contact": t.Contact}, Sources: []graph.Source{b.src("team/" + t.Name)}})
	}
	for i := range deployments {
		d := &deployments[i]
		cb := codebaseByName(d.Name)
		key := svcKey(d.Env, d.Name)
		var cs []graph.DataClass
		for j := range cb.Ops {
			cs = append(cs, opClasses(&cb.Ops[j])...)
		}
		props := graph.Props{
			"namespace": namespaceOf(d), "image": d.image(), "language": cb.Language, "port": int64(cb.Port),
		}
		if d.Env == prod {
			props["workload"], props["replicas"], props["serviceAccount"] = "Deployment", int64(d.Replicas), d.Name
			var pols []string
			for _, np := range networkPolicies {
				if slices.Contains(np.Services, d.Name) {
					pols = append(pols, np.Name)
				}
			}
			if len(pols) > 0 {
				props["networkPolicies"] = pols
			}
		} else {
			props["workload"], props["replicas"] = "compose", int64(1)
		}
		var secrets []string
		for _, dep := range cb.Deps {
			if rv, ok := resolve(d, dep); ok && dep.Secret != "" && rv.Svc == "" {
				secrets = append(secrets, dep.Secret)
			}
		}
		if len(secrets) > 0 {
			props["secretRefs"] = secrets
		}
		srcs := []graph.Source{b.src(key)}
		if len(cb.Ops) > 0 {
			srcs = append(srcs, b.src("spec/"+cb.Name))
		}
		b.node(graph.Node{ID: graph.ServiceID(d.Env, d.Name), Kind: graph.Service, Name: d.Name, Env: d.Env,
			Props: props, DataClasses: sortClasses(cs), Sources: srcs})
	}
	for i := range deployments {
		d := &deployments[i]
		cb := codebaseByName(d.Name)
		sid := graph.ServiceID(d.Env, d.Name)
		for j := range cb.Ops {
			o := &cb.Ops[j]
			props := graph.Props{"method": o.Method, "path": o.Path, "operationId": o.ID, "summary": o.Summary,
				"authenticated": !o.Public, "protocol": "http"}
			if len(o.Req) > 0 {
				props["requestFields"] = slices.Clone(o.Req)
			}
			if len(o.Resp) > 0 {
				props["responseFields"] = slices.Clone(o.Resp)
			}
			b.node(graph.Node{ID: graph.APIID(sid, o.Method, o.Path), Kind: graph.API, Name: o.Method + " " + o.Path,
				Env: d.Env, Props: props, DataClasses: opClasses(o),
				Sources: []graph.Source{b.src("api/" + cb.Name + "/" + o.Method + " " + o.Path)}})
		}
	}
	for _, gw := range gateways {
		props := graph.Props{"type": gw.Type, "public": gw.Public}
		if gw.Class != "" {
			props["class"] = gw.Class
		}
		var hosts []string
		srcs := []graph.Source{b.src("gw/" + gw.Name)}
		for _, ru := range gw.Rules {
			if !slices.Contains(hosts, ru.Host) {
				hosts = append(hosts, ru.Host)
			}
		}
		if len(hosts) > 0 {
			props["hosts"] = hosts
		}
		b.node(graph.Node{ID: graph.GatewayID(prod, gw.Name), Kind: graph.Gateway, Name: gw.Name, Env: prod,
			Props: props, Sources: srcs})
	}
	for i := range stores {
		s := &stores[i]
		props := graph.Props{"engine": s.Engine, "encrypted": s.Encrypted, "host": s.Host,
			"port": int64(s.Port), "managed": s.Managed}
		var tables []string
		for _, t := range s.Tables {
			tables = append(tables, t.Name)
		}
		if len(tables) > 0 {
			props["tables"] = tables
		}
		var srcs []graph.Source
		if s.Env == staging {
			srcs = append(srcs, b.src("store/"+s.Env+"/"+s.Name))
		} else if src, ok := b.firstUse(func(rv resolved) bool { return rv.Store == s.Name }, prod); ok {
			srcs = append(srcs, src)
		}
		if len(s.Tables) > 0 {
			srcs = append(srcs, b.src("ddl/"+s.Env+"/"+s.Name))
		}
		b.node(graph.Node{ID: graph.DataStoreID(s.Env, s.Name), Kind: graph.DataStore, Name: s.Name, Env: s.Env,
			Props: props, DataClasses: storeClasses(s), Sources: srcs})
	}
	for _, tp := range thirdParties {
		src, ok := b.firstUse(func(rv resolved) bool { return rv.Third == tp.Host }, prod)
		if !ok {
			continue
		}
		b.node(graph.Node{ID: graph.ThirdPartyID(tp.Host), Kind: graph.ThirdParty, Name: tp.Name,
			Props: graph.Props{"host": tp.Host, "category": tp.Category}, Sources: []graph.Source{src}})
	}
	for i := range deployments {
		d := &deployments[i]
		if d.Env != prod {
			continue
		}
		b.node(graph.Node{ID: graph.IdentityID("k8s", saName(d)), Kind: graph.Identity, Name: saName(d), Env: prod,
			Props:   graph.Props{"provider": "k8s", "type": "service-account"},
			Sources: []graph.Source{b.src("sa/" + d.Name)}})
	}
	for _, ir := range iamRoles {
		b.node(graph.Node{ID: graph.IdentityID("aws", roleARN(ir.Role)), Kind: graph.Identity, Name: ir.Role, Env: prod,
			Props:   graph.Props{"provider": "aws", "type": "iam-role", "arn": roleARN(ir.Role)},
			Sources: []graph.Source{b.src("role/" + ir.Service)}})
	}
	for i := range deployments {
		d := &deployments[i]
		ref := d.image()
		reg, tag := "docker.io", ref[strings.LastIndex(ref, ":")+1:]
		if strings.HasPrefix(ref, registry+"/") {
			reg = registry
		}
		b.node(graph.Node{ID: graph.ImageID(ref), Kind: graph.Image, Name: ref,
			Props:   graph.Props{"ref": ref, "registry": reg, "tag": tag},
			Sources: []graph.Source{b.src("image/" + svcKey(d.Env, d.Name))}})
	}
	for i := range codebases {
		cb := &codebases[i]
		if cb.External != "" {
			continue
		}
		b.node(graph.Node{ID: graph.RepositoryID(repoURL(cb)), Kind: graph.Repository, Name: repoURL(cb),
			Props:   graph.Props{"url": "https://" + repoURL(cb), "language": cb.Language},
			Sources: []graph.Source{b.src("repo/" + cb.Name)}})
	}
	for _, p := range usedPackages() {
		pp := parsePurl(p)
		var srcs []graph.Source
		for i := range codebases {
			cb := &codebases[i]
			if cb.External == "" && slices.Contains(closure(cb.Pkgs), p) {
				srcs = append(srcs, b.src("pkg/"+cb.Name+"/"+p))
			}
		}
		if len(srcs) > graph.MaxSources {
			srcs = srcs[:graph.MaxSources]
		}
		b.node(graph.Node{ID: graph.PackageID(p), Kind: graph.Package, Name: pp.displayName() + "@" + pp.Version,
			Props: graph.Props{"purl": p, "name": pp.displayName(), "version": pp.Version, "ecosystem": pp.Type,
				"licenses": slices.Clone(pkgByPurl(p).Licenses)},
			Sources: srcs})
	}
	for _, v := range vulnerabilities {
		props := graph.Props{"cvss": v.CVSS, "severity": v.Severity, "summary": v.Summary}
		if len(v.Aliases) > 0 {
			props["aliases"] = slices.Clone(v.Aliases)
		}
		b.node(graph.Node{ID: graph.VulnerabilityID(v.ID), Kind: graph.Vulnerability, Name: v.ID,
			Props: props, Sources: []graph.Source{osv(v.ID)}})
	}
	for i := range findings {
		f := &findings[i]
		props := graph.Props{"tool": f.Tool, "rule": f.Rule, "severity": f.Severity,
			"fingerprint": f.fingerprint(), "message": f.Message}
		if f.Vulnerability != "" {
			props["vulnerability"] = f.Vulnerability
		}
		b.node(graph.Node{ID: graph.FindingID(f.fingerprint()), Kind: graph.Finding, Name: f.Title, Env: f.Target.Env,
			Props: props, DataClasses: slices.Clone(f.Classes), Sources: []graph.Source{b.src("finding/" + f.fingerprint())}})
	}
}

func osv(id string) graph.Source {
	return graph.Source{Agent: "osv", Detail: "https://osv.dev/vulnerability/" + id}
}

// usedPackages lists every package some codebase depends on, in the order of
// the packages table.
func usedPackages() []string {
	var out []string
	for _, p := range packages {
		for i := range codebases {
			if slices.Contains(closure(codebases[i].Pkgs), p.Purl) {
				out = append(out, p.Purl)
				break
			}
		}
	}
	return out
}

// firstUse returns the evidence of the first dependency in env matching ok.
func (b *builder) firstUse(ok func(resolved) bool, env string) (graph.Source, bool) {
	for i := range deployments {
		d := &deployments[i]
		if d.Env != env {
			continue
		}
		for _, dep := range codebaseByName(d.Name).Deps {
			if rv, yes := resolve(d, dep); yes && ok(rv) {
				return b.src("dep/" + svcKey(d.Env, d.Name) + "/" + dep.Env), true
			}
		}
	}
	return graph.Source{}, false
}

// under reports whether an operation path is routed by a rule prefix.
func under(path, prefix string) bool {
	return prefix == "/" || path == prefix || strings.HasPrefix(path, strings.TrimSuffix(prefix, "/")+"/")
}

func (b *builder) edges() {
	lb := graph.GatewayID(prod, "public-lb")
	b.edge(graph.RoutesTo, graph.InternetID, lb, nil, b.src("internet/public-lb"))
	for _, gw := range gateways {
		gid := graph.GatewayID(prod, gw.Name)
		if gw.From != "" {
			b.edge(graph.RoutesTo, graph.GatewayID(prod, gw.From), gid, nil, b.src("class/"+gw.Name))
		}
		for _, ru := range gw.Rules {
			sid := graph.ServiceID(prod, ru.Service)
			src := b.src("rule/" + gw.Name + "/" + ru.Host + ru.Prefix)
			e := b.edge(graph.RoutesTo, gid, sid, graph.Props{"hosts": []string{}, "pathPrefixes": []string{}}, src)
			if !slices.Contains(e.Props["hosts"].([]string), ru.Host) {
				e.Props["hosts"] = append(e.Props["hosts"].([]string), ru.Host)
			}
			e.Props["pathPrefixes"] = append(e.Props["pathPrefixes"].([]string), ru.Prefix)
			for _, o := range codebaseByName(ru.Service).Ops {
				if under(o.Path, ru.Prefix) {
					b.edge(graph.RoutesTo, gid, graph.APIID(sid, o.Method, o.Path),
						graph.Props{"host": ru.Host, "pathPrefix": ru.Prefix}, src)
				}
			}
		}
	}
	for i := range deployments {
		d := &deployments[i]
		if d.Env != staging || d.Published == "" || strings.HasPrefix(d.Published, "127.0.0.1:") {
			continue
		}
		sid := graph.ServiceID(d.Env, d.Name)
		src := b.src("published/" + svcKey(d.Env, d.Name))
		port, _ := strconv.Atoi(d.Published[:strings.Index(d.Published, ":")])
		b.edge(graph.RoutesTo, graph.InternetID, sid, graph.Props{"port": int64(port)}, src)
		for _, o := range codebaseByName(d.Name).Ops {
			b.edge(graph.RoutesTo, graph.InternetID, graph.APIID(sid, o.Method, o.Path), graph.Props{"port": int64(port)}, src)
		}
	}
	for i := range deployments {
		d := &deployments[i]
		cb := codebaseByName(d.Name)
		key := svcKey(d.Env, d.Name)
		sid := graph.ServiceID(d.Env, d.Name)
		for _, o := range cb.Ops {
			b.edge(graph.Exposes, sid, graph.APIID(sid, o.Method, o.Path), nil,
				b.src("api/"+cb.Name+"/"+o.Method+" "+o.Path))
		}
		for _, dep := range cb.Deps {
			rv, ok := resolve(d, dep)
			if !ok {
				continue
			}
			src := b.src("dep/" + key + "/" + dep.Env)
			switch {
			case rv.Svc != "":
				b.edge(graph.Calls, sid, graph.ServiceID(d.Env, rv.Svc),
					graph.Props{"via": dep.Env, "port": int64(codebaseByName(rv.Svc).Port)}, src)
			case rv.Third != "":
				b.edge(graph.Calls, sid, graph.ThirdPartyID(rv.Third), graph.Props{"via": dep.Env}, src)
			case rv.Store != "":
				st := storeByName(d.Env, rv.Store)
				stid := graph.DataStoreID(d.Env, rv.Store)
				if strings.Contains(dep.Access, "r") {
					b.edge(graph.Reads, sid, stid, graph.Props{"via": dep.Env}, src).DataClasses = storeClasses(st)
				}
				if strings.Contains(dep.Access, "w") {
					b.edge(graph.Writes, sid, stid, graph.Props{"via": dep.Env}, src).DataClasses = storeClasses(st)
				}
			}
		}
		if d.Env == prod {
			said := graph.IdentityID("k8s", saName(d))
			b.edge(graph.RunsAs, sid, said, nil, b.src("runsas/"+key))
			for _, ir := range iamRoles {
				if ir.Service != d.Name {
					continue
				}
				role := graph.IdentityID("aws", roleARN(ir.Role))
				src := b.src("role/" + d.Name)
				b.edge(graph.CanAccess, said, role, graph.Props{"via": "eks.amazonaws.com/role-arn"}, src)
				for _, s := range ir.Access {
					b.edge(graph.CanAccess, role, graph.DataStoreID(prod, s), nil, src)
				}
			}
		}
		for _, a := range cb.Apps {
			b.edge(graph.PartOf, sid, graph.ApplicationID(a), nil, b.src("partof/"+key+"/"+a))
		}
		b.edge(graph.OwnedBy, sid, graph.TeamID(cb.Team), nil, b.src("owner/"+key))
		img := graph.ImageID(d.image())
		b.edge(graph.RunsImage, sid, img, nil, b.src("image/"+key))
		if cb.External == "" {
			b.edge(graph.BuiltFrom, img, graph.RepositoryID(repoURL(cb)), nil, b.src("repo/"+cb.Name))
			for _, p := range cb.Pkgs {
				b.edge(graph.DependsOn, sid, graph.PackageID(p), nil, b.src("deps/"+cb.Name))
			}
		}
	}
	for _, a := range applications {
		for _, ns := range namespaces {
			if ns.App == a.Name {
				b.edge(graph.OwnedBy, graph.ApplicationID(a.Name), graph.TeamID(ns.Team), nil, b.src("appteam/"+a.Name))
			}
		}
	}
	for i := range codebases {
		cb := &codebases[i]
		if cb.External == "" {
			b.edge(graph.OwnedBy, graph.RepositoryID(repoURL(cb)), graph.TeamID(cb.Team), nil, b.src("repo/"+cb.Name))
		}
	}
	for _, p := range usedPackages() {
		for _, dep := range pkgByPurl(p).Deps {
			for i := range codebases {
				cb := &codebases[i]
				if cb.External == "" && slices.Contains(closure(cb.Pkgs), p) {
					b.edge(graph.DependsOn, graph.PackageID(p), graph.PackageID(dep), nil, b.src("pkgdeps/"+cb.Name+"/"+p))
					break
				}
			}
		}
	}
	for _, v := range vulnerabilities {
		for _, p := range v.Packages {
			b.edge(graph.AffectedBy, graph.PackageID(p), graph.VulnerabilityID(v.ID), nil, osv(v.ID))
		}
	}
	for i := range findings {
		f := &findings[i]
		b.edge(graph.FoundOn, graph.FindingID(f.fingerprint()), f.Target.id(), nil, b.src("finding/"+f.fingerprint()))
	}
}

func (t target) id() graph.ID {
	switch t.Kind {
	case graph.Service:
		return graph.ServiceID(t.Env, t.Name)
	case graph.API:
		return graph.APIID(graph.ServiceID(t.Env, t.Name), t.Method, t.Path)
	case graph.DataStore:
		return graph.DataStoreID(t.Env, t.Name)
	case graph.Repository:
		return graph.RepositoryID(t.Name)
	}
	panic("demo: finding target of kind " + string(t.Kind))
}
