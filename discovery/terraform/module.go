package terraform

import (
	"encoding/json"
	"fmt"
	"math/big"
	"path"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/customdecode"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/riskgraph/riskgraph/discovery"
)

// block is a resource or data block of the module.
type block struct {
	Type, Name string
	Addr       string // aws_s3_bucket.data, data.aws_iam_policy_document.policy
	File       string // path as reported
	Line       int
	Body       *hclsyntax.Body
	src        []byte // the file's bytes, for expression text
	vals       map[string]cty.Value
}

// module is every .tf file of one directory, parsed.
type module struct {
	rel       string
	resources map[string]*block
	byType    map[string][]*block
	data      map[string]*block
	vars      map[string]cty.Value
	locals    map[string]hcl.Expression
	localVals map[string]cty.Value
	ctx       *hcl.EvalContext
	prefix    string // "module.db." for a module called by another, "" for a root
	calls     []*moduleCall
	// varRefs are, for a called module, the resources of the calling
	// modules that each argument of the call refers to: var.subnet_id in
	// the module is the caller's aws_subnet.public.
	varRefs map[string][]*block
}

// moduleCall is a module block.
type moduleCall struct {
	Name string
	File string
	Line int
	Body *hclsyntax.Body
}

func newModule(rel string) *module {
	return &module{rel: rel, resources: map[string]*block{}, byType: map[string][]*block{}, data: map[string]*block{},
		vars: map[string]cty.Value{}, locals: map[string]hcl.Expression{}}
}

// parseFile parses one .tf file into m. A broken file is a FileError at
// the first error's line.
func (m *module) parseFile(name string, data []byte) error {
	if i := invalidUTF8(data); i >= 0 {
		return discovery.Errorf(name, lineAt(data, i), "not a Terraform file: invalid UTF-8 at byte %d (binary content?)", i)
	}
	f, diags := hclsyntax.ParseConfig(data, name, hcl.InitialPos)
	if diags.HasErrors() {
		return diagError(name, diags)
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return discovery.Errorf(name, 0, "not native HCL syntax")
	}
	if len(body.Attributes) > 0 {
		for _, a := range sortedAttrs(body.Attributes) {
			return discovery.Errorf(name, a.SrcRange.Start.Line, "unexpected top-level argument %q: a Terraform file holds blocks (resource, data, variable, locals, …)", a.Name)
		}
	}
	for _, b := range body.Blocks {
		switch b.Type {
		case "resource", "data":
			if len(b.Labels) != 2 {
				return discovery.Errorf(name, b.TypeRange.Start.Line, "%s block needs two labels (type and name), found %d", b.Type, len(b.Labels))
			}
			bl := &block{Type: b.Labels[0], Name: b.Labels[1], File: name, Line: b.TypeRange.Start.Line, Body: b.Body, src: data}
			if b.Type == "data" {
				key := "data." + bl.Type + "." + bl.Name
				bl.Addr = m.prefix + key
				m.data[key] = bl
				continue
			}
			key := bl.Type + "." + bl.Name
			bl.Addr = m.prefix + key
			if old, dup := m.resources[key]; dup {
				return discovery.Errorf(name, bl.Line, "duplicate resource %s (first declared at %s:%d)", bl.Addr, old.File, old.Line)
			}
			m.resources[key] = bl
			m.byType[bl.Type] = append(m.byType[bl.Type], bl)
		case "module":
			if len(b.Labels) != 1 {
				return discovery.Errorf(name, b.TypeRange.Start.Line, "module block needs one label, found %d", len(b.Labels))
			}
			m.calls = append(m.calls, &moduleCall{Name: b.Labels[0], File: name, Line: b.TypeRange.Start.Line, Body: b.Body})
		case "variable":
			if len(b.Labels) != 1 {
				return discovery.Errorf(name, b.TypeRange.Start.Line, "variable block needs one label, found %d", len(b.Labels))
			}
			v := cty.DynamicVal // no default: unknown until the user sets it
			if a, ok := b.Body.Attributes["default"]; ok {
				if val, d := a.Expr.Value(nil); !d.HasErrors() {
					v = val
				}
			}
			m.vars[b.Labels[0]] = v
		case "locals":
			for n, a := range b.Body.Attributes {
				m.locals[n] = a.Expr
			}
		}
	}
	return nil
}

