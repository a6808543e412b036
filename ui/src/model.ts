// The estate as the map draws it: the node kinds of an architecture diagram
// and the edges between them, loaded through the public API (estateMap, or
// page by page past the server's map limit), with each service, API and
// data store assigned to a group (application × environment) for the group
// boxes and aggregation.
import { GraphQLError, all, gql } from "./api";

export const MAP_KINDS = ["Internet", "Gateway", "Service", "API", "DataStore", "ThirdParty"] as const;
export const MAP_EDGE_KINDS = ["ROUTES_TO", "EXPOSES", "CALLS", "READS", "WRITES"] as const;
export const DATA_CLASSES = ["PII", "PCI", "PHI", "CREDENTIALS", "FINANCIAL", "INTERNAL"] as const;

export interface MapNode {
  id: string;
  kind: string;
  name: string;
  env: string | null;
  dataClasses: string[];
  internetFacing: boolean;
  risk: number | null;
  method?: string;
  path?: string;
  authenticated?: boolean;
  apps: string[];
  group: string | null; // group id, null for ungrouped kinds
}

export interface MapEdge {
  id: string;
  kind: string;
  from: string;
  to: string;
}

export interface Group {
  id: string;
  label: string;
  app: string;
  env: string;
  members: string[];
  services: number;
  apis: number;
  stores: number;
}

export interface Estate {
  nodes: Map<string, MapNode>;
  edges: MapEdge[];
  groups: Map<string, Group>;
  applications: string[];
  envs: string[];
  totalNodes: number; // every kind, from stats
  exposedBy: Map<string, string>; // API id → service id
}

// The whole map in one request (estateMap), with the counts. A server
// whose map limit the estate exceeds answers LIMIT_EXCEEDED; then the map
// is read page by page (below).
const MAP_FIELDS = `nodes { id kind name env dataClasses internetFacing applications service method path authenticated }
    edges { id kind from to }`;
const MAP = `query Map {
  stats { nodes edges nodesByKind { kind count } }
  estateMap { ${MAP_FIELDS} }
}`;
// The map without its APIs (most of a large estate's nodes): enough to draw
// a large estate aggregated while the whole map is still coming.
const BASE = `query MapBase {
  stats { nodes edges nodesByKind { kind count } }
  estateMap(kinds: [Internet, Gateway, Service, DataStore, ThirdParty], edgeKinds: [ROUTES_TO, CALLS, READS, WRITES]) { ${MAP_FIELDS} }
}`;

export const STATS = `query Stats { stats { nodes edges nodesByKind { kind count } } }`;

export interface Stats { nodes: number; edges: number; byKind: Record<string, number> }

function stats(s: any): Stats {
  const byKind: Record<string, number> = {};
  for (const k of s.nodesByKind) byKind[k.kind] = k.count;
  return { nodes: s.nodes, edges: s.edges, byKind };
}

export async function loadStats(): Promise<Stats> {
  return stats((await gql(STATS)).stats);
}

export function groupID(app: string, env: string): string {
  return `grp:${app}|${env}`;
}

// Risk scores: the first request touching them after a change waits for
// the scoring engine (seconds on a large estate), so they are asked for
// after the first frame and recolour the map in place.
export interface Risk { id: string; risk: number }

// A loaded map: paged says it came page by page (the server's map limit).
export interface Loaded { stats: Stats; estate: Estate; paged: boolean }

// Loading is the map being asked for: the base (no APIs; null when it
// failed) and the whole map, both requested at once.
export interface Loading { base: Promise<Loaded | null>; full: Promise<Loaded> }

export function startLoad(): Loading {
  const full = loadMap();
  full.catch(() => {}); // reported by whoever awaits it
  return { full, base: gql(BASE).then(fromMap, () => null) };
}

export async function loadMap(): Promise<Loaded> {
  let d: any;
  try {
    d = await gql(MAP);
  } catch (e) {
    if (e instanceof GraphQLError && e.codes.includes("LIMIT_EXCEEDED") && /estateMap/.test(e.message)) return loadPaged();
    throw e;
  }
  return fromMap(d);
}

function fromMap(d: any): Loaded {
  const st = stats(d.stats);
  const nodes: MapNode[] = d.estateMap.nodes.map((n: any) => ({
    id: n.id, kind: n.kind, name: n.kind === "API" ? `${n.method} ${n.path}` : n.name, env: n.env ?? null,
    dataClasses: n.dataClasses, internetFacing: n.kind === "Internet" || n.internetFacing, risk: null,
    method: n.method ?? undefined, path: n.path ?? undefined, authenticated: n.authenticated ?? undefined,
    apps: n.kind === "DataStore" ? [] : n.applications, group: null,
  }));
  const apps = new Set<string>();
  for (const n of d.estateMap.nodes) for (const a of n.applications) apps.add(a);
  return { stats: st, estate: assemble(nodes, d.estateMap.edges, [...apps], st.nodes), paged: false };
}

