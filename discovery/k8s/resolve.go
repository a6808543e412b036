package k8s

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/internal/endpoint"
	"github.com/riskgraph/riskgraph/graph"
)

// Resolver is the linker that turns the facts of every manifest, chart and
// overlay into nodes and edges.
type Resolver struct{}

func (Resolver) Name() string { return "k8s-resolve" }
func (Resolver) Phase() int   { return discovery.PhaseResolve }

type facts struct {
	workloads []workload
	services  []service
	ingresses []ingress
	classes   []ingressClass
	netpols   []netPolicy
	cms       map[string][]configMap // ns/name, one per variant
	secrets   map[string]secret
	sas       map[string]serviceAccount
	gateways  []gatewayFact
	routes    []route
}

func loadFacts(c *discovery.Collector) *facts {
	f := &facts{cms: map[string][]configMap{}, secrets: map[string]secret{}, sas: map[string]serviceAccount{}}
	for _, x := range c.Facts("k8s/") {
		switch v := x.Value.(type) {
		case workload:
			f.workloads = append(f.workloads, v)
		case service:
			f.services = append(f.services, v)
		case ingress:
			f.ingresses = append(f.ingresses, v)
		case ingressClass:
			f.classes = append(f.classes, v)
		case netPolicy:
			f.netpols = append(f.netpols, v)
		case configMap:
			f.cms[v.Namespace+"/"+v.Name] = append(f.cms[v.Namespace+"/"+v.Name], v)
		case secret:
			f.secrets[v.Namespace+"/"+v.Name] = v
		case serviceAccount:
			f.sas[v.Namespace+"/"+v.Name] = v
		case gatewayFact:
			f.gateways = append(f.gateways, v)
		case []route:
			f.routes = append(f.routes, v...)
		}
	}
	return f
}

// target is the node a Kubernetes Service name or workload name stands for.
type target struct {
	id    graph.ID
	kind  graph.Kind
	name  string
	port  int64 // container port behind the Service
	store string
}

type resolver struct {
	c     *discovery.Collector
	env   string
	f     *facts
	nodes map[graph.ID]*graph.Node
	// byName maps a Kubernetes Service or workload name to what it stands for.
	byName map[string][]target
	// routes accumulates ROUTES_TO gateway → service props across rules.
	routeProps map[graph.ID]*graph.Edge
	storeUse   []storeUse
	// ownHosts maps the host names the estate's gateways serve (Ingress
	// rules, routes, listeners) to the Service names they route to.
	ownHosts map[string][]string
}

// storeUse is one workload connecting to one data store.
type storeUse struct {
	from    graph.ID
	fromNm  string
	store   graph.ID
	storeNm string
	engine  string
	via     string
	src     graph.Source
}

func (Resolver) Link(ctx context.Context, c *discovery.Collector) error {
	f := loadFacts(c)
	if len(f.workloads)+len(f.services)+len(f.ingresses)+len(f.gateways)+len(f.routes) == 0 {
		return nil
	}
	r := &resolver{c: c, env: c.Env(), f: f, nodes: map[graph.ID]*graph.Node{}, byName: map[string][]target{},
		routeProps: map[graph.ID]*graph.Edge{}}
	r.workloadNodes()
	r.indexServices()
	r.indexOwnHosts()
	r.networkPolicies()
	for i := range f.workloads {
		r.dependencies(&f.workloads[i])
	}
	r.storeEdges()
	r.policyCalls()
	r.exposure()
	r.publish()
	for _, n := range r.nodes {
		c.AddNode(Name, *n)
	}
	ids := make([]graph.ID, 0, len(r.routeProps))
	for id := range r.routeProps {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		c.AddEdge(Name, *r.routeProps[id])
	}
	return nil
}

func (r *resolver) node(n graph.Node) *graph.Node {
	if old, ok := r.nodes[n.ID]; ok {
		m := graph.MergeNode(old, &n, graph.Claim{}, old.FirstSeen)
		m.Claims = nil
		*old = m
		return old
	}
	r.nodes[n.ID] = &n
	return &n
}

