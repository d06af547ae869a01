/**
 * bench:ui's long-task scenario (plan 2,000 adapters, background verification, 5 chip drags,
 * re-verification) under Chromium's tracing with the V8 CPU profiler, on an unminified build:
 * lists each main-thread task over `--min` ms (wall and CPU), what ran in it (trace events)
 * and where its CPU went (profiler samples: self and inclusive time per function).
 *
 * Usage: npx tsx bench/ui-trace.ts [--no-build] [--min 35] [--out /tmp/lfp-trace.json]
 * (builds into /tmp/lfp-dist-dev with `vite build --minify false`; serves it on port 4192)
 */
import { chromium, type CDPSession, type Page } from "@playwright/test";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../playwright.config";
import { startPreview, waitPlanOnScreen, waitReady } from "./ui-harness";

const root = join(import.meta.dirname, "..");
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const OUT_DIR = opt("--dir", "/tmp/lfp-dist-dev");
const MIN_MS = Number(opt("--min", "35"));
const TRACE_OUT = opt("--out", "/tmp/lfp-trace.json");
const PORT = 4192;
const BASE = `http://127.0.0.1:${PORT}/`;

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  tdur?: number;
  pid: number;
  tid: number;
  id?: string;
  args?: Record<string, unknown>;
}

const mark = (page: Page, name: string) =>
  page.evaluate((n) => performance.mark(`bench:${n}`), name);

async function collect(cdp: CDPSession): Promise<TraceEvent[]> {
  const events: TraceEvent[] = [];
  cdp.on("Tracing.dataCollected", (e) => events.push(...(e.value as unknown as TraceEvent[])));
  const done = new Promise<void>((r) => cdp.once("Tracing.tracingComplete", () => r()));
  await cdp.send("Tracing.end");
  await done;
  return events;
}

async function main(): Promise<void> {
  if (args.includes("--analyse")) {
    analyse(
      (JSON.parse(readFileSync(TRACE_OUT, "utf8")) as { traceEvents: TraceEvent[] }).traceEvents,
    );
    return;
  }
  if (!args.includes("--no-build")) {
    const b = spawnSync(
      join(root, "node_modules", ".bin", "vite"),
      ["build", "--logLevel", "error", "--minify", "false", "--outDir", OUT_DIR, "--emptyOutDir"],
      { cwd: root, stdio: "inherit" },
    );
    if (b.status !== 0) throw new Error("vite build failed");
  }
  const server = await startPreview(PORT, OUT_DIR);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  let events: TraceEvent[];
  try {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await page.goto(BASE);
    await waitReady(page);
    await page.getByTestId("bulk-count").fill("2000");
    await page.getByTestId("bulk-rate").fill("120");
    await cdp.send("Tracing.start", {
      transferMode: "ReportEvents",
      traceConfig: {
        includedCategories: [
          "toplevel",
          "devtools.timeline",
          "disabled-by-default-devtools.timeline",
          "v8.execute",
          "disabled-by-default-v8.cpu_profiler",
          "blink.user_timing",
          "v8",
          ...(args.includes("--inval")
            ? ["disabled-by-default-devtools.timeline.invalidationTracking"]
            : []),
        ],
      },
    });
    await mark(page, "plan");
    await page.getByTestId("bulk-replace-button").click();
    await waitPlanOnScreen(page);
    await mark(page, "verify");
    await waitReady(page);
    await mark(page, "drags");
    console.log(
      "layout:",
      await page.evaluate(() =>
        JSON.stringify({
          scrollY: window.scrollY,
          docH: document.documentElement.scrollHeight,
          board: document.querySelector(".board")?.getBoundingClientRect().top,
          charts: [...document.querySelectorAll("figure.chart")].map((f) =>
            Math.round(f.getBoundingClientRect().top + window.scrollY),
          ),
        }),
      ),
    );
    const gpus = await page.getByTestId("gpu-card").count();
    for (let i = 0; i < 5 && gpus > 1; i++) {
      const from = page.getByTestId("gpu-card").nth(i % gpus);
      const to = page.getByTestId("gpu-card").nth((i + 1) % gpus);
      await from.scrollIntoViewIfNeeded();
      const chip = from.getByTestId("adapter-chip").first();
      const cb = (await chip.boundingBox())!;
      const tb = (await to.boundingBox())!;
      await mark(page, `drag${i}`);
      await page.mouse.move(cb.x + cb.width / 2, cb.y + cb.height / 2);
      await page.mouse.down();
      await page.mouse.move(cb.x + cb.width / 2 + 10, cb.y + cb.height / 2 + 5, { steps: 3 });
      await page.mouse.move(tb.x + tb.width / 2, tb.y + tb.height / 3, { steps: 20 });
      await mark(page, `drop${i}`);
      await page.mouse.up();
      await page.waitForTimeout(150);
    }
    await mark(page, "after");
    await waitReady(page);
    await mark(page, "end");
    events = await collect(cdp);
    await ctx.close();
  } finally {
    await browser.close();
    server.kill();
  }
  writeFileSync(TRACE_OUT, JSON.stringify({ traceEvents: events }));
  analyse(events);
}

