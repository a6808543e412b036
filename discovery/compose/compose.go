// Package compose reads Docker Compose files with the official compose-spec
// loader (interpolation from the process environment and the .env beside
// the file, every profile enabled).
//
// What it finds, in the collector's environment (--env, "compose" if none):
//
//   - a Service per compose service (graph.ServiceID(env, name)) with
//     workload "compose", namespace (the compose project), replicas, image,
//     port, networks, secretRefs (names only), buildContext; RUNS_IMAGE to
//     its Image; PART_OF / OWNED_BY from app.kubernetes.io/part-of and
//     …/team labels;
//   - a DataStore instead, for database, cache, queue and search services
//     (recognised by image: postgres, mysql, mariadb, mongo, redis,
//     rabbitmq, kafka, elasticsearch, … or by a *-db name with a database
//     port), keyed graph.DataStoreID(env, name);
//   - Internet -ROUTES_TO-> service for ports published on all interfaces
//     (no host IP, 0.0.0.0 or ::), including a bare container port
//     ("8080") that Docker publishes on a host port it picks (listed in
//     ephemeralPorts); ports bound to a loopback address are recorded in
//     localPorts and are not internet-facing;
//   - CALLS between services and READS/WRITES to data stores from
//     depends_on, links, and environment values that name another compose
//     service (*_ADDR, *_URL, *_HOST, *_SERVICE, … and connection strings
//     such as postgres://, mongodb://, redis://, amqp://, jdbc:…), with the
//     variable in "via", and from command-line flags read the same way
//     (--catalog-addr=catalog:7000); CALLS to a ThirdParty for external hosts. A
//     depends_on entry counts only when the environment and links name no
//     dependency of the service (otherwise it is start-up order; the list
//     is kept in dependsOn).
//
// Only environment variable names are kept (envKeys), never values.
package compose

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
	interp "github.com/compose-spec/compose-go/v2/interpolation"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/tree"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/sirupsen/logrus"
	"gopkg.in/yaml.v3"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/internal/endpoint"
	"github.com/riskgraph/riskgraph/graph"
)

func init() {
	// compose-go reports obsolete attributes and unset variables through
	// the global logrus logger, which would interleave with riskgraph's
	// own output; what matters to a discovery run is in the evidence.
	// riskgraph itself does not log through logrus.
	logrus.SetLevel(logrus.ErrorLevel)
}

// AgentName is the agent's name in evidence.
const AgentName = "compose"

// MaxSize is the largest compose file read.
const MaxSize = 8 << 20

// Agent reads compose files.
type Agent struct {
	// Environ is the process environment used for interpolation (nil: os.Environ).
	Environ []string
}

func (Agent) Name() string { return AgentName }

// Detect accepts YAML files with a top-level services mapping whose entries
// have an image or a build.
func (Agent) Detect(f *discovery.File) bool {
	ext := strings.ToLower(filepath.Ext(f.Path))
	if ext != ".yaml" && ext != ".yml" {
		return false
	}
	if !bytes.Contains(f.Data, []byte("services:")) || len(f.Data) > MaxSize {
		return false
	}
	var top map[string]any
	if yaml.Unmarshal(f.Data, &top) != nil {
		// A broken file named like a compose file is still ours to report.
		return isComposeName(f.Path)
	}
	if _, k8s := top["apiVersion"]; k8s {
		return false
	}
	svcs, ok := top["services"].(map[string]any)
	if !ok {
		return false
	}
	for _, v := range svcs {
		m, _ := v.(map[string]any)
		if _, ok := m["image"]; ok {
			return true
		}
		if _, ok := m["build"]; ok {
			return true
		}
	}
	return false
}

func isComposeName(p string) bool {
	b := strings.ToLower(path.Base(filepath.ToSlash(p)))
	return strings.HasPrefix(b, "docker-compose") || strings.HasPrefix(b, "compose.") || strings.HasPrefix(b, "compose-")
}

var lineRe = regexp.MustCompile(`line (\d+)`)

