package k8s

import (
	"slices"
	"strings"

	"github.com/riskgraph/riskgraph/graph"
)

// internalLB lists annotations that keep a LoadBalancer off the internet.
var internalLB = map[string][]string{
	"service.beta.kubernetes.io/aws-load-balancer-internal":          {"true", "0.0.0.0/0"},
	"service.beta.kubernetes.io/aws-load-balancer-scheme":            {"internal"},
	"networking.gke.io/load-balancer-type":                           {"internal"},
	"cloud.google.com/load-balancer-type":                            {"internal"},
	"service.beta.kubernetes.io/azure-load-balancer-internal":        {"true"},
	"service.beta.kubernetes.io/oci-load-balancer-internal":          {"true"},
	"service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type": {"private"},
	"alb.ingress.kubernetes.io/scheme":                               {"internal"},
}

func internal(ann map[string]string) bool {
	for k, vs := range internalLB {
		if v, ok := ann[k]; ok && slices.Contains(vs, strings.ToLower(v)) {
			return true
		}
	}
	return false
}

// apiGatewayClasses are ingress controllers that are API gateways.
var apiGatewayClasses = []string{"kong", "ambassador", "emissary", "apisix", "tyk", "gloo", "traefik-api", "krakend"}

// exposure adds gateways and the ROUTES_TO chain from the Internet:
// LoadBalancer Services (unless annotated internal) and NodePorts take
// traffic from the Internet; an Ingress takes it from the load balancer
// its IngressClass names, or from the Internet itself; Gateway API and
// Istio gateways take it from the Internet. Routes then lead to services.
func (r *resolver) exposure() {
	lbs := map[string]graph.ID{} // LoadBalancer Service name → gateway
	for _, s := range r.f.services {
		switch s.Type {
		case "LoadBalancer":
			gid := graph.GatewayID(r.env, s.Name)
			public := !internal(s.Annotations)
			r.node(graph.Node{ID: gid, Kind: graph.Gateway, Name: s.Name, Env: r.env,
				Props: graph.Props{"type": "load-balancer", "public": public, "namespace": s.Namespace}, Sources: []graph.Source{s.Src}})
			lbs[s.Name] = gid
			if public {
				var port int64
				if len(s.Ports) > 0 {
					port = int64(s.Ports[0].Port)
				}
				r.edge(graph.RoutesTo, graph.InternetID, gid, graph.Props{"port": port}, withDetail(s.Src, "LoadBalancer Service "+s.Name+" is internet-facing"))
			}
			for _, t := range r.selectedBy(s) {
				if t.kind == graph.Service {
					r.route(gid, t.id, "", "/", s.Src)
				}
			}
		case "NodePort":
			for _, t := range r.selectedBy(s) {
				if t.kind != graph.Service {
					continue
				}
				var port int64
				for _, p := range s.Ports {
					if p.NodePort > 0 {
						port = int64(p.NodePort)
						break
					}
				}
				props := graph.Props{}
				if port > 0 {
					props["port"] = port
				}
				r.edge(graph.RoutesTo, graph.InternetID, t.id, props, withDetail(s.Src, "NodePort Service "+s.Name+" is reachable on every node's address"))
			}
		}
	}
	classes := map[string]ingressClass{}
	for _, ic := range r.f.classes {
		classes[ic.Name] = ic
	}
	for _, ing := range r.f.ingresses {
		gid := graph.GatewayID(r.env, ing.Name)
		typ := "ingress"
		for _, c := range apiGatewayClasses {
			if strings.Contains(strings.ToLower(ing.Class), c) {
				typ = "api-gateway"
			}
		}
		front := graph.ID("")
		if ic, ok := classes[ing.Class]; ok {
			for _, v := range sortedValues(ic.Annotations) {
				if id, ok := lbs[v]; ok {
					front = id
					r.edge(graph.RoutesTo, id, gid, nil, withDetail(ic.Src, "IngressClass "+ic.Name+" is served behind "+v))
					break
				}
			}
		}
		props := graph.Props{"type": typ, "public": front == "" && !internal(ing.Annotations)}
		if ing.Class != "" {
			props["class"] = ing.Class
		}
		var hosts []string
		for _, ru := range ing.Rules {
			if ru.Host != "" && !slices.Contains(hosts, ru.Host) {
				hosts = append(hosts, ru.Host)
			}
		}
		if len(hosts) > 0 {
			props["hosts"] = hosts
		}
		r.node(graph.Node{ID: gid, Kind: graph.Gateway, Name: ing.Name, Env: r.env, Props: props, Sources: []graph.Source{ing.Src}})
		if front == "" && !internal(ing.Annotations) {
			r.edge(graph.RoutesTo, graph.InternetID, gid, nil, withDetail(ing.Src, "Ingress "+ing.Name+" has no internal load balancer in front"))
		}
		for _, ru := range ing.Rules {
			src := ing.Src
			if ru.Line > 0 {
				src.Line = ru.Line
			}
			for _, t := range r.lookup(ru.Service) {
				if t.kind == graph.Service {
					r.route(gid, t.id, ru.Host, ru.Path, src)
				}
			}
		}
	}
	gws := map[string]graph.ID{}
	for _, g := range r.f.gateways {
		gid := graph.GatewayID(r.env, g.Name)
		gws[g.Name] = gid
		props := graph.Props{"type": "ingress", "public": g.Public}
		if g.Class != "" {
			props["class"] = g.Class
		}
		var hosts []string
		for _, h := range g.Hosts {
			if h != "*" && h != "" {
				hosts = append(hosts, h)
			}
		}
		if len(hosts) > 0 {
			props["hosts"] = hosts
		}
		r.node(graph.Node{ID: gid, Kind: graph.Gateway, Name: g.Name, Env: r.env, Props: props, Sources: []graph.Source{g.Src}})
		if g.Public {
			r.edge(graph.RoutesTo, graph.InternetID, gid, nil, withDetail(g.Src, g.Src.Detail+" accepts traffic from outside the cluster"))
		}
	}
	for _, rt := range r.f.routes {
		gid, ok := gws[rt.Gateway]
		if !ok {
			continue // the gateway itself was not among the files read
		}
		host := rt.Host
		if host == "*" {
			host = ""
		}
		for _, t := range r.lookup(rt.Service) {
			if t.kind == graph.Service {
				r.route(gid, t.id, host, rt.Prefix, rt.Src)
			}
		}
	}
}

