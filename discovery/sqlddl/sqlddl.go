// Package sqlddl reads SQL DDL files (CREATE TABLE, ALTER TABLE … ADD
// COLUMN, COMMENT ON COLUMN) and adds their tables and columns to the data
// store they describe.
//
// The agent records each file under a provisional data store; the Linker
// (discovery.PhaseMatch) decides which discovered data store the file
// belongs to. Rule, first match wins:
//  1. an explicit comment in the file: "-- riskgraph:datastore NAME" (or
//     "-- datastore: NAME");
//  2. the file name without extension is a data store's name
//     (sql/staging/shop-db.sql → shop-db); a generic stem (schema, init)
//     or a migration step's (V1__init.sql, 000002_add_users.up.sql,
//     20230101120000_create.sql) never is;
//  3. a database the file creates, uses or connects to (CREATE DATABASE x,
//     USE x, \c x) is a data store's name or its database property;
//  4. a directory on the file's path is a data store's name, or a service's
//     name whose only SQL data store is then taken (services/orders/db/
//     schema.sql → the store orders reads and writes).
//
// When the path names an environment (a directory called like an
// environment of the candidates, or prod/production/staging/stage/dev/
// development/qa/test/uat), only stores of that environment match. When
// nothing matches, a data store is created (in that environment, else the
// collector's) named after the file, or, when its name is generic or a
// migration step, after the database it creates or the nearest directory
// that is not generic (src/main/resources/db/migration and the like are
// skipped, so a module's migrations all land in one store named after the
// module), and its evidence says so.
//
// Statements end at semicolons, and at SQL Server's GO lines (T-SQL
// scripts often have no semicolons at all).
//
// Column annotations: COMMENT ON COLUMN t.c IS '…' and a trailing
// "-- classification: PII" on the column's line are explicit
// classifications (fieldHints "annotation:CLASS").
package sqlddl

import (
	"bytes"
	"context"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/classify"
	"github.com/riskgraph/riskgraph/graph"
)

// AgentName is the agent's name in evidence.
const AgentName = "sql"

// MaxSize is the largest DDL file read.
const MaxSize = 16 << 20

// ProvisionalEnv marks provisional data stores.
const ProvisionalEnv = "~sql"

// Agent reads SQL DDL.
type Agent struct{}

func (Agent) Name() string { return AgentName }

var createRe = regexp.MustCompile(`(?i)\bcreate\s+(?:(?:global\s+|local\s+)?(?:temporary|temp|unlogged)\s+)?table\b`)

// Detect accepts .sql / .ddl files, and other text files that begin like
// SQL and create a table.
func (Agent) Detect(f *discovery.File) bool {
	ext := strings.ToLower(filepath.Ext(f.Path))
	if ext == ".sql" || ext == ".ddl" || ext == ".psql" || ext == ".mysql" {
		return true
	}
	if ext != "" && ext != ".txt" && ext != ".schema" {
		return false
	}
	head := bytes.TrimSpace(f.Data)
	if len(head) > 4096 {
		head = head[:4096]
	}
	up := strings.ToUpper(string(head))
	return (strings.HasPrefix(up, "--") || strings.HasPrefix(up, "CREATE") || strings.HasPrefix(up, "/*")) && createRe.Match(head)
}

// Table is one table read from a file.
type Table struct {
	Name    string
	Line    int
	Columns []Column
}

// Column is one column.
type Column struct {
	Name       string
	Line       int
	Annotation string // explicit classification, if any
}

// File is what a DDL file says.
type File struct {
	Tables    []Table
	Explicit  string   // -- riskgraph:datastore NAME
	Databases []string // CREATE DATABASE / USE / \c
	Engine    string   // guessed from syntax
}

