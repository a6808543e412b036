package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/riskgraph/riskgraph/api"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/scoring"
)

// fakeSBOM stands in for sbomexport (the api tests do not link syft): it
// records the request and lists the subject's packages from the view.
type fakeSBOM struct {
	mu   sync.Mutex
	reqs []api.SBOMRequest
	eng  []*scoring.Engine
}

func (f *fakeSBOM) export(ctx context.Context, v graph.View, eng *scoring.Engine, req api.SBOMRequest) (*api.SBOMResult, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.eng = append(f.eng, eng)
	f.mu.Unlock()
	n, err := v.Node(ctx, req.Subject)
	if err != nil {
		return nil, err
	}
	if n.Kind == graph.Package {
		return nil, fmt.Errorf("subject %s is a Package: %w", n.ID, api.ErrSBOMRequest)
	}
	pg, err := v.Edges(ctx, graph.EdgeFilter{From: n.ID, Kinds: []graph.EdgeKind{graph.DependsOn}}, graph.Page{Limit: 1000})
	if err != nil {
		return nil, err
	}
	var purls []string
	for _, e := range pg.Edges {
		p, _ := v.Node(ctx, e.To)
		purls = append(purls, p.Props.String("purl"))
	}
	body, _ := json.Marshal(purls)
	res := &api.SBOMResult{Subject: n, Content: body, ContentType: "application/test", Filename: n.Name + ".test", Components: len(purls)}
	if len(purls) == 0 {
		res.Note = "no packages"
	}
	return res, nil
}

func sbomEnv(t *testing.T, hook api.SBOMFunc) *env {
	t.Helper()
	return newEnvWith(t, api.Options{SBOM: hook})
}

func TestSBOMField(t *testing.T) {
	f := &fakeSBOM{}
	e := sbomEnv(t, f.export)
	rec := graph.ServiceID("prod", "recommendation-service")
	var got struct {
		Sbom struct {
			Subject                       struct{ Name string }
			Format, ContentType, Filename string
			Components, Vulnerabilities   int
			Note                          *string
			Content                       string
		}
	}
	e.ok(`query($id: ID!) { sbom(subject: $id, format: CYCLONEDX_XML_1_5, withVulnerabilities: true) {
		subject { name } format contentType filename components vulnerabilities note content } }`, map[string]any{"id": rec}, &got)
	s := got.Sbom
	if s.Subject.Name != "recommendation-service" || s.Format != "CYCLONEDX_XML_1_5" || s.ContentType != "application/test" ||
		s.Filename != "recommendation-service.test" || s.Note != nil || !strings.Contains(s.Content, "log4j-core") {
		t.Fatalf("sbom %+v", s)
	}
	if len(f.reqs) != 1 || f.reqs[0] != (api.SBOMRequest{Subject: rec, Format: "cyclonedx-xml@1.5", WithVulnerabilities: true}) || f.eng[0] == nil {
		t.Fatalf("hook got %+v (engine %v)", f.reqs, f.eng)
	}
	// unknown subject: NOT_FOUND without calling the hook
	r := e.query(readTok, `{ sbom(subject: "service:aaaaaaaaaaaaaaaaaaaaaaaa", format: SPDX_JSON) { content } }`, nil)
	if r.code() != api.CodeNotFound || len(f.reqs) != 1 {
		t.Errorf("unknown subject: %s %+v", r.code(), r.Errors)
	}
	// the hook's own input errors: BAD_USER_INPUT with the message
	r = e.query(readTok, `query($id: ID!) { sbom(subject: $id, format: SPDX_JSON) { content } }`,
		map[string]any{"id": graph.PackageID("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")})
	if r.code() != api.CodeBadUserInput || !strings.Contains(r.Errors[0].Message, "is a Package") {
		t.Errorf("package subject: %s %+v", r.code(), r.Errors)
	}
	// no token: 401
	if r := e.query("", `{ sbom(subject: "x:y", format: SPDX_JSON) { content } }`, nil); r.status != 401 {
		t.Errorf("anonymous: status %d", r.status)
	}
}

func TestSBOMFieldWithoutHook(t *testing.T) {
	e := sbomEnv(t, nil)
	r := e.query(readTok, `query($id: ID!) { sbom(subject: $id, format: SPDX_JSON) { content } }`,
		map[string]any{"id": graph.ServiceID("prod", "recommendation-service")})
	if r.code() != api.CodeForbidden {
		t.Errorf("no hook: %s %+v", r.code(), r.Errors)
	}
}

// "Which services and images use log4j-core below 2.17.1."
func TestPackagesVersionRangeAndDependentImages(t *testing.T) {
	e := sbomEnv(t, nil)
	var got struct {
		Packages struct {
			Nodes []struct {
				Version         string
				Dependents      struct{ Nodes []struct{ Name string } }
				DependentImages []struct{ Name string }
			}
		}
	}
	e.ok(`{ packages(filter: {name: "log4j-core", versionRange: "<2.17.1"}) { nodes { version dependents { nodes { name } } dependentImages { name } } } }`, nil, &got)
	if len(got.Packages.Nodes) != 1 || got.Packages.Nodes[0].Version != "2.14.1" || len(got.Packages.Nodes[0].Dependents.Nodes) == 0 {
		t.Fatalf("log4j-core <2.17.1: %+v", got.Packages)
	}
	e.ok(`{ packages(filter: {name: "log4j-core", versionRange: ">=2.17.1"}) { nodes { version dependents { nodes { name } } dependentImages { name } } } }`, nil, &got)
	if len(got.Packages.Nodes) != 0 {
		t.Fatalf("log4j-core >=2.17.1: %+v", got.Packages)
	}
	if r := e.query(readTok, `{ packages(filter: {versionRange: "<"}) { totalCount } }`, nil); r.code() != api.CodeBadUserInput {
		t.Errorf("bad range: %s", r.code())
	}
	// an image with its own packages
	img := graph.ImageID("registry.example/tools/migrator:1")
	lodash := graph.PackageID("pkg:npm/lodash@4.17.20")
	if _, err := e.store.Apply(context.Background(), graph.Batch{Scope: graph.Scope{Source: "t", Key: "k"}, Run: "1",
		Nodes: []graph.Node{{ID: img, Kind: graph.Image, Name: "registry.example/tools/migrator:1"}},
		Edges: []graph.Edge{graph.NewEdge(graph.DependsOn, img, lodash)}}); err != nil {
		t.Fatal(err)
	}
	e.ok(`{ packages(filter: {name: "lodash", versionRange: ">=4.0.0,<4.17.21"}) { nodes { version dependents { nodes { name } } dependentImages { name } } } }`, nil, &got)
	if len(got.Packages.Nodes) != 1 {
		t.Fatalf("lodash: %+v", got.Packages)
	}
	var imgs []string
	for _, i := range got.Packages.Nodes[0].DependentImages {
		imgs = append(imgs, i.Name)
	}
	if !slices.Equal(imgs, []string{"registry.example/tools/migrator:1"}) {
		t.Errorf("lodash images %v", imgs)
	}
}
