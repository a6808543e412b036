// Package proto reads gRPC service definitions from .proto files with
// protocompile's parser: every rpc becomes an API node with method "GRPC",
// path "/package.Service/Method", protocol "grpc", and the request and
// response messages' fields (nested messages flattened to dotted paths,
// recursion cut) as requestFields and responseFields.
//
// Only the file itself is parsed; imports are not resolved, so a message
// defined in another file contributes its name but not its fields. A
// service is recorded under a provisional service (see specmatch) named
// after the proto service, and matched to the deployed service later.
package proto

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
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

func specsOf(f *discovery.File, res parser.Result) []*specmatch.Spec {
	fd := res.FileDescriptorProto()
	pkg := fd.GetPackage()
	msgs := map[string]*descriptorpb.DescriptorProto{}
	var index func(prefix string, ms []*descriptorpb.DescriptorProto)
	index = func(prefix string, ms []*descriptorpb.DescriptorProto) {
		for _, m := range ms {
			full := prefix + "." + m.GetName()
			msgs[full] = m
			index(full, m.GetNestedType())
		}
	}
	root := ""
	if pkg != "" {
		root = "." + pkg
	}
	index(root, fd.GetMessageType())
	line := func(n ast.Node) int {
		if n == nil {
			return 0
		}
		return res.AST().NodeInfo(n).Start().Line
	}
	var out []*specmatch.Spec
	if infraPackages[pkg] || strings.HasPrefix(pkg, "grpc.") || strings.HasPrefix(pkg, "google.") {
		return nil
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
			if req := flatten(msgs, m.GetInputType(), root); len(req) > 0 {
				props["requestFields"] = req
			}
			if resp := flatten(msgs, m.GetOutputType(), root); len(resp) > 0 {
				props["responseFields"] = resp
			}
			if m.GetClientStreaming() || m.GetServerStreaming() {
				props["streaming"] = true
			}
			sp.Ops = append(sp.Ops, graph.Node{Kind: graph.API, Name: "GRPC " + p, Props: props,
				Sources: []graph.Source{{Agent: AgentName, File: f.Path, Line: line(res.Node(m)),
					Detail: "rpc " + full + "." + m.GetName() + " (authentication is not declared in .proto files)"}}})
		}
		out = append(out, sp)
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