// Read parses f and records a provisional data store.
func (Agent) Read(ctx context.Context, f *discovery.File, c *discovery.Collector) error {
	df, err := Parse(f.Path, f.Data)
	if err != nil {
		return err
	}
	if len(df.Tables) == 0 {
		return nil
	}
	var tables, cols []string
	hints := graph.Props{}
	var srcs []graph.Source
	for _, t := range df.Tables {
		if !slices.Contains(tables, t.Name) {
			tables = append(tables, t.Name)
		}
		if len(srcs) < graph.MaxSources {
			srcs = append(srcs, graph.Source{Agent: AgentName, File: f.Path, Line: t.Line, Detail: "CREATE TABLE " + t.Name})
		}
		for _, col := range t.Columns {
			full := t.Name + "." + col.Name
			if !slices.Contains(cols, full) {
				cols = append(cols, full)
			}
			if col.Annotation != "" {
				hints[full] = []string{"annotation:" + col.Annotation}
			}
		}
	}
	props := graph.Props{"tables": tables, "columns": cols, "sqlFile": f.Path}
	if f.Abs != "" {
		props["sqlAbs"] = f.Abs
	}
	if len(hints) > 0 {
		props["fieldHints"] = hints
	}
	if df.Explicit != "" {
		props["sqlDatastore"] = df.Explicit
	}
	if len(df.Databases) > 0 {
		props["sqlDatabases"] = df.Databases
	}
	if df.Engine != "" {
		props["engine"] = df.Engine
	}
	c.AddNode(AgentName, graph.Node{ID: graph.DataStoreID(ProvisionalEnv, f.Path), Kind: graph.DataStore,
		Name: fileStem(f.Path), Env: ProvisionalEnv, Props: props, Sources: srcs})
	return nil
}

var (
	explicitRe = regexp.MustCompile(`(?im)^\s*--\s*(?:riskgraph:\s*datastore[\s=:]+|datastore\s*:\s*)([A-Za-z0-9_.\-]+)`)
	dbRe       = regexp.MustCompile(`(?im)^\s*(?:create\s+database\s+(?:if\s+not\s+exists\s+)?|use\s+|\\c(?:onnect)?\s+)["` + "`" + `\[]?([A-Za-z0-9_\-]+)`)
	tableRe    = regexp.MustCompile(`(?is)^create\s+(?:(?:global\s+|local\s+)?(?:temporary|temp|unlogged)\s+)?table\s+(?:if\s+not\s+exists\s+)?([^\s(]+)\s*\(`)
	alterRe    = regexp.MustCompile(`(?is)^alter\s+table\s+(?:only\s+)?(?:if\s+exists\s+)?([^\s]+)\s+(.*)$`)
	addColRe   = regexp.MustCompile(`(?is)^add\s+(?:column\s+)?(?:if\s+not\s+exists\s+)?([^\s,]+)\s+\S`)
	commentRe  = regexp.MustCompile(`(?is)^comment\s+on\s+column\s+([^\s]+)\s+is\s+'((?:[^']|'')*)'`)
	annotRe    = regexp.MustCompile(`(?i)(?:classification|data[-_ ]?class(?:es)?|sensitivity)\s*[:=]\s*([A-Za-z ,/|]+)`)
)

var constraintWords = map[string]bool{"constraint": true, "primary": true, "foreign": true, "unique": true,
	"check": true, "index": true, "key": true, "exclude": true, "fulltext": true, "spatial": true, "like": true, "period": true}

// statement is one SQL statement with the line it starts on.
type statement struct {
	text string
	line int
	// lineAt maps an offset in text to its line.
	offLines []int
	comments map[int]string // line → trailing -- comment on it
}

