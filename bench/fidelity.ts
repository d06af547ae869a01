/**
 * bench:fidelity — the twin against every real run of `llama-3.1-8b-instruct_runs.csv`
 * (`../shared/data/vllm-lora-h100/`: vLLM 0.8.5 on the 64 GB H100, 3600 s of per-adapter
 * Poisson traffic over ShareGPT requests), next to the paper's own twin (`dt_*` columns).
 *
 *   npm run bench:fidelity -- <path to llama-3.1-8b-instruct_runs.csv> [--filter S] [--jobs N] [--out F]
 *
 * For every run with status `ok` (and every `init_fail_*` run, for start-up failures) it builds
 * the scenario the run used — `n_adapters` adapters, ranks cycling over `adapter_rank_cycle`,
 * rates cycling over `adapter_rates_arg`, `max_loras` / `max_cpu_loras` / `max_lora_rank` /
 * `max_num_seqs` / `max_num_batched_tokens` from the row, gpu_memory_utilization 0.9, 3600 s,
 * seed 0, ShareGPT lengths, Poisson arrivals, client queue cap 25,500 — and runs the twin on it
 * (its own sampled arrivals: the real arrival times are not in the file). `infra_fail_*` and
 * `summary_missing` rows are ignored everywhere. Runs are spread over `--jobs` worker threads
 * (default: one per CPU); `--filter` keeps rows whose `experiment_set/config_group/run`
 * contains the substring.
 *
 * Metrics (percent): conventional SMAPE = 200·mean(|p − r| / (|p| + |r|)) and mean signed
 * relative error = 100·mean((p − r) / r), of throughput (`total_throughput_tok_s`), mean ITL
 * (`itl_mean_ms`) and mean TTFT (`ttft_mean_ms`); starvation-label accuracy against the real
 * run's `starved_est` (the authors' rule: measured throughput < 0.9 × ideal; the paper's twin's
 * label applies the same rule to `dt_total_throughput_tok_s` and `ideal_total_throughput_est_tok_s`);
 * start-up accuracy (twin's `memory.fits` vs status ok / init_fail_*). A run the twin predicts
 * will not start counts with throughput 0 in the throughput error; ITL/TTFT errors use the
 * runs where both sides finished requests. The paper's columns cover only the runs that have
 * `dt_*` values. Per-run rows go to `bench/out/fidelity-runs.csv`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import Papa from "papaparse";
import { loadScenario } from "../src/core/scenario/resolve";
import type { ScenarioInput } from "../src/core/scenario/schema";
import { memoryPlan, simulate } from "../src/core/twin/simulate";

const TARGETS = {
  throughputSmape: 5,
  throughputSigned: 3,
  starvation: 95,
  startup: 95,
} as const;
const PAPER = { throughputSmape: 8.3, throughputSigned: 8.7 } as const;
const DURATION_S = 3600;
const DEFAULT_OUT = join(import.meta.dirname, "out", "fidelity-runs.csv");
const REQUIRED_COLUMNS = [
  "experiment_set",
  "config_group",
  "run",
  "status",
  "n_adapters",
  "adapter_rank_cycle",
  "adapter_rates_arg",
  "max_loras",
  "max_cpu_loras",
  "max_lora_rank",
  "total_throughput_tok_s",
  "starved_est",
  "itl_mean_ms",
  "ttft_mean_ms",
  "dt_total_throughput_tok_s",
] as const;

type Row = Record<string, string>;

/** What a worker sends back for one run (no time series). */
interface TwinSummary {
  fits: boolean;
  reason: string | null;
  kvCacheTokens: number;
  throughputTokS: number;
  idealThroughputTokS: number;
  itlMeanMs: number;
  ttftMeanMs: number;
  ttftP99Ms: number;
  starved: boolean;
  arrived: number;
  finished: number;
  meanRunning: number;
  meanWaiting: number;
  preemptions: number;
  adapterLoads: number;
  wallMs: number;
}

interface Task {
  id: number;
  input: ScenarioInput;
}