export async function loadRisks(paged: boolean): Promise<Risk[]> {
  if (!paged) return (await gql(`query MapRisks { estateMap { risks { id risk } } }`)).estateMap.risks;
  const q = `query Risks($kinds: [NodeKind!], $first: Int, $after: String) {
    nodes(filter: {kinds: $kinds}, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor } nodes { id ... on Service { risk } ... on API { risk } } } }`;
  const [svc, api] = await Promise.all([all(q, "nodes", { kinds: ["Service"] }), all(q, "nodes", { kinds: ["API"] })]);
  return [...svc, ...api].filter((n: any) => n.risk != null && n.risk > 0);
}

// Page by page: nodes per kind, edges per kind, applications over PART_OF,
// the internet-facing set from the filter (resolving the field per node
// would also do, the filter is a list of ids).
const NODES = `query MapNodes($kinds: [NodeKind!], $first: Int, $after: String) {
  nodes(filter: {kinds: $kinds}, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id kind name env dataClasses ... on API { method path authenticated } }
  }
}`;

const EDGES = `query MapEdges($kinds: [EdgeKind!], $first: Int, $after: String) {
  relationships(filter: {kinds: $kinds}, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id kind from to }
  }
}`;

const EXPOSED = `query Exposed($first: Int, $after: String) {
  nodes(filter: {kinds: [Service, API, Gateway], internetFacing: true}, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor } nodes { id }
  }
}`;

async function loadPaged(): Promise<Loaded> {
  const [st, nodeLists, edgeLists, partOf, apps, exposed] = await Promise.all([
    loadStats(),
    Promise.all(MAP_KINDS.map((k) => all(NODES, "nodes", { kinds: [k] }))),
    Promise.all(MAP_EDGE_KINDS.map((k) => all<MapEdge>(EDGES, "relationships", { kinds: [k] }))),
    all<MapEdge>(EDGES, "relationships", { kinds: ["PART_OF"] }),
    all(NODES, "nodes", { kinds: ["Application"] }),
    all<{ id: string }>(EXPOSED, "nodes"),
  ]);
  const facing = new Set(exposed.map((n) => n.id));
  const appName = new Map<string, string>(apps.map((a: any) => [a.id, a.name]));
  const memberOf = new Map<string, string[]>();
  for (const e of partOf) {
    const a = appName.get(e.to);
    if (!a) continue;
    const l = memberOf.get(e.from) ?? [];
    if (!l.includes(a)) l.push(a);
    memberOf.set(e.from, l);
  }
  const nodes: MapNode[] = nodeLists.flat().map((n: any) => ({
    id: n.id, kind: n.kind, name: n.kind === "API" ? `${n.method} ${n.path}` : n.name, env: n.env ?? null,
    dataClasses: n.dataClasses ?? [], internetFacing: n.kind === "Internet" || facing.has(n.id), risk: null,
    method: n.method, path: n.path, authenticated: n.authenticated, apps: memberOf.get(n.id) ?? [], group: null,
  }));
  return { stats: st, estate: assemble(nodes, edgeLists.flat(), [...appName.values()], st.nodes), paged: true };
}

// assemble groups the nodes: a service by its first application (by name)
// and its environment, an API where the service exposing it is, data
// stores in one group per environment.
export function assemble(list: MapNode[], allEdges: MapEdge[], applications: string[], totalNodes = 0): Estate {
  const nodes = new Map<string, MapNode>();
  for (const n of list) nodes.set(n.id, n);
  const edges = allEdges.filter((e) => nodes.has(e.from) && nodes.has(e.to));
  // An API belongs where the service exposing it belongs.
  const exposedBy = new Map<string, string>();
  for (const e of edges) if (e.kind === "EXPOSES") exposedBy.set(e.to, e.from);
  const groups = new Map<string, Group>();
  const envs = new Set<string>();
  const join = (n: MapNode, app: string) => {
    const env = n.env ?? "-";
    const id = groupID(app, env);
    let g = groups.get(id);
    if (!g) {
      g = { id, app, env, label: `${app} · ${env}`, members: [], services: 0, apis: 0, stores: 0 };
      groups.set(id, g);
    }
    g.members.push(n.id);
    if (n.kind === "Service") g.services++;
    else if (n.kind === "API") g.apis++;
    else if (n.kind === "DataStore") g.stores++;
    n.group = id;
  };
  for (const n of nodes.values()) {
    if (n.env) envs.add(n.env);
    n.apps.sort();
    if (n.kind === "Service") join(n, n.apps[0] ?? "(no application)");
    else if (n.kind === "DataStore") join(n, "data stores");
  }
  for (const n of nodes.values()) {
    if (n.kind !== "API") continue;
    const svc = nodes.get(exposedBy.get(n.id) ?? "");
    if (svc) {
      n.apps = svc.apps;
      join(n, svc.apps[0] ?? "(no application)");
    } else {
      join(n, "(no service)");
    }
  }
  return {
    nodes, edges, groups, totalNodes, exposedBy,
    applications: [...new Set(applications)].sort(),
    envs: [...envs].sort(),
  };
}
