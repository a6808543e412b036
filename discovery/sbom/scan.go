package sbom

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/anchore/syft/syft"
	"github.com/anchore/syft/syft/cataloging"
	"github.com/anchore/syft/syft/cataloging/pkgcataloging"
	"github.com/anchore/syft/syft/pkg/cataloger/golang"
	"github.com/anchore/syft/syft/source"
	// syft refuses to catalog without a registered sqlite driver (RPM databases)
	_ "modernc.org/sqlite"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

// manifests are the file names that make a directory a source tree worth
// cataloging (exact names; suffixes below).
var manifests = map[string]bool{
	"go.mod": true, "go.sum": true,
	"package.json": true, "package-lock.json": true, "npm-shrinkwrap.json": true, "yarn.lock": true, "pnpm-lock.yaml": true,
	"requirements.txt": true, "Pipfile.lock": true, "poetry.lock": true, "pyproject.toml": true, "setup.py": true, "uv.lock": true,
	"pom.xml": true, "build.gradle": true, "build.gradle.kts": true, "gradle.lockfile": true,
	"packages.lock.json": true, "packages.config": true,
	"Gemfile.lock": true, "Cargo.lock": true,
}

var manifestSuffixes = []string{".csproj", ".deps.json", ".gemspec", "requirements.txt"}

// skipDirs are directories that hold installed or vendored copies, not a
// service's own manifest.
var skipDirs = map[string]bool{"node_modules": true, "vendor": true, ".git": true, "target": true,
	"dist": true, "build": true, "__pycache__": true, ".venv": true, "venv": true, "bin": true, "obj": true}

// DirAgent runs syft over source trees and OCI image layouts.
type DirAgent struct{}

// Name implements discovery.DirAgent.
func (DirAgent) Name() string { return AgentName }

// DetectDir reports whether dir holds a package manifest or lock file of a
// supported ecosystem, or is an OCI image layout.
func (DirAgent) DetectDir(dir string) bool {
	for _, part := range strings.Split(filepath.ToSlash(dir), "/") {
		if skipDirs[part] {
			return false
		}
	}
	if isOCILayout(dir) {
		return true
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if !e.IsDir() && isManifest(e.Name()) {
			return true
		}
	}
	return false
}

