/**
 * bench:ui — the app's performance budgets, measured in Debian's Chromium via Playwright on the
 * production build (`vite build` + `vite preview`):
 * - initial main-thread JS, gzip (entry chunk + its static imports, from dist/index.html), budget ≤ 250 KB;
 *   lazy main-thread chunks (charts) and worker chunks are listed separately;
 * - time to the first plan of the default scenario on screen (first GPU card), budget ≤ 3 s;
 *   and to "ready" (plan on screen, twin verification done);
 * - main-thread long tasks (PerformanceObserver 'longtask') while planning 2,000 adapters and
 *   while dragging adapter chips, budget: none over 50 ms.
 *
 * Usage: npm run bench:ui [-- --runs 3] [--no-build] [--detail (each long task: phase, start, duration)]
 */
import { chromium, type Page } from "@playwright/test";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../playwright.config";
import { startPreview, waitPlanOnScreen, waitReady } from "./ui-harness";

const root = join(import.meta.dirname, "..");
const dist = join(root, "dist");
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf("--runs") + 1]) || 3;
const PORT = 4191;
const BASE = `http://127.0.0.1:${PORT}/`;

interface Row {
  metric: string;
  value: string;
  budget: string;
  ok: boolean | null;
}
const rows: Row[] = [];
const add = (metric: string, value: string, budget = "", ok: boolean | null = null) =>
  rows.push({ metric, value, budget, ok });

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function gz(file: string): number {
  return gzipSync(readFileSync(file), { level: 9 }).length;
}

function bundleSizes(): void {
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const initial = new Set<string>();
  for (const m of html.matchAll(/<script[^>]+src="([^"]+\.js)"/g)) initial.add(m[1]!);
  for (const m of html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"/g))
    initial.add(m[1]!);
  const file = (u: string) => join(dist, u.replace(/^\.\//, "").replace(/^\//, ""));
  let initialGz = 0;
  for (const u of initial) initialGz += gz(file(u));
  add("initial main-thread JS (gzip)", kb(initialGz), "≤ 250 KB", initialGz <= 250 * 1024);
  const assets = readdirSync(join(dist, "assets")).filter((f) => f.endsWith(".js"));
  const initialNames = new Set([...initial].map((u) => u.split("/").pop()!));
  let lazy = 0;
  let workers = 0;
  for (const f of assets) {
    if (initialNames.has(f)) continue;
    const size = gz(join(dist, "assets", f));
    if (/worker/i.test(f)) workers += size;
    else lazy += size;
  }
  add("lazy main-thread chunks (charts…, gzip)", kb(lazy), "after first paint", null);
  add("worker chunks (gzip, off the main thread)", kb(workers), "", null);
}

const LONGTASK_INIT = () => {
  const w = window as unknown as { __lt: { start: number; dur: number }[] };
  w.__lt = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) w.__lt.push({ start: e.startTime, dur: e.duration });
  }).observe({ type: "longtask", buffered: true });
};

/** Each long task with where it started (`--detail`: printed after the table). */
const detail: string[] = [];

async function longTasksSince(
  page: Page,
  t0: number,
  phase = "",
): Promise<{ count: number; max: number }> {
  const lt = await page.evaluate(
    (t) =>
      (window as unknown as { __lt: { start: number; dur: number }[] }).__lt.filter(
        (x) => x.start >= t,
      ),
    t0,
  );
  for (const x of lt)
    detail.push(`${phase}: +${(x.start - t0).toFixed(0)} ms, ${x.dur.toFixed(0)} ms`);
  return { count: lt.length, max: lt.reduce((m, x) => Math.max(m, x.dur), 0) };
}