// selectedBy returns the workloads a Service selects.
func (r *resolver) selectedBy(s service) []target {
	var out []target
	for _, t := range r.byName[s.Name] {
		out = append(out, t)
	}
	return out
}

// route accumulates a ROUTES_TO gateway → service edge: one edge, every
// rule's host and path prefix in its props.
func (r *resolver) route(from, to graph.ID, host, prefix string, src graph.Source) {
	id := graph.EdgeID(graph.RoutesTo, from, to)
	e, ok := r.routeProps[id]
	if !ok {
		ne := graph.NewEdge(graph.RoutesTo, from, to)
		ne.Props = graph.Props{"hosts": []string{}, "pathPrefixes": []string{}}
		e = &ne
		r.routeProps[id] = e
	}
	if host != "" && !slices.Contains(e.Props["hosts"].([]string), host) {
		e.Props["hosts"] = append(e.Props["hosts"].([]string), host)
	}
	if !slices.Contains(e.Props["pathPrefixes"].([]string), prefix) {
		e.Props["pathPrefixes"] = append(e.Props["pathPrefixes"].([]string), prefix)
	}
	if !slices.Contains(e.Sources, src) && len(e.Sources) < graph.MaxSources {
		e.Sources = append(e.Sources, src)
	}
}

func withDetail(s graph.Source, d string) graph.Source {
	s.Detail = d
	return s
}

func sortedValues(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}