func (r *resolver) edge(k graph.EdgeKind, from, to graph.ID, props graph.Props, src graph.Source) {
	e := graph.NewEdge(k, from, to)
	if old, ok := r.c.Edge(e.ID); ok && old.Props != nil && props != nil {
		props = nil // keep the first reason (an env var beats a policy)
	}
	e.Props, e.Sources = props, []graph.Source{src}
	r.c.AddEdge(Name, e)
}

func workloadID(env string, w *workload) graph.ID {
	if w.Engine != "" {
		return graph.DataStoreID(env, w.Name)
	}
	return graph.ServiceID(env, w.Name)
}

func (r *resolver) workloadNodes() {
	for i := range r.f.workloads {
		w := &r.f.workloads[i]
		id := workloadID(r.env, w)
		port := firstPort(w.Pod.Containers)
		image := ""
		if len(w.Pod.Containers) > 0 {
			image = w.Pod.Containers[0].Image
		}
		r.byName[w.Name] = append(r.byName[w.Name], target{id: id, kind: kindOf(w), name: w.Name, port: port})
		if w.Engine != "" {
			props := graph.Props{"engine": w.Engine, "host": w.Name, "managed": false}
			if port > 0 {
				props["port"] = port
			}
			if image != "" {
				props["image"] = image
			}
			r.node(graph.Node{ID: id, Kind: graph.DataStore, Name: w.Name, Env: r.env, Props: props, Sources: []graph.Source{w.Src}})
			continue
		}
		props := graph.Props{"namespace": w.Namespace, "workload": w.Kind, "replicas": w.Replicas}
		if image != "" {
			props["image"] = image
		}
		if port > 0 {
			props["port"] = port
		}
		if sa := w.Pod.ServiceAccountName; sa != "" {
			props["serviceAccount"] = sa
		}
		secrets, creds := r.secretRefs(w)
		if len(secrets) > 0 {
			props["secretRefs"] = secrets
		}
		if cms := configMapRefs(w); len(cms) > 0 {
			props["configMapRefs"] = cms
		}
		var fps []string
		for _, s := range secrets {
			if sf, ok := r.f.secrets[w.Namespace+"/"+s]; ok {
				fps = append(fps, s+"="+sf.Fingerprint)
			}
		}
		fps = append(fps, creds...)
		if len(fps) > 0 {
			props["credentialFingerprints"] = fps
		}
		n := r.node(graph.Node{ID: id, Kind: graph.Service, Name: w.Name, Env: r.env, Props: props, Sources: []graph.Source{w.Src}})
		_ = n
		for _, ct := range w.Pod.Containers {
			if ct.Image == "" {
				continue
			}
			reg, tag := imageParts(ct.Image)
			r.node(graph.Node{ID: graph.ImageID(ct.Image), Kind: graph.Image, Name: ct.Image,
				Props: graph.Props{"ref": ct.Image, "registry": reg, "tag": tag}, Sources: []graph.Source{w.Src}})
			r.edge(graph.RunsImage, id, graph.ImageID(ct.Image), nil, w.Src)
		}
		r.identity(w, id)
		r.ownership(w, id)
	}
}

func kindOf(w *workload) graph.Kind {
	if w.Engine != "" {
		return graph.DataStore
	}
	return graph.Service
}

func firstPort(cs []corev1.Container) int64 {
	for _, c := range cs {
		for _, p := range c.Ports {
			return int64(p.ContainerPort)
		}
	}
	return 0
}

func imageParts(ref string) (registry, tag string) {
	registry = "docker.io"
	if first, _, ok := strings.Cut(ref, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		registry = first
	}
	name := ref
	if i := strings.IndexByte(name, '@'); i >= 0 {
		return registry, name[i+1:]
	}
	tag = "latest"
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		tag = name[i+1:]
	}
	return registry, tag
}