function analyse(events: TraceEvent[]): void {
  // the page's renderer main thread: the one with the bench's user-timing marks
  const markEv = events.filter((e) => e.name.startsWith("bench:"));
  if (markEv.length === 0) throw new Error("no marks in the trace");
  const { pid, tid } = markEv[0]!;
  const marks = markEv
    .filter((e) => e.pid === pid)
    .map((e) => ({ name: e.name.slice(6), ts: e.ts }))
    .sort((a, b) => a.ts - b.ts);
  const phaseOf = (ts: number) => {
    let p = "?";
    for (const m of marks) if (m.ts <= ts) p = m.name;
    return p;
  };
  const main = events.filter((e) => e.pid === pid && e.tid === tid);
  const tasks = main
    .filter((e) => e.ph === "X" && e.name === "RunTask" && (e.dur ?? 0) >= MIN_MS * 1000)
    .sort((a, b) => a.ts - b.ts);

  // CPU profile samples of the main thread
  const samples: { ts: number; node: number }[] = [];
  const nodes = new Map<number, { fn: string; parent?: number }>();
  const profileIds = new Set(
    events.filter((e) => e.name === "Profile" && e.pid === pid && e.tid === tid).map((e) => e.id!),
  );
  let t = 0;
  const starts = new Map<string, number>();
  for (const e of events)
    if (e.name === "Profile" && profileIds.has(e.id!))
      starts.set(e.id!, (e.args!.data as { startTime: number }).startTime);
  const chunks = events
    .filter((e) => e.name === "ProfileChunk" && profileIds.has(e.id!))
    .sort((a, b) => a.ts - b.ts);
  let curId = "";
  for (const c of chunks) {
    if (c.id !== curId) {
      curId = c.id!;
      t = starts.get(curId) ?? 0;
    }
    const d = c.args!.data as {
      cpuProfile?: {
        nodes?: {
          id: number;
          parent?: number;
          callFrame: { functionName: string; url: string; lineNumber: number };
        }[];
        samples?: number[];
      };
      timeDeltas?: number[];
    };
    for (const n of d.cpuProfile?.nodes ?? []) {
      const file = (n.callFrame.url ?? "").split("/").pop() ?? "";
      nodes.set(n.id, {
        fn: `${n.callFrame.functionName || "(anon)"} ${file}:${n.callFrame.lineNumber + 1}`,
        parent: n.parent,
      });
    }
    const s = d.cpuProfile?.samples ?? [];
    const dt = d.timeDeltas ?? [];
    for (let i = 0; i < s.length; i++) {
      t += dt[i] ?? 0;
      samples.push({ ts: t, node: s[i]! });
    }
  }
  samples.sort((a, b) => a.ts - b.ts);

  console.log(
    `marks: ${marks.map((m) => `${m.name}@${((m.ts - marks[0]!.ts) / 1000).toFixed(0)}`).join(" ")}`,
  );
  console.log(`main-thread tasks ≥ ${MIN_MS} ms: ${tasks.length}`);
  // one line per task ≥ 16 ms: what started it, its rendering steps, the React components and
  // effects its samples fall in
  const nodeIdx = new Map<number, number>();
  const componentOf = (id: number): string | undefined => {
    // the frame called by renderWithHooks (a component) or by commitHookEffectList* (an effect)
    let child: number | undefined;
    for (let cur: number | undefined = id; cur !== undefined; cur = nodes.get(cur)?.parent) {
      const fn = nodes.get(cur)?.fn ?? "";
      if (child !== undefined && /^(renderWithHooks|commitHookEffectList\w+) /.test(fn))
        return (fn.startsWith("render") ? "" : "fx:") + (nodes.get(child)?.fn ?? "?");
      child = cur;
    }
    return undefined;
  };
  let si = 0;
  for (const task of main
    .filter((e) => e.ph === "X" && e.name === "RunTask" && (e.dur ?? 0) >= 16_000)
    .sort((a, b) => a.ts - b.ts)) {
    const a = task.ts;
    const b = a + task.dur!;
    const kids = main.filter((e) => e.ph === "X" && e.ts >= a && e.ts < b && e !== task);
    const sum = (n: string) =>
      kids.filter((k) => k.name === n).reduce((x, k) => x + (k.dur ?? 0), 0) / 1000;
    const fc = kids.find((k) => k.name === "FunctionCall" || k.name === "EventDispatch");
    const d = (fc?.args?.data ?? {}) as Record<string, unknown>;
    const what = fc
      ? `${String(d.type ?? d.functionName ?? "anon")}`
      : kids.some((k) => k.name === "Paint")
        ? "frame"
        : "?";
    while (si < samples.length && samples[si]!.ts < a) si++;
    const comp = new Map<string, number>();
    for (let i = si; i < samples.length && samples[i]!.ts < b; i++) {
      const dt = Math.min((samples[i + 1]?.ts ?? b) - samples[i]!.ts, 2000);
      const c = componentOf(samples[i]!.node);
      if (c) comp.set(c, (comp.get(c) ?? 0) + dt);
    }
    nodeIdx.clear();
    const comps = [...comp]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 5)
      .map(([n, v]) => `${n.replace(/ (index|Charts)-[\w-]+\.js/, " $1")} ${(v / 1000).toFixed(1)}`)
      .join(", ");
    console.log(
      `+${((a - marks[0]!.ts) / 1000).toFixed(0).padStart(5)} ${phaseOf(a).padEnd(6)} ${(task.dur! / 1000).toFixed(1).padStart(5)} wall ${((task.tdur ?? 0) / 1000).toFixed(1).padStart(5)} cpu  ${what.padEnd(22)} layout ${(sum("Layout") + sum("UpdateLayoutTree")).toFixed(1)} paint ${(sum("Paint") + sum("PrePaint")).toFixed(1)} gc ${(sum("MinorGC") + sum("MajorGC")).toFixed(1)} | ${comps}`,
    );
  }
  if (args.includes("--brief")) return;
  for (const task of tasks) {
    const a = task.ts;
    const b = task.ts + task.dur!;
    console.log(
      `\n=== task at +${((a - marks[0]!.ts) / 1000).toFixed(0)} ms [${phaseOf(a)}]: ${(task.dur! / 1000).toFixed(1)} ms wall, ${((task.tdur ?? 0) / 1000).toFixed(1)} ms cpu`,
    );
    const kids = main.filter(
      (e) => e.ph === "X" && e.ts >= a && e.ts < b && e !== task && (e.dur ?? 0) >= 1000,
    );
    const byName = new Map<string, number>();
    for (const k of kids) byName.set(k.name, (byName.get(k.name) ?? 0) + k.dur!);
    console.log(
      "  events: " +
        [...byName]
          .sort((x, y) => y[1] - x[1])
          .slice(0, 12)
          .map(([n, d]) => `${n} ${(d / 1000).toFixed(1)}`)
          .join(", "),
    );
    for (const k of kids
      .filter((k) =>
        [
          "TimerFire",
          "FireAnimationFrame",
          "EventDispatch",
          "FunctionCall",
          "v8.callFunction",
        ].includes(k.name),
      )
      .slice(0, 8)) {
      const data = (k.args?.data ?? {}) as Record<string, unknown>;
      console.log(
        `  ${k.name} ${(k.dur! / 1000).toFixed(1)} ms ${String(data.type ?? data.functionName ?? "")} ${String(
          data.url ?? "",
        )
          .split("/")
          .pop()}:${String(data.lineNumber ?? "")}`,
      );
    }
    const self = new Map<string, number>();
    const incl = new Map<string, number>();
    let total = 0;
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i]!;
      if (s.ts < a || s.ts >= b) continue;
      const dt = Math.min((samples[i + 1]?.ts ?? b) - s.ts, 2000);
      total += dt;
      const n = nodes.get(s.node);
      if (!n) continue;
      self.set(n.fn, (self.get(n.fn) ?? 0) + dt);
      const seen = new Set<string>();
      for (let id: number | undefined = s.node; id !== undefined; id = nodes.get(id)?.parent) {
        const fn = nodes.get(id)?.fn;
        if (fn && !seen.has(fn)) {
          seen.add(fn);
          incl.set(fn, (incl.get(fn) ?? 0) + dt);
        }
      }
    }
    const top = (m: Map<string, number>, k: number) =>
      [...m]
        .sort((x, y) => y[1] - x[1])
        .slice(0, k)
        .map(([n, d]) => `    ${(d / 1000).toFixed(1).padStart(6)} ${n}`)
        .join("\n");
    console.log(`  sampled ${(total / 1000).toFixed(1)} ms; self:\n${top(self, 14)}`);
    console.log(`  inclusive:\n${top(incl, 40)}`);
  }
}

main().catch((e: unknown) => {
  console.error(`ui-trace: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 1;
});
