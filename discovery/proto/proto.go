// Package proto reads gRPC service definitions from .proto files with
// protocompile's parser: every rpc becomes an API node with method "GRPC",
// path "/package.Service/Method", protocol "grpc", and the request and
// response messages' fields (nested messages flattened to dotted paths,
// recursion cut) as requestFields and responseFields. Each HTTP rule of a
// google.api.http option (additional_bindings too) is an API node of its
// own: method and path of the rule (a template variable's pattern dropped:
// {name=users/*} → {name}), protocol "http", grpcMethod the rpc's path,
// and the rpc's fields.
//
// Imports are resolved from disk: an import path is looked for below the
// file's directory and each of its ancestors (the usual proto roots), and
// the messages of the files found (and of their imports, a bounded number
// of files) count like the file's own, so a service whose requests are
// defined in rpc_create_user.proto still has its fields. A message that is
// found nowhere contributes its name but not its fields, and the evidence
// says which. A service is recorded under a provisional service (see
// specmatch) named after the proto service, and matched to the deployed
// service later.
package proto

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/bufbuild/protocompile/ast"
	"github.com/bufbuild/protocompile/parser"
	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/specmatch"
	"github.com/riskgraph/riskgraph/graph"
)

// AgentName is the agent's name in evidence.
const AgentName = "proto"

// MaxSize is the largest .proto file read.
const MaxSize = 8 << 20

// Agent reads .proto files that declare services.
type Agent struct{}

func (Agent) Name() string { return AgentName }

// Detect accepts .proto files (and files whose content declares a proto
// syntax and a service).
func (Agent) Detect(f *discovery.File) bool {
	if strings.EqualFold(filepath.Ext(f.Path), ".proto") {
		return true
	}
	head := f.Data
	if len(head) > 4096 {
		head = head[:4096]
	}
	return bytes.Contains(head, []byte("syntax = \"proto")) && bytes.Contains(f.Data, []byte("service "))
}

// Read parses f and records its services.
func (Agent) Read(ctx context.Context, f *discovery.File, c *discovery.Collector) error {
	specs, err := Parse(f)
	if err != nil {
		return err
	}
	for _, s := range specs {
		s.Add(c)
	}
	return nil
}

// Parse returns one spec per service in f.
func Parse(f *discovery.File) ([]*specmatch.Spec, error) {
	if len(f.Data) > MaxSize {
		return nil, discovery.Errorf(f.Path, 0, "file is %d bytes, more than the %d this agent reads", len(f.Data), MaxSize)
	}
	if bytes.IndexByte(f.Data, 0) >= 0 {
		return nil, discovery.Errorf(f.Path, 0, "binary data, expected protobuf source")
	}
	var first reporter.ErrorWithPos
	h := reporter.NewHandler(reporter.NewReporter(func(e reporter.ErrorWithPos) error {
		if first == nil {
			first = e
		}
		return e
	}, nil))
	file, err := parser.Parse(f.Path, bytes.NewReader(f.Data), h)
	if err == nil {
		var res parser.Result
		res, err = parser.ResultFromAST(file, false, h)
		if err == nil {
			return specsOf(f, res), nil
		}
	}
	var ep reporter.ErrorWithPos
	if first != nil {
		ep = first
	} else if !errors.As(err, &ep) {
		return nil, &discovery.FileError{File: f.Path, Msg: "invalid protobuf source: " + err.Error(), Err: err}
	}
	return nil, &discovery.FileError{File: f.Path, Line: ep.GetPosition().Line,
		Msg: "invalid protobuf source: " + ep.Unwrap().Error(), Err: err}
}

// indexMessages adds the messages of fd (nested ones too) to msgs by full
// name (".pkg.Outer.Inner").
func indexMessages(msgs map[string]*descriptorpb.DescriptorProto, fd *descriptorpb.FileDescriptorProto) {
	var index func(prefix string, ms []*descriptorpb.DescriptorProto)
	index = func(prefix string, ms []*descriptorpb.DescriptorProto) {
		for _, m := range ms {
			full := prefix + "." + m.GetName()
			if _, ok := msgs[full]; !ok {
				msgs[full] = m
			}
			index(full, m.GetNestedType())
		}
	}
	root := ""
	if pkg := fd.GetPackage(); pkg != "" {
		root = "." + pkg
	}
	index(root, fd.GetMessageType())
}

// maxImports bounds the imported files read for one .proto file.
const maxImports = 64

// importRoots is how many directories up from the file an import path is
// looked for.
const importRoots = 8

