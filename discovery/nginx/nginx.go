// Package nginx discovers reverse-proxy routes from nginx configuration:
// each `location PREFIX { proxy_pass http://UPSTREAM…; }` becomes a route
// from a Gateway node for the proxy (type "reverse-proxy") to the upstream
// service, with upstream blocks and envsubst-style ${VARS} resolved.
//
// A config file does not say which service runs it. The linker binds it to
// the service whose environment defines the ${VARS} the file uses (the way
// the official nginx image's templates are filled in), or else to the
// service named after the file's directory; the proxy gateway is then
// reached through that service, so its routes are internet-facing exactly
// when that service is.
//
// Upstreams on the loopback address (127.0.0.1:3000) lead to the one
// container publishing that host port. A proxy no service runs whose
// upstreams are such ports runs on the host itself, and takes traffic from
// the Internet when it listens on a public address.
package nginx

import (
	"bytes"
	"context"
	"net"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

// Name is the agent name.
const Name = "nginx"

// Agent reads nginx configuration files.
type Agent struct{}

func (Agent) Name() string { return Name }

var reProxy = regexp.MustCompile(`(?m)^\s*(proxy_pass|grpc_pass)\s+\S`)
var reBlock = regexp.MustCompile(`(?m)^\s*(location|server|upstream|http)\b[^;\n]*\{`)

// Detect is true for text with proxy_pass directives inside location,
// server or upstream blocks.
func (Agent) Detect(f *discovery.File) bool {
	if !bytes.Contains(f.Data, []byte("proxy_pass")) && !bytes.Contains(f.Data, []byte("grpc_pass")) {
		return false
	}
	return reProxy.Match(f.Data) && reBlock.Match(f.Data) && !bytes.Contains(f.Data, []byte("apiVersion:"))
}

// Route is one location routed to an upstream.
type Route struct {
	Prefix   string // location path
	Exact    bool   // location = /x
	Scheme   string
	Host     string // as written: a name, an upstream, ${VAR} or $var
	Port     int64
	URI      string // the URI part of proxy_pass, which replaces Prefix
	HasURI   bool
	Line     int
	Upstream []string // servers of the upstream block Host names, if any
}

// Config is what one file says.
type Config struct {
	File       string
	Dir        string
	Vars       []string // ${VARS} the file uses
	ServerName []string
	Listen     []string // addresses of listen directives (port, addr:port, unix:…)
	Routes     []Route
}

var reEnvVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

func (Agent) Read(ctx context.Context, f *discovery.File, c *discovery.Collector) error {
	cfg, err := Parse(f.Path, f.Data)
	if err != nil {
		return err
	}
	c.AddFact(Name, "nginx/"+f.Path, *cfg)
	return nil
}

// Parse reads one nginx configuration file.
func Parse(file string, data []byte) (*Config, error) {
	ds, err := parse(file, string(data))
	if err != nil {
		return nil, err
	}
	cfg := &Config{File: file, Dir: path.Dir(file)}
	for _, m := range reEnvVar.FindAllStringSubmatch(string(data), -1) {
		if !slices.Contains(cfg.Vars, m[1]) {
			cfg.Vars = append(cfg.Vars, m[1])
		}
	}
	upstreams := map[string][]string{}
	var walk func(ds []*directive, loc string, exact bool)
	walk = func(ds []*directive, loc string, exact bool) {
		for _, d := range ds {
			switch d.Name {
			case "upstream":
				if len(d.Args) > 0 {
					for _, s := range d.Children {
						if s.Name == "server" && len(s.Args) > 0 {
							upstreams[d.Args[0]] = append(upstreams[d.Args[0]], s.Args[0])
						}
					}
				}
			case "listen":
				if len(d.Args) > 0 && !slices.Contains(cfg.Listen, d.Args[0]) {
					cfg.Listen = append(cfg.Listen, d.Args[0])
				}
			case "server_name":
				for _, a := range d.Args {
					if a != "_" && a != "" && !slices.Contains(cfg.ServerName, a) {
						cfg.ServerName = append(cfg.ServerName, a)
					}
				}
			case "location":
				p, ex := locationPath(d.Args)
				walk(d.Children, p, ex)
				continue
			case "proxy_pass", "grpc_pass":
				if loc != "" && len(d.Args) > 0 {
					cfg.Routes = append(cfg.Routes, proxyRoute(loc, exact, d))
				}
			}
			walk(d.Children, loc, exact)
		}
	}
	walk(ds, "", false)
	for i := range cfg.Routes {
		if s, ok := upstreams[cfg.Routes[i].Host]; ok {
			cfg.Routes[i].Upstream = s
		}
	}
	return cfg, nil
}

// locationPath returns a location's path; regex locations give "" (they
// match no prefix we can compare with API paths).
func locationPath(args []string) (string, bool) {
	switch {
	case len(args) == 1:
		return args[0], false
	case len(args) == 2 && args[0] == "=":
		return args[1], true
	case len(args) == 2 && args[0] == "^~":
		return args[1], false
	case len(args) == 2 && args[0] == "@":
		return "", false
	}
	return "", false
}

func proxyRoute(loc string, exact bool, d *directive) Route {
	r := Route{Prefix: loc, Exact: exact, Line: d.Line}
	target := d.Args[0]
	scheme, rest, ok := strings.Cut(target, "://")
	if !ok {
		rest = target
		scheme = "http"
	}
	r.Scheme = scheme
	hostport := rest
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		hostport, r.URI, r.HasURI = rest[:i], rest[i:], true
	}
	host, port := hostport, ""
	if h, p, err := net.SplitHostPort(hostport); err == nil && !strings.Contains(p, "}") {
		host, port = h, p
	}
	r.Host = host
	if n, err := strconv.ParseInt(port, 10, 64); err == nil {
		r.Port = n
	}
	return r
}

