import { AuthError, setToken, token } from "./api";
import { AGGREGATE_ABOVE, EstateMap, noFilters, type Filters } from "./map";
import { DATA_CLASSES, MAP_KINDS, loadRisks, startLoad, type Estate, type Loading } from "./model";
import { showDetail } from "./detail";
import { Overlays } from "./overlays";
import { Flows } from "./flows";
import { Inventory } from "./inventory";
import { $, esc } from "./util";

type View = "map" | "flows" | "inventory";

const state: { estate?: Estate; map?: EstateMap; flows?: Flows; inventory?: Inventory; overlays?: Overlays } = {};

// Test and measurement hooks (the map is a canvas; these expose what it shows).
(window as any).__rg = {
  state,
  highlighted: () => state.map?.highlighted() ?? [],
  renderedPosition: (id: string) => {
    const m = state.map!;
    const el = m.cy.getElementById(m.rep(id));
    return el.nonempty() ? el.renderedPosition() : null;
  },
  timings: () => state.map?.timings ?? {},
  // The drawn layout: each group box with its bounds and drawn members.
  boxes: () => {
    const m = state.map;
    if (!m) return [];
    return m.cy.nodes(".group").filter((b) => !b.hasClass("hidden")).map((b) => {
      const members = state.estate!.groups.get(b.id())!.members.filter((id) => m.rep(id) === id);
      return { id: b.id(), bb: b.boundingBox({ includeLabels: false }), members: members.map((id) => ({ id, ...m.cy.getElementById(id).position() })) };
    });
  },
  ready: false,
};

export function showError(e: unknown): void {
  const box = $("error");
  if (e == null) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  if (e instanceof AuthError) {
    showLogin(e.message);
    return;
  }
  box.textContent = (e as Error).message ?? String(e);
  box.hidden = false;
  console.warn("riskgraph:", (e as Error).message); // not console.error: the message is already on screen
}

function showLogin(msg: string): void {
  document.querySelectorAll<HTMLElement>(".view, #loading, #empty").forEach((el) => (el.hidden = true));
  $("login").hidden = false;
  $("login-error").textContent = token() ? msg : "";
  $("token").focus();
}

function viewFromPath(): View {
  const p = location.pathname.replace(/\/+$/, "");
  return p === "/flows" ? "flows" : p === "/inventory" ? "inventory" : "map";
}

function show(view: View): void {
  for (const v of ["map", "flows", "inventory"] as View[]) $(`view-${v}`).hidden = v !== view || !state.estate;
  document.querySelectorAll<HTMLAnchorElement>("nav a").forEach((a) => a.classList.toggle("active", a.dataset.view === view));
  if (!state.estate) return;
  if (view === "map") state.map?.cy.resize();
  if (view === "flows") state.flows!.open();
  if (view === "inventory") state.inventory!.open();
}

function fillSelect(sel: HTMLSelectElement, values: readonly string[]): void {
  for (const v of values) sel.insertAdjacentHTML("beforeend", `<option value="${esc(v)}">${esc(v)}</option>`);
}

const scriptStart = performance.now();

