// The architecture map: cytoscape drawing of an Estate with compound groups
// (application × environment), aggregation of whole groups into one node for
// large estates, filters, and overlays (blast radius, attack paths, focus).
import cytoscape from "cytoscape";
import dagre from "cytoscape-dagre";
import type { Estate, MapEdge, MapNode, Risk } from "./model";


cytoscape.use(dagre);

// Above this many drawable nodes the map starts aggregated by group.
export const AGGREGATE_ABOVE = 1500;

// dagre arranges the map's blocks when there are at most this many edges
// between them (see EstateMap.arrange).
const DAGRE_MAX_EDGES = 150;

export interface Filters {
  env: string;
  app: string;
  dataClass: string;
  internetFacing: boolean;
}

export const noFilters = (): Filters => ({ env: "", app: "", dataClass: "", internetFacing: false });

const riskColor = (r: number | null) =>
  r == null ? "#8a94a6" : r >= 70 ? "#d7263d" : r >= 40 ? "#f49d37" : r > 0 ? "#e9c46a" : "#8a94a6";

function label(n: MapNode, full = false): string {
  const badges = n.dataClasses.length ? `\n[${n.dataClasses.join(" ")}]` : "";
  const risk = n.risk != null && n.risk > 0 ? ` ⚠${Math.round(n.risk)}` : "";
  // An API's dot carries its method only: a service's APIs sit 26 px apart
  // and "POST /v1/payments/{id}/refunds" would run into its neighbours. The
  // whole operation shows on hover, on an attack path and in the panel.
  const name = n.kind === "API" && !full ? n.method ?? "API" : n.name;
  return `${name}${risk}${badges}`;
}

export const STYLE: any[] = [
  { selector: "node", style: {
      label: "data(label)", "font-size": 9, "text-wrap": "wrap", "text-valign": "bottom", "text-margin-y": 3,
      "min-zoomed-font-size": 7, width: 22, height: 22, "background-color": "#5b7db1", "border-width": 2,
      "border-color": "data(riskColor)", color: "#1d2433", "z-index-compare": "manual", "z-index": 2 } },
  { selector: "node[kind='Internet']", style: { shape: "star", width: 40, height: 40, "background-color": "#d7263d" } },
  { selector: "node[kind='Gateway']", style: { shape: "diamond", width: 30, height: 30, "background-color": "#2a9d8f" } },
  { selector: "node[kind='Service']", style: { shape: "round-rectangle", width: 34, height: 22, "background-color": "#3a6ea5" } },
  { selector: "node[kind='API']", style: { shape: "ellipse", width: 10, height: 10, "font-size": 6, "background-color": "#9bb7d4", "border-width": 1 } },
  { selector: "node[kind='DataStore']", style: { shape: "barrel", width: 28, height: 30, "background-color": "#6a4c93" } },
  { selector: "node[kind='ThirdParty']", style: { shape: "hexagon", width: 30, height: 30, "background-color": "#e76f51" } },
  { selector: "node[?hasPCI]", style: { "background-color": "#b5179e" } },
  // A group is a box drawn behind its members, sized by the layout (see
  // EstateMap.fitBoxes), not a cytoscape compound parent: compound nodes
  // made every style property of every member walk the group's members.
  { selector: "node.group", style: {
      shape: "round-rectangle", width: "data(w)", height: "data(h)", "background-color": "#eef2f8", "background-opacity": 0.6,
      "border-width": 1, "border-color": "#9aa8bf", label: "data(label)", "text-valign": "top", "text-halign": "center",
      "text-margin-y": -2, "font-size": 11, "font-weight": "bold", "min-zoomed-font-size": 0, "z-index": 0 } },
  { selector: "node.agg", style: {
      shape: "round-rectangle", width: "data(size)", height: "data(size)", "background-color": "#dfe7f3",
      "border-color": "#3a6ea5", "border-width": 2, "text-valign": "center", "font-size": 16,
      "text-max-width": "data(size)", "min-zoomed-font-size": 0 } },
  { selector: "edge", style: {
      width: 1.2, "curve-style": "bezier", "target-arrow-shape": "triangle", "arrow-scale": 0.7,
      "line-color": "#9aa3b2", "target-arrow-color": "#9aa3b2", "z-index-compare": "manual", "z-index": 1 } },
  { selector: "edge[kind='ROUTES_TO']", style: { "line-color": "#2a9d8f", "target-arrow-color": "#2a9d8f", width: 1.8 } },
  { selector: "edge[kind='CALLS']", style: { "line-color": "#3a6ea5", "target-arrow-color": "#3a6ea5" } },
  { selector: "edge[kind='READS']", style: { "line-style": "dashed", "line-color": "#6a4c93", "target-arrow-color": "#6a4c93" } },
  { selector: "edge[kind='WRITES']", style: { "line-style": "dashed", "line-color": "#e76f51", "target-arrow-color": "#e76f51", width: 1.8 } },
  { selector: "edge[kind='EXPOSES']", style: { "line-style": "dotted", width: 0.6, "target-arrow-shape": "none", "line-color": "#c5cedb" } },
  { selector: "edge[kind='DEPENDS_ON']", style: { "line-style": "dotted", "line-color": "#7b2cbf", "target-arrow-color": "#7b2cbf" } },
  { selector: "edge.agg", style: { width: "data(width)", label: "data(label)", "font-size": 8, "min-zoomed-font-size": 8 } },
  { selector: ".hidden", style: { display: "none" } },
  { selector: ".faded", style: { opacity: 0.15 } },
  { selector: "node.hl", style: { opacity: 1, "border-width": 4, "border-color": "#d7263d", "z-index": 10 } },
  { selector: "node.d0", style: { "background-color": "#d7263d" } },
  { selector: "node.d1", style: { "background-color": "#f3722c" } },
  { selector: "node.d2", style: { "background-color": "#f8961e" } },
  { selector: "node.d3", style: { "background-color": "#f9c74f" } },
  { selector: "edge.hl", style: { opacity: 1, "line-color": "#d7263d", "target-arrow-color": "#d7263d", width: 2.5 } },
  { selector: ".path", style: { opacity: 1, "z-index": 20 } },
  { selector: "node.path", style: { "border-width": 5, "border-color": "#111", "background-color": "#d7263d" } },
  { selector: "edge.path", style: { width: 4, "line-color": "#d7263d", "target-arrow-color": "#d7263d" } },
  { selector: "node.match", style: { "border-width": 5, "border-color": "#ffb703" } },
  { selector: "node[kind='API'].path, node[kind='API'].hover", style: {
      label: "data(full)", "font-size": 7, "text-background-color": "#fff", "text-background-opacity": 0.9,
      "text-background-padding": "1px", "min-zoomed-font-size": 0, "z-index": 20 } },
  { selector: "node:selected", style: { "border-width": 5, "border-color": "#111" } },
];

