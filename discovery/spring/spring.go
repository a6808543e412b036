// Package spring reads Spring Boot configuration (application.properties,
// application.yml, bootstrap.yml and their profile variants): where a
// service's databases, brokers and peers are named when no deployment file
// says — spring.data.mongodb.uri=mongodb://${db:carts-db}:27017/data is the
// only place Sock Shop's carts names its database.
//
// The agent records each file's properties as a fact; the linker attaches
// them to the service the deployment artifacts define (by
// spring.application.name, else the module directory) and resolves them the
// way Spring does: an environment variable the deployment sets beats the
// file's value, and ${name:default} falls back to its default. An
// in-memory database (jdbc:h2:mem:…, a test profile's usual choice) lives
// in the service's process and is not linked as a data store.
package spring

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/riskgraph/riskgraph/discovery"
)

// Name is the agent's name in evidence.
const Name = "spring"

// factPrefix prefixes Config facts.
const factPrefix = "spring/"

// Property is one configuration key with its raw value (placeholders
// unresolved) and the line that sets it.
type Property struct {
	Key   string
	Value string
	Line  int
	File  string // set when files are merged (see Linker)
}

// Config is one configuration file's properties.
type Config struct {
	File string
	// Service is spring.application.name when the file sets it, else the
	// module's directory name.
	Service string
	// Named is true when Service came from spring.application.name.
	Named bool
	Props []Property
}

// Agent reads Spring Boot configuration files.
type Agent struct{}

func (Agent) Name() string { return Name }

var fileName = regexp.MustCompile(`^(application|bootstrap)(-([A-Za-z0-9_.-]+))?\.(properties|ya?ml)$`)

// Detect takes Spring's conventional file names; their content has no
// marker of its own (any key=value file is valid properties).
func (Agent) Detect(f *discovery.File) bool {
	m := fileName.FindStringSubmatch(path.Base(f.Path))
	if m == nil {
		return false
	}
	// A YAML file of that name must be a mapping, not a Kubernetes object
	// that happens to be called application.yaml.
	if m[4] != "properties" && bytes.Contains(f.Data, []byte("apiVersion:")) && bytes.Contains(f.Data, []byte("kind:")) {
		return false
	}
	return true
}

// Read parses the file. A profile-specific file (application-prod.yml) is
// read only when its profile is the run's environment: another profile's
// settings are not what runs here.
func (Agent) Read(ctx context.Context, f *discovery.File, c *discovery.Collector) error {
	m := fileName.FindStringSubmatch(path.Base(f.Path))
	if m == nil {
		return discovery.Errorf(f.Path, 0, "not a Spring configuration file name")
	}
	if profile := m[3]; profile != "" && !strings.EqualFold(profile, c.Env()) {
		return nil
	}
	var props []Property
	var err error
	if m[4] == "properties" {
		props, err = parseProperties(f.Path, f.Data)
	} else {
		props, err = parseYAML(f.Path, f.Data, c.Env())
	}
	if err != nil {
		return err
	}
	cfg := Config{File: f.Path, Props: props}
	if name := lookup(props, "spring.application.name"); name != "" {
		if v, ok := resolve(name, props, nil); ok {
			cfg.Service, cfg.Named = v, true
		}
	}
	if cfg.Service == "" {
		cfg.Service = moduleName(f.Path)
	}
	if cfg.Service == "" {
		return nil
	}
	c.AddFact(Name, factPrefix+f.Path, cfg)
	return nil
}

// moduleName is the service a configuration file belongs to by location:
// carts/src/main/resources/application.properties → carts,
// orders/config/application.yml → orders.
func moduleName(p string) string {
	dir := path.Dir(path.Clean(strings.ReplaceAll(p, "\\", "/")))
	parts := strings.Split(dir, "/")
	for i := len(parts) - 1; i >= 0; i-- {
		switch parts[i] {
		case "resources", "main", "src", "config", ".", "":
			continue
		}
		return parts[i]
	}
	return ""
}

func lookup(props []Property, key string) string {
	for i := len(props) - 1; i >= 0; i-- { // the last setting wins
		if props[i].Key == key {
			return props[i].Value
		}
	}
	return ""
}

// parseProperties reads the java.util.Properties format: key=value,
// key: value or key value; # and ! comments; a trailing backslash
// continues a line; \uXXXX and the usual escapes.
func parseProperties(file string, data []byte) ([]Property, error) {
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, discovery.Errorf(file, 0, "binary content: want a .properties text file")
	}
	var out []Property
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	line, start := 0, 0
	var logical strings.Builder
	for sc.Scan() {
		line++
		text := sc.Text()
		if logical.Len() == 0 {
			text = strings.TrimLeftFunc(text, unicode.IsSpace)
			if text == "" || text[0] == '#' || text[0] == '!' {
				continue
			}
			start = line
		} else {
			text = strings.TrimLeftFunc(text, unicode.IsSpace)
		}
		if continued(text) {
			logical.WriteString(text[:len(text)-1])
			continue
		}
		logical.WriteString(text)
		key, val := splitProperty(logical.String())
		logical.Reset()
		if key != "" {
			out = append(out, Property{Key: unescape(key), Value: unescape(val), Line: start})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, discovery.Errorf(file, line+1, "%v", err)
	}
	return out, nil
}

