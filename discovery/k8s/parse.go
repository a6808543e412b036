package k8s

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/riskgraph/riskgraph/discovery"
)

// doc is one YAML document of a multi-document stream.
type doc struct {
	text []byte
	line int // 1-based line of its first line in the file
}

// splitDocs splits a YAML stream at "---" separator lines, keeping each
// document's first line so evidence can point at it.
func splitDocs(data []byte) []doc {
	var docs []doc
	start, line := 0, 1
	docLine := 1
	for start <= len(data) {
		end := bytes.IndexByte(data[start:], '\n')
		var ln []byte
		next := len(data) + 1
		if end < 0 {
			ln = data[start:]
		} else {
			ln = data[start : start+end]
			next = start + end + 1
		}
		if isSeparator(ln) {
			docLine = line + 1
		} else {
			if len(docs) == 0 || docs[len(docs)-1].line != docLine {
				docs = append(docs, doc{line: docLine})
			}
			d := &docs[len(docs)-1]
			d.text = append(d.text, ln...)
			d.text = append(d.text, '\n')
		}
		start = next
		line++
	}
	out := docs[:0]
	for _, d := range docs {
		if !emptyDoc(d.text) {
			out = append(out, d)
		}
	}
	return out
}

func isSeparator(ln []byte) bool {
	ln = bytes.TrimRight(ln, " \t\r")
	if !bytes.HasPrefix(ln, []byte("---")) {
		return false
	}
	rest := ln[3:]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '#'
}

func emptyDoc(b []byte) bool {
	for _, ln := range bytes.Split(b, []byte("\n")) {
		t := bytes.TrimSpace(ln)
		if len(t) > 0 && t[0] != '#' && !bytes.Equal(t, []byte("...")) {
			return false
		}
	}
	return true
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// toJSON converts one document to JSON, turning a YAML error into a
// FileError at the file line it points to.
func toJSON(file string, d doc) ([]byte, *discovery.FileError) {
	j, err := yaml.YAMLToJSON(d.text)
	if err != nil {
		line := d.line
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			if n, e := strconv.Atoi(m[1]); e == nil {
				line = d.line + n - 1
			}
		}
		msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
		msg = yamlLine.ReplaceAllString(msg, "")
		msg = strings.ReplaceAll(msg, "yaml: :", "yaml:")
		return nil, &discovery.FileError{File: file, Line: line, Msg: "invalid YAML: " + strings.TrimSpace(msg), Err: err}
	}
	return j, nil
}

// typeMeta is the part of every object read first.
type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
}

// decode unmarshals j into v, saying which object and field was wrong.
func decode(file string, line int, tm typeMeta, j []byte, v any) *discovery.FileError {
	if err := json.Unmarshal(j, v); err != nil {
		msg := err.Error()
		var ute *json.UnmarshalTypeError
		if ok := asTypeErr(err, &ute); ok {
			msg = fmt.Sprintf("field %s: found a %s, expected %s", ute.Field, ute.Value, ute.Type)
		}
		return &discovery.FileError{File: file, Line: line,
			Msg: fmt.Sprintf("%s %s %q: %s", tm.APIVersion, tm.Kind, tm.Metadata.Name, msg), Err: err}
	}
	return nil
}

func asTypeErr(err error, t **json.UnmarshalTypeError) bool {
	e, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*t = e
	}
	return ok
}

// lineOf returns the file line of the first line of d containing needle at
// or after the document start, or the document's first line.
func lineOf(d doc, needle string) int {
	if needle == "" {
		return d.line
	}
	i := bytes.Index(d.text, []byte(needle))
	if i < 0 {
		return d.line
	}
	return d.line + bytes.Count(d.text[:i], []byte("\n"))
}