// Timings in ms: marks since navigation start, durations of phases.
export interface Timings {
  scriptStart?: number; // the app's module began to run
  dataLoaded?: number; // the estate is in memory
  firstRender?: number; // the first frame of the map is painted
  settled?: number; // the frame after it is painted too
  sync?: number;
  layout?: number;
  paint?: number;
  lastExpand?: number; // an expanded group's members are drawn (ms)
  lastExpandEdges?: number; // and the edges touching them (ms)
  full?: number; // a large estate's whole map (with APIs) is drawn
  dagre?: number; // the last dagre arrangement of the blocks (ms)
  blocks?: number; // blocks (groups, ungrouped nodes) and edges between them
  blockEdges?: number;
  complete?: number; // a progressive load has all its data drawn
}

export class EstateMap {
  cy: cytoscape.Core;
  expanded = new Set<string>();
  aggregated: boolean;
  filters: Filters = noFilters();
  timings: Timings = {};
  private userZoomAt = 0;
  private userMoved = false;
  private apiCount = new Map<string, number>();

  constructor(
    private container: HTMLElement,
    public estate: Estate,
    private onSelect: (id: string, kind: string) => void,
    large = estate.nodes.size > AGGREGATE_ABOVE,
  ) {
    this.aggregated = large;
    this.countAPIs();
    this.cy = cytoscape({
      // Straight edges skip the bundling of parallel curves, which made the
      // first paint of the demo map about twice as slow.
      container, style: [...STYLE, { selector: "edge", style: { "curve-style": "straight" } }], minZoom: 0.02, maxZoom: 4,
      textureOnViewport: large, hideEdgesOnViewport: large, boxSelectionEnabled: false,
    });
    this.cy.on("mouseover", "node[kind='API']", (ev) => ev.target.addClass("hover"));
    this.cy.on("mouseout", "node[kind='API']", (ev) => ev.target.removeClass("hover"));
    this.cy.on("tap", "node", (ev) => {
      const n = ev.target;
      if (n.hasClass("agg")) this.expand(n.data("group"));
      else this.onSelect(n.id(), n.data("kind"));
    });
    // Zooming far out of a large estate folds the expanded groups back.
    container.addEventListener("wheel", () => { this.userZoomAt = performance.now(); this.userMoved = true; }, { passive: true });
    container.addEventListener("pointerdown", () => (this.userMoved = true));
    this.cy.on("zoom", () => {
      if (this.aggregated && this.expanded.size && performance.now() - this.userZoomAt < 200 && this.cy.zoom() < 0.08) {
        this.collapseAll();
      }
    });
  }

