package gen

import (
	"strconv"
	"strings"

	"github.com/riskgraph/riskgraph/graph"
)

// resource is what an API operates on; its data classes become the API's.
type resource struct {
	name    string
	classes []graph.DataClass
}

var resources = []resource{
	{"products", nil}, {"orders", []graph.DataClass{graph.PII}}, {"customers", []graph.DataClass{graph.PII}},
	{"carts", nil}, {"payments", []graph.DataClass{graph.PCI, graph.Financial}}, {"cards", []graph.DataClass{graph.PCI}},
	{"patients", []graph.DataClass{graph.PHI, graph.PII}}, {"records", []graph.DataClass{graph.PHI}},
	{"tokens", []graph.DataClass{graph.Credentials}}, {"sessions", []graph.DataClass{graph.Credentials}},
	{"accounts", []graph.DataClass{graph.Financial, graph.PII}}, {"invoices", []graph.DataClass{graph.Financial}},
	{"shipments", []graph.DataClass{graph.PII}}, {"inventory", nil}, {"reviews", nil}, {"events", nil},
	{"reports", []graph.DataClass{graph.Internal}}, {"users", []graph.DataClass{graph.PII, graph.Credentials}},
	{"settings", nil}, {"webhooks", nil}, {"claims", []graph.DataClass{graph.PHI, graph.Financial}},
	{"prescriptions", []graph.DataClass{graph.PHI}}, {"messages", []graph.DataClass{graph.PII}}, {"search", nil},
}

// An operation shape: five per resource, like a REST collection.
var shapes = []struct{ method, suffix, id string }{
	{"GET", "", "list"}, {"POST", "", "create"}, {"GET", "/{id}", "get"}, {"PATCH", "/{id}", "update"}, {"DELETE", "/{id}", "delete"},
}

var (
	words = []string{"core", "api", "edge", "ledger", "billing", "search", "catalog", "notify", "identity",
		"profile", "order", "cart", "pricing", "fraud", "risk", "report", "sync", "import", "export", "media",
		"booking", "claims", "records", "stream", "audit", "gateway", "config", "feature", "loyalty", "tax"}
	languages  = []string{"go", "java", "node", "python", "go", "node", "kotlin", "go"}
	ecosystems = []string{"npm", "npm", "npm", "npm", "maven", "maven", "pypi", "pypi", "golang", "golang"}
	licenses   = [][]string{{"MIT"}, {"MIT"}, {"MIT"}, {"Apache-2.0"}, {"Apache-2.0"}, {"BSD-3-Clause"}, {"ISC"},
		{"BSD-2-Clause"}, {"MPL-2.0"}, {"GPL-3.0-only"}, {"LGPL-2.1-or-later"}, {"MIT", "Apache-2.0"}}
	engines    = []string{"postgresql", "postgresql", "postgresql", "mysql", "redis", "redis", "s3", "kafka", "dynamodb", "mongodb"}
	severities = []string{"critical", "high", "high", "medium", "medium", "medium", "low", "low"}
	tpCategory = []string{"payment-processor", "email", "sms", "analytics", "crm", "identity-provider", "storage"}
)

// generator streams one estate.
type generator struct {
	cfg  Config
	size int
	fn   func(graph.Batch) error
	err  error
	b    graph.Batch
	srcs []graph.Source
	envs [2]string

	svcIDs   []graph.ID
	svcEnv   []uint8 // index into envs
	byEnv    [2][]int32
	storeIDs []graph.ID
	storeEnv []uint8
	storesBy [2][]int32
	pkgIDs   []graph.ID
	vulnsOf  map[int32][]int32 // package → vulnerabilities
	lbIDs    [2]graph.ID
	gwIDs    []graph.ID
	gwEnv    []uint8
}

func newGenerator(cfg Config, size int, fn func(graph.Batch) error) *generator {
	g := &generator{cfg: cfg, size: size, fn: fn, envs: [2]string{"prod", "staging"}}
	g.newBatch()
	return g
}

// newBatch starts a batch with room for a full one (up to a bound, so that
// a huge batch size does not reserve memory it may never use): growing the
// slices by appending was the generator's largest cost.
func (g *generator) newBatch() {
	c := min(g.size, 1<<16)
	g.b = graph.Batch{Scope: g.cfg.Scope(), Run: g.cfg.Run(), ObservedAt: ObservedAt,
		Nodes: make([]graph.Node, 0, c/2), Edges: make([]graph.Edge, 0, c)}
	g.srcs = make([]graph.Source, 0, c)
}

