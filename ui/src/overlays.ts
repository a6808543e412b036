// Overlays on the map: blast radius by depth, attack paths one at a time
// with the findings on each hop, and the top risks.
import { gql } from "./api";
import type { EstateMap } from "./map";
import { badges, esc, riskBadge } from "./util";

const BLAST = `query Blast($id: ID!) {
  blastRadius(from: $id) { totalReached score dataClasses
    from { id }
    reached { node { id kind name env } depth via lateral } }
}`;

const HOPS = `hops { id kind name edge edgeKind findings { id name rule severity risk } }`;
const PATHS = `query Paths($to: PathTarget!) {
  attackPaths(to: $to, limit: 10) { score length authenticated dataClasses target { id name } ${HOPS} }
}`;

const RISKS = `query Risks { topRisks(limit: 10) { id title risk dataClasses subject { id kind name env } path { id } factors { name value } } }`;

export class Overlays {
  private paths: any[] = [];
  private current = 0;

  constructor(private map: EstateMap, private panel: HTMLElement, private onError: (e: unknown) => void) {}

  private open(html: string, kind: string): void {
    this.panel.hidden = false;
    this.panel.dataset.overlay = kind;
    this.panel.innerHTML = `<button class="close" data-testid="overlay-close" title="clear overlay">×</button>${html}`;
    this.panel.querySelector(".close")!.addEventListener("click", () => this.clear());
  }

  private async run<T>(what: string, kind: string, f: () => Promise<T>): Promise<T | undefined> {
    this.open(`<p class="muted" data-testid="overlay-loading">Loading ${esc(what)}…</p>`, kind);
    try {
      return await f();
    } catch (e) {
      this.open(`<p class="err">${esc((e as Error).message)}</p>`, kind);
      this.onError(e);
      return undefined;
    }
  }

  clear(): void {
    this.panel.hidden = true;
    this.panel.innerHTML = "";
    delete this.panel.dataset.overlay;
    this.map.clearOverlay();
  }

  async blastRadius(id: string, name: string): Promise<void> {
    const d = await this.run("the blast radius", "blast", () => gql(BLAST, { id }));
    if (!d) return;
    const br = d.blastRadius;
    const depths = new Map<string, number>();
    for (const f of br.from) depths.set(f.id, 0);
    for (const r of br.reached) if (!depths.has(r.node.id)) depths.set(r.node.id, r.depth);
    // Only what the map draws can light up; the rest is listed.
    const drawn = new Map([...depths].filter(([id]) => this.map.estate.nodes.has(id)));
    this.map.highlight(drawn);
    // Bring the lit part of the map into view (the whole estate can hide a
    // radius of a dozen nodes in a corner).
    this.map.focus([...drawn.keys()]);
    const byDepth = new Map<number, any[]>();
    for (const r of br.reached) byDepth.set(r.depth, [...(byDepth.get(r.depth) ?? []), r]);
    const lists = [...byDepth.keys()].sort((a, b) => a - b).map((dep) => `
      <h4><span class="sw d${Math.min(dep, 3)}"></span>depth ${dep} (${byDepth.get(dep)!.length})</h4>
      <ul>${byDepth.get(dep)!.map((r: any) => `<li data-testid="blast-reached" data-id="${esc(r.node.id)}">
        <span class="kind">${esc(r.node.kind)}</span> ${esc(r.node.name)} ${r.node.env ? `<span class="env">${esc(r.node.env)}</span>` : ""}
        <span class="muted">${esc(r.lateral ?? r.via ?? "")}</span></li>`).join("")}</ul>`).join("");
    this.open(`<h2>Blast radius of ${esc(name)}</h2>
      <p data-testid="blast-summary"><b>${br.totalReached}</b> reached · score ${riskBadge(br.score)}</p>
      <p data-testid="blast-classes">Data reached: ${badges(br.dataClasses) || "none"}</p>${lists}`, "blast");
  }

