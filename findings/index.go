package findings

import (
	"context"
	"path"
	"regexp"
	"strings"

	"github.com/riskgraph/riskgraph/graph"
)

// index is what subject resolution needs from the graph, read once per
// import through a View (kind listings, not one query per finding).
type index struct {
	view graph.View

	byPurl        map[string][]graph.ID // normalised purl → packages
	byNameVersion map[string][]pkgRef   // lower(name)@version → packages
	nodes         map[graph.ID]*graph.Node
	byName        map[string][]*graph.Node // lower(name) → services, gateways, data stores, applications
	byAddress     map[string][]graph.ID    // Terraform address or CloudFormation logical id → node
	images        map[string]graph.ID      // image ref → image
	repos         map[string]graph.ID      // repository url/path (normalised) → repository
	codeRoots     []codeRoot               // service source trees

	findings map[graph.ID]*graph.Node

	dependents map[graph.ID][]graph.ID // package → services (cache)
	imageUsers map[graph.ID][]graph.ID // image → services (cache)
	repoUsers  map[graph.ID][]graph.ID // repository → services (cache)
}

type pkgRef struct {
	id        graph.ID
	ecosystem string
}

type codeRoot struct {
	prefix  string
	service graph.ID
}

var indexedKinds = []graph.Kind{graph.Package, graph.Service, graph.Gateway, graph.DataStore,
	graph.Application, graph.Image, graph.Repository, graph.Identity, graph.API}

func buildIndex(ctx context.Context, v graph.View) (*index, error) {
	ix := &index{
		view:          v,
		byPurl:        map[string][]graph.ID{},
		byNameVersion: map[string][]pkgRef{},
		nodes:         map[graph.ID]*graph.Node{},
		byName:        map[string][]*graph.Node{},
		byAddress:     map[string][]graph.ID{},
		images:        map[string]graph.ID{},
		repos:         map[string]graph.ID{},
		findings:      map[graph.ID]*graph.Node{},
		dependents:    map[graph.ID][]graph.ID{},
		imageUsers:    map[graph.ID][]graph.ID{},
		repoUsers:     map[graph.ID][]graph.ID{},
	}
	err := eachNode(ctx, v, graph.NodeFilter{Kinds: indexedKinds}, func(n *graph.Node) {
		ix.nodes[n.ID] = n
		if a := n.Props.String("address"); a != "" {
			ix.byAddress[a] = append(ix.byAddress[a], n.ID)
		}
		if lid := n.Props.String("logicalId"); lid != "" && n.Props.String("address") == "" {
			ix.byAddress[lid] = append(ix.byAddress[lid], n.ID)
		}
		switch n.Kind {
		case graph.Package:
			p := n.Props.String("purl")
			if p != "" {
				k := NormalizePurl(p)
				ix.byPurl[k] = append(ix.byPurl[k], n.ID)
			}
			name, ver, eco := n.Props.String("name"), n.Props.String("version"), n.Props.String("ecosystem")
			if name == "" && p != "" {
				name, ver = purlNameVersion(p)
			}
			if eco == "" && p != "" {
				eco, _, _ = strings.Cut(strings.TrimPrefix(NormalizePurl(p), "pkg:"), "/")
			}
			if name != "" {
				k := strings.ToLower(name) + "@" + ver
				ix.byNameVersion[k] = append(ix.byNameVersion[k], pkgRef{n.ID, eco})
				if _, short, ok := cutLast(name, "/", ":"); ok {
					k := strings.ToLower(short) + "@" + ver
					ix.byNameVersion[k] = append(ix.byNameVersion[k], pkgRef{n.ID, eco})
				}
			}
		case graph.Image:
			ix.images[n.Name] = n.ID
			if r := n.Props.String("ref"); r != "" {
				ix.images[r] = n.ID
			}
		case graph.Repository:
			for _, s := range []string{n.Name, n.Props.String("url"), n.Props.String("path")} {
				if s != "" {
					ix.repos[normRepo(s)] = n.ID
				}
			}
		case graph.Service:
			for _, key := range []string{"sourcePath", "repoPath"} {
				if p := n.Props.String(key); p != "" {
					ix.codeRoots = append(ix.codeRoots, codeRoot{prefix: cleanRel(p), service: n.ID})
				}
			}
			fallthrough
		default:
			k := strings.ToLower(n.Name)
			ix.byName[k] = append(ix.byName[k], n)
		}
	})
	if err != nil {
		return nil, err
	}
	if err := eachNode(ctx, v, graph.NodeFilter{Kinds: []graph.Kind{graph.Finding}}, func(n *graph.Node) {
		ix.findings[n.ID] = n
	}); err != nil {
		return nil, err
	}
	return ix, nil
}

