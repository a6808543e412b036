// Package graphql reads GraphQL schema files (SDL, e.g. an AWS AppSync
// api.graphql): every field of the Query, Mutation and Subscription types
// becomes an API node with method QUERY, MUTATION or SUBSCRIPTION, path
// "Type.field" (Mutation.createOrder), protocol "graphql", the arguments
// (input types flattened to dotted paths) as requestFields and the result
// type's fields as responseFields.
//
// The schema is parsed without validation (gqlparser), because AppSync and
// other servers add scalars and directives (AWSDateTime, @aws_iam) the
// schema does not declare. authenticated is true when the field or its
// type carries an identity directive (@aws_cognito_user_pools, @aws_iam,
// @aws_oidc, @aws_lambda, @auth, @authenticated, @requiresAuth); an API
// key alone (@aws_api_key) or no directive at all counts as not
// authenticated, and the evidence says which. Only directives about
// authorization count (authSchemes lists them): @deprecated, @key or
// @shareable on a field neither are schemes nor hide its type's.
//
// A union's fields are its members'. Types the file uses but does not
// define are looked up in the other schema files of its directory (a
// schema split in files, as gqlgen's graph/*.graphqls).
//
// Operations are recorded under a provisional service for specmatch.
package graphql

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/specmatch"
	"github.com/riskgraph/riskgraph/graph"
)

// AgentName is the agent's name in evidence.
const AgentName = "graphql"

// MaxSize is the largest schema read.
const MaxSize = 8 << 20

// Agent reads GraphQL SDL files.
type Agent struct{}

func (Agent) Name() string { return AgentName }

// Detect accepts .graphql / .graphqls / .gql files that define a root
// operation type.
func (Agent) Detect(f *discovery.File) bool {
	switch strings.ToLower(filepath.Ext(f.Path)) {
	case ".graphql", ".graphqls", ".gql":
	default:
		return false
	}
	return bytes.Contains(f.Data, []byte("type Query")) || bytes.Contains(f.Data, []byte("type Mutation")) ||
		bytes.Contains(f.Data, []byte("schema")) || bytes.Contains(f.Data, []byte("extend type"))
}

// Read parses f and records its operations.
func (Agent) Read(ctx context.Context, f *discovery.File, c *discovery.Collector) error {
	sp, err := Parse(f)
	if err != nil {
		return err
	}
	if sp != nil {
		sp.Add(c)
	}
	return nil
}

var identityDirectives = map[string]bool{"aws_cognito_user_pools": true, "aws_iam": true, "aws_oidc": true,
	"aws_lambda": true, "auth": true, "authenticated": true, "requiresauth": true, "isauthenticated": true,
	"hasrole": true, "requiresscopes": true}

// Parse reads one schema file (nil when it defines no operations).
func Parse(f *discovery.File) (*specmatch.Spec, error) {
	if len(f.Data) > MaxSize {
		return nil, discovery.Errorf(f.Path, 0, "file is %d bytes, more than the %d this agent reads", len(f.Data), MaxSize)
	}
	if bytes.IndexByte(f.Data, 0) >= 0 {
		return nil, discovery.Errorf(f.Path, 0, "binary data, expected a GraphQL schema")
	}
	doc, err := parser.ParseSchema(&ast.Source{Name: f.Path, Input: string(f.Data)})
	if err != nil {
		line := 0
		var ge *gqlerror.Error
		if e, ok := err.(*gqlerror.Error); ok {
			ge = e
		}
		if ge != nil && len(ge.Locations) > 0 {
			line = ge.Locations[0].Line
		}
		msg := err.Error()
		if ge != nil {
			msg = ge.Message
		}
		return nil, &discovery.FileError{File: f.Path, Line: line, Msg: "invalid GraphQL schema: " + msg, Err: err}
	}
	types := map[string][]*ast.Definition{}
	for _, d := range append(slices.Clone(doc.Definitions), doc.Extensions...) {
		types[d.Name] = append(types[d.Name], d)
	}
	siblingTypes(types, f.Abs)
	roots := map[string]string{"Query": "QUERY", "Mutation": "MUTATION", "Subscription": "SUBSCRIPTION"}
	for _, s := range append(slices.Clone(doc.Schema), doc.SchemaExtension...) {
		for _, op := range s.OperationTypes {
			roots[op.Type] = strings.ToUpper(string(op.Operation))
		}
	}
	sp := &specmatch.Spec{Agent: AgentName, Kind: "graphql", File: f.Path}
	var rootNames []string
	for name := range roots {
		rootNames = append(rootNames, name)
	}
	slices.Sort(rootNames)
	for _, root := range rootNames {
		for _, def := range types[root] {
			for _, fd := range def.Fields {
				method := roots[root]
				props := graph.Props{"method": method, "path": root + "." + fd.Name, "operationId": fd.Name, "protocol": "graphql"}
				if fd.Description != "" {
					props["summary"] = firstLine(fd.Description)
				}
				w := &walker{types: types}
				var req []string
				for _, a := range fd.Arguments {
					req = append(req, a.Name)
					w.fields(&req, a.Name, a.Type, 0, nil)
				}
				var resp []string
				w.fields(&resp, "", fd.Type, 0, nil)
				if len(req) > 0 {
					props["requestFields"] = req
				}
				if len(resp) > 0 {
					props["responseFields"] = resp
				}
				how := directives(fd.Directives)
				if len(how) == 0 {
					how = directives(typeDirectives(types, fd.Type))
				}
				authed := false
				for _, h := range how {
					if identityDirectives[strings.ToLower(h)] {
						authed = true
					}
				}
				props["authenticated"] = authed
				detail := strings.ToLower(method) + " " + fd.Name
				if len(how) > 0 {
					props["authSchemes"] = how
				} else {
					detail += " (no authorization directive: the server's default applies)"
				}
				sp.Ops = append(sp.Ops, graph.Node{Kind: graph.API, Name: method + " " + root + "." + fd.Name, Props: props,
					Sources: []graph.Source{{Agent: AgentName, File: f.Path, Line: fd.Position.Line, Detail: detail}}})
				if sp.Line == 0 {
					sp.Line = def.Position.Line
				}
			}
		}
	}
	if len(sp.Ops) == 0 {
		return nil, nil
	}
	return sp, nil
}