const now = (page: Page) => page.evaluate(() => performance.now());

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  if (!args.includes("--no-build")) {
    const b = spawnSync(
      join(root, "node_modules", ".bin", "vite"),
      ["build", "--logLevel", "error"],
      { cwd: root, stdio: "inherit" },
    );
    if (b.status !== 0) throw new Error("vite build failed");
  }
  statSync(join(dist, "index.html"));
  bundleSizes();

  const server = await startPreview(PORT);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    // ---- time to first plan (fresh context each run: no saved scenario)
    const first: number[] = [];
    const ready: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await ctx.newPage();
      await page.goto(BASE);
      await page.waitForSelector('[data-testid="gpu-card"]', { timeout: 60_000 });
      // navigationStart-relative time the first card appeared
      first.push(await page.evaluate(() => performance.now()));
      await waitReady(page);
      ready.push(await now(page));
      await ctx.close();
    }
    const f = median(first);
    add(
      `first plan of the default on screen (median of ${RUNS})`,
      `${(f / 1000).toFixed(2)} s`,
      "≤ 3 s",
      f <= 3000,
    );
    add(
      `default plan verified by the twin ("ready", median)`,
      `${(median(ready) / 1000).toFixed(2)} s`,
      "",
      null,
    );

    // ---- surrogate speed in Chromium (a fresh worker, batches of 1,024)
    {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      await page.goto(BASE);
      await waitReady(page);
      const probes = (await page.evaluate(() =>
        (
          window as unknown as {
            __lfp: { benchSurrogate: (pair: string) => Promise<unknown> };
          }
        ).__lfp.benchSurrogate("llama-3.1-8b-instruct__h100-64gb"),
      )) as Record<string, { usPerEstimate?: number; error?: string; skipped?: string }>;
      for (const [backend, p] of Object.entries(probes)) {
        add(
          `surrogate in Chromium, ${backend} (µs per estimate, batch of 1,024)`,
          p.usPerEstimate !== undefined
            ? p.usPerEstimate.toFixed(2)
            : (p.skipped ?? p.error ?? "?").slice(0, 60),
          backend === "wasm" ? "≤ 5 µs" : "",
          backend === "wasm" && p.usPerEstimate !== undefined ? p.usPerEstimate <= 5 : null,
        );
      }
      await ctx.close();
    }

    // ---- long tasks while planning 2,000 adapters
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await ctx.addInitScript(LONGTASK_INIT);
    const page = await ctx.newPage();
    await page.goto(BASE);
    await waitReady(page);
    await page.getByTestId("bulk-count").fill("2000");
    await page.getByTestId("bulk-rate").fill("120");
    const t0 = await now(page);
    await page.getByTestId("bulk-replace-button").click();
    // planning = until the new plan is on screen (the job switches from "plan" to verification)
    await waitPlanOnScreen(page);
    const t1 = await now(page);
    const planLt = await longTasksSince(page, t0, "planning");
    add(
      `long tasks while planning 2,000 adapters (${((t1 - t0) / 1000).toFixed(1)} s)`,
      `${planLt.count} (max ${planLt.max.toFixed(0)} ms)`,
      "0 over 50 ms",
      planLt.count === 0,
    );
    await waitReady(page);
    const t2 = await now(page);
    const verLt = await longTasksSince(page, t1, "verification");
    add(
      `long tasks during background verification (${((t2 - t1) / 1000).toFixed(1)} s)`,
      `${verLt.count} (max ${verLt.max.toFixed(0)} ms)`,
      "0 over 50 ms",
      verLt.count === 0,
    );
    const gpus = await page.getByTestId("gpu-card").count();
    add("GPUs planned for 2,000 adapters", String(gpus), "", null);

    // ---- long tasks while dragging chips (pointer) on the 2,000-adapter board
    const drags = 5;
    const t3 = await now(page);
    for (let i = 0; i < drags && gpus > 1; i++) {
      const from = page.getByTestId("gpu-card").nth(i % gpus);
      const to = page.getByTestId("gpu-card").nth((i + 1) % gpus);
      await from.scrollIntoViewIfNeeded();
      const chip = from.getByTestId("adapter-chip").first();
      const cb = (await chip.boundingBox())!;
      const tb = (await to.boundingBox())!;
      await page.mouse.move(cb.x + cb.width / 2, cb.y + cb.height / 2);
      await page.mouse.down();
      await page.mouse.move(cb.x + cb.width / 2 + 10, cb.y + cb.height / 2 + 5, { steps: 3 });
      await page.mouse.move(tb.x + tb.width / 2, tb.y + tb.height / 3, { steps: 20 });
      await page.mouse.up();
      await page.waitForTimeout(150);
    }
    const t4 = await now(page);
    const dragLt = await longTasksSince(page, t3, "drags");
    add(
      `long tasks during ${drags} chip drags (${((t4 - t3) / 1000).toFixed(1)} s)`,
      `${dragLt.count} (max ${dragLt.max.toFixed(0)} ms)`,
      "0 over 50 ms",
      dragLt.count === 0,
    );
    await waitReady(page);
    const t5 = await now(page);
    const reLt = await longTasksSince(page, t4, "after the drags");
    add(
      `long tasks while re-estimating/re-verifying after drags (${((t5 - t4) / 1000).toFixed(1)} s)`,
      `${reLt.count} (max ${reLt.max.toFixed(0)} ms)`,
      "0 over 50 ms",
      reLt.count === 0,
    );
    await ctx.close();
  } finally {
    await browser.close();
    server.kill();
  }

  const w1 = Math.max(...rows.map((r) => r.metric.length), 6);
  const w2 = Math.max(...rows.map((r) => r.value.length), 5);
  const w3 = Math.max(...rows.map((r) => r.budget.length), 6);
  const line = (a: string, b: string, c: string, d: string) =>
    `| ${a.padEnd(w1)} | ${b.padEnd(w2)} | ${c.padEnd(w3)} | ${d.padEnd(4)} |`;
  console.log(line("metric", "value", "budget", "ok"));
  console.log(`|${"-".repeat(w1 + 2)}|${"-".repeat(w2 + 2)}|${"-".repeat(w3 + 2)}|------|`);
  for (const r of rows)
    console.log(line(r.metric, r.value, r.budget, r.ok === null ? "" : r.ok ? "yes" : "NO"));
  if (args.includes("--detail")) for (const d of detail) console.log(`long task, ${d}`);
}

main().catch((e: unknown) => {
  console.error(`bench:ui: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
