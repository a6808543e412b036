// Inventory: the auditors' table ("internet-facing APIs touching PII" and
// the other filters of the API), fetched whole, sorted and paged here, and
// exported as CSV.
import { all } from "./api";
import { DATA_CLASSES, type Estate } from "./model";
import { $, badges, csvCell, esc, riskBadge } from "./util";

type Kind = "apis" | "services" | "dataStores";

interface Column {
  key: string;
  title: string;
  value: (r: any) => string | number | boolean | null;
  html?: (r: any) => string;
}

const COLUMNS: Record<Kind, Column[]> = {
  apis: [
    { key: "method", title: "Method", value: (r) => r.method },
    { key: "path", title: "Path", value: (r) => r.path, html: (r) => `<code>${esc(r.path)}</code>` },
    { key: "service", title: "Service", value: (r) => r.service?.name ?? "" },
    { key: "env", title: "Env", value: (r) => r.env ?? "" },
    { key: "dataClasses", title: "Data", value: (r) => r.dataClasses.join(" "), html: (r) => badges(r.dataClasses) },
    { key: "authenticated", title: "Authenticated", value: (r) => r.authenticated },
    { key: "internetFacing", title: "Internet-facing", value: (r) => r.internetFacing },
    { key: "risk", title: "Risk", value: (r) => r.risk, html: (r) => riskBadge(r.risk) },
  ],
  services: [
    { key: "name", title: "Service", value: (r) => r.name },
    { key: "env", title: "Env", value: (r) => r.env ?? "" },
    { key: "applications", title: "Applications", value: (r) => r.applications.map((a: any) => a.name).join(" ") },
    { key: "dataClasses", title: "Data", value: (r) => r.dataClasses.join(" "), html: (r) => badges(r.dataClasses) },
    { key: "internetFacing", title: "Internet-facing", value: (r) => r.internetFacing },
    { key: "language", title: "Language", value: (r) => r.language ?? "" },
    { key: "risk", title: "Risk", value: (r) => r.risk, html: (r) => riskBadge(r.risk) },
  ],
  dataStores: [
    { key: "name", title: "Data store", value: (r) => r.name },
    { key: "env", title: "Env", value: (r) => r.env ?? "" },
    { key: "engine", title: "Engine", value: (r) => r.engine ?? "" },
    { key: "dataClasses", title: "Data", value: (r) => r.dataClasses.join(" "), html: (r) => badges(r.dataClasses) },
    { key: "encrypted", title: "Encrypted", value: (r) => r.encrypted },
    { key: "host", title: "Host", value: (r) => r.host ?? "" },
  ],
};

const QUERIES: Record<Kind, string> = {
  apis: `query InvAPIs($f: APIFilter, $first: Int, $after: String) { apis(filter: $f, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor } nodes { id method path env dataClasses authenticated internetFacing risk service { name } } } }`,
  services: `query InvServices($f: ServiceFilter, $first: Int, $after: String) { services(filter: $f, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor } nodes { id name env dataClasses internetFacing risk language applications { name } } } }`,
  dataStores: `query InvStores($f: DataStoreFilter, $first: Int, $after: String) { dataStores(filter: $f, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor } nodes { id name env dataClasses engine encrypted host } } }`,
};

export class Inventory {
  private rows: any[] = [];
  private kind: Kind = "apis";
  private sortKey = "";
  private sortDir = 1;
  private page = 0;
  private loaded = false;
  private seq = 0;

  constructor(estate: Estate, private onError: (e: unknown) => void) {
    $("i-classes").innerHTML = DATA_CLASSES.map((c) =>
      `<label><input type="checkbox" value="${c}" data-testid="inv-class-${c}" ${c === "PII" ? "checked" : ""}>${c}</label>`).join("");
    for (const [sel, vals] of [["i-env", estate.envs], ["i-app", estate.applications]] as const) {
      for (const v of vals) $(sel).insertAdjacentHTML("beforeend", `<option value="${esc(v)}">${esc(v)}</option>`);
    }
    for (const id of ["i-kind", "i-inet", "i-auth", "i-env", "i-app"]) $(id).addEventListener("change", () => this.load());
    $("i-classes").addEventListener("change", () => this.load());
    let t = 0;
    $("i-name").addEventListener("input", () => { clearTimeout(t); t = window.setTimeout(() => this.load(), 250); });
    $("i-prev").addEventListener("click", () => { this.page--; this.render(); });
    $("i-next").addEventListener("click", () => { this.page++; this.render(); });
    $("i-size").addEventListener("change", () => { this.page = 0; this.render(); });
    $("i-csv").addEventListener("click", () => this.csv());
  }

