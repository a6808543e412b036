// Package openapi reads OpenAPI 3.x and Swagger 2.0 documents (JSON or
// YAML): every operation becomes an API node with method, path,
// operationId, summary, authenticated, protocol "http", requestFields,
// responseFields and parameters (flattened field names, nested ones as
// dotted paths, $ref resolved — also into other local files, each
// relative to the file that holds it — and cycles cut), plus fieldHints
// (formats, explicit x-data-classification annotations, and what example
// values are — example, or 3.1's examples list — never the values) for
// the classifier.
//
// The path is the one a client requests: Swagger 2's basePath, or the path
// of the servers' URLs (variables set to their defaults; the operation's
// servers, else its path item's, else the document's; localhost ones
// ignored when others exist), is put in front of the path as written, and
// basePath records it. When the servers disagree on that path, the path is
// kept as written and the evidence says why.
//
// Each document (up to 4 MiB) is first loaded strictly with kin-openapi. When that fails
// (invalid escapes in YAML strings, CloudFormation intrinsics where a string
// belongs, a $ref that does not resolve) the operations are still read from
// the raw document, and every API's evidence says what the strict parser
// rejected. An unknown version ("openapi: 4.0", "swagger: 1.2"), YAML that
// cannot be repaired or a document without paths is a *discovery.FileError.
//
// API Gateway's x-amazon-apigateway-any-method is an operation with method
// ANY. A document whose paths hold no operation is valid and gives none.
//
// The operations are recorded under a provisional service; specmatch.Linker
// attaches them to the service that serves them.
package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/classify"
	"github.com/riskgraph/riskgraph/discovery/specmatch"
	"github.com/riskgraph/riskgraph/graph"
)

// AgentName is the agent's name in evidence.
const AgentName = "openapi"

// MaxSize is the largest spec read (bigger files are refused with an error).
const MaxSize = 16 << 20

// Agent reads OpenAPI and Swagger documents.
type Agent struct{}

func (Agent) Name() string { return AgentName }

var versionRe = regexp.MustCompile(`(?m)(^|[{,])\s*["']?(openapi|swagger)["']?\s*:\s*["']?([0-9][0-9.]*)`)

// Detect accepts YAML or JSON documents with a top-level openapi or swagger
// version key, wherever it is in the document.
func (Agent) Detect(f *discovery.File) bool {
	ext := strings.ToLower(filepath.Ext(f.Path))
	if ext != ".json" && ext != ".yaml" && ext != ".yml" {
		return false
	}
	head := f.Data
	if len(head) > 64<<10 {
		head = head[:64<<10]
	}
	if bytes.Contains(head, []byte("openapi")) || bytes.Contains(head, []byte("swagger")) {
		if versionRe.Match(head) && (bytes.Contains(head, []byte("paths")) || bytes.Contains(head, []byte("info"))) {
			return true
		}
	}
	if len(f.Data) <= len(head) || len(f.Data) > MaxSize {
		return false
	}
	// Keys in alphabetical order (Kubernetes' swagger.json, jq -S, any
	// map marshalled by Go) put the version after a large components or
	// definitions section.
	return topLevelVersion(f.Data)
}

// yamlVersionRe matches a version key at the top level of a YAML document
// (no indentation).
var yamlVersionRe = regexp.MustCompile(`(?m)^["']?(openapi|swagger)["']?\s*:\s*["']?[0-9]`)

