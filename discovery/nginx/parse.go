package nginx

import (
	"fmt"
	"strings"

	"github.com/riskgraph/riskgraph/discovery"
)

// directive is one nginx directive with its block, if any.
type directive struct {
	Name     string
	Args     []string
	Line     int
	Children []*directive
}

type token struct {
	s      string
	line   int
	quoted bool
}

// tokenize splits nginx configuration into words, quoted strings and the
// punctuation { } ;, dropping comments.
func tokenize(data string) ([]token, error) {
	var out []token
	line := 1
	i := 0
	luaNext := false // the last word opened an embedded Lua block
	for i < len(data) {
		c := data[i]
		if c == '{' && luaNext {
			luaNext = false
			out = append(out, token{s: "{", line: line})
			end, lines, ok := skipLua(data, i+1)
			if !ok {
				return nil, fmt.Errorf("line %d: Lua block is not closed by \"}\"", line)
			}
			line += lines
			out = append(out, token{s: "}", line: line})
			i = end
			continue
		}
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
		case c == '{' || c == '}' || c == ';':
			out = append(out, token{s: string(c), line: line})
			i++
		case c == '"' || c == '\'':
			start, l := i, line
			i++
			var b strings.Builder
			for i < len(data) && data[i] != c {
				if data[i] == '\\' && i+1 < len(data) {
					i++
				}
				if data[i] == '\n' {
					line++
				}
				b.WriteByte(data[i])
				i++
			}
			if i >= len(data) {
				return nil, fmt.Errorf("line %d: unterminated quoted string starting %q", l, truncate(data[start:], 20))
			}
			i++
			out = append(out, token{s: b.String(), line: l, quoted: true})
		default:
			start := i
			inVar := false // inside ${...}, where braces belong to the word
		word:
			for i < len(data) {
				d := data[i]
				switch {
				case d == ' ' || d == '\t' || d == '\r' || d == '\n' || d == ';' || d == '"' || d == '\'':
					break word
				case d == '{' && i > start && data[i-1] == '$':
					inVar = true
				case d == '{':
					break word
				case d == '}' && inVar:
					inVar = false
				case d == '}':
					break word
				}
				i++
			}
			if i == start {
				i++
				continue
			}
			out = append(out, token{s: data[start:i], line: line})
			luaNext = strings.HasSuffix(data[start:i], "_by_lua_block")
		}
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// parse builds the directive tree. Blocks of embedded code (*_by_lua_block)
// are skipped whole: their braces are Lua's, not nginx's.
func parse(file, data string) ([]*directive, error) {
	toks, err := tokenize(data)
	if err != nil {
		return nil, &discovery.FileError{File: file, Msg: "invalid nginx configuration: " + err.Error()}
	}
	p := &parser{file: file, toks: toks}
	ds, err := p.block(0)
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		t := p.toks[p.i]
		return nil, &discovery.FileError{File: file, Line: t.line, Msg: "unexpected \"}\": no block is open here"}
	}
	return ds, nil
}

type parser struct {
	file string
	toks []token
	i    int
}

func (p *parser) block(depth int) ([]*directive, error) {
	var out []*directive
	if depth > 64 {
		return nil, &discovery.FileError{File: p.file, Msg: "blocks nested more than 64 deep"}
	}
	for p.i < len(p.toks) {
		t := p.toks[p.i]
		if t.s == "}" && !t.quoted {
			if depth == 0 {
				return out, nil
			}
			p.i++
			return out, nil
		}
		if (t.s == ";" || t.s == "{") && !t.quoted {
			return nil, &discovery.FileError{File: p.file, Line: t.line, Msg: fmt.Sprintf("unexpected %q: expected a directive name", t.s)}
		}
		d := &directive{Name: t.s, Line: t.line}
		p.i++
		for {
			if p.i >= len(p.toks) {
				return nil, &discovery.FileError{File: p.file, Line: d.Line, Msg: fmt.Sprintf("directive %q is not terminated by \";\" or \"{\"", d.Name)}
			}
			a := p.toks[p.i]
			if !a.quoted && a.s == ";" {
				p.i++
				break
			}
			if !a.quoted && a.s == "{" {
				p.i++
				if strings.HasSuffix(d.Name, "_by_lua_block") || strings.HasSuffix(d.Name, "_by_njs_block") {
					if err := p.skipBlock(d); err != nil {
						return nil, err
					}
					break
				}
				kids, err := p.block(depth + 1)
				if err != nil {
					return nil, err
				}
				d.Children = kids
				break
			}
			if !a.quoted && a.s == "}" {
				return nil, &discovery.FileError{File: p.file, Line: a.line, Msg: fmt.Sprintf("directive %q is not terminated by \";\"", d.Name)}
			}
			d.Args = append(d.Args, a.s)
			p.i++
		}
		out = append(out, d)
	}
	if depth > 0 {
		return nil, &discovery.FileError{File: p.file, Line: lastLine(p.toks), Msg: "unexpected end of file: a block is not closed by \"}\""}
	}
	return out, nil
}

func (p *parser) skipBlock(d *directive) error {
	depth := 1
	for p.i < len(p.toks) {
		t := p.toks[p.i]
		p.i++
		if t.quoted {
			continue
		}
		switch t.s {
		case "{":
			depth++
		case "}":
			depth--
			if depth == 0 {
				return nil
			}
		}
	}
	return &discovery.FileError{File: p.file, Line: d.Line, Msg: fmt.Sprintf("block of %q is not closed by \"}\"", d.Name)}
}

func lastLine(ts []token) int {
	if len(ts) == 0 {
		return 0
	}
	return ts[len(ts)-1].line
}

// skipLua scans Lua code from i to the brace closing its block, minding
// Lua strings and comments, and returns the index after that brace and the
// number of newlines passed.
func skipLua(data string, i int) (end, lines int, ok bool) {
	depth := 1
	for i < len(data) {
		c := data[i]
		switch {
		case c == '\n':
			lines++
		case c == '-' && i+1 < len(data) && data[i+1] == '-':
			for i < len(data) && data[i] != '\n' {
				i++
			}
			continue
		case c == '"' || c == '\'':
			q := c
			i++
			for i < len(data) && data[i] != q && data[i] != '\n' {
				if data[i] == '\\' {
					i++
				}
				i++
			}
		case c == '{':
			depth++
		case c == '}':
			depth--
			if depth == 0 {
				return i + 1, lines, true
			}
		}
		i++
	}
	return i, lines, false
}
