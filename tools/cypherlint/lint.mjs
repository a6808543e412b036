// lint.mjs checks Cypher statements with Neo4j's own front end (parser and
// semantic analysis from @neo4j-cypher/language-support), offline.
//
// Input (stdin): {"language": "CYPHER 5", "labels": [...], "relationshipTypes": [...],
//                 "propertyKeys": [...], "statements": [{"name": "...", "text": "..."}]}
// Output (stdout): {"results": [{"name": "...", "diagnostics": [{"severity": 1|2,
//                  "message": "...", "line": n, "character": n}]}]}
// Severity 1 is an error, 2 a warning (deprecations, unknown labels or keys).
// Errors about undeclared $parameters are dropped: statements are parameterised
// by design and the parameters' values only exist at run time.
import { lintCypherQuery, isNotParamError, testData } from '@neo4j-cypher/language-support';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));

// Built-in functions and procedures only: riskgraph depends on no plugin.
const builtin = (reg) => Object.fromEntries(Object.entries(reg).filter(([name]) => !/^(apoc|gds)\./.test(name)));
const language = input.language || 'CYPHER 5';
const fnKey = language; // the registry is keyed by language version
const fns = testData.mockSchema.functions;
const procs = testData.mockSchema.procedures;
const pick = (reg) => (reg && reg[fnKey] ? { [fnKey]: builtin(reg[fnKey]) } : builtin(reg || {}));

const dbSchema = {
  defaultLanguage: language,
  labels: input.labels || [],
  relationshipTypes: input.relationshipTypes || [],
  propertyKeys: input.propertyKeys || [],
  functions: pick(fns),
  procedures: pick(procs),
};

const results = [];
for (const st of input.statements) {
  const { diagnostics } = lintCypherQuery(st.text, dbSchema, { consoleCommandsEnabled: false });
  results.push({
    name: st.name,
    diagnostics: diagnostics.filter(isNotParamError).map((d) => ({
      severity: d.severity,
      message: d.message,
      line: d.range.start.line,
      character: d.range.start.character,
    })),
  });
}
process.stdout.write(JSON.stringify({ results }));