  private countAPIs(): void {
    this.apiCount.clear();
    for (const svc of this.estate.exposedBy.values()) this.apiCount.set(svc, (this.apiCount.get(svc) ?? 0) + 1);
  }

  // setEstate swaps in the whole map (after a large estate was drawn from
  // the map without its APIs), keeping what is expanded, the filters and
  // the viewport.
  setEstate(e: Estate): void {
    this.estate = e;
    this.edgesAt = undefined;
    this.countAPIs();
    this.sync();
    this.layout();
    if (!this.userMoved) this.fit();
    this.publish();
  }

  // setRisks recolours the drawn nodes with their risk scores in place (no
  // layout): they arrive after the first frame.
  setRisks(risks: Risk[]): void {
    for (const r of risks) {
      const n = this.estate.nodes.get(r.id);
      if (n) n.risk = r.risk;
    }
    this.cy.batch(() => {
      for (const r of risks) {
        const n = this.estate.nodes.get(r.id);
        const el = this.cy.getElementById(r.id);
        if (n && el.nonempty()) el.data({ label: this.label(n), riskColor: riskColor(n.risk), ...(n.kind === "API" ? { full: label(n, true) } : {}) });
      }
    });
  }

  private label(n: MapNode): string {
    const folded = this.aggregated && n.kind === "Service" ? this.apiCount.get(n.id) ?? 0 : 0;
    return label(n) + (folded ? `\n${folded} APIs` : "");
  }

  // rep is the element that stands for node id: itself, or its group's
  // aggregate node while the group is folded.
  // In an aggregated map an expanded group shows its services with their
  // APIs folded in (the detail panel lists them): a group of 250 services
  // unfolds as 250 nodes, not 2,500.
  rep(id: string): string {
    const n = this.estate.nodes.get(id);
    if (!n?.group || !this.aggregated) return id;
    if (!this.expanded.has(n.group)) return `agg:${n.group}`;
    if (n.kind === "API") {
      const svc = this.estate.exposedBy.get(id);
      if (svc && this.estate.nodes.get(svc)?.group === n.group) return svc;
    }
    return id;
  }

  // edgesAt indexes the estate's edges by their ends (built on first use).
  private edgesAt?: Map<string, MapEdge[]>;

  // desired is what the drawing should hold: everything, or (scope) only
  // one group's elements and the edges touching its members.
  private desired(scope?: string): Map<string, cytoscape.ElementDefinition> {
    const out = new Map<string, cytoscape.ElementDefinition>();
    const { nodes, groups } = this.estate;
    let edges: Iterable<MapEdge> = this.estate.edges;
    let members: Iterable<MapNode> = nodes.values();
    if (scope) {
      if (!this.edgesAt) {
        this.edgesAt = new Map();
        for (const e of this.estate.edges) {
          for (const end of [e.from, e.to]) {
            const l = this.edgesAt.get(end);
            if (l) l.push(e);
            else this.edgesAt.set(end, [e]);
          }
        }
      }
      const ids = groups.get(scope)?.members ?? [];
      members = ids.map((id) => nodes.get(id)!);
      const touching = new Set<MapEdge>();
      for (const id of ids) for (const e of this.edgesAt.get(id) ?? []) touching.add(e);
      edges = touching;
    }
    for (const g of groups.values()) {
      if (scope && g.id !== scope) continue;
      if (this.aggregated && !this.expanded.has(g.id)) {
        const parts = [g.services && `${g.services} services`, g.apis && `${g.apis} APIs`, g.stores && `${g.stores} stores`].filter(Boolean);
        out.set(`agg:${g.id}`, { group: "nodes", classes: "agg", data: {
          id: `agg:${g.id}`, group: g.id, kind: "Group", label: `${g.label}\n${parts.join(" · ")}`,
          size: Math.min(160, 40 + Math.sqrt(g.members.length) * 6), riskColor: "#3a6ea5",
        } });
      } else {
        out.set(g.id, { group: "nodes", classes: "group", data: { id: g.id, group: g.id, kind: "Group", label: g.label, w: 1, h: 1 } });
      }
    }
    for (const n of members) {
      if (this.rep(n.id) !== n.id) continue;
      out.set(n.id, { group: "nodes", data: {
        id: n.id, kind: n.kind, label: this.label(n), riskColor: riskColor(n.risk),
        ...(n.kind === "API" ? { full: label(n, true) } : {}),
        hasPCI: n.dataClasses.includes("PCI") && n.kind !== "API",
      } });
    }
    const agg = new Map<string, { from: string; to: string; kind: string; count: number }>();
    for (const e of edges) {
      let a = this.rep(e.from), b = this.rep(e.to);
      if (a === b) continue;
      // Between an unfolded group and a folded one, one edge per group pair
      // and kind: a big estate would otherwise draw thousands of edges for
      // one expansion.
      if (this.aggregated && a.startsWith("agg:") !== b.startsWith("agg:")) {
        if (a.startsWith("agg:")) b = nodes.get(b)?.group ?? b;
        else a = nodes.get(a)?.group ?? a;
      }
      if (a === e.from && b === e.to) {
        out.set(e.id, { group: "edges", data: { id: e.id, source: a, target: b, kind: e.kind } });
        continue;
      }
      const key = `agge:${a}>${b}:${e.kind}`;
      const x = agg.get(key);
      if (x) x.count++;
      else agg.set(key, { from: a, to: b, kind: e.kind, count: 1 });
    }
    for (const [id, x] of agg) {
      out.set(id, { group: "edges", classes: "agg", data: {
        id, source: x.from, target: x.to, kind: x.kind, count: x.count, label: x.count > 1 ? String(x.count) : "",
        width: Math.min(8, 1 + Math.log2(x.count)),
      } });
    }
    return out;
  }