  open(): void {
    if (!this.loaded) this.load();
  }

  // filter is the API's filter input from the controls.
  filter(): Record<string, unknown> {
    const f: Record<string, unknown> = {};
    const inet = $<HTMLSelectElement>("i-inet").value;
    if (inet) f.internetFacing = inet === "true";
    const classes = [...$("i-classes").querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value);
    if (classes.length) f.dataClasses = classes;
    const auth = $<HTMLSelectElement>("i-auth").value;
    if (auth && this.kind === "apis") f.authenticated = auth === "true";
    for (const [id, key] of [["i-env", "env"], ["i-app", "application"], ["i-name", "nameContains"]]) {
      const v = $<HTMLInputElement>(id).value.trim();
      if (v) f[key] = v;
    }
    return f;
  }

  async load(): Promise<void> {
    this.kind = $<HTMLSelectElement>("i-kind").value as Kind;
    $("i-auth").hidden = this.kind !== "apis";
    const seq = ++this.seq;
    this.loaded = true;
    $("i-summary").textContent = "Loading…";
    $("i-body").innerHTML = "";
    try {
      const rows = await all(QUERIES[this.kind], this.kind, { f: this.filter() });
      if (seq !== this.seq) return;
      this.rows = rows;
    } catch (e) {
      if (seq !== this.seq) return;
      this.rows = [];
      $("i-summary").innerHTML = `<span class="err">${esc((e as Error).message)}</span>`;
      this.onError(e);
      return;
    }
    this.page = 0;
    if (!COLUMNS[this.kind].some((c) => c.key === this.sortKey)) this.sortKey = "";
    this.render();
  }

  private sorted(): any[] {
    const col = COLUMNS[this.kind].find((c) => c.key === this.sortKey);
    if (!col) return this.rows;
    const cmp = (a: any, b: any) => {
      const x = col.value(a), y = col.value(b);
      if (x === y) return 0;
      if (x == null) return 1; // blanks last either way
      if (y == null) return -1;
      return (x < y ? -1 : 1) * this.sortDir;
    };
    return [...this.rows].sort(cmp);
  }

  private render(): void {
    const cols = COLUMNS[this.kind];
    $("i-head").innerHTML = `<tr>${cols.map((c) => `<th data-testid="inv-col-${c.key}" data-key="${c.key}" class="${c.key === this.sortKey ? (this.sortDir > 0 ? "asc" : "desc") : ""}">${esc(c.title)}</th>`).join("")}</tr>`;
    $("i-head").querySelectorAll<HTMLElement>("th").forEach((th) => th.addEventListener("click", () => {
      if (this.sortKey === th.dataset.key) this.sortDir = -this.sortDir;
      else { this.sortKey = th.dataset.key!; this.sortDir = 1; }
      this.page = 0;
      this.render();
    }));
    const size = Number($<HTMLSelectElement>("i-size").value);
    const pages = Math.max(1, Math.ceil(this.rows.length / size));
    this.page = Math.min(Math.max(0, this.page), pages - 1);
    const rows = this.sorted().slice(this.page * size, (this.page + 1) * size);
    $("i-body").innerHTML = rows.length
      ? rows.map((r) => `<tr data-testid="inventory-row" data-id="${esc(r.id)}">${cols.map((c) => `<td>${c.html ? c.html(r) : fmt(c.value(r))}</td>`).join("")}</tr>`).join("")
      : `<tr><td colspan="${cols.length}" class="muted" data-testid="inventory-empty">Nothing matches these filters.</td></tr>`;
    $("i-summary").textContent = `${this.rows.length} ${this.kind === "dataStores" ? "data stores" : this.kind === "apis" ? "APIs" : "services"}`;
    $("i-summary").dataset.count = String(this.rows.length);
    $("i-page").textContent = `page ${this.page + 1} of ${pages}`;
    $<HTMLButtonElement>("i-prev").disabled = this.page === 0;
    $<HTMLButtonElement>("i-next").disabled = this.page >= pages - 1;
  }

  private csv(): void {
    const cols = COLUMNS[this.kind];
    const lines = [["id", ...cols.map((c) => c.title)].map(csvCell).join(",")];
    for (const r of this.sorted()) lines.push([r.id, ...cols.map((c) => c.value(r))].map(csvCell).join(","));
    const blob = new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `riskgraph-${this.kind}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }
}

const fmt = (v: unknown) => (v === true ? "yes" : v === false ? "no" : esc(v ?? ""));