// parseVars reads a .tfvars file: top-level arguments setting variables.
// Values that are not constants are ignored (tfvars allow only constants).
func (m *module) parseVars(name string, data []byte) error {
	if i := invalidUTF8(data); i >= 0 {
		return discovery.Errorf(name, lineAt(data, i), "not a variables file: invalid UTF-8 at byte %d (binary content?)", i)
	}
	f, diags := hclsyntax.ParseConfig(data, name, hcl.InitialPos)
	if diags.HasErrors() {
		return diagError(name, diags)
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return discovery.Errorf(name, 0, "not native HCL syntax")
	}
	if len(body.Blocks) > 0 {
		return discovery.Errorf(name, body.Blocks[0].TypeRange.Start.Line, "unexpected %s block: a variables file holds only name = value lines", body.Blocks[0].Type)
	}
	for _, a := range sortedAttrs(body.Attributes) {
		if v, ok := evalKnown(a.Expr, nil); ok {
			m.vars[a.Name] = v
		}
	}
	return nil
}

func diagError(name string, diags hcl.Diagnostics) error {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		line := 0
		if d.Subject != nil {
			line = d.Subject.Start.Line
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		return &discovery.FileError{File: name, Line: line, Msg: "malformed HCL: " + msg, Err: diags}
	}
	return discovery.Errorf(name, 0, "malformed HCL")
}

func invalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		if r == 0 {
			return i
		}
		i += n
	}
	return -1
}

func lineAt(data []byte, off int) int {
	return strings.Count(string(data[:off]), "\n") + 1
}

func sortedAttrs(as hclsyntax.Attributes) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(as))
	for _, a := range as {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SrcRange.Start.Byte < out[j].SrcRange.Start.Byte })
	return out
}

// functions are the Terraform functions evaluated statically; a call to
// any other function makes its expression unknown.
var functions = map[string]function.Function{
	"merge": stdlib.MergeFunc, "concat": stdlib.ConcatFunc, "lower": stdlib.LowerFunc,
	"upper": stdlib.UpperFunc, "format": stdlib.FormatFunc, "join": stdlib.JoinFunc,
	"split": stdlib.SplitFunc, "lookup": stdlib.LookupFunc, "jsonencode": stdlib.JSONEncodeFunc,
	"jsondecode": stdlib.JSONDecodeFunc, "replace": stdlib.ReplaceFunc, "trimspace": stdlib.TrimSpaceFunc,
	"coalesce": stdlib.CoalesceFunc, "element": stdlib.ElementFunc, "length": stdlib.LengthFunc,
	"distinct": stdlib.DistinctFunc, "flatten": stdlib.FlattenFunc, "tostring": stdlib.MakeToFunc(cty.String),
	"tonumber": stdlib.MakeToFunc(cty.Number), "tobool": stdlib.MakeToFunc(cty.Bool),
	"tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)), "toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
	"tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)), "contains": stdlib.ContainsFunc,
	"keys": stdlib.KeysFunc, "values": stdlib.ValuesFunc, "min": stdlib.MinFunc, "max": stdlib.MaxFunc,
	// try and can: modules default their inputs with try(var.x.name, "app").
	"try": tryFunc, "can": canFunc,
	"compact": stdlib.CompactFunc, "coalescelist": stdlib.CoalesceListFunc, "zipmap": stdlib.ZipmapFunc,
	"formatlist": stdlib.FormatListFunc, "trim": stdlib.TrimFunc, "trimprefix": stdlib.TrimPrefixFunc,
	"trimsuffix": stdlib.TrimSuffixFunc, "substr": stdlib.SubstrFunc, "title": stdlib.TitleFunc,
	"chomp": stdlib.ChompFunc, "sort": stdlib.SortFunc, "reverse": stdlib.ReverseListFunc,
	"slice": stdlib.SliceFunc, "range": stdlib.RangeFunc, "index": stdlib.IndexFunc,
	"chunklist": stdlib.ChunklistFunc, "setunion": stdlib.SetUnionFunc, "setintersection": stdlib.SetIntersectionFunc,
	"setsubtract": stdlib.SetSubtractFunc, "regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc,
	"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "floor": stdlib.FloorFunc, "parseint": stdlib.ParseIntFunc,
}