// continued reports an odd number of trailing backslashes.
func continued(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

func splitProperty(s string) (key, val string) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '=', ':':
			return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
		case ' ', '\t', '\f':
			rest := strings.TrimLeft(s[i:], " \t\f")
			if rest != "" && (rest[0] == '=' || rest[0] == ':') {
				rest = rest[1:]
			}
			return s[:i], strings.TrimSpace(rest)
		}
	}
	return s, ""
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+4 < len(s) {
				if r, err := strconv.ParseUint(s[i+1:i+5], 16, 32); err == nil {
					b.WriteRune(rune(r))
					i += 4
					continue
				}
			}
			b.WriteByte('u')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// parseYAML flattens every document into dotted keys (lists as key[i]).
// A document activated for a profile (spring.config.activate.on-profile or
// the older spring.profiles) counts only when that profile is env.
func parseYAML(file string, data []byte, env string) ([]Property, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []Property
	for doc := 0; ; doc++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			return nil, discovery.Errorf(file, yamlLine(err), "YAML: %v", err)
		}
		if len(n.Content) == 0 {
			continue
		}
		root := n.Content[0]
		if root.Kind != yaml.MappingNode {
			if root.Kind == yaml.ScalarNode && root.Value == "" {
				continue
			}
			return nil, discovery.Errorf(file, root.Line, "document %d: want a mapping of properties, got a %s", doc+1, kindName(root.Kind))
		}
		var props []Property
		flatten("", root, &props)
		if p := lookup(props, "spring.config.activate.on-profile"); p != "" || lookup(props, "spring.profiles") != "" {
			if p == "" {
				p = lookup(props, "spring.profiles")
			}
			if !profileMatches(p, env) {
				continue
			}
		}
		out = append(out, props...)
	}
	return out, nil
}

func profileMatches(expr, env string) bool {
	for _, p := range strings.Split(expr, ",") {
		p = strings.TrimSpace(p)
		if neg, ok := strings.CutPrefix(p, "!"); ok {
			if !strings.EqualFold(neg, env) {
				return true
			}
			continue
		}
		if strings.EqualFold(p, env) {
			return true
		}
	}
	return false
}

func flatten(prefix string, n *yaml.Node, out *[]Property) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if prefix != "" {
				k = prefix + "." + k
			}
			flatten(k, n.Content[i+1], out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			flatten(fmt.Sprintf("%s[%d]", prefix, i), c, out)
		}
	case yaml.AliasNode:
		if n.Alias != nil {
			flatten(prefix, n.Alias, out)
		}
	case yaml.ScalarNode:
		*out = append(*out, Property{Key: prefix, Value: n.Value, Line: n.Line})
	}
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	}
	return "node"
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

func yamlLine(err error) int {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// resolve expands ${name} and ${name:default} the way Spring does: from
// the environment (exact name, then its relaxed upper-case form), then
// from the file's other properties, then the default. ok is false when a
// placeholder has no value anywhere.
func resolve(v string, props []Property, env map[string]string) (string, bool) {
	for depth := 0; depth < 8 && strings.Contains(v, "${"); depth++ {
		i := strings.Index(v, "${")
		j := matching(v, i+2)
		if j < 0 {
			return v, false
		}
		inner := v[i+2 : j]
		name, def, hasDef := strings.Cut(inner, ":")
		val, found := env[name]
		if !found {
			val, found = env[envName(name)]
		}
		if !found {
			if p := lookup(props, name); p != "" && !strings.Contains(p, "${"+name) {
				val, found = p, true
			}
		}
		if !found {
			if !hasDef {
				return v, false
			}
			val = def
		}
		v = v[:i] + val + v[j+1:]
	}
	return v, !strings.Contains(v, "${")
}

// matching returns the index of the } closing a placeholder opened before
// from (nested placeholders allowed), or -1.
func matching(s string, from int) int {
	depth := 1
	for k := from; k < len(s); k++ {
		switch {
		case strings.HasPrefix(s[k:], "${"):
			depth++
			k++
		case s[k] == '}':
			depth--
			if depth == 0 {
				return k
			}
		}
	}
	return -1
}

// envName is the environment variable Spring's relaxed binding maps to a
// property: spring.data.mongodb.uri → SPRING_DATA_MONGODB_URI,
// spring.zipkin.baseUrl → SPRING_ZIPKIN_BASE_URL, list[0] → LIST_0_.
func envName(key string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range key {
		switch {
		case r == '.' || r == '-' || r == '[' || r == ']':
			b.WriteByte('_')
			prevLower = false
		case unicode.IsUpper(r):
			if prevLower {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			prevLower = false
		default:
			b.WriteRune(unicode.ToUpper(r))
			prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
		}
	}
	return b.String()
}
