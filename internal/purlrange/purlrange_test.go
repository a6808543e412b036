package purlrange

import "testing"

func TestCompare(t *testing.T) {
	ordered := [][]string{
		{"2.0-beta9", "2.0-rc1", "2.0", "2.0.1", "2.14.1", "2.16.0", "2.17.0", "2.17.1", "2.17.2", "2.18.0"}, // log4j
		{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "1.10.0"},    // semver
		{"v0.7.0", "v0.17.0", "v1.9.1", "v1.10.0", "v2.0.0+incompatible"},                                    // Go
		{"2.9.10", "2.9.10.1", "2.9.10.8", "2.10.0"},                                                         // jackson
		{"1.0.0-SNAPSHOT", "1.0.0", "1.0.0-sp1", "1.0.1"},                                                    // Maven qualifiers
		{"3.2.12", "3.2.14", "4.0", "4.0.6", "2022.9.24"},                                                    // PyPI
	}
	for _, seq := range ordered {
		for i := range seq {
			for j := range seq {
				want := 0
				if i < j {
					want = -1
				} else if i > j {
					want = 1
				}
				if got := Compare(seq[i], seq[j]); got != want {
					t.Errorf("Compare(%s, %s) = %d, want %d", seq[i], seq[j], got, want)
				}
			}
		}
	}
	for _, eq := range [][2]string{{"1.0", "1.0.0"}, {"v1.2.3", "1.2.3"}, {"2.0.0+incompatible", "2.0.0"}, {"1.0-final", "1.0"}, {"1.0.0.RELEASE", "1.0.0"}} {
		if Compare(eq[0], eq[1]) != 0 {
			t.Errorf("%s != %s", eq[0], eq[1])
		}
	}
}

func TestMatch(t *testing.T) {
	cases := []struct {
		rng  string
		purl string
		want bool
	}{
		{"pkg:maven/org.apache.logging.log4j/log4j-core@<2.17.1", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", true},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@<2.17.1", "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", false},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@<2.17.1", "pkg:maven/org.apache.logging.log4j/log4j-core@2.0-beta9?type=jar", true},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@<2.17.1", "pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1", false},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@<2.17.1", "pkg:npm/log4j-core@1.0.0", false},
		{"pkg:maven/org.apache.logging.log4j/log4j-core", "pkg:maven/org.apache.logging.log4j/log4j-core@2.20.0", true},
		{"pkg:npm/lodash@>=4.0.0,<4.17.21", "pkg:npm/lodash@4.17.20", true},
		{"pkg:npm/lodash@>=4.0.0,<4.17.21", "pkg:npm/lodash@3.10.1", false},
		{"pkg:npm/@babel/traverse@<7.23.2", "pkg:npm/%40babel/traverse@7.22.0", true},
		{"pkg:pypi/Django@<3.2.14|>=4.0,<4.0.6", "pkg:pypi/django@4.0.2", true},
		{"pkg:pypi/Django@<3.2.14|>=4.0,<4.0.6", "pkg:pypi/django@3.2.15", false},
		{"pkg:pypi/PyYAML@<5.4", "pkg:pypi/pyyaml@5.3.1", true},
		{"pkg:golang/golang.org/x/net@<0.17.0", "pkg:golang/golang.org/x/net@v0.7.0", true},
		{"pkg:golang/golang.org/x/net@vers:golang/>=v0.8.0|<v0.1.0", "pkg:golang/golang.org/x/net@v0.7.0", false},
		{"pkg:npm/qs@6.7.0", "pkg:npm/qs@6.7.0", true},
		{"pkg:npm/qs@!=6.7.0", "pkg:npm/qs@6.7.0", false},
	}
	for _, c := range cases {
		r, err := Parse(c.rng)
		if err != nil {
			t.Fatalf("%s: %v", c.rng, err)
		}
		if got := r.Match(c.purl); got != c.want {
			t.Errorf("%s matches %s = %v, want %v", c.rng, c.purl, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{"log4j-core", "pkg:maven", "pkg:npm/lodash@<", "pkg:npm/lodash@>=1,,|"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("%q parsed", s)
		}
	}
}