// tryFunc and canFunc are Terraform's try and can, except that an argument
// failing because it reads a resource, data source or module is unknown,
// not a failure: only literal arguments of resources are known here, so
// try(aws_iam_role.this[0].arn, "") must not pick "".
var (
	tryFunc = function.New(&function.Spec{
		VarParam: &function.Parameter{Name: "expressions", Type: customdecode.ExpressionClosureType},
		Type: func(args []cty.Value) (cty.Type, error) {
			v, err := staticTry(args)
			if err != nil {
				return cty.NilType, err
			}
			return v.Type(), nil
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) { return staticTry(args) },
	})
	canFunc = function.New(&function.Spec{
		Params: []function.Parameter{{Name: "expression", Type: customdecode.ExpressionClosureType}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			c := customdecode.ExpressionClosureFromVal(args[0])
			v, d := c.Value()
			switch {
			case d.HasErrors() && readsInfrastructure(c.Expression):
				return cty.UnknownVal(cty.Bool), nil
			case d.HasErrors():
				return cty.False, nil
			case !v.IsWhollyKnown():
				return cty.UnknownVal(cty.Bool), nil
			}
			return cty.True, nil
		},
	})
)

func staticTry(args []cty.Value) (cty.Value, error) {
	for _, a := range args {
		c := customdecode.ExpressionClosureFromVal(a)
		v, d := c.Value()
		if d.HasErrors() {
			if readsInfrastructure(c.Expression) {
				return cty.DynamicVal, nil
			}
			continue
		}
		if !v.IsWhollyKnown() {
			return cty.DynamicVal, nil
		}
		return v, nil
	}
	return cty.NilVal, fmt.Errorf("no expression succeeded")
}

// readsInfrastructure reports whether an expression refers to a resource,
// data source or module output (anything but variables, locals and the
// iteration symbols).
func readsInfrastructure(e hcl.Expression) bool {
	for _, t := range e.Variables() {
		switch t.RootName() {
		case "var", "local", "each", "count", "path", "terraform", "self":
		default:
			return true
		}
	}
	return false
}

// evaluate builds the evaluation context: variables with their defaults,
// locals, and every resource's literal top-level arguments. Locals and
// resources refer to each other, so a few passes settle what can be known;
// everything else stays unknown.
func (m *module) evaluate() {
	m.localVals = map[string]cty.Value{}
	for n := range m.locals {
		m.localVals[n] = cty.DynamicVal
	}
	for _, r := range m.resources {
		r.vals = map[string]cty.Value{}
	}
	for pass := 0; pass < 4; pass++ {
		m.ctx = m.buildCtx()
		for n, e := range m.locals {
			if v, ok := evalKnown(e, m.ctx); ok {
				m.localVals[n] = v
			} else if v, d := e.Value(m.ctx); !d.HasErrors() {
				m.localVals[n] = v // partly known (an object with an unknown field)
			}
		}
		for _, r := range m.resources {
			for n, a := range r.Body.Attributes {
				if v, d := a.Expr.Value(m.ctx); !d.HasErrors() && v.IsWhollyKnown() {
					r.vals[n] = v
				}
			}
		}
	}
	m.ctx = m.buildCtx()
}

// dropUndeployed removes resources whose count is known to be 0 or whose
// for_each is known to be empty: Terraform creates no instance of them.
func (m *module) dropUndeployed() {
	for key, r := range m.resources {
		drop := false
		if a, ok := r.Body.Attributes["count"]; ok {
			if v, ok := evalKnown(a.Expr, m.ctx); ok && v.Type() == cty.Number && v.AsBigFloat().Sign() == 0 {
				drop = true
			}
		}
		if a, ok := r.Body.Attributes["for_each"]; ok {
			if v, ok := evalKnown(a.Expr, m.ctx); ok && v.CanIterateElements() && v.LengthInt() == 0 {
				drop = true
			}
		}
		if !drop {
			continue
		}
		delete(m.resources, key)
		m.byType[r.Type] = slices.DeleteFunc(m.byType[r.Type], func(x *block) bool { return x == r })
	}
}