func isManifest(name string) bool {
	if manifests[name] {
		return true
	}
	for _, s := range manifestSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

func isOCILayout(dir string) bool {
	_, err1 := os.Stat(filepath.Join(dir, "oci-layout"))
	_, err2 := os.Stat(filepath.Join(dir, "index.json"))
	return err1 == nil && err2 == nil
}

// ReadDir catalogs dir. A source tree is cataloged without its
// subdirectories (each one with a manifest is offered on its own, so a
// monorepo's services do not all land on the root).
func (DirAgent) ReadDir(ctx context.Context, dir, rel string, c *discovery.Collector) error {
	rel = filepath.ToSlash(rel)
	if rel == "" {
		rel = "."
	}
	if isOCILayout(dir) {
		ref := ociRefName(dir)
		if ref == "" {
			ref = path.Base(rel)
		}
		// The provider is chosen by name; syft's providers take the bare
		// path (its CLI strips an "oci-dir:" scheme before calling them).
		s, err := Scan(ctx, dir, "oci-dir", nil)
		if err != nil {
			return errorf(rel, err, "syft could not catalog the OCI layout: %v", err)
		}
		p := FromSyft(s, "")
		Emit(c, p, imageAnchor(ref, rel), graph.Source{Agent: AgentName, File: rel, Detail: "syft: OCI image layout"})
		return nil
	}
	exclude := []string{"./*/*/**", "./*/*"}
	for _, big := range oversized(dir) {
		// A lock file this large is generated junk or an attack on the
		// parser more often than a real build: reported, not cataloged,
		// and the rest of the tree still is.
		c.AddError(discovery.Errorf(path.Join(rel, big.name), 0, "lock file of %d MiB is over the %d MiB limit; not cataloged", big.size>>20, MaxManifestSize>>20))
		exclude = append(exclude, "./"+big.name)
	}
	s, err := Scan(ctx, dir, "dir", exclude)
	if err != nil {
		return errorf(rel, err, "syft could not catalog the directory: %v", err)
	}
	p := FromSyft(s, "")
	if len(p.Packages) == 0 {
		return nil
	}
	name := path.Base(rel)
	if rel == "." {
		name = filepath.Base(dir)
	}
	a := repoAnchor(gitRemote(dir), rel, name)
	Emit(c, p, a, graph.Source{Agent: AgentName, File: rel, Detail: "syft: source tree"})
	return nil
}

// MaxManifestSize is the largest manifest or lock file cataloged.
const MaxManifestSize = 64 << 20

type sizedFile struct {
	name string
	size int64
}

// oversized lists dir's manifests and lock files above MaxManifestSize.
func oversized(dir string) []sizedFile {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []sizedFile
	for _, e := range ents {
		if e.IsDir() || !isManifest(e.Name()) {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.Size() > MaxManifestSize {
			out = append(out, sizedFile{e.Name(), fi.Size()})
		}
	}
	return out
}

// ociRefName is the image reference an OCI layout's index names
// (org.opencontainers.image.ref.name, or the full reference containerd writes).
func ociRefName(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		return ""
	}
	var idx struct {
		Manifests []struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if json.Unmarshal(data, &idx) != nil {
		return ""
	}
	for _, m := range idx.Manifests {
		if r := m.Annotations["io.containerd.image.name"]; r != "" {
			return r
		}
		if r := m.Annotations["org.opencontainers.image.ref.name"]; r != "" {
			return r
		}
	}
	return ""
}

// gitRemote returns the origin URL in dir/.git/config, if dir is a
// repository root.
func gitRemote(dir string) string {
	f, err := os.Open(filepath.Join(dir, ".git", "config"))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	inOrigin := false
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "[") {
			inOrigin = l == `[remote "origin"]`
			continue
		}
		if k, v, ok := strings.Cut(l, "="); ok && inOrigin && strings.TrimSpace(k) == "url" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

var (
	scannerOnce sync.Once
	scannerCtx  context.Context
	scannerErr  error
)

// licenseValues carries syft's license scanner, built once: building it
// costs ~2 s, which every scan would otherwise pay.
type licenseValues struct {
	context.Context
	scanner context.Context
}

func (c licenseValues) Value(k any) any {
	if v := c.Context.Value(k); v != nil {
		return v
	}
	return c.scanner.Value(k)
}

// Scan runs syft's catalogers over input (a directory or an OCI layout's
// path) with the named source provider ("dir", "oci-dir"). exclude lists syft exclusion globs. No
// network is used: Go licenses are not fetched, `go list` is not run.
func Scan(ctx context.Context, input, provider string, exclude []string) (*syftSBOM, error) {
	scannerOnce.Do(func() {
		scannerCtx, scannerErr = syft.SetContextLicenseScanner(context.Background(), cataloging.DefaultLicenseConfig())
	})
	if scannerErr != nil {
		return nil, scannerErr
	}
	ctx = licenseValues{Context: ctx, scanner: scannerCtx}
	gcfg := syft.DefaultGetSourceConfig().WithSources(provider)
	if len(exclude) > 0 {
		gcfg = gcfg.WithExcludeConfig(source.ExcludeConfig{Paths: exclude})
	}
	src, err := syft.GetSource(ctx, input, gcfg)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	pcfg := pkgcataloging.DefaultConfig().WithGolangConfig(golang.DefaultCatalogerConfig().
		WithUsePackagesLib(false).WithSearchRemoteLicenses(false).WithSearchLocalModCacheLicenses(false))
	cfg := syft.DefaultCreateSBOMConfig().WithPackagesConfig(pcfg).WithoutFiles().WithParallelism(2)
	return syft.CreateSBOM(ctx, src, cfg)
}