  async attackPaths(classes: string[]): Promise<void> {
    const d = await this.run("attack paths", "paths", () => gql(PATHS, { to: { dataClasses: classes } }));
    if (d) this.showPaths(d.attackPaths, `to ${classes.join(" / ")}`);
  }

  async attackPathsTo(id: string, name: string): Promise<void> {
    const d = await this.run("attack paths", "paths", () => gql(PATHS, { to: { node: id } }));
    if (d) this.showPaths(d.attackPaths, `to ${name}`);
  }

  private showPaths(paths: any[], title: string): void {
    this.paths = paths;
    this.current = 0;
    if (!paths.length) {
      this.open(`<h2>Attack paths ${esc(title)}</h2><p class="muted" data-testid="paths-empty">No path from the Internet.</p>`, "paths");
      this.map.clearOverlay();
      return;
    }
    this.drawPath(title);
  }

  private drawPath(title: string): void {
    const p = this.paths[this.current];
    const hops = p.hops
      .map((h: any, i: number) => `<li data-testid="path-hop" data-id="${esc(h.id)}">
        ${i ? `<span class="muted">${esc(h.edgeKind ?? "")} →</span> ` : ""}<span class="kind">${esc(h.kind)}</span> <b>${esc(h.name)}</b>
        ${h.findings.length ? `<ul class="findings">${h.findings.map((f: any) => `<li data-testid="hop-finding">${riskBadge(f.risk)} ${esc(f.rule ?? f.name)} <span class="muted">${esc(f.severity ?? "")}</span></li>`).join("")}</ul>` : ""}
      </li>`)
      .join("");
    this.open(`<h2>Attack paths ${esc(title)}</h2>
      <p><button data-testid="path-prev" ${this.current === 0 ? "disabled" : ""}>‹</button>
      <span data-testid="path-index">path ${this.current + 1} of ${this.paths.length}</span>
      <button data-testid="path-next" ${this.current === this.paths.length - 1 ? "disabled" : ""}>›</button></p>
      <p>score ${riskBadge(p.score)} · ${p.length} hops · ${p.authenticated ? "authenticated all the way" : `<span class="warn">no authentication on the way</span>`}
      · reaches ${badges(p.dataClasses)}</p><ol class="hops">${hops}</ol>`, "paths");
    this.panel.querySelector('[data-testid="path-prev"]')!.addEventListener("click", () => { this.current--; this.drawPath(title); });
    this.panel.querySelector('[data-testid="path-next"]')!.addEventListener("click", () => { this.current++; this.drawPath(title); });
    this.map.showPath(p.hops.map((h: any) => h.id), p.hops.map((h: any) => h.edge).filter(Boolean));
  }

  async topRisks(): Promise<void> {
    const d = await this.run("the top risks", "risks", () => gql(RISKS));
    if (!d) return;
    const risks: any[] = d.topRisks;
    if (!risks.length) {
      this.open(`<h2>Top risks</h2><p class="muted">No open findings are scored yet — import scanner results (riskgraph import) to see risks.</p>`, "risks");
      return;
    }
    this.open(`<h2>Top risks</h2><ol class="risks">${risks.map((r, i) => `<li data-testid="risk-item" data-index="${i}" tabindex="0">
      ${riskBadge(r.risk)} ${esc(r.title)} ${badges(r.dataClasses)}</li>`).join("")}</ol>`, "risks");
    this.panel.querySelectorAll<HTMLElement>('[data-testid="risk-item"]').forEach((li) =>
      li.addEventListener("click", () => {
        const r = risks[Number(li.dataset.index)];
        this.panel.querySelectorAll(".risks li").forEach((x) => x.classList.toggle("active", x === li));
        const ids = r.path.map((h: any) => h.id);
        if (r.subject && !ids.includes(r.subject.id)) ids.push(r.subject.id);
        this.map.showPath(ids, []);
        if (r.subject) this.map.focus([r.subject.id]);
      }),
    );
  }
}