func (m *module) buildCtx() *hcl.EvalContext {
	vars := map[string]cty.Value{
		"var":       objectOrEmpty(m.vars),
		"local":     objectOrEmpty(m.localVals),
		"path":      cty.DynamicVal,
		"terraform": cty.DynamicVal,
		"count":     cty.DynamicVal,
		"each":      cty.DynamicVal,
		"self":      cty.DynamicVal,
		"module":    cty.DynamicVal,
	}
	types := map[string]map[string]cty.Value{}
	for _, r := range m.resources {
		if types[r.Type] == nil {
			types[r.Type] = map[string]cty.Value{}
		}
		types[r.Type][r.Name] = objectOrEmpty(r.vals)
	}
	for t, rs := range types {
		vars[t] = cty.ObjectVal(rs)
	}
	// Data sources are read at plan time and unknown here, except policy
	// documents, whose JSON is rendered from their blocks.
	docs := map[string]cty.Value{}
	for _, d := range m.data {
		if d.Type != "aws_iam_policy_document" {
			continue
		}
		if js, ok := m.policyDocumentJSON(d); ok {
			docs[d.Name] = cty.ObjectVal(map[string]cty.Value{"json": cty.StringVal(js)})
		}
	}
	if len(docs) > 0 {
		vars["data"] = cty.ObjectVal(map[string]cty.Value{"aws_iam_policy_document": cty.ObjectVal(docs)})
	} else {
		vars["data"] = cty.DynamicVal
	}
	return &hcl.EvalContext{Variables: vars, Functions: functions}
}

func objectOrEmpty(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}

// evalKnown evaluates e and reports whether the result is wholly known.
func evalKnown(e hcl.Expression, ctx *hcl.EvalContext) (v cty.Value, ok bool) {
	defer func() {
		if recover() != nil {
			v, ok = cty.DynamicVal, false
		}
	}()
	v, d := e.Value(ctx)
	if d.HasErrors() || !v.IsWhollyKnown() || v.IsNull() {
		return cty.DynamicVal, false
	}
	return v, true
}

// evalMarked evaluates e with every unknown reference replaced by a marker
// naming it ("{{ref aws_s3_bucket.data.arn}}"), so that a policy
// interpolating ARNs still parses and its references can be matched.
func (m *module) evalMarked(e hcl.Expression) (cty.Value, bool) {
	vars := map[string]cty.Value{}
	for k, v := range m.ctx.Variables {
		vars[k] = v
	}
	trees := map[string]map[string]any{}
	for _, t := range e.Variables() {
		root := t.RootName()
		var names []string
		for _, step := range t[1:] {
			a, ok := step.(hcl.TraverseAttr)
			if !ok {
				break
			}
			names = append(names, a.Name)
		}
		if len(names) == 0 {
			continue
		}
		leaf := cty.Value(cty.DynamicVal)
		if v, d := t.TraverseAbs(m.ctx); !d.HasErrors() && v.IsWhollyKnown() && !v.IsNull() {
			leaf = v
		} else if refs := m.varRefs[names[0]]; root == "var" && len(names) == 1 && len(refs) == 1 {
			// An argument the caller set to one of its resources
			// (table_arn = aws_dynamodb_table.t.arn): "^" marks the
			// caller's address.
			leaf = cty.StringVal("{{ref ^" + refs[0].Addr + ".var}}")
		} else if len(names) == len(t)-1 {
			leaf = cty.StringVal("{{ref " + root + "." + strings.Join(names, ".") + "}}")
		}
		if trees[root] == nil {
			trees[root] = map[string]any{}
		}
		node := trees[root]
		for i, n := range names {
			if i == len(names)-1 {
				node[n] = leaf
				break
			}
			next, ok := node[n].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[n] = next
			}
			node = next
		}
	}
	for root, tree := range trees {
		vars[root] = treeValue(tree)
	}
	ctx := &hcl.EvalContext{Variables: vars, Functions: functions}
	return evalKnown(e, ctx)
}

func treeValue(t map[string]any) cty.Value {
	out := map[string]cty.Value{}
	for k, v := range t {
		switch x := v.(type) {
		case cty.Value:
			out[k] = x
		case map[string]any:
			out[k] = treeValue(x)
		}
	}
	return cty.ObjectVal(out)
}

