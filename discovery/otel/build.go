package otel

import (
	"math"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/internal/endpoint"
	"github.com/riskgraph/riskgraph/graph"
)

// Stats says what a Build found besides nodes and edges.
type Stats struct {
	Spans      int `json:"spans"`
	Duplicates int `json:"duplicates"` // spans seen more than once (same trace and span id), counted once
	Calls      int `json:"calls"`      // cross-service parent/child pairs
	// Orphans are spans whose parent is not in the input (a trace cut by
	// the export window); they give their service and API but no call.
	Orphans    int `json:"orphans"`
	Unresolved int `json:"unresolved"` // client spans to an IP or localhost, not attributed
	Skipped    int `json:"skipped"`    // spans of resources without service.name
}

// Props every runtime edge carries.
const (
	PropCalls     = "calls"
	PropErrors    = "errors"
	PropErrorRate = "errorRate"
	PropTables    = "tables"
)

// source is the evidence on everything the agent adds. It names no file on
// purpose: an edge seen in thousands of trace files keeps one source, and
// the artifact agents' evidence is never pushed out of the capped list.
var source = graph.Source{Agent: AgentName, Detail: "OpenTelemetry traces"}

type aggKey struct {
	kind     graph.EdgeKind
	from, to graph.ID
}

type agg struct {
	calls, errors int64
	first, last   int64
	tables        map[string]bool
}

func (a *agg) add(err bool, start, end int64) {
	a.calls++
	if err {
		a.errors++
	}
	if a.first == 0 || (start > 0 && start < a.first) {
		a.first = start
	}
	if end > a.last {
		a.last = end
	}
}

type spanKey struct {
	trace [16]byte
	id    [8]byte
}

