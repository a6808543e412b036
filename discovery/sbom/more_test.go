package sbom

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/internal/testcorpus"
)

func scanDir(t *testing.T, dir string) *discovery.Collector {
	t.Helper()
	if !(DirAgent{}).DetectDir(dir) {
		t.Fatalf("%s not detected", dir)
	}
	c := discovery.NewCollector("prod")
	if err := (DirAgent{}).ReadDir(context.Background(), dir, dir, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func distinctPurls(c *discovery.Collector, prefix string) []string {
	var out []string
	for _, p := range purls(c) {
		if strings.HasPrefix(p, prefix) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// TestScanMaven: a pom.xml's artifact and dependencies with a
// property-resolved version, exactly (the test-scoped one too: syft reports
// it, and a vulnerable test dependency is still worth knowing about).
func TestScanMaven(t *testing.T) {
	got := distinctPurls(scanDir(t, "testdata/maven"), "pkg:maven/")
	want := []string{
		"pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.4.2",
		"pkg:maven/com.larkspur/ledger@2.4.0", // the project's own artifact
		"pkg:maven/junit/junit@4.13.2",
		"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("maven purls:\n got  %q\n want %q", got, want)
	}
}

// TestCorpusGoModBuildList: Online Boutique's shippingservice go.mod
// lists its whole build list (direct and indirect requires); the scan
// finds exactly those modules, read independently here.
func TestCorpusGoModBuildList(t *testing.T) {
	dir := filepath.Join(testcorpus.Dir(t), "online-boutique", "src", "shippingservice")
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "require (":
			in = true
		case l == ")":
			in = false
		case in || strings.HasPrefix(l, "require "):
			fs := strings.Fields(strings.TrimPrefix(l, "require "))
			if len(fs) >= 2 {
				want = append(want, "pkg:golang/"+fs[0]+"@"+fs[1])
			}
		}
	}
	slices.Sort(want)
	got := distinctPurls(scanDir(t, dir), "pkg:golang/")
	var deps []string
	for _, p := range got {
		if !strings.Contains(p, "/src/shippingservice") { // the main module itself
			deps = append(deps, p)
		}
	}
	if len(want) < 10 || !slices.Equal(deps, want) {
		t.Fatalf("go modules:\n got  %q\n want %q", deps, want)
	}
}

// TestScanOCILayout builds an Alpine-like image as an OCI layout (images
// cannot be pulled here) and catalogs its installed apk packages, attached
// to the image the index names.
func TestScanOCILayout(t *testing.T) {
	dir := t.TempDir()
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	for name, body := range map[string]string{
		"etc/os-release": "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n",
		"lib/apk/db/installed": "P:musl\nV:1.2.4_git20230717-r4\nA:x86_64\nL:MIT\no:musl\nT:the musl c library\n\n" +
			"P:busybox\nV:1.36.1-r15\nA:x86_64\nL:GPL-2.0-only\no:busybox\nT:Size optimized toolbox\nD:so:libc.musl-x86_64.so.1\n\n",
	} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	blob := func(data []byte) (string, int) {
		sum := sha256.Sum256(data)
		d := "sha256:" + hex.EncodeToString(sum[:])
		os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755)
		if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", hex.EncodeToString(sum[:])), data, 0o644); err != nil {
			t.Fatal(err)
		}
		return d, len(data)
	}
	ld, ls := blob(layer.Bytes())
	cfg, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux", "config": map[string]any{},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{ld}}})
	cd, cs := blob(cfg)
	man, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": ls}}})
	md, ms := blob(man)
	idx, _ := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": []any{map[string]any{
		"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
		"annotations": map[string]string{"org.opencontainers.image.ref.name": "registry.example/shop/api:1.2.3"}}}})
	os.WriteFile(filepath.Join(dir, "index.json"), idx, 0o644)
	os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)

	c := scanDir(t, dir)
	got := distinctPurls(c, "pkg:apk/")
	if len(got) != 2 || !strings.HasPrefix(got[0], "pkg:apk/alpine/busybox@1.36.1-r15") || !strings.HasPrefix(got[1], "pkg:apk/alpine/musl@1.2.4_git20230717-r4") {
		t.Fatalf("apk packages: %q", got)
	}
	img := graph.ImageID("registry.example/shop/api:1.2.3")
	if _, ok := c.Node(img); !ok {
		t.Fatalf("no image node %s; nodes %v", img, c.Nodes(graph.Image))
	}
	deps := 0
	for _, e := range c.Edges(graph.DependsOn) {
		if e.From == img {
			deps++
		}
	}
	if deps < 2 {
		t.Errorf("the image depends on %d packages, want 2", deps)
	}
}

// TestMalformedSBOMs: a broken SBOM is a FileError naming the file, and
// the collector keeps nothing from it.
func TestMalformedSBOMs(t *testing.T) {
	for name, doc := range map[string]string{
		"truncated.cdx.json":  `{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"type": "library", "name": "x"`,
		"wrong-type.cdx.json": `{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": {"name": "x"}}`,
		"truncated.spdx.json": `{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "packages": [`,
	} {
		f := &discovery.File{Path: name, Data: []byte(doc)}
		if !(Agent{}).Detect(f) {
			t.Errorf("%s: not detected as an SBOM", name)
			continue
		}
		c := discovery.NewCollector("prod")
		err := (Agent{}).Read(context.Background(), f, c)
		var fe *discovery.FileError
		if !errors.As(err, &fe) || fe.File != name {
			t.Errorf("%s: want a FileError naming the file, got %v", name, err)
		}
	}
}

// TestOversizedLockFile: a 100 MB lock file is reported with its size and
// left out; the rest of the tree is still cataloged.
func TestOversizedLockFile(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"go.mod", "go.sum"} {
		data, err := os.ReadFile(filepath.Join("testdata", "gomod", name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	big := filepath.Join(dir, "package-lock.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"name": "x", "lockfileVersion": 3, "packages": {`)
	if err := f.Truncate(100 << 20); err != nil { // sparse: no 100 MB written
		t.Fatal(err)
	}
	f.Close()
	c := scanDir(t, dir)
	errs := c.Errors()
	if len(errs) != 1 || !strings.HasSuffix(errs[0].File, "package-lock.json") || !strings.Contains(errs[0].Error(), "100 MiB is over the 64 MiB limit") {
		t.Fatalf("errors: %v", errs)
	}
	if got := distinctPurls(c, "pkg:golang/"); len(got) != 2 {
		t.Errorf("the go.mod beside it was not cataloged: %q", got)
	}
}