// policyDocumentJSON renders a data "aws_iam_policy_document" block as a
// policy JSON document (statements with actions, resources, principals).
func (m *module) policyDocumentJSON(d *block) (string, bool) {
	var sts []map[string]any
	for _, sb := range d.Body.Blocks {
		if sb.Type != "statement" {
			continue
		}
		st := map[string]any{"Effect": "Allow"}
		if a, ok := sb.Body.Attributes["effect"]; ok {
			if v, ok := evalKnown(a.Expr, m.ctxOrNil()); ok && v.Type() == cty.String {
				st["Effect"] = v.AsString()
			}
		}
		for attr, key := range map[string]string{"actions": "Action", "not_actions": "NotAction", "resources": "Resource", "not_resources": "NotResource"} {
			if a, ok := sb.Body.Attributes[attr]; ok {
				if m.ctx == nil {
					st[key] = []any{"{{unknown}}"}
					continue
				}
				v, ok := m.evalMarked(a.Expr)
				if !ok {
					st[key] = []any{"{{unknown}}"}
					continue
				}
				st[key] = toGo(v)
			}
		}
		princ := map[string]any{}
		for _, pb := range sb.Body.Blocks {
			if pb.Type != "principals" {
				continue
			}
			typ, ids := "AWS", []any{"{{unknown}}"}
			if a, ok := pb.Body.Attributes["type"]; ok {
				if v, ok := evalKnown(a.Expr, m.ctxOrNil()); ok && v.Type() == cty.String {
					typ = v.AsString()
				}
			}
			if a, ok := pb.Body.Attributes["identifiers"]; ok {
				if v, ok := evalKnown(a.Expr, m.ctxOrNil()); ok {
					if l, ok := toGo(v).([]any); ok {
						ids = l
					}
				}
			}
			princ[typ] = ids
		}
		if len(princ) > 0 {
			st["Principal"] = princ
		}
		// Conditions narrow who a statement admits (aws:SourceVpce,
		// aws:SourceIp): a Principal * with one is not public.
		cond := map[string]any{}
		for _, cb := range sb.Body.Blocks {
			if cb.Type != "condition" {
				continue
			}
			test, _ := m.str(cb.Body, "test")
			variable, _ := m.str(cb.Body, "variable")
			if test == "" {
				test = "{{unknown}}"
			}
			if variable == "" {
				variable = "{{unknown}}"
			}
			values, _, _ := m.strs(cb.Body, "values")
			ops, _ := cond[test].(map[string]any)
			if ops == nil {
				ops = map[string]any{}
				cond[test] = ops
			}
			ops[variable] = values
		}
		if len(cond) > 0 {
			st["Condition"] = cond
		}
		sts = append(sts, st)
	}
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": sts})
	return string(b), err == nil
}

func (m *module) ctxOrNil() *hcl.EvalContext { return m.ctx }

// toGo converts a known cty value into JSON-shaped Go values.
func toGo(v cty.Value) any {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString()
	case t == cty.Bool:
		return v.True()
	case t == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return f
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		out := []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, toGo(e))
		}
		return out
	case t.IsMapType() || t.IsObjectType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = toGo(e)
		}
		return out
	}
	return nil
}

// Accessors on a resource's arguments and nested blocks.

func (m *module) attr(body *hclsyntax.Body, name string) (cty.Value, bool) {
	a, ok := body.Attributes[name]
	if !ok {
		return cty.NilVal, false
	}
	return evalKnown(a.Expr, m.ctx)
}

// str returns a string argument; ok is false when it is absent or unknown.
func (m *module) str(body *hclsyntax.Body, name string) (string, bool) {
	v, ok := m.attr(body, name)
	if !ok {
		return "", false
	}
	switch v.Type() {
	case cty.String:
		return v.AsString(), true
	case cty.Number:
		return v.AsBigFloat().Text('f', -1), true
	case cty.Bool:
		return fmt.Sprint(v.True()), true
	}
	return "", false
}

// boolean returns a bool argument (Terraform accepts "true" strings too);
// set is false when absent, known false when present but unknown.
func (m *module) boolean(body *hclsyntax.Body, name string) (val, set, known bool) {
	if _, ok := body.Attributes[name]; !ok {
		return false, false, true
	}
	v, ok := m.attr(body, name)
	if !ok {
		return false, true, false
	}
	switch v.Type() {
	case cty.Bool:
		return v.True(), true, true
	case cty.String:
		switch strings.ToLower(v.AsString()) {
		case "true":
			return true, true, true
		case "false":
			return false, true, true
		}
	}
	return false, true, false
}

func (m *module) integer(body *hclsyntax.Body, name string) (int64, bool) {
	v, ok := m.attr(body, name)
	if !ok {
		return 0, false
	}
	switch v.Type() {
	case cty.Number:
		i, acc := v.AsBigFloat().Int64()
		return i, acc == big.Exact
	case cty.String:
		var i int64
		_, err := fmt.Sscan(v.AsString(), &i)
		return i, err == nil
	}
	return 0, false
}

