// Package scoring answers riskgraph's questions over a graph.View: how
// exposed each node is, which attack paths lead from the Internet to
// sensitive data, what a compromise (or a vulnerable package) reaches,
// where data of a class flows, how risky each finding is, which few risks
// matter most, and the program KPIs. Every answer is deterministic (same
// graph and profile, same answer, same order) and explained: scores come
// with their factors and the evidence path.
//
// All traversals go through graph.View (Walk, Node, Nodes, Edges); nothing
// assumes a particular backend. An Engine caches what it derives per view
// (see Engine, Update and WithProfile).
//
// # Blast radius
//
// A compromise moves over CALLS, READS, WRITES, RUNS_AS, CAN_ACCESS and
// EXPOSES, and over two hops the graph has no edge for: to the services
// mounting a secret a reached service mounts (same environment), and to
// the readers of a store a reached node can write. BlastRadius walks the
// edges breadth first, then adds lateral hops in rounds, walking on from
// what each round found. The walk runs over a radius index the engine
// builds once per view from one listing of those edge kinds: nodes as
// integers in id order, adjacency arrays, bitsets for what was seen. On a
// million-node estate a 50,000-node radius then costs ~1 ms of traversal
// instead of a store call and a map lookup per node (see BENCHMARKS.md).
//
// # Exposure
//
// Two breadth-first searches from the Internet node over ROUTES_TO,
// EXPOSES and CALLS (and from an API to the service implementing it): one
// over everything (Reachable, Hops) and one that never crosses an
// authentication step (an API with authenticated=true, a route through a
// gateway with an authorizer, a ROUTES_TO edge with authenticated=true or
// an authorizer, or a route straight to a service some of whose operations
// are routed too, whose own routes then decide). Authenticated is "reachable,
// but not without authentication". InternetFacing is "reachable over
// ROUTES_TO alone". Data stores, packages, images and repositories take
// the exposure of the best-exposed service carrying them, one hop further.
//
// # Risk
//
//	risk = 100 × severity × exploitability × impact
//
// severity: CVSS/10 (the finding's cvss, else its vulnerability's), else
// the tool severity's weight; raised by EPSS and a KEV listing.
// exploitability: internet-facing unauthenticated > authenticated >
// unreachable > not deployed; × hopDecay per service-to-service hop, ×
// controlFactor per network control on the way, × the environment's
// weight; VEX not_affected/false_positive makes it near zero, VEX
// exploitable raises it to a floor. impact: the most sensitive data class
// reachable within one compromise step (the subject's own classes and the
// finding's, the stores its services read or write, what their identities
// can access), plus a small bonus per further class, × the most critical
// application's weight. Findings not open (fixed, accepted,
// false_positive) score 0. Weights: Profile, loadable from YAML.
//
// # Conventions for findings (shared with the importer and the API)
//
//   - Vulnerability node: id graph.VulnerabilityID(primary advisory id;
//     prefer the CVE), name = that id, props: cvss (float64, base score,
//     v3.x or v4), cvssVector (string), severity (lower case:
//     critical|high|medium|low|info), aliases ([]string: GHSA/OSV/CVE ids),
//     summary, kev (bool, listed in CISA KEV), kevDateAdded (string), epss
//     (float64 probability 0..1), epssPercentile (float64).
//     Package -AFFECTED_BY-> Vulnerability.
//   - Finding node: id graph.FindingID(fingerprint), name = short title,
//     Env = subject's env, props: tool (first tool), tools ([]string every
//     tool that reported it), rule (rule id or advisory id), severity (lower
//     case), fingerprint, message, vulnerability (advisory id, for package
//     findings), category (vulnerability|code|misconfiguration|secret),
//     status (open|fixed|accepted|false_positive), file, line (int64), purl,
//     resource (k8s object "Kind/namespace/name" or Terraform address), cvss
//     (float64, when known), vexState (not_affected|exploitable|in_triage|
//     resolved|false_positive), vexJustification, acceptedBy,
//     acceptedReason, acceptedUntil (RFC 3339), fixedAt (RFC 3339),
//     statusHistory ([]string, each "RFC3339 status actor: reason"),
//     unresolved (bool: no subject found in the graph).
//     Finding -FOUND_ON-> subject node (Package, Service, API, DataStore,
//     Gateway, …).
//
// Scoring also reads: Application criticality ("tier-1" … "tier-3");
// Service networkPolicies, securityGroups and secretRefs ([]string);
// Gateway authorizer and waf (string); API authenticated (bool).
package scoring
