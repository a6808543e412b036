package neo4j

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/riskgraph/riskgraph/graph"
)

// Every Cypher statement this package sends is in this file: fixed
// statements as constants, and templates instantiated once per node label or
// relationship type of the model's allow-list (graph.Kinds, graph.EdgeKinds)
// when the package is initialised. Nothing from input ever becomes part of a
// statement's text; values travel as parameters. run refuses any text that
// is not in the registry, and the tests check the whole registry with
// Neo4j's own front end (tools/cypherlint) and prove, by scanning this
// package's source, that no other Cypher literal exists.
//
// Templates take the label or type as %[1]s and, where a name needs it, the
// id prefix as %[2]s; edge creation takes the type, then the start and end
// labels.

// Schema (run one by one in auto-commit transactions: schema and data
// changes cannot share a transaction).
const (
	tmplConstraintNodeID = "CREATE CONSTRAINT riskgraph_%[2]s_id IF NOT EXISTS FOR (n:%[1]s) REQUIRE n.id IS UNIQUE"
	tmplIndexNodeEnv     = "CREATE INDEX riskgraph_%[2]s_env IF NOT EXISTS FOR (n:%[1]s) ON (n.env)"
	tmplIndexNodeName    = "CREATE TEXT INDEX riskgraph_%[2]s_namekey IF NOT EXISTS FOR (n:%[1]s) ON (n.nameKey)"
	tmplConstraintEdgeID = "CREATE CONSTRAINT riskgraph_%[2]s_id IF NOT EXISTS FOR ()-[r:%[1]s]-() REQUIRE r.id IS UNIQUE"

	cyConstraintRun    = "CREATE CONSTRAINT riskgraph_run_key IF NOT EXISTS FOR (r:RiskgraphRun) REQUIRE r.key IS UNIQUE"
	cyConstraintSchema = "CREATE CONSTRAINT riskgraph_schema_key IF NOT EXISTS FOR (s:RiskgraphSchema) REQUIRE s.key IS UNIQUE"
	cyAwaitIndexes     = "CALL db.awaitIndexes($seconds)"
	cySchemaRead       = "MATCH (s:RiskgraphSchema {key: $key}) RETURN s.version AS version"
	cySchemaWrite      = "MERGE (s:RiskgraphSchema {key: $key}) SET s.version = $version, s.updatedAt = $now"
)

// Apply (all in one managed write transaction).
const (
	tmplEdgeDelete = "UNWIND $ids AS id MATCH ()-[r:%[1]s {id: id}]->() DELETE r RETURN count(*) AS deleted"
	// Relationships of deleted nodes go first, counted once each even when
	// both of their ends are deleted.
	tmplNodeDetach = "UNWIND $ids AS id MATCH (n:%[1]s {id: id})-[r]-() WITH DISTINCT r DELETE r RETURN count(*) AS deleted"
	tmplNodeDelete = "UNWIND $ids AS id MATCH (n:%[1]s {id: id}) DETACH DELETE n RETURN count(*) AS deleted"
	// nodeLock reads the stored state of the batch's nodes for the merge in
	// Go, holding their write locks until commit: MERGE locks the index entry
	// of a node it creates, SET locks a node it finds. A concurrent Apply of
	// the same node waits and then reads the committed result, so merges are
	// never lost. A node MERGE creates here has only its id until nodeWrite.
	tmplNodeLock  = "UNWIND $ids AS id MERGE (n:%[1]s {id: id}) ON MATCH SET n.id = id RETURN n"
	tmplNodeFind  = "UNWIND $ids AS id MATCH (n:%[1]s {id: id}) RETURN n.id AS id, elementId(n) AS eid"
	tmplNodeWrite = "UNWIND $rows AS row MATCH (n:%[1]s {id: row.id}) SET n = row.props RETURN count(*) AS written"
	// edgeLock is nodeLock for relationships that exist. New relationships
	// cannot be locked before they exist; two Applies creating the same one
	// collide on the uniqueness constraint and the loser is retried.
	tmplEdgeLock   = "UNWIND $ids AS id MATCH (a)-[r:%[1]s {id: id}]->(b) SET r.id = id RETURN r, a.id AS from, b.id AS to"
	tmplEdgeUpdate = "UNWIND $rows AS row MATCH ()-[r:%[1]s {id: row.id}]->() SET r = row.props RETURN count(*) AS written"
	tmplEdgeCreate = "UNWIND $rows AS row MATCH (a:%[2]s {id: row.from}) MATCH (b:%[3]s {id: row.to}) CREATE (a)-[r:%[1]s]->(b) SET r = row.props RETURN count(*) AS written"

	cyRunRecord = "MERGE (r:RiskgraphRun {key: $key}) ON CREATE SET r.source = $source, r.scopeKey = $scopeKey, r.run = $run, r.failed = false SET r.at = $at, r.touched = $now"
	cyRunFail   = "MERGE (r:RiskgraphRun {key: $key}) ON CREATE SET r.source = $source, r.scopeKey = $scopeKey, r.run = $run, r.at = $at SET r.failed = true, r.touched = $now"
	cyRunFind   = "MATCH (r:RiskgraphRun {key: $key}) OPTIONAL MATCH (o:RiskgraphRun {source: r.source, scopeKey: r.scopeKey}) WHERE o.touched > r.touched RETURN r.failed AS failed, count(o) > 0 AS stale"
	cyRunsLast  = "MATCH (r:RiskgraphRun) WITH r ORDER BY r.touched DESC, r.key WITH r.source AS source, r.scopeKey AS scopeKey, collect(r)[0] AS last RETURN source, scopeKey, last.run AS run, last.failed AS failed, last.at AS at ORDER BY source, scopeKey"
)