// maxSiblings and maxSiblingBytes bound the other schema files read for
// their types.
const (
	maxSiblings     = 64
	maxSiblingBytes = 8 << 20
)

// siblingTypes adds to types the object, input, interface and union
// definitions of the other schema files in abs's directory: a schema split
// in files (gqlgen's schema.graphqls, user.graphqls, …) defines the types
// of one file's operations in another. Their operations are theirs, read
// when those files are; files that do not parse are skipped.
func siblingTypes(types map[string][]*ast.Definition, abs string) {
	if abs == "" {
		return
	}
	dir := filepath.Dir(abs)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	n, total := 0, 0
	for _, e := range entries {
		if n >= maxSiblings || total >= maxSiblingBytes {
			return
		}
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".graphql", ".graphqls", ".gql":
		default:
			continue
		}
		p := filepath.Join(dir, e.Name())
		if p == abs || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil || info.Size() > MaxSize {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		n++
		total += len(data)
		doc, err := parser.ParseSchema(&ast.Source{Name: p, Input: string(data)})
		if err != nil {
			continue
		}
		for _, d := range append(slices.Clone(doc.Definitions), doc.Extensions...) {
			switch d.Kind {
			case ast.Object, ast.InputObject, ast.Interface, ast.Union:
				types[d.Name] = append(types[d.Name], d)
			}
		}
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// directives returns the names of the directives in ds that are about
// authorization (@auth, @aws_api_key, @hasRole, @requiresScopes,
// @isPublic, …), leaving out the rest (@key, @shareable, @deprecated,
// @goField) which say nothing about who may call.
func directives(ds ast.DirectiveList) []string {
	var out []string
	for _, d := range ds {
		if authDirective(d.Name) && !slices.Contains(out, d.Name) {
			out = append(out, d.Name)
		}
	}
	return out
}

var authWords = []string{"auth", "role", "scope", "permission", "polic", "access", "guard", "public",
	"private", "owner", "allow", "login", "apikey", "api_key", "identity", "secure", "protected", "anonymous"}

func authDirective(name string) bool {
	l := strings.ToLower(name)
	if identityDirectives[l] || strings.HasPrefix(l, "aws_") {
		return true
	}
	for _, w := range authWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

func typeDirectives(types map[string][]*ast.Definition, t *ast.Type) ast.DirectiveList {
	for t != nil && t.Elem != nil {
		t = t.Elem
	}
	if t == nil {
		return nil
	}
	var out ast.DirectiveList
	for _, d := range types[t.NamedType] {
		out = append(out, d.Directives...)
	}
	return out
}

const maxDepth = 5

type walker struct {
	types map[string][]*ast.Definition
	steps int
}

// fields appends the fields of t's named type under prefix (objects and
// input objects; scalars and enums add nothing), cutting recursion.
func (w *walker) fields(dst *[]string, prefix string, t *ast.Type, depth int, stack []string) {
	for t != nil && t.Elem != nil {
		t = t.Elem
	}
	if t == nil || depth > maxDepth || w.steps > 2000 || slices.Contains(stack, t.NamedType) {
		return
	}
	w.steps++
	stack = append(stack, t.NamedType)
	for _, def := range w.types[t.NamedType] {
		if def.Kind == ast.Union {
			// A union's fields are its members' (like oneOf).
			for _, member := range def.Types {
				w.fields(dst, prefix, &ast.Type{NamedType: member}, depth+1, stack)
			}
			continue
		}
		if def.Kind != ast.Object && def.Kind != ast.InputObject && def.Kind != ast.Interface {
			continue
		}
		for _, fd := range def.Fields {
			name := fd.Name
			if prefix != "" {
				name = prefix + "." + fd.Name
			}
			if !slices.Contains(*dst, name) {
				*dst = append(*dst, name)
			}
			w.fields(dst, name, fd.Type, depth+1, stack)
		}
	}
}
