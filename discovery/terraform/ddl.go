package terraform

import (
	"regexp"
	"sort"
	"strings"
)

var createTable = regexp.MustCompile("(?i)CREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?[`\"\\[]?([A-Za-z_][A-Za-z0-9_.]*)[`\"\\]]?\\s*\\(")

// sqlConstraints start column-list entries that are not columns.
var sqlConstraints = map[string]bool{"PRIMARY": true, "KEY": true, "CONSTRAINT": true, "UNIQUE": true,
	"FOREIGN": true, "INDEX": true, "CHECK": true, "FULLTEXT": true, "SPATIAL": true}

// ddlColumns finds CREATE TABLE statements in text (user data that sets up
// the database it connects to) and returns the tables and "table.column"
// names, lower-cased, for the data classifier.
func ddlColumns(text string) (tables, columns []string) {
	for _, m := range createTable.FindAllStringSubmatchIndex(text, -1) {
		table := strings.ToLower(text[m[2]:m[3]])
		body, ok := balanced(text[m[1]:])
		if !ok {
			continue
		}
		tables = append(tables, table)
		for _, entry := range splitTop(body) {
			f := strings.Fields(entry)
			if len(f) == 0 {
				continue
			}
			col := strings.Trim(f[0], "`\"[]")
			if col == "" || sqlConstraints[strings.ToUpper(col)] {
				continue
			}
			columns = append(columns, table+"."+strings.ToLower(col))
		}
	}
	sort.Strings(tables)
	sort.Strings(columns)
	return dedupe(tables), dedupe(columns)
}

// balanced returns s up to the parenthesis closing the one just before it.
func balanced(s string) (string, bool) {
	depth := 1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return s[:i], true
			}
		}
	}
	return "", false
}

// splitTop splits on commas outside parentheses (int(11), DECIMAL(10,2)).
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
