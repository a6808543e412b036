// The architecture map: cytoscape drawing of an Estate with compound groups
// (application × environment), aggregation of whole groups into one node for
// large estates, filters, and overlays (blast radius, attack paths, focus).
import cytoscape from "cytoscape";
import fcose from "cytoscape-fcose";
import type { Estate, MapNode } from "./model";

cytoscape.use(fcose);

// Above this many drawable nodes the map starts aggregated by group.
export const AGGREGATE_ABOVE = 1500;

export interface Filters {
  env: string;
  app: string;
  dataClass: string;
  internetFacing: boolean;
}

export const noFilters = (): Filters => ({ env: "", app: "", dataClass: "", internetFacing: false });

const riskColor = (r: number | null) =>
  r == null ? "#8a94a6" : r >= 70 ? "#d7263d" : r >= 40 ? "#f49d37" : r > 0 ? "#e9c46a" : "#8a94a6";

function label(n: MapNode): string {
  const badges = n.dataClasses.length ? `\n[${n.dataClasses.join(" ")}]` : "";
  const risk = n.risk != null && n.risk > 0 ? ` ⚠${Math.round(n.risk)}` : "";
  return `${n.name}${risk}${badges}`;
}

export const STYLE: any[] = [
  { selector: "node", style: {
      label: "data(label)", "font-size": 9, "text-wrap": "wrap", "text-valign": "bottom", "text-margin-y": 3,
      "min-zoomed-font-size": 7, width: 22, height: 22, "background-color": "#5b7db1", "border-width": 2,
      "border-color": "data(riskColor)", color: "#1d2433" } },
  { selector: "node[kind='Internet']", style: { shape: "star", width: 40, height: 40, "background-color": "#d7263d" } },
  { selector: "node[kind='Gateway']", style: { shape: "diamond", width: 30, height: 30, "background-color": "#2a9d8f" } },
  { selector: "node[kind='Service']", style: { shape: "round-rectangle", width: 34, height: 22, "background-color": "#3a6ea5" } },
  { selector: "node[kind='API']", style: { shape: "ellipse", width: 10, height: 10, "font-size": 6, "background-color": "#9bb7d4", "border-width": 1 } },
  { selector: "node[kind='DataStore']", style: { shape: "barrel", width: 28, height: 30, "background-color": "#6a4c93" } },
  { selector: "node[kind='ThirdParty']", style: { shape: "hexagon", width: 30, height: 30, "background-color": "#e76f51" } },
  { selector: "node[?hasPCI]", style: { "background-color": "#b5179e" } },
  { selector: "node.group", style: {
      shape: "round-rectangle", "background-color": "#eef2f8", "background-opacity": 0.6, "border-width": 1,
      "border-color": "#9aa8bf", label: "data(label)", "text-valign": "top", "text-halign": "center", "font-size": 11,
      "font-weight": "bold", padding: "12px" } },
  { selector: "node.agg", style: {
      shape: "round-rectangle", width: "data(size)", height: "data(size)", "background-color": "#dfe7f3",
      "border-color": "#3a6ea5", "border-width": 2, "text-valign": "center", "font-size": 11 } },
  { selector: "edge", style: {
      width: 1.2, "curve-style": "bezier", "target-arrow-shape": "triangle", "arrow-scale": 0.7,
      "line-color": "#9aa3b2", "target-arrow-color": "#9aa3b2" } },
  { selector: "edge[kind='ROUTES_TO']", style: { "line-color": "#2a9d8f", "target-arrow-color": "#2a9d8f", width: 1.8 } },
  { selector: "edge[kind='CALLS']", style: { "line-color": "#3a6ea5", "target-arrow-color": "#3a6ea5" } },
  { selector: "edge[kind='READS']", style: { "line-style": "dashed", "line-color": "#6a4c93", "target-arrow-color": "#6a4c93" } },
  { selector: "edge[kind='WRITES']", style: { "line-style": "dashed", "line-color": "#e76f51", "target-arrow-color": "#e76f51", width: 1.8 } },
  { selector: "edge[kind='EXPOSES']", style: { "line-style": "dotted", width: 0.6, "target-arrow-shape": "none", "line-color": "#c5cedb" } },
  { selector: "edge[kind='DEPENDS_ON']", style: { "line-style": "dotted", "line-color": "#7b2cbf", "target-arrow-color": "#7b2cbf" } },
  { selector: "edge.agg", style: { width: "data(width)", label: "data(label)", "font-size": 8, "text-rotation": "autorotate" } },
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
  { selector: "node:selected", style: { "border-width": 5, "border-color": "#111" } },
];