// secretRefs lists the Secrets a workload uses (env, envFrom, volumes) and
// fingerprints of credential-looking values it gets in plain text (env
// literals and ConfigMaps), so shared credentials show without storing them.
func (r *resolver) secretRefs(w *workload) (names, creds []string) {
	add := func(s string) {
		if s != "" && !slices.Contains(names, s) {
			names = append(names, s)
		}
	}
	for _, ct := range allContainers(w) {
		for _, e := range ct.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				add(e.ValueFrom.SecretKeyRef.Name)
			}
		}
		for _, ef := range ct.EnvFrom {
			if ef.SecretRef != nil {
				add(ef.SecretRef.Name)
			}
		}
		for _, kv := range r.envOf(w, ct) {
			if kv.value != "" && endpoint.SecretName(kv.name) && !strings.HasSuffix(strings.ToUpper(kv.name), "_FILE") {
				c := kv.name + "=" + endpoint.Fingerprint(kv.value)
				if !slices.Contains(creds, c) {
					creds = append(creds, c)
				}
			}
		}
	}
	for _, v := range w.Pod.Volumes {
		if v.Secret != nil {
			add(v.Secret.SecretName)
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.Secret != nil {
					add(s.Secret.Name)
				}
			}
		}
	}
	return names, creds
}

func allContainers(w *workload) []corev1.Container {
	return append(append([]corev1.Container{}, w.Pod.InitContainers...), w.Pod.Containers...)
}

type envKV struct {
	name, value string
	line        int
	from        string // ConfigMap it came from, if any
}

// envOf is a container's environment with ConfigMap references resolved.
func (r *resolver) envOf(w *workload, ct corev1.Container) []envKV {
	var out []envKV
	for _, ef := range ct.EnvFrom {
		if ef.ConfigMapRef == nil {
			continue
		}
		cm, ok := r.configMap(w, ef.ConfigMapRef.Name)
		if !ok {
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(cm.Data)) {
			out = append(out, envKV{name: ef.Prefix + k, value: cm.Data[k], line: cm.Src.Line, from: cm.Src.File})
		}
	}
	for _, e := range ct.Env {
		kv := envKV{name: e.Name, value: e.Value, line: w.EnvLines[e.Name]}
		if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
			ref := e.ValueFrom.ConfigMapKeyRef
			cm, ok := r.configMap(w, ref.Name)
			if ok {
				kv.value = cm.Data[ref.Key]
			}
		}
		out = append(out, kv)
	}
	return out
}

// configMap finds the ConfigMap name a workload refers to: of its own
// namespace and variant first, then of any.
func (r *resolver) configMap(w *workload, name string) (configMap, bool) {
	cands := r.f.cms[w.Namespace+"/"+name]
	if len(cands) == 0 {
		keys := make([]string, 0)
		for k := range r.f.cms {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if r.f.cms[k][0].Name == name {
				cands = append(cands, r.f.cms[k]...)
			}
		}
	}
	for _, cm := range cands {
		if cm.Variant == w.Variant {
			return cm, true
		}
	}
	if len(cands) > 0 {
		return cands[0], true
	}
	return configMap{}, false
}

func (r *resolver) identity(w *workload, id graph.ID) {
	sa := w.Pod.ServiceAccountName
	if sa == "" {
		return
	}
	name := w.Namespace + "/" + sa
	said := graph.IdentityID("k8s", name)
	src := w.Src
	saf, ok := r.f.sas[name]
	if ok {
		src = saf.Src
	}
	r.node(graph.Node{ID: said, Kind: graph.Identity, Name: name, Env: r.env,
		Props: graph.Props{"provider": "k8s", "type": "service-account"}, Sources: []graph.Source{src}})
	r.edge(graph.RunsAs, id, said, nil, w.Src)
	if !ok {
		return
	}
	if arn := saf.Annotations["eks.amazonaws.com/role-arn"]; arn != "" {
		role := graph.IdentityID("aws", arn)
		roleName := arn[strings.LastIndexByte(arn, '/')+1:]
		r.node(graph.Node{ID: role, Kind: graph.Identity, Name: roleName, Env: r.env,
			Props: graph.Props{"provider": "aws", "type": "iam-role", "arn": arn}, Sources: []graph.Source{saf.Src}})
		r.edge(graph.CanAccess, said, role, graph.Props{"via": "eks.amazonaws.com/role-arn"}, saf.Src)
	}
	if gsa := saf.Annotations["iam.gke.io/gcp-service-account"]; gsa != "" {
		gid := graph.IdentityID("gcp", gsa)
		r.node(graph.Node{ID: gid, Kind: graph.Identity, Name: gsa, Env: r.env,
			Props: graph.Props{"provider": "gcp", "type": "service-account"}, Sources: []graph.Source{saf.Src}})
		r.edge(graph.CanAccess, said, gid, graph.Props{"via": "iam.gke.io/gcp-service-account"}, saf.Src)
	}
}

