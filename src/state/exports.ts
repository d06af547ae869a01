/**
 * Exports: the plan as JSON, a shell script of `vllm serve` commands, the adapter assignment
 * as CSV (formula-injection safe), the scenario as JSON (importable).
 */
import { getModel } from "../core/catalog/derived";
import type { Plan } from "../core/placement/types";
import type { FleetScenario } from "./fleet";
import { vllmServeScript } from "./jobs/vllmArgs";

export function planJson(plan: Plan): string {
  return JSON.stringify(plan, null, 2) + "\n";
}

export function scenarioJson(s: FleetScenario): string {
  return JSON.stringify(s, null, 2) + "\n";
}

export function serveScript(plan: Plan): string {
  return vllmServeScript(getModel(plan.model).hfRepo, plan.gpus);
}

/**
 * One CSV cell: a value starting with = + - @ (or a tab / carriage return) would be read as a
 * formula by spreadsheet programs (CSV injection), so it is prefixed with a single quote; any
 * cell with a comma, quote or line break is quoted with doubled quotes (RFC 4180).
 */
export function csvCell(v: string | number): string {
  let s = String(v);
  if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  if (/[",\r\n]/.test(s) || s !== s.trim()) s = `"${s.replace(/"/g, '""')}"`;
  return s;
}

export function assignmentCsv(plan: Plan, s: FleetScenario): string {
  const byId = new Map(s.workload.adapters.map((a) => [a.id, a]));
  const rows = [["adapter_id", "rank", "rate_rps", "gpu_index", "gpu_type"].join(",")];
  plan.gpus.forEach((g, i) => {
    for (const id of g.adapters) {
      const a = byId.get(id);
      rows.push(
        [
          csvCell(id),
          csvCell(a?.rank ?? ""),
          csvCell(a?.rateRps ?? ""),
          csvCell(i + 1),
          csvCell(g.gpu),
        ].join(","),
      );
    }
  });
  return rows.join("\r\n") + "\r\n";
}

/** Offer `text` as a download (a Blob URL: no data ever becomes markup or script). */
export function download(filename: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.rel = "noopener";
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