// Parse reads the DDL in data. A file whose statements cannot be split
// (an unterminated string or comment) is a *discovery.FileError.
func Parse(file string, data []byte) (*File, error) {
	if len(data) > MaxSize {
		return nil, discovery.Errorf(file, 0, "file is %d bytes, more than the %d this agent reads", len(data), MaxSize)
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, discovery.Errorf(file, 0, "binary data, expected SQL text")
	}
	out := &File{}
	if m := explicitRe.FindSubmatch(data); m != nil {
		out.Explicit = string(m[1])
	}
	for _, m := range dbRe.FindAllSubmatch(data, -1) {
		if d := string(m[1]); !slices.Contains(out.Databases, d) {
			out.Databases = append(out.Databases, d)
		}
	}
	up := bytes.ToUpper(data)
	switch {
	case bytes.Contains(up, []byte("AUTO_INCREMENT")) || bytes.Contains(data, []byte("`")) || bytes.Contains(up, []byte("ENGINE=")):
		out.Engine = "mysql"
	case bytes.Contains(up, []byte("TIMESTAMPTZ")) || bytes.Contains(up, []byte("SERIAL")) || bytes.Contains(up, []byte("JSONB")) || bytes.Contains(up, []byte(" UUID")):
		out.Engine = "postgresql"
	case bytes.Contains(up, []byte("NVARCHAR")) || bytes.Contains(up, []byte("IDENTITY(")):
		out.Engine = "sqlserver"
	}
	stmts, err := split(file, data)
	if err != nil {
		return nil, err
	}
	tables := map[string]int{}
	table := func(name string, line int) *Table {
		if i, ok := tables[name]; ok {
			return &out.Tables[i]
		}
		tables[name] = len(out.Tables)
		out.Tables = append(out.Tables, Table{Name: name, Line: line})
		return &out.Tables[len(out.Tables)-1]
	}
	for _, st := range stmts {
		switch {
		case tableRe.MatchString(st.text):
			m := tableRe.FindStringSubmatchIndex(st.text)
			name := ident(st.text[m[2]:m[3]])
			t := table(name, st.line)
			body, end := parens(st.text[m[1]-1:])
			if end < 0 {
				return nil, discovery.Errorf(file, st.line, "CREATE TABLE %s: unbalanced parentheses, expected the column list to end with ')'", name)
			}
			off := m[1]
			for _, part := range splitTop(body) {
				def := strings.TrimSpace(part.s)
				line := st.lineOf(off + part.off)
				words := strings.Fields(def)
				if len(words) == 0 || constraintWords[strings.ToLower(words[0])] {
					continue
				}
				col := Column{Name: ident(words[0]), Line: line}
				if cm, ok := st.comments[line]; ok {
					if a := annotRe.FindStringSubmatch(cm); a != nil {
						col.Annotation = annotation(a[1])
					}
				}
				addColumn(t, col)
			}
		case alterRe.MatchString(st.text):
			m := alterRe.FindStringSubmatch(st.text)
			name := ident(m[1])
			for _, act := range splitTop(m[2]) {
				if am := addColRe.FindStringSubmatch(strings.TrimSpace(act.s)); am != nil {
					w := strings.ToLower(am[1])
					if constraintWords[w] {
						continue
					}
					addColumn(table(name, st.line), Column{Name: ident(am[1]), Line: st.line})
				}
			}
		case commentRe.MatchString(st.text):
			m := commentRe.FindStringSubmatch(st.text)
			parts := strings.Split(m[1], ".")
			if len(parts) < 2 {
				continue
			}
			tn, cn := ident(parts[len(parts)-2]), ident(parts[len(parts)-1])
			if i, ok := tables[tn]; ok {
				a := annotation(strings.ReplaceAll(m[2], "''", "'"))
				for j := range out.Tables[i].Columns {
					if out.Tables[i].Columns[j].Name == cn && a != "" {
						out.Tables[i].Columns[j].Annotation = a
					}
				}
			}
		}
	}
	return out, nil
}

func annotation(s string) string {
	var cs []string
	for _, t := range classify.Annotation("", s) {
		if !slices.Contains(cs, string(t.Class)) {
			cs = append(cs, string(t.Class))
		}
	}
	return strings.Join(cs, ",")
}

func addColumn(t *Table, c Column) {
	for _, x := range t.Columns {
		if x.Name == c.Name {
			return
		}
	}
	t.Columns = append(t.Columns, c)
}

// ident strips schema qualifiers and quoting from an identifier.
func ident(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "."); i >= 0 && !strings.HasSuffix(s, ".") {
		s = s[i+1:]
	}
	return strings.ToLower(strings.Trim(s, "\"`[]"))
}

func (st *statement) lineOf(off int) int {
	if off < 0 || off >= len(st.offLines) {
		return st.line
	}
	return st.offLines[off]
}

// goRe matches SQL Server's batch separator line (GO, GO 5).
var goRe = regexp.MustCompile(`(?i)^[ \t]*go(?:[ \t]+\d+)?[ \t]*\r?$`)