func unixTime(ns int64) time.Time {
	if ns <= 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// ErrorRate is errors/calls rounded to four decimals.
func ErrorRate(calls, errors int64) float64 {
	if calls <= 0 {
		return 0
	}
	return math.Round(float64(errors)/float64(calls)*1e4) / 1e4
}

// Build adds to c everything the committed spans show.
func (o *Observer) Build(c *discovery.Collector) Stats {
	st := Stats{Spans: o.Spans, Skipped: o.Skipped}
	idx := make(map[spanKey]int32, len(o.recs))
	dup := make([]bool, len(o.recs))
	for i := range o.recs {
		k := spanKey{o.recs[i].trace, o.recs[i].id}
		if _, ok := idx[k]; ok {
			dup[i] = true
			st.Duplicates++
			continue
		}
		idx[k] = int32(i)
	}
	svcIDs := make([]graph.ID, len(o.services))
	for i, s := range o.services {
		svcIDs[i] = graph.ServiceID(s.env, s.name())
	}
	used := make([]agg, len(o.services))
	aggs := map[aggKey]*agg{}
	nodes := map[graph.ID]graph.Node{}
	edge := func(k graph.EdgeKind, from, to graph.ID) *agg {
		key := aggKey{k, from, to}
		a := aggs[key]
		if a == nil {
			a = &agg{}
			aggs[key] = a
		}
		return a
	}
	remoteChild := make([]bool, len(o.recs))
	targets := map[[3]int32]target{} // by (service, info, kind)
	for i := range o.recs {
		if dup[i] {
			continue
		}
		r := &o.recs[i]
		used[r.svc].add(r.err, r.start, r.end)
		if r.hasParent {
			j, ok := idx[spanKey{r.trace, r.parent}]
			switch {
			case !ok:
				st.Orphans++
			case o.recs[j].svc != r.svc:
				p := &o.recs[j]
				remoteChild[j] = true
				st.Calls++
				edge(graph.Calls, svcIDs[p.svc], svcIDs[r.svc]).add(r.err || p.err, r.start, r.end)
			}
		}
		if r.info < 0 {
			continue
		}
		tk := [3]int32{r.svc, r.info, int32(r.kind)}
		t, ok := targets[tk]
		if !ok {
			t = o.target(svcIDs[r.svc], o.services[r.svc].env, r.kind, &o.infos[r.info], nodes)
			targets[tk] = t
		}
		if t.kind == "" {
			continue
		}
		a := edge(t.kind, svcIDs[r.svc], t.id)
		a.add(r.err, r.start, r.end)
		tbl := o.infos[r.info].dbTable
		if o.infos[r.info].msgSystem != "" {
			tbl = o.infos[r.info].msgDest
		}
		if tbl != "" && t.kind != graph.Exposes {
			if a.tables == nil {
				a.tables = map[string]bool{}
			}
			if len(a.tables) < 100 {
				a.tables[tbl] = true
			}
		}
	}
	// Client spans nobody in the traces answered: the remote end is named
	// by peer.service or by the host it talked to.
	known := map[string]bool{}
	for _, s := range o.services {
		known[strings.ToLower(s.env)+"\x1f"+strings.ToLower(s.service)] = true
	}
	type callee struct {
		to         graph.ID // "" when none
		unresolved bool
	}
	remote := map[[2]int32]callee{} // by (service, info)
	for i := range o.recs {
		r := &o.recs[i]
		if dup[i] || remoteChild[i] || r.info < 0 || (r.kind != kindClient && r.kind != kindProducer) {
			continue
		}
		key := [2]int32{r.svc, r.info}
		c, ok := remote[key]
		if !ok {
			c.to, c.unresolved = o.callee(o.services[r.svc].env, &o.infos[r.info], known, nodes)
			remote[key] = c
		}
		if c.unresolved {
			st.Unresolved++
		}
		if c.to != "" {
			edge(graph.Calls, svcIDs[r.svc], c.to).add(r.err, r.start, r.end)
		}
	}
	for i, s := range o.services {
		u := used[i]
		if u.calls == 0 {
			continue // only seen in an input that was discarded
		}
		n := graph.Node{ID: svcIDs[i], Kind: graph.Service, Name: s.name(), Env: s.env,
			Sources: []graph.Source{source}, FirstSeen: unixTime(u.first), LastSeen: unixTime(u.last)}
		if s.language != "" {
			n.Props = graph.Props{"language": s.language}
		}
		c.AddNode(AgentName, n)
	}
	// Nodes only reached (APIs, stores, third parties, untraced services)
	// were seen when the spans reaching them were.
	for k, a := range aggs {
		n, ok := nodes[k.to]
		if !ok {
			continue
		}
		first, last := unixTime(a.first), unixTime(a.last)
		if n.FirstSeen.IsZero() || (!first.IsZero() && first.Before(n.FirstSeen)) {
			n.FirstSeen = first
		}
		if last.After(n.LastSeen) {
			n.LastSeen = last
		}
		nodes[k.to] = n
	}
	for _, n := range nodes {
		if _, ok := c.Node(n.ID); ok && n.Kind == graph.Service {
			continue // a traced service, not an inferred one
		}
		c.AddNode(AgentName, n)
	}
	for k, a := range aggs {
		if k.from == k.to {
			continue
		}
		e := graph.NewEdge(k.kind, k.from, k.to)
		e.Props = graph.Props{PropCalls: a.calls, PropErrors: a.errors, PropErrorRate: ErrorRate(a.calls, a.errors)}
		if len(a.tables) > 0 {
			t := make([]string, 0, len(a.tables))
			for x := range a.tables {
				t = append(t, x)
			}
			sort.Strings(t)
			e.Props[PropTables] = t // tables, collections, or topics and queues of a broker
		}
		e.Sources = []graph.Source{source}
		e.FirstSeen, e.LastSeen = unixTime(a.first), unixTime(a.last)
		c.AddEdge(AgentName, e)
	}
	return st
}

func (r resourceInfo) name() string { return r.service }

// target is the edge a span with given attributes makes from its service
// without needing other spans: EXPOSES an API (server spans) or READS /
// WRITES a data store (database spans). kind is empty when neither.
type target struct {
	kind graph.EdgeKind
	id   graph.ID
}

func (o *Observer) target(svc graph.ID, env string, kind int8, in *info, nodes map[graph.ID]graph.Node) target {
	if in.msgSystem != "" && kind != kindServer {
		// A broker is a data store to the artifact agents (a kafka
		// container, an SQS queue): producers write to it, consumers read.
		id, n := storeNode(env, &info{dbSystem: in.msgSystem, host: in.host})
		nodes[id] = n
		if kind == kindConsumer || in.msgOp == "READ" {
			return target{graph.Reads, id}
		}
		return target{graph.Writes, id}
	}
	if kind == kindServer || kind == kindConsumer {
		if id, n, ok := apiNode(svc, env, in); ok {
			nodes[id] = n
			return target{graph.Exposes, id}
		}
		return target{}
	}
	if in.dbSystem == "" {
		return target{}
	}
	id, n := storeNode(env, in)
	nodes[id] = n
	if in.dbOp == "WRITE" {
		return target{graph.Writes, id}
	}
	return target{graph.Reads, id}
}

// callee is the remote end of a client span nobody in the traces
// answered: the service peer.service names, a traced or in-cluster service
// named by the host, or a third party. It adds the node to nodes.
func (o *Observer) callee(env string, in *info, known map[string]bool, nodes map[graph.ID]graph.Node) (to graph.ID, unresolved bool) {
	switch {
	case in.dbSystem != "" || in.msgSystem != "":
		return "", false
	case in.peer != "":
		to = graph.ServiceID(env, in.peer)
		if _, ok := nodes[to]; !ok && !known[strings.ToLower(env)+"\x1f"+strings.ToLower(in.peer)] {
			nodes[to] = graph.Node{ID: to, Kind: graph.Service, Name: in.peer, Env: env,
				Props: graph.Props{"inferredFrom": "peer.service"}, Sources: []graph.Source{source}}
		}
		return to, false
	case in.host == "":
		return "", false
	case in.host == "localhost" || net.ParseIP(in.host) != nil:
		return "", true
	}
	label := storeName(in.host)
	if known[strings.ToLower(env)+"\x1f"+label] {
		return graph.ServiceID(env, label), false
	}
	if host, ok := endpoint.ThirdParty("https://" + in.host); ok {
		to = graph.ThirdPartyID(host)
		nodes[to] = graph.Node{ID: to, Kind: graph.ThirdParty, Name: host,
			Props: graph.Props{"host": host}, Sources: []graph.Source{source}}
		return to, false
	}
	to = graph.ServiceID(env, label)
	if _, ok := nodes[to]; !ok {
		nodes[to] = graph.Node{ID: to, Kind: graph.Service, Name: label, Env: env,
			Props: graph.Props{"inferredFrom": "server.address"}, Sources: []graph.Source{source}}
	}
	return to, false
}

// storeName is the name the artifact agents give a data store reached at
// host: its first label (orders-db.prod.svc.cluster.local → orders-db).
func storeName(host string) string {
	host = strings.ToLower(host)
	if i := strings.IndexByte(host, '.'); i > 0 {
		return host[:i]
	}
	return host
}

// apiNode is the API a server span answered, if its attributes name one.
func apiNode(svc graph.ID, env string, in *info) (graph.ID, graph.Node, bool) {
	var method, path, protocol string
	switch {
	case in.route != "" && in.method != "":
		method, path, protocol = in.method, routeTemplate(in.route), "http"
	case in.rpcMethod != "":
		protocol = "grpc"
		method = "GRPC"
		if s := strings.ToLower(in.rpcSystem); s != "" && s != "grpc" && s != "connect_rpc" {
			protocol = s
			method = strings.ToUpper(s)
		}
		switch {
		case in.rpcService != "":
			path = "/" + in.rpcService + "/" + in.rpcMethod
		case strings.Contains(in.rpcMethod, "/"):
			path = "/" + strings.TrimPrefix(in.rpcMethod, "/")
		default:
			return "", graph.Node{}, false
		}
	default:
		return "", graph.Node{}, false
	}
	id := graph.APIID(svc, method, path)
	return id, graph.Node{ID: id, Kind: graph.API, Name: method + " " + path, Env: env,
		Props:   graph.Props{"method": method, "path": path, "protocol": protocol},
		Sources: []graph.Source{source}}, true
}

// routeTemplate writes a framework's route in OpenAPI's template syntax,
// so a traced route and the spec's operation are one API node: Express and
// Gin ":id", Flask "<int:id>", ASP.NET "{id:int}" all become "{id}".
func routeTemplate(route string) string {
	if !strings.HasPrefix(route, "/") {
		route = "/" + route
	}
	if !strings.ContainsAny(route, ":<") {
		return route
	}
	segs := strings.Split(route, "/")
	for i, s := range segs {
		switch {
		case strings.HasPrefix(s, ":") && len(s) > 1:
			segs[i] = "{" + strings.TrimSuffix(s[1:], "?") + "}"
		case strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">"):
			name := s[1 : len(s)-1]
			if j := strings.LastIndexByte(name, ':'); j >= 0 {
				name = name[j+1:]
			}
			segs[i] = "{" + name + "}"
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			if j := strings.IndexByte(s, ':'); j > 0 {
				segs[i] = s[:j] + "}"
			}
		}
	}
	return strings.Join(segs, "/")
}

// storeNode is the data store a database span used.
func storeNode(env string, in *info) (graph.ID, graph.Node) {
	name := ""
	if h := in.host; h != "" && h != "localhost" && net.ParseIP(h) == nil {
		name = storeName(h)
	}
	if name == "" {
		name = strings.ToLower(in.dbNamespace)
	}
	if name == "" {
		name = in.dbSystem
	}
	id := graph.DataStoreID(env, name)
	props := graph.Props{"engine": in.dbSystem}
	if in.dbNamespace != "" {
		props["database"] = in.dbNamespace
	}
	return id, graph.Node{ID: id, Kind: graph.DataStore, Name: name, Env: env, Props: props,
		Sources: []graph.Source{source}}
}