// imports indexes the messages of the files fd imports, transitively,
// found on disk below the directory of abs or one of its ancestors.
func imports(msgs map[string]*descriptorpb.DescriptorProto, fd *descriptorpb.FileDescriptorProto, abs string) {
	if abs == "" {
		return
	}
	var roots []string
	for d, i := filepath.Dir(abs), 0; i < importRoots; i++ {
		roots = append(roots, d)
		up := filepath.Dir(d)
		if up == d {
			break
		}
		d = up
	}
	seen := map[string]bool{abs: true}
	queue := slices.Clone(fd.GetDependency())
	for read := 0; len(queue) > 0 && read < maxImports; {
		imp := queue[0]
		queue = queue[1:]
		if strings.HasPrefix(imp, "google/") || strings.Contains(imp, "..") {
			continue // well-known and annotation types carry no application data
		}
		for _, r := range roots {
			p := filepath.Join(r, filepath.FromSlash(imp))
			if seen[p] {
				break
			}
			st, err := os.Stat(p)
			if err != nil || !st.Mode().IsRegular() || st.Size() > MaxSize {
				continue
			}
			seen[p] = true
			read++
			data, err := os.ReadFile(p)
			if err != nil {
				break
			}
			h := reporter.NewHandler(nil)
			ast, err := parser.Parse(imp, bytes.NewReader(data), h)
			if err != nil {
				break
			}
			res, err := parser.ResultFromAST(ast, false, h)
			if err != nil {
				break
			}
			dep := res.FileDescriptorProto()
			indexMessages(msgs, dep)
			queue = append(queue, dep.GetDependency()...)
			break
		}
	}
}

func specsOf(f *discovery.File, res parser.Result) []*specmatch.Spec {
	fd := res.FileDescriptorProto()
	pkg := fd.GetPackage()
	msgs := map[string]*descriptorpb.DescriptorProto{}
	indexMessages(msgs, fd)
	root := ""
	if pkg != "" {
		root = "." + pkg
	}
	var out []*specmatch.Spec
	if infraPackages[pkg] || strings.HasPrefix(pkg, "grpc.") || strings.HasPrefix(pkg, "google.") {
		return nil
	}
	if len(fd.GetService()) > 0 {
		imports(msgs, fd, f.Abs)
	}
	line := func(n ast.Node) int {
		if n == nil {
			return 0
		}
		return res.AST().NodeInfo(n).Start().Line
	}
	for _, svc := range fd.GetService() {
		full := svc.GetName()
		if pkg != "" {
			full = pkg + "." + full
		}
		sp := &specmatch.Spec{Agent: AgentName, Kind: "proto", File: f.Path, Title: svc.GetName(),
			Line: line(res.Node(svc))}
		for _, m := range svc.GetMethod() {
			p := "/" + full + "/" + m.GetName()
			props := graph.Props{"method": "GRPC", "path": p, "operationId": m.GetName(),
				"protocol": "grpc", "authenticated": false}
			var missing []string
			for _, x := range []struct{ typ, prop string }{{m.GetInputType(), "requestFields"}, {m.GetOutputType(), "responseFields"}} {
				if _, found := resolveType(msgs, x.typ, root); found == nil {
					if !strings.HasPrefix(strings.TrimPrefix(x.typ, "."), "google.") {
						missing = append(missing, x.typ)
					}
					continue
				}
				if fs := flatten(msgs, x.typ, root); len(fs) > 0 {
					props[x.prop] = fs
				}
			}
			if m.GetClientStreaming() || m.GetServerStreaming() {
				props["streaming"] = true
			}
			detail := "rpc " + full + "." + m.GetName() + " (authentication is not declared in .proto files"
			if len(missing) > 0 {
				detail += "; fields of " + strings.Join(missing, ", ") + " not read: defined in an import not found"
			}
			detail += ")"
			sp.Ops = append(sp.Ops, graph.Node{Kind: graph.API, Name: "GRPC " + p, Props: props,
				Sources: []graph.Source{{Agent: AgentName, File: f.Path, Line: line(res.Node(m)),
					Detail: detail}}})
			// HTTP routes transcoded to the rpc (grpc-gateway, Envoy, Cloud
			// Endpoints) are operations of their own, with the rpc's fields.
			for _, b := range httpBindings(m.GetOptions()) {
				hp := graph.Props{"method": b[0], "path": b[1], "operationId": m.GetName(), "protocol": "http",
					"authenticated": false, "grpcMethod": p}
				for _, k := range []string{"requestFields", "responseFields"} {
					if v, ok := props[k]; ok {
						hp[k] = v
					}
				}
				sp.Ops = append(sp.Ops, graph.Node{Kind: graph.API, Name: b[0] + " " + b[1], Props: hp,
					Sources: []graph.Source{{Agent: AgentName, File: f.Path, Line: line(res.Node(m)),
						Detail: "google.api.http " + b[0] + " " + b[1] + " of rpc " + full + "." + m.GetName() +
							" (authentication is not declared in .proto files)"}}})
			}
		}
		out = append(out, sp)
	}
	return out
}