// strs returns a list-of-strings argument; known is false when any element
// is unknown (the known ones are still returned).
func (m *module) strs(body *hclsyntax.Body, name string) (out []string, present, known bool) {
	a, ok := body.Attributes[name]
	if !ok {
		return nil, false, true
	}
	if v, ok := evalKnown(a.Expr, m.ctx); ok {
		return flatStrings(toGo(v)), true, true
	}
	// Element by element, keeping what is known.
	known = true
	if tup, ok := a.Expr.(*hclsyntax.TupleConsExpr); ok {
		for _, e := range tup.Exprs {
			if v, ok := evalKnown(e, m.ctx); ok {
				out = append(out, flatStrings(toGo(v))...)
			} else {
				known = false
			}
		}
		return out, true, known
	}
	return nil, true, false
}

func flatStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, flatStrings(e)...)
		}
		return out
	case float64:
		return []string{fmt.Sprint(x)}
	}
	return nil
}

// refs returns the resources an argument refers to (aws_subnet.web.id,
// "${aws_security_group.sg.id}"), in order, without duplicates.
func (m *module) refs(body *hclsyntax.Body, name string) []*block {
	a, ok := body.Attributes[name]
	if !ok {
		return nil
	}
	return m.exprRefs(a.Expr)
}

func (m *module) exprRefs(e hcl.Expression) []*block {
	var out []*block
	seen := map[string]bool{}
	for _, t := range e.Variables() {
		if len(t) < 2 {
			continue
		}
		a, ok := t[1].(hcl.TraverseAttr)
		if !ok {
			continue
		}
		var b *block
		if t.RootName() == "var" {
			for _, vb := range m.varRefs[a.Name] {
				if !seen[vb.Addr] {
					seen[vb.Addr] = true
					out = append(out, vb)
				}
			}
			continue
		}
		if t.RootName() == "data" {
			if len(t) >= 3 {
				if n, ok := t[2].(hcl.TraverseAttr); ok {
					b = m.data["data."+a.Name+"."+n.Name]
				}
			}
		} else {
			b = m.resources[t.RootName()+"."+a.Name]
		}
		if b != nil && !seen[b.Addr] {
			seen[b.Addr] = true
			out = append(out, b)
		}
	}
	return out
}

// allRefs returns every resource referred to anywhere in body (arguments
// and nested blocks, recursively), with the argument path that does.
func (m *module) allRefs(body *hclsyntax.Body, prefix string, fn func(attr string, to *block)) {
	for _, a := range sortedAttrs(body.Attributes) {
		obj, isObj := a.Expr.(*hclsyntax.ObjectConsExpr)
		if !isObj {
			for _, b := range m.exprRefs(a.Expr) {
				fn(prefix+a.Name, b)
			}
		}
		// Map values name the key that holds the reference (env vars).
		if isObj {
			for _, it := range obj.Items {
				k, ok := evalKnown(it.KeyExpr, nil)
				if !ok || k.Type() != cty.String {
					continue
				}
				for _, b := range m.exprRefs(it.ValueExpr) {
					fn(prefix+a.Name+"."+k.AsString(), b)
				}
			}
		}
	}
	for _, sb := range body.Blocks {
		m.allRefs(sb.Body, prefix+sb.Type+".", fn)
	}
}

func blocks(body *hclsyntax.Body, typ string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, b := range body.Blocks {
		if b.Type == typ {
			out = append(out, b)
		}
	}
	return out
}

// exprText returns the source text of an argument (for values that cannot
// be resolved: the expression is evidence, the value is not guessed).
func (b *block) exprText(name string) string {
	a, ok := b.Body.Attributes[name]
	if !ok {
		return ""
	}
	r := a.Expr.Range()
	if r.End.Byte > len(b.src) || r.Start.Byte > r.End.Byte {
		return ""
	}
	return strings.TrimSpace(string(b.src[r.Start.Byte:r.End.Byte]))
}

func relJoin(rel, name string) string {
	if rel == "" || rel == "." {
		return name
	}
	return path.Join(rel, name)
}

// aliases are the resource types Terraform's AWS provider also accepts
// under an older name (aws_alb_listener is aws_lb_listener).
var aliases = map[string]string{
	"aws_lb":                         "aws_alb",
	"aws_lb_listener":                "aws_alb_listener",
	"aws_lb_listener_rule":           "aws_alb_listener_rule",
	"aws_lb_target_group":            "aws_alb_target_group",
	"aws_lb_target_group_attachment": "aws_alb_target_group_attachment",
}

// ofType returns the resources of a type and of its alias, if it has one.
func (m *module) ofType(typ string) []*block {
	if a, ok := aliases[typ]; ok && len(m.byType[a]) > 0 {
		return append(slices.Clone(m.byType[typ]), m.byType[a]...)
	}
	return m.byType[typ]
}