// topLevelVersion reports whether a whole document has an openapi or
// swagger key at its top level.
func topLevelVersion(data []byte) bool {
	if !bytes.Contains(data, []byte("openapi")) && !bytes.Contains(data, []byte("swagger")) {
		return false
	}
	if t := bytes.TrimLeft(data, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '{' {
		var top map[string]json.RawMessage
		if json.Unmarshal(data, &top) != nil {
			return false
		}
		for _, k := range []string{"openapi", "swagger"} {
			var v string
			if json.Unmarshal(top[k], &v) == nil && v != "" && v[0] >= '0' && v[0] <= '9' {
				_, paths := top["paths"]
				_, info := top["info"]
				return paths || info
			}
		}
		return false
	}
	return yamlVersionRe.Match(data)
}

// Read parses f and records its operations.
func (Agent) Read(ctx context.Context, f *discovery.File, c *discovery.Collector) error {
	sp, err := Parse(f)
	if err != nil {
		return err
	}
	sp.Add(c)
	return nil
}

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace", anyMethod}

// anyMethod is API Gateway's catch-all operation, recorded with method ANY.
const anyMethod = "x-amazon-apigateway-any-method"

// Parse reads one spec document into a specmatch.Spec.
func Parse(f *discovery.File) (*specmatch.Spec, error) {
	if len(f.Data) > MaxSize {
		return nil, discovery.Errorf(f.Path, 0, "spec is %d bytes, more than the %d this agent reads", len(f.Data), MaxSize)
	}
	if bytes.IndexByte(f.Data, 0) >= 0 {
		return nil, discovery.Errorf(f.Path, 0, "binary data, expected an OpenAPI document in YAML or JSON")
	}
	root, lenientNote, err := parseYAML(f.Path, f.Data)
	if err != nil {
		return nil, err
	}
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil, discovery.Errorf(f.Path, doc.Line, "expected a mapping with openapi or swagger at the top")
	}
	var raw any
	if err := doc.Decode(&raw); err != nil {
		return nil, discovery.Errorf(f.Path, doc.Line, "cannot decode document: %v", err)
	}
	m, _ := stringKeys(raw).(map[string]any)
	version, swagger := "", false
	if v, ok := m["openapi"]; ok {
		version = fmt.Sprint(v)
		if !strings.HasPrefix(version, "3.") {
			return nil, discovery.Errorf(f.Path, keyLine(doc, "openapi"), "unsupported OpenAPI version %q, expected 3.x (or swagger: \"2.0\")", version)
		}
	} else if v, ok := m["swagger"]; ok {
		version, swagger = fmt.Sprint(v), true
		if version != "2.0" && version != "2" {
			return nil, discovery.Errorf(f.Path, keyLine(doc, "swagger"), "unsupported Swagger version %q, expected \"2.0\" (or openapi: 3.x)", version)
		}
	} else {
		return nil, discovery.Errorf(f.Path, doc.Line, "no openapi or swagger version key at the top level")
	}
	paths, ok := m["paths"].(map[string]any)
	if !ok {
		if _, has := m["paths"]; has {
			return nil, discovery.Errorf(f.Path, keyLine(doc, "paths"), "paths must be a mapping of path → operations")
		}
		paths = map[string]any{} // a components-only document: no operations
	}

	strictNote := strictCheck(f, swagger)
	notes := []string{}
	if lenientNote != "" {
		notes = append(notes, lenientNote)
	}
	if strictNote != "" {
		notes = append(notes, "strict parser rejected it ("+strictNote+"), read leniently")
	}

	r := &resolver{base: f.Abs, docs: map[string]any{}, root: m}
	sp := &specmatch.Spec{Agent: AgentName, Kind: "openapi", File: f.Path}
	info, _ := m["info"].(map[string]any)
	sp.Title, _ = info["title"].(string)
	sp.Line = pathLine(doc, "info", "title")
	if sp.Line == 0 {
		sp.Line = doc.Line
	}
	desc, _ := info["description"].(string)
	health := classify.IsHealthContext(sp.Title + " " + desc)
	sp.Hosts = hosts(m, swagger)

	schemes := securitySchemes(r, m, swagger)
	global, hasGlobal := m["security"].([]any)
	paramsOf := func(v any) []any { l, _ := r.deref(v).([]any); return l }

	pathKeys := make([]string, 0, len(paths))
	for p := range paths {
		pathKeys = append(pathKeys, p)
	}
	sort.Strings(pathKeys)
	for _, p := range pathKeys {
		item, ok := r.deref(paths[p]).(map[string]any)
		if !ok {
			notes = append(notes, fmt.Sprintf("skipped path %s: not a mapping", p))
			continue
		}
		common := paramsOf(item["parameters"])
		docBase, _ := m["basePath"].(string)
		for _, meth := range methods {
			opv, ok := item[meth]
			if !ok {
				continue
			}
			op, ok := r.deref(opv).(map[string]any)
			if !ok {
				notes = append(notes, fmt.Sprintf("skipped %s %s: not a mapping", meth, p))
				continue
			}
			fs := &fields{hints: graph.Props{}, r: r}
			var params []string
			for _, pv := range append(slices.Clone(common), paramsOf(op["parameters"])...) {
				prm, ok := r.deref(pv).(map[string]any)
				if !ok {
					continue
				}
				name, _ := prm["name"].(string)
				switch prm["in"] {
				case "path", "query":
					if name != "" && !slices.Contains(params, name) {
						params = append(params, name)
						fs.hint(name, prm)
						if s, ok := prm["schema"]; ok {
							fs.hint(name, r.deref(s))
						}
					}
				case "body":
					fs.walk(&fs.req, "", prm["schema"], 0, nil)
				case "formData":
					if name != "" {
						fs.add(&fs.req, name, prm)
					}
				}
			}
			if rb, ok := r.deref(op["requestBody"]).(map[string]any); ok {
				fs.content(&fs.req, rb["content"])
			}
			if rs, ok := r.deref(op["responses"]).(map[string]any); ok {
				codes := make([]string, 0, len(rs))
				for code := range rs {
					codes = append(codes, code)
				}
				sort.Strings(codes)
				for _, code := range codes {
					if !strings.HasPrefix(code, "2") {
						continue
					}
					resp, _ := r.deref(rs[code]).(map[string]any)
					if swagger {
						fs.walk(&fs.resp, "", resp["schema"], 0, nil)
					} else {
						fs.content(&fs.resp, resp["content"])
					}
				}
			}
			sec, hasSec := op["security"].([]any)
			if !hasSec {
				sec, hasSec = global, hasGlobal
			}
			authed, how := authenticated(sec, hasSec, schemes)
			if a, ok := op["x-amazon-apigateway-auth"].(map[string]any); ok {
				if t, _ := a["type"].(string); t != "" && !strings.EqualFold(t, "NONE") {
					authed, how = true, []string{"aws:" + strings.ToLower(t)}
				}
			}
			method := strings.ToUpper(meth)
			if meth == anyMethod {
				method = "ANY"
			}
			base, baseNote := basePath(swagger, docBase, op["servers"], item["servers"], m["servers"])
			full := p
			if base != "" && base != "/" {
				full = base + p
				if !strings.HasPrefix(p, "/") {
					full = base + "/" + p
				}
			}
			opID, _ := op["operationId"].(string)
			summary, _ := op["summary"].(string)
			if summary == "" {
				if d, _ := op["description"].(string); d != "" {
					summary = firstLine(d)
				}
			}
			props := graph.Props{"method": method, "path": full, "authenticated": authed, "protocol": "http"}
			if full != p {
				props["basePath"] = base
			}
			if opID != "" {
				props["operationId"] = opID
			}
			if summary != "" {
				props["summary"] = summary
			}
			if len(fs.req) > 0 {
				props["requestFields"] = fs.req
			}
			if len(fs.resp) > 0 {
				props["responseFields"] = fs.resp
			}
			if len(params) > 0 {
				props["parameters"] = params
			}
			if len(how) > 0 {
				props["authSchemes"] = how
			}
			if len(fs.hints) > 0 {
				props["fieldHints"] = fs.hints
			}
			if ann, ok := op["x-data-classification"]; ok {
				props["declaredClasses"] = annotationClasses(ann)
			}
			if health || classify.IsHealthContext(p+" "+summary+" "+opID) {
				props["domain"] = "health"
			}
			detail := "operation " + opID
			if opID == "" {
				detail = "operation " + method + " " + p
			}
			opNotes := slices.Clip(notes)
			if baseNote != "" {
				opNotes = append(opNotes, baseNote)
			}
			if fs.truncated {
				opNotes = append(opNotes, fmt.Sprintf("fields cut at %d per request and response", maxFields))
			}
			if len(opNotes) > 0 {
				detail += " (" + strings.Join(opNotes, "; ") + ")"
			}
			sp.Ops = append(sp.Ops, graph.Node{Kind: graph.API, Name: method + " " + full, Props: props,
				Sources: []graph.Source{{Agent: AgentName, File: f.Path, Line: pathLine(doc, "paths", p, meth), Detail: detail}}})
		}
	}
	if len(sp.Ops) == 0 && len(paths) > 0 && len(notes) > 0 {
		return nil, discovery.Errorf(f.Path, keyLine(doc, "paths"), "no readable operation under paths (%s)", strings.Join(notes, "; "))
	}
	return sp, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

func annotationClasses(v any) []string {
	var s []string
	switch x := v.(type) {
	case string:
		s = []string{x}
	case []any:
		for _, e := range x {
			s = append(s, fmt.Sprint(e))
		}
	case bool:
		if x {
			s = []string{"PII"}
		}
	}
	var out []string
	for _, t := range classify.Annotation("", strings.Join(s, ",")) {
		if !slices.Contains(out, string(t.Class)) {
			out = append(out, string(t.Class))
		}
	}
	return out
}

// maxStrict is the largest document loaded strictly: kin-openapi takes
// seconds per megabyte resolving references, and the lenient reading does
// not depend on it.
const maxStrict = 4 << 20

// strictCheck loads the document with kin-openapi and returns what it
// rejected ("" when it loads). External references are read from local
// files only, never from the network.
func strictCheck(f *discovery.File, swagger bool) string {
	if len(f.Data) > maxStrict {
		return ""
	}
	if swagger {
		var d2 openapi2.T
		js, err := toJSON(f.Data)
		if err == nil {
			err = json.Unmarshal(js, &d2)
		}
		if err == nil {
			_, err = openapi2conv.ToV3(&d2)
		}
		if err != nil {
			return shorten(err.Error())
		}
		return ""
	}
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = true
	l.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		if u.Scheme != "" && u.Scheme != "file" {
			return nil, fmt.Errorf("not reading remote reference %s", u)
		}
		return readLocal(u.Path)
	}
	loc := &url.URL{Path: filepath.ToSlash(f.Abs)}
	if t := bytes.TrimLeft(f.Data, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '{' {
		// JSON through encoding/json: the loader reads everything as YAML,
		// which takes minutes on a multi-megabyte one-line document.
		var doc openapi3.T
		if err := json.Unmarshal(f.Data, &doc); err != nil {
			return shorten(err.Error())
		}
		if err := l.ResolveRefsIn(&doc, loc); err != nil {
			return shorten(err.Error())
		}
		return ""
	}
	if _, err := l.LoadFromDataWithPath(f.Data, loc); err != nil {
		return shorten(err.Error())
	}
	return ""
}

func readLocal(p string) ([]byte, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if st.Size() > MaxSize {
		return nil, fmt.Errorf("%s is too large", p)
	}
	return os.ReadFile(p)
}

func shorten(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func toJSON(data []byte) ([]byte, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return json.Marshal(stringKeys(v))
}

// stringKeys converts YAML maps with non-string keys (response codes
// written as integers) to map[string]any.
func stringKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = stringKeys(e)
		}
		return x
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = stringKeys(e)
		}
		return out
	case []any:
		for i, e := range x {
			x[i] = stringKeys(e)
		}
		return x
	}
	return v
}

