export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
// esc makes a value from the estate safe to put in HTML: names, paths and
// evidence come from scanned artifacts.
export const esc = (v: unknown) => String(v ?? "").replace(/[&<>"']/g, (c) => ESC[c]);

export const badges = (classes: string[] | undefined) =>
  (classes ?? []).map((c) => `<span class="badge dc-${esc(c)}">${esc(c)}</span>`).join(" ");

export const riskBadge = (r: number | null | undefined) =>
  r == null ? "" : `<span class="risk ${r >= 70 ? "high" : r >= 40 ? "med" : "low"}">${r.toFixed(1)}</span>`;

export function sevRank(s: string | null | undefined): number {
  return ["critical", "high", "medium", "low", "info"].indexOf((s ?? "").toLowerCase()) + 1 || 9;
}

// csvCell quotes a value and defuses spreadsheet formulas (a name starting
// with = + - @ from a scanned artifact must not run in the auditor's sheet).
export function csvCell(v: unknown): string {
  let s = String(v ?? "");
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
