package neo4j

import (
	"context"
	"errors"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// cypherish matches text that reads like Cypher: an upper-case clause
// keyword. Go error messages and comments in this package do not shout.
var cypherish = regexp.MustCompile(`\b(MATCH|MERGE|UNWIND|RETURN|CREATE|DELETE|CALL|WHERE|SET)\b`)

// sourceFiles parses the package's non-test Go files.
func sourceFiles(t *testing.T) (*token.FileSet, []*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		t.Fatal("no source files found")
	}
	return fset, files
}

// TestStatementSetIsComplete proves that the statements the front-end check
// covers (Statements) are every statement the package can send:
//   - no Cypher-looking string literal appears outside a constant
//     declaration (so no statement is assembled inline in a function);
//   - every Cypher-looking constant is registered: a fixed statement
//     verbatim, a template through at least one instantiation, a fragment
//     as part of a registered statement;
//   - only query and autoCommit call a Run method, and query refuses text
//     outside the registry, so nothing unregistered reaches the server.
func TestStatementSetIsComplete(t *testing.T) {
	fset, files := sourceFiles(t)
	registered := Statements()

	// Literals outside const declarations.
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if gd, ok := n.(*ast.GenDecl); ok && gd.Tok == token.CONST {
				return false
			}
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && cypherish.MatchString(s) {
				t.Errorf("%s: Cypher-looking literal outside a constant: %.60q", fset.Position(lit.Pos()), s)
			}
			return true
		})
	}

	// Constant values, computed by the type checker (imports are not
	// needed for string constants; their errors are ignored).
	conf := types.Config{Importer: noImports{}, Error: func(error) {}}
	info := &types.Info{Defs: map[*ast.Ident]types.Object{}}
	conf.Check("neo4j", fset, files, info) //nolint:errcheck // partial checking is enough
	checked := 0
	for id, obj := range info.Defs {
		c, ok := obj.(*types.Const)
		if !ok || c.Val().Kind() != constant.String {
			continue
		}
		s := constant.StringVal(c.Val())
		if !cypherish.MatchString(s) {
			continue
		}
		checked++
		switch {
		case strings.Contains(s, "%["):
			re := regexp.MustCompile("^" + regexp.MustCompile(`%\\\[[0-9]\\\]s`).ReplaceAllString(regexp.QuoteMeta(s), `[A-Za-z_]+`) + "$")
			n := 0
			for _, st := range registered {
				if re.MatchString(st.Text) {
					n++
				}
			}
			if n == 0 {
				t.Errorf("%s: template %s is never instantiated in the registry", fset.Position(id.Pos()), id.Name)
			}
		default:
			found := false
			for _, st := range registered {
				if st.Text == s || strings.Contains(st.Text, s) {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("%s: statement %s is not in the registry the front-end check covers", fset.Position(id.Pos()), id.Name)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("found only %d Cypher constants; the scan is broken", checked)
	}

	// Run calls.
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Run" && fd.Name.Name != "query" && fd.Name.Name != "autoCommit" {
					t.Errorf("%s: %s calls Run directly; send statements through query or autoCommit", fset.Position(call.Pos()), fd.Name.Name)
				}
				return true
			})
		}
	}
}

// TestRegistryRefusesUnknownStatements checks the run-time guard.
func TestRegistryRefusesUnknownStatements(t *testing.T) {
	s := &Store{}
	called := false
	_, err := s.query(t.Context(), func(_ context.Context, _ string, _ map[string]any) (neo4j.ResultWithContext, error) {
		called = true
		return nil, nil
	}, "MATCH (n) DETACH DELETE n", nil)
	if err == nil || called {
		t.Fatalf("an unregistered statement was sent (err %v)", err)
	}
	if strings.Contains(err.Error(), "MATCH") {
		t.Errorf("error quotes the Cypher: %v", err)
	}
	for _, st := range Statements() {
		if !knownStatement(st.Text) {
			t.Fatalf("%s is listed but not known", st.Name)
		}
	}
}

// noImports fails every import: string constants need none, and skipping
// the dependencies keeps the check fast.
type noImports struct{}

func (noImports) Import(path string) (*types.Package, error) {
	return nil, errors.New("not loaded")
}