  // sync brings the drawing to the desired elements, keeping what stays.
  // It returns the nodes it added.
  private sync(): cytoscape.NodeCollection {
    const want = this.desired();
    const cy = this.cy;
    let added: cytoscape.NodeCollection = cy.collection() as any;
    cy.batch(() => {
      cy.elements().forEach((el) => {
        if (!want.has(el.id())) cy.remove(el);
      });
      const toAdd: cytoscape.ElementDefinition[] = [];
      for (const [id, def] of want) {
        const el = cy.getElementById(id);
        if (el.nonempty()) {
          if (el.data("label") !== def.data.label) el.data("label", def.data.label);
          for (const k of ["size", "riskColor", "full"]) if (def.data[k] != null && el.data(k) !== def.data[k]) el.data(k, def.data[k]);
          continue;
        }
        toAdd.push(def);
      }
      // Nodes before edges.
      toAdd.sort((a, b) => (a.group === "edges" ? 1 : 0) - (b.group === "edges" ? 1 : 0));
      added = cy.add(toAdd).nodes() as any;
    });
    this.applyFilters();
    return added;
  }

  // draw lays the whole map out from scratch.
  async draw(): Promise<void> {
    let t = performance.now();
    const t0 = t;
    const lap = () => { const n = performance.now(); const d = n - t; t = n; return Math.round(d); };
    this.sync();
    this.timings.sync = lap();
    this.layout();
    this.fit();
    this.timings.layout = lap();
    await painted();
    this.timings.paint = lap();
    this.timings.firstRender = performance.now();
    // The frame after it, when cytoscape builds its layer textures.
    nextFrame().then(() => (this.timings.settled = Math.round(performance.now())));
    this.container.dataset.drawMs = String(Math.round(performance.now() - t0));
    this.publish();
  }