var yamlLineRe = regexp.MustCompile(`line (\d+)`)

// badEscape matches a backslash before a character YAML does not allow to
// be escaped in double-quoted strings ("^\d{16}$").
var badEscape = regexp.MustCompile(`\\([^0abtnvfre "/\\N_LPxuU\t\n])`)

// parseYAML parses data; when it fails on invalid escapes it repairs them
// (doubling the backslash, which is what the author meant) and says so.
func parseYAML(file string, data []byte) (*yaml.Node, string, error) {
	var n yaml.Node
	err := yaml.Unmarshal(data, &n)
	if err == nil {
		return &n, "", nil
	}
	line := 0
	if m := yamlLineRe.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	if strings.Contains(err.Error(), "escape") {
		fixed := badEscape.ReplaceAll(data, []byte(`\\$1`))
		var n2 yaml.Node
		if yaml.Unmarshal(fixed, &n2) == nil {
			return &n2, fmt.Sprintf("line %d: invalid escape sequence in a quoted string, read as a literal backslash", line), nil
		}
	}
	msg := "invalid YAML/JSON: " + strings.TrimPrefix(err.Error(), "yaml: ")
	if lines := bytes.Split(data, []byte("\n")); line > 0 && line <= len(lines) &&
		bytes.IndexByte(lines[line-1], '\t') >= 0 && strings.Contains(err.Error(), "cannot start any token") {
		msg += " (a tab character: YAML indents with spaces)"
	}
	return nil, "", &discovery.FileError{File: file, Line: line, Msg: msg, Err: err}
}