// Sweep (auto-commit: CALL { … } IN TRANSACTIONS commits every $batch rows,
// so a sweep of any size stays within the transaction memory limit). Claims
// are kept as two parallel lists, claimScopes and claimRuns; $scope is a
// scope in the form claimScope returns.
const (
	cySweepEdgesDelete = "MATCH ()-[r]->() WHERE r.claimScopes = [$scope] AND r.claimRuns <> [$run] " +
		"CALL (r) { DELETE r } IN TRANSACTIONS OF $batch ROWS RETURN count(*) AS removed"
	cySweepEdgesPrune = "MATCH ()-[r]->() WHERE size(r.claimScopes) > 1 AND any(i IN range(0, size(r.claimScopes) - 1) WHERE r.claimScopes[i] = $scope AND r.claimRuns[i] <> $run) " +
		"CALL (r) { WITH r, [i IN range(0, size(r.claimScopes) - 1) WHERE r.claimScopes[i] <> $scope] AS keep " +
		"SET r.claimScopes = [i IN keep | r.claimScopes[i]], r.claimRuns = [i IN keep | r.claimRuns[i]] } IN TRANSACTIONS OF $batch ROWS"
	cySweepNodesDelete = "MATCH (n) WHERE n.claimScopes = [$scope] AND n.claimRuns <> [$run] " +
		"CALL (n) { OPTIONAL MATCH (n)-[r]-() WITH n, count(DISTINCT r) AS rels DETACH DELETE n RETURN rels } IN TRANSACTIONS OF $batch ROWS " +
		"RETURN count(*) AS nodes, sum(rels) AS rels"
	cySweepNodesPrune = "MATCH (n) WHERE size(n.claimScopes) > 1 AND any(i IN range(0, size(n.claimScopes) - 1) WHERE n.claimScopes[i] = $scope AND n.claimRuns[i] <> $run) " +
		"CALL (n) { WITH n, [i IN range(0, size(n.claimScopes) - 1) WHERE n.claimScopes[i] <> $scope] AS keep " +
		"SET n.claimScopes = [i IN keep | n.claimScopes[i]], n.claimRuns = [i IN keep | n.claimRuns[i]] } IN TRANSACTIONS OF $batch ROWS"
)

// cyWipe removes every element and run riskgraph wrote (not the schema
// node). Only tests call it (Store.wipe), to give each contract test an
// empty database.
const cyWipe = "MATCH (n) WHERE n:RiskgraphRun OR any(l IN labels(n) WHERE l IN $labels) " +
	"CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF $batch ROWS"

// nodeFilter is the WHERE condition of NodeFilter's fields other than kinds
// and ids. A parameter that is null disables its condition. $props is a list
// of {key, mapKey, emptyKey, value, isString}: the stored keys of one
// property (see props.go) and the wanted value. It mirrors
// graph.NodeFilter.Match: a string matches a list of strings containing it,
// numbers compare across integer and float, null matches an absent property.
const nodeFilter = "($env IS NULL OR n.env = $env) AND ($name IS NULL OR n.nameKey CONTAINS $name) " +
	"AND ($classes IS NULL OR any(c IN n.dataClasses WHERE c IN $classes)) " +
	"AND all(p IN $props WHERE CASE WHEN p.value IS NULL THEN n[p.key] IS NULL AND n[p.mapKey] IS NULL AND n[p.emptyKey] IS NULL " +
	"WHEN n[p.key] IS :: LIST<ANY> THEN p.isString AND p.value IN n[p.key] ELSE n[p.key] = p.value END)"

