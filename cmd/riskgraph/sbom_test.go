package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/internal/auth"
	"github.com/riskgraph/riskgraph/internal/server"
)

func TestSBOMCommand(t *testing.T) {
	dir := demoDir(t)
	out := filepath.Join(t.TempDir(), "rec.cdx.json")
	if o, err := run(t, "sbom", "--data-dir", dir, "--subject", "prod/recommendation-service", "--format", "cyclonedx-json",
		"-o", out, "--reproducible", "--with-vulnerabilities"); err != nil {
		t.Fatalf("sbom: %v\n%s", err, o)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var bom struct {
		BOMFormat, SpecVersion string
		Metadata               struct{ Component struct{ Name string } }
		Components             []struct{ Purl string }
		Vulnerabilities        []struct {
			ID       string
			Analysis struct{ State string }
		}
	}
	if err := json.Unmarshal(data, &bom); err != nil {
		t.Fatal(err)
	}
	if bom.BOMFormat != "CycloneDX" || bom.SpecVersion != "1.6" || bom.Metadata.Component.Name != "recommendation-service" ||
		len(bom.Components) != 4 || len(bom.Vulnerabilities) != 1 || bom.Vulnerabilities[0].Analysis.State != "exploitable" {
		t.Fatalf("document: %s", data)
	}
	// stdout, byte-identical under --reproducible
	o, err := run(t, "sbom", "--data-dir", dir, "--subject", "prod/recommendation-service", "--reproducible", "--with-vulnerabilities")
	if err != nil || o != string(data) {
		t.Errorf("stdout differs from -o (err %v)", err)
	}
	o, err = run(t, "sbom", "--data-dir", dir, "--subject", "storefront", "--format", "spdx-tag-value")
	if err != nil || !strings.HasPrefix(o, "SPDXVersion: SPDX-2.3") {
		t.Errorf("spdx-tag-value: %v\n%.300s", err, o)
	}
	for _, bad := range [][]string{
		{"sbom", "--data-dir", dir},
		{"sbom", "--data-dir", dir, "--subject", "x", "--search", "pkg:npm/x"},
		{"sbom", "--data-dir", dir, "--subject", "prod/recommendation-service", "--format", "csv"},
		{"sbom", "--data-dir", dir, "--subject", "no-such-thing"},
		{"sbom", "--data-dir", dir, "--subject", "prod/recommendation-service", "--format", "spdx-json", "--with-vulnerabilities"},
		{"sbom", "--data-dir", dir, "--search", "log4j"},
	} {
		if _, err := run(t, bad...); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestSBOMSearchCommand(t *testing.T) {
	dir := demoDir(t)
	o, err := run(t, "sbom", "--data-dir", dir, "--search", "pkg:maven/org.apache.logging.log4j/log4j-core@<2.17.1")
	if err != nil || !strings.Contains(o, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1  service  prod/recommendation-service") {
		t.Fatalf("search: %v\n%s", err, o)
	}
	o, err = run(t, "sbom", "--data-dir", dir, "--search", "pkg:maven/org.apache.logging.log4j/log4j-core@>=2.17.1", "--output", "json")
	if err != nil || strings.TrimSpace(o) != "[]" {
		t.Fatalf("search >=2.17.1: %v\n%s", err, o)
	}
}

// The GraphQL field through the command's hook (query runs the server's
// handler in process).
func TestSBOMGraphQLField(t *testing.T) {
	dir := demoDir(t)
	o, err := run(t, "query", "--data-dir", dir, `query($id: ID!) { sbom(subject: $id, format: SPDX_JSON) { filename contentType components content } }`,
		"--var", "id="+string(graph.ServiceID("prod", "recommendation-service")))
	if err != nil {
		t.Fatalf("%v\n%s", err, o)
	}
	var r struct {
		Data struct {
			Sbom struct {
				Filename, ContentType, Content string
				Components                     int
			}
		}
	}
	if err := json.Unmarshal([]byte(o), &r); err != nil {
		t.Fatal(err)
	}
	s := r.Data.Sbom
	if s.Filename != "prod-recommendation-service.spdx.json" || s.ContentType != "application/spdx+json" || s.Components != 4 ||
		!strings.Contains(s.Content, `"spdxVersion": "SPDX-2.3"`) {
		t.Fatalf("sbom field: %+v", s)
	}
	o, _ = run(t, "query", "--data-dir", dir, `{ sbom(subject: "service:aaaaaaaaaaaaaaaaaaaaaaaa", format: CYCLONEDX_JSON) { content } }`)
	if !strings.Contains(o, "NOT_FOUND") {
		t.Errorf("unknown subject: %s", o)
	}
}

// GET /api/v1/sbom/{id} over loopback: with a token, without one, and on a
// loopback server without tokens (everyone is admin there).
func TestSBOMEndpoint(t *testing.T) {
	dir := demoDir(t)
	st, err := memdb.Open(dir, memdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g := &globals{logger: slog.New(slog.DiscardHandler)}
	serve := func(a *auth.Authenticator) string {
		srv := server.New(st, server.Options{Auth: a})
		if err := mountSBOM(g, st, srv, mountOptions{}); err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv.Handler())
		t.Cleanup(hs.Close)
		return hs.URL
	}
	toks, _ := auth.ParseEnv("read-token-0123456789abcdef:read")
	withTokens := serve(&auth.Authenticator{Tokens: toks})
	open := serve(&auth.Authenticator{Tokens: &auth.Tokens{}, Anonymous: auth.Admin})
	rec := string(graph.ServiceID("prod", "recommendation-service"))
	get := func(base, path, token string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, body := get(withTokens, "/api/v1/sbom/"+rec+"?format=cyclonedx-xml@1.5&vulnerabilities=true", "read-token-0123456789abcdef")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.cyclonedx+xml; version=1.5" ||
		!bytes.Contains(body, []byte(`xmlns="http://cyclonedx.org/schema/bom/1.5"`)) || !bytes.Contains(body, []byte("<state>exploitable</state>")) {
		t.Fatalf("GET with read token: %d %v\n%.400s", resp.StatusCode, resp.Header, body)
	}
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	if err != nil || params["filename"] != "prod-recommendation-service.cdx.xml" {
		t.Errorf("Content-Disposition %q", resp.Header.Get("Content-Disposition"))
	}
	if resp, _ := get(withTokens, "/api/v1/sbom/"+rec, ""); resp.StatusCode != 401 {
		t.Errorf("without a token: %d", resp.StatusCode)
	}
	if resp, _ := get(withTokens, "/api/v1/sbom/"+rec, "wrong-token"); resp.StatusCode != 401 {
		t.Errorf("bad token: %d", resp.StatusCode)
	}
	resp, body = get(open, "/api/v1/sbom/"+rec, "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.cyclonedx+json; version=1.6" || !bytes.Contains(body, []byte(`"bomFormat": "CycloneDX"`)) {
		t.Errorf("open loopback server: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for path, want := range map[string]int{
		"/api/v1/sbom/service:aaaaaaaaaaaaaaaaaaaaaaaa":                     404,
		"/api/v1/sbom/" + rec + "?format=pdf":                               400,
		"/api/v1/sbom/" + rec + "?format=spdx-json&vulnerabilities=true":    400,
		"/api/v1/sbom/" + rec + "?reproducible=maybe":                       400,
		"/api/v1/sbom/" + string(graph.PackageID("pkg:npm/lodash@4.17.20")): 400,
	} {
		if resp, body := get(open, path, ""); resp.StatusCode != want || !bytes.Contains(body, []byte(`"code"`)) {
			t.Errorf("%s: %d, want %d: %s", path, resp.StatusCode, want, body)
		}
	}
}