// keyLine returns the line of key in mapping node m (0 if absent).
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

// pathLine returns the line of the last key of path below m.
func pathLine(m *yaml.Node, path ...string) int {
	line := 0
	for _, k := range path {
		if m == nil || m.Kind != yaml.MappingNode {
			return line
		}
		var next *yaml.Node
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == k {
				line, next = m.Content[i].Line, m.Content[i+1]
				break
			}
		}
		if next == nil {
			return line
		}
		m = next
	}
	return line
}

// hosts returns the hosts of the spec's servers (OpenAPI 3) or its host
// (Swagger 2).
func hosts(m map[string]any, swagger bool) []string {
	var out []string
	if swagger {
		if h, ok := m["host"].(string); ok && h != "" {
			out = append(out, strings.Split(h, ":")[0])
		}
		return out
	}
	for _, raw := range serverURLs(m["servers"]) {
		if !strings.Contains(raw, "://") {
			raw = "http://" + raw
		}
		u, err := url.Parse(raw)
		if err != nil || u.Hostname() == "" {
			continue
		}
		if h := u.Hostname(); !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// serverVarRe matches a server URL variable ({region}).
var serverVarRe = regexp.MustCompile(`\{([^{}]*)\}`)

// serverURLs returns the URLs of a servers list with their variables set
// to their defaults ({scheme}://{host}/v1 → https://api.example.com/v1).
func serverURLs(v any) []string {
	servers, _ := v.([]any)
	var out []string
	for _, s := range servers {
		sm, _ := s.(map[string]any)
		raw, _ := sm["url"].(string)
		if raw == "" {
			continue
		}
		vars, _ := sm["variables"].(map[string]any)
		raw = serverVarRe.ReplaceAllStringFunc(raw, func(x string) string {
			vm, _ := vars[x[1:len(x)-1]].(map[string]any)
			if d, ok := vm["default"]; ok {
				return fmt.Sprint(d)
			}
			return x
		})
		out = append(out, raw)
	}
	return out
}

// serverPath returns the path part of a server URL ("/v1" for
// https://api.example.com/v1/, "/api" for /api), without a trailing slash;
// ok is false when the URL has a variable left in its path.
func serverPath(raw string) (string, bool) {
	p := raw
	if i := strings.Index(p, "://"); i >= 0 {
		p = p[i+3:]
		j := strings.IndexByte(p, '/')
		if j < 0 {
			return "", true
		}
		p = p[j:]
	} else if !strings.HasPrefix(p, "/") {
		j := strings.IndexByte(p, '/') // host/path without a scheme
		if j < 0 {
			return "", true
		}
		p = p[j:]
	}
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if strings.ContainsAny(p, "{}") {
		return "", false
	}
	return strings.TrimRight(p, "/"), true
}

// localHost reports whether a server URL points at the developer's machine.
func localHost(raw string) bool {
	l := strings.ToLower(raw)
	for _, h := range []string{"localhost", "127.0.0.1", "0.0.0.0", "[::1]"} {
		if strings.Contains(l, "://"+h) || strings.HasPrefix(l, h) {
			return true
		}
	}
	return false
}

// basePath returns the prefix every operation path is served under: Swagger
// 2's basePath, or the path the OpenAPI servers (of the operation, else its
// path item, else the document) agree on. Servers on localhost do not count
// when others exist; when the rest disagree there is no prefix and note
// says so.
func basePath(swagger bool, docBase string, servers ...any) (prefix, note string) {
	if swagger {
		if !strings.HasPrefix(docBase, "/") {
			return "", "" // a template placeholder (<base_path>), or none
		}
		return strings.TrimRight(docBase, "/"), ""
	}
	var urls []string
	for _, s := range servers {
		if urls = serverURLs(s); len(urls) > 0 {
			break
		}
	}
	var remote []string
	for _, u := range urls {
		if !localHost(u) {
			remote = append(remote, u)
		}
	}
	if len(remote) > 0 {
		urls = remote
	}
	var paths []string
	for _, u := range urls {
		p, ok := serverPath(u)
		if !ok {
			return "", "server URL " + u + " has a variable without a default in its path"
		}
		if !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	switch len(paths) {
	case 0:
		return "", ""
	case 1:
		return paths[0], ""
	}
	return "", "servers disagree on the base path (" + strings.Join(paths, ", ") + "), paths kept as written"
}

// securitySchemes returns scheme name → description ("http/bearer",
// "apiKey/header", "oauth2", "basic").
func securitySchemes(r *resolver, m map[string]any, swagger bool) map[string]string {
	var defs map[string]any
	if swagger {
		defs, _ = m["securityDefinitions"].(map[string]any)
	} else {
		comps, _ := m["components"].(map[string]any)
		defs, _ = comps["securitySchemes"].(map[string]any)
	}
	out := map[string]string{}
	for name, v := range defs {
		s, _ := r.deref(v).(map[string]any)
		typ, _ := s["type"].(string)
		desc := typ
		if sch, _ := s["scheme"].(string); sch != "" {
			desc += "/" + strings.ToLower(sch)
		} else if in, _ := s["in"].(string); in != "" {
			desc += "/" + in
		}
		if at, _ := s["x-amazon-apigateway-authtype"].(string); at != "" {
			desc = "aws:" + strings.ToLower(at)
		}
		out[name] = desc
	}
	return out
}

// authenticated decides from a security requirement list whether an
// operation needs credentials: an empty list, or an alternative that is
// the empty object, means anonymous access; requirements naming only
// undefined schemes do not count as authentication.
func authenticated(sec []any, has bool, schemes map[string]string) (bool, []string) {
	if !has || len(sec) == 0 {
		return false, nil
	}
	var how []string
	for _, alt := range sec {
		req, _ := alt.(map[string]any)
		if len(req) == 0 {
			return false, nil
		}
		known := false
		names := make([]string, 0, len(req))
		for name := range req {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if d, ok := schemes[name]; ok {
				known = true
				if !slices.Contains(how, d) {
					how = append(how, d)
				}
			}
		}
		if !known {
			return false, nil
		}
	}
	return true, how
}

// resolver follows $ref pointers inside the document and into other local
// files (relative to the spec), caching parsed files.
type resolver struct {
	base string
	root map[string]any
	docs map[string]any
}

// deref follows v's $ref chain (up to a bound, so ref loops end).
func (r *resolver) deref(v any) any {
	for i := 0; i < 16; i++ {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v
		}
		v = r.lookup(ref)
	}
	return nil
}

func (r *resolver) lookup(ref string) any {
	file, frag, _ := strings.Cut(ref, "#")
	var doc any = r.root
	if file != "" {
		if strings.Contains(file, "://") || r.base == "" {
			return nil
		}
		p := filepath.FromSlash(file)
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(r.base), p)
		}
		d, ok := r.docs[p]
		if !ok {
			if data, err := readLocal(p); err == nil {
				var v any
				if yaml.Unmarshal(data, &v) == nil {
					d = rebase(stringKeys(v), p)
				}
			}
			r.docs[p] = d
		}
		doc = d
	}
	for _, part := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		if part == "" {
			continue
		}
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		switch x := doc.(type) {
		case map[string]any:
			doc = x[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			doc = x[i]
		default:
			return nil
		}
	}
	return doc
}

