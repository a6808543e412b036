package discovery

import "github.com/riskgraph/riskgraph/discovery/internal/endpoint"

// SetFingerprintKey sets the key every agent fingerprints secret values
// with (a keyed SHA-256 HMAC: fingerprints are readable by every reader of
// the graph, and a plain digest of a weak password gives the password
// away). Fingerprints only match between runs made with one key; the CLI
// keeps one per estate.
func SetFingerprintKey(k []byte) { endpoint.SetFingerprintKey(k) }