type WorkerReply =
  { id: number; ok: true; summary: TwinSummary } | { id: number; ok: false; error: string };

// ---------------------------------------------------------------- scenario of a run

function numberList(text: string, column: string, row: Row): number[] {
  const xs = text.split("-").map(Number);
  if (xs.length === 0 || xs.some((x) => !Number.isFinite(x) || x <= 0)) {
    throw new Error(`${runKey(row)}: cannot read ${column} "${text}" as numbers separated by "-"`);
  }
  return xs;
}

function int(row: Row, column: string, fallback?: number): number {
  const v = row[column];
  if ((v === undefined || v === "") && fallback !== undefined) return fallback;
  const x = Number(v);
  if (!Number.isInteger(x))
    throw new Error(`${runKey(row)}: ${column} "${v ?? ""}" is not an integer`);
  return x;
}

/** The scenario a measured run used (see the file comment). */
export function scenarioOfRun(row: Row): ScenarioInput {
  const n = int(row, "n_adapters");
  const ranks = numberList(row.adapter_rank_cycle ?? "", "adapter_rank_cycle", row);
  const rates = numberList(row.adapter_rates_arg ?? "", "adapter_rates_arg", row);
  return {
    model: "llama-3.1-8b-instruct",
    gpu: "h100-64gb",
    engine: {
      maxLoras: int(row, "max_loras"),
      maxCpuLoras: int(row, "max_cpu_loras", n),
      maxLoraRank: int(row, "max_lora_rank"),
      maxNumSeqs: int(row, "max_num_seqs", 2048),
      maxNumBatchedTokens: int(row, "max_num_batched_tokens", 2048),
      gpuMemoryUtilization: 0.9,
    },
    workload: {
      durationS: DURATION_S,
      seed: 0,
      lengths: { profile: "sharegpt" },
      arrival: { kind: "poisson" },
      maxPendingRequests: 25500,
      adapters: Array.from({ length: n }, (_, i) => ({
        id: `adapter-${i}`,
        rank: ranks[i % ranks.length]!,
        rateRps: rates[i % rates.length]!,
      })),
    },
  };
}

function runKey(row: Row): string {
  return `${row.experiment_set ?? ""}/${row.config_group ?? ""}/${row.run ?? ""}`;
}

function summarize(input: ScenarioInput): TwinSummary {
  const r = simulate(loadScenario(input), { timeSeriesPoints: 1 });
  return {
    fits: r.memory.fits,
    reason: r.memory.reason,
    kvCacheTokens: r.memory.kvCacheTokens,
    throughputTokS: r.throughputTokS,
    idealThroughputTokS: r.idealThroughputTokS,
    itlMeanMs: r.itlMs.mean,
    ttftMeanMs: r.ttftMs.mean,
    ttftP99Ms: r.ttftMs.p99,
    starved: r.starved,
    arrived: r.arrivedRequests,
    finished: r.finishedRequests,
    meanRunning: r.meanRunning,
    meanWaiting: r.meanWaiting,
    preemptions: r.preemptions,
    adapterLoads: r.adapterLoads,
    wallMs: r.wallMs,
  };
}

// ---------------------------------------------------------------- worker side

if (!isMainThread) {
  parentPort!.on("message", (task: Task) => {
    let reply: WorkerReply;
    try {
      reply = { id: task.id, ok: true, summary: summarize(task.input) };
    } catch (err) {
      reply = { id: task.id, ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    parentPort!.postMessage(reply);
  });
}

/** Start a worker running this file (tsx's loader is registered inside it first). */
function startWorker(): Worker {
  const tsxApi = import.meta.resolve("tsx/esm/api");
  const boot =
    `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); ` +
    `return import(${JSON.stringify(import.meta.url)}); });`;
  return new Worker(boot, { eval: true });
}

async function runAll(
  tasks: Task[],
  jobs: number,
  onDone: (id: number, reply: WorkerReply) => void,
): Promise<void> {
  if (tasks.length === 0) return;
  const queue = [...tasks];
  const workers = Array.from({ length: Math.min(jobs, tasks.length) }, startWorker);
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          const feed = () => {
            const t = queue.shift();
            if (t) w.postMessage(t);
            else void w.terminate().then(() => resolve());
          };
          w.on("message", (reply: WorkerReply) => {
            onDone(reply.id, reply);
            feed();
          });
          w.on("error", reject);
          w.once("online", feed);
        }),
    ),
  );
}