// rebase makes the $refs of a document read from file absolute: a
// relative file is relative to file's directory (paths/user.yaml's
// ../schemas/User.yaml), and a fragment alone points into file itself,
// not into the root document.
func rebase(v any, file string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if ref, ok := e.(string); ok && k == "$ref" {
				f, frag, _ := strings.Cut(ref, "#")
				switch {
				case strings.Contains(f, "://"):
				case f == "":
					x[k] = filepath.ToSlash(file) + "#" + frag
				case !filepath.IsAbs(filepath.FromSlash(f)):
					x[k] = filepath.ToSlash(filepath.Join(filepath.Dir(file), filepath.FromSlash(f))) + "#" + frag
				}
				continue
			}
			x[k] = rebase(e, file)
		}
	case []any:
		for i, e := range x {
			x[i] = rebase(e, file)
		}
	}
	return v
}

// fields collects flattened field names and hints of one operation.
type fields struct {
	r         *resolver
	req, resp []string
	hints     graph.Props
	steps     int                           // schemas visited, bounded by maxSteps
	seen      map[*[]string]map[string]bool // names already in req / resp
	truncated bool                          // a list reached maxFields
}

// maxSteps bounds the schemas visited per operation: a schema graph that
// is a wide DAG (the same schema under many properties, many levels deep)
// would otherwise expand exponentially.
const maxSteps = 5000

