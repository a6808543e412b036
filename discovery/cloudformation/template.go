package cloudformation

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/riskgraph/riskgraph/discovery"
)

// intrinsics maps the YAML short-form tags to their long form.
var intrinsics = map[string]string{
	"!Ref": "Ref", "!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub", "!Join": "Fn::Join", "!If": "Fn::If",
	"!Select": "Fn::Select", "!Split": "Fn::Split", "!ImportValue": "Fn::ImportValue",
	"!FindInMap": "Fn::FindInMap", "!Base64": "Fn::Base64", "!GetAZs": "Fn::GetAZs", "!Cidr": "Fn::Cidr",
	"!Equals": "Fn::Equals", "!And": "Fn::And", "!Or": "Fn::Or", "!Not": "Fn::Not",
	"!Condition": "Condition", "!Transform": "Fn::Transform", "!Length": "Fn::Length",
	"!ToJsonString": "Fn::ToJsonString", "!ForEach": "Fn::ForEach",
}

// resource is one entry of the template's Resources.
type resource struct {
	ID    string // logical id
	Type  string
	Props map[string]any
	Line  int
	Raw   map[string]any
}

// template is a parsed CloudFormation or SAM template.
type template struct {
	file    string
	params  map[string]map[string]any
	globals map[string]any // SAM Globals.Function
	// apiGlobals are SAM Globals.Api and Globals.HttpApi by the resource
	// type they apply to (explicit and implicit APIs alike).
	apiGlobals map[string]map[string]any
	outputs    map[string]any
	resources  map[string]*resource
	order      []string
	// unknownTags are the tags that are not CloudFormation intrinsics
	// (a typo, a preprocessor's !Rain::Embed): each value became unknown
	// and the rest of the template is still read.
	unknownTags []*discovery.FileError
}

// parse reads YAML or JSON (yaml.v3 reads both) into a template.
// Intrinsic short tags become their long form; a non-mapping Resources or
// a resource without Type is a FileError with the line. An unknown tag
// makes its value unknown and is listed in unknownTags.
func parse(file string, data []byte) (*template, error) {
	if !utf8.Valid(data) || strings.IndexByte(string(data), 0) >= 0 {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if (r == utf8.RuneError && n <= 1) || r == 0 {
				break
			}
			off += n
		}
		return nil, discovery.Errorf(file, strings.Count(string(data[:off]), "\n")+1, "not a template: invalid UTF-8 or NUL at byte %d (binary content?)", off)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &discovery.FileError{File: file, Line: yamlErrLine(err), Msg: "malformed YAML/JSON: " + err.Error(), Err: err}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, discovery.Errorf(file, 1, "expected a mapping with Resources at the top level")
	}
	root := doc.Content[0]
	t := &template{file: file, params: map[string]map[string]any{}, resources: map[string]*resource{}}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i].Value, root.Content[i+1]
		switch k {
		case "Parameters":
			pv, err := t.convert(v, 0)
			if err != nil {
				return nil, err
			}
			if pm, ok := pv.(map[string]any); ok {
				for n, p := range pm {
					if m, ok := p.(map[string]any); ok {
						t.params[n] = m
					}
				}
			}
		case "Globals":
			gv, err := t.convert(v, 0)
			if err != nil {
				return nil, err
			}
			if gm, ok := gv.(map[string]any); ok {
				t.globals, _ = gm["Function"].(map[string]any)
				t.apiGlobals = map[string]map[string]any{}
				t.apiGlobals["AWS::Serverless::Api"], _ = gm["Api"].(map[string]any)
				t.apiGlobals["AWS::Serverless::HttpApi"], _ = gm["HttpApi"].(map[string]any)
			}
		case "Outputs":
			ov, err := t.convert(v, 0)
			if err != nil {
				return nil, err
			}
			t.outputs, _ = ov.(map[string]any)
		case "Resources":
			if v.Kind != yaml.MappingNode {
				return nil, discovery.Errorf(file, v.Line, "Resources must be a mapping of logical ids to resources, found %s", kindName(v))
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				id, rn := v.Content[j].Value, v.Content[j+1]
				rv, err := t.convert(rn, 0)
				if err != nil {
					return nil, err
				}
				rm, ok := rv.(map[string]any)
				if !ok {
					return nil, discovery.Errorf(file, rn.Line, "resource %s must be a mapping with Type and Properties, found %s", id, kindName(rn))
				}
				typ, ok := rm["Type"].(string)
				if !ok || typ == "" {
					return nil, discovery.Errorf(file, rn.Line, "resource %s has no Type", id)
				}
				props, _ := rm["Properties"].(map[string]any)
				if props == nil {
					props = map[string]any{}
				}
				t.resources[id] = &resource{ID: id, Type: typ, Props: props, Line: v.Content[j].Line, Raw: rm}
				t.order = append(t.order, id)
			}
		}
	}
	if len(t.resources) == 0 {
		return nil, discovery.Errorf(file, root.Line, "no Resources in the template")
	}
	sort.Strings(t.order)
	return t, nil
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func yamlErrLine(err error) int {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a scalar"
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

// convert turns a YAML node into maps, slices and scalars, expanding
// intrinsic tags.
func (t *template) convert(n *yaml.Node, depth int) (any, error) {
	file := t.file
	if depth > 200 {
		return nil, discovery.Errorf(file, n.Line, "nesting deeper than 200 levels")
	}
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return t.convert(n.Content[0], depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, nil
		}
		return t.convert(n.Alias, depth+1)
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str", "":
			v = n.Value
		case "!!int":
			i, err := strconv.ParseInt(n.Value, 0, 64)
			if err != nil {
				v = n.Value
			} else {
				v = i
			}
		case "!!float":
			f, err := strconv.ParseFloat(n.Value, 64)
			if err != nil {
				v = n.Value
			} else {
				v = f
			}
		case "!!bool":
			v = strings.EqualFold(n.Value, "true")
		case "!!null":
			v = nil
		default:
			v = n.Value
		}
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			e, err := t.convert(c, depth+1)
			if err != nil {
				return nil, err
			}
			l = append(l, e)
		}
		v = l
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Kind != yaml.ScalarNode {
				return nil, discovery.Errorf(file, n.Content[i].Line, "mapping keys must be scalars")
			}
			e, err := t.convert(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = e
		}
		v = m
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		long, ok := intrinsics[n.Tag]
		if !ok {
			t.unknownTags = append(t.unknownTags, discovery.Errorf(file, n.Line,
				"unknown CloudFormation tag %s (expected one of !Ref, !GetAtt, !Sub, !Join, !If, !Select, …); its value is left unknown", n.Tag))
			return "{{unknown tag " + strings.ReplaceAll(strings.TrimPrefix(n.Tag, "!"), "::", ".") + "}}", nil
		}
		if long == "Fn::GetAtt" {
			if s, ok := v.(string); ok {
				id, attr, _ := strings.Cut(s, ".")
				v = []any{id, attr}
			}
		}
		return map[string]any{long: v}, nil
	}
	return v, nil
}

