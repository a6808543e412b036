package findings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// FileError is a bad input file: which file, where in it (JSON path, line,
// column when known) and what was expected.
type FileError struct {
	File string
	Path string // JSON path such as $.runs[0].results[3].level
	Line int    // 1-based; 0 when unknown
	Col  int
	Msg  string
}

func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// fieldError is a semantic problem found after decoding; the caller knows the
// JSON path, the line is looked up from the raw bytes when it can be.
func fieldError(file string, data []byte, path, format string, args ...any) *FileError {
	e := &FileError{File: file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if off, ok := offsetOfPath(data, path); ok {
		e.Line, e.Col = lineCol(data, off)
	}
	return e
}

// decodeJSON unmarshals data into v and turns decoding errors into a
// FileError naming the JSON path and line of the problem.
func decodeJSON(file string, data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	return jsonError(file, data, err)
}

func jsonError(file string, data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off := syn.Offset
		msg := syn.Error()
		if strings.Contains(msg, "unexpected end of JSON input") {
			msg = "truncated JSON: unexpected end of input"
		}
		line, col := lineCol(data, off)
		return &FileError{File: file, Path: pathAt(data, off), Line: line, Col: col, Msg: msg}
	case errors.As(err, &typ):
		off := typ.Offset
		line, col := lineCol(data, off)
		path := pathAt(data, off)
		if path == "$" && typ.Field != "" {
			path = "$." + typ.Field
		}
		return &FileError{File: file, Path: path, Line: line, Col: col,
			Msg: fmt.Sprintf("found JSON %s, want %s", typ.Value, typ.Type)}
	}
	return &FileError{File: file, Msg: err.Error()}
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	head := data[:off]
	line := bytes.Count(head, []byte{'\n'}) + 1
	col := int(off) - bytes.LastIndexByte(head, '\n')
	return line, col
}

// badToken is passed to walkTokens' callback where the input breaks.
const badToken = json.Delim('!')

// frame is one open object or array while walking tokens.
type frame struct {
	array   bool
	index   int
	key     string
	wantKey bool
}

// walkTokens calls at with the path of every value and its start offset,
// stopping when at returns false or the input ends or breaks.
func walkTokens(data []byte, at func(path []frame, off int64, tok json.Token) bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var stack []frame
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		top := &stack[len(stack)-1]
		if top.array {
			top.index++
		} else {
			top.wantKey = true
		}
	}
	for {
		off := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			if err != io.EOF {
				at(stack, dec.InputOffset(), badToken)
			}
			return
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			valueDone()
			continue
		}
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			if !top.array && top.wantKey {
				top.key, _ = tok.(string)
				top.wantKey = false
				continue
			}
		}
		// a value starts here; skip the separator the offset may point at
		for int(off) < len(data) && strings.IndexByte(" \t\r\n,:", data[off]) >= 0 {
			off++
		}
		if !at(stack, off, tok) {
			return
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, frame{array: d == '[', wantKey: d == '{'})
			continue
		}
		valueDone()
	}
}

func formatPath(stack []frame) string {
	var b strings.Builder
	b.WriteString("$")
	for _, f := range stack {
		if f.array {
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
		} else if f.key != "" {
			b.WriteString("." + f.key)
		}
	}
	return b.String()
}

// pathAt returns the JSON path of the innermost value open at offset off.
func pathAt(data []byte, off int64) string {
	path := "$"
	walkTokens(data, func(stack []frame, o int64, _ json.Token) bool {
		if o > off {
			return false
		}
		path = formatPath(stack)
		return true
	})
	return path
}

// offsetOfPath finds where the value at path starts.
func offsetOfPath(data []byte, path string) (int64, bool) {
	var found int64 = -1
	walkTokens(data, func(stack []frame, o int64, _ json.Token) bool {
		if formatPath(stack) == path {
			found = o
			return false
		}
		return true
	})
	return found, found >= 0
}

// nullSections reports the first explicit null among the values whose key is
// one of keys, or among the elements of such an array: real scanner output
// omits empty sections, so a null there is a broken file.
func nullSections(file string, data []byte, keys ...string) error {
	var bad *FileError
	walkTokens(data, func(stack []frame, o int64, tok json.Token) bool {
		if tok != nil || len(stack) == 0 {
			return true
		}
		top := stack[len(stack)-1]
		key := top.key
		if top.array && len(stack) > 1 {
			key = stack[len(stack)-2].key
		}
		for _, k := range keys {
			if key != k {
				continue
			}
			line, col := lineCol(data, o)
			what := "an array"
			if top.array {
				what = "an object"
			}
			bad = &FileError{File: file, Path: formatPath(stack), Line: line, Col: col,
				Msg: "is null (want " + what + "; scanners omit empty sections instead of writing null)"}
			return false
		}
		return true
	})
	if bad != nil {
		return bad
	}
	return nil
}