export interface Timings {
  firstRender?: number;
  lastExpand?: number;
}

export class EstateMap {
  cy: cytoscape.Core;
  expanded = new Set<string>();
  aggregated: boolean;
  filters: Filters = noFilters();
  timings: Timings = {};
  private userZoomAt = 0;

  constructor(
    private container: HTMLElement,
    public estate: Estate,
    private onSelect: (id: string, kind: string) => void,
  ) {
    this.aggregated = estate.nodes.size > AGGREGATE_ABOVE;
    const large = estate.nodes.size > AGGREGATE_ABOVE;
    this.cy = cytoscape({
      container, style: STYLE, minZoom: 0.02, maxZoom: 4, wheelSensitivity: 0.3,
      textureOnViewport: large, hideEdgesOnViewport: large, boxSelectionEnabled: false,
    });
    this.cy.on("tap", "node", (ev) => {
      const n = ev.target;
      if (n.hasClass("agg")) this.expand(n.data("group"));
      else this.onSelect(n.id(), n.data("kind"));
    });
    // Zooming far out of a large estate folds the expanded groups back.
    container.addEventListener("wheel", () => (this.userZoomAt = performance.now()), { passive: true });
    this.cy.on("zoom", () => {
      if (this.aggregated && this.expanded.size && performance.now() - this.userZoomAt < 200 && this.cy.zoom() < 0.08) {
        this.collapseAll();
      }
    });
  }

  // rep is the element that stands for node id: itself, or its group's
  // aggregate node while the group is folded.
  rep(id: string): string {
    const n = this.estate.nodes.get(id);
    if (n?.group && this.aggregated && !this.expanded.has(n.group)) return `agg:${n.group}`;
    return id;
  }