// Linker binds each proxy config to the service that runs it and adds the
// gateway and its routes.
type Linker struct{}

func (Linker) Name() string { return "nginx-routes" }

// Phase: after the agents' own resolvers (PhaseResolve), before spec
// matching.
func (Linker) Phase() int { return discovery.PhaseResolve + 1 }

func (Linker) Link(ctx context.Context, c *discovery.Collector) error {
	envs := map[graph.ID][]discovery.ServiceEnv{}
	var ids []graph.ID
	for _, f := range c.Facts(discovery.EnvFactPrefix) {
		se, ok := f.Value.(discovery.ServiceEnv)
		if !ok {
			continue
		}
		if _, seen := envs[se.Service]; !seen {
			ids = append(ids, se.Service)
		}
		envs[se.Service] = append(envs[se.Service], se)
	}
	slices.Sort(ids)
	for _, f := range c.Facts("nginx/") {
		cfg, ok := f.Value.(Config)
		if !ok {
			continue
		}
		link(c, cfg, envs, ids)
	}
	return nil
}

func link(c *discovery.Collector, cfg Config, envs map[graph.ID][]discovery.ServiceEnv, ids []graph.ID) {
	env := c.Env()
	// Bind: the service whose environment defines most of the file's vars.
	var bound graph.ID
	var boundName string
	var boundEnv map[string]string
	best := 0
	for _, id := range ids {
		for _, se := range envs[id] {
			n := 0
			for _, v := range cfg.Vars {
				if _, ok := se.Env[v]; ok {
					n++
				}
			}
			if n > best {
				best, bound, boundName, boundEnv = n, id, se.Name, se.Env
			}
		}
	}
	dir := path.Base(cfg.Dir)
	if bound == "" {
		// Or the service named after the directory (services/web → *-web).
		for _, n := range c.Nodes(graph.Service) {
			if n.Env == env && (n.Name == dir || strings.HasSuffix(n.Name, "-"+dir) || strings.HasPrefix(n.Name, dir+"-")) {
				bound, boundName = n.ID, n.Name
				break
			}
		}
	}
	// The proxy is a gateway of its own, named apart from the service
	// (and from a LoadBalancer of the same name in front of it).
	name := boundName + "-proxy"
	if boundName == "" {
		name = dir + "-proxy"
	}
	gid := graph.GatewayID(env, name)
	src := graph.Source{Agent: Name, File: cfg.File, Line: 1, Detail: "nginx reverse proxy"}
	props := graph.Props{"type": "reverse-proxy", "class": "nginx", "public": false}
	if len(cfg.ServerName) > 0 {
		props["hosts"] = cfg.ServerName
	}
	if len(cfg.Routes) == 0 {
		return
	}
	type acc struct {
		prefixes, upstream []string
		sources            []graph.Source
		rewrites           bool
	}
	routes := map[graph.ID]*acc{}
	var order []graph.ID
	local := loopbackPorts(c, env)
	onHost := false // a route reached a container through a port it publishes on the host
	for _, r := range cfg.Routes {
		for _, hp := range hostsOf(r, boundEnv) {
			host := hp.host
			to := resolve(c, env, host)
			if isLoopback(host) {
				to = local[hp.port]
				onHost = onHost || to != ""
			}
			if to == "" || to == bound {
				continue
			}
			a, ok := routes[to]
			if !ok {
				a = &acc{}
				routes[to] = a
				order = append(order, to)
			}
			up := r.Prefix
			if r.HasURI {
				up, a.rewrites = r.URI, true
			}
			dup := false
			for i := range a.prefixes {
				if a.prefixes[i] == r.Prefix && a.upstream[i] == up {
					dup = true
				}
			}
			if dup {
				continue
			}
			a.prefixes = append(a.prefixes, r.Prefix)
			a.upstream = append(a.upstream, up)
			a.sources = append(a.sources, graph.Source{Agent: Name, File: cfg.File, Line: r.Line, Detail: "location " + r.Prefix + " proxy_pass " + r.Host})
		}
	}
	// A proxy no service runs, whose upstreams are containers' ports on
	// the host's loopback, runs on the host itself: it takes traffic from
	// the Internet when it listens on a public address.
	onHostPublic := bound == "" && onHost && listensPublicly(cfg.Listen)
	if onHostPublic {
		props["public"] = true
	}
	c.AddNode(Name, graph.Node{ID: gid, Kind: graph.Gateway, Name: name, Env: env, Props: props, Sources: []graph.Source{src}})
	if bound != "" {
		e := graph.NewEdge(graph.RoutesTo, bound, gid)
		e.Sources = []graph.Source{{Agent: Name, File: cfg.File, Line: 1, Detail: "nginx configuration run by " + boundName}}
		c.AddEdge(Name, e)
	}
	if onHostPublic {
		e := graph.NewEdge(graph.RoutesTo, graph.InternetID, gid)
		e.Sources = []graph.Source{{Agent: Name, File: cfg.File, Line: 1,
			Detail: "nginx on the host (upstreams on 127.0.0.1) listening on " + strings.Join(cfg.Listen, ", ")}}
		c.AddEdge(Name, e)
	}
	for _, to := range order {
		a := routes[to]
		e := graph.NewEdge(graph.RoutesTo, gid, to)
		hosts := append([]string{}, cfg.ServerName...)
		e.Props = graph.Props{"hosts": hosts, "pathPrefixes": a.prefixes}
		if a.rewrites {
			e.Props["upstreamPathPrefixes"] = a.upstream
		}
		if len(a.sources) > graph.MaxSources {
			a.sources = a.sources[:graph.MaxSources]
		}
		e.Sources = a.sources
		c.AddEdge(Name, e)
	}
}