// ownership adds PART_OF the application named by the standard part-of
// label and OWNED_BY the team a team or owner label names.
func (r *resolver) ownership(w *workload, id graph.ID) {
	lbl := map[string]string{}
	for k, v := range w.PodLabels {
		lbl[k] = v
	}
	for k, v := range w.Labels {
		lbl[k] = v
	}
	var apps []string
	if a := lbl["app.kubernetes.io/part-of"]; a != "" {
		apps = append(apps, a)
	}
	for k, v := range lbl {
		if strings.HasSuffix(k, "/applications") {
			for _, a := range strings.Split(v, ",") {
				if a = strings.TrimSpace(a); a != "" && !slices.Contains(apps, a) {
					apps = append(apps, a)
				}
			}
		}
	}
	for _, a := range apps {
		r.node(graph.Node{ID: graph.ApplicationID(a), Kind: graph.Application, Name: a, Sources: []graph.Source{w.Src}})
		r.edge(graph.PartOf, id, graph.ApplicationID(a), nil, w.Src)
	}
	keys := make([]string, 0, len(lbl))
	for k := range lbl {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "team" || k == "owner" || strings.HasSuffix(k, "/team") || strings.HasSuffix(k, "/owner") {
			t := lbl[k]
			r.node(graph.Node{ID: graph.TeamID(t), Kind: graph.Team, Name: t, Sources: []graph.Source{w.Src}})
			r.edge(graph.OwnedBy, id, graph.TeamID(t), nil, w.Src)
			break
		}
	}
}

// indexServices maps each Kubernetes Service name to the workloads it
// selects, so a host name resolves to a service or a data store. A
// Service selects the workloads of its own rendering (the same overlay,
// chart or manifest directory) when any match there: an overlay that
// renames a base's objects keeps their labels, and its Service must not
// select the base's workloads, nor theirs it.
func (r *resolver) indexServices() {
	for _, s := range r.f.services {
		if len(s.Selector) == 0 {
			continue
		}
		sel := labels.SelectorFromSet(s.Selector)
		var matched []*workload
		sameVariant := false
		for i := range r.f.workloads {
			w := &r.f.workloads[i]
			if w.Namespace != s.Namespace && !r.sameAppAnyNS(s, w) {
				continue
			}
			if sel.Matches(labels.Set(w.PodLabels)) {
				matched = append(matched, w)
				sameVariant = sameVariant || w.Variant == s.Variant
			}
		}
		var ts []target
		for _, w := range matched {
			if sameVariant && w.Variant != s.Variant {
				continue
			}
			t := target{id: workloadID(r.env, w), kind: kindOf(w), name: w.Name, port: firstPort(w.Pod.Containers)}
			if len(s.Ports) > 0 && s.Ports[0].TargetPort.IntVal > 0 {
				t.port = int64(s.Ports[0].TargetPort.IntVal)
			}
			if !containsTarget(ts, t.id) {
				ts = append(ts, t)
			}
		}
		if s.Name != "" && len(ts) > 0 {
			for _, t := range ts {
				if !containsTarget(r.byName[s.Name], t.id) {
					r.byName[s.Name] = append(r.byName[s.Name], t)
				}
			}
		}
	}
}

// sameAppAnyNS lets a Service match workloads of another namespace when
// variants of one app were deployed with different namespaces (a plain
// manifest in default, an overlay that sets one).
func (r *resolver) sameAppAnyNS(s service, w *workload) bool {
	return s.Namespace == "default" || w.Namespace == "default"
}