  // layout places every drawn node in tiers, left to right as traffic goes:
  // the Internet, gateways, one column per environment of application groups
  // (one row per application), data stores, third parties. Inside a group each
  // service heads a row followed by the APIs it exposes. That placement is
  // arithmetic (no simulation), so a 10,000-node estate lays out in
  // milliseconds and the same estate always draws the same way; on maps
  // with few edges between blocks, dagre then arranges the blocks (arrange).
  layout(): void {
    const { nodes, groups, envs } = this.estate;
    const pos = new Map<string, { x: number; y: number }>();
    const apisOf = new Map<string, string[]>();
    if (!this.aggregated) {
      for (const [api, svc] of this.estate.exposedBy) {
        const l = apisOf.get(svc);
        if (l) l.push(api);
        else apisOf.set(svc, [api]);
      }
    }
    const byName = (a: string, b: string) => {
      const x = nodes.get(a)!, y = nodes.get(b)!;
      return x.name < y.name ? -1 : x.name > y.name ? 1 : a < b ? -1 : 1;
    };
    const loose = new Map<string, string[]>();
    for (const n of nodes.values()) {
      if (n.group) continue;
      const l = loose.get(n.kind);
      if (l) l.push(n.id);
      else loose.set(n.kind, [n.id]);
    }
    const ungrouped = (kind: string) => (loose.get(kind) ?? []).sort(byName);
    const column = (ids: string[], x: number, gap: number) => {
      const h = (ids.length - 1) * gap;
      ids.forEach((id, i) => pos.set(id, { x, y: -h / 2 + i * gap }));
    };
    const API_COLS = 6, STEP = 26;
    // Lays out one group's members from (x, y); returns its width and height.
    const block = (g: string, x: number, y: number): { w: number; h: number } => {
      if (this.aggregated && !this.expanded.has(g)) {
        const size = Math.min(160, 40 + Math.sqrt(groups.get(g)!.members.length) * 6);
        pos.set(`agg:${g}`, { x: x + size / 2, y: y + size / 2 });
        return { w: size, h: size };
      }
      const members = groups.get(g)!.members;
      if (this.aggregated) {
        const shown = members.filter((id) => this.rep(id) === id).sort(byName);
        const cols = Math.max(1, Math.ceil(Math.sqrt(shown.length * 2)));
        shown.forEach((id, i) => pos.set(id, { x: x + (i % cols) * 110, y: y + Math.floor(i / cols) * 70 }));
        return { w: cols * 110, h: Math.ceil(shown.length / cols) * 70 };
      }
      const heads = members.filter((id) => nodes.get(id)!.kind !== "API").sort(byName);
      const orphans = members.filter((id) => nodes.get(id)!.kind === "API" && !heads.includes(this.estate.exposedBy.get(id) ?? ""));
      let row = y, w = 0;
      const place = (head: string | null, apis: string[]) => {
        if (head) pos.set(head, { x, y: row });
        apis.sort(byName).forEach((a, i) => pos.set(a, { x: x + 50 + (i % API_COLS) * STEP, y: row + Math.floor(i / API_COLS) * STEP }));
        w = Math.max(w, apis.length ? 50 + (Math.min(apis.length, API_COLS) - 1) * STEP : 0);
        row += Math.max(1, Math.ceil(apis.length / API_COLS)) * STEP + 30;
      };
      for (const h of heads) place(h, nodes.get(h)!.kind === "Service" ? (apisOf.get(h) ?? []).filter((a) => nodes.get(a)?.group === g) : []);
      if (orphans.length) place(null, orphans);
      return { w: w + 40, h: row - y };
    };
    const appGroups = [...groups.values()].filter((g) => g.app !== "data stores");
    const storeGroups = [...groups.values()].filter((g) => g.app === "data stores");
    const apps = [...new Set(appGroups.map((g) => g.app))].sort();
    const envList = [...new Set([...envs, ...appGroups.map((g) => g.env)])].sort();
    let x = 0;
    column(ungrouped("Internet"), x, 80);
    x += 160;
    column(ungrouped("Gateway"), x, 80);
    x += 200;
    // One column per environment, one band per application across them;
    // many applications wrap into several such blocks side by side so that
    // a 300-application estate is not one tall strip.
    const perBlock = Math.max(8, Math.ceil(Math.sqrt(apps.length * 3)));
    const sizes = new Map<string, { w: number; h: number }>();
    let height = 0;
    for (let b = 0; b < apps.length; b += perBlock) {
      const chunk = apps.slice(b, b + perBlock);
      const bandTop = new Map<string, number>();
      let top = 0;
      for (const app of chunk) {
        bandTop.set(app, top);
        let h = 0;
        for (const env of envList) {
          const g = groups.get(`grp:${app}|${env}`);
          if (!g) continue;
          const sz = block(g.id, 0, 0); // measure
          sizes.set(g.id, sz);
          h = Math.max(h, sz.h);
        }
        top += h + 70;
      }
      height = Math.max(height, top);
      for (const env of envList) {
        let w = 0;
        for (const app of chunk) {
          const g = groups.get(`grp:${app}|${env}`);
          if (!g) continue;
          block(g.id, x, bandTop.get(app)! - top / 2);
          w = Math.max(w, sizes.get(g.id)!.w);
        }
        if (w) x += w + 120;
      }
      x += 80;
    }
    let sy = -height / 2, sw = 0;
    for (const g of storeGroups.sort((a, b) => (a.env < b.env ? -1 : 1))) {
      const cols = Math.max(1, Math.ceil(Math.sqrt(g.members.length / 3)));
      if (this.aggregated && !this.expanded.has(g.id)) {
        const sz = block(g.id, x, sy);
        sy += sz.h + 70;
        sw = Math.max(sw, sz.w);
        continue;
      }
      g.members.slice().sort(byName).forEach((id, i) => pos.set(id, { x: x + (i % cols) * 90, y: sy + Math.floor(i / cols) * 70 }));
      sy += Math.ceil(g.members.length / cols) * 70 + 70;
      sw = Math.max(sw, cols * 90);
    }
    x += sw + 160;
    column(ungrouped("ThirdParty"), x, 80);
    if (this.dagreWanted() !== "0") this.arrange(pos);
    this.cy.batch(() => {
      this.cy.nodes().forEach((n) => {
        const p = pos.get(n.id());
        if (!p) return;
        const q = n.position();
        if (q.x !== p.x || q.y !== p.y) n.position(p);
      });
    });
    this.fitBoxes();
  }

