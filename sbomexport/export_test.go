package sbomexport

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/riskgraph/riskgraph/discovery/sbom"
	"github.com/riskgraph/riskgraph/graph"
)

func mustFormat(t testing.TB, s string) Format {
	f, err := ParseFormat(s)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func decodeCDX(t *testing.T, f Format, data []byte) *cdx.BOM {
	t.Helper()
	ff := cdx.BOMFileFormatJSON
	if f.Name == "cyclonedx-xml" {
		ff = cdx.BOMFileFormatXML
	}
	bom := new(cdx.BOM)
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), ff).Decode(bom); err != nil {
		t.Fatal(err)
	}
	return bom
}

// Every format, for a service, an application and an image, is valid
// against the official schema of its format.
func TestEveryFormatValidatesAgainstItsSchema(t *testing.T) {
	v := estate(t)
	ctx := context.Background()
	subjects := []string{"prod/recommendation-service", "storefront", string(orphanImg), "prod/status-page"}
	for _, name := range FormatNames {
		f := mustFormat(t, name)
		for _, s := range subjects {
			t.Run(name+"/"+s, func(t *testing.T) {
				doc, err := Export(ctx, v, s, Options{Format: f, WithVulnerabilities: f.CycloneDX(), Reproducible: true})
				if err != nil {
					t.Fatal(err)
				}
				validate(t, f, doc.Data)
				if !strings.HasSuffix(doc.Filename, f.Extension()) || doc.ContentType == "" {
					t.Errorf("filename %q, content type %q", doc.Filename, doc.ContentType)
				}
			})
		}
	}
}

// The validator is not a rubber stamp: a document with a bad field fails.
func TestSchemaCatchesBrokenDocuments(t *testing.T) {
	v := estate(t)
	doc, err := Export(context.Background(), v, "prod/recommendation-service", Options{Format: mustFormat(t, "cyclonedx-json")})
	if err != nil {
		t.Fatal(err)
	}
	broken := bytes.Replace(doc.Data, []byte(`"type": "library"`), []byte(`"type": "gadget"`), 1)
	inst, _ := unmarshalJSON(broken)
	if err := jsonSchema(t, "cdx-1.6").Validate(inst); err == nil {
		t.Fatal("a component of type gadget passed the CycloneDX 1.6 schema")
	}
}