// maxFields bounds the fields kept per request or response. Schemas are
// walked breadth first, so what is cut is the deepest nesting.
const maxFields = 500

func (fs *fields) content(dst *[]string, v any) {
	cm, ok := fs.r.deref(v).(map[string]any)
	if !ok {
		return
	}
	types := make([]string, 0, len(cm))
	for t := range cm {
		types = append(types, t)
	}
	sort.Slice(types, func(i, j int) bool {
		ji, jj := strings.Contains(types[i], "json"), strings.Contains(types[j], "json")
		if ji != jj {
			return ji
		}
		return types[i] < types[j]
	})
	for _, t := range types {
		mt, _ := fs.r.deref(cm[t]).(map[string]any)
		if s, ok := mt["schema"]; ok {
			fs.walk(dst, "", s, 0, nil)
			return
		}
	}
}

const maxDepth = 6

// pending is a schema to flatten under prefix, with the schemas on the
// path to it (a recursive schema is cut where it repeats).
type pending struct {
	prefix string
	v      any
	depth  int
	stack  []map[string]any
}

// walk flattens schema v into dst under prefix, breadth first: every
// property of a level is listed before any of the level below, so the
// bounds (maxSteps, maxFields, maxDepth) cut the deepest nesting first.
func (fs *fields) walk(dst *[]string, prefix string, v any, depth int, stack []map[string]any) {
	queue := []pending{{prefix, v, depth, stack}}
	for len(queue) > 0 && fs.steps < maxSteps && len(*dst) < maxFields {
		p := queue[0]
		queue = queue[1:]
		queue = fs.level(dst, p, queue)
	}
	if len(queue) > 0 && len(*dst) >= maxFields {
		fs.truncated = true
	}
}