  // useDagre: ?dagre=0 in the page's URL turns the dagre arrangement off
  // (to compare layouts and their cost); ?dagre=1 forces it on.
  private dagreWanted(): "0" | "1" | null {
    const force = new URLSearchParams(location.search).get("dagre");
    return force === "0" || force === "1" ? force : null;
  }

  // arrange moves whole blocks (a group with its members, or an ungrouped
  // node) to where dagre puts them in a left-to-right layered drawing of the
  // block graph (Internet → gateways → services → stores → third parties by
  // the edges between them); inside a block the arithmetic layout stays.
  private arrange(pos: Map<string, { x: number; y: number }>): void {
    const t = performance.now();
    const unit = (id: string) => {
      const n = this.estate.nodes.get(id);
      return n?.group && !id.startsWith("agg:") ? n.group : id;
    };
    const bb = new Map<string, Bounds>();
    for (const [id, p] of pos) grow(bb, unit(id), id, p);
    const els: cytoscape.ElementDefinition[] = [];
    for (const [u, b] of bb) {
      const agg = u.startsWith("agg:") ? Number(this.cy.getElementById(u).data("size") ?? 40) : 0;
      const grouped = this.estate.groups.has(u);
      els.push({ group: "nodes", data: { id: u, w: (b.x1 - b.x0) + (grouped ? 80 : 40) + agg, h: (b.y1 - b.y0) + (grouped ? 70 : 40) + agg } });
    }
    const seen = new Set<string>();
    for (const e of this.estate.edges) {
      const a = unit(this.rep(e.from)), b = unit(this.rep(e.to));
      const k = `${a}>${b}`;
      if (a === b || seen.has(k) || !bb.has(a) || !bb.has(b)) continue;
      seen.add(k);
      els.push({ group: "edges", data: { id: k, source: a, target: b } });
    }
    this.timings.blocks = bb.size;
    this.timings.blockEdges = seen.size;
    // dagre's cost grows with the edges between blocks: the demo's 15
    // blocks and 23 edges take 0.07-0.14 s, the 10,000-node estate's 45
    // blocks and 380 edges 0.7-1.5 s, more than its first frame; there the
    // arithmetic arrangement stays (measured, BENCHMARKS.md).
    if (seen.size > DAGRE_MAX_EDGES && this.dagreWanted() !== "1") {
      this.timings.dagre = undefined;
      return;
    }
    const h = cytoscape({ headless: true, styleEnabled: true, elements: els, style: [{ selector: "node", style: { width: "data(w)", height: "data(h)", shape: "rectangle" } }] as any });
    h.layout({ name: "dagre", rankDir: "LR", nodeSep: 40, rankSep: 110, fit: false, animate: false } as any).run();
    h.nodes().forEach((n) => {
      const b = bb.get(n.id())!;
      const c = n.position();
      const dx = c.x - (b.x0 + b.x1) / 2, dy = c.y - (b.y0 + b.y1) / 2;
      for (const id of b.ids) { const p = pos.get(id)!; pos.set(id, { x: p.x + dx, y: p.y + dy }); }
    });
    h.destroy();
    this.timings.dagre = Math.round(performance.now() - t);
  }

  // fitBoxes sizes each group's box around its drawn, unfiltered members
  // (what a compound parent did by itself).
  fitBoxes(): void {
    const bb = new Map<string, Bounds>();
    this.cy.nodes().forEach((n) => {
      if (n.hasClass("group") || n.hasClass("hidden")) return;
      const g = this.estate.nodes.get(n.id())?.group;
      if (g) grow(bb, g, n.id(), n.position());
    });
    this.cy.batch(() => {
      this.cy.nodes(".group").forEach((box) => {
        const b = bb.get(box.id());
        if (!b) return;
        // Room for the widest node and the labels under the nodes.
        const x0 = b.x0 - 40, x1 = b.x1 + 40, y0 = b.y0 - 28, y1 = b.y1 + 42;
        box.position({ x: (x0 + x1) / 2, y: (y0 + y1) / 2 });
        box.data({ w: x1 - x0, h: y1 - y0 });
      });
    });
  }