// source returns a one-element evidence slice carved from a per-batch
// array (one allocation per batch instead of one per element). Its capacity
// is 1, so whoever appends to it copies instead of overwriting a neighbour.
func (g *generator) source(file string, line int) []graph.Source {
	if len(g.srcs) == cap(g.srcs) {
		g.srcs = make([]graph.Source, 0, max(cap(g.srcs), 1024))
	}
	k := len(g.srcs)
	g.srcs = append(g.srcs, graph.Source{Agent: "gen", File: file, Line: line})
	return g.srcs[k : k+1 : k+1]
}

func (g *generator) full() bool { return len(g.b.Nodes)+len(g.b.Edges) >= g.size }

func (g *generator) flush() {
	if g.err != nil || g.b.Len() == 0 {
		return
	}
	b := g.b
	g.newBatch()
	g.err = g.fn(b)
}

func (g *generator) node(n graph.Node) {
	if g.err != nil {
		return
	}
	g.b.Nodes = append(g.b.Nodes, n)
	if g.full() {
		g.flush()
	}
}

func (g *generator) edge(k graph.EdgeKind, from, to graph.ID, props graph.Props, file string) {
	if g.err != nil {
		return
	}
	e := graph.NewEdge(k, from, to)
	e.Props = props
	e.Sources = g.source(file, 0)
	g.b.Edges = append(g.b.Edges, e)
	if g.full() {
		g.flush()
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func (g *generator) appName(i int) string  { return words[i%len(words)] + "-app-" + itoa(i) }
func (g *generator) teamName(i int) string { return "team-" + words[(i*7)%len(words)] + "-" + itoa(i) }

// service i's fixed attributes.
type svcInfo struct {
	env, app, lang, nAPIs int
	public                bool
}

func (g *generator) svc(i int) svcInfo {
	r := g.cfg.rng(saltService, i)
	var s svcInfo
	if r.chance(g.cfg.StagingShare) {
		s.env = 1
	}
	s.app = r.skewed(g.cfg.Applications, 2.5) // most services in a few apps
	s.lang = r.intn(len(languages))
	s.nAPIs = 1 + r.around(g.cfg.APIsPerService-1)
	if g.cfg.APIsPerService == 0 {
		s.nAPIs = 0
	}
	s.public = r.chance(g.cfg.InternetFacing)
	return s
}

func (g *generator) svcName(i int) string {
	return words[i%len(words)] + "-" + words[(i/len(words))%len(words)] + "-" + itoa(i)
}

func (g *generator) svcFile(i int, s svcInfo) string {
	return "estate/" + g.appName(s.app) + "/k8s/" + g.envs[s.env] + "/" + g.svcName(i) + ".yaml"
}

// op returns operation j of service i.
func (g *generator) op(i, j int) (method, path, opID string, res *resource) {
	per := len(shapes)
	k := (i*3 + j/per) % len(resources)
	res = &resources[k]
	version := 1 + (j/per)/len(resources)
	sh := shapes[j%per]
	path = "/v" + itoa(version) + "/" + res.name + sh.suffix
	return sh.method, path, sh.id + strings.ToUpper(res.name[:1]) + res.name[1:], res
}

func (g *generator) run() {
	c := &g.cfg
	g.node(graph.Node{ID: graph.InternetID, Kind: graph.Internet, Name: "Internet"})
	for i := 0; i < c.Teams; i++ {
		g.node(graph.Node{ID: graph.TeamID(g.teamName(i)), Kind: graph.Team, Name: g.teamName(i),
			Props: graph.Props{"contact": g.teamName(i) + "@example.com"}, Sources: g.source("estate/teams.yaml", i+1)})
	}
	for i := 0; i < c.Applications; i++ {
		id := graph.ApplicationID(g.appName(i))
		g.node(graph.Node{ID: id, Kind: graph.Application, Name: g.appName(i),
			Props:   graph.Props{"criticality": "tier-" + itoa(1+i%3), "description": "Generated application " + itoa(i)},
			Sources: g.source("estate/applications.yaml", i+1)})
		g.edge(graph.OwnedBy, id, graph.TeamID(g.teamName(i%c.Teams)), nil, "estate/applications.yaml")
	}
	for i := 0; i < c.ThirdParties; i++ {
		host := "api." + words[i%len(words)] + "-" + itoa(i) + ".example.net"
		g.node(graph.Node{ID: graph.ThirdPartyID(host), Kind: graph.ThirdParty, Name: host,
			Props: graph.Props{"host": host, "category": tpCategory[i%len(tpCategory)]}, Sources: g.source("estate/third-parties.yaml", i+1)})
	}
	g.gateways()
	g.stores()
	g.vulnerabilities()
	g.packages()
	g.services()
	g.calls()
	g.routes()
	g.findings()
}

func (g *generator) gateways() {
	for e, env := range g.envs {
		g.lbIDs[e] = graph.GatewayID(env, "public-lb")
		g.node(graph.Node{ID: g.lbIDs[e], Kind: graph.Gateway, Name: "public-lb", Env: env,
			Props: graph.Props{"type": "load-balancer", "public": true}, Sources: g.source("estate/"+env+"/lb.yaml", 1)})
		g.edge(graph.RoutesTo, graph.InternetID, g.lbIDs[e], nil, "estate/"+env+"/lb.yaml")
	}
	for i := 0; i < g.cfg.Gateways; i++ {
		r := g.cfg.rng(saltGateway, i)
		e := 0
		if r.chance(g.cfg.StagingShare) {
			e = 1
		}
		typ, name := "ingress", "ingress-"+itoa(i)
		if i%3 == 2 {
			typ, name = "api-gateway", "api-gateway-"+itoa(i)
		}
		id := graph.GatewayID(g.envs[e], name)
		file := "estate/" + g.envs[e] + "/gateways/" + name + ".yaml"
		g.gwIDs, g.gwEnv = append(g.gwIDs, id), append(g.gwEnv, uint8(e))
		g.node(graph.Node{ID: id, Kind: graph.Gateway, Name: name, Env: g.envs[e],
			Props: graph.Props{"type": typ, "public": true, "hosts": []string{name + "." + g.envs[e] + ".example.com"}}, Sources: g.source(file, 1)})
		g.edge(graph.RoutesTo, g.lbIDs[e], id, nil, file)
	}
}

func (g *generator) stores() {
	for i := 0; i < g.cfg.DataStores; i++ {
		r := g.cfg.rng(saltStore, i)
		e := 0
		if r.chance(g.cfg.StagingShare) {
			e = 1
		}
		engine := engines[r.intn(len(engines))]
		res := &resources[r.intn(len(resources))]
		name := res.name + "-" + engine + "-" + itoa(i)
		id := graph.DataStoreID(g.envs[e], name)
		g.storeIDs, g.storeEnv = append(g.storeIDs, id), append(g.storeEnv, uint8(e))
		g.storesBy[e] = append(g.storesBy[e], int32(i))
		g.node(graph.Node{ID: id, Kind: graph.DataStore, Name: name, Env: g.envs[e],
			Props: graph.Props{"engine": engine, "encrypted": r.chance(0.8), "managed": r.chance(0.7),
				"host": name + "." + g.envs[e] + ".db.example.internal", "port": int64(5432)},
			DataClasses: res.classes, Sources: g.source("estate/"+g.envs[e]+"/datastores.yaml", i+1)})
	}
}

func (g *generator) vulnName(i int) string { return "CVE-2099-" + itoa(100000+i) }

func (g *generator) vulnerabilities() {
	g.vulnsOf = make(map[int32][]int32, g.cfg.Vulnerabilities*2)
	for i := 0; i < g.cfg.Vulnerabilities; i++ {
		r := g.cfg.rng(saltVuln, i)
		sev := severities[r.intn(len(severities))]
		cvss := map[string]float64{"critical": 9.0, "high": 7.0, "medium": 4.0, "low": 0.1}[sev] + float64(r.intn(10))/10
		if cvss > 10 {
			cvss = 10
		}
		g.node(graph.Node{ID: graph.VulnerabilityID(g.vulnName(i)), Kind: graph.Vulnerability, Name: g.vulnName(i),
			Props:   graph.Props{"cvss": cvss, "severity": sev, "summary": "Synthetic advisory " + itoa(i)},
			Sources: []graph.Source{{Agent: "gen", Detail: "synthetic advisory"}}})
		if g.cfg.Packages == 0 {
			continue
		}
		for k := 1 + r.intn(3); k > 0; k-- {
			// Half of the advisories hit popular packages: large blast radii.
			var p int
			if r.chance(0.5) {
				p = r.skewed(g.cfg.Packages, 3)
			} else {
				p = r.intn(g.cfg.Packages)
			}
			if vs := g.vulnsOf[int32(p)]; len(vs) == 0 || vs[len(vs)-1] != int32(i) {
				g.vulnsOf[int32(p)] = append(vs, int32(i))
			}
		}
	}
}

func (g *generator) purl(i int) (purl, eco, name, version string) {
	r := g.cfg.rng(saltPackage, i)
	eco = ecosystems[r.intn(len(ecosystems))]
	name = words[r.intn(len(words))] + "-" + words[r.intn(len(words))] + "-" + itoa(i)
	version = itoa(r.intn(6)) + "." + itoa(r.intn(30)) + "." + itoa(r.intn(20))
	switch eco {
	case "maven":
		name = "com.example." + words[i%len(words)] + "/" + name
	case "golang":
		name = "github.com/example-" + words[i%len(words)] + "/" + name
		version = "v" + version
	}
	return "pkg:" + eco + "/" + name + "@" + version, eco, name, version
}

func (g *generator) packages() {
	c := &g.cfg
	g.pkgIDs = make([]graph.ID, c.Packages)
	for i := 0; i < c.Packages; i++ {
		purl, eco, name, version := g.purl(i)
		id := graph.PackageID(purl)
		g.pkgIDs[i] = id
		r := c.rng(saltPackage, i)
		r.next()
		file := "estate/sbom/packages-" + itoa(i/1000) + ".cdx.json"
		g.node(graph.Node{ID: id, Kind: graph.Package, Name: name + "@" + version,
			Props: graph.Props{"purl": purl, "name": name, "version": version, "ecosystem": eco,
				"licenses": licenses[r.intn(len(licenses))]},
			Sources: g.source(file, i%1000+1)})
		// Dependencies point at lower-numbered packages (a DAG), biased
		// towards the popular ones.
		if i > 0 {
			n := r.around(c.DepsPerPackage)
			var seen [16]int
			ns := 0
			for k := 0; k < n && ns < len(seen); k++ {
				d := r.skewed(i, 2)
				dup := false
				for _, s := range seen[:ns] {
					dup = dup || s == d
				}
				if dup {
					continue
				}
				seen[ns] = d
				ns++
				g.edge(graph.DependsOn, id, g.pkgIDs[d], nil, file)
			}
		}
		for _, v := range g.vulnsOf[int32(i)] {
			g.edge(graph.AffectedBy, id, graph.VulnerabilityID(g.vulnName(int(v))), nil, "estate/advisories.json")
		}
		if g.err != nil {
			return
		}
	}
	g.vulnsOf = nil
}

func (g *generator) services() {
	c := &g.cfg
	g.svcIDs = make([]graph.ID, c.Services)
	g.svcEnv = make([]uint8, c.Services)
	nRepos := max(1, c.Services*4/5)
	deps := make(map[int]struct{}, 4*c.DepsPerService)
	for i := 0; i < c.Services; i++ {
		s := g.svc(i)
		env := g.envs[s.env]
		name := g.svcName(i)
		id := graph.ServiceID(env, name)
		g.svcIDs[i], g.svcEnv[i] = id, uint8(s.env)
		g.byEnv[s.env] = append(g.byEnv[s.env], int32(i))
		file := g.svcFile(i, s)
		ns := g.appName(s.app)
		repo := "github.com/example/" + words[(i%nRepos)%len(words)] + "-" + itoa(i%nRepos)
		image := "registry.example.com/" + ns + "/" + name + ":1." + itoa(i%40) + ".0"
		var classes []graph.DataClass
		for j := 0; j < s.nAPIs; j++ {
			_, _, _, res := g.op(i, j)
			for _, dc := range res.classes {
				if !containsClass(classes, dc) {
					classes = append(classes, dc)
				}
			}
		}
		g.node(graph.Node{ID: id, Kind: graph.Service, Name: name, Env: env,
			Props: graph.Props{"namespace": ns, "workload": "Deployment", "replicas": int64(1 + i%5),
				"image": image, "language": languages[s.lang], "port": int64(8080), "serviceAccount": name},
			DataClasses: classes, Sources: g.source(file, 10)})
		team := graph.TeamID(g.teamName(s.app % c.Teams))
		g.edge(graph.PartOf, id, graph.ApplicationID(g.appName(s.app)), nil, file)
		g.edge(graph.OwnedBy, id, team, nil, file)

		imgID := graph.ImageID(image)
		g.node(graph.Node{ID: imgID, Kind: graph.Image, Name: image,
			Props: graph.Props{"ref": image, "registry": "registry.example.com", "tag": image[strings.LastIndexByte(image, ':')+1:]}, Sources: g.source(file, 30)})
		g.edge(graph.RunsImage, id, imgID, nil, file)
		repoID := graph.RepositoryID(repo)
		if i < nRepos {
			g.node(graph.Node{ID: repoID, Kind: graph.Repository, Name: repo,
				Props: graph.Props{"url": "https://" + repo, "language": languages[s.lang]}, Sources: g.source(file, 1)})
			g.edge(graph.OwnedBy, repoID, team, nil, file)
		}
		g.edge(graph.BuiltFrom, imgID, repoID, nil, file)

		sa := graph.IdentityID("k8s", ns+"/"+name)
		g.node(graph.Node{ID: sa, Kind: graph.Identity, Name: ns + "/" + name, Env: env,
			Props: graph.Props{"provider": "k8s", "type": "service-account"}, Sources: g.source(file, 2)})
		g.edge(graph.RunsAs, id, sa, nil, file)
		if i%5 == 0 && len(g.storesBy[s.env]) > 0 { // one in five has a cloud role
			r := c.rng(saltRole, i)
			role := "arn:aws:iam::123456789012:role/" + name
			rid := graph.IdentityID("aws", role)
			g.node(graph.Node{ID: rid, Kind: graph.Identity, Name: name, Env: env,
				Props: graph.Props{"provider": "aws", "type": "iam-role", "arn": role}, Sources: g.source(file, 5)})
			g.edge(graph.CanAccess, sa, rid, nil, file)
			var seen [3]int32
			for k, n := 0, 1+r.intn(3); k < n; k++ {
				seen[k] = g.storesBy[s.env][r.intn(len(g.storesBy[s.env]))]
				if k > 0 && (seen[k] == seen[0] || seen[k] == seen[k-1]) {
					continue
				}
				g.edge(graph.CanAccess, rid, g.storeIDs[seen[k]], nil, file)
			}
		}

		specFile := "estate/" + ns + "/openapi/" + name + ".yaml"
		for j := 0; j < s.nAPIs; j++ {
			method, path, opID, res := g.op(i, j)
			aid := graph.APIID(id, method, path)
			g.node(graph.Node{ID: aid, Kind: graph.API, Name: method + " " + path, Env: env,
				Props: graph.Props{"method": method, "path": path, "operationId": opID,
					"authenticated": (i+j)%11 != 0, "protocol": "http"},
				DataClasses: res.classes, Sources: g.source(specFile, 10+j*12)})
			g.edge(graph.Exposes, id, aid, nil, specFile)
		}

		r := c.rng(saltDeps, i)
		if c.Packages > 0 {
			clear(deps)
			for k := r.around(c.DepsPerService); k > 0; k-- {
				deps[r.skewed(c.Packages, 2.5)] = struct{}{}
			}
			for _, p := range sortedKeys(deps) {
				g.edge(graph.DependsOn, id, g.pkgIDs[p], nil, "estate/sbom/"+name+".cdx.json")
			}
		}
		if st := g.storesBy[s.env]; len(st) > 0 {
			var seen [3]int32
			for k, n := 0, r.intn(4); k < n; k++ {
				seen[k] = st[r.skewed(len(st), 1.5)]
				if k > 0 && (seen[k] == seen[0] || seen[k] == seen[k-1]) {
					continue
				}
				sid := g.storeIDs[seen[k]]
				if r.chance(0.8) {
					g.edge(graph.Reads, id, sid, graph.Props{"via": "DATABASE_URL"}, file)
				}
				if r.chance(0.6) {
					g.edge(graph.Writes, id, sid, graph.Props{"via": "DATABASE_URL"}, file)
				}
			}
		}
		if c.ThirdParties > 0 && r.chance(0.1) {
			tp := r.intn(c.ThirdParties)
			host := "api." + words[tp%len(words)] + "-" + itoa(tp) + ".example.net"
			g.edge(graph.Calls, id, graph.ThirdPartyID(host), graph.Props{"via": "PARTNER_API_URL"}, file)
		}
		if g.err != nil {
			return
		}
	}
}

func containsClass(cs []graph.DataClass, c graph.DataClass) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

// sortedKeys returns m's keys in increasing order (insertion sort: m is small).
func sortedKeys(m map[int]struct{}) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// calls adds the call graph after every service exists. Callees are drawn
// with a power-law bias within the caller's environment, so a few hubs
// receive most calls.
func (g *generator) calls() {
	c := &g.cfg
	for i := 0; i < c.Services && g.err == nil; i++ {
		r := c.rng(saltCalls, i)
		peers := g.byEnv[g.svcEnv[i]]
		if len(peers) < 2 {
			continue
		}
		n := r.around(c.CallsPerService)
		var seen [32]int32
		ns := 0
		for k := 0; k < n && ns < len(seen); k++ {
			t := peers[r.skewed(len(peers), 3)]
			if int(t) == i {
				continue
			}
			dup := false
			for _, s := range seen[:ns] {
				dup = dup || s == t
			}
			if dup {
				continue
			}
			seen[ns] = t
			ns++
			g.edge(graph.Calls, g.svcIDs[i], g.svcIDs[t], graph.Props{"via": "UPSTREAM_URL", "port": int64(8080)},
				g.svcFile(i, g.svc(i)))
		}
	}
}

// routes makes the public services internet-facing: a gateway of their
// environment routes to the service and to each of its APIs.
func (g *generator) routes() {
	c := &g.cfg
	var gwBy [2][]int
	for k, e := range g.gwEnv {
		gwBy[e] = append(gwBy[e], k)
	}
	for i := 0; i < c.Services && g.err == nil; i++ {
		s := g.svc(i)
		if !s.public {
			continue
		}
		from := g.lbIDs[s.env]
		file := "estate/" + g.envs[s.env] + "/lb.yaml"
		if gws := gwBy[s.env]; len(gws) > 0 {
			k := gws[i%len(gws)]
			from = g.gwIDs[k]
			file = "estate/" + g.envs[s.env] + "/gateways/" + string(from) + ".yaml"
		}
		prefix := "/"
		g.edge(graph.RoutesTo, from, g.svcIDs[i], graph.Props{"hosts": []string{g.svcName(i) + ".example.com"}, "pathPrefixes": []string{prefix}}, file)
		for j := 0; j < s.nAPIs; j++ {
			method, path, _, _ := g.op(i, j)
			g.edge(graph.RoutesTo, from, graph.APIID(g.svcIDs[i], method, path), graph.Props{"pathPrefix": prefix}, file)
		}
	}
}

// findings spreads scanner results: most on services (vulnerable packages
// in their images), then APIs, images, data stores and repositories.
func (g *generator) findings() {
	c := &g.cfg
	nRepos := max(1, c.Services*4/5)
	for i := 0; i < c.Findings && g.err == nil; i++ {
		r := c.rng(saltFinding, i)
		fp := strconv.FormatUint(mix(uint64(c.Seed)^uint64(i)<<1|1), 16) + strconv.FormatUint(r.next(), 16)
		sev := severities[r.intn(len(severities))]
		svc := r.skewed(c.Services, 1.5)
		s := g.svc(svc)
		props := graph.Props{"severity": sev, "fingerprint": fp}
		var target graph.ID
		var title string
		switch x := r.intn(100); {
		case x < 55 && c.Vulnerabilities > 0:
			v := g.vulnName(r.intn(c.Vulnerabilities))
			props["tool"], props["rule"], props["vulnerability"] = "trivy", v, v
			target, title = g.svcIDs[svc], v+" in "+g.svcName(svc)
		case x < 75 && s.nAPIs > 0:
			method, path, _, _ := g.op(svc, r.intn(s.nAPIs))
			props["tool"], props["rule"] = "semgrep", "injection.sql-"+itoa(r.intn(40))
			target, title = graph.APIID(g.svcIDs[svc], method, path), "SQL injection in "+method+" "+path
		case x < 88:
			image := "registry.example.com/" + g.appName(s.app) + "/" + g.svcName(svc) + ":1." + itoa(svc%40) + ".0"
			props["tool"], props["rule"] = "kube-linter", "run-as-non-root"
			target, title = graph.ImageID(image), "Container runs as root"
		case x < 95 && len(g.storeIDs) > 0:
			props["tool"], props["rule"] = "checkov", "storage-encryption-"+itoa(r.intn(10))
			target, title = g.storeIDs[r.intn(len(g.storeIDs))], "Data store encryption disabled"
		default:
			repo := "github.com/example/" + words[(svc%nRepos)%len(words)] + "-" + itoa(svc%nRepos)
			props["tool"], props["rule"] = "gitleaks", "generic-api-key"
			target, title = graph.RepositoryID(repo), "Secret committed to "+repo
		}
		props["message"] = title
		id := graph.FindingID(fp)
		file := "estate/findings/" + props.String("tool") + ".sarif"
		g.node(graph.Node{ID: id, Kind: graph.Finding, Name: title, Env: g.envs[s.env], Props: props, Sources: g.source(file, i+1)})
		g.edge(graph.FoundOn, id, target, nil, file)
	}
}