// ---------------------------------------------------------------- statistics

interface Pair {
  p: number;
  r: number;
}

function smape(pairs: Pair[]): number {
  if (pairs.length === 0) return NaN;
  let s = 0;
  for (const { p, r } of pairs) {
    const d = Math.abs(p) + Math.abs(r);
    s += d === 0 ? 0 : Math.abs(p - r) / d;
  }
  return (200 * s) / pairs.length;
}

function signed(pairs: Pair[]): number {
  const ok = pairs.filter(({ r }) => r !== 0);
  if (ok.length === 0) return NaN;
  return (100 * ok.reduce((s, { p, r }) => s + (p - r) / r, 0)) / ok.length;
}

function accuracy(hits: boolean[]): number {
  return hits.length === 0 ? NaN : (100 * hits.filter(Boolean).length) / hits.length;
}

const pct = (x: number, digits = 1) => (Number.isNaN(x) ? "—" : `${x.toFixed(digits)}%`);
const sgn = (x: number, digits = 1) =>
  Number.isNaN(x) ? "—" : `${x >= 0 ? "+" : ""}${x.toFixed(digits)}%`;

/** Real measurement as a number, NaN when empty. */
function num(row: Row, column: string): number {
  const v = row[column];
  return v === undefined || v === "" ? NaN : Number(v);
}

interface Evaluated {
  row: Row;
  ok: boolean;
  twin?: TwinSummary;
  /** start-up only (init_fail rows are not simulated) */
  fits: boolean;
  reason: string | null;
  error?: string;
}

interface GroupStats {
  nOk: number;
  nInit: number;
  thr: Pair[];
  thrPaper: Pair[];
  thrTwinOnPaperRuns: Pair[];
  itl: Pair[];
  itlPaper: Pair[];
  ttft: Pair[];
  ttftAuthorsPaper: Pair[];
  starved: boolean[];
  starvedPaper: boolean[];
  startup: boolean[];
  failureKind: boolean[];
}

function emptyStats(): GroupStats {
  return {
    nOk: 0,
    nInit: 0,
    thr: [],
    thrPaper: [],
    thrTwinOnPaperRuns: [],
    itl: [],
    itlPaper: [],
    ttft: [],
    ttftAuthorsPaper: [],
    starved: [],
    starvedPaper: [],
    startup: [],
    failureKind: [],
  };
}

/** Does the twin's reason name the failure vLLM had? */
function sameFailureKind(status: string, reason: string | null): boolean {
  if (!reason) return false;
  if (status.includes("kv_cache_too_small")) return /KV cache too small/i.test(reason);
  if (status.includes("cuda_oom")) return /out of memory/i.test(reason);
  if (status.includes("no_memory")) return /no available memory/i.test(reason);
  return false;
}

