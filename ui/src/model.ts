// The estate as the map draws it: the node kinds of an architecture diagram
// and the edges between them, loaded page by page through the public API,
// with each service, API and data store assigned to a group
// (application × environment) for compound drawing and aggregation.
import { all, gql } from "./api";

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
  dataClasses: string[];
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
  partial: boolean; // the APIs are still loading
  totalNodes: number; // every kind, from stats
  exposedBy: Map<string, string>; // API id → service id
}

const NODES = `query MapNodes($kinds: [NodeKind!], $first: Int, $after: String) {
  nodes(filter: {kinds: $kinds}, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id kind name env dataClasses
      ... on API { risk method path authenticated }
    }
  }
}`;

const EDGES = `query MapEdges($kinds: [EdgeKind!], $first: Int, $after: String) {
  relationships(filter: {kinds: $kinds}, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id kind from to dataClasses }
  }
}`;

// The internet-facing set comes from the filter: resolving internetFacing
// on every node of a page costs the server far more than listing the ids.
const EXPOSED = `query Exposed($first: Int, $after: String) {
  nodes(filter: {kinds: [Service, API, Gateway], internetFacing: true}, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor } nodes { id }
  }
}`;

// Risk scores: the first request after a change waits for the scoring
// engine (seconds on a large estate), so they load with the second part.
const RISKS = `query ServiceRisks($first: Int, $after: String) {
  nodes(filter: {kinds: [Service]}, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor } nodes { id ... on Service { risk } }
  }
}`;

export const STATS = `query Stats { stats { nodes edges nodesByKind { kind count } } }`;

export async function loadStats(): Promise<{ nodes: number; edges: number; byKind: Record<string, number> }> {
  const d = await gql(STATS);
  const byKind: Record<string, number> = {};
  for (const k of d.stats.nodesByKind) byKind[k.kind] = k.count;
  return { nodes: d.stats.nodes, edges: d.stats.edges, byKind };
}

export function groupID(app: string, env: string): string {
  return `grp:${app}|${env}`;
}

// What the map fetches, in two parts that load in parallel: everything but
// the APIs, and the APIs with the EXPOSES edges tying them to services. A
// large estate is drawn (aggregated) from the first part while the second
// is still coming.
export interface BasePart { nodes: any[]; edges: MapEdge[]; partOf: MapEdge[]; apps: any[]; exposed: { id: string }[] }
export interface APIPart { nodes: any[]; edges: MapEdge[]; risks: { id: string; risk: number | null }[] }

export async function fetchBase(): Promise<BasePart> {
  const [nodeLists, edgeLists, partOf, apps, exposed] = await Promise.all([
    Promise.all(MAP_KINDS.filter((k) => k !== "API").map((k) => all(NODES, "nodes", { kinds: [k] }))),
    Promise.all(MAP_EDGE_KINDS.filter((k) => k !== "EXPOSES").map((k) => all<MapEdge>(EDGES, "relationships", { kinds: [k] }))),
    all<MapEdge>(EDGES, "relationships", { kinds: ["PART_OF"] }),
    all(NODES, "nodes", { kinds: ["Application"] }),
    all<{ id: string }>(EXPOSED, "nodes"),
  ]);
  return { nodes: nodeLists.flat(), edges: edgeLists.flat(), partOf, apps, exposed };
}

export async function fetchAPIs(): Promise<APIPart> {
  const [nodes, edges, risks] = await Promise.all([
    all(NODES, "nodes", { kinds: ["API"] }),
    all<MapEdge>(EDGES, "relationships", { kinds: ["EXPOSES"] }),
    all<{ id: string; risk: number | null }>(RISKS, "nodes"),
  ]);
  return { nodes, edges, risks };
}

export async function loadEstate(totalNodes = 0): Promise<Estate> {
  const [base, apis] = await Promise.all([fetchBase(), fetchAPIs()]);
  return buildEstate(base, apis, totalNodes);
}

// buildEstate joins the parts; without apis the estate is partial (no API
// nodes, no edges to them).
export function buildEstate(base: BasePart, apis: APIPart | null, totalNodes = 0): Estate {
  const { partOf, apps, exposed } = base;
  const nodeLists = [base.nodes, apis?.nodes ?? []];
  const edgeLists = [base.edges, apis?.edges ?? []];
  const facing = new Set(exposed.map((n) => n.id));
  const risk = new Map((apis?.risks ?? []).map((r) => [r.id, r.risk]));
  const appName = new Map<string, string>(apps.map((a: any) => [a.id, a.name]));
  const nodes = new Map<string, MapNode>();
  for (const list of nodeLists) {
    for (const n of list as any[]) {
      nodes.set(n.id, {
        id: n.id, kind: n.kind, name: n.kind === "API" ? `${n.method} ${n.path}` : n.name, env: n.env ?? null,
        dataClasses: n.dataClasses ?? [], internetFacing: n.kind === "Internet" || facing.has(n.id),
        risk: n.risk ?? risk.get(n.id) ?? null, method: n.method, path: n.path, authenticated: n.authenticated, apps: [], group: null,
      });
    }
  }
  for (const e of partOf) {
    const n = nodes.get(e.from);
    const a = appName.get(e.to);
    if (n && a && !n.apps.includes(a)) n.apps.push(a);
  }
  const edges = edgeLists.flat().filter((e) => nodes.has(e.from) && nodes.has(e.to));
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
    nodes, edges, groups, totalNodes, exposedBy, partial: !apis,
    applications: [...appName.values()].sort(),
    envs: [...envs].sort(),
  };
}