func containsTarget(ts []target, id graph.ID) bool {
	for _, t := range ts {
		if t.id == id {
			return true
		}
	}
	return false
}

// lookup resolves a host name to the workloads behind it.
func (r *resolver) lookup(host string) []target {
	label := endpoint.ServiceLabel(host)
	if ts := r.byName[label]; len(ts) > 0 {
		return ts
	}
	// Something another agent found (a compose service, a Lambda).
	if n, ok := r.c.Node(graph.ServiceID(r.env, label)); ok {
		return []target{{id: n.ID, kind: graph.Service, name: label}}
	}
	if n, ok := r.c.Node(graph.DataStoreID(r.env, label)); ok {
		return []target{{id: n.ID, kind: graph.DataStore, name: label}}
	}
	return nil
}

func (r *resolver) dependencies(w *workload) {
	from := workloadID(r.env, w)
	if w.Engine != "" {
		return // a database's own settings name peers and replicas, not dependencies
	}
	for _, ct := range allContainers(w) {
		for _, kv := range r.envOf(w, ct) {
			for _, ep := range endpoint.Parse(kv.name, kv.value) {
				src := graph.Source{Agent: Name, File: w.Src.File, Line: kv.line, Detail: w.Src.Detail + " env " + kv.name}
				if kv.from != "" {
					src.File = kv.from
				}
				if src.Line == 0 {
					src.Line = w.Src.Line
				}
				r.dependency(w, from, ep, src)
			}
		}
		r.secretDependencies(w, from, ct)
		for _, a := range argEndpoints(ct) {
			line := lineOfArg(w, a.raw)
			src := graph.Source{Agent: Name, File: w.Src.File, Line: line, Detail: w.Src.Detail + " argument " + a.flag}
			for _, ep := range endpoint.Parse(a.name, a.value) {
				ep.Var = a.flag
				r.dependency(w, from, ep, src)
			}
		}
	}
}

// argEndpoint is a command-line argument that may name an address:
// --redis-addr=redis:6379, or --db followed by postgres://….
type argEndpoint struct {
	flag, name, value, raw string
}

// argEndpoints lists the arguments of a container's command that may name
// an address: a flag=value, or a URL after a flag. Their flag's name reads
// like a variable's (--catalog-addr is CATALOG_ADDR), so the same rules
// decide what they name.
func argEndpoints(ct corev1.Container) []argEndpoint {
	args := append(append([]string{}, ct.Command...), ct.Args...)
	var out []argEndpoint
	for i, a := range args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		flag, value, ok := strings.Cut(a, "=")
		raw := a
		if !ok {
			if i+1 >= len(args) || !strings.Contains(args[i+1], "://") {
				continue
			}
			value, raw = args[i+1], args[i+1]
		}
		name := strings.ToUpper(strings.ReplaceAll(strings.TrimLeft(flag, "-"), "-", "_"))
		if name == "" || value == "" {
			continue
		}
		out = append(out, argEndpoint{flag: flag, name: name, value: value, raw: raw})
	}
	return out
}

// lineOfArg is the line of a workload's document holding arg, or the
// workload's line.
func lineOfArg(w *workload, arg string) int {
	if l := w.ArgLines[arg]; l > 0 {
		return l
	}
	return w.Src.Line
}

// secretDependencies adds what the addresses in the Secrets a container
// takes its environment from name (a DATABASE_URL kept in a Secret).
func (r *resolver) secretDependencies(w *workload, from graph.ID, ct corev1.Container) {
	for _, ef := range ct.EnvFrom {
		if ef.SecretRef == nil {
			continue
		}
		sf, ok := r.f.secrets[w.Namespace+"/"+ef.SecretRef.Name]
		if !ok {
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(sf.Endpoints)) {
			src := graph.Source{Agent: Name, File: sf.Src.File, Line: sf.Src.Line, Detail: w.Src.Detail + " env " + ef.Prefix + k + " from Secret " + sf.Name}
			for _, ep := range sf.Endpoints[k] {
				ep.Var = ef.Prefix + k
				r.dependency(w, from, ep, src)
			}
		}
	}
	for _, e := range ct.Env {
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		sf, ok := r.f.secrets[w.Namespace+"/"+ref.Name]
		if !ok {
			continue
		}
		line := w.EnvLines[e.Name]
		if line == 0 {
			line = w.Src.Line
		}
		src := graph.Source{Agent: Name, File: w.Src.File, Line: line, Detail: w.Src.Detail + " env " + e.Name + " from Secret " + sf.Name}
		for _, ep := range sf.Endpoints[ref.Key] {
			ep.Var = e.Name
			r.dependency(w, from, ep, src)
		}
	}
}