function addTo(s: GroupStats, e: Evaluated): void {
  const row = e.row;
  const status = row.status ?? "";
  s.startup.push(e.fits === e.ok);
  if (!e.ok) {
    s.nInit++;
    if (!e.fits) s.failureKind.push(sameFailureKind(status, e.reason));
    return;
  }
  s.nOk++;
  const t = e.twin;
  if (!t) return; // worker error: counted in start-up only
  const real = num(row, "total_throughput_tok_s");
  const paper = num(row, "dt_total_throughput_tok_s");
  if (Number.isFinite(real)) {
    s.thr.push({ p: t.throughputTokS, r: real });
    if (Number.isFinite(paper)) {
      s.thrPaper.push({ p: paper, r: real });
      s.thrTwinOnPaperRuns.push({ p: t.throughputTokS, r: real });
    }
  }
  const itl = num(row, "itl_mean_ms");
  if (Number.isFinite(itl) && itl > 0 && t.finished > 0) s.itl.push({ p: t.itlMeanMs, r: itl });
  const itlPaper = num(row, "dt_itl_ms");
  if (Number.isFinite(itl) && itl > 0 && Number.isFinite(itlPaper))
    s.itlPaper.push({ p: itlPaper, r: itl });
  const ttft = num(row, "ttft_mean_ms");
  if (Number.isFinite(ttft) && ttft > 0 && t.finished > 0)
    s.ttft.push({ p: t.ttftMeanMs, r: ttft });
  const ttftAuth = num(row, "ttft_authors_ms");
  const ttftAuthPaper = num(row, "dt_ttft_ms_authors_def");
  if (Number.isFinite(ttftAuth) && ttftAuth > 0 && Number.isFinite(ttftAuthPaper)) {
    s.ttftAuthorsPaper.push({ p: ttftAuthPaper, r: ttftAuth });
  }
  const st = row.starved_est;
  if (st === "True" || st === "False") {
    const realStarved = st === "True";
    s.starved.push(t.starved === realStarved);
    const ideal = num(row, "ideal_total_throughput_est_tok_s");
    if (Number.isFinite(paper) && Number.isFinite(ideal))
      s.starvedPaper.push(paper < 0.9 * ideal === realStarved);
  }
}

// ---------------------------------------------------------------- output