  // expand unfolds one aggregated group in place and lays the map out
  // again, keeping the viewport where it was.
  async expand(groupID: string): Promise<void> {
    if (!this.aggregated || this.expanded.has(groupID)) return;
    const t0 = performance.now();
    this.expanded.add(groupID);
    // Only the group changes: its box replaces its aggregate node (and the
    // aggregated edges at it), its members and the edges touching them are
    // added; the rest of the drawing stays as it is.
    const want = this.desired(groupID);
    const cy = this.cy;
    const defs = [...want.values()].filter((d) => cy.getElementById(d.data.id!).empty());
    // The members are drawn in one frame and the edges touching them in
    // the next: styling and drawing a large group's edges (twice as many as
    // its nodes, with arrowheads) would hold the unfolded group back.
    cy.batch(() => {
      cy.getElementById(`agg:${groupID}`).remove();
      cy.add(defs.filter((d) => d.group !== "edges"));
    });
    this.applyFilters();
    this.layout();
    this.fit(this.estate.groups.get(groupID)!.members);
    await painted();
    this.timings.lastExpand = performance.now() - t0;
    cy.batch(() => cy.add(defs.filter((d) => d.group === "edges")));
    this.applyFilters();
    await painted();
    this.timings.lastExpandEdges = performance.now() - t0;
    this.publish();
  }

  collapse(groupID: string): void {
    if (!this.expanded.delete(groupID)) return;
    this.sync();
    this.layout();
    this.publish();
  }

  collapseAll(): void {
    if (!this.expanded.size) return;
    this.expanded.clear();
    this.sync();
    this.layout();
    this.fit();
    this.publish();
  }

  // fit frames the drawn nodes by their positions. cy.fit measures every
  // label first, which costs more than the whole layout on a large map.
  fit(ids?: string[]): void {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    const nodes = ids ? this.cy.collection(ids.map((id) => this.cy.getElementById(this.rep(id))) as any) : this.cy.nodes();
    nodes.forEach((n) => {
      if (n.hasClass("group") || n.hasClass("hidden")) return;
      const p = n.position();
      x0 = Math.min(x0, p.x); y0 = Math.min(y0, p.y); x1 = Math.max(x1, p.x); y1 = Math.max(y1, p.y);
    });
    if (x0 === Infinity) return;
    const pad = 60, w = this.cy.width(), h = this.cy.height();
    const zoom = Math.min(2, Math.max(this.cy.minZoom(), Math.min((w - 2 * pad) / Math.max(1, x1 - x0), (h - 2 * pad) / Math.max(1, y1 - y0))));
    this.cy.viewport({ zoom, pan: { x: w / 2 - zoom * (x0 + x1) / 2, y: h / 2 - zoom * (y0 + y1) / 2 } });
  }

  // visible decides a leaf node by the filters.
  private passes(n: MapNode, f: Filters): boolean {
    if (f.env && n.env && n.env !== f.env) return false;
    if (f.dataClass && !n.dataClasses.includes(f.dataClass)) return false;
    if (f.internetFacing && !n.internetFacing) return false;
    if (f.app && n.group && !n.apps.includes(f.app)) return false;
    return true;
  }

  applyFilters(f: Filters = this.filters): void {
    this.filters = f;
    if (!f.env && !f.app && !f.dataClass && !f.internetFacing) {
      // Nothing filtered: show what is hidden (no pass over the estate).
      this.cy.batch(() => { this.cy.nodes(".hidden").removeClass("hidden"); });
      this.fitBoxes();
      this.publish();
      return;
    }
    const { nodes, edges } = this.estate;
    const pass = new Set<string>();
    for (const n of nodes.values()) if (this.passes(n, f)) pass.add(n.id);
    if (f.app) {
      // Ungrouped nodes (Internet, gateways, third parties) and data stores
      // stay only when they touch the application's services or APIs.
      const inApp = (id: string) => !!nodes.get(id)?.apps.includes(f.app);
      const near = new Set<string>();
      for (const e of edges) {
        if (inApp(e.from) && pass.has(e.from)) near.add(e.to);
        if (inApp(e.to) && pass.has(e.to)) near.add(e.from);
      }
      for (const id of [...pass]) if (!inApp(id) && !near.has(id)) pass.delete(id);
    }
    const shownGroups = new Set<string>();
    for (const id of pass) {
      const g = nodes.get(id)?.group;
      if (g) shownGroups.add(g);
    }
    this.cy.batch(() => {
      this.cy.nodes().forEach((el) => {
        const kind = el.data("kind");
        const show = kind === "Group" ? shownGroups.has(el.data("group")) : pass.has(el.id());
        if (show === el.hasClass("hidden")) el.toggleClass("hidden", !show);
      });
    });
    this.fitBoxes();
    this.publish();
  }

  clearOverlay(): void {
    this.cy.elements().removeClass("hl d0 d1 d2 d3 faded path match");
    this.publish();
  }