func (r *resolver) dependency(w *workload, from graph.ID, ep endpoint.Endpoint, src graph.Source) {
	if ext := r.externalName(ep.Host); ext != "" {
		// An ExternalName Service is an in-cluster alias of an outside
		// name (a managed database, a vendor's API).
		ep.Host = ext
		if ep.Engine == "" {
			for _, e := range endpoint.Parse(ep.Var, ext) {
				ep.Engine = e.Engine
			}
		}
	}
	if endpoint.ClusterLocal(ep.Host) || !strings.Contains(ep.Host, ".") {
		if ts := r.lookup(ep.Host); len(ts) > 0 {
			for _, t := range ts {
				if t.id == from {
					continue
				}
				if t.kind == graph.DataStore {
					r.storeUse = append(r.storeUse, storeUse{from: from, fromNm: w.Name, store: t.id, storeNm: t.name, engine: ep.Engine, via: ep.Var, src: src})
					continue
				}
				props := graph.Props{"via": ep.Var}
				if ep.Port > 0 {
					props["port"] = ep.Port
				} else if t.port > 0 {
					props["port"] = t.port
				}
				r.edge(graph.Calls, from, t.id, props, src)
			}
			return
		}
	}
	if ep.Engine != "" {
		name := endpoint.StoreName(ep.Host)
		id := graph.DataStoreID(r.env, name)
		props := graph.Props{"engine": ep.Engine, "host": ep.Host}
		if ep.Engine == "rds" {
			props["engine"] = endpoint.RDSEngine(ep)
		}
		if ep.Port > 0 {
			props["port"] = ep.Port
		}
		if ep.Bucket {
			props["engine"] = ep.Scheme
			if ep.Scheme == "s3" {
				props["engine"] = "s3"
			}
		}
		props["managed"] = !endpoint.ClusterLocal(ep.Host)
		r.node(graph.Node{ID: id, Kind: graph.DataStore, Name: name, Env: r.env, Props: props, Sources: []graph.Source{src}})
		r.storeUse = append(r.storeUse, storeUse{from: from, fromNm: w.Name, store: id, storeNm: name, engine: fmt.Sprint(props["engine"]), via: ep.Var, src: src})
		return
	}
	if svcs, own := r.ownHost(ep.Host); own {
		// The estate's own public name (PUBLIC_URL, a callback): not a
		// third party. A call when the name leads to one service.
		var ts []target
		for _, s := range svcs {
			for _, t := range r.lookup(s) {
				if t.kind == graph.Service && !containsTarget(ts, t.id) {
					ts = append(ts, t)
				}
			}
		}
		if len(ts) == 1 && ts[0].id != from {
			r.edge(graph.Calls, from, ts[0].id, graph.Props{"via": ep.Var, "host": ep.Host}, src)
		}
		return
	}
	if !endpoint.ClusterLocal(ep.Host) {
		id := graph.ThirdPartyID(ep.Host)
		r.node(graph.Node{ID: id, Kind: graph.ThirdParty, Name: ep.Host, Props: graph.Props{"host": ep.Host}, Sources: []graph.Source{src}})
		r.edge(graph.Calls, from, id, graph.Props{"via": ep.Var}, src)
		return
	}
	// An in-cluster name nobody defined: keep the call; the batch reports
	// it as dangling unless another agent finds the service.
	props := graph.Props{"via": ep.Var}
	if ep.Port > 0 {
		props["port"] = ep.Port
	}
	r.edge(graph.Calls, from, graph.ServiceID(r.env, endpoint.ServiceLabel(ep.Host)), props, src)
}