// Read loads f and records what it describes.
func (a Agent) Read(ctx context.Context, f *discovery.File, c *discovery.Collector) error {
	if len(f.Data) > MaxSize {
		return discovery.Errorf(f.Path, 0, "file is %d bytes, more than the %d this agent reads", len(f.Data), MaxSize)
	}
	if bytes.IndexByte(f.Data, 0) >= 0 {
		return discovery.Errorf(f.Path, 0, "binary data, expected a compose file in YAML")
	}
	var root yaml.Node
	if err := yaml.Unmarshal(f.Data, &root); err != nil {
		line := 0
		if m := lineRe.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		return &discovery.FileError{File: f.Path, Line: line, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: "), Err: err}
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	svcNode := child(doc, "services")
	if svcNode == nil || svcNode.Kind != yaml.MappingNode {
		return discovery.Errorf(f.Path, doc.Line, "expected a top-level services mapping")
	}

	abs := f.Abs
	if abs == "" {
		abs = f.Path
	}
	dir := filepath.Dir(abs)
	if d, err := filepath.Abs(dir); err == nil {
		dir = d
	}
	env := a.environment(dir)
	data := f.Data
	proj, err := a.loadAny(ctx, f, data, dir, env)
	// A service the loader rejects (ports: ["abc:80"]) is left out and
	// reported, so that it does not hide the file's other services.
	var dropped []*discovery.FileError
	for err != nil && len(dropped) < len(svcNode.Content)/2 {
		svc, line := culprit(err, f.Data, svcNode)
		if svc == "" {
			break
		}
		d, ok := withoutService(data, svc)
		if !ok {
			break
		}
		dropped = append(dropped, &discovery.FileError{File: f.Path, Line: line,
			Msg: "service " + svc + " is not valid and was left out: " + err.Error(), Err: err})
		data = d
		proj, err = a.loadAny(ctx, f, data, dir, env)
	}
	if err == nil && len(proj.Services)+len(proj.DisabledServices) == 0 && len(dropped) > 0 {
		err = dropped[0].Err
	}
	if err != nil {
		_, line := culprit(err, f.Data, svcNode)
		if m := lineRe.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		return &discovery.FileError{File: f.Path, Line: line, Msg: "not a valid compose file: " + err.Error(), Err: err}
	}
	for _, e := range dropped {
		c.AddError(e)
	}
	r := &reader{f: f, c: c, proj: proj, doc: doc, svcNode: svcNode, env: c.Env(), dir: dir}
	if r.env == "" {
		r.env = "compose"
	}
	r.read()
	return nil
}

// dotenvNames are the files the variables of a compose file are read
// from, in order: the .env compose reads, or else the example a project
// commits in its place (supabase's .env.example, immich's example.env),
// whose values say how the stack is wired (POSTGRES_HOST=db) far better
// than empty ones.
var dotenvNames = []string{".env", ".env.example", ".env.sample", ".env.dist", ".env.template", "example.env", "env.example", "sample.env"}

// environment is the process environment overlaid by the .env file beside
// the compose file, or its committed example (compose gives the process
// environment precedence).
func (a Agent) environment(dir string) map[string]string {
	environ := a.Environ
	if environ == nil {
		environ = os.Environ()
	}
	env := map[string]string{}
	for _, n := range dotenvNames {
		de := filepath.Join(dir, n)
		if !fileExists(de) {
			continue
		}
		if m, err := dotenv.GetEnvFromFile(map[string]string{}, []string{de}); err == nil {
			for k, v := range m {
				env[k] = v
			}
			break
		}
	}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// loadMode is how forgiving a load is.
type loadMode int

const (
	strict  loadMode = iota // as docker compose reads the file
	lenient                 // a typed field left empty by an unset variable is dropped
	alone                   // lenient, without what the file extends, includes or takes from env files
)

// lenientCast wraps an interpolation cast so that an empty value (an
// unset variable) drops the field instead of failing the file; any other
// value that does not convert is still an error.
func lenientCast(c interp.Cast) interp.Cast {
	return func(v string) (any, error) {
		out, err := c(v)
		if err != nil && strings.TrimSpace(v) == "" {
			return nil, nil
		}
		return out, err
	}
}

// unread are service keys discovery does not read whose durations fail to
// decode when a variable leaves them empty (interval: "$HEALTHCHECK_INTERVAL").
var unread = []string{"healthcheck", "stop_grace_period"}

// withoutUnread returns the compose file without the unread keys of its
// services and without the short-syntax ports unset variables leave with
// no container port ("${PORT}:${PORT}" reads ":"), or false when it cannot
// be rewritten.
func withoutUnread(data []byte, env map[string]string) ([]byte, bool) {
	root, svcs, ok := servicesOf(data)
	if !ok {
		return nil, false
	}
	for i := 1; i < len(svcs.Content); i += 2 {
		m := svcs.Content[i]
		if m.Kind != yaml.MappingNode {
			continue
		}
		kept := m.Content[:0:0]
		for j := 0; j+1 < len(m.Content); j += 2 {
			if !slices.Contains(unread, m.Content[j].Value) {
				kept = append(kept, m.Content[j], m.Content[j+1])
			}
		}
		m.Content = kept
		if ports := child(m, "ports"); ports != nil && ports.Kind == yaml.SequenceNode {
			lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			var ok []*yaml.Node
			for _, p := range ports.Content {
				if p.Kind == yaml.ScalarNode && strings.Contains(p.Value, "$") {
					v, err := lenientSubstitute(p.Value, lookup)
					target := v[strings.LastIndexByte(v, ':')+1:]
					if err != nil || strings.Trim(target, "/tcpudp") == "" {
						continue
					}
				}
				ok = append(ok, p)
			}
			ports.Content = ok
		}
	}
	out, err := yaml.Marshal(root)
	return out, err == nil
}

// loadAny loads data strictly, then leniently, then alone.
func (a Agent) loadAny(ctx context.Context, f *discovery.File, data []byte, dir string, env map[string]string) (*types.Project, error) {
	proj, err := a.load(ctx, f, data, dir, env, strict)
	if err != nil {
		// A variable set in a .env that is not there (only a .env.example
		// is committed) leaves typed fields empty: retries: $RETRIES.
		proj, err = a.load(ctx, f, data, dir, env, lenient)
	}
	if err != nil {
		// Files that extend or include others, or reference env files, fail
		// when those are absent; read the file on its own then.
		proj, err = a.load(ctx, f, data, dir, env, alone)
	}
	return proj, err
}

var (
	reSvcPath  = regexp.MustCompile(`services(?:\.([^.\s:\[\]']+)|\[([^\]]+)\])(?:\.([^.\s:\[\]']+))?`)
	reLastWord = regexp.MustCompile(`: ([^\s:]+)\s*$`)
)

// culprit finds the service a loader error is about, and the line to
// report: from a path in the message (services.web.ports,
// services[web].environment), or else from the value it names
// ("invalid hostPort: abc") when that occurs on one line of the file.
func culprit(err error, data []byte, svcs *yaml.Node) (string, int) {
	msg := err.Error()
	if m := reSvcPath.FindStringSubmatch(msg); m != nil {
		name := m[1] + m[2]
		n := child(svcs, name)
		if n == nil {
			return "", 0
		}
		line := keyLine(svcs, name)
		if l := keyLine(n, m[3]); m[3] != "" && l > 0 {
			line = l
		}
		return name, line
	}
	m := reLastWord.FindStringSubmatch(strings.TrimSpace(strings.SplitN(msg, "\n", 2)[0]))
	if m == nil {
		return "", 0
	}
	at := 0
	for i, ln := range bytes.Split(data, []byte("\n")) {
		if bytes.Contains(ln, []byte(m[1])) {
			if at > 0 {
				return "", 0 // on several lines: which one is not known
			}
			at = i + 1
		}
	}
	name, start := "", 0
	for i := 0; i+1 < len(svcs.Content); i += 2 {
		if l := svcs.Content[i].Line; l <= at && l > start {
			name, start = svcs.Content[i].Value, l
		}
	}
	return name, at
}

// servicesOf parses a compose file for rewriting: its document and its
// services mapping.
func servicesOf(data []byte) (root, svcs *yaml.Node, ok bool) {
	root = &yaml.Node{}
	if yaml.Unmarshal(data, root) != nil || len(root.Content) == 0 {
		return nil, nil, false
	}
	svcs = child(root.Content[0], "services")
	if svcs == nil || svcs.Kind != yaml.MappingNode {
		return nil, nil, false
	}
	return root, svcs, true
}

// withoutService returns the compose file without service name.
func withoutService(data []byte, name string) ([]byte, bool) {
	root, svcs, ok := servicesOf(data)
	if !ok {
		return nil, false
	}
	for i := 0; i+1 < len(svcs.Content); i += 2 {
		if svcs.Content[i].Value == name {
			svcs.Content = append(svcs.Content[:i:i], svcs.Content[i+2:]...)
			out, err := yaml.Marshal(root)
			return out, err == nil
		}
	}
	return nil, false
}

// reRequired matches a required variable, ${NAME:?message} or ${NAME?}.
var reRequired = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*):?\?[^}]*\}`)

// lenientSubstitute interpolates like compose, except that a required
// variable the environment does not set (POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?})
// is left empty instead of failing the file: what the file describes does
// not depend on a password it does not hold.
func lenientSubstitute(tmpl string, m template.Mapping) (string, error) {
	return template.Substitute(reRequired.ReplaceAllString(tmpl, "$${$1}"), m)
}

func (a Agent) load(ctx context.Context, f *discovery.File, data []byte, dir string, env map[string]string, mode loadMode) (proj *types.Project, err error) {
	// compose-go assumes a schema-valid model in places and panics on some
	// malformed input once validation is skipped (found by FuzzRead); one
	// bad file must not end the run.
	defer func() {
		if r := recover(); r != nil {
			proj, err = nil, fmt.Errorf("the compose loader failed on this input: %v", r)
		}
	}()
	abs := f.Abs
	if abs == "" {
		abs = filepath.Join(dir, filepath.Base(f.Path))
	}
	if mode >= lenient {
		if d, ok := withoutUnread(data, env); ok {
			data = d
		}
	}
	details := types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: abs, Content: data}},
		Environment: env,
	}
	name := loader.NormalizeProjectName(filepath.Base(dir))
	if name == "" {
		name = "compose"
	}
	return loader.LoadWithContext(ctx, details, func(o *loader.Options) {
		o.SetProjectName(name, false)
		o.Profiles = []string{"*"}
		o.SkipConsistencyCheck = true
		// Relative paths (env_file, extends.file, build contexts) are
		// resolved against the compose file's directory; unresolved, the
		// loader would read them from riskgraph's working directory.
		o.ResolvePaths = true
		o.ResourceLoaders = nil
		if mode >= lenient && o.Interpolate != nil {
			in := *o.Interpolate
			in.TypeCastMapping = make(map[tree.Path]interp.Cast, len(o.Interpolate.TypeCastMapping))
			for p, c := range o.Interpolate.TypeCastMapping {
				in.TypeCastMapping[p] = lenientCast(c)
			}
			in.Substitute = lenientSubstitute
			o.Interpolate = &in
			o.SkipValidation = true
		}
		if mode == alone {
			o.SkipExtends = true
			o.SkipInclude = true
			o.SkipResolveEnvironment = true
			o.SkipValidation = true
		}
	})
}

// child returns the value node of key in mapping m.
func child(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// keyLine returns the line of key in mapping m.
func keyLine(m *yaml.Node, key string) int {
	if m == nil || m.Kind != yaml.MappingNode {
		return 0
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return 0
}

type reader struct {
	f       *discovery.File
	c       *discovery.Collector
	proj    *types.Project
	doc     *yaml.Node
	svcNode *yaml.Node
	env     string
	dir     string // the compose file's directory, which relative paths are resolved against

	stores  map[string]string   // service name → engine, for data stores
	aliases map[string]string   // host name (service, container, alias) → service name
	ports   map[string][]uint32 // service → ports others connect to
}

func (r *reader) src(line int, detail string) graph.Source {
	return graph.Source{Agent: AgentName, File: r.f.Path, Line: line, Detail: detail}
}

func (r *reader) svcLine(name string) int { return keyLine(r.svcNode, name) }

// lineOf returns the line of a service's key (and sub-key), or the
// service's line when absent.
func (r *reader) lineOf(svc string, keys ...string) int {
	n := child(r.svcNode, svc)
	line := r.svcLine(svc)
	for _, k := range keys {
		if l := keyLine(n, k); l > 0 {
			line = l
		}
		n = child(n, k)
	}
	return line
}

// envLine finds the line of environment variable key in service svc (map
// or list syntax).
func (r *reader) envLine(svc, key string) int {
	n := child(child(r.svcNode, svc), "environment")
	if n == nil {
		return r.svcLine(svc)
	}
	if n.Kind == yaml.MappingNode {
		if l := keyLine(n, key); l > 0 {
			return l
		}
	}
	for _, e := range n.Content {
		if e.Kind == yaml.ScalarNode && (e.Value == key || strings.HasPrefix(e.Value, key+"=")) {
			return e.Line
		}
	}
	return n.Line
}

func (r *reader) services() []types.ServiceConfig {
	var out []types.ServiceConfig
	for _, s := range r.proj.Services {
		out = append(out, s)
	}
	for _, s := range r.proj.DisabledServices {
		out = append(out, s)
	}
	for i := range out {
		// image: app:${TAG:?} with TAG unset, read leniently.
		out[i].Image = strings.TrimSuffix(out[i].Image, ":")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (r *reader) read() {
	svcs := r.services()
	r.stores = map[string]string{}
	r.aliases = map[string]string{}
	r.ports = map[string][]uint32{}
	for _, s := range svcs {
		if eng, ok := engineOf(s); ok {
			r.stores[s.Name] = eng
		}
		r.aliases[strings.ToLower(s.Name)] = s.Name
		if s.ContainerName != "" {
			r.aliases[strings.ToLower(s.ContainerName)] = s.Name
		}
		if s.Hostname != "" {
			r.aliases[strings.ToLower(s.Hostname)] = s.Name
		}
		for _, n := range s.Networks {
			if n == nil {
				continue
			}
			for _, al := range n.Aliases {
				r.aliases[strings.ToLower(al)] = s.Name
			}
		}
	}
	// Ports other services connect to tell a service's port when it
	// publishes none.
	for _, s := range svcs {
		for _, k := range sortedKeys(s.Environment) {
			v := s.Environment[k]
			if v == nil {
				continue
			}
			for _, t := range targets(k, *v) {
				if name, ok := r.aliases[t.host]; ok && t.port > 0 {
					r.ports[name] = append(r.ports[name], uint32(t.port))
				}
			}
		}
	}
	for _, s := range svcs {
		if _, ok := r.stores[s.Name]; ok {
			r.store(s)
		} else {
			r.service(s)
		}
	}
	for _, s := range svcs {
		if _, ok := r.stores[s.Name]; !ok {
			r.dependencies(s)
		}
	}
	r.publish(svcs)
}

// publish shares each service's environment and the names services answer
// to, so linkers of other agents resolve against them: an nginx
// proxy_pass http://${API_HOST}, a Spring property ${DB_HOST:db}.
func (r *reader) publish(svcs []types.ServiceConfig) {
	for _, s := range svcs {
		if _, ok := r.stores[s.Name]; ok {
			continue
		}
		env := map[string]string{}
		for k, v := range s.Environment {
			if v != nil && *v != "" && !endpoint.SecretName(k) {
				env[k] = *v
			}
		}
		id := r.idOf(s.Name)
		r.c.AddFact(AgentName, discovery.EnvFactPrefix+string(id)+"/compose:"+r.f.Path,
			discovery.ServiceEnv{Service: id, Name: s.Name, Image: s.Image, Env: env})
	}
	for _, alias := range sortedKeys(r.aliases) {
		r.c.AddFact(AgentName, discovery.AliasFactPrefix+alias+"@compose:"+r.f.Path,
			discovery.HostAlias{Name: alias, Targets: []graph.ID{r.idOf(r.aliases[alias])}})
	}
}

func (r *reader) idOf(name string) graph.ID {
	if _, ok := r.stores[name]; ok {
		return graph.DataStoreID(r.env, name)
	}
	return graph.ServiceID(r.env, name)
}

func (r *reader) port(s types.ServiceConfig) uint32 {
	for _, p := range s.Ports {
		if p.Target > 0 {
			return p.Target
		}
	}
	for _, e := range s.Expose {
		if n, err := strconv.Atoi(strings.Split(e, "/")[0]); err == nil && n > 0 {
			return uint32(n)
		}
	}
	if ps := r.ports[s.Name]; len(ps) > 0 {
		return ps[0]
	}
	return 0
}

// published splits a service's published ports into internet-facing ones
// (host port numbers) and loopback-bound ones.
type published struct {
	host   uint32
	target uint32
	ip     string
	line   int
}

func (r *reader) publishedPorts(s types.ServiceConfig) (public, local []published) {
	portsNode := child(child(r.svcNode, s.Name), "ports")
	for i, p := range s.Ports {
		// A port with no published side ("8080", or target without
		// published) is still published: Docker picks a free host port,
		// on all interfaces unless a host IP is given.
		hp, _ := strconv.Atoi(strings.Split(p.Published, "-")[0])
		line := r.lineOf(s.Name, "ports")
		if portsNode != nil && i < len(portsNode.Content) {
			line = portsNode.Content[i].Line
		}
		pp := published{host: uint32(hp), target: p.Target, ip: p.HostIP, line: line}
		if isLoopback(p.HostIP) {
			local = append(local, pp)
		} else {
			public = append(public, pp)
		}
	}
	return public, local
}

// ephemeral lists the container ports of ps published on a host port
// Docker picks.
func ephemeral(ps []published) []int64 {
	var out []int64
	for _, p := range ps {
		if p.host == 0 && p.target > 0 {
			out = append(out, int64(p.target))
		}
	}
	return out
}

func isLoopback(ip string) bool {
	if ip == "" {
		return false
	}
	if strings.EqualFold(ip, "localhost") {
		return true
	}
	parsed := net.ParseIP(strings.Trim(ip, "[]"))
	return parsed != nil && parsed.IsLoopback()
}

func (r *reader) rawPort(line int) string {
	lines := bytes.Split(r.f.Data, []byte("\n"))
	if line < 1 || line > len(lines) {
		return ""
	}
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(lines[line-1])), "-"))
}

func portDetail(kind string, p published, raw string) string {
	d := fmt.Sprintf("%s port %d:%d", kind, p.host, p.target)
	if p.ip != "" {
		d = fmt.Sprintf("%s port %s:%d:%d", kind, p.ip, p.host, p.target)
	}
	if p.host == 0 {
		d = fmt.Sprintf("%s port %d on an ephemeral host port", kind, p.target)
		if p.ip != "" {
			d += " of " + p.ip
		}
	}
	if raw != "" && strings.Contains(raw, "${") {
		d += " (from " + raw + ")"
	}
	return d
}

func (r *reader) service(s types.ServiceConfig) {
	id := graph.ServiceID(r.env, s.Name)
	props := graph.Props{"workload": "compose", "namespace": r.proj.Name, "replicas": int64(replicas(s))}
	if s.Image != "" {
		props["image"] = s.Image
	}
	if p := r.port(s); p > 0 {
		props["port"] = int64(p)
	}
	if nets := sortedKeys(s.Networks); len(nets) > 0 {
		props["networks"] = nets
	}
	var secrets []string
	for _, sec := range s.Secrets {
		if sec.Source != "" && !slices.Contains(secrets, sec.Source) {
			secrets = append(secrets, sec.Source)
		}
	}
	if len(secrets) > 0 {
		props["secretRefs"] = secrets
	}
	if bc := r.buildContext(s); bc != "" {
		props["buildContext"] = bc
	}
	if keys := sortedKeys(s.Environment); len(keys) > 0 {
		props["envKeys"] = keys
	}
	if deps := sortedKeys(s.DependsOn); len(deps) > 0 {
		props["dependsOn"] = deps
	}
	if dc := declaredClasses(s.Labels); len(dc) > 0 {
		props["declaredClasses"] = dc
	}
	public, local := r.publishedPorts(s)
	if len(local) > 0 {
		var lp []int64
		for _, p := range local {
			if p.host > 0 {
				lp = append(lp, int64(p.host))
			}
		}
		if len(lp) > 0 {
			props["localPorts"] = lp
		}
	}
	detail := "compose service " + s.Name
	if len(s.Profiles) > 0 {
		detail += " (profiles " + strings.Join(s.Profiles, ", ") + ")"
	}
	srcs := []graph.Source{r.src(r.svcLine(s.Name), detail)}
	for _, p := range local {
		srcs = append(srcs, r.src(p.line, portDetail("published", p, r.rawPort(p.line))+": bound to loopback, not internet-facing"))
	}
	r.c.AddNode(AgentName, graph.Node{ID: id, Kind: graph.Service, Name: s.Name, Env: r.env, Props: props, Sources: srcs})
	if len(public) > 0 {
		// One edge per service: port is the first published port, ports
		// all of them.
		e := graph.NewEdge(graph.RoutesTo, graph.InternetID, id)
		var ports []int64
		for _, p := range public {
			if p.host > 0 {
				ports = append(ports, int64(p.host))
			}
			e.Sources = append(e.Sources, r.src(p.line, portDetail("published", p, r.rawPort(p.line))))
		}
		e.Props = graph.Props{}
		if len(ports) > 0 {
			e.Props["port"] = ports[0]
		}
		if len(ports) > 1 {
			e.Props["ports"] = ports
		}
		if eph := ephemeral(public); len(eph) > 0 {
			e.Props["ephemeralPorts"] = eph
		}
		r.c.AddEdge(AgentName, e)
	}
	if s.Image != "" {
		img := graph.ImageID(s.Image)
		reg, tag := imageParts(s.Image)
		iline := r.lineOf(s.Name, "image")
		r.c.AddNode(AgentName, graph.Node{ID: img, Kind: graph.Image, Name: s.Image,
			Props: graph.Props{"ref": s.Image, "registry": reg, "tag": tag}, Sources: []graph.Source{r.src(iline, "image")}})
		e := graph.NewEdge(graph.RunsImage, id, img)
		e.Sources = []graph.Source{r.src(iline, "image")}
		r.c.AddEdge(AgentName, e)
	}
	r.labels(s, id)
}

// buildContext is a service's local build context as a path like the
// file's own (relative to the walk root), or "" for none or a remote one.
func (r *reader) buildContext(s types.ServiceConfig) string {
	if s.Build == nil || s.Build.Context == "" || strings.Contains(s.Build.Context, "://") {
		return ""
	}
	ctx := s.Build.Context
	if filepath.IsAbs(ctx) {
		rel, err := filepath.Rel(r.dir, ctx)
		if err != nil {
			return ""
		}
		ctx = rel
	}
	return path.Clean(path.Join(path.Dir(filepath.ToSlash(r.f.Path)), filepath.ToSlash(ctx)))
}

// labels turns ownership labels into PART_OF and OWNED_BY edges.
func (r *reader) labels(s types.ServiceConfig, id graph.ID) {
	labelsNode := child(child(r.svcNode, s.Name), "labels")
	line := func(k string) int {
		if l := keyLine(labelsNode, k); l > 0 {
			return l
		}
		for _, e := range labelsNode.Content {
			if strings.HasPrefix(e.Value, k+"=") {
				return e.Line
			}
		}
		return r.lineOf(s.Name, "labels")
	}
	for _, k := range sortedKeys(s.Labels) {
		v := strings.TrimSpace(s.Labels[k])
		if v == "" {
			continue
		}
		var apps []string
		switch {
		case k == "app.kubernetes.io/part-of":
			apps = []string{v}
		case strings.HasSuffix(k, "/applications"):
			for _, a := range strings.Split(v, ",") {
				if a = strings.TrimSpace(a); a != "" {
					apps = append(apps, a)
				}
			}
		case strings.HasSuffix(k, "/team") || k == "team" || k == "owner" || strings.HasSuffix(k, "/owner"):
			tid := graph.TeamID(v)
			src := r.src(line(k), "label "+k)
			r.c.AddNode(AgentName, graph.Node{ID: tid, Kind: graph.Team, Name: v, Sources: []graph.Source{src}})
			e := graph.NewEdge(graph.OwnedBy, id, tid)
			e.Sources = []graph.Source{src}
			r.c.AddEdge(AgentName, e)
		}
		for _, a := range apps {
			aid := graph.ApplicationID(a)
			src := r.src(line(k), "label "+k)
			r.c.AddNode(AgentName, graph.Node{ID: aid, Kind: graph.Application, Name: a, Sources: []graph.Source{src}})
			e := graph.NewEdge(graph.PartOf, id, aid)
			e.Sources = []graph.Source{src}
			r.c.AddEdge(AgentName, e)
		}
	}
}

func declaredClasses(labels types.Labels) []string {
	var out []string
	for _, k := range sortedKeys(labels) {
		lk := strings.ToLower(k)
		if strings.HasSuffix(lk, "data-classification") || strings.HasSuffix(lk, "data-classes") {
			for _, p := range strings.Split(strings.ToUpper(labels[k]), ",") {
				c := graph.DataClass(strings.TrimSpace(p))
				if c.Valid() && !slices.Contains(out, string(c)) {
					out = append(out, string(c))
				}
			}
		}
	}
	return out
}

func replicas(s types.ServiceConfig) int {
	if s.Deploy != nil && s.Deploy.Replicas != nil {
		return *s.Deploy.Replicas
	}
	if s.Scale != nil {
		return *s.Scale
	}
	return 1
}

func imageParts(ref string) (registry, tag string) {
	registry = "docker.io"
	name := ref
	if i := strings.Index(ref, "@"); i >= 0 {
		name, tag = ref[:i], ref[i+1:]
	}
	if first, _, ok := strings.Cut(name, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		registry = first
	}
	if tag == "" {
		last := name[strings.LastIndex(name, "/")+1:]
		if i := strings.LastIndex(last, ":"); i >= 0 {
			tag = last[i+1:]
		} else {
			tag = "latest"
		}
	}
	return registry, tag
}

func (r *reader) store(s types.ServiceConfig) {
	eng := r.stores[s.Name]
	id := graph.DataStoreID(r.env, s.Name)
	port := r.port(s)
	if port == 0 {
		port = defaultPorts[eng]
	}
	props := graph.Props{"engine": eng, "host": s.Name, "managed": false, "encrypted": false}
	if port > 0 {
		props["port"] = int64(port)
	}
	if s.Image != "" {
		props["image"] = s.Image
	}
	for _, k := range []string{"POSTGRES_DB", "MYSQL_DATABASE", "MARIADB_DATABASE", "MONGO_INITDB_DATABASE"} {
		if v := s.Environment[k]; v != nil && *v != "" {
			props["database"] = *v
			break
		}
	}
	if dc := declaredClasses(s.Labels); len(dc) > 0 {
		props["declaredClasses"] = dc
	}
	public, local := r.publishedPorts(s)
	detail := "compose service " + s.Name
	if s.Image != "" {
		detail += " (" + s.Image + ")"
	}
	srcs := []graph.Source{r.src(r.svcLine(s.Name), detail)}
	if len(public) > 0 {
		var pp []int64
		for _, p := range public {
			if p.host > 0 {
				pp = append(pp, int64(p.host))
			}
			srcs = append(srcs, r.src(p.line, portDetail("published", p, r.rawPort(p.line))+" on all interfaces"))
		}
		if len(pp) > 0 {
			props["publicPorts"] = pp
		}
		if eph := ephemeral(public); len(eph) > 0 {
			props["ephemeralPorts"] = eph
		}
	}
	if len(local) > 0 {
		var lp []int64
		for _, p := range local {
			if p.host > 0 {
				lp = append(lp, int64(p.host))
			}
		}
		if len(lp) > 0 {
			props["localPorts"] = lp
		}
	}
	r.c.AddNode(AgentName, graph.Node{ID: id, Kind: graph.DataStore, Name: s.Name, Env: r.env, Props: props, Sources: srcs})
}

// dependencies adds CALLS / READS / WRITES from environment values,
// links and depends_on (in that order of precedence for "via"); depends_on
// only for services whose environment and links name no dependency.
func (r *reader) dependencies(s types.ServiceConfig) {
	from := graph.ServiceID(r.env, s.Name)
	done := map[string]bool{}
	for _, k := range sortedKeys(s.Environment) {
		v := s.Environment[k]
		if v == nil {
			continue
		}
		for _, t := range targets(k, *v) {
			line := r.envLine(s.Name, k)
			if name, ok := r.aliases[t.host]; ok {
				if name == s.Name {
					continue
				}
				port := t.port
				if port == 0 && strings.HasSuffix(k, "_HOST") {
					if pv := s.Environment[strings.TrimSuffix(k, "_HOST")+"_PORT"]; pv != nil {
						port, _ = strconv.Atoi(*pv)
					}
				}
				r.link(from, name, k, port, r.src(line, "environment "+k))
				done[name] = true
				continue
			}
			if t.external && looksExternal(t.host) {
				tp := graph.ThirdPartyID(t.host)
				src := r.src(line, "environment "+k)
				r.c.AddNode(AgentName, graph.Node{ID: tp, Kind: graph.ThirdParty, Name: t.host,
					Props: graph.Props{"host": t.host}, Sources: []graph.Source{src}})
				e := graph.NewEdge(graph.Calls, from, tp)
				e.Props = graph.Props{"via": k}
				e.Sources = []graph.Source{src}
				r.c.AddEdge(AgentName, e)
			}
		}
	}
	for _, a := range argTargets(append(append([]string{}, s.Entrypoint...), s.Command...)) {
		line := r.lineOf(s.Name, "command")
		for _, t := range targets(a.name, a.value) {
			if name, ok := r.aliases[t.host]; ok && name != s.Name && !done[name] {
				r.link(from, name, a.flag, t.port, r.src(line, "command "+a.flag))
				done[name] = true
			}
		}
	}
	for _, l := range s.Links {
		name, _, _ := strings.Cut(l, ":")
		if tgt, ok := r.aliases[strings.ToLower(name)]; ok && !done[tgt] && tgt != s.Name {
			r.link(from, tgt, "links", 0, r.src(r.lineOf(s.Name, "links"), "links "+l))
			done[tgt] = true
		}
	}
	// depends_on orders start-up. When the environment already names the
	// service's dependencies, an entry it does not name is start order only
	// (crAPI's identity waits for mongodb it never uses); otherwise it is
	// the best evidence of a call there is.
	envNamed := len(done) > 0
	for _, d := range sortedKeys(s.DependsOn) {
		if envNamed {
			break
		}
		if tgt, ok := r.aliases[strings.ToLower(d)]; ok && !done[tgt] && tgt != s.Name {
			r.link(from, tgt, "depends_on", 0, r.src(r.lineOf(s.Name, "depends_on"), "depends_on "+d))
			done[tgt] = true
		}
	}
}

// argTarget is a command-line argument that may name an address.
type argTarget struct{ flag, name, value string }

// argTargets lists the arguments that may name an address: a flag=value
// (--redis-addr=cache:6379), or a URL after a flag. Their flag's name reads
// like a variable's (--redis-addr is REDIS_ADDR), so the same rules
// decide what they name.
func argTargets(args []string) []argTarget {
	var out []argTarget
	for i, a := range args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		flag, value, ok := strings.Cut(a, "=")
		if !ok {
			if i+1 >= len(args) || !strings.Contains(args[i+1], "://") {
				continue
			}
			value = args[i+1]
		}
		name := strings.ToUpper(strings.ReplaceAll(strings.TrimLeft(flag, "-"), "-", "_"))
		if name != "" && value != "" {
			out = append(out, argTarget{flag: flag, name: name, value: value})
		}
	}
	return out
}

func (r *reader) link(from graph.ID, to, via string, port int, src graph.Source) {
	if _, ok := r.stores[to]; ok {
		for _, k := range []graph.EdgeKind{graph.Reads, graph.Writes} {
			e := graph.NewEdge(k, from, graph.DataStoreID(r.env, to))
			e.Props = graph.Props{"via": via}
			e.Sources = []graph.Source{src}
			r.c.AddEdge(AgentName, e)
		}
		return
	}
	e := graph.NewEdge(graph.Calls, from, graph.ServiceID(r.env, to))
	e.Props = graph.Props{"via": via}
	if port == 0 {
		if ps := r.ports[to]; len(ps) > 0 {
			port = int(ps[0])
		}
	}
	if port > 0 {
		e.Props["port"] = int64(port)
	}
	e.Sources = []graph.Source{src}
	r.c.AddEdge(AgentName, e)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// target is a host an environment value points at.
type target struct {
	host     string
	port     int
	external bool // the value is a URL or connection string (not a bare word)
}

// targets extracts the hosts a variable's value names, read by the parser
// every agent shares (discovery/internal/endpoint): values of variables
// whose names do not say they name a dependency count only when they are
// URLs or connection strings.
func targets(key, val string) []target {
	var out []target
	for _, ep := range endpoint.Parse(key, val) {
		out = append(out, target{host: ep.Host, port: int(ep.Port), external: ep.Scheme != ""})
	}
	return out
}

// looksExternal reports whether host is a public DNS name (not an IP,
// localhost, a cluster-internal or an example name).
func looksExternal(h string) bool {
	if !strings.Contains(h, ".") || net.ParseIP(h) != nil {
		return false
	}
	for _, suf := range []string{".local", ".internal", ".localhost", ".svc", ".cluster.local", ".example", ".example.com", ".example.org", ".test", ".invalid", ".lan", ".home"} {
		if strings.HasSuffix(h, suf) || h == strings.TrimPrefix(suf, ".") {
			return false
		}
	}
	return true
}

// images maps an image's repository name (last path element) to the data
// store engine it runs.
var images = map[string]string{
	"postgres": "postgresql", "postgis": "postgresql", "timescaledb": "postgresql", "postgresql": "postgresql",
	"mysql": "mysql", "mariadb": "mariadb", "percona": "mysql", "percona-server": "mysql",
	"mongo": "mongodb", "mongodb": "mongodb", "mongodb-community-server": "mongodb",
	"redis": "redis", "redis-stack": "redis", "valkey": "redis", "keydb": "redis", "memcached": "memcached",
	"rabbitmq": "rabbitmq", "kafka": "kafka", "cp-kafka": "kafka", "redpanda": "kafka",
	"elasticsearch": "elasticsearch", "opensearch": "opensearch", "cassandra": "cassandra",
	"couchdb": "couchdb", "couchbase": "couchbase", "neo4j": "neo4j", "nats": "nats",
	"dynamodb-local": "dynamodb", "minio": "s3", "localstack": "aws", "cockroach": "cockroachdb",
	"influxdb": "influxdb", "clickhouse-server": "clickhouse", "clickhouse": "clickhouse", "etcd": "etcd", "activemq": "activemq",
	"artemis": "activemq", "mssql": "sqlserver", "server": "", "oracle": "oracle", "sqlserver": "sqlserver",
}

// dbPorts maps well-known ports to engines, for images named like a
// database (sock-shop's user-db) but not one of the above.
var dbPorts = map[uint32]string{5432: "postgresql", 3306: "mysql", 27017: "mongodb", 6379: "redis",
	5672: "rabbitmq", 9092: "kafka", 9200: "elasticsearch", 9042: "cassandra", 11211: "memcached"}

var defaultPorts = map[string]uint32{"postgresql": 5432, "mysql": 3306, "mariadb": 3306, "mongodb": 27017,
	"redis": 6379, "memcached": 11211, "rabbitmq": 5672, "kafka": 9092, "elasticsearch": 9200,
	"opensearch": 9200, "cassandra": 9042, "couchdb": 5984, "neo4j": 7687, "nats": 4222, "sqlserver": 1433}

// engineOf says whether a compose service is a data store, and which.
func engineOf(s types.ServiceConfig) (string, bool) {
	img := strings.ToLower(s.Image)
	if i := strings.Index(img, "@"); i >= 0 {
		img = img[:i]
	}
	repo := img[strings.LastIndex(img, "/")+1:]
	if i := strings.Index(repo, ":"); i >= 0 {
		repo = repo[:i]
	}
	if strings.Contains(img, "mssql") {
		return "sqlserver", true
	}
	if eng, ok := images[repo]; ok && eng != "" {
		return eng, true
	}
	// A service named after an engine is that engine: an override entry
	// (docker-compose.monitoring.yml naming rabbitmq) or a store built
	// locally on the engine's image (sentry's clickhouse, image
	// clickhouse-self-hosted-local).
	if eng, ok := images[strings.ToLower(s.Name)]; ok && eng != "" {
		return eng, true
	}
	envEngine := ""
	for k := range s.Environment {
		switch {
		case strings.HasPrefix(k, "MYSQL_"):
			envEngine = "mysql"
		case strings.HasPrefix(k, "MARIADB_"):
			envEngine = "mariadb"
		case strings.HasPrefix(k, "POSTGRES_"):
			envEngine = "postgresql"
		case strings.HasPrefix(k, "MONGO_INITDB_"):
			envEngine = "mongodb"
		}
	}
	for _, suf := range []string{"-db", "_db", "db", "-database", "-mongo", "-mysql", "-redis", "-cache"} {
		for _, n := range []string{strings.ToLower(s.Name), repo} {
			if n != "" && strings.HasSuffix(n, suf) {
				base := strings.TrimSuffix(n, suf)
				if eng, ok := images[base]; ok && eng != "" {
					return eng, true
				}
				for _, p := range s.Ports {
					if eng, ok := dbPorts[p.Target]; ok {
						return eng, true
					}
				}
				for _, e := range s.Expose {
					if n, err := strconv.Atoi(e); err == nil {
						if eng, ok := dbPorts[uint32(n)]; ok {
							return eng, true
						}
					}
				}
				if envEngine != "" {
					return envEngine, true
				}
				if suf != "db" {
					return "unknown", true
				}
			}
		}
	}
	return "", false
}
