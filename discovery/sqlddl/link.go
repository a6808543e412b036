package sqlddl

import (
	"context"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

// Linker attaches provisional DDL data stores to discovered ones
// (discovery.PhaseMatch); see the package comment for the rule.
type Linker struct{}

func (Linker) Name() string { return "sql-match" }
func (Linker) Phase() int   { return discovery.PhaseMatch }

var envWords = map[string]bool{"prod": true, "production": true, "staging": true, "stage": true, "dev": true,
	"development": true, "qa": true, "test": true, "uat": true, "preprod": true, "sandbox": true}

// generic file stems and directories say nothing about the store.
var generic = map[string]bool{"schema": true, "init": true, "ddl": true, "sql": true, "db": true,
	"database": true, "migrations": true, "migration": true, "dump": true, "create": true, "tables": true,
	"setup": true, "seed": true, "data": true, "scripts": true, "structure": true, "up": true, "down": true,
	// source-tree and migration-tool directories (src/main/resources/db/migration, doc/, flyway/)
	"src": true, "main": true, "resources": true, "doc": true, "docs": true, "flyway": true,
	"liquibase": true, "changelog": true, "changelogs": true, "changes": true, "schemas": true,
	"versions": true, "sqls": true, "ddls": true, "initdb": true, "dockerentrypointinitdbd": true}

// migrationRe matches the stems of migration steps, which name a change,
// not a store: golang-migrate and dbmate (000002_add_users.up.sql,
// 20230101120000_create.sql), Flyway (V1__init.sql, V2_1__x.sql,
// R__views.sql, U3__undo.sql) and numbered scripts (001-init.sql).
var migrationRe = regexp.MustCompile(`^(?i:[vur]\d*(?:[._]\d+)*__.*|\d+[_\-.].*|\d+)$`)

// stepName reports whether a file stem names nothing a store could be
// called: a generic word, an environment or a migration step.
func stepName(stem string) bool {
	return generic[norm(stem)] || envWords[strings.ToLower(stem)] || migrationRe.MatchString(stem)
}

func (Linker) Link(ctx context.Context, c *discovery.Collector) error {
	var real, prov []*graph.Node
	for _, n := range c.Nodes(graph.DataStore) {
		if n.Env == ProvisionalEnv {
			prov = append(prov, n)
		} else {
			real = append(real, n)
		}
	}
	for _, p := range prov {
		if err := ctx.Err(); err != nil {
			return err
		}
		targets, why, name := match(c, p, real)
		created := false
		if len(targets) == 0 {
			env := envOfPath(p.Props.String("sqlFile"), nil)
			if env == "" {
				env = c.Env()
			}
			if env == "" {
				env = "default"
			}
			id := graph.DataStoreID(env, name)
			n := graph.Node{ID: id, Kind: graph.DataStore, Name: name, Env: env}
			if eng := p.Props.String("engine"); eng != "" {
				n.Props = graph.Props{"engine": eng}
			}
			c.AddNode(AgentName, n)
			t, _ := c.Node(id)
			targets, created = []*graph.Node{t}, true
		}
		for _, t := range targets {
			attach(c, p, t, why, created)
		}
		c.RemoveNode(p.ID)
	}
	return nil
}

func attach(c *discovery.Collector, p, t *graph.Node, why string, created bool) {
	props := graph.Props{
		"tables":  unionStrings(t.Props.Strings("tables"), p.Props.Strings("tables")),
		"columns": unionStrings(t.Props.Strings("columns"), p.Props.Strings("columns")),
	}
	if h, ok := p.Props["fieldHints"].(graph.Props); ok {
		merged := graph.Props{}
		if old, ok := t.Props["fieldHints"].(graph.Props); ok {
			for k, v := range old {
				merged[k] = v
			}
		}
		for k, v := range h {
			merged[k] = v
		}
		props["fieldHints"] = merged
	}
	srcs := slices.Clone(p.Sources)
	suffix := "; matched by " + why
	if created {
		suffix = "; no discovered data store matched, created from the DDL"
	}
	if len(srcs) > 0 {
		srcs[0].Detail += suffix
	}
	c.AddNode(AgentName, graph.Node{ID: t.ID, Kind: graph.DataStore, Name: t.Name, Env: t.Env, Props: props, Sources: srcs})
}

func unionStrings(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func norm(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// envOfPath returns the environment a path names: a directory equal to
// one of envs, else an environment word.
func envOfPath(file string, envs []string) string {
	dirs := strings.Split(path.Dir(file), "/")
	for i := len(dirs) - 1; i >= 0; i-- {
		d := strings.ToLower(dirs[i])
		if slices.Contains(envs, d) || envWords[d] {
			return d
		}
	}
	return ""
}

// match returns the stores p belongs to, why, and the name a created
// store would get.
func match(c *discovery.Collector, p *graph.Node, real []*graph.Node) ([]*graph.Node, string, string) {
	file := p.Props.String("sqlFile")
	var envs []string
	for _, r := range real {
		if !slices.Contains(envs, strings.ToLower(r.Env)) {
			envs = append(envs, strings.ToLower(r.Env))
		}
	}
	env := envOfPath(file, envs)
	inEnv := func(ns []*graph.Node) []*graph.Node {
		if env == "" {
			return ns
		}
		var out []*graph.Node
		for _, n := range ns {
			if strings.EqualFold(n.Env, env) {
				out = append(out, n)
			}
		}
		return out
	}
	byName := func(name string) []*graph.Node {
		var out []*graph.Node
		k := norm(name)
		if k == "" {
			return nil
		}
		for _, r := range real {
			if norm(r.Name) == k || norm(r.Props.String("database")) == k {
				out = append(out, r)
			}
		}
		return inEnv(out)
	}
	if x := p.Props.String("sqlDatastore"); x != "" {
		return byName(x), "comment riskgraph:datastore " + x, x
	}
	stem := fileStem(file)
	if !stepName(stem) {
		if t := byName(stem); len(t) > 0 {
			return t, "file name " + path.Base(file), stem
		}
	}
	dbs := p.Props.Strings("sqlDatabases")
	for _, d := range dbs {
		if t := byName(d); len(t) > 0 {
			return t, "database " + d, d
		}
	}
	dirs := strings.Split(path.Dir(file), "/")
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		if generic[norm(d)] || envWords[strings.ToLower(d)] || d == "." {
			continue
		}
		if t := byName(d); len(t) > 0 {
			return t, "directory " + d, d
		}
		if t := storeOfService(c, d, env); t != nil {
			return []*graph.Node{t}, "directory " + d + " of service " + d, d
		}
	}
	name := stem
	if stepName(stem) {
		switch {
		case len(dbs) > 0:
			name = dbs[0]
		default:
			// The nearest meaningful directory; when the walked path has
			// none (discover run inside the module), the absolute one's.
			if d := meaningfulDir(dirs); d != "" {
				name = d
			} else if abs := p.Props.String("sqlAbs"); abs != "" {
				if d := meaningfulDir(strings.Split(filepath.ToSlash(filepath.Dir(abs)), "/")); d != "" {
					name = d
				}
			}
		}
	}
	return nil, "", strings.ToLower(name)
}

// meaningfulDir returns the deepest directory of dirs that is not generic
// or an environment ("" if none).
func meaningfulDir(dirs []string) string {
	for i := len(dirs) - 1; i >= 0; i-- {
		if d := dirs[i]; d != "." && d != "" && d != ".." && !generic[norm(d)] && !envWords[strings.ToLower(d)] {
			return d
		}
	}
	return ""
}

// storeOfService returns the single relational store the service named
// name reads or writes, if there is exactly one.
func storeOfService(c *discovery.Collector, name, env string) *graph.Node {
	var found *graph.Node
	for _, s := range c.Nodes(graph.Service) {
		if norm(s.Name) != norm(name) || (env != "" && !strings.EqualFold(s.Env, env)) {
			continue
		}
		for _, e := range c.Edges(graph.Reads, graph.Writes) {
			if e.From != s.ID {
				continue
			}
			st, ok := c.Node(e.To)
			if !ok || st.Kind != graph.DataStore || !relational(st.Props.String("engine")) {
				continue
			}
			if found != nil && found.ID != st.ID {
				return nil
			}
			found = st
		}
	}
	return found
}

func relational(engine string) bool {
	switch engine {
	case "postgresql", "mysql", "mariadb", "sqlserver", "oracle", "cockroachdb", "sqlite", "unknown", "":
		return true
	}
	return false
}
