package sbomexport

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/testdata/demo"
)

// Extra estate on top of the demo (Larkspur): an internal batch service
// nothing routes to, which carries lodash (CVE-2021-23337, open) and
// minimist with a finding its scanner already triaged as not affected; an
// image nobody runs with its own packages; a service without packages.
var (
	reporterID = graph.ServiceID("prod", "batch-reporter")
	orphanImg  = graph.ImageID("registry.larkspur.io/tools/migrator:1.4.0")
	emptyID    = graph.ServiceID("prod", "status-page")
	lodash     = "pkg:npm/lodash@4.17.20"
	mkdirp     = "pkg:npm/mkdirp@0.5.5"
	minimist   = "pkg:npm/minimist@1.2.5"
	testSeen   = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
)

func extraBatch() graph.Batch {
	pkgNode := func(purl, name, version string, lic ...string) graph.Node {
		p := graph.Props{"purl": purl, "name": name, "version": version, "ecosystem": "npm"}
		if len(lic) > 0 {
			p["licenses"] = lic
		}
		return graph.Node{ID: graph.PackageID(purl), Kind: graph.Package, Name: name + "@" + version, Props: p}
	}
	finding := func(fp, adv string, extra graph.Props) graph.Node {
		p := graph.Props{"category": "vulnerability", "vulnerability": adv, "status": "open", "tool": "grype", "severity": "high"}
		for k, v := range extra {
			p[k] = v
		}
		return graph.Node{ID: graph.FindingID(fp), Kind: graph.Finding, Name: adv, Env: "prod", Props: p}
	}
	fLodash := finding("fp-reporter-lodash", "CVE-2021-23337", nil)
	fMinimist := finding("fp-reporter-minimist", "CVE-2021-44906", graph.Props{"vexState": "not_affected",
		"vexJustification": "requires_configuration"})
	fFixed := finding("fp-reporter-fixed", "CVE-2020-7598", graph.Props{"status": "fixed"})
	return graph.Batch{
		Scope: graph.Scope{Source: "test", Key: "sbomexport"}, Run: "r1", ObservedAt: testSeen,
		Nodes: []graph.Node{
			{ID: reporterID, Kind: graph.Service, Name: "batch-reporter", Env: "prod"},
			{ID: emptyID, Kind: graph.Service, Name: "status-page", Env: "prod"},
			{ID: orphanImg, Kind: graph.Image, Name: "registry.larkspur.io/tools/migrator:1.4.0",
				Props: graph.Props{"ref": "registry.larkspur.io/tools/migrator:1.4.0", "digest": "sha256:" + strings.Repeat("ab", 32)}},
			pkgNode(lodash, "lodash", "4.17.20", "MIT"),
			withHashes(pkgNode(mkdirp, "mkdirp", "0.5.5", "MIT"), graph.Props{"SHA-256": strings.Repeat("0f", 32), "bogus": "xyz"}),
			pkgNode(minimist, "minimist", "1.2.5", "MIT"),
			fLodash, fMinimist, fFixed,
		},
		Edges: []graph.Edge{
			graph.NewEdge(graph.DependsOn, reporterID, graph.PackageID(lodash)),
			graph.NewEdge(graph.DependsOn, reporterID, graph.PackageID(mkdirp)),
			graph.NewEdge(graph.DependsOn, orphanImg, graph.PackageID(mkdirp)),
			graph.NewEdge(graph.DependsOn, graph.PackageID(mkdirp), graph.PackageID(minimist)),
			graph.NewEdge(graph.FoundOn, fLodash.ID, graph.PackageID(lodash)),
			graph.NewEdge(graph.FoundOn, fMinimist.ID, graph.PackageID(minimist)),
			graph.NewEdge(graph.FoundOn, fFixed.ID, graph.PackageID(minimist)),
		},
	}
}

func withHashes(n graph.Node, h graph.Props) graph.Node {
	n.Props["hashes"] = h
	return n
}

