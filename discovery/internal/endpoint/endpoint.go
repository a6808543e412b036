// Package endpoint recognises what configuration values connect to: an
// environment variable or property holding postgres://orders-db:5432/x names
// a database, https://api.stripe.com/v1 a third party. The Kubernetes
// resolver and the Spring agent read values with it.
package endpoint

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// internalSuffixes are hosts that are never third parties: the cloud's own
// service endpoints and cluster- or VPC-internal names.
var internalSuffixes = []string{".amazonaws.com", ".amazonaws.com.cn", ".internal", ".local", ".localhost",
	".svc", ".cluster.local", ".consul", ".lan", ".home.arpa", ".example", ".example.com", ".example.org", ".test", ".invalid"}

// ThirdParty returns the host of an http(s)/ws(s) URL in value when it
// names an external host: a DNS name with a dot, not an IP address, not
// localhost, not an AWS service endpoint or an internal domain, and with
// no unresolved part ("{{", "${").
func ThirdParty(value string) (string, bool) {
	v := strings.TrimSpace(value)
	if strings.Contains(v, "{{") || strings.Contains(v, "${") {
		return "", false
	}
	u, err := url.Parse(v)
	if err != nil {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "ws", "wss":
	default:
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	if host == "" || !strings.Contains(host, ".") || net.ParseIP(host) != nil || host == "localhost" {
		return "", false
	}
	for _, s := range internalSuffixes {
		if strings.HasSuffix(host, s) || host == strings.TrimPrefix(s, ".") {
			return "", false
		}
	}
	return host, true
}

// SecretName reports whether an environment variable, property or
// attribute name says its value is a credential (so a literal value there
// is a plaintext secret): agents fingerprint such values and never pass
// them on.
func SecretName(name string) bool { return secretName.MatchString(name) }

var secretName = regexp.MustCompile(`(?i)(SECRET|PASSWORD|PASSWD|TOKEN|ACCESS_?KEY|API_?KEY|PRIVATE_?KEY|CREDENTIAL)`)

// Fingerprint identifies a secret value without keeping it
// ("hmac-sha256:…"), the same way in every agent, so one credential reused
// by two workloads (a manifest and a Lambda function) can be matched. It is
// keyed (SetFingerprintKey): a plain digest of a weak password is that
// password to anyone with a word list, and fingerprints are readable by
// every reader of the graph.
func Fingerprint(v string) string {
	h := NewFingerprintHash()
	h.Write([]byte(v))
	return FingerprintPrefix + hex.EncodeToString(h.Sum(nil))
}

// FingerprintPrefix starts every fingerprint.
const FingerprintPrefix = "hmac-sha256:"

// NewFingerprintHash is the keyed hash fingerprints are made with (for
// agents that fingerprint several values as one, like a Secret's keys and
// values).
func NewFingerprintHash() hash.Hash { return hmac.New(sha256.New, fingerprintKey()) }

var (
	fpKey     atomic.Pointer[[]byte]
	fpKeyOnce sync.Once
)

// SetFingerprintKey sets the key of every fingerprint made after it. The
// CLI sets the estate's key before discovery runs; fingerprints only match
// between runs made with one key.
func SetFingerprintKey(k []byte) {
	k = slices.Clone(k)
	fpKey.Store(&k)
}

// fingerprintKey is the key set, or else one made for this process alone
// (library use and tests: fingerprints then match within the process).
func fingerprintKey() []byte {
	fpKeyOnce.Do(func() {
		if fpKey.Load() != nil {
			return
		}
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		fpKey.CompareAndSwap(nil, &k)
	})
	return *fpKey.Load()
}
