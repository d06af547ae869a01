/**
 * Determinism across runtimes (issue 6): the same scenario and seed give byte-identical twin
 * results and plans in Node (the CLI) and in the browser (the app's workers).
 */
import { expect, test } from "@playwright/test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitReady } from "./helpers";

const ROOT = join(import.meta.dirname, "..");

/** Run the Node CLI on a JSON file; its stdout parsed (one JSON document). */
function cli(sub: "twin" | "plan", body: unknown, extra: string[] = []): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), "lfp-det-"));
  const file = join(dir, `${sub}.json`);
  writeFileSync(file, JSON.stringify(body));
  const r = spawnSync(
    process.execPath,
    [join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), "src/cli/main.ts", sub, file, ...extra],
    { cwd: ROOT, encoding: "utf8", timeout: 120_000 },
  );
  if (r.status !== 0) throw new Error(`cli ${sub} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n")[0]!) as Record<string, unknown>;
}

/** Same value with the wall-clock fields removed (the only ones allowed to differ). */
function untimed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(untimed);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v))
      if (!/(wall|Ms$)/.test(k) || /^(ttft|itl)/.test(k)) out[k] = untimed(x);
    return out;
  }
  return v;
}

const adapters = Array.from({ length: 24 }, (_, i) => ({
  id: `adapter-${String(i).padStart(2, "0")}`,
  rank: [8, 16, 32][i % 3]!,
  rateRps: 0.05 + 0.01 * i,
}));

test("the twin gives byte-identical results in Node and in the browser", async ({ page }) => {
  const scenario = {
    model: "llama-3.1-8b-instruct",
    gpu: "h100-64gb",
    engine: { maxLoras: 8, maxLoraRank: 32, maxCpuLoras: 24 },
    workload: { durationS: 300, seed: 7, adapters },
  };
  const node = cli("twin", scenario);
  await page.goto("./");
  await waitReady(page);
  const browser = (await page.evaluate(
    (s) =>
      (window as unknown as { __lfp: { runTwin: (s: unknown) => Promise<unknown> } }).__lfp.runTwin(
        s,
      ),
    scenario,
  )) as Record<string, unknown>;
  // every field the CLI prints, compared as JSON text (so -0, rounding and order all count)
  delete node.file; // the CLI names its input file
  const picked = Object.fromEntries(Object.keys(node).map((k) => [k, browser[k]]));
  expect(Object.keys(picked).length).toBeGreaterThan(15);
  expect(node.throughputTokS).toBeGreaterThan(0);
  expect(JSON.stringify(untimed(picked))).toBe(JSON.stringify(untimed(node)));
});

test("the planner gives the same plan in Node and in the browser", async ({ page }) => {
  test.setTimeout(180_000);
  const fleet = {
    model: "llama-3.1-8b-instruct",
    gpuTypes: [{ gpu: "h100-64gb", costPerHour: 3 }],
    objective: "min-gpus",
    workload: {
      durationS: 600,
      seed: 3,
      adapters: adapters.map((a) => ({ ...a, rateRps: a.rateRps * 12 })),
    },
  };
  const node = cli("plan", fleet, ["--estimator", "twin", "--no-baselines"]);
  await page.goto("./");
  await waitReady(page);
  const browser = (await page.evaluate(
    (f) =>
      (
        window as unknown as {
          __lfp: { planFleet: (r: unknown, o: unknown) => Promise<unknown> };
        }
      ).__lfp.planFleet(f, { estimator: "twin", baselines: false, lowerBound: false }),
    fleet,
  )) as { gpus: Record<string, unknown>[]; starvedGpus: number };
  const nodeGpus = node.gpus as Record<string, unknown>[];
  expect(nodeGpus.length).toBeGreaterThan(1);
  const view = (g: Record<string, unknown>) =>
    JSON.stringify(
      untimed({ gpu: g.gpu, engine: g.engine, adapters: g.adapters, estimate: g.estimate }),
    );
  expect(browser.gpus.map(view)).toEqual(nodeGpus.map(view));
  expect(browser.starvedGpus).toBe(node.starvedGpus);
});