// level lists the properties of one schema (its allOf/oneOf/anyOf and
// items at the same prefix) and queues their own schemas.
func (fs *fields) level(dst *[]string, p pending, queue []pending) []pending {
	s, ok := fs.r.deref(p.v).(map[string]any)
	if !ok || p.depth > maxDepth || fs.steps >= maxSteps || len(*dst) >= maxFields {
		return queue
	}
	fs.steps++
	for _, o := range p.stack {
		if sameMap(o, s) {
			return queue
		}
	}
	stack := append(slices.Clip(p.stack), s)
	for _, k := range []string{"allOf", "oneOf", "anyOf"} {
		if l, ok := s[k].([]any); ok {
			for _, e := range l {
				queue = fs.level(dst, pending{p.prefix, e, p.depth + 1, stack}, queue)
			}
		}
	}
	if it, ok := s["items"]; ok {
		queue = fs.level(dst, pending{p.prefix, it, p.depth + 1, stack}, queue)
	}
	props, _ := s["properties"].(map[string]any)
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		full := n
		if p.prefix != "" {
			full = p.prefix + "." + n
		}
		ps, _ := fs.r.deref(props[n]).(map[string]any)
		if !fs.add(dst, full, ps) {
			return queue
		}
		queue = append(queue, pending{full, ps, p.depth + 1, stack})
	}
	return queue
}

