package graph

import "strings"

// Natural keys. Every agent derives ids through these helpers, so that the
// same service found in a Kubernetes manifest, an OpenAPI spec and a trace
// is one node. Names are compared case-insensitively.

func norm(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ApplicationID is the id of an application (a business system).
func ApplicationID(name string) ID { return NodeID(Application, norm(name)) }

// ServiceID is the id of a workload named name in environment env.
func ServiceID(env, name string) ID { return NodeID(Service, norm(env), norm(name)) }

// APIID is the id of operation method path exposed by service.
func APIID(service ID, method, path string) ID {
	return NodeID(API, string(service), strings.ToUpper(strings.TrimSpace(method)), strings.TrimSpace(path))
}

// GatewayID is the id of an ingress, load balancer or API gateway.
func GatewayID(env, name string) ID { return NodeID(Gateway, norm(env), norm(name)) }

// DataStoreID is the id of a database, table, bucket, cache or queue.
func DataStoreID(env, name string) ID { return NodeID(DataStore, norm(env), norm(name)) }

// PackageID is the id of a package version, keyed by its purl.
func PackageID(purl string) ID { return NodeID(Package, strings.TrimSpace(purl)) }

// VulnerabilityID is the id of an advisory (CVE, GHSA, OSV id).
func VulnerabilityID(advisory string) ID {
	return NodeID(Vulnerability, strings.ToUpper(strings.TrimSpace(advisory)))
}

// FindingID is the id of a finding with the given stable fingerprint.
func FindingID(fingerprint string) ID { return NodeID(Finding, fingerprint) }

// IdentityID is the id of an IAM role, service account or credential.
func IdentityID(provider, name string) ID {
	return NodeID(Identity, norm(provider), strings.TrimSpace(name))
}

// ThirdPartyID is the id of an external host or SaaS.
func ThirdPartyID(host string) ID { return NodeID(ThirdParty, norm(host)) }

// RepositoryID is the id of a source repository (its URL or path).
func RepositoryID(url string) ID { return NodeID(Repository, norm(url)) }

// ImageID is the id of a container image reference or digest.
func ImageID(ref string) ID { return NodeID(Image, strings.TrimSpace(ref)) }

// TeamID is the id of a team.
func TeamID(name string) ID { return NodeID(Team, norm(name)) }