// Reads (in the view's read transaction).
const (
	tmplNodesByID   = "UNWIND $ids AS id MATCH (n:%[1]s {id: id}) WHERE " + nodeFilter + " RETURN n ORDER BY n.id"
	tmplNodesScan   = "MATCH (n:%[1]s) WHERE n.id > $after AND " + nodeFilter + " RETURN n ORDER BY n.id LIMIT $limit"
	tmplNodesCountF = "MATCH (n:%[1]s) WHERE " + nodeFilter + " RETURN count(n) AS total"
	tmplNodeCount   = "MATCH (n:%[1]s) RETURN count(n) AS total"

	tmplEdgeGet   = "MATCH (a)-[r:%[1]s {id: $id}]->(b) RETURN r, a.id AS from, b.id AS to"
	tmplEdgesScan = "MATCH (a)-[r:%[1]s]->(b) WHERE r.id > $after RETURN r, a.id AS from, b.id AS to ORDER BY r.id LIMIT $limit"
	tmplEdgeCount = "MATCH ()-[r:%[1]s]->() RETURN count(r) AS total"

	cyEdgesFrom = "MATCH (a)-[r]->(b) WHERE elementId(a) = $eid AND ($kinds IS NULL OR type(r) IN $kinds) AND ($to IS NULL OR b.id = $to) RETURN r, a.id AS from, b.id AS to"
	cyEdgesTo   = "MATCH (a)-[r]->(b) WHERE elementId(b) = $eid AND ($kinds IS NULL OR type(r) IN $kinds) RETURN r, a.id AS from, b.id AS to"

	// One breadth-first level: the neighbours of a frontier of nodes, by
	// element id (valid within the view's transaction), so that no label is
	// needed and each frontier node is one index-free seek.
	cyWalkOut  = "UNWIND $eids AS eid MATCH (a)-[r]->(b) WHERE elementId(a) = eid AND ($kinds IS NULL OR type(r) IN $kinds) RETURN eid, r.id AS via, type(r) AS viaKind, b.id AS node, elementId(b) AS next"
	cyWalkIn   = "UNWIND $eids AS eid MATCH (b)-[r]->(a) WHERE elementId(a) = eid AND ($kinds IS NULL OR type(r) IN $kinds) RETURN eid, r.id AS via, type(r) AS viaKind, b.id AS node, elementId(b) AS next"
	cyWalkBoth = "UNWIND $eids AS eid MATCH (a)-[r]-(b) WHERE elementId(a) = eid AND ($kinds IS NULL OR type(r) IN $kinds) RETURN eid, r.id AS via, type(r) AS viaKind, b.id AS node, elementId(b) AS next"
)

// edgeEnds is a relationship type with the labels of its two ends.
type edgeEnds struct {
	kind     graph.EdgeKind
	from, to graph.Kind
}

// statements holds every statement, instantiated for the allow-list.
type statements struct {
	constraintNodeID, indexNodeEnv, indexNodeName map[graph.Kind]string
	nodeDetach, nodeDelete, nodeLock, nodeFind    map[graph.Kind]string
	nodeWrite, nodesByID, nodesScan, nodesCountF  map[graph.Kind]string
	nodeCount                                     map[graph.Kind]string
	constraintEdgeID, edgeDelete, edgeLock        map[graph.EdgeKind]string
	edgeUpdate, edgeGet, edgesScan, edgeCount     map[graph.EdgeKind]string
	edgeCreate                                    map[edgeEnds]string
	all                                           map[string]string // text → name
	names                                         []string          // registration order
	byName                                        map[string]string // name → text
}

var cy = buildStatements()

// identifier is what a label or type must look like to be written into a
// statement unquoted. The model's names all do; init panics otherwise.
var identifier = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

