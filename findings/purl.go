package findings

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// caseInsensitive lists the purl types whose namespace and name compare
// case-insensitively (the purl spec lower-cases them).
var caseInsensitive = map[string]bool{
	"npm": true, "pypi": true, "composer": true, "nuget": true, "deb": true, "apk": true,
	"github": true, "bitbucket": true, "hex": true, "alpm": true, "golang": false,
}

var (
	pypiSep     = regexp.MustCompile(`[-_.]+`)
	escapes     = []string{"%", "%25", "/", "%2F", "?", "%3F", "#", "%23", " ", "%20", "\t", "%09", "\n", "%0A", "\v", "%0B", "\f", "%0C", "\r", "%0D"}
	segEscaper  = strings.NewReplacer(escapes...)
	nameEscaper = strings.NewReplacer(append(escapes, "@", "%40")...)
)

// NormalizePurl returns the form of a package URL used for matching:
// "pkg:type/namespace/name@version" with the type lower case, namespace and
// name lower case for case-insensitive ecosystems (PEP 503 names for pypi),
// percent-encoding decoded (so "%40scope" and "@scope", "1.0%2Bdfsg" and
// "1.0+dfsg" match), qualifiers and subpath dropped, and a Go
// "+incompatible" version suffix dropped. A string that is not a purl is
// returned trimmed.
func NormalizePurl(p string) string {
	if n, ok := normCache.Load(p); ok {
		return n.(string)
	}
	n := normalizePurl(p)
	if normCacheSize.Add(1) < maxNormCache {
		normCache.Store(p, n)
	}
	return n
}

// A report names the same package once per advisory; normalising each
// purl once is a measurable part of importing 100k findings.
var (
	normCache     sync.Map
	normCacheSize atomic.Int64
)

const maxNormCache = 1 << 18

func normalizePurl(p string) string {
	p = strings.TrimSpace(p)
	if len(p) < 4 || !strings.EqualFold(p[:4], "pkg:") {
		return p
	}
	rest := p[4:]
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	rest = strings.TrimRight(strings.TrimLeft(rest, "/"+asciiSpace), asciiSpace)
	typ, path, _ := strings.Cut(rest, "/")
	typ = strings.ToLower(typ)
	version := ""
	if i := strings.LastIndexByte(path, '@'); i > 0 && i > strings.LastIndexByte(path, '/') {
		path, version = path[:i], path[i+1:]
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if d, err := url.PathUnescape(s); err == nil {
			s = d
		}
		if caseInsensitive[typ] {
			s = strings.ToLower(s)
		}
		segs[i] = s
	}
	last := len(segs) - 1
	if typ == "pypi" && len(segs) > 0 {
		segs[len(segs)-1] = pypiSep.ReplaceAllString(segs[len(segs)-1], "-")
	}
	if d, err := url.PathUnescape(version); err == nil {
		version = d
	}
	if typ == "golang" {
		version = strings.TrimSuffix(version, "+incompatible")
		if version != "" && version[0] >= '0' && version[0] <= '9' {
			version = "v" + version
		}
	}
	// Characters that decoding may have produced and that would change how
	// the result splits are encoded again, so that normalising is idempotent.
	for i := range segs {
		if i == last {
			segs[i] = nameEscaper.Replace(segs[i])
		} else {
			segs[i] = segEscaper.Replace(segs[i])
		}
	}
	out := "pkg:" + typ + "/" + strings.Join(segs, "/")
	if version != "" {
		out += "@" + nameEscaper.Replace(version)
	}
	return out
}

// purlFor builds a purl for a package a scanner named without one (older
// Trivy): the scanner's package type is mapped to the purl type.
func purlFor(scannerType, name, version string) string {
	typ := ""
	ns := ""
	switch strings.ToLower(scannerType) {
	case "debian", "ubuntu":
		typ, ns = "deb", strings.ToLower(scannerType)
	case "alpine", "wolfi", "chainguard":
		typ, ns = "apk", strings.ToLower(scannerType)
	case "redhat", "centos", "rocky", "alma", "amazon", "oracle", "fedora", "photon", "suse", "opensuse", "cbl-mariner":
		typ, ns = "rpm", strings.ToLower(scannerType)
	case "pip", "pipenv", "poetry", "python-pkg", "uv":
		typ = "pypi"
	case "npm", "yarn", "pnpm", "node-pkg", "bun":
		typ = "npm"
	case "gomod", "gobinary", "go-module":
		typ = "golang"
	case "jar", "pom", "gradle", "maven", "sbt":
		typ = "maven"
		if g, a, ok := strings.Cut(name, ":"); ok {
			ns, name = g, a
		}
	case "cargo", "rust-binary", "rust-crate":
		typ = "cargo"
	case "composer", "composer-vendor", "php-composer":
		typ = "composer"
	case "nuget", "dotnet-core", "packages-props":
		typ = "nuget"
	case "bundler", "gemspec", "gem":
		typ = "gem"
	case "conan":
		typ = "conan"
	case "hex", "mix":
		typ = "hex"
	case "pub":
		typ = "pub"
	case "swift", "cocoapods":
		typ = "swift"
	default:
		return ""
	}
	if typ == "npm" || typ == "composer" || typ == "golang" {
		if i := strings.LastIndexByte(name, '/'); i > 0 {
			ns, name = name[:i], name[i+1:]
		}
	}
	p := "pkg:" + typ + "/"
	if ns != "" {
		p += ns + "/"
	}
	return p + name + "@" + version
}

// osvEcosystemType maps an OSV ecosystem name to a purl type.
func osvEcosystemType(eco string) string {
	base, _, _ := strings.Cut(eco, ":")
	switch strings.ToLower(base) {
	case "go":
		return "golang"
	case "npm":
		return "npm"
	case "pypi":
		return "pypi"
	case "maven":
		return "maven"
	case "crates.io":
		return "cargo"
	case "packagist":
		return "composer"
	case "nuget":
		return "nuget"
	case "rubygems":
		return "gem"
	case "hex":
		return "hex"
	case "pub":
		return "pub"
	case "debian", "ubuntu":
		return "deb"
	case "alpine":
		return "apk"
	case "cran":
		return "cran"
	case "swifturl":
		return "swift"
	}
	return strings.ToLower(base)
}

func osvPurl(eco, name, version string) string {
	typ := osvEcosystemType(eco)
	switch typ {
	case "maven":
		return purlFor("maven", name, version)
	case "deb", "apk":
		base, _, _ := strings.Cut(eco, ":")
		return "pkg:" + typ + "/" + strings.ToLower(base) + "/" + name + "@" + version
	case "golang", "npm", "composer":
		return purlFor(map[string]string{"golang": "gomod", "npm": "npm", "composer": "composer"}[typ], name, version)
	}
	return "pkg:" + typ + "/" + name + "@" + version
}

const asciiSpace = " \t\r\n\v\f"

func itoa(i int) string { return strconv.Itoa(i) }
