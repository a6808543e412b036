// Data flows view: the APIs, services, stores and third parties one data
// class flows through, from dataFlows, drawn left to right in flow order.
import cytoscape from "cytoscape";
import { gql } from "./api";
import { STYLE, nextFrame } from "./map";
import type { Estate } from "./model";
import { badges, esc } from "./util";

const FLOWS = `query Flows($c: DataClass!) {
  dataFlows(dataClass: $c) {
    apis { id } services { id } dataStores { id } thirdParties { id }
    servicesToThirdParties { id name env }
    steps { kind dataClasses from { id kind name env } to { id kind name env } sources { agent file line } }
  }
}`;

export const FLOW_CLASSES = ["PII", "PCI", "PHI", "CREDENTIALS"];

// flowOrder sorts steps so that a step comes after the steps reaching its
// source (Kahn's order over the step graph; cycles keep their input order).
export function flowOrder(steps: any[]): any[] {
  const indeg = new Map<string, number>();
  for (const s of steps) {
    indeg.set(s.to.id, (indeg.get(s.to.id) ?? 0) + 1);
    if (!indeg.has(s.from.id)) indeg.set(s.from.id, 0);
  }
  const level = new Map<string, number>();
  const queue = [...indeg].filter(([, d]) => d === 0).map(([id]) => id);
  queue.forEach((id) => level.set(id, 0));
  const out = new Map<string, any[]>();
  for (const s of steps) out.set(s.from.id, [...(out.get(s.from.id) ?? []), s]);
  while (queue.length) {
    const id = queue.shift()!;
    for (const s of out.get(id) ?? []) {
      level.set(s.to.id, Math.max(level.get(s.to.id) ?? 0, level.get(id)! + 1));
      const d = indeg.get(s.to.id)! - 1;
      indeg.set(s.to.id, d);
      if (d === 0) queue.push(s.to.id);
    }
  }
  return steps
    .map((s, i) => ({ s, i, l: level.get(s.from.id) ?? Number.MAX_SAFE_INTEGER }))
    .sort((a, b) => a.l - b.l || a.i - b.i)
    .map((x) => x.s);
}

export class Flows {
  private cy?: cytoscape.Core;
  private current = "";

  constructor(public estate: Estate, private container: HTMLElement, private panel: HTMLElement,
    private picker: HTMLElement, private onError: (e: unknown) => void) {
    picker.innerHTML = FLOW_CLASSES.map((c) => `<button data-class="${c}" data-testid="flow-${c}">${c}</button>`).join(" ");
    picker.querySelectorAll<HTMLButtonElement>("button").forEach((b) => b.addEventListener("click", () => this.show(b.dataset.class!)));
  }

  open(): void {
    this.cy?.resize();
  }

  async show(dc: string): Promise<void> {
    this.current = dc;
    this.picker.querySelectorAll("button").forEach((b) => b.classList.toggle("active", b.dataset.class === dc));
    this.panel.innerHTML = `<p class="muted">Loading ${esc(dc)} flows…</p>`;
    let f: any;
    try {
      f = (await gql(FLOWS, { c: dc })).dataFlows;
    } catch (e) {
      this.panel.innerHTML = `<p class="err">${esc((e as Error).message)}</p>`;
      this.onError(e);
      return;
    }
    if (this.current !== dc) return;
    const ids = new Set<string>([...f.apis, ...f.services, ...f.dataStores, ...f.thirdParties].map((n: any) => n.id));
    const names = new Map<string, any>();
    for (const s of f.steps) {
      names.set(s.from.id, s.from);
      names.set(s.to.id, s.to);
      ids.add(s.from.id);
      ids.add(s.to.id);
    }
    const steps = flowOrder(f.steps);
    const els: cytoscape.ElementDefinition[] = [];
    for (const id of ids) {
      const n = this.estate.nodes.get(id) ?? names.get(id);
      if (!n) continue;
      els.push({ group: "nodes", data: { id, kind: n.kind, label: `${n.kind === "API" && n.method ? `${n.method} ${n.path}` : n.name}${n.env ? `\n(${n.env})` : ""}`, riskColor: "#8a94a6" } });
    }
    steps.forEach((s: any, i: number) => els.push({ group: "edges", data: { id: `step${i}`, source: s.from.id, target: s.to.id, kind: s.kind } }));
    this.cy?.destroy();
    this.cy = cytoscape({ container: this.container, style: STYLE, elements: els, boxSelectionEnabled: false });
    const roots = this.cy.nodes().filter((n) => n.incomers("edge").empty());
    this.cy.layout({ name: "breadthfirst", directed: true, roots, spacingFactor: 0.9, animate: false } as any).run();
    // breadthfirst lays out top-down; turn it so that data flows left to right.
    this.cy.nodes().positions((n) => ({ x: n.position("y") * 2.2, y: n.position("x") * 0.6 }));
    this.cy.fit(undefined, 30);
    await nextFrame();
    this.container.dataset.nodeCount = String(this.cy.nodes().length);
    this.container.dataset.dataClass = dc;
    this.panel.innerHTML = `<h2>${esc(dc)} flows</h2>
      <p data-testid="flow-summary">${f.apis.length} APIs · ${f.services.length} services · ${f.dataStores.length} data stores · ${f.thirdParties.length} third parties</p>
      ${f.servicesToThirdParties.length ? `<p class="warn">Sent to third parties by: ${f.servicesToThirdParties.map((s: any) => esc(s.name)).join(", ")}</p>` : ""}
      ${steps.length ? `<ol class="steps" data-testid="flow-steps">${steps.map((s: any) => `<li data-testid="flow-step">
        <b>${esc(label(s.from))}</b> <span class="muted">${esc(s.kind)} →</span> <b>${esc(label(s.to))}</b> ${badges(s.dataClasses)}
        ${s.sources.slice(0, 2).map((x: any) => `<br><span class="muted">${esc(x.agent)} ${x.file ? `<code>${esc(x.file)}${x.line ? ":" + x.line : ""}</code>` : ""}</span>`).join("")}
      </li>`).join("")}</ol>` : `<p class="muted" data-testid="flow-empty">No recorded flow of ${esc(dc)}.</p>`}`;
  }
}

const label = (n: any) => `${n.name}${n.env ? ` (${n.env})` : ""}`;
