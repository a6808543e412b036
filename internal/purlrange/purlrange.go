// Package purlrange matches package URLs against a package and a version
// range: "pkg:maven/org.apache.logging.log4j/log4j-core@<2.17.1",
// "pkg:npm/lodash@>=4.0.0,<4.17.21", "pkg:pypi/django@<3.2.14|>=4.0,<4.0.6",
// or a vers range after the @ ("vers:maven/>=2.0.0|<2.17.1" style is
// accepted as the same constraint list). Without a version every version
// matches; a bare version matches exactly.
//
// Versions are compared the way the common ecosystems order them (see
// Compare): numerically by component, pre-releases (alpha, beta, milestone,
// rc, snapshot, and any other "-word" suffix) before the release, a Go
// "v" prefix and "+incompatible" or build metadata ignored. It is one
// ordering for all ecosystems, not each ecosystem's exact rules; the cases
// that matter for advisories (Maven, npm, PyPI, Go, Cargo, RubyGems
// numeric versions and their usual pre-release tags) come out right.
package purlrange

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// Range is a package and a set of versions.
type Range struct {
	Type, Namespace, Name string
	// Any of these alternatives (each an AND of constraints) matches; none
	// means every version.
	alts [][]constraint
	text string
}

type constraint struct {
	op      string // = != < <= > >=
	version string
}

func (r Range) String() string { return r.text }

// Parse reads pkg:TYPE/NAMESPACE/NAME[@RANGE].
func Parse(s string) (Range, error) {
	s = strings.TrimSpace(s)
	r := Range{text: s}
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		return r, fmt.Errorf("%q: want a package URL, pkg:TYPE/[NAMESPACE/]NAME[@VERSION-RANGE]", s)
	}
	typ, path, ok := strings.Cut(rest, "/")
	if !ok || typ == "" || path == "" {
		return r, fmt.Errorf("%q: want pkg:TYPE/[NAMESPACE/]NAME[@VERSION-RANGE]", s)
	}
	r.Type = strings.ToLower(typ)
	if i := strings.IndexAny(path, "?#"); i >= 0 && !strings.Contains(path[:i], "@") {
		path = path[:i]
	}
	// an npm scope may be written @scope: the version @ comes after a /
	start := 0
	if strings.HasPrefix(path, "@") {
		start = strings.Index(path, "/") + 1
	}
	vr := ""
	if i := strings.Index(path[start:], "@"); i >= 0 {
		path, vr = path[:start+i], path[start+i+1:]
	}
	if i := strings.IndexAny(vr, "?#"); i >= 0 {
		vr = vr[:i]
	}
	path = strings.Trim(path, "/")
	if i := strings.LastIndex(path, "/"); i >= 0 {
		r.Namespace, r.Name = unescape(path[:i]), unescape(path[i+1:])
	} else {
		r.Name = unescape(path)
	}
	if r.Name == "" {
		return r, fmt.Errorf("%q: no package name", s)
	}
	vr = strings.TrimSpace(vr)
	if v, ok := strings.CutPrefix(vr, "vers:"); ok {
		_, vr, _ = strings.Cut(v, "/")
	}
	if vr == "" || vr == "*" {
		return r, nil
	}
	for _, alt := range strings.Split(vr, "|") {
		var and []constraint
		for _, c := range strings.Split(alt, ",") {
			c = strings.TrimSpace(c)
			if c == "" {
				continue
			}
			op := "="
			for _, o := range []string{">=", "<=", "!=", "==", ">", "<", "="} {
				if strings.HasPrefix(c, o) {
					op, c = o, strings.TrimSpace(c[len(o):])
					break
				}
			}
			if op == "==" {
				op = "="
			}
			if c == "" {
				return r, fmt.Errorf("%q: constraint %q has no version", s, op)
			}
			and = append(and, constraint{op, unescape(c)})
		}
		if len(and) == 0 {
			return r, fmt.Errorf("%q: empty version constraint in %q", s, vr)
		}
		r.alts = append(r.alts, and)
	}
	return r, nil
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// Package reports whether purl names the range's package (any version).
func (r Range) Package(purl string) bool {
	typ, ns, name, _, ok := split(purl)
	if !ok || typ != r.Type {
		return false
	}
	return normName(typ, ns) == normName(typ, r.Namespace) && normName(typ, name) == normName(typ, r.Name)
}

// Match reports whether purl is the range's package at a version in range.
func (r Range) Match(purl string) bool {
	if !r.Package(purl) {
		return false
	}
	_, _, _, version, _ := split(purl)
	return r.Version(version)
}