  // highlight lights up ids (node id → depth) and fades the rest.
  highlight(depths: Map<string, number>, edgeIDs: string[] = []): void {
    this.cy.batch(() => {
      this.cy.elements().removeClass("hl d0 d1 d2 d3 path match").addClass("faded");
      for (const [id, d] of depths) {
        const el = this.cy.getElementById(this.rep(id));
        if (el.empty()) continue;
        const prev = el.data("depth");
        el.removeClass("faded").addClass("hl");
        const depth = Math.min(3, prev != null && el.hasClass("agg") ? Math.min(prev, d) : d);
        el.removeClass("d0 d1 d2 d3").addClass(`d${depth}`);
        this.unfadeBox(id);
      }
      for (const id of edgeIDs) this.cy.getElementById(id).removeClass("faded").addClass("hl");
      // Edges between two lit nodes belong to the picture.
      this.cy.edges().forEach((e) => {
        if (e.source().hasClass("hl") && e.target().hasClass("hl")) e.removeClass("faded");
      });
    });
    this.publish();
  }

  // unfadeBox keeps the box of node id's group lit (when it is drawn).
  private unfadeBox(id: string): void {
    const g = this.estate.nodes.get(id)?.group;
    if (g) this.cy.getElementById(g).removeClass("faded");
  }

  // showPath draws one path: its hop nodes and the edges between them.
  showPath(nodeIDs: string[], edgeIDs: string[]): void {
    this.cy.batch(() => {
      this.cy.elements().removeClass("hl d0 d1 d2 d3 path match").addClass("faded");
      for (const id of nodeIDs) {
        const el = this.cy.getElementById(this.rep(id));
        el.removeClass("faded").addClass("path");
        this.unfadeBox(id);
      }
      for (const id of edgeIDs) this.cy.getElementById(id).removeClass("faded").addClass("path");
      // Aggregated or undrawn hop edges: join consecutive hops directly.
      for (let i = 1; i < nodeIDs.length; i++) {
        const a = this.rep(nodeIDs[i - 1]), b = this.rep(nodeIDs[i]);
        this.cy.edges().filter((e) => (e.source().id() === a && e.target().id() === b) || (e.source().id() === b && e.target().id() === a))
          .removeClass("faded").addClass("path");
      }
    });
    this.focus(nodeIDs);
    this.publish();
  }

  // focus fits the viewport to ids (expanding folded groups they are in).
  focus(ids: string[]): void {
    this.fit(ids);
  }

  search(q: string): string[] {
    q = q.trim().toLowerCase();
    this.cy.nodes().removeClass("match");
    if (!q) return [];
    const hits: string[] = [];
    for (const n of this.estate.nodes.values()) if (n.name.toLowerCase().includes(q)) hits.push(n.id);
    this.cy.batch(() => {
      for (const id of hits) this.cy.getElementById(this.rep(id)).addClass("match");
    });
    return hits;
  }

  select(id: string): void {
    this.cy.nodes().unselect();
    this.cy.getElementById(this.rep(id)).select();
  }

  // Test and measurement hooks, published on the container as data-*.
  leafCount(): number {
    return this.cy.nodes().filter((n) => !n.hasClass("hidden") && n.data("kind") !== "Group").length;
  }

  highlighted(): string[] {
    return this.cy.nodes(".hl").map((n) => n.id()).sort();
  }

  private publish(): void {
    const d = this.container.dataset;
    d.nodeCount = String(this.leafCount());
    d.edgeCount = String(this.cy.edges().filter((e) => !e.source().hasClass("hidden") && !e.target().hasClass("hidden")).length);
    d.groupCount = String(this.cy.nodes(".agg, .group").filter((n) => !n.hasClass("hidden")).length);
    d.aggregated = String(this.aggregated);
    d.expanded = String(this.expanded.size);
    d.highlighted = String(this.cy.nodes(".hl").length);
  }
}

// Bounds of a set of positions (a block or a group's members).
interface Bounds { x0: number; y0: number; x1: number; y1: number; ids: string[] }

// grow extends the bounds kept under key by the position of node id.
function grow(bb: Map<string, Bounds>, key: string, id: string, p: { x: number; y: number }): void {
  const b = bb.get(key);
  if (!b) {
    bb.set(key, { x0: p.x, y0: p.y, x1: p.x, y1: p.y, ids: [id] });
    return;
  }
  b.x0 = Math.min(b.x0, p.x); b.y0 = Math.min(b.y0, p.y); b.x1 = Math.max(b.x1, p.x); b.y1 = Math.max(b.y1, p.y);
  b.ids.push(id);
}

// painted resolves once the next frame has been produced: cytoscape draws
// in its own animation-frame callback, which runs before ours in that
// frame, and a task posted from ours runs after the frame's rendering.
export function painted(): Promise<void> {
  return new Promise((r) => requestAnimationFrame(() => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => r();
    ch.port2.postMessage(null);
  }));
}

export function nextFrame(): Promise<void> {
  return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
}