// bindingRe matches one HTTP rule of a google.api.http option as the
// parser keeps it (post : "/v1/{name=users/*}"), additional_bindings too.
var bindingRe = regexp.MustCompile(`\b(get|put|post|delete|patch)\s*:\s*"([^"]*)"`)

// customRe matches a custom rule: custom { kind : "HEAD" path : "/x" }.
var customRe = regexp.MustCompile(`\bcustom\s*\{\s*kind\s*:\s*"([^"]*)"\s*path\s*:\s*"([^"]*)"`)

// templateVarRe matches a path template variable with a pattern
// ({name=projects/*}), which the API path keeps as {name}.
var templateVarRe = regexp.MustCompile(`\{([A-Za-z0-9_.]+)=[^}]*\}`)

// httpBindings returns the [method, path] pairs of a method's
// google.api.http option.
func httpBindings(o *descriptorpb.MethodOptions) [][2]string {
	var out [][2]string
	for _, u := range o.GetUninterpretedOption() {
		n := u.GetName()
		if len(n) != 1 || n[0].GetNamePart() != "google.api.http" {
			continue
		}
		v := u.GetAggregateValue()
		add := func(meth, p string) {
			p = templateVarRe.ReplaceAllString(p, "{$1}")
			if p == "" || !strings.HasPrefix(p, "/") {
				return
			}
			b := [2]string{strings.ToUpper(meth), p}
			if !slices.Contains(out, b) {
				out = append(out, b)
			}
		}
		for _, m := range bindingRe.FindAllStringSubmatch(v, -1) {
			add(m[1], m[2])
		}
		for _, m := range customRe.FindAllStringSubmatch(v, -1) {
			add(m[1], m[2])
		}
	}
	return out
}

// infraPackages declare protocol plumbing every gRPC server may serve
// (health checks, reflection), not an application's API; so do every
// grpc.* and google.* package (vendored google/longrunning and the like).
var infraPackages = map[string]bool{"grpc.health.v1": true, "grpc.reflection.v1": true,
	"grpc.reflection.v1alpha": true, "grpc.channelz.v1": true}

// resolveType finds a message by the (possibly relative) type name used in
// scope, following protobuf's scoping rules within this file.
func resolveType(msgs map[string]*descriptorpb.DescriptorProto, name, scope string) (string, *descriptorpb.DescriptorProto) {
	if strings.HasPrefix(name, ".") {
		return name, msgs[name]
	}
	for s := scope; ; {
		cand := s + "." + name
		if m, ok := msgs[cand]; ok {
			return cand, m
		}
		if s == "" {
			return "", nil
		}
		i := strings.LastIndex(s, ".")
		if i < 0 {
			s = ""
		} else {
			s = s[:i]
		}
	}
}

const maxDepth = 6

// flatten returns the field names of message typ (nested messages as
// dotted paths).
func flatten(msgs map[string]*descriptorpb.DescriptorProto, typ, scope string) []string {
	var out []string
	var walk func(full string, m *descriptorpb.DescriptorProto, prefix string, stack []string)
	walk = func(full string, m *descriptorpb.DescriptorProto, prefix string, stack []string) {
		if m == nil || len(stack) > maxDepth || slices.Contains(stack, full) {
			return
		}
		stack = append(stack, full)
		for _, fl := range m.GetField() {
			name := fl.GetName()
			if prefix != "" {
				name = prefix + "." + name
			}
			out = append(out, name)
			if fl.GetType() == descriptorpb.FieldDescriptorProto_TYPE_MESSAGE || fl.TypeName != nil {
				if nf, nm := resolveType(msgs, fl.GetTypeName(), full); nm != nil && !nm.GetOptions().GetMapEntry() {
					walk(nf, nm, name, stack)
				}
			}
		}
	}
	full, m := resolveType(msgs, typ, scope)
	walk(full, m, "", nil)
	return out
}
