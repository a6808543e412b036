// The detail panel of the selected node.
import { gql } from "./api";
import type { Overlays } from "./overlays";
import { badges, esc, riskBadge, sevRank } from "./util";

const FINDINGS = `findings(first: 100) { totalCount nodes { id name rule severity status risk tool category } }`;

const DETAIL = `query Detail($id: ID!) {
  node(id: $id) {
    id kind name env dataClasses properties firstSeen lastSeen
    sources { agent file line detail }
    ... on Service { namespace image language internetFacing risk
      applications { name criticality } teams { name contact }
      apis(first: 1000) { totalCount nodes { id method path authenticated internetFacing dataClasses risk } }
      dataStores(first: 200) { nodes { id name } }
      ${FINDINGS} }
    ... on API { method path operationId summary protocol authenticated internetFacing risk requestFields responseFields
      service { id name env teams { name contact } } ${FINDINGS} }
    ... on DataStore { engine encrypted managed host tables
      readers(first: 200) { nodes { id name env } } writers(first: 200) { nodes { id name env } } ${FINDINGS} }
    ... on Gateway { type public internetFacing hosts }
    ... on ThirdParty { host category callers(first: 200) { nodes { id name env } } }
  }
}`;

function kv(rows: [string, unknown][]): string {
  const body = rows
    .filter(([, v]) => v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && !v.length))
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${Array.isArray(v) ? v.map(esc).join(", ") : esc(v)}</td></tr>`)
    .join("");
  return `<table class="kv">${body}</table>`;
}

function findingsList(conn: any): string {
  if (!conn?.nodes?.length) return `<p class="muted">No findings.</p>`;
  const fs = [...conn.nodes].sort((a, b) => (b.risk ?? -1) - (a.risk ?? -1) || sevRank(a.severity) - sevRank(b.severity));
  return `<ol class="findings" data-testid="panel-findings">${fs
    .map((f) => `<li data-testid="panel-finding">${riskBadge(f.risk)} <b>${esc(f.rule ?? f.name)}</b> ${esc(f.severity ?? "")}
      <span class="muted">${esc(f.status)} · ${esc(f.tool ?? "")}</span><br>${esc(f.name)}</li>`)
    .join("")}</ol>`;
}

function evidence(sources: any[]): string {
  if (!sources?.length) return "";
  return `<h3>Evidence</h3><ul class="evidence" data-testid="panel-evidence">${sources
    .map((s) => `<li><span class="muted">${esc(s.agent)}</span> ${s.file ? `<code>${esc(s.file)}${s.line ? ":" + esc(s.line) : ""}</code>` : ""} ${esc(s.detail ?? "")}</li>`)
    .join("")}</ul>`;
}

// SBOM downloads go through GraphQL (sbom(subject:, format:)) so the
// bearer token stays in a header; the document is handed to the browser
// as a Blob.
const SBOM = `query SBOM($id: ID!, $format: SBOMFormat!, $vex: Boolean!) {
  sbom(subject: $id, format: $format, withVulnerabilities: $vex) { filename contentType components note content }
}`;

async function downloadSBOM(id: string, format: string, status: HTMLElement): Promise<void> {
  status.textContent = "Preparing the SBOM…";
  try {
    // VEX (the open findings with riskgraph's analysis) exists in CycloneDX only.
    const doc = (await gql(SBOM, { id, format, vex: format.startsWith("CYCLONEDX") })).sbom;
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([doc.content], { type: doc.contentType }));
    a.download = doc.filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    status.textContent = doc.note ? doc.note : `${doc.filename}: ${doc.components} components`;
  } catch (e) {
    status.innerHTML = `<span class="err">${esc((e as Error).message)}</span>`;
  }
}

const names = (nodes: any[] | undefined) => (nodes ?? []).map((n) => `${n.name}${n.env ? ` (${n.env})` : ""}`);

export async function showDetail(panel: HTMLElement, id: string, kind: string, overlays: Overlays, onError: (e: unknown) => void): Promise<void> {
  panel.hidden = false;
  panel.innerHTML = `<p class="muted" data-testid="panel-loading">Loading ${esc(kind)}…</p>`;
  panel.dataset.id = id;
  let n: any;
  try {
    n = (await gql(DETAIL, { id })).node;
  } catch (e) {
    panel.innerHTML = `<p class="err">${esc((e as Error).message)}</p>`;
    onError(e);
    return;
  }
  if (panel.dataset.id !== id) return; // another node was picked meanwhile
  if (!n) {
    panel.innerHTML = `<p class="muted">This node is no longer in the graph.</p>`;
    return;
  }
  const owners = n.teams ?? n.service?.teams ?? [];
  let html = `<h2 data-testid="panel-title">${esc(n.name)}</h2>
    <p><span class="kind">${esc(n.kind)}</span> ${n.env ? `<span class="env">${esc(n.env)}</span>` : ""} ${riskBadge(n.risk)}
    ${n.internetFacing ? `<span class="badge inet">internet-facing</span>` : ""}</p>
    <p data-testid="panel-classes">${badges(n.dataClasses) || `<span class="muted">no sensitive data recorded</span>`}</p>
    <p><button data-testid="btn-blast-radius">Blast radius</button> <button data-testid="btn-paths-to">Attack paths to here</button></p>`;
  html += kv([
    ["applications", (n.applications ?? []).map((a: any) => `${a.name}${a.criticality ? ` (${a.criticality})` : ""}`)],
    ["owners", owners.map((t: any) => `${t.name}${t.contact ? ` <${t.contact}>` : ""}`)],
    ["namespace", n.namespace], ["image", n.image], ["language", n.language],
    ["method", n.method], ["path", n.path], ["operation", n.operationId], ["summary", n.summary], ["protocol", n.protocol],
    ["authenticated", n.authenticated], ["service", n.service ? `${n.service.name} (${n.service.env ?? ""})` : undefined],
    ["request fields", n.requestFields], ["response fields", n.responseFields],
    ["engine", n.engine], ["encrypted", n.encrypted], ["managed", n.managed], ["host", n.host], ["tables", n.tables],
    ["readers", names(n.readers?.nodes)], ["writers", names(n.writers?.nodes)],
    ["type", n.type], ["public", n.public], ["hosts", n.hosts], ["category", n.category], ["callers", names(n.callers?.nodes)],
    ["data stores", names(n.dataStores?.nodes)],
    ["first seen", n.firstSeen], ["last seen", n.lastSeen],
  ]);
  if (n.apis) {
    html += `<h3>APIs (${n.apis.totalCount})</h3><table class="apis" data-testid="panel-apis"><tbody>${n.apis.nodes
      .map((a: any) => `<tr data-testid="panel-api" data-id="${esc(a.id)}"><td><b>${esc(a.method)}</b></td><td><code>${esc(a.path)}</code></td>
        <td>${badges(a.dataClasses)} ${a.internetFacing ? `<span class="badge inet" title="internet-facing">inet</span>` : ""}
        ${a.authenticated ? `<span class="muted" title="requires authentication">auth</span>` : `<span class="warn" title="no authentication">open</span>`} ${riskBadge(a.risk)}</td></tr>`)
      .join("")}</tbody></table>`;
  }
  if (n.kind === "Service") {
    html += `<h3>SBOM</h3><p><button data-testid="sbom-cyclonedx" data-format="CYCLONEDX_JSON">CycloneDX</button>
      <button data-testid="sbom-spdx" data-format="SPDX_JSON">SPDX</button> <span class="muted" data-testid="sbom-status"></span></p>`;
  }
  if (n.findings) html += `<h3>Findings (${n.findings.totalCount})</h3>${findingsList(n.findings)}`;
  html += evidence(n.sources);
  const props = Object.entries(n.properties ?? {});
  if (props.length) html += `<details><summary>All properties</summary>${kv(props.map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : v]))}</details>`;
  panel.innerHTML = html;
  panel.querySelector('[data-testid="btn-blast-radius"]')!.addEventListener("click", () => overlays.blastRadius(id, n.name));
  panel.querySelector('[data-testid="btn-paths-to"]')!.addEventListener("click", () => overlays.attackPathsTo(id, n.name));
  panel.querySelectorAll<HTMLButtonElement>("button[data-format]").forEach((b) =>
    b.addEventListener("click", () => downloadSBOM(id, b.dataset.format!, panel.querySelector('[data-testid="sbom-status"]')!)));
}