// What a service's CycloneDX SBOM says: its packages with purls, versions
// and licenses, the dependency graph, and itself as metadata component
// depending on its direct packages.
func TestServiceSBOMContent(t *testing.T) {
	v := estate(t)
	f := mustFormat(t, "cyclonedx-json")
	doc, err := Export(context.Background(), v, "prod/recommendation-service", Options{Format: f})
	if err != nil {
		t.Fatal(err)
	}
	bom := decodeCDX(t, f, doc.Data)
	if bom.SpecVersion != cdx.SpecVersion1_6 || bom.Metadata.Component.Name != "recommendation-service" ||
		bom.Metadata.Component.Type != cdx.ComponentTypeApplication || !strings.HasPrefix(bom.SerialNumber, "urn:uuid:") || bom.Metadata.Timestamp == "" {
		t.Fatalf("header: spec %v, subject %+v, serial %q", bom.SpecVersion, bom.Metadata.Component, bom.SerialNumber)
	}
	purls := map[string]cdx.Component{}
	for _, c := range *bom.Components {
		purls[c.PackageURL] = c
	}
	want := []string{"pkg:maven/org.apache.kafka/kafka-clients@2.8.0", "pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1",
		"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "pkg:maven/org.xerial.snappy/snappy-java@1.1.8.1"}
	if got := slices.Sorted(mapKeys(purls)); !slices.Equal(got, want) {
		t.Fatalf("purls %v, want %v", got, want)
	}
	core := purls[want[2]]
	if core.Version != "2.14.1" || core.Licenses == nil || (*core.Licenses)[0].License.ID != "Apache-2.0" {
		t.Fatalf("log4j-core component %+v", core)
	}
	deps := map[string][]string{}
	for _, d := range *bom.Dependencies {
		deps[d.Ref] = *d.Dependencies
	}
	if got := deps[bom.Metadata.Component.BOMRef]; !slices.Equal(got, []string{purls[want[0]].BOMRef, core.BOMRef}) {
		t.Errorf("subject depends on %v, want kafka-clients and log4j-core", got)
	}
	if got := deps[core.BOMRef]; !slices.Equal(got, []string{purls[want[1]].BOMRef}) {
		t.Errorf("log4j-core depends on %v, want log4j-api", got)
	}
	var tools []string
	for _, c := range *bom.Metadata.Tools.Components {
		tools = append(tools, c.Name)
	}
	if !slices.Equal(tools, []string{"riskgraph", "syft"}) {
		t.Errorf("tools %v", tools)
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Hashes a Package node carries (props "hashes") are in the CycloneDX
// component; unknown algorithms are left out.
func TestHashes(t *testing.T) {
	v := estate(t)
	f := mustFormat(t, "cyclonedx-json")
	doc, err := Export(context.Background(), v, "prod/batch-reporter", Options{Format: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range *decodeCDX(t, f, doc.Data).Components {
		if c.PackageURL != mkdirp {
			continue
		}
		if c.Hashes == nil || len(*c.Hashes) != 1 || (*c.Hashes)[0].Algorithm != cdx.HashAlgoSHA256 || (*c.Hashes)[0].Value != strings.Repeat("0f", 32) {
			t.Fatalf("mkdirp hashes %+v", c.Hashes)
		}
		return
	}
	t.Fatal("mkdirp not in the SBOM")
}

// An application's SBOM has each service as a component of its own with
// its dependencies, and the packages of all of them.
func TestApplicationSBOM(t *testing.T) {
	v := estate(t)
	ctx := context.Background()
	f := mustFormat(t, "cyclonedx-json@1.5")
	doc, err := Export(ctx, v, "storefront", Options{Format: f})
	if err != nil {
		t.Fatal(err)
	}
	bom := decodeCDX(t, f, doc.Data)
	if bom.SpecVersion != cdx.SpecVersion1_5 {
		t.Fatalf("spec %v", bom.SpecVersion)
	}
	app, err := Resolve(ctx, v, "storefront")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Collect(ctx, v, app)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Services) < 3 {
		t.Fatalf("storefront has %d services", len(c.Services))
	}
	refs := map[string]string{} // service name → bom-ref
	npk := 0
	for _, comp := range *bom.Components {
		if comp.Type == cdx.ComponentTypeApplication {
			refs[comp.Name] = comp.BOMRef
		} else {
			npk++
		}
	}
	if npk != len(c.Packages) {
		t.Errorf("%d package components, the graph has %d", npk, len(c.Packages))
	}
	deps := map[string][]string{}
	for _, d := range *bom.Dependencies {
		deps[d.Ref] = *d.Dependencies
	}
	for _, s := range c.Services {
		ref, ok := refs[s.Name]
		if !ok {
			t.Errorf("service %s is not a component", s.Name)
			continue
		}
		if !slices.Contains(deps[bom.Metadata.Component.BOMRef], ref) {
			t.Errorf("the application does not depend on %s", s.Name)
		}
		if len(deps[ref]) != len(c.ServiceDirect[s.ID]) {
			t.Errorf("%s: %d dependencies in the SBOM, %d direct packages in the graph", s.Name, len(deps[ref]), len(c.ServiceDirect[s.ID]))
		}
	}
}

// Export, re-ingest with Discovery II's decoder: the same packages (purl,
// name, version, licenses) and edges come back, in every format.
func TestRoundTripThroughDiscovery(t *testing.T) {
	v := estate(t)
	ctx := context.Background()
	for _, subject := range []string{"prod/recommendation-service", "prod/batch-reporter", "prod/web-frontend", string(orphanImg)} {
		subj, err := Resolve(ctx, v, subject)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Collect(ctx, v, subj)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range FormatNames {
			t.Run(subject+"/"+name, func(t *testing.T) {
				doc, err := Export(ctx, v, subject, Options{Format: mustFormat(t, name)})
				if err != nil {
					t.Fatal(err)
				}
				p, err := sbom.Decode("out"+doc.Format.Extension(), doc.Data)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Packages) != len(c.Packages) {
					t.Fatalf("%d packages back, %d exported", len(p.Packages), len(c.Packages))
				}
				for i, got := range p.Packages {
					want := c.Packages[i]
					if got.ID != want.ID || got.Purl != want.Props.String("purl") || got.Version != want.Props.String("version") ||
						got.Name != want.Props.String("name") || !slices.Equal(got.Licenses, want.Props.Strings("licenses")) {
						t.Errorf("package back %+v, exported %s %v", got, want.ID, want.Props)
					}
				}
				if !slices.Equal(p.Deps, c.Deps) {
					t.Errorf("edges back %v, exported %v", p.Deps, c.Deps)
				}
				// the subject's direct dependencies: exact in CycloneDX (the
				// metadata component's dependencies); the other formats have
				// no place for them, so the reader takes the packages nothing
				// else depends on, which is what they are here
				if !slices.Equal(p.Direct, c.Direct) {
					t.Errorf("direct back %v, exported %v", p.Direct, c.Direct)
				}
				// syft's SPDX reader does not give the document's subject back
				if n := p.Subject.Name; doc.Format.CycloneDX() && !strings.Contains(n, subj.Name) {
					t.Errorf("subject back %q", n)
				}
				// an image comes back as the same image (the anchor discovery keys by reference)
				if subj.Kind == graph.Image && doc.Format.CycloneDX() && (p.Subject.Kind != "image" || graph.ImageID(p.Subject.Name) != subj.ID) {
					t.Errorf("image subject back as %+v", p.Subject)
				}
			})
		}
	}
}

// --reproducible: two exports are byte-identical; content changes change
// the serial number; without it the serial is random.
func TestReproducible(t *testing.T) {
	v := estate(t)
	ctx := context.Background()
	for _, name := range FormatNames {
		f := mustFormat(t, name)
		opt := Options{Format: f, Reproducible: true, WithVulnerabilities: f.CycloneDX()}
		a, err := Export(ctx, v, "prod/web-frontend", opt)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Export(ctx, v, "prod/web-frontend", opt)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Data, b.Data) {
			t.Errorf("%s: two reproducible exports differ", name)
		}
		if f.Name == "syft-json" {
			continue
		}
		if !bytes.Contains(a.Data, []byte("2026-11-20T09:00:00Z")) {
			t.Errorf("%s: timestamp is not the graph's last-seen time", name)
		}
		other, err := Export(ctx, v, "prod/recommendation-service", opt)
		if err != nil {
			t.Fatal(err)
		}
		if serialOf(a.Data) == "" || serialOf(a.Data) == serialOf(other.Data) {
			t.Errorf("%s: serial %q for two different subjects", name, serialOf(a.Data))
		}
		if f.CycloneDX() {
			c, _ := Export(ctx, v, "prod/web-frontend", Options{Format: f})
			d, _ := Export(ctx, v, "prod/web-frontend", Options{Format: f})
			if serialOf(c.Data) == serialOf(d.Data) {
				t.Errorf("%s: the serial of non-reproducible exports does not change", name)
			}
		}
	}
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	doc, err := Export(ctx, v, "prod/web-frontend", Options{Format: mustFormat(t, "spdx-tag-value"), Reproducible: true})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc.Data, []byte("Created: 2023-11-14T22:13:20Z")) {
		t.Errorf("SOURCE_DATE_EPOCH not honoured:\n%s", doc.Data[:400])
	}
}

// serialOf finds the CycloneDX serial number or SPDX namespace.
func serialOf(data []byte) string {
	for _, key := range []string{`"serialNumber": "`, `serialNumber="`, `"documentNamespace": "`, "DocumentNamespace: "} {
		if i := bytes.Index(data, []byte(key)); i >= 0 {
			rest := data[i+len(key):]
			if j := bytes.IndexAny(rest, "\"\n"); j >= 0 {
				return string(rest[:j])
			}
		}
	}
	return ""
}

// VEX: each open finding with the state riskgraph derived.
func TestVulnerabilitiesWithAnalysis(t *testing.T) {
	v := estate(t)
	ctx := context.Background()
	f := mustFormat(t, "cyclonedx-json")
	analysisOf := func(subject string) map[string]cdx.Vulnerability {
		doc, err := Export(ctx, v, subject, Options{Format: f, WithVulnerabilities: true})
		if err != nil {
			t.Fatal(err)
		}
		bom := decodeCDX(t, f, doc.Data)
		out := map[string]cdx.Vulnerability{}
		if bom.Vulnerabilities != nil {
			for _, x := range *bom.Vulnerabilities {
				out[x.ID] = x
			}
		}
		if doc.Vulnerabilities != len(out) {
			t.Errorf("Document.Vulnerabilities %d, document has %d", doc.Vulnerabilities, len(out))
		}
		return out
	}
	// Log4Shell on recommendation-service: an attack path exists
	rec := analysisOf("prod/recommendation-service")
	l4s, ok := rec["CVE-2021-44228"]
	if !ok || l4s.Analysis.State != cdx.IASExploitable || !strings.Contains(l4s.Analysis.Detail, "Internet → ") ||
		!strings.HasSuffix(l4s.Analysis.Detail, "recommendation-service") && !strings.Contains(l4s.Analysis.Detail, "recommendation-service;") {
		t.Fatalf("log4shell: %+v", l4s.Analysis)
	}
	if (*l4s.Affects)[0].Ref == "" || !strings.Contains((*l4s.Affects)[0].Ref, "log4j-core") {
		t.Errorf("log4shell affects %+v", *l4s.Affects)
	}
	if (*l4s.Ratings)[0].Severity != cdx.SeverityCritical {
		t.Errorf("log4shell rating %+v", *l4s.Ratings)
	}
	// batch-reporter: nothing reaches it → not_affected / code_not_reachable;
	// a scanner's own VEX statement is kept; fixed findings are left out
	rep := analysisOf("prod/batch-reporter")
	if got := slices.Sorted(mapKeys(rep)); !slices.Equal(got, []string{"CVE-2021-23337", "CVE-2021-44906"}) {
		t.Fatalf("batch-reporter vulnerabilities %v", got)
	}
	if a := rep["CVE-2021-23337"].Analysis; a.State != cdx.IASNotAffected || a.Justification != cdx.IAJCodeNotReachable ||
		!strings.Contains(a.Detail, "batch-reporter") {
		t.Errorf("lodash on batch-reporter: %+v", a)
	}
	if a := rep["CVE-2021-44906"].Analysis; a.State != cdx.IASNotAffected || a.Justification != cdx.IAJRequiresConfiguration ||
		!strings.Contains(a.Detail, "grype") {
		t.Errorf("minimist (scanner VEX): %+v", a)
	}
	// the image nobody runs: exposure unknown
	img := analysisOf(string(orphanImg))
	if a := img["CVE-2021-44906"].Analysis; a == nil || a.State != cdx.IASNotAffected {
		t.Errorf("minimist on the image: %+v (the scanner's statement applies)", a)
	}
	// VEX needs CycloneDX
	if _, err := Export(ctx, v, "prod/batch-reporter", Options{Format: mustFormat(t, "spdx-json"), WithVulnerabilities: true}); !errors.Is(err, ErrFormat) {
		t.Errorf("VEX in SPDX: err %v", err)
	}
}

// A subject without packages: a valid, empty SBOM with a note. Unknown
// subjects and subjects of the wrong kind are errors callers can tell.
func TestEmptyAndUnknownSubjects(t *testing.T) {
	v := estate(t)
	ctx := context.Background()
	for _, name := range FormatNames {
		f := mustFormat(t, name)
		doc, err := Export(ctx, v, string(emptyID), Options{Format: f})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if doc.Note == "" || doc.Components != 0 {
			t.Errorf("%s: note %q, components %d", name, doc.Note, doc.Components)
		}
		if f.Name != "syft-json" && !bytes.Contains(doc.Data, []byte("riskgraph knows no packages")) {
			t.Errorf("%s: the note is not in the document", name)
		}
	}
	if _, err := Export(ctx, v, "no-such-service", Options{}); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := Export(ctx, v, string(graph.ServiceID("prod", "nope")), Options{}); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	if _, err := Export(ctx, v, string(graph.PackageID(lodash)), Options{}); !errors.Is(err, ErrSubject) {
		t.Errorf("a package as subject: %v", err)
	}
	if _, err := Export(ctx, v, "cart-service", Options{}); !errors.Is(err, ErrSubject) || !strings.Contains(err.Error(), "staging/cart-service") {
		t.Errorf("a name in two environments: %v", err)
	}
	if _, err := ParseFormat("cyclonedx-json@1.2"); !errors.Is(err, ErrFormat) {
		t.Errorf("old CycloneDX version accepted: %v", err)
	}
	if _, err := ParseFormat("csv"); !errors.Is(err, ErrFormat) {
		t.Errorf("csv accepted: %v", err)
	}
}