// split cuts data into statements at semicolons outside strings,
// identifiers and comments, and at SQL Server's GO lines, keeping trailing
// -- comments by line.
func split(file string, data []byte) ([]statement, error) {
	var out []statement
	var cur []byte
	var curLines []int
	comments := map[int]string{}
	line := 1
	emit := func() {
		t := bytes.TrimSpace(cur)
		if len(t) > 0 {
			lead := len(cur) - len(bytes.TrimLeft(cur, " \t\r\n"))
			out = append(out, statement{text: string(t), line: curLines[lead], offLines: slices.Clone(curLines[lead:]), comments: comments})
		}
		cur, curLines = cur[:0], curLines[:0]
	}
	for i := 0; i < len(data); i++ {
		ch := data[i]
		if i == 0 || data[i-1] == '\n' {
			// SQL Server's batch separator: a line that is only GO.
			end := bytes.IndexByte(data[i:], '\n')
			if end < 0 {
				end = len(data) - i
			}
			if goRe.Match(data[i : i+end]) {
				emit()
				if i+end < len(data) {
					line++
				}
				i += end
				continue
			}
		}
		switch {
		case ch == '-' && i+1 < len(data) && data[i+1] == '-':
			j := bytes.IndexByte(data[i:], '\n')
			if j < 0 {
				j = len(data) - i
			}
			comments[line] = string(data[i+2 : i+j])
			i += j - 1
			continue
		case ch == '/' && i+1 < len(data) && data[i+1] == '*':
			j := bytes.Index(data[i+2:], []byte("*/"))
			if j < 0 {
				return nil, discovery.Errorf(file, line, "unterminated /* comment */")
			}
			line += bytes.Count(data[i:i+2+j+2], []byte("\n"))
			i += 2 + j + 1
			cur = append(cur, ' ')
			curLines = append(curLines, line)
			continue
		case ch == '\'' || ch == '"' || ch == '`':
			j := i + 1
			for ; j < len(data); j++ {
				if data[j] == ch {
					if j+1 < len(data) && data[j+1] == ch {
						j++
						continue
					}
					break
				}
			}
			if j >= len(data) {
				return nil, discovery.Errorf(file, line, "unterminated %c quoted string", ch)
			}
			for k := i; k <= j; k++ {
				cur = append(cur, data[k])
				curLines = append(curLines, line)
				if data[k] == '\n' {
					line++
				}
			}
			i = j
			continue
		case ch == ';':
			emit()
			continue
		case ch == '\\' && len(bytes.TrimSpace(cur)) == 0:
			// A psql meta-command (\c db, \set …) ends at the line's end.
			j := bytes.IndexByte(data[i:], '\n')
			if j < 0 {
				j = len(data) - i
			}
			i += j - 1
			continue
		}
		cur = append(cur, ch)
		curLines = append(curLines, line)
		if ch == '\n' {
			line++
		}
	}
	emit()
	return out, nil
}

// parens returns the text inside the parenthesis s starts with and the
// index of the closing one (-1 if unbalanced).
func parens(s string) (string, int) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return s[1:i], i
			}
		case '\'', '"', '`':
			q := s[i]
			for i++; i < len(s) && s[i] != q; i++ {
			}
		}
	}
	return "", -1
}

type piece struct {
	s   string
	off int // offset of s in the text it was cut from (+1 for the '(')
}

// splitTop splits s at commas outside parentheses.
func splitTop(s string) []piece {
	var out []piece
	depth, last := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case '\'', '"', '`':
			q := s[i]
			for i++; i < len(s) && s[i] != q; i++ {
			}
		case ',':
			if depth == 0 {
				out = append(out, piece{s[last:i], last})
				last = i + 1
			}
		}
	}
	out = append(out, piece{s[last:], last})
	// Offsets point at the first non-space character of each piece.
	for i := range out {
		trimmed := strings.TrimLeft(out[i].s, " \t\r\n")
		out[i].off += len(out[i].s) - len(trimmed)
	}
	return out
}

func fileStem(p string) string {
	b := path.Base(filepath.ToSlash(p))
	if i := strings.Index(b, "."); i > 0 {
		b = b[:i]
	}
	return b
}
