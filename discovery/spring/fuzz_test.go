package spring

import (
	"os"
	"path/filepath"
	"testing"
)

// The parsers never panic and never return a property without a line.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/shop/*/*/*/*/application*")
	more, _ := filepath.Glob("testdata/shop/*/config/*")
	for _, p := range append(files, more...) {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data, filepath.Ext(p) == ".properties")
		}
	}
	f.Add([]byte("a=\\\n"), true)
	f.Add([]byte("a: &x {b: 1}\nc: *x\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, properties bool) {
		var props []Property
		var err error
		if properties {
			props, err = parseProperties("f.properties", data)
		} else {
			props, err = parseYAML("f.yml", data, "prod")
		}
		if err != nil {
			return
		}
		for _, p := range props {
			if p.Line <= 0 {
				t.Fatalf("property %q without a line", p.Key)
			}
			resolve(p.Value, props, map[string]string{"X": "y"})
		}
	})
}