// boot loads and draws the estate; first is the load main.ts started
// before this module was fetched (used once: a login boots again).
async function boot(first?: Loading): Promise<void> {
  showError(null);
  $("login").hidden = true;
  $("logout").hidden = !token();
  $("loading").hidden = false;
  try {
    // Two requests at once: the counts with the map but its APIs, and the
    // whole map (page by page only when the estate exceeds the server's map
    // limit). A map that starts aggregated is drawn from the first (APIs
    // are folded into their services there anyway); the rest waits for
    // the whole map.
    const loading = first ?? startLoad();
    const base = await loading.base;
    const mapNodes = base ? MAP_KINDS.reduce((s, k) => s + (base.stats.byKind[k] ?? 0), 0) : 0;
    const progressive = !!base && mapNodes > AGGREGATE_ABOVE;
    const loaded = progressive ? base! : await loading.full;
    const stats = loaded.stats;
    let { estate, paged } = loaded;
    if (stats.nodes === 0) {
      $("loading").hidden = true;
      $("empty").hidden = false;
      $("status").textContent = "empty store";
      (window as any).__rg.ready = (window as any).__rg.complete = true;
      return;
    }
    state.estate = estate;
    (window as any).__rg.paged = paged;
    $("loading").hidden = true;
    const counts = `${stats.nodes.toLocaleString()} nodes · ${stats.edges.toLocaleString()} edges`;
    $("status").textContent = `${counts} · scoring…`;
    $("view-map").hidden = false;
    const map = new EstateMap($("map"), estate, (id, kind) => select(id, kind), progressive || estate.nodes.size > AGGREGATE_ABOVE);
    state.map = map;
    state.overlays = new Overlays(map, $("overlay"), showError);
    state.flows = new Flows(estate, $("flow-map"), $("flow-panel"), $("flow-classes"), showError);
    state.inventory = new Inventory(estate, showError);
    fillSelect($<HTMLSelectElement>("f-env"), estate.envs);
    fillSelect($<HTMLSelectElement>("f-app"), estate.applications);
    fillSelect($<HTMLSelectElement>("f-class"), DATA_CLASSES);
    $("btn-collapse").hidden = !map.aggregated;
    map.timings.scriptStart = Math.round(scriptStart);
    map.timings.dataLoaded = Math.round(performance.now());
    await map.draw();
    show(viewFromPath());
    (window as any).__rg.ready = true;
    if (progressive) {
      ({ estate, paged } = await loading.full);
      state.estate = estate;
      state.flows!.estate = estate;
      (window as any).__rg.paged = paged;
      map.setEstate(estate);
      map.timings.full = Math.round(performance.now());
    }
    // Risk scores after the first frame: they recolour the map in place.
    map.setRisks(await loadRisks(paged));
    map.timings.complete = Math.round(performance.now());
    $("status").textContent = counts;
    (window as any).__rg.complete = true;
  } catch (e) {
    $("loading").hidden = true;
    showError(e);
    (window as any).__rg.ready = (window as any).__rg.complete = true;
  }
}

async function select(id: string, kind: string): Promise<void> {
  const map = state.map!;
  if (kind === "Group") {
    const g = state.estate!.groups.get(map.cy.getElementById(id).data("group"));
    if (!g) return;
    const d = $("detail");
    d.hidden = false;
    d.innerHTML = `<h2>${esc(g.label)}</h2><p>${g.services} services · ${g.apis} APIs · ${g.stores} data stores</p>` +
      (map.aggregated ? `<button data-testid="btn-collapse-group">Collapse this group</button>` : "");
    d.querySelector("button")?.addEventListener("click", () => map.collapse(g.id));
    return;
  }
  map.select(id);
  await showDetail($("detail"), id, kind, state.overlays!, showError);
}

function readFilters(): Filters {
  const f = noFilters();
  f.env = $<HTMLSelectElement>("f-env").value;
  f.app = $<HTMLSelectElement>("f-app").value;
  f.dataClass = $<HTMLSelectElement>("f-class").value;
  f.internetFacing = $<HTMLInputElement>("f-inet").checked;
  return f;
}

function wire(): void {
  document.querySelectorAll<HTMLAnchorElement>("nav a").forEach((a) =>
    a.addEventListener("click", (ev) => {
      ev.preventDefault();
      history.pushState(null, "", a.getAttribute("href")!);
      show(a.dataset.view as View);
    }),
  );
  window.addEventListener("popstate", () => show(viewFromPath()));
  for (const id of ["f-env", "f-app", "f-class", "f-inet"]) {
    $(id).addEventListener("change", () => state.map?.applyFilters(readFilters()));
  }
  $("search").addEventListener("input", (ev) => state.map?.search((ev.target as HTMLInputElement).value));
  $("search").addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter" || !state.map) return;
    const hits = state.map.search((ev.target as HTMLInputElement).value);
    if (hits.length) {
      state.map.focus(hits);
      const n = state.estate!.nodes.get(hits[0])!;
      select(n.id, n.kind);
    }
  });
  $("btn-paths").addEventListener("click", () => state.overlays?.attackPaths(["PII", "PCI"]));
  $("btn-risks").addEventListener("click", () => state.overlays?.topRisks());
  $("btn-clear").addEventListener("click", () => state.overlays?.clear());
  $("btn-collapse").addEventListener("click", () => state.map?.collapseAll());
  $("login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    setToken($<HTMLInputElement>("token").value.trim());
    $<HTMLInputElement>("token").value = "";
    boot();
  });
  $("logout").addEventListener("click", () => {
    setToken(null);
    location.reload();
  });
}

// start is called by main.ts with the map load it began.
export function start(first: Loading): void {
  wire();
  boot(first);
}