  private desired(): Map<string, cytoscape.ElementDefinition> {
    const out = new Map<string, cytoscape.ElementDefinition>();
    const { nodes, groups, edges } = this.estate;
    for (const g of groups.values()) {
      if (this.aggregated && !this.expanded.has(g.id)) {
        const parts = [g.services && `${g.services} services`, g.apis && `${g.apis} APIs`, g.stores && `${g.stores} stores`].filter(Boolean);
        out.set(`agg:${g.id}`, { group: "nodes", classes: "agg", data: {
          id: `agg:${g.id}`, group: g.id, kind: "Group", label: `${g.label}\n${parts.join(" · ")}`,
          size: Math.min(160, 40 + Math.sqrt(g.members.length) * 6), riskColor: "#3a6ea5",
        } });
      } else {
        out.set(g.id, { group: "nodes", classes: "group", data: { id: g.id, group: g.id, kind: "Group", label: g.label } });
      }
    }
    for (const n of nodes.values()) {
      if (this.rep(n.id) !== n.id) continue;
      out.set(n.id, { group: "nodes", data: {
        id: n.id, parent: n.group ?? undefined, kind: n.kind, label: label(n), riskColor: riskColor(n.risk),
        hasPCI: n.dataClasses.includes("PCI") && n.kind !== "API",
      } });
    }
    const agg = new Map<string, { from: string; to: string; kind: string; count: number }>();
    for (const e of edges) {
      const a = this.rep(e.from), b = this.rep(e.to);
      if (a === b) continue;
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
          if (def.group === "edges") el.data("label", def.data.label);
          continue;
        }
        toAdd.push(def);
      }
      // Parents before children, nodes before edges.
      const rank = (d: cytoscape.ElementDefinition) => (d.group === "edges" ? 2 : d.classes === "group" ? 0 : 1);
      toAdd.sort((a, b) => rank(a) - rank(b));
      added = cy.add(toAdd).nodes() as any;
    });
    this.applyFilters();
    return added;
  }

  // draw lays the whole map out from scratch.
  async draw(): Promise<void> {
    const t0 = performance.now();
    this.sync();
    await this.layout(this.cy.elements());
    this.cy.fit(undefined, 30);
    await nextFrame();
    this.timings.firstRender = performance.now();
    this.container.dataset.drawMs = String(Math.round(performance.now() - t0));
    this.publish();
  }

  private layout(eles: cytoscape.CollectionReturnValue): Promise<void> {
    return new Promise((resolve) => {
      const l = eles.layout({
        name: "fcose", quality: eles.length > 3000 ? "draft" : "default", randomize: true, animate: false,
        nodeDimensionsIncludeLabels: false, packComponents: true, nodeRepulsion: () => 6000,
        idealEdgeLength: () => 60, nestingFactor: 0.6, numIter: 1500, tile: true,
        // Determinism: the same estate draws the same way on every load.
        randomSeed: 1,
      } as any);
      l.one("layoutstop", () => resolve());
      l.run();
    });
  }

  // expand unfolds one aggregated group in place: its members are laid out
  // on a grid where the group's node was; nothing else moves.
  async expand(groupID: string): Promise<void> {
    if (!this.aggregated || this.expanded.has(groupID)) return;
    const t0 = performance.now();
    const at = this.cy.getElementById(`agg:${groupID}`).position();
    const center = at ? { x: at.x, y: at.y } : { x: 0, y: 0 };
    this.expanded.add(groupID);
    const added = this.sync().filter((n) => !n.isParent());
    // Services first, each followed by its APIs, in rows.
    const order = added.sort((a, b) => {
      const ka = a.data("kind") === "Service" ? a.id() : this.serviceOf(a.id());
      const kb = b.data("kind") === "Service" ? b.id() : this.serviceOf(b.id());
      return ka === kb ? (a.data("kind") === "Service" ? -1 : b.data("kind") === "Service" ? 1 : 0) : ka < kb ? -1 : 1;
    });
    const cols = Math.max(1, Math.ceil(Math.sqrt(order.length)));
    const step = 48;
    const w = (cols - 1) * step;
    this.cy.batch(() => {
      order.forEach((n, i) => {
        n.position({ x: center.x - w / 2 + (i % cols) * step, y: center.y - w / 2 + Math.floor(i / cols) * step });
      });
    });
    await nextFrame();
    this.timings.lastExpand = performance.now() - t0;
    this.publish();
  }

  private serviceOf(apiID: string): string {
    return this.estate.exposedBy.get(apiID) ?? apiID;
  }

  collapse(groupID: string): void {
    if (!this.expanded.delete(groupID)) return;
    const box = this.cy.getElementById(groupID);
    const pos = box.nonempty() ? { ...box.position() } : null;
    this.sync().forEach((n) => {
      if (pos) n.position(pos);
    });
    this.publish();
  }

  collapseAll(): void {
    if (!this.expanded.size) return;
    const ids = [...this.expanded];
    const pos = new Map(ids.map((id) => [id, { ...this.cy.getElementById(id).position() }]));
    this.expanded.clear();
    this.sync().forEach((n) => {
      const p = pos.get(n.data("group"));
      if (p) n.position(p);
    });
    this.publish();
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
        if (show) el.removeClass("hidden");
        else el.addClass("hidden");
      });
    });
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
        el.ancestors().removeClass("faded");
      }
      for (const id of edgeIDs) this.cy.getElementById(id).removeClass("faded").addClass("hl");
      // Edges between two lit nodes belong to the picture.
      this.cy.edges().forEach((e) => {
        if (e.source().hasClass("hl") && e.target().hasClass("hl")) e.removeClass("faded");
      });
    });
    this.publish();
  }

  // showPath draws one path: its hop nodes and the edges between them.
  showPath(nodeIDs: string[], edgeIDs: string[]): void {
    this.cy.batch(() => {
      this.cy.elements().removeClass("hl d0 d1 d2 d3 path match").addClass("faded");
      for (const id of nodeIDs) {
        const el = this.cy.getElementById(this.rep(id));
        el.removeClass("faded").addClass("path");
        el.ancestors().removeClass("faded");
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
    const els = this.cy.collection();
    for (const id of ids) els.merge(this.cy.getElementById(this.rep(id)));
    if (els.nonempty()) this.cy.animate({ fit: { eles: els, padding: 60 } } as any, { duration: 250 });
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
    d.edgeCount = String(this.cy.edges().filter((e) => e.visible()).length);
    d.groupCount = String(this.cy.nodes(".agg, .group").filter((n) => !n.hasClass("hidden")).length);
    d.aggregated = String(this.aggregated);
    d.expanded = String(this.expanded.size);
    d.highlighted = String(this.cy.nodes(".hl").length);
  }
}

export function nextFrame(): Promise<void> {
  return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
}