// hostPort is a host a route proxies to, with its port when known.
type hostPort struct {
	host string
	port int64
}

// hostsOf returns the hosts a route proxies to: the upstream block's
// servers, or its host with ${VARS} filled from the bound service's env.
func hostsOf(r Route, env map[string]string) []hostPort {
	var raw []string
	if len(r.Upstream) > 0 {
		raw = r.Upstream
	} else {
		raw = []string{r.Host}
		if r.Port > 0 {
			raw[0] = net.JoinHostPort(r.Host, strconv.FormatInt(r.Port, 10))
		}
	}
	var out []hostPort
	for _, h := range raw {
		h = reEnvVar.ReplaceAllStringFunc(h, func(m string) string {
			return env[m[2:len(m)-1]]
		})
		if h == "" || strings.Contains(h, "$") {
			continue // an nginx runtime variable: not knowable from the file
		}
		hp := hostPort{host: h}
		if u, err := url.Parse("http://" + h); err == nil && u.Hostname() != "" {
			hp.host = u.Hostname()
			hp.port, _ = strconv.ParseInt(u.Port(), 10, 64)
		}
		hp.host = strings.ToLower(hp.host)
		out = append(out, hp)
	}
	slices.SortFunc(out, func(a, b hostPort) int {
		if c := strings.Compare(a.host, b.host); c != 0 {
			return c
		}
		return int(a.port - b.port)
	})
	return slices.Compact(out)
}