// externalName is the outside name an ExternalName Service called host
// stands for, or "" when host is not one (or also names a workload).
func (r *resolver) externalName(host string) string {
	if !endpoint.ClusterLocal(host) && strings.Contains(host, ".") {
		return ""
	}
	label := endpoint.ServiceLabel(host)
	if len(r.byName[label]) > 0 {
		return ""
	}
	for _, s := range r.f.services {
		if s.Name == label && s.Type == "ExternalName" && s.ExternalName != "" {
			return strings.ToLower(strings.TrimSuffix(s.ExternalName, "."))
		}
	}
	return ""
}

// indexOwnHosts records the host names the estate's gateways serve.
func (r *resolver) indexOwnHosts() {
	r.ownHosts = map[string][]string{}
	add := func(host, svc string) {
		host = strings.ToLower(strings.TrimSuffix(host, "."))
		if host == "" || host == "*" {
			return
		}
		if _, ok := r.ownHosts[host]; !ok {
			r.ownHosts[host] = nil
		}
		if svc != "" && !slices.Contains(r.ownHosts[host], svc) {
			r.ownHosts[host] = append(r.ownHosts[host], svc)
		}
	}
	for _, ing := range r.f.ingresses {
		for _, ru := range ing.Rules {
			add(ru.Host, ru.Service)
		}
	}
	for _, rt := range r.f.routes {
		add(rt.Host, rt.Service)
	}
	for _, g := range r.f.gateways {
		for _, h := range g.Hosts {
			add(h, "")
		}
	}
}

// ownHost says whether host is served by one of the estate's gateways
// (exactly, or by a wildcard *.example.com), and the Services it routes to.
func (r *resolver) ownHost(host string) ([]string, bool) {
	host = strings.ToLower(host)
	if svcs, ok := r.ownHosts[host]; ok {
		return svcs, true
	}
	if _, rest, ok := strings.Cut(host, "."); ok {
		if svcs, ok := r.ownHosts["*."+rest]; ok {
			return svcs, true
		}
	}
	return nil, false
}

// storeEdges applies the read/write rule:
//   - caches and object stores: READS and WRITES (clients put and get);
//   - queues: READS and WRITES unless the variable says consumer
//     (READS only) or producer (WRITES only);
//   - databases: READS; WRITES too when the service owns the database:
//     it is the only workload connecting to it, or the store is named after
//     the service (cart → carts-db, redis-cart). A variable that says
//     replica or read-only keeps it at READS.
func (r *resolver) storeEdges() {
	users := map[graph.ID]map[graph.ID]bool{}
	for _, u := range r.storeUse {
		if users[u.store] == nil {
			users[u.store] = map[graph.ID]bool{}
		}
		users[u.store][u.from] = true
	}
	for _, u := range r.storeUse {
		owned := len(users[u.store]) == 1 || endpoint.NamedAfter(u.storeNm, u.fromNm)
		read, write := endpoint.Access(u.engine, u.via, owned)
		props := graph.Props{"via": u.via}
		if read {
			r.edge(graph.Reads, u.from, u.store, props, u.src)
		}
		if write {
			r.edge(graph.Writes, u.from, u.store, props, u.src)
		}
	}
}

// networkPolicies records on each service the policies that select it.
func (r *resolver) networkPolicies() {
	for _, np := range r.f.netpols {
		for _, w := range r.selectPods(np.Namespace, &np.Spec.PodSelector, false) {
			id := workloadID(r.env, w)
			if n, ok := r.nodes[id]; ok && n.Kind == graph.Service {
				pols := n.Props.Strings("networkPolicies")
				if !slices.Contains(pols, np.Name) {
					n.Props["networkPolicies"] = append(slices.Clone(pols), np.Name)
				}
			}
		}
	}
}