// estate is the demo estate plus extraBatch in an in-memory store.
func estate(t testing.TB) graph.View {
	t.Helper()
	ctx := context.Background()
	st, err := memdb.Open("", memdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	d := demo.Batch()
	d.ObservedAt = testSeen
	for _, b := range []graph.Batch{d, extraBatch()} {
		if _, err := st.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	v, err := st.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

var (
	schemaOnce sync.Once
	schemas    map[string]*jsonschema.Schema
	schemaErr  error
)

// jsonSchema returns the compiled official schema: "cdx-1.5", "cdx-1.6"
// or "spdx-2.3" (files in testdata/schema, no network).
func jsonSchema(t testing.TB, name string) *jsonschema.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		add := func(url, file string) {
			if schemaErr != nil {
				return
			}
			f, err := os.Open(filepath.Join("testdata", "schema", file))
			if err != nil {
				schemaErr = err
				return
			}
			defer f.Close()
			doc, err := jsonschema.UnmarshalJSON(f)
			if err != nil {
				schemaErr = err
				return
			}
			schemaErr = c.AddResource(url, doc)
		}
		base := "http://cyclonedx.org/schema/"
		add(base+"bom-1.5.schema.json", "bom-1.5.SNAPSHOT.schema.json")
		add(base+"bom-1.6.schema.json", "bom-1.6.SNAPSHOT.schema.json")
		add(base+"spdx.SNAPSHOT.schema.json", "spdx.SNAPSHOT.schema.json")
		add(base+"jsf-0.82.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json")
		add("http://spdx.org/rdf/terms/2.3", "spdx-2.3.schema.json")
		if schemaErr != nil {
			return
		}
		schemas = map[string]*jsonschema.Schema{}
		for name, url := range map[string]string{"cdx-1.5": base + "bom-1.5.schema.json", "cdx-1.6": base + "bom-1.6.schema.json",
			"spdx-2.3": "http://spdx.org/rdf/terms/2.3"} {
			s, err := c.Compile(url)
			if err != nil {
				schemaErr = err
				return
			}
			schemas[name] = s
		}
	})
	if schemaErr != nil {
		t.Fatalf("schemas: %v", schemaErr)
	}
	return schemas[name]
}

// validate checks doc against the official schema of its format.
func validate(t *testing.T, f Format, data []byte) {
	t.Helper()
	switch f.Name {
	case "cyclonedx-json", "spdx-json":
		name := "spdx-2.3"
		if f.Name == "cyclonedx-json" {
			name = "cdx-" + f.Version
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: not JSON: %v", f, err)
		}
		if err := jsonSchema(t, name).Validate(inst); err != nil {
			t.Fatalf("%s: invalid against the %s schema: %v", f, name, err)
		}
	case "cyclonedx-xml":
		validateXSD(t, "bom-"+f.Version+".SNAPSHOT.xsd", data)
	case "syft-json":
		var doc struct {
			Schema struct{ Version string } `json:"schema"`
		}
		if err := json.Unmarshal(data, &doc); err != nil || doc.Schema.Version == "" {
			t.Fatalf("syft-json: no schema version (%v)", err)
		}
	}
}

// validateXSD runs xmllint (libxml2-utils): there is no workable pure-Go
// XSD 1.0 validator. Outside CI a missing xmllint skips; under CI it fails.
func validateXSD(t *testing.T, xsd string, data []byte) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xmllint not found (apt-get install libxml2-utils); CI must validate CycloneDX XML")
		}
		t.Skip("xmllint not found: install libxml2-utils to validate CycloneDX XML against the XSD")
	}
	f := filepath.Join(t.TempDir(), "bom.xml")
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--noout", "--nonet", "--schema", filepath.Join("testdata", "schema", xsd), f).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint %s: %v\n%s", xsd, err, out)
	}
}

func unmarshalJSON(data []byte) (any, error) { return jsonschema.UnmarshalJSON(bytes.NewReader(data)) }