function csvCell(v: unknown): string {
  if (v === undefined || v === null || (typeof v === "number" && Number.isNaN(v))) return "";
  const s = typeof v === "number" ? String(Math.round(v * 1000) / 1000) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function writeRunsCsv(path: string, evaluated: Evaluated[]): void {
  const header = [
    "experiment_set",
    "config_group",
    "run",
    "status",
    "n_adapters",
    "max_loras",
    "max_lora_rank",
    "twin_fits",
    "twin_reason",
    "throughput_real",
    "throughput_twin",
    "throughput_paper_dt",
    "throughput_err_twin_pct",
    "throughput_err_paper_pct",
    "itl_real_ms",
    "itl_twin_ms",
    "itl_paper_dt_ms",
    "ttft_real_ms",
    "ttft_twin_ms",
    "starved_real",
    "starved_twin",
    "running_mean_real",
    "running_mean_twin",
    "waiting_mean_real",
    "waiting_mean_twin",
    "preemptions_real",
    "preemptions_twin",
    "sent_real",
    "arrived_twin",
    "completed_real",
    "finished_twin",
    "kv_cache_tokens_real",
    "kv_cache_tokens_twin",
    "twin_wall_ms",
    "error",
  ];
  const lines = [header.join(",")];
  for (const e of evaluated) {
    const r = e.row;
    const t = e.twin;
    const real = num(r, "total_throughput_tok_s");
    const paper = num(r, "dt_total_throughput_tok_s");
    lines.push(
      [
        r.experiment_set,
        r.config_group,
        r.run,
        r.status,
        r.n_adapters,
        r.max_loras,
        r.max_lora_rank,
        e.fits,
        e.reason ?? "",
        real,
        t?.throughputTokS,
        paper,
        t && real ? (100 * (t.throughputTokS - real)) / real : NaN,
        real ? (100 * (paper - real)) / real : NaN,
        num(r, "itl_mean_ms"),
        t?.itlMeanMs,
        num(r, "dt_itl_ms"),
        num(r, "ttft_mean_ms"),
        t?.ttftMeanMs,
        r.starved_est,
        t ? (t.starved ? "True" : "False") : "",
        num(r, "mean_num_running"),
        t?.meanRunning,
        num(r, "mean_num_waiting"),
        t?.meanWaiting,
        num(r, "preemptions_window"),
        t?.preemptions,
        num(r, "sent_requests"),
        t?.arrived,
        num(r, "completed_requests"),
        t?.finished,
        num(r, "kv_cache_tokens_probe"),
        t?.kvCacheTokens,
        t?.wallMs,
        e.error ?? "",
      ]
        .map(csvCell)
        .join(","),
    );
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, lines.join("\n") + "\n");
}

function printGroupTable(title: string, groups: Map<string, GroupStats>): void {
  console.log(`\n### ${title}\n`);
  console.log(
    "| group | ok runs | init-fail runs | thr SMAPE twin | thr SMAPE paper (N) | thr signed twin | thr signed paper | ITL SMAPE twin | ITL signed twin | TTFT SMAPE twin | TTFT signed twin | starved acc twin | starved acc paper | start-up acc |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const [name, s] of groups) {
    console.log(
      `| ${name} | ${s.nOk} | ${s.nInit} | ${pct(smape(s.thr))} | ${pct(smape(s.thrPaper))} (${s.thrPaper.length}) | ` +
        `${sgn(signed(s.thr))} | ${sgn(signed(s.thrPaper))} | ${pct(smape(s.itl))} | ${sgn(signed(s.itl))} | ` +
        `${pct(smape(s.ttft))} | ${sgn(signed(s.ttft))} | ${pct(accuracy(s.starved))} | ` +
        `${pct(accuracy(s.starvedPaper))} | ${pct(accuracy(s.startup))} |`,
    );
  }
}

function printOverall(s: GroupStats): void {
  const met = (ok: boolean) => (ok ? "met" : "**not met**");
  const thrSmape = smape(s.thr);
  const thrSigned = signed(s.thr);
  const starvedAcc = accuracy(s.starved);
  const startupAcc = accuracy(s.startup);
  console.log("\n### Overall\n");
  console.log("| metric | twin (N) | paper's twin (N) | target | twin vs target |");
  console.log("|---|---:|---:|---:|:---:|");
  console.log(
    `| throughput SMAPE | ${pct(thrSmape, 2)} (${s.thr.length}) | ${pct(smape(s.thrPaper), 2)} (${s.thrPaper.length}) | ≤ ${TARGETS.throughputSmape}% | ${met(thrSmape <= TARGETS.throughputSmape)} |`,
  );
  console.log(
    `| throughput mean signed error | ${sgn(thrSigned, 2)} (${s.thr.length}) | ${sgn(signed(s.thrPaper), 2)} (${s.thrPaper.length}) | within ±${TARGETS.throughputSigned}% | ${met(Math.abs(thrSigned) <= TARGETS.throughputSigned)} |`,
  );
  console.log(
    `| throughput SMAPE, runs the paper's twin covers | ${pct(smape(s.thrTwinOnPaperRuns), 2)} (${s.thrTwinOnPaperRuns.length}) | ${pct(smape(s.thrPaper), 2)} (${s.thrPaper.length}) | | |`,
  );
  console.log(
    `| throughput signed, runs the paper's twin covers | ${sgn(signed(s.thrTwinOnPaperRuns), 2)} (${s.thrTwinOnPaperRuns.length}) | ${sgn(signed(s.thrPaper), 2)} (${s.thrPaper.length}) | | |`,
  );
  console.log(
    `| ITL mean SMAPE | ${pct(smape(s.itl), 2)} (${s.itl.length}) | ${pct(smape(s.itlPaper), 2)} (${s.itlPaper.length}) | | |`,
  );
  console.log(
    `| ITL mean signed error | ${sgn(signed(s.itl), 2)} (${s.itl.length}) | ${sgn(signed(s.itlPaper), 2)} (${s.itlPaper.length}) | | |`,
  );
  console.log(`| TTFT mean SMAPE | ${pct(smape(s.ttft), 2)} (${s.ttft.length}) | — | | |`);
  console.log(`| TTFT mean signed error | ${sgn(signed(s.ttft), 2)} (${s.ttft.length}) | — | | |`);
  console.log(
    `| TTFT, authors' definition (unfinished = duration) SMAPE | — | ${pct(smape(s.ttftAuthorsPaper), 2)} (${s.ttftAuthorsPaper.length}) | | |`,
  );
  console.log(
    `| starvation-label accuracy | ${pct(starvedAcc)} (${s.starved.length}) | ${pct(accuracy(s.starvedPaper))} (${s.starvedPaper.length}) | ≥ ${TARGETS.starvation}% | ${met(starvedAcc >= TARGETS.starvation)} |`,
  );
  console.log(
    `| start-up-failure accuracy | ${pct(startupAcc)} (${s.startup.length}) | — | ≥ ${TARGETS.startup}% | ${met(startupAcc >= TARGETS.startup)} |`,
  );
  console.log(
    `| failure kind named right (init-fail runs predicted to fail) | ${pct(accuracy(s.failureKind))} (${s.failureKind.length}) | — | | |`,
  );
  console.log(
    `\nPaper's published figures on these runs: throughput SMAPE ${PAPER.throughputSmape}%, signed +${PAPER.throughputSigned}%.`,
  );
}

// ---------------------------------------------------------------- main

interface Args {
  csv: string;
  filter: string;
  jobs: number;
  out: string;
}

const USAGE =
  "usage: npm run bench:fidelity -- <path to llama-3.1-8b-instruct_runs.csv> [--filter <substring>] [--jobs N] [--out <csv>]";

function fail(message: string, code = 1): never {
  console.error(`bench:fidelity: ${message}`);
  process.exit(code);
}

function parseArgs(argv: string[]): Args {
  const args: Args = { csv: "", filter: "", jobs: Math.max(1, cpus().length), out: DEFAULT_OUT };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value\n${USAGE}`, 2);
      return v;
    };
    if (a === "--filter") args.filter = value();
    else if (a === "--jobs") {
      args.jobs = Number(value());
      if (!Number.isInteger(args.jobs) || args.jobs < 1)
        fail(`--jobs must be a positive integer\n${USAGE}`, 2);
    } else if (a === "--out") args.out = value();
    else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (a.startsWith("--")) fail(`unknown option ${a}\n${USAGE}`, 2);
    else if (!args.csv) args.csv = a;
    else fail(`more than one CSV given (${args.csv}, ${a})\n${USAGE}`, 2);
  }
  if (!args.csv) fail(`no runs CSV given\n${USAGE}`, 2);
  return args;
}

function readRows(path: string): Row[] {
  if (!existsSync(path)) {
    fail(
      `runs file not found: ${path}\n` +
        `  It is in the project's reference data, e.g. ../shared/data/vllm-lora-h100/llama-3.1-8b-instruct_runs.csv\n${USAGE}`,
    );
  }
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    fail(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = Papa.parse<Row>(text, { header: true, skipEmptyLines: true });
  const columns = parsed.meta.fields ?? [];
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    fail(`${path} is not a runs file: missing column(s) ${missing.join(", ")}`);
  }
  return parsed.data;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const all = readRows(args.csv);
  const t0 = performance.now();
  const selected = all.filter((r) => {
    const st = r.status ?? "";
    if (st !== "ok" && !st.startsWith("init_fail")) return false;
    return !args.filter || runKey(r).includes(args.filter);
  });
  const ignored = all.filter(
    (r) => r.status !== "ok" && !(r.status ?? "").startsWith("init_fail"),
  ).length;
  if (selected.length === 0)
    fail(`no ok or init_fail_* run matches${args.filter ? ` --filter ${args.filter}` : ""}`);

  const evaluated: Evaluated[] = [];
  const tasks: Task[] = [];
  const costs = new Map<number, number>();
  for (const row of selected) {
    const ok = row.status === "ok";
    let input: ScenarioInput;
    try {
      input = scenarioOfRun(row);
    } catch (err) {
      evaluated.push({
        row,
        ok,
        fits: false,
        reason: null,
        error: err instanceof Error ? err.message : String(err),
      });
      continue;
    }
    // start-up needs only the memory plan; only runs that started are simulated
    const plan = memoryPlan(loadScenario(input));
    const e: Evaluated = { row, ok, fits: plan.fits, reason: plan.reason };
    evaluated.push(e);
    if (ok) {
      const id = evaluated.length - 1;
      tasks.push({ id, input });
      costs.set(
        id,
        input.workload.adapters.reduce((s, a) => s + a.rateRps, 0),
      );
    }
  }
  // most traffic first, so the slowest runs do not finish last on one thread
  tasks.sort((a, b) => costs.get(b.id)! - costs.get(a.id)!);

  console.error(
    `bench:fidelity: ${selected.length} runs (${tasks.length} to simulate, ${selected.length - tasks.length} start-up only; ` +
      `${ignored} infra_fail/summary_missing rows ignored) on ${Math.min(args.jobs, Math.max(1, tasks.length))} thread(s)…`,
  );
  let done = 0;
  let lastReport = performance.now();
  await runAll(tasks, args.jobs, (id, reply) => {
    const e = evaluated[id]!;
    if (reply.ok) {
      e.twin = reply.summary;
      e.fits = reply.summary.fits;
      e.reason = reply.summary.reason;
    } else e.error = reply.error;
    done++;
    const now = performance.now();
    if (now - lastReport > 15_000 || done === tasks.length) {
      lastReport = now;
      console.error(`  ${done}/${tasks.length} simulated, ${((now - t0) / 1000).toFixed(0)} s`);
    }
  });

  const overall = emptyStats();
  const byGroup = new Map<string, GroupStats>();
  const bySet = new Map<string, GroupStats>();
  for (const e of evaluated) {
    addTo(overall, e);
    const g = e.row.config_group ?? "";
    const set = e.row.experiment_set ?? "";
    if (!byGroup.has(g)) byGroup.set(g, emptyStats());
    if (!bySet.has(set)) bySet.set(set, emptyStats());
    addTo(byGroup.get(g)!, e);
    addTo(bySet.get(set)!, e);
  }
  const errors = evaluated.filter((e) => e.error);
  const wallS = (performance.now() - t0) / 1000;
  const twinCpuS = evaluated.reduce((s, e) => s + (e.twin?.wallMs ?? 0), 0) / 1000;

  console.log(
    `# bench:fidelity — twin vs ${tasks.length} measured runs (Llama-3.1-8B-Instruct, h100-64gb, vLLM 0.8.5)\n`,
  );
  console.log(
    `Targets: throughput SMAPE ≤ ${TARGETS.throughputSmape}% (paper's twin ${PAPER.throughputSmape}%), ` +
      `|mean signed error| ≤ ${TARGETS.throughputSigned}% (paper's twin +${PAPER.throughputSigned}%), ` +
      `starvation-label accuracy ≥ ${TARGETS.starvation}%, start-up-failure accuracy ≥ ${TARGETS.startup}%.`,
  );
  console.log(
    `Input: ${args.csv}${args.filter ? ` (--filter ${args.filter})` : ""}; ${selected.length} runs used, ${ignored} ignored ` +
      `(infra_fail_*, summary_missing). Twin: seed 0, its own Poisson arrivals, ShareGPT lengths.`,
  );
  printGroupTable("Per config group", byGroup);
  printGroupTable("Per experiment set", bySet);
  printOverall(overall);
  if (errors.length > 0) {
    console.log(`\n${errors.length} run(s) could not be simulated:`);
    for (const e of errors.slice(0, 10)) console.log(`- ${runKey(e.row)}: ${e.error}`);
  }
  writeRunsCsv(args.out, evaluated);
  console.log(
    `\nPer-run rows: ${args.out}. Wall ${wallS.toFixed(0)} s on ${args.jobs} thread(s); ` +
      `twin time summed over runs ${twinCpuS.toFixed(0)} s (${(twinCpuS / Math.max(1, tasks.length)).toFixed(2)} s per run).`,
  );
}

if (isMainThread) {
  main().catch((err: unknown) => {
    console.error(`bench:fidelity: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