// policyCalls adds the calls a NetworkPolicy allows from named pods: when
// manifests name no addresses (hosts hard-coded in the code), the policy
// is the only statement of who talks to whom.
func (r *resolver) policyCalls() {
	for _, np := range r.f.netpols {
		selected := r.selectPods(np.Namespace, &np.Spec.PodSelector, false)
		for _, rule := range np.Spec.Ingress {
			var port int64
			for _, p := range rule.Ports {
				if p.Port != nil && p.Port.IntVal > 0 {
					port = int64(p.Port.IntVal)
					break
				}
			}
			for _, peer := range rule.From {
				if peer.PodSelector == nil || len(peer.PodSelector.MatchLabels)+len(peer.PodSelector.MatchExpressions) == 0 {
					continue // a namespace or IP block: too broad to be a call
				}
				froms := r.selectPods(np.Namespace, peer.PodSelector, peer.NamespaceSelector != nil)
				for _, fw := range froms {
					if fw.Engine != "" {
						continue
					}
					fid := workloadID(r.env, fw)
					src := graph.Source{Agent: Name, File: np.Src.File, Line: np.Src.Line, Detail: "NetworkPolicy " + np.Name + " allows ingress from " + fw.Name}
					for _, tw := range selected {
						tid := workloadID(r.env, tw)
						if tid == fid {
							continue
						}
						if tw.Engine != "" {
							r.storeUse = append(r.storeUse[:0:0], storeUse{from: fid, fromNm: fw.Name, store: tid, storeNm: tw.Name, engine: tw.Engine, via: "NetworkPolicy " + np.Name, src: src})
							r.storeEdges()
							continue
						}
						props := graph.Props{"via": "NetworkPolicy " + np.Name}
						if port > 0 {
							props["port"] = port
						}
						r.edge(graph.Calls, fid, tid, props, src)
					}
				}
			}
		}
	}
}

// selectPods returns the workloads in ns (any ns when anyNS) whose pod
// labels match sel. An empty selector selects every pod of the namespace.
func (r *resolver) selectPods(ns string, sel *metav1.LabelSelector, anyNS bool) []*workload {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return nil
	}
	var out []*workload
	for i := range r.f.workloads {
		w := &r.f.workloads[i]
		if !anyNS && w.Namespace != ns {
			continue
		}
		if s.Matches(labels.Set(w.PodLabels)) {
			out = append(out, w)
		}
	}
	return out
}

// publish shares each service's resolved environment and each Service
// name's targets with other agents' linkers (a reverse proxy's config).
func (r *resolver) publish() {
	for i := range r.f.workloads {
		w := &r.f.workloads[i]
		if w.Engine != "" {
			continue
		}
		env := map[string]string{}
		image := ""
		for _, ct := range w.Pod.Containers {
			if image == "" {
				image = ct.Image
			}
			for _, kv := range r.envOf(w, ct) {
				if kv.value != "" && !endpoint.SecretName(kv.name) {
					env[kv.name] = kv.value
				}
			}
		}
		id := workloadID(r.env, w)
		key := discovery.EnvFactPrefix + string(id) + "/" + w.Variant
		r.c.AddFact(Name, key, discovery.ServiceEnv{Service: id, Name: w.Name, Image: image, Env: env})
	}
	for name, ts := range r.byName {
		var ids []graph.ID
		for _, t := range ts {
			if !slices.Contains(ids, t.id) {
				ids = append(ids, t.id)
			}
		}
		r.c.AddFact(Name, discovery.AliasFactPrefix+name, discovery.HostAlias{Name: name, Targets: ids})
	}
}

// configMapRefs lists the ConfigMaps a workload reads (env, envFrom,
// volumes), by name.
func configMapRefs(w *workload) []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, ct := range allContainers(w) {
		for _, ef := range ct.EnvFrom {
			if ef.ConfigMapRef != nil {
				add(ef.ConfigMapRef.Name)
			}
		}
		for _, e := range ct.Env {
			if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
				add(e.ValueFrom.ConfigMapKeyRef.Name)
			}
		}
	}
	for _, v := range w.Pod.Volumes {
		if v.ConfigMap != nil {
			add(v.ConfigMap.Name)
		}
	}
	return out
}