func cutLast(s string, seps ...string) (string, string, bool) {
	best := -1
	for _, sep := range seps {
		if i := strings.LastIndex(s, sep); i > best {
			best = i
		}
	}
	if best < 0 {
		return "", s, false
	}
	return s[:best], s[best+1:], true
}

// eachNode pages through every node matching f.
// iacResource returns the nodes a scanner's IaC resource names: a
// Terraform address (aws_s3_bucket.data) or a CloudFormation logical id
// (DataBucket). The same address in two modules, or the same logical id in
// two templates, is told apart by the file the scanner reports: nodes
// declared in that file, else in its directory. A logical id declared in
// no file like the finding's is another template's resource and is not
// matched; a Terraform address is matched in every module when the file
// cannot decide.
func (ix *index) iacResource(res, file string) []graph.ID {
	cands := ix.byAddress[res]
	if len(cands) == 0 && strings.Contains(res, "[") {
		// One instance of a resource with count or for_each
		// (aws_s3_bucket.logs[0], module.db["eu"].aws_db_instance.this):
		// the graph has one node for the resource.
		cands = ix.byAddress[instanceKey.ReplaceAllString(res, "")]
	}
	if file == "" || len(cands) == 0 {
		return cands
	}
	var sameFile, sameDir []graph.ID
	dir := path.Dir(file)
	for _, id := range cands {
		n := ix.nodes[id]
		if n == nil {
			continue
		}
		f, d := false, false
		for _, src := range n.Sources {
			f = f || samePath(src.File, file)
			d = d || (dir != "." && samePath(path.Dir(src.File), dir))
		}
		if f {
			sameFile = append(sameFile, id)
		} else if d {
			sameDir = append(sameDir, id)
		}
	}
	switch {
	case len(sameFile) > 0:
		return sameFile
	case len(sameDir) > 0:
		return sameDir
	case !strings.Contains(res, "."):
		return nil // a logical id of another template
	}
	return cands
}

// instanceKey is the index of a resource or module instance in an address.
var instanceKey = regexp.MustCompile(`\[[^\]]*\]`)

// samePath reports whether two relative paths name the same file, each
// possibly relative to a different root (one a suffix of the other at a
// "/" boundary).
func samePath(a, b string) bool {
	a, b = strings.TrimPrefix(path.Clean("/"+a), "/"), strings.TrimPrefix(path.Clean("/"+b), "/")
	if a == "" || b == "" {
		return false
	}
	return a == b || strings.HasSuffix(a, "/"+b) || strings.HasSuffix(b, "/"+a)
}

func eachNode(ctx context.Context, v graph.View, f graph.NodeFilter, fn func(*graph.Node)) error {
	after := graph.ID("")
	for {
		p, err := v.Nodes(ctx, f, graph.Page{After: after, Limit: graph.MaxPageLimit})
		if err != nil {
			return err
		}
		for i := range p.Nodes {
			fn(&p.Nodes[i])
		}
		if !p.HasMore || len(p.Nodes) == 0 {
			return nil
		}
		after = p.End
	}
}

func normRepo(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, p := range []string{"https://", "http://", "ssh://", "git@", "file://"} {
		s = strings.TrimPrefix(s, p)
	}
	s = strings.Replace(s, ":", "/", 1)
	return strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git")
}

func cleanRel(p string) string {
	p = strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(p, "\\", "/")), "/")
	if p == "." {
		return ""
	}
	return p
}

