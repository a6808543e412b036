// Package findings imports what security scanners already found (SARIF 2.1.0
// from any tool, Grype JSON, Trivy JSON, OSV-Scanner JSON, CycloneDX
// documents with vulnerabilities and VEX analysis), collapses duplicates, pins
// every finding to the node of the graph it is about, and keeps its
// lifecycle (open, fixed, accepted, false_positive) with a history that MTTR
// is computed from. Scanning stays with the scanners; this package governs
// their output.
//
// # Conventions written (shared with scoring and the GraphQL API)
//
//   - Vulnerability node: id graph.VulnerabilityID(primary advisory id; the
//     CVE when there is one), name = that id, props: cvss (float64, base
//     score, v3.x or v4), cvssVector (string), severity (lower case:
//     critical|high|medium|low|info), aliases ([]string: GHSA/OSV/CVE ids),
//     summary, kev (bool, listed in CISA KEV), kevDateAdded (string), epss
//     (float64 probability 0..1), epssPercentile (float64).
//     Package -AFFECTED_BY-> Vulnerability.
//   - Finding node: id graph.FindingID(fingerprint), name = short title, Env =
//     subject's env, props: tool (first tool), tools ([]string every tool that
//     reported it), rule (rule id or advisory id), severity (lower case),
//     fingerprint, message, vulnerability (advisory id, for package
//     findings), category (vulnerability|code|misconfiguration|secret),
//     status (open|fixed|accepted|false_positive), file, line (int64), purl,
//     resource (k8s object "Kind/namespace/name" or Terraform address), cvss
//     (float64, when known), vexState
//     (not_affected|exploitable|in_triage|resolved|false_positive),
//     vexJustification, acceptedBy, acceptedReason, acceptedUntil (RFC 3339),
//     fixedAt (RFC 3339), statusHistory ([]string, each "RFC3339 status
//     actor: reason"), unresolved (bool: no subject found in the graph).
//     Finding -FOUND_ON-> subject node (Package, Service, API, DataStore,
//     Gateway, …).
//
// Two more Finding props are this package's own bookkeeping: scopes
// ([]string, the import scopes whose latest complete import reported the
// finding) and target (what the scanner scanned: image, directory, cluster).
//
// A scope key is "tool:target" with the target the scanner names (image
// reference, directory, cluster, SARIF automation id or repository, the
// CycloneDX metadata component); when a report names none, the input's
// base file name stands in, so re-import such reports under the same name
// or pass --scope. Import batches carry graph.Scope{Source: "findings"}.
//
// # Deduplication
//
// Following DefectDojo, a finding's fingerprint is one of:
//
//   - hash of fields, for package vulnerabilities: the normalised purl (or
//     ecosystem/name@version when the scanner gives no purl) and the primary
//     advisory id — so Grype and Trivy reporting CVE-X on the same package,
//     or OSV-Scanner reporting its GHSA alias, collapse into one finding with
//     tools [grype, trivy] and both sources;
//   - unique id from the tool combined with fields, for code findings whose
//     SARIF result carries fingerprints or partialFingerprints: tool, rule,
//     target, file and those fingerprints (line moves do not make a new
//     finding);
//   - hash of fields otherwise: category, target, rule, resource, file and
//     line (misconfigurations, secrets, code findings without fingerprints).
//
// # Subject resolution (what is looked up in the graph)
//
//   - package findings: the Package node whose purl prop matches after
//     normalisation (type lower case; namespace and name lower case for the
//     case-insensitive ecosystems npm, pypi, composer, nuget, deb, apk,
//     github, bitbucket, hex; PEP 503 names for pypi; qualifiers and subpath
//     dropped; percent-encoding decoded so %40 scopes and %2B versions match;
//     a Go "+incompatible" suffix dropped), else ecosystem/name@version, else
//     the scanned Image (by ref), else the Kubernetes workload the report
//     names. The finding is also FOUND_ON every Service that reaches the
//     package over DEPENDS_ON (directly or through other packages).
//   - code and secret findings: the Service whose repoPath or sourcePath
//     prop is a prefix of the file (longest wins), else the Service built
//     from a Repository (Repository props url/path, Service -RUNS_IMAGE->
//     Image -BUILT_FROM-> Repository or Service -BUILT_FROM-> Repository)
//     whose path is a prefix; --service NAME forces the service.
//   - misconfigurations: the Kubernetes resource Kind/namespace/name → the
//     Service (namespace prop and name), Gateway or DataStore of that name;
//     a Terraform address → the node whose "address" prop equals it
//     (instance keys such as [0] or ["eu"] dropped when needed), a
//     CloudFormation logical id (Trivy's CauseMetadata.Resource, the
//     resource a Checkov SARIF snippet opens) → the node whose "logicalId"
//     prop equals it; when several modules or templates declare that name,
//     the ones declared in the finding's file (else its directory) win, and
//     a logical id is never matched to another template's resource; else
//     as code findings, by file.
//
// Unresolved findings are kept (no FOUND_ON, unresolved=true) and listed in
// the import Summary.
//
// A re-import sends only what changed: unchanged findings go as id and name
// (so the store moves lastSeen and nothing else), edges already stored are
// not sent again, and FOUND_ON edges to subjects no longer found are
// deleted.
//
// # Lifecycle
//
// firstSeen/lastSeen are kept by the store. A complete import (every file
// parsed) of a scope (tool + target, or --scope) marks fixed every open or
// accepted finding that scope reported before and no longer does (status
// fixed, fixedAt, a statusHistory entry); findings are never deleted. A
// finding seen again after it was fixed is reopened. AcceptRisk and
// MarkFalsePositive record triage decisions; an acceptance past its expiry
// reopens on the next import that sees the finding, or on ReopenExpired.
// A SARIF result its tool reports as suppressed (suppressions in force: a
// nosec or checkov:skip comment, a baseline) is imported accepted (actor
// "suppression", acceptedBy the tool) and reopens when reported without
// the suppression; passed and not-applicable results, and results absent
// from the baseline, are not findings.
package findings
