package findings

import "testing"

func TestNormalizePurl(t *testing.T) {
	cases := []struct{ a, b string }{
		// qualifiers and subpath dropped
		{"pkg:deb/debian/bash@5.0-4?arch=amd64&distro=debian-10", "pkg:deb/debian/bash@5.0-4"},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2?package-id=5f39f8a11642bede", "pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2"},
		{"pkg:golang/github.com/x/y@v1.2.3#sub/dir", "pkg:golang/github.com/x/y@v1.2.3"},
		// percent-encoding: npm scopes and '+' in versions
		{"pkg:npm/%40angular/core@12.0.0", "pkg:npm/@angular/core@12.0.0"},
		{"pkg:deb/debian/tar@1.30%2Bdfsg-6?arch=amd64", "pkg:deb/debian/tar@1.30+dfsg-6"},
		// case: type always, names for case-insensitive ecosystems
		{"PKG:NPM/Lodash@4.17.20", "pkg:npm/lodash@4.17.20"},
		{"pkg:PyPI/Django_Rest.Framework@3.12.0", "pkg:pypi/django-rest-framework@3.12.0"},
		// Go: +incompatible dropped, v prefix kept or added
		{"pkg:golang/github.com/docker/docker@v20.10.7+incompatible", "pkg:golang/github.com/docker/docker@v20.10.7"},
		{"pkg:golang/github.com/docker/docker@20.10.7%2Bincompatible", "pkg:golang/github.com/docker/docker@v20.10.7"},
	}
	for _, c := range cases {
		if got := NormalizePurl(c.a); got != c.b {
			t.Errorf("NormalizePurl(%q) = %q, want %q", c.a, got, c.b)
		}
	}
	// Maven and Go names stay case-sensitive.
	if NormalizePurl("pkg:maven/Org.Foo/Bar@1") == NormalizePurl("pkg:maven/org.foo/bar@1") {
		t.Error("maven names folded")
	}
}

func TestPurlFor(t *testing.T) {
	cases := map[[3]string]string{
		{"debian", "libc-bin", "2.28-10"}:                     "pkg:deb/debian/libc-bin@2.28-10",
		{"pip", "urllib3", "1.26.3"}:                          "pkg:pypi/urllib3@1.26.3",
		{"jar", "org.springframework:spring-beans", "5.3.15"}: "pkg:maven/org.springframework/spring-beans@5.3.15",
		{"npm", "@babel/core", "7.0.0"}:                       "pkg:npm/@babel/core@7.0.0",
		{"gomod", "github.com/gin-gonic/gin", "v1.7.0"}:       "pkg:golang/github.com/gin-gonic/gin@v1.7.0",
		{"unknown-type", "x", "1"}:                            "",
	}
	for in, want := range cases {
		if got := purlFor(in[0], in[1], in[2]); got != want {
			t.Errorf("purlFor%v = %q, want %q", in, got, want)
		}
	}
	if got := osvPurl("Go", "stdlib", "1.24.3"); got != "pkg:golang/stdlib@1.24.3" {
		t.Errorf("osvPurl Go = %q", got)
	}
	if got := osvPurl("Packagist", "guzzlehttp/guzzle", "6.3.3"); got != "pkg:composer/guzzlehttp/guzzle@6.3.3" {
		t.Errorf("osvPurl Packagist = %q", got)
	}
}

func TestCVSS3Score(t *testing.T) {
	cases := map[string]float64{
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H": 9.8,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H": 10.0,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H": 7.5,
		"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:N/A:N": 7.7, // GHSA-25mq-v84q-4j7r
		"CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:C/C:N/I:H/A:N": 6.5, // CVE-2016-2781 per NVD
		"CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:H": 6.6, // CVE-2021-44832
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N": 0,
	}
	for v, want := range cases {
		got, ok := cvss3Score(v)
		if !ok || got != want {
			t.Errorf("cvss3Score(%s) = %v %v, want %v", v, got, ok, want)
		}
	}
	for _, bad := range []string{"AV:N/AC:L/Au:N/C:P/I:P/A:P", "CVSS:3.1/AV:X/AC:L", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"} {
		if _, ok := cvss3Score(bad); ok {
			t.Errorf("cvss3Score(%s) accepted", bad)
		}
	}
}