func buildStatements() *statements {
	s := &statements{all: map[string]string{}, byName: map[string]string{}}
	add := func(name, text string) string {
		if prev, dup := s.all[text]; dup {
			panic(fmt.Sprintf("neo4j: statement %s duplicates %s", name, prev))
		}
		s.all[text] = name
		s.byName[name] = text
		s.names = append(s.names, name)
		return text
	}
	perKind := func(tmpl, name string) map[graph.Kind]string {
		m := make(map[graph.Kind]string, len(graph.Kinds))
		for _, k := range graph.Kinds {
			if !identifier.MatchString(string(k)) {
				panic("neo4j: node kind " + string(k) + " is not a plain identifier")
			}
			m[k] = add(name+"/"+string(k), fmt.Sprintf(tmpl, k, graph.Prefix(k)))
		}
		return m
	}
	perEdge := func(tmpl, name string) map[graph.EdgeKind]string {
		m := make(map[graph.EdgeKind]string, len(graph.EdgeKinds))
		for _, k := range graph.EdgeKinds {
			if !identifier.MatchString(string(k)) {
				panic("neo4j: edge kind " + string(k) + " is not a plain identifier")
			}
			m[k] = add(name+"/"+string(k), fmt.Sprintf(tmpl, k, graph.EdgePrefix(k)))
		}
		return m
	}
	for _, c := range []struct{ name, text string }{
		{"constraintRun", cyConstraintRun}, {"constraintSchema", cyConstraintSchema},
		{"awaitIndexes", cyAwaitIndexes}, {"schemaRead", cySchemaRead}, {"schemaWrite", cySchemaWrite},
		{"runRecord", cyRunRecord}, {"runFail", cyRunFail}, {"runFind", cyRunFind}, {"runsLast", cyRunsLast},
		{"sweepEdgesDelete", cySweepEdgesDelete}, {"sweepEdgesPrune", cySweepEdgesPrune},
		{"sweepNodesDelete", cySweepNodesDelete}, {"sweepNodesPrune", cySweepNodesPrune},
		{"edgesFrom", cyEdgesFrom}, {"edgesTo", cyEdgesTo},
		{"walkOut", cyWalkOut}, {"walkIn", cyWalkIn}, {"walkBoth", cyWalkBoth},
		{"wipe", cyWipe},
	} {
		add(c.name, c.text)
	}
	s.constraintNodeID = perKind(tmplConstraintNodeID, "constraintNodeID")
	s.indexNodeEnv = perKind(tmplIndexNodeEnv, "indexNodeEnv")
	s.indexNodeName = perKind(tmplIndexNodeName, "indexNodeName")
	s.nodeDetach = perKind(tmplNodeDetach, "nodeDetach")
	s.nodeDelete = perKind(tmplNodeDelete, "nodeDelete")
	s.nodeLock = perKind(tmplNodeLock, "nodeLock")
	s.nodeFind = perKind(tmplNodeFind, "nodeFind")
	s.nodeWrite = perKind(tmplNodeWrite, "nodeWrite")
	s.nodesByID = perKind(tmplNodesByID, "nodesByID")
	s.nodesScan = perKind(tmplNodesScan, "nodesScan")
	s.nodesCountF = perKind(tmplNodesCountF, "nodesCountFiltered")
	s.nodeCount = perKind(tmplNodeCount, "nodeCount")
	s.constraintEdgeID = perEdge(tmplConstraintEdgeID, "constraintEdgeID")
	s.edgeDelete = perEdge(tmplEdgeDelete, "edgeDelete")
	s.edgeLock = perEdge(tmplEdgeLock, "edgeLock")
	s.edgeUpdate = perEdge(tmplEdgeUpdate, "edgeUpdate")
	s.edgeGet = perEdge(tmplEdgeGet, "edgeGet")
	s.edgesScan = perEdge(tmplEdgesScan, "edgesScan")
	s.edgeCount = perEdge(tmplEdgeCount, "edgeCount")
	s.edgeCreate = map[edgeEnds]string{}
	for _, ends := range allEdgeEnds() {
		name := fmt.Sprintf("edgeCreate/%s/%s/%s", ends.kind, ends.from, ends.to)
		s.edgeCreate[ends] = add(name, fmt.Sprintf(tmplEdgeCreate, ends.kind, ends.from, ends.to))
	}
	return s
}

// allEdgeEnds lists every (type, start label, end label) the model admits,
// which is every relationship the backend may create.
func allEdgeEnds() []edgeEnds {
	var out []edgeEnds
	for _, k := range graph.EdgeKinds {
		for _, f := range graph.Kinds {
			for _, t := range graph.Kinds {
				if k.Allows(f, t) {
					out = append(out, edgeEnds{k, f, t})
				}
			}
		}
	}
	return out
}

// Statement is one Cypher statement the backend can emit, for tools and
// tests that check them.
type Statement struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

// Statements returns every statement the backend can emit, in a fixed order.
func Statements() []Statement {
	out := make([]Statement, 0, len(cy.names))
	for _, n := range cy.names {
		out = append(out, Statement{Name: n, Text: cy.byName[n]})
	}
	return out
}

// Vocabulary returns the labels, relationship types and property keys the
// statements may mention, for a linter's schema.
func Vocabulary() (labels, types, keys []string) {
	for _, k := range graph.Kinds {
		labels = append(labels, string(k))
	}
	labels = append(labels, "RiskgraphRun", "RiskgraphSchema")
	for _, k := range graph.EdgeKinds {
		types = append(types, string(k))
	}
	keys = []string{"id", "name", "nameKey", "env", "dataClasses", "sources", "firstSeen", "lastSeen",
		"claimScopes", "claimRuns", "key", "version", "updatedAt", "source", "scopeKey", "run", "failed", "at", "touched",
		// keys of parameter maps: rows and property conditions
		"from", "to", "props", "mapKey", "emptyKey", "value", "isString"}
	slices.Sort(keys)
	return labels, types, keys
}

// knownStatement reports whether text is a registered statement.
func knownStatement(text string) bool {
	_, ok := cy.all[text]
	return ok
}

// statementName names a registered statement for error messages, which
// never carry the Cypher itself.
func statementName(text string) string {
	if n, ok := cy.all[text]; ok {
		return n
	}
	return "unregistered statement"
}