// Version reports whether version is in the range.
func (r Range) Version(version string) bool {
	if len(r.alts) == 0 {
		return true
	}
	if version == "" {
		return false
	}
	for _, and := range r.alts {
		ok := true
		for _, c := range and {
			x := Compare(version, c.version)
			switch c.op {
			case "=":
				ok = x == 0
			case "!=":
				ok = x != 0
			case "<":
				ok = x < 0
			case "<=":
				ok = x <= 0
			case ">":
				ok = x > 0
			case ">=":
				ok = x >= 0
			}
			if !ok {
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// split cuts a purl into type, namespace, name and version.
func split(purl string) (typ, ns, name, version string, ok bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(purl), "pkg:")
	if !ok {
		return "", "", "", "", false
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	typ, path, ok := strings.Cut(rest, "/")
	if !ok {
		return "", "", "", "", false
	}
	if i := strings.LastIndex(path, "@"); i > strings.LastIndex(path, "/") {
		path, version = path[:i], unescape(path[i+1:])
	}
	if i := strings.LastIndex(path, "/"); i >= 0 {
		ns, name = unescape(path[:i]), unescape(path[i+1:])
	} else {
		name = unescape(path)
	}
	return strings.ToLower(typ), ns, name, version, true
}

// normName compares names the way the purl spec says each type does:
// case-insensitively where the ecosystem is (and everywhere else too: no
// registry hands out names differing in case only), PyPI with -, _ and .
// equivalent.
func normName(typ, s string) string {
	s = strings.ToLower(s)
	if typ == "pypi" {
		s = strings.NewReplacer("_", "-", ".", "-").Replace(s)
	}
	return s
}

// Compare orders two versions: -1, 0 or +1.
func Compare(a, b string) int {
	ta, tb := tokens(a), tokens(b)
	for i := 0; i < len(ta) || i < len(tb); i++ {
		var x, y token
		if i < len(ta) {
			x = ta[i]
		} else {
			x = padding(tb[i])
		}
		if i < len(tb) {
			y = tb[i]
		} else {
			y = padding(ta[i])
		}
		if c := x.cmp(y); c != 0 {
			return c
		}
	}
	return 0
}

// token is a version component: a number, or a qualifier with its rank.
type token struct {
	num  bool
	n    uint64
	rank int // qualifiers: pre-releases < 0 < post-releases
	s    string
}

// Qualifier ranks: pre-releases below the release (0), post-releases above.
var qualifiers = map[string]int{
	"dev": -7, "snapshot": -6, "alpha": -5, "a": -5, "beta": -4, "b": -4,
	"milestone": -3, "m": -3, "pre": -2, "preview": -2, "rc": -1, "cr": -1, "c": -1,
	"ga": 0, "final": 0, "release": 0, "r": 0,
	"sp": 1, "post": 2, "patch": 2, "p": 2,
}

func (x token) cmp(y token) int {
	switch {
	case x.num && y.num:
		switch {
		case x.n < y.n:
			return -1
		case x.n > y.n:
			return 1
		}
		return 0
	case x.num: // 1.0.1 > 1.0-rc1, 1.0.1 > 1.0-sp1
		return 1
	case y.num:
		return -y.cmp(x)
	}
	if x.rank != y.rank {
		if x.rank < y.rank {
			return -1
		}
		return 1
	}
	return strings.Compare(x.s, y.s)
}

// padding is what a shorter version is taken to have where a longer one
// has t: zero against a number, "the release" against a qualifier.
func padding(t token) token {
	if t.num {
		return token{num: true}
	}
	return token{}
}

func tokens(v string) []token {
	v = strings.ToLower(strings.TrimSpace(v))
	v = strings.TrimPrefix(v, "v")
	if i := strings.IndexByte(v, '+'); i >= 0 { // build metadata, +incompatible
		v = v[:i]
	}
	var out []token
	cur := []rune{}
	flush := func() {
		if len(cur) == 0 {
			return
		}
		s := string(cur)
		cur = cur[:0]
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			out = append(out, token{num: true, n: n})
			return
		}
		rank, ok := qualifiers[s]
		if !ok {
			rank = -1 // an unknown "-word" is a pre-release tag (semver)
		}
		out = append(out, token{rank: rank, s: s})
	}
	prevDigit := false
	for i, r := range v {
		switch {
		case r == '.' || r == '-' || r == '_' || r == '~':
			flush()
		case i > 0 && len(cur) > 0 && unicode.IsDigit(r) != prevDigit:
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
		prevDigit = unicode.IsDigit(r)
	}
	flush()
	// trailing zeros and release markers do not make a version newer
	for len(out) > 1 {
		t := out[len(out)-1]
		if (t.num && t.n == 0) || (!t.num && t.rank == 0) {
			out = out[:len(out)-1]
			continue
		}
		break
	}
	return out
}