// sameMap reports whether a and b are the same map (not equal contents):
// a $ref resolves to the very map it points at.
func sameMap(a, b map[string]any) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// add lists name in dst (once) with its hints; false when dst is full.
func (fs *fields) add(dst *[]string, name string, s map[string]any) bool {
	if fs.seen == nil {
		fs.seen = map[*[]string]map[string]bool{}
	}
	seen := fs.seen[dst]
	if seen == nil {
		seen = map[string]bool{}
		fs.seen[dst] = seen
	}
	if !seen[name] {
		if len(*dst) >= maxFields {
			fs.truncated = true
			return false
		}
		seen[name] = true
		*dst = append(*dst, name)
	}
	fs.hint(name, s)
	return true
}

// hint records what a schema says about a field's data class: format,
// explicit annotation, and what its example is (never the example itself).
func (fs *fields) hint(name string, s any) {
	m, ok := s.(map[string]any)
	if !ok {
		return
	}
	var h []string
	if f, _ := m["format"].(string); f != "" && len(classify.Format(name, f)) > 0 {
		h = append(h, "format:"+f)
	}
	for _, k := range []string{"x-data-classification", "x-classification", "x-data-class", "x-pii", "x-sensitive"} {
		if v, ok := m[k]; ok {
			for _, c := range annotationClasses(v) {
				h = append(h, "annotation:"+c)
			}
		}
	}
	// example (OpenAPI 3.0, Swagger) or the JSON Schema examples list
	// (OpenAPI 3.1).
	exs := []any{}
	if ex, ok := m["example"]; ok {
		exs = append(exs, ex)
	}
	if l, ok := m["examples"].([]any); ok {
		exs = append(exs, l[:min(len(l), 3)]...)
	}
	for _, ex := range exs {
		if k := classify.ExampleKind(fmt.Sprint(ex)); k != "" && !slices.Contains(h, "example:"+k) {
			h = append(h, "example:"+k)
		}
	}
	if len(h) == 0 {
		return
	}
	old, _ := fs.hints[name].([]string)
	for _, x := range h {
		if !slices.Contains(old, x) {
			old = append(old, x)
		}
	}
	fs.hints[name] = old
}