// listensPublicly is true when some listen address is not a loopback
// address or a unix socket (a bare port listens on every interface).
func listensPublicly(listen []string) bool {
	for _, l := range listen {
		if strings.HasPrefix(l, "unix:") {
			continue
		}
		host := l
		if h, _, err := net.SplitHostPort(l); err == nil {
			host = h
		} else if _, err := strconv.Atoi(l); err == nil {
			return true
		}
		if !isLoopback(host) {
			return true
		}
	}
	return false
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// loopbackPorts maps host ports that services of env publish (on the
// loopback address or all interfaces) to those services, so that a proxy
// on the host (upstream 127.0.0.1:3000) reaches the container publishing
// 3000. A port two services publish is ambiguous and left out.
func loopbackPorts(c *discovery.Collector, env string) map[int64]graph.ID {
	seen := map[int64][]graph.ID{}
	add := func(p int64, id graph.ID) {
		if p > 0 && !slices.Contains(seen[p], id) {
			seen[p] = append(seen[p], id)
		}
	}
	for _, n := range c.Nodes(graph.Service) {
		if n.Env != env {
			continue
		}
		ps, _ := n.Props["localPorts"].([]int64)
		for _, p := range ps {
			add(p, n.ID)
		}
	}
	for _, e := range c.Edges(graph.RoutesTo) {
		if e.From != graph.InternetID {
			continue
		}
		if k, _ := e.To.KindOf(); k != graph.Service {
			continue
		}
		add(e.Props.Int("port"), e.To)
		ps, _ := e.Props["ports"].([]int64)
		for _, p := range ps {
			add(p, e.To)
		}
	}
	out := map[int64]graph.ID{}
	for p, ids := range seen {
		if len(ids) == 1 {
			out[p] = ids[0]
		}
	}
	return out
}

// resolve maps a host to a service id: a name another agent declared as
// an alias (a Kubernetes Service), or a service of that name.
func resolve(c *discovery.Collector, env, host string) graph.ID {
	label := host
	if i := strings.IndexByte(label, '.'); i > 0 {
		label = label[:i]
	}
	for _, f := range c.Facts(discovery.AliasFactPrefix + label) {
		if a, ok := f.Value.(discovery.HostAlias); ok && a.Name == label {
			for _, t := range a.Targets {
				if k, _ := t.KindOf(); k == graph.Service {
					return t
				}
			}
		}
	}
	switch host {
	case "localhost", "127.0.0.1", "::1", "unix":
		return ""
	}
	if strings.Contains(host, ".") && !strings.HasSuffix(host, ".local") && !strings.Contains(host, ".svc") && net.ParseIP(host) == nil {
		return "" // an external site proxied to: not a service of this estate
	}
	return graph.ServiceID(env, label)
}