// Resolution. Values are resolved to plain data; what only CloudFormation
// knows at deploy time becomes a marker: "{{ref X}}" / "{{ref X.Attr}}" for
// resources of this template (so policies and environment variables can
// still be matched to them), "{{unknown …}}" for everything else.

func (t *template) resolve(v any) any { return t.resolveDepth(v, 0) }

func (t *template) resolveDepth(v any, depth int) any {
	if depth > 64 {
		return "{{unknown}}"
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, a := range x {
				if r, ok := t.intrinsic(k, a, depth); ok {
					return r
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = t.resolveDepth(e, depth+1)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = t.resolveDepth(e, depth+1)
		}
		return out
	case string:
		if strings.Contains(x, "{{resolve:") {
			return dynamicRef.ReplaceAllString(x, "{{ssm $1}}")
		}
	}
	return v
}

// dynamicRef is a CloudFormation dynamic reference to an SSM parameter
// (secure strings and Secrets Manager are left alone: values never leave).
var dynamicRef = regexp.MustCompile(`\{\{resolve:ssm:([^:}]+)(?::\d+)?\}\}`)

// crossRefs returns the "ssm:NAME" and "import:NAME" keys a resolved value
// refers to.
func crossRefs(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			for _, m := range crossRe.FindAllStringSubmatch(x, -1) {
				k := m[1] + ":" + m[2]
				if !slices.Contains(out, k) {
					out = append(out, k)
				}
			}
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(x[k])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

var crossRe = regexp.MustCompile(`\{\{(ssm|import) ([^}]+)\}\}`)

func (t *template) intrinsic(k string, a any, depth int) (any, bool) {
	switch k {
	case "Ref":
		name, _ := a.(string)
		return t.ref(name), true
	case "Fn::GetAtt":
		var parts []string
		switch y := a.(type) {
		case []any:
			for _, p := range y {
				parts = append(parts, fmt.Sprint(t.resolveDepth(p, depth+1)))
			}
		case string:
			parts = strings.SplitN(y, ".", 2)
		}
		if len(parts) >= 1 && t.resources[parts[0]] != nil {
			return "{{ref " + strings.Join(parts, ".") + "}}", true
		}
		return "{{unknown GetAtt " + strings.ReplaceAll(strings.Join(parts, "."), "::", ".") + "}}", true
	case "Fn::Sub":
		var s string
		vars := map[string]any{}
		switch y := a.(type) {
		case string:
			s = y
		case []any:
			if len(y) > 0 {
				s, _ = y[0].(string)
			}
			if len(y) > 1 {
				if m, ok := y[1].(map[string]any); ok {
					for n, e := range m {
						vars[n] = t.resolveDepth(e, depth+1)
					}
				}
			}
		}
		return subRe.ReplaceAllStringFunc(s, func(m string) string {
			if strings.HasPrefix(m, "${!") {
				return "${" + m[3:]
			}
			name := m[2 : len(m)-1]
			if v, ok := vars[name]; ok {
				return fmt.Sprint(v)
			}
			id, attr, hasAttr := strings.Cut(name, ".")
			if t.resources[id] != nil {
				if hasAttr {
					return "{{ref " + id + "." + attr + "}}"
				}
				return "{{ref " + id + "}}"
			}
			return fmt.Sprint(t.ref(name))
		}), true
	case "Fn::Join":
		y, ok := a.([]any)
		if !ok || len(y) != 2 {
			return "{{unknown Join}}", true
		}
		sep, _ := y[0].(string)
		var parts []string
		switch l := t.resolveDepth(y[1], depth+1).(type) {
		case []any:
			for _, p := range l {
				parts = append(parts, fmt.Sprint(p))
			}
		default:
			return "{{unknown Join}}", true
		}
		return strings.Join(parts, sep), true
	case "Fn::Transform":
		return map[string]any{"Fn::Transform": a}, true
	case "Fn::ImportValue":
		if name, ok := t.resolveDepth(a, depth+1).(string); ok && known(name) {
			return "{{import " + name + "}}", true
		}
		return "{{unknown Fn.ImportValue}}", true
	case "Fn::If", "Fn::Select", "Fn::Split", "Fn::FindInMap", "Fn::Base64",
		"Fn::GetAZs", "Fn::Cidr", "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition", "Fn::Length", "Fn::ToJsonString":
		// Not evaluated statically (conditions depend on deploy-time
		// parameters): unknown, with the function named.
		return "{{unknown " + strings.ReplaceAll(k, "::", ".") + "}}", true
	}
	return nil, false
}

var subRe = regexp.MustCompile(`\$\{!?[^}]*\}`)

// ref resolves a Ref: a parameter's default, a resource marker, or unknown.
func (t *template) ref(name string) any {
	if t.resources[name] != nil {
		return "{{ref " + name + "}}"
	}
	if p, ok := t.params[name]; ok {
		typ, _ := p["Type"].(string)
		d, hasDefault := p["Default"]
		if hasDefault && !strings.HasPrefix(typ, "AWS::SSM::Parameter") {
			return d
		}
		if ds, ok := d.(string); ok && hasDefault && typ == "AWS::SSM::Parameter::Value<String>" && ds != "" && !strings.Contains(ds, "{{") {
			// The value of an SSM parameter another stack may publish:
			// a marker the cross-stack linker can resolve.
			return "{{ssm " + ds + "}}"
		}
		return "{{unknown parameter " + strings.ReplaceAll(name, "::", ".") + "}}"
	}
	// "::" in pseudo parameters (AWS::Region) would split an ARN pattern
	// at the wrong place.
	return "{{unknown " + strings.ReplaceAll(name, "::", ".") + "}}"
}

// known reports whether a resolved value has no markers.
func known(v any) bool {
	switch x := v.(type) {
	case string:
		return !strings.Contains(x, "{{")
	case map[string]any:
		for _, e := range x {
			if !known(e) {
				return false
			}
		}
	case []any:
		for _, e := range x {
			if !known(e) {
				return false
			}
		}
	}
	return true
}

// refsIn returns the logical ids of this template's resources that a
// resolved value refers to.
func (t *template) refsIn(v any) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			for _, m := range markerRe.FindAllStringSubmatch(x, -1) {
				id, _, _ := strings.Cut(m[1], ".")
				if t.resources[id] != nil && !seen[id] {
					seen[id] = true
					out = append(out, id)
				}
			}
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(x[k])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

var markerRe = regexp.MustCompile(`\{\{ref ([^}]+)\}\}`)

// str returns a property as a known string.
func (t *template) str(props map[string]any, key string) (string, bool) {
	v, ok := props[key]
	if !ok {
		return "", false
	}
	r := t.resolve(v)
	switch x := r.(type) {
	case string:
		return x, known(x)
	case int64, float64, bool:
		return fmt.Sprint(x), true
	}
	return "", false
}

// boolean returns a property as a bool (CloudFormation accepts "true").
func (t *template) boolean(props map[string]any, key string) (val, set, isKnown bool) {
	v, ok := props[key]
	if !ok {
		return false, false, true
	}
	switch x := t.resolve(v).(type) {
	case bool:
		return x, true, true
	case string:
		switch strings.ToLower(x) {
		case "true":
			return true, true, true
		case "false":
			return false, true, true
		}
	}
	return false, true, false
}

func mapOf(v any) map[string]any { m, _ := v.(map[string]any); return m }

func listOf(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	}
	return []any{v}
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		return int64(x), true
	case string:
		i, err := strconv.ParseInt(x, 10, 64)
		return i, err == nil
	}
	return 0, false
}