// walkServices returns the services reaching start over edges of kind k
// (walking against their direction), cached.
func (ix *index) walkServices(ctx context.Context, cache map[graph.ID][]graph.ID, start graph.ID, kinds ...graph.EdgeKind) []graph.ID {
	if s, ok := cache[start]; ok {
		return s
	}
	var out []graph.ID
	_ = ix.view.Walk(ctx, graph.Walk{From: []graph.ID{start}, Dir: graph.In, Kinds: kinds}, func(s graph.Step) graph.Control {
		if s.Kind == graph.Service {
			out = append(out, s.Node)
		}
		return graph.Continue
	})
	cache[start] = out
	return out
}

// packages resolves a package finding to Package nodes.
func (ix *index) packages(f *Finding) []graph.ID {
	if f.Purl != "" {
		if ids := ix.byPurl[NormalizePurl(f.Purl)]; len(ids) > 0 {
			return ids
		}
	}
	name := f.PkgName
	if name == "" && f.Purl != "" {
		name, _ = purlNameVersion(f.Purl)
	}
	if name == "" {
		return nil
	}
	ver := f.PkgVersion
	if ver == "" && f.Purl != "" {
		_, ver = purlNameVersion(f.Purl)
	}
	cands := ix.byNameVersion[strings.ToLower(name)+"@"+ver]
	if len(cands) == 0 {
		return nil
	}
	eco := ""
	if f.Purl != "" {
		eco, _, _ = strings.Cut(strings.TrimPrefix(NormalizePurl(f.Purl), "pkg:"), "/")
	}
	var out []graph.ID
	for _, c := range cands {
		if eco == "" || c.ecosystem == "" || strings.EqualFold(c.ecosystem, eco) {
			out = append(out, c.id)
		}
	}
	return out
}

// service finds a service by "name" or "env/name".
func (ix *index) service(name string) []graph.ID {
	env, n, ok := strings.Cut(name, "/")
	if !ok {
		n, env = name, ""
	}
	var out []graph.ID
	for _, s := range ix.byName[strings.ToLower(n)] {
		if s.Kind == graph.Service && (env == "" || strings.EqualFold(s.Env, env)) {
			out = append(out, s.ID)
		}
	}
	return out
}

// k8sObject resolves "Kind/namespace/name" to the node discovery made from
// it: a Service for workloads (matching the namespace prop when both are
// known), a Gateway for Ingresses and LoadBalancer Services, a DataStore.
func (ix *index) k8sObject(resource string) []graph.ID {
	parts := strings.Split(resource, "/")
	if len(parts) != 3 {
		return nil
	}
	kind, ns, name := parts[0], parts[1], parts[2]
	var out []graph.ID
	for _, n := range ix.byName[strings.ToLower(name)] {
		switch n.Kind {
		case graph.Service, graph.Gateway, graph.DataStore:
		default:
			continue
		}
		if ns != "" && n.Props.String("namespace") != "" && n.Props.String("namespace") != ns {
			continue
		}
		if n.Kind == graph.Gateway && !strings.EqualFold(kind, "Ingress") && !strings.EqualFold(kind, "Service") {
			continue
		}
		out = append(out, n.ID)
	}
	return out
}

// codeOwner is the service whose source tree holds file (longest prefix).
func (ix *index) codeOwner(file string) graph.ID {
	file = cleanRel(file)
	var best codeRoot
	found := false
	for _, r := range ix.codeRoots {
		if r.prefix == "" || file == r.prefix || strings.HasPrefix(file, r.prefix+"/") {
			if !found || len(r.prefix) > len(best.prefix) {
				best, found = r, true
			}
		}
	}
	if !found {
		return ""
	}
	return best.service
}

// foundOn lists the subjects a stored finding is FOUND_ON (through the
// finding's adjacency, not a scan of every edge).
func (ix *index) foundOn(ctx context.Context, id graph.ID) ([]graph.ID, error) {
	var out []graph.ID
	err := eachEdge(ctx, ix.view, graph.EdgeFilter{Kinds: []graph.EdgeKind{graph.FoundOn}, From: id}, func(e *graph.Edge) {
		out = append(out, e.To)
	})
	return out, err
}
